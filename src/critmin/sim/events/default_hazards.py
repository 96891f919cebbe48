"""``default_hazards``: the standard hazard model (:mod:`critmin.sim.hazard`), optionally scaled.

``model: fitted`` (the default since issue 15) expands, before compiling, into one
``fitted_restriction`` per producing country (share at least ``min_share`` of world output at
a simulated stage), mineral and stage it produces at (decision 0021), with hazards fitted to
every country's record, typed measures, aiming by alignment and a common shock (docs/model.md
§10). ``model: china-rate`` is the former model (China's 2023–2025 rate for every producer,
scaled by political stability, one ``stochastic_restriction`` per cell); it is **deprecated**
and kept so that older results can be reproduced. No field was removed.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from critmin.sim.events import fitted_model
from critmin.sim.events import hazard_model as hazard
from critmin.sim.events.base import EventSpec, Expansion
from critmin.sim.schema import EventModel, Fraction, _country, _minerals


class DefaultHazards(EventModel):
    """The standard hazard model (:mod:`critmin.sim.hazard`), optionally scaled.

    Expands into one :class:`~critmin.sim.events.fitted_restriction.FittedRestriction` per
    producing country (share at least ``min_share`` at a simulated stage), mineral and stage
    (``model: china-rate``, at the mineral's last stage, deprecated: one
    :class:`~critmin.sim.events.stochastic_restriction.StochasticRestriction`).
    """

    type: Literal["default_hazards"]
    scale: Annotated[float, Field(ge=0.0, le=100.0)] = 1.0
    min_share: Fraction = 0.1
    minerals: list[str] | None = None
    countries: list[str] | None = None
    model: Literal["fitted", "china-rate"] = Field(
        default="fitted",
        description="fitted (the record of every country, issue 15) or china-rate "
        "(deprecated: China's 2023-2025 rate for every producer)",
    )

    _m = field_validator("minerals")(lambda v: v if v is None else _minerals(v))

    @field_validator("countries")
    @classmethod
    def _countries(cls, v: list[str] | None) -> list[str] | None:
        return v if v is None else [_country(c) for c in v]


def expand(ev: DefaultHazards, x: Expansion) -> list[EventModel]:
    """The restrictions the model stands for."""
    if ev.model == "china-rate":
        return list(hazard.default_restrictions(ev, x.ds, x.minerals, x.stage_shares))
    return list(fitted_model.fitted_restrictions(ev, x.ds, x.minerals, x.stage_shares,
                                                 x.members, x.demand_share))  # fmt: skip


SPEC = EventSpec(DefaultHazards, expand=expand)
