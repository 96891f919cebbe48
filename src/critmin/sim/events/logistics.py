"""``logistics``: a route closed or slowed (a strait, a port, a railway).

The flows of the listed exporters lose capacity while it is in force and are delayed in its
first year; an ``infrastructure`` plan lever naming the route hardens it (``loss_scale``).
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import Field, field_validator

from critmin.sim.events.base import Build, Effect, EventSpec, fraction
from critmin.sim.schema import FractionRange, Timed, _as_range, _country, _minerals


class Logistics(Timed):
    type: Literal["logistics"]
    route: str = Field(min_length=1)
    minerals: list[str]
    countries: list[str] = Field(min_length=1, description="exporters whose flows use the route")
    capacity_loss: FractionRange
    delay_days: Annotated[float, Field(ge=0)] = 0.0
    source: str | None = None

    _range = field_validator("capacity_loss", mode="before")(_as_range)
    _m = field_validator("minerals")(_minerals)

    @field_validator("countries")
    @classmethod
    def _countries(cls, v: list[str]) -> list[str]:
        return [_country(c) for c in v]


def compile_(ev: Logistics, e: int, b: Build) -> None:
    """A ``logistics`` effect on each listed exporter of each mineral at its last stage with
    data; exporters with no capacity there are skipped (the route does not carry them)."""
    f = fraction(ev, b.years)
    first = np.zeros(len(b.years))
    if f.any():
        first[np.flatnonzero(f)[0]] = ev.delay_days / 365.0
    for m in ev.minerals:
        if m not in b.index:
            continue
        j = b.index[m]
        k = 1 if b.present[1, j] else 0
        for c in ev.countries:
            if b.share(j, k, c) > 0:
                b.effects.append(Effect(e, b.slot(j, k, c), "logistics", f, first))


def ranges(ev: Logistics) -> tuple[FractionRange, ...]:
    return (ev.capacity_loss,)


SPEC = EventSpec(Logistics, compile=compile_, ranges=ranges)
