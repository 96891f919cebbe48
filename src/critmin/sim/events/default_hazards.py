"""``default_hazards``: the documented default hazard model (:mod:`critmin.sim.hazard`).

Expands, before compiling, into one ``stochastic_restriction`` per producing country (share at
least ``min_share`` of world output at the mineral's last stage) and mineral.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from critmin.sim.events import hazard_model as hazard
from critmin.sim.events.base import EventSpec, Expansion
from critmin.sim.schema import EventModel, Fraction, _country, _minerals


class DefaultHazards(EventModel):
    """The documented default hazard model (:mod:`critmin.sim.hazard`), optionally scaled.

    Expands into one :class:`~critmin.sim.events.stochastic_restriction.StochasticRestriction`
    per producing country (share at least ``min_share`` at the mineral's last stage) and
    mineral.
    """

    type: Literal["default_hazards"]
    scale: Annotated[float, Field(ge=0.0, le=100.0)] = 1.0
    min_share: Fraction = 0.1
    minerals: list[str] | None = None
    countries: list[str] | None = None

    _m = field_validator("minerals")(lambda v: v if v is None else _minerals(v))

    @field_validator("countries")
    @classmethod
    def _countries(cls, v: list[str] | None) -> list[str] | None:
        return v if v is None else [_country(c) for c in v]


def expand(ev: DefaultHazards, x: Expansion) -> list[EventModel]:
    """The stochastic restrictions the default model stands for."""
    return list(hazard.default_restrictions(ev, x.ds, x.minerals, x.stage_shares))


SPEC = EventSpec(DefaultHazards, expand=expand)
