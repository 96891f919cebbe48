"""``state_stockpile``: a state stockpiler buys into or releases from its reserve.

A state agency outside the bloc's own stock rule — China's National Food and Strategic
Reserves Administration (the former State Reserve Bureau) buying cobalt in 2025, the US
Defense Logistics Agency's acquisitions and disposals — moves the *world* market: a purchase
adds to world demand, a release sells its tonnes into the world market whatever the price
(docs/model.md §2b, decision 0028). The amount is a yearly rate, in tonnes or as a share of
the baseline world demand, spread over the years by the share of each year in force; it may
be uncertain (a range, drawn per sample).

Example::

    - type: state_stockpile
      holder: CHN
      action: buy
      mineral: cobalt
      start: 2025-07-01
      duration_years: 1
      tonnes_per_year: {low: 5000, central: 10000, high: 15000}
      source: ...
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from critmin.sim.events.base import Build, EventSpec, fraction
from critmin.sim.schema import FractionRange, Range, Timed, _as_range, _country, _minerals

#: The largest yearly rate a state stockpile may move, as a share of world demand: a reserve
#: that buys or sells half the world's yearly demand is beyond anything on record (the DLA's
#: and China's programmes are a few per cent of a market).
MAX_SHARE = 0.5


class TonnesRange(Range):
    """A :class:`Range` of tonnes a year: positive and finite."""

    @model_validator(mode="after")
    def _positive(self) -> TonnesRange:
        if self.low <= 0.0:
            raise ValueError("expected tonnes above 0")
        if self.high > 1e10:
            raise ValueError("expected at most 1e10 tonnes a year")
        return self


class StateStockpile(Timed):
    type: Literal["state_stockpile"]
    holder: str = Field(description="the state whose reserve buys or releases (ISO3)")
    action: Literal["buy", "release"]
    mineral: str
    tonnes_per_year: TonnesRange | None = None
    share_of_demand: FractionRange | None = Field(
        default=None, description="the yearly rate as a share of the baseline world demand"
    )
    source: str | None = None

    _ranges = field_validator("tonnes_per_year", "share_of_demand", mode="before")(_as_range)
    _c = field_validator("holder")(_country)

    @field_validator("mineral")
    @classmethod
    def _mineral(cls, v: str) -> str:
        return _minerals([v])[0]

    @field_validator("share_of_demand")
    @classmethod
    def _share(cls, v: FractionRange | None) -> FractionRange | None:
        if v is not None and (v.low <= 0.0 or v.high > MAX_SHARE):
            raise ValueError(f"expected a share of world demand above 0 and at most {MAX_SHARE}")
        return v

    @model_validator(mode="after")
    def _one_amount(self) -> StateStockpile:
        if (self.tonnes_per_year is None) == (self.share_of_demand is None):
            raise ValueError("give tonnes_per_year or share_of_demand (one of them)")
        return self


def compile_(ev: StateStockpile, e: int, b: Build) -> None:
    """The event's yearly coefficient on the mineral's world demand: ``±`` the share of each
    year in force; tonnes are turned into shares of world demand by :func:`prepare
    <critmin.sim.inputs.prepare>` once the world demand path is known."""
    if ev.mineral not in b.index:
        return
    sign = 1.0 if ev.action == "buy" else -1.0
    b.state.append((e, b.index[ev.mineral], sign * fraction(ev, b.years),
                    ev.tonnes_per_year is not None))  # fmt: skip


def ranges(ev: StateStockpile) -> tuple[Range, ...]:
    amount = ev.tonnes_per_year if ev.tonnes_per_year is not None else ev.share_of_demand
    assert amount is not None
    return (amount,)


def contradictions(
    events: list[tuple[int, StateStockpile]], horizon: tuple[int, int]
) -> list[tuple[int, str, str]]:
    """A holder buying and releasing one mineral at the same time."""
    out: list[tuple[int, str, str]] = []
    for a, (i, ea) in enumerate(events):
        for j, eb in events[a + 1 :]:
            same = (ea.holder, ea.mineral) == (eb.holder, eb.mineral) and ea.action != eb.action
            if same and ea.start_date <= eb.end_date and eb.start_date <= ea.end_date:
                out.append((j, "action", f"{eb.holder} would {eb.action} {eb.mineral} while "
                            f"it does {ea.action} it (event {i}) at the same time"))  # fmt: skip
    return out


SPEC = EventSpec(StateStockpile, compile=compile_, ranges=ranges, contradictions=contradictions)
