"""``outage``: capacity lost in one country at a stage of a mineral (a flood, a strike, a fire)."""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator

from critmin.sim.events.base import Build, Effect, EventSpec, fraction
from critmin.sim.schema import FractionRange, Stage, Timed, _as_range, _country, _minerals


class Outage(Timed):
    type: Literal["outage"]
    country: str
    mineral: str
    stage: Stage
    capacity_loss: FractionRange
    source: str | None = None

    _range = field_validator("capacity_loss", mode="before")(_as_range)
    _c = field_validator("country")(_country)

    @field_validator("mineral")
    @classmethod
    def _mineral(cls, v: str) -> str:
        return _minerals([v])[0]


def compile_(ev: Outage, e: int, b: Build) -> None:
    """An ``outage`` effect on the country's slot (magnitude: the capacity loss)."""
    for _m, j, k, _share in b.producing(e, [ev.mineral], ev.stage, ev.country):
        b.effects.append(Effect(e, b.slot(j, k, ev.country), "outage", fraction(ev, b.years),
                                b.zero))  # fmt: skip


def ranges(ev: Outage) -> tuple[FractionRange, ...]:
    return (ev.capacity_loss,)


SPEC = EventSpec(Outage, compile=compile_, ranges=ranges)
