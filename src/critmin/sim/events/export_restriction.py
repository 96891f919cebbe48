"""``export_restriction``: a ban or licensing regime by one country on some minerals at a stage.

Partial via ``share`` (of exports withheld), with leakage through third countries, the
country's own use (``exports_share``) leaving the open market while it holds, a target (all
importers, the bloc, or listed countries), front-running before the effective date and the
transit time to the market (``transit_days``: cargo shipped before the measure still arrives).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from critmin.sim.events.base import Build, Contradiction, Effect, EventSpec, fraction
from critmin.sim.schema import (
    Fraction,
    FractionRange,
    Stage,
    Strict,
    Timed,
    _as_range,
    _country,
    _minerals,
)


class FrontRunning(Strict):
    """Buying ahead of an announced restriction: extra exports before the effective date."""

    months: Annotated[int, Field(ge=0, le=24)]
    pulse: Fraction  # extra exports in that window, as a share of normal exports


class ExportRestriction(Timed):
    type: Literal["export_restriction"]
    country: str
    minerals: list[str]
    stage: Stage
    share: FractionRange = Field(description="share of exports withheld (1 = full ban)")
    leakage: FractionRange = FractionRange(low=0.0, central=0.0, high=0.0)
    exports_share: FractionRange = Field(
        default=FractionRange(low=1.0, central=1.0, high=1.0),
        description="share of the country's output it exports in normal times; the rest is "
        "its own use, which leaves the open market the bloc buys in",
    )
    target: Literal["bloc", "all"] | list[str] = Field(
        default="all", description="who is cut off: all importers, the bloc, or listed ISO3"
    )
    transit_days: Annotated[int, Field(ge=0, le=365)] = Field(
        default=0,
        description="days from the restricting country's border to the market: material "
        "shipped before the start keeps arriving that long, so the loss reaches the market "
        "(and, after the end, leaves it) this many days later",
    )
    announced: dt.date | None = None
    front_running: FrontRunning | None = None
    source: str | None = None

    _range = field_validator("share", "leakage", "exports_share", mode="before")(_as_range)
    _c = field_validator("country")(_country)
    _m = field_validator("minerals")(_minerals)

    @field_validator("exports_share")
    @classmethod
    def _some_exports(cls, v: FractionRange) -> FractionRange:
        if v.low <= 0:
            raise ValueError("exports_share must be above 0")
        return v

    @field_validator("target")
    @classmethod
    def _target(cls, v: str | list[str]) -> str | list[str]:
        if isinstance(v, list):
            if not v:
                raise ValueError("an empty target list")
            return [_country(c) for c in v]
        return v

    @model_validator(mode="after")
    def _announced_first(self) -> ExportRestriction:
        if self.announced is not None and self.announced > self.start_date:
            raise ValueError("announced is after start")
        return self


def compile_(ev: ExportRestriction, e: int, b: Build) -> None:
    """A ``restriction`` effect on the country's slot of each mineral, and the front-running
    pulse into the bloc's stock (``front``) in the year buying ahead starts."""
    for _m, j, k, share in b.producing(e, ev.minerals, ev.stage, ev.country):
        tf = target_factor(ev, b, _m, share, float(b.bloc_share[j]))
        f = fraction(ev, b.years, lag_days=ev.transit_days)
        b.effects.append(Effect(e, b.slot(j, k, ev.country), "restriction", f, b.zero, tf))
        if ev.front_running is not None:
            t0 = ev.start_date - dt.timedelta(days=30 * ev.front_running.months)
            ti = np.flatnonzero(b.years == t0.year)
            if len(ti) and ev.front_running.months:
                pulse = ev.front_running.pulse * ev.front_running.months / 12 * share
                b.front[ti[0], j] += pulse
                b.front_events.append((e, int(ti[0]), j, pulse))


def target_factor(
    ev: ExportRestriction, b: Build, mineral: str, share: float, bloc_share: float
) -> float:
    """Share of a country's output a targeted ban takes off the market the target can reach.

    A ban on all importers removes the withheld output. A ban on some importers (the bloc, or
    listed countries) only bites when their demand exceeds what everyone else supplies; other
    buyers take the banned country's output meanwhile:
    ``min(1, max(0, φ_target − (1 − s_c)) / s_c)``.
    """
    if ev.target == "all":
        return 1.0
    phi = bloc_share if ev.target == "bloc" else b.demand_share(tuple(ev.target), mineral)
    return float(min(1.0, max(0.0, phi - (1.0 - share)) / share))


def ranges(ev: ExportRestriction) -> tuple[FractionRange, ...]:
    return ev.share, ev.leakage, ev.exports_share


def magnitude(vals: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Share withheld that does not leak, share × (1 − leakage); and the exported share."""
    return vals[:, 0] * (1.0 - vals[:, 1]), vals[:, 2]


def contradictions(
    events: list[tuple[int, ExportRestriction]], horizon: tuple[int, int]
) -> list[Contradiction]:
    """Two restrictions by a country on a mineral and stage may not overlap in time, unless
    they are layered: one reaches every buyer (licensing, a quota) and the other is aimed at
    some (a ban on the bloc or listed importers; issue 16). Layered effects on one slot
    combine multiplicatively (docs/model.md §1)."""
    out: list[Contradiction] = []
    for a, (i, e) in enumerate(events):
        for j, f in events[a + 1 :]:
            layered = (e.target == "all") != (f.target == "all")
            same = e.country == f.country and e.stage == f.stage and not layered
            shared = sorted(set(e.minerals) & set(f.minerals))
            overlap = e.start_date <= f.end_date and f.start_date <= e.end_date
            if same and shared and overlap:
                out.append((j, "start", f"overlaps event {i} (same country, stage and "
                            f"minerals {shared}): merge them or end one first"))  # fmt: skip
    return out


SPEC = EventSpec(
    ExportRestriction,
    compile=compile_,
    ranges=ranges,
    magnitude=magnitude,
    contradictions=contradictions,
)
