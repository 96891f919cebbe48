"""What the AI build-out needs: mineral demand per year, in context, at end of life."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd

from critmin.analysis.errors import QueryError
from critmin.data.dataset import Dataset, load
from critmin.demand.years import DEFAULT_YEARS

if TYPE_CHECKING:
    # Only named in annotations: a cached answer needs no scenario models (decision 0027).
    from critmin.demand.buildout import Scenario as DemandScenario

View = Literal["demand", "context", "eol", "replacement"]
#: Years a demand question may ask about (the build-out tables and lifetimes cover these).
YEAR_RANGE = (2015, 2060)


@dataclass(frozen=True)
class DemandTable:
    """Demand rows and the title that says which view and scenario they are."""

    title: str
    frame: pd.DataFrame


def demand_scenario(name: str, *, files: bool = True) -> DemandScenario:
    """A built-in build-out scenario by name or alias, or (``files``) a scenario YAML file.

    The service passes ``files=False``: a request never names a path on the server.

    Raises
    ------
    QueryError
        An unknown built-in name (an ``invalid`` option), with the known ones.
    """
    from critmin.demand.buildout import load_scenario, scenario

    if files and _is_file(name):
        return load_scenario(Path(name))
    try:
        return scenario(name)
    except KeyError as e:
        raise QueryError(str(e.args[0]), "invalid", "scenario") from e


def ai_demand_table(
    scenario: str | DemandScenario = "base",
    start: int = DEFAULT_YEARS[0],
    end: int = DEFAULT_YEARS[-1],
    *,
    by: str = "mineral",
    view: View = "demand",
    intensities: Path | None = None,
    ds: Dataset | None = None,
) -> DemandTable:
    """Mineral demand of the AI build-out per year, in one of four views.

    ``demand``: low / central / high t per year and mineral (or component, ``by``);
    ``context``: beside world demand; ``eol``: installed base, retirements, recoverable metal;
    ``replacement``: plus like-for-like replacement of what retires (the stock is modelled
    from the build-out's first year whatever ``start`` says, so retirements have a history).

    Raises
    ------
    QueryError
        Years outside the range or in the wrong order, an unknown ``by`` or scenario.

    Examples
    --------
    >>> t = ai_demand_table("base", 2030, 2030)
    >>> t.frame.columns.tolist()
    ['year', 'mineral', 'low', 'central', 'high', 'driver']
    """
    lo, hi = YEAR_RANGE
    for field, y in (("start", start), ("end", end)):
        if not lo <= y <= hi:
            raise QueryError(f"{field}: {y} is outside {lo}–{hi}", "invalid", field)
    if end < start:
        raise QueryError(f"end: {end} is before start {start}", "invalid", "end")
    if by not in ("mineral", "component"):
        raise QueryError(f"by must be mineral or component, not {by!r}", "invalid", "by")
    if isinstance(scenario, str) and intensities is None and not _is_file(scenario):
        # A built-in scenario on package data: the table is stored on disk (decision 0027).
        d = ds if ds is not None else load()
        key = ("analysis.demand", scenario, start, end, by, view)
        table: DemandTable = d.stored(
            key, lambda: _demand_table(scenario, start, end, by, view, None, ds)
        )
        return DemandTable(table.title, table.frame.copy())
    return _demand_table(scenario, start, end, by, view, intensities, ds)


def _is_file(name: str) -> bool:
    return Path(name).suffix in (".yaml", ".yml")


def _demand_table(
    scenario: str | DemandScenario,
    start: int,
    end: int,
    by: str,
    view: View,
    intensities: Path | None,
    ds: Dataset | None,
) -> DemandTable:
    from critmin.demand.bom import load_intensities

    sc = demand_scenario(scenario) if isinstance(scenario, str) else scenario
    inten = load_intensities(intensities) if intensities else None
    years = range(start, end + 1)
    if view == "replacement":
        from critmin.demand.summary import with_replacement

        first = min(start, DEFAULT_YEARS[0])
        df = with_replacement(sc, range(first, end + 1), inten)
        df = df[df["year"] >= start].reset_index(drop=True)
        title = (f"AI demand with replacement of equipment retired since {first} "
                 f"(t, central), {sc.name}")  # fmt: skip
    elif view == "eol":
        from critmin.demand.summary import end_of_life

        df = end_of_life(sc, years, inten)
        title = f"AI hardware in use, retiring and recoverable (t), {sc.name}"
    elif view == "context":
        from critmin.demand.demand import ai_demand, world_context

        df = world_context(ds if ds is not None else load(), ai_demand(sc, inten, years))
        title = f"AI demand beside world demand, {sc.name}"
    else:
        from critmin.demand.summary import demand_by

        df = demand_by(sc, years, by, inten)
        title = f"AI demand (t), {sc.name}: low / central / high"
    return DemandTable(title, df)


def company_demand(bom: Path, plan: Path, ds: Dataset | None = None) -> pd.DataFrame:
    """A company's own mineral demand from its BOM and production plan, and where those
    minerals come from."""
    from critmin.demand import bom as bom_mod

    b, p = bom_mod.read_company_bom(bom), bom_mod.read_production_plan(plan)
    return bom_mod.company_exposure(b, p, ds if ds is not None else load())
