"""The episode library: historical supply measures with their observed price paths.

Each episode is a scenario file (``<name>.yaml``) of the measure as it happened, a row of
``episodes.csv`` (mineral, country, measure, start, the year of the price index's base, the
peak year compared, whether the episode is used to fit the market parameters, and the
observed export change with its source) and rows of ``observed.csv``: annual averages and dated
points of the price, each with its value, unit, price basis, the index against the base
price, and its source. No point is invented: a figure that could not be sourced is left out.

Examples
--------
>>> eps = load()
>>> len(eps) >= 8, len({e.mineral for e in eps}) >= 6
(True, True)
>>> ga = by_name()["gallium-2023"]
>>> ga.peak_year, round(ga.observed_peak, 2), ga.in_fit
(2024, 2.23, True)
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

from critmin.sim.scenario import Scenario, load_scenario

#: The kinds of observation (:attr:`Observation.kind`).
KINDS = ("annual", "point", "context")


@dataclass(frozen=True)
class Observation:
    """One observed price: annual average or a dated point, as an index on the base price."""

    #: "annual" (an annual average), "point" (a dated price) or "context": a figure kept for
    #: the record and not compared, because its period straddles the measure's announcement
    #: and its base is not the price just before it (decision 0039).
    kind: str
    year: int
    date: str
    value: str
    unit: str
    basis: str
    index: float
    base: str
    source: str


@dataclass(frozen=True)
class Episode:
    """A historical measure, its scenario and its observed price path."""

    name: str
    mineral: str
    country: str
    measure: str
    start: str
    base_year: int
    peak_year: int
    in_fit: bool
    export_change: float | None
    export_change_source: str
    notes: str
    scenario: Scenario
    observations: tuple[Observation, ...]

    @property
    def observed_peak(self) -> float:
        """The observed index the peak-year check uses (:meth:`observed`)."""
        return self.observed(self.peak_year)

    @property
    def compared(self) -> tuple[Observation, ...]:
        """The observations the validation compares (not the ``context`` ones)."""
        return tuple(o for o in self.observations if o.kind != "context")

    @property
    def years(self) -> tuple[int, ...]:
        """The years with an observation compared, in order."""
        return tuple(sorted({o.year for o in self.compared}))

    def observation(self, year: int) -> Observation:
        """The observation compared in ``year``: the annual average where there is one (the
        model's index is an annual mean: like with like, decision 0034), else the largest
        point."""
        rows = [o for o in self.compared if o.year == year]
        annual = [o for o in rows if o.kind == "annual"]
        return annual[0] if annual else max(rows, key=lambda o: o.index)

    def observed(self, year: int) -> float:
        """The observed index in ``year`` (:meth:`observation`)."""
        return self.observation(year).index

    def is_point(self, year: int) -> bool:
        """Whether the figure :meth:`observed` uses in ``year`` is a dated point (no annual
        average that year): the validation then compares it with the model's level during
        the months in force, not its annual mean (decision 0034)."""
        return not any(o.kind == "annual" for o in self.compared if o.year == year)


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files(__name__).joinpath(name).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def load() -> tuple[Episode, ...]:
    """Every episode of the library, in the order of ``episodes.csv``."""
    obs: dict[str, list[Observation]] = {}
    for i, r in enumerate(_rows("observed.csv"), start=2):
        if r["kind"] not in KINDS:
            raise ValueError(f"observed.csv, line {i}, field 'kind': expected one of {KINDS}, "
                             f"got {r['kind']!r}")  # fmt: skip
        obs.setdefault(r["episode"], []).append(
            Observation(
                r["kind"],
                int(r["year"]),
                r["date"],
                r["value"],
                r["unit"],
                r["basis"],
                float(r["index"]),
                r["base"],
                r["source"],
            )
        )
    out = []
    for r in _rows("episodes.csv"):
        name = r["episode"]
        with resources.as_file(resources.files(__name__).joinpath(f"{name}.yaml")) as path:
            scenario = load_scenario(path)
        out.append(
            Episode(
                name=name,
                mineral=r["mineral"],
                country=r["country"],
                measure=r["measure"],
                start=r["start"],
                base_year=int(r["base_year"]),
                peak_year=int(r["peak_year"]),
                in_fit=r["in_fit"] == "true",
                export_change=float(r["export_change"]) if r["export_change"] else None,
                export_change_source=r["export_change_source"],
                notes=r["notes"],
                scenario=scenario,
                observations=tuple(obs.get(name, ())),
            )
        )
    return tuple(out)


def by_name() -> dict[str, Episode]:
    """The episodes by name."""
    return {e.name: e for e in load()}
