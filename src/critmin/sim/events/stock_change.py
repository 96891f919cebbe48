"""``stock_release`` and ``stock_purchase``: a stock movement of the bloc in one year.

A release is forced (up to the gap, whatever its size) and, unless ``stocks:`` gives the
mineral's stock, says the holder has that stock; a purchase is filled at the market.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import Field, field_validator

from critmin.sim.events.base import Build, Contradiction, EventSpec
from critmin.sim.schema import EventModel, _minerals


class StockChange(EventModel):
    type: Literal["stock_release", "stock_purchase"]
    mineral: str
    year: Annotated[int, Field(ge=1900, le=2100)]
    amount_t: Annotated[float, Field(gt=0)]
    holder: str = "bloc"
    source: str | None = None

    @field_validator("mineral")
    @classmethod
    def _mineral(cls, v: str) -> str:
        return _minerals([v])[0]


def compile_(ev: StockChange, e: int, b: Build) -> None:
    """Tonnes into ``forced`` (release; and ``stock0``) or ``purchase`` in the event's year."""
    if ev.mineral not in b.index:
        return
    j, t = b.index[ev.mineral], int(np.flatnonzero(b.years == ev.year)[0])
    if ev.type == "stock_release":
        b.forced[t, j] += ev.amount_t
        # A release event says the holder has the stock (unless stocks: gives it).
        if ev.mineral not in b.scenario.stocks:
            b.stock0[j] += ev.amount_t
    else:
        b.purchase[t, j] += ev.amount_t


def contradictions(
    events: list[tuple[int, StockChange]], horizon: tuple[int, int]
) -> list[Contradiction]:
    """A release and a purchase of a mineral by a holder in the same year; a year outside the
    horizon."""
    out: list[Contradiction] = []
    for a, (i, sa) in enumerate(events):
        for j, sb in events[a + 1 :]:
            key_a, key_b = (sa.mineral, sa.year, sa.holder), (sb.mineral, sb.year, sb.holder)
            if key_a == key_b and sa.type != sb.type:
                out.append((j, "type", f"a {sb.type} and a {sa.type} (event {i}) of "
                            f"{sa.mineral} by {sa.holder} in {sa.year}"))  # fmt: skip
    for i, ev in events:
        if not horizon[0] <= ev.year <= horizon[1]:
            out.append((i, "year", "the year lies outside the horizon"))
    return out


SPEC = EventSpec(StockChange, compile=compile_, contradictions=contradictions)
