"""What an event type is made of, and the shared state its compile step writes to.

An event type (:class:`EventSpec`) is its pydantic schema plus up to five steps, each a plain
function of the module that defines the type:

- ``expand`` — replaces the event by others before compiling (``default_hazards``);
- ``compile`` — the deterministic part: writes the event's effects on country slots, demand
  factors or stock movements into the shared :class:`Build`;
- ``ranges`` and ``magnitude`` — the uncertain quantities drawn per sample (in the order
  given, all events' ranges in one draw), and how they combine into the event's magnitude
  (and exported share);
- ``timing`` — a draw of when events of this type are in force, for all of them at once
  (stochastic events);
- ``contradictions`` — events of this type that contradict each other in one scenario.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, get_args

import numpy as np
import pandas as pd

from critmin.data.errors import Problem
from critmin.sim.schema import STAGES, EventModel, Range, Stage, Timed

E = TypeVar("E", bound=EventModel)

#: (event index, field, why) — a contradiction between events of a scenario.
Contradiction = tuple[int, str, str]


@dataclass(frozen=True)
class Effect:
    """One event's cut on one slot (a country at a stage of a mineral).

    ``kind``: ``restriction`` (magnitude = share × (1 − leakage) × ``target_factor``),
    ``outage`` and ``logistics`` (magnitude = capacity loss), ``stochastic`` (magnitude =
    share, timing drawn per sample). ``fraction[t]`` is the share of year t in force
    (deterministic events); ``delay[t]`` is an extra one-off loss (logistics delay / 365 in
    the first year in force).
    """

    event: int
    slot: int
    kind: str
    fraction: np.ndarray
    delay: np.ndarray
    target_factor: float = 1.0
    loss_scale: float = 1.0  # < 1 where an infrastructure lever hardens the route


@dataclass
class Build:
    """The compiled inputs under construction: what every event's compile step reads and writes.

    Read: the scenario's years, minerals (``index``: mineral → column), the stages with data
    (``present[k, j]``), the country shares per (mineral, stage) column, the bloc and its
    demand share. Written: ``effects`` on slots, demand ``surge`` factors, stock movements
    ``(T, M)``, front-running pulses, and ``problems`` (raised together after every event).
    """

    scenario: Any  # critmin.sim.scenario.Scenario (not imported: it imports this package)
    source: str
    years: np.ndarray
    index: dict[str, int]
    present: np.ndarray
    stage_shares: dict[tuple[int, int], pd.Series]
    members: tuple[str, ...]
    bloc_share: np.ndarray
    #: The share of world demand of some importers for a mineral (``φ``, docs/model.md §5).
    demand_share: Callable[[tuple[str, ...], str], float]
    #: The field that names compiled event e in an error (default hazards expand to many).
    fields: list[str] = field(default_factory=list)
    slots: dict[tuple[int, int, str], int] = field(default_factory=dict)
    effects: list[Effect] = field(default_factory=list)
    surge: list[tuple[int, np.ndarray, np.ndarray, Range]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    stock0: np.ndarray = field(init=False)
    forced: np.ndarray = field(init=False)
    purchase: np.ndarray = field(init=False)
    front: np.ndarray = field(init=False)
    front_events: list[tuple[int, int, int, float]] = field(default_factory=list)
    #: State stockpiles (``state_stockpile``): (event, column, ± share of each year in force,
    #: amount in tonnes rather than a share of world demand).
    state: list[tuple[int, int, np.ndarray, bool]] = field(default_factory=list)

    def __post_init__(self) -> None:
        T, M = len(self.years), len(self.index)
        self.stock0 = np.zeros(M)
        self.forced = np.zeros((T, M))
        self.purchase = np.zeros((T, M))
        self.front = np.zeros((T, M))

    @property
    def zero(self) -> np.ndarray:
        return np.zeros(len(self.years))

    def slot(self, j: int, k: int, country: str) -> int:
        """The slot of a country at stage k of mineral j (numbered in order of first use)."""
        return self.slots.setdefault((j, k, country), len(self.slots))

    def share(self, j: int, k: int, country: str) -> float:
        """The country's share of world capacity at stage k of mineral j (0 if none)."""
        return float(self.stage_shares[(j, k)].get(country, 0.0))

    def producing(
        self, e: int, minerals: list[str], stage: Stage, country: str
    ) -> list[tuple[str, int, int, float]]:
        """(mineral, column, stage index, share) of each simulated mineral the country
        produces at the stage; a stage without data or a country with no capacity there is a
        problem (nothing to cut)."""
        out = []
        k = STAGES.index(stage)
        for m in minerals:
            if m not in self.index:
                continue
            j = self.index[m]
            if not self.present[k, j]:
                have = ", ".join(st for st in STAGES if self.present[STAGES.index(st), j])
                where = f"{self.fields[e]}.stage"
                self.problems.append(
                    Problem(self.source, None, where, f"a stage of {m} with data: {have}", stage)
                )
                continue
            share = self.share(j, k, country)
            if share <= 0:
                self.problems.append(Problem(self.source, None, f"{self.fields[e]}.country",
                                             f"a country producing {m} at the {stage} stage",
                                             country))  # fmt: skip
                continue
            out.append((m, j, k, share))
        return out


