"""``demand_surge``: demand multiplied for some minerals (a faster build-out, a competing use)."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, field_validator

from critmin.sim.events.base import Build, EventSpec, fraction
from critmin.sim.schema import Range, Timed, _as_range, _minerals


class DemandSurge(Timed):
    type: Literal["demand_surge"]
    minerals: list[str]
    factor: Range = Field(description="multiplier on demand (1.2 = +20 %)")
    source: str | None = None

    _range = field_validator("factor", mode="before")(_as_range)
    _m = field_validator("minerals")(_minerals)

    @field_validator("factor")
    @classmethod
    def _positive(cls, v: Range) -> Range:
        if v.low <= 0:
            raise ValueError("a demand factor must be positive")
        return v


def compile_(ev: DemandSurge, e: int, b: Build) -> None:
    """A demand factor on the simulated minerals it names, while in force."""
    js = np.array([b.index[m] for m in ev.minerals if m in b.index], dtype=int)
    b.surge.append((e, js, fraction(ev, b.years), ev.factor))


def ranges(ev: DemandSurge) -> tuple[Range, ...]:
    return (ev.factor,)


SPEC = EventSpec(DemandSurge, compile=compile_, ranges=ranges)
