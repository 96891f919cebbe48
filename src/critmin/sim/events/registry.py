"""The registry of scenario event types: ``type`` → :class:`~critmin.sim.events.base.EventSpec`.

Adding an event type: write one module in this package (schema, compile step, and draw steps
if it has uncertain quantities — see :mod:`critmin.sim.events.base`) ending in a ``SPEC``, and
add that ``SPEC`` to :data:`SPECS` below. The scenario's ``events`` union, :func:`prepare
<critmin.sim.inputs.prepare>` and :func:`draw <critmin.sim.inputs.draw>` follow from it.

The order of :data:`SPECS` is part of the random stream: event types with a ``timing`` draw
draw it in this order, so appending keeps every earlier result of a seed; reordering does not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Union

from pydantic import Field

from critmin.sim.events import (
    default_hazards,
    demand_surge,
    export_restriction,
    fitted_restriction,
    logistics,
    outage,
    state_stockpile,
    stochastic_restriction,
    stock_change,
)
from critmin.sim.events.base import EventSpec
from critmin.sim.schema import EventModel

#: Every event type, in the order their timing is drawn (explicit: no import side effects).
SPECS: tuple[EventSpec[Any], ...] = (
    export_restriction.SPEC,
    outage.SPEC,
    logistics.SPEC,
    demand_surge.SPEC,
    stock_change.SPEC,
    stochastic_restriction.SPEC,
    default_hazards.SPEC,
    fitted_restriction.SPEC,
    state_stockpile.SPEC,  # appended: earlier types' draws unchanged
)

#: ``type`` value → its event type.
REGISTRY: dict[str, EventSpec[Any]] = {t: spec for spec in SPECS for t in spec.types}

if TYPE_CHECKING:
    # Type checkers see the common base; code narrows with isinstance on the schema classes.
    Event = EventModel
else:
    #: A scenario event: the union of the registered schemas, told apart by ``type``.
    Event = Annotated[Union[tuple(spec.schema for spec in SPECS)], Field(discriminator="type")]  # noqa: UP007


def spec_of(ev: EventModel) -> EventSpec[Any]:
    """The event type of a validated event.

    Examples
    --------
    >>> from critmin.sim.events.outage import Outage
    >>> ev = Outage(type="outage", country="COD", mineral="cobalt", stage="mine", start=2026,
    ...             capacity_loss=0.3)
    >>> spec_of(ev).schema is Outage
    True
    """
    return REGISTRY[ev.type]
