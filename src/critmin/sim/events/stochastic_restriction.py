"""``stochastic_restriction``: a restriction that may happen.

Each year it starts with ``annual_probability`` (when none is in force), lasts a triangular
duration and withholds a triangular share; the timing is drawn per sample.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import field_validator

from critmin.sim.events.base import Build, Effect, EventSpec
from critmin.sim.sampling import triangular
from critmin.sim.schema import (
    EventModel,
    Fraction,
    FractionRange,
    Range,
    Stage,
    _as_range,
    _country,
    _minerals,
)


class StochasticRestriction(EventModel):
    """Restrictions that may happen: an annual probability, a duration and a magnitude."""

    type: Literal["stochastic_restriction"]
    country: str
    minerals: list[str]
    stage: Stage
    annual_probability: Fraction
    duration_years: Range
    share: FractionRange
    source: str | None = None

    _range = field_validator("duration_years", "share", mode="before")(_as_range)
    _c = field_validator("country")(_country)
    _m = field_validator("minerals")(_minerals)

    @field_validator("duration_years")
    @classmethod
    def _positive(cls, v: Range) -> Range:
        if v.low <= 0:
            raise ValueError("durations must be positive")
        return v


def compile_(ev: StochasticRestriction, e: int, b: Build) -> None:
    """A ``stochastic`` effect on the country's slot of each mineral (timing drawn later)."""
    for _m, j, k, _share in b.producing(e, ev.minerals, ev.stage, ev.country):
        b.effects.append(Effect(e, b.slot(j, k, ev.country), "stochastic", b.zero, b.zero))


def ranges(ev: StochasticRestriction) -> tuple[FractionRange, ...]:
    return (ev.share,)


def timing(
    rng: np.random.Generator, n: int, T: int, events: list[StochasticRestriction]
) -> np.ndarray:
    """In-force fraction per year ``(T, n, E)``: a restriction starts at a year's start with
    the annual probability when none is in force, and lasts a triangular-distributed
    duration."""
    E = len(events)
    prob = np.array([ev.annual_probability for ev in events])[None, :]
    lo, mo, hi = (np.array([getattr(ev.duration_years, k) for ev in events])[None, :, None]
                  for k in ("low", "central", "high"))  # fmt: skip
    # Single precision is plenty to compare with a probability and cuts the drawing time;
    # year-major so each year's slice is contiguous.
    u_start = rng.random((T, n, E), dtype=np.float32)
    cand = u_start < prob.astype(np.float32)
    # Durations only where a restriction may start (most cells never do), drawn after: their
    # count depends on u_start, which the seed fixes, so the stream stays reproducible.
    idx = np.flatnonzero(cand)
    ev = idx % E
    dur = np.zeros((T, n, E))
    dur.ravel()[idx] = triangular(rng.random(len(idx)), lo.ravel()[ev], mo.ravel()[ev],
                                  hi.ravel()[ev])  # fmt: skip
    out = np.zeros((T, n, E))
    remaining = np.zeros((n, E))
    for t in range(T):
        start = (remaining <= 0) & cand[t]
        remaining = np.where(start, dur[t], remaining)
        np.clip(remaining, 0.0, 1.0, out=out[t])
        remaining = np.maximum(remaining - 1.0, 0.0)
    return out


SPEC = EventSpec(StochasticRestriction, compile=compile_, ranges=ranges, timing=timing)