@dataclass(frozen=True)
class Expansion:
    """What an ``expand`` step may read: the dataset, the simulated minerals, stage shares,
    the bloc's members."""

    ds: Any  # critmin.data.dataset.Dataset
    minerals: tuple[str, ...]
    stage_shares: dict[tuple[int, int], pd.Series]
    members: tuple[str, ...] = ()
    #: The share of world demand of some importers for a mineral (``φ``, docs/model.md §5).
    demand_share: Callable[[tuple[str, ...], str], float] | None = None


def single_magnitude(vals: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """The usual magnitude: the event's one drawn range (capacity loss, factor, share)."""
    return vals[:, 0], None


def no_ranges(ev: Any) -> tuple[Range, ...]:
    """An event with nothing uncertain to draw per sample."""
    return ()


@dataclass(frozen=True)
class EventSpec(Generic[E]):
    """One event type: its schema and its steps (see the module docstring)."""

    schema: type[E]
    compile: Callable[[E, int, Build], None] | None = None
    expand: Callable[[E, Expansion], list[EventModel]] | None = None
    ranges: Callable[[E], tuple[Range, ...]] = no_ranges
    magnitude: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray | None]] = single_magnitude
    timing: Callable[[np.random.Generator, int, int, list[E]], np.ndarray] | None = None
    #: (index, event) of this type in a scenario, and its horizon (first, last year).
    contradictions: Callable[[list[tuple[int, E]], tuple[int, int]], list[Contradiction]] | None = (
        None
    )

    @property
    def types(self) -> tuple[str, ...]:
        """The ``type`` values the schema accepts (its literal)."""
        return tuple(get_args(self.schema.model_fields["type"].annotation))


def fraction(ev: Timed, years: np.ndarray, lag_days: int = 0) -> np.ndarray:
    """Share of each year the event is in force (days in force / days in the year).

    ``lag_days`` shifts the window (start and end) later: the days a measure at a border
    takes to reach the market (material shipped before it keeps arriving, and after it ends
    the first new shipments are that long on the way).

    Examples
    --------
    >>> from critmin.sim.events.outage import Outage
    >>> ev = Outage(type="outage", country="COD", mineral="cobalt", stage="mine",
    ...             start=dt.date(2026, 7, 1), capacity_loss=0.5)
    >>> fraction(ev, np.array([2025, 2026, 2027])).round(3).tolist()
    [0.0, 0.504, 1.0]
    >>> fraction(ev, np.array([2026, 2027]), lag_days=92).round(3).tolist()
    [0.252, 1.0]
    """
    lag = dt.timedelta(days=lag_days)
    s, e = ev.start_date + lag, ev.end_date + lag
    out = np.zeros(len(years))
    for i, y in enumerate(years):
        a, b = max(s, dt.date(int(y), 1, 1)), min(e, dt.date(int(y), 12, 31))
        if b >= a:
            days = (dt.date(int(y) + 1, 1, 1) - dt.date(int(y), 1, 1)).days
            out[i] = ((b - a).days + 1) / days
    return out
