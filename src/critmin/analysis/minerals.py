"""Where each mineral comes from: the overview, supply by country, concentration, profiles."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import pandas as pd

from critmin.analysis.errors import QueryError
from critmin.data.catalogue import MINERAL_IDS
from critmin.data.dataset import Dataset, load

STAGES = ("mine", "refine")
MEASURES = ("production", "capacity", "reserves")
#: The columns of a supply table, in order (docs/cli-json.md).
SUPPLY_COLUMNS = [
    "country", "entity", "value", "unit", "share", "status", "low", "high", "year",
    "mineral", "stage", "measure", "basis", "source", "prov",
]  # fmt: skip


def _ds(ds: Dataset | None) -> Dataset:
    return ds if ds is not None else load()


def check_mineral(mineral: str, ds: Dataset | None = None) -> str:
    """``mineral`` if critmin knows it (the catalogue, or a commodity with data), else an
    ``unknown`` :class:`QueryError` listing the catalogue.

    Examples
    --------
    >>> check_mineral("cobalt")
    'cobalt'
    """
    if mineral in MINERAL_IDS:
        return mineral
    if mineral in set(_ds(ds).production["mineral"]):
        return mineral
    raise QueryError(
        f"unknown mineral {mineral!r}; AI-critical minerals: {', '.join(MINERAL_IDS)}",
        "unknown",
        "mineral",
    )


def _check_choice(value: str, allowed: tuple[str, ...], field: str) -> None:
    if value not in allowed:
        raise QueryError(
            f"{field} must be {', '.join(allowed[:-1])} or {allowed[-1]}, not {value!r}",
            "invalid",
            field,
        )


@dataclass(frozen=True)
class SupplyTable:
    """Producers of one mineral at one stage, measure and year, from one source.

    ``rows`` has one row per country and one per "Other countries" aggregate (never the
    source's world total), with ``share`` of their sum (docs/decisions/0003), largest first;
    ``world_total`` is the total as the source reports it (NaN when it reports none) and
    ``world_note`` the source's note on it (why there is none, what it excludes). ``basis``
    names every basis when countries report on different ones (boron, decision 0017).
    """

    mineral: str
    stage: str
    measure: str
    year: int
    basis: str
    unit: str
    source: str
    world_total: float
    rows: pd.DataFrame
    world_note: str | None = None


def supply_table(
    mineral: str,
    stage: str = "mine",
    year: int | None = None,
    *,
    measure: str = "production",
    source: str | None = None,
    ds: Dataset | None = None,
) -> SupplyTable:
    """Production (or capacity, reserves) by country with shares, as every face shows it.

    ``year`` defaults to the latest year of the preferred source, ``source`` to the
    preferred source (:meth:`critmin.data.dataset.Dataset.supply`).

    Raises
    ------
    QueryError
        An unknown mineral or stage, or no source giving the figure (``insufficient data``).

    Examples
    --------
    >>> t = supply_table("cobalt", "mine", 2023, source="USGS MCS 2024")
    >>> t.rows["share"].sum().round(6), t.rows.iloc[0]["country"]
    (np.float64(1.0), 'COD')
    """
    _check_choice(stage, STAGES, "stage")
    _check_choice(measure, MEASURES, "measure")
    ds = _ds(ds)
    check_mineral(mineral, ds)
    key = ("analysis.supply", mineral, stage, year, measure, source)
    d = ds
    t: SupplyTable = d.stored(key, lambda: _supply_table(d, mineral, stage, year, measure, source))
    return replace(t, rows=t.rows.copy())


def _supply_table(
    ds: Dataset, mineral: str, stage: str, year: int | None, measure: str, source: str | None
) -> SupplyTable:
    from critmin.metrics.concentration import shares, table_basis, world_note, world_total

    rows = ds.supply(mineral, stage, year, measure=measure, source=source)
    if rows.empty:
        raise QueryError(
            f"insufficient data: no source gives {measure} of {mineral} at the {stage} stage"
            + (f" for {year}" if year else "")
            + (f" in {source}" if source else ""),
            "insufficient data",
        )
    first = rows.iloc[0]
    return SupplyTable(
        mineral=mineral,
        stage=stage,
        measure=measure,
        year=int(first["year"]),
        basis=table_basis(rows),
        unit=str(first["unit"]),
        source=str(first["source"]),
        world_total=world_total(rows),
        rows=shares(rows)[SUPPLY_COLUMNS],
        world_note=world_note(rows),
    )


def concentration(
    stage: str = "bottleneck",
    year: int | None = None,
    *,
    source: str | None = None,
    ds: Dataset | None = None,
) -> pd.DataFrame:
    """HHI, top producers and China's share per mineral at a stage (or each one's bottleneck).

    The same table as ``critmin risk --method hhi``.
    """
    from critmin.analysis.risk import supply_risk

    return supply_risk("hhi", stage=stage, year=year, source=source, ds=ds).frame


def minerals_overview(ds: Dataset | None = None) -> pd.DataFrame:
    """One row per catalogue mineral: stages, AI uses, US status, import reliance, top
    producers (computed once per dataset)."""
    d = _ds(ds)

    def compute() -> pd.DataFrame:
        from critmin.metrics.overview import overview

        return overview(d)

    frame: pd.DataFrame = d.stored(("analysis.overview",), compute)
    return frame.copy()


def mineral_profile(
    mineral: str, top: int = 5, as_of: dt.date | None = None, ds: Dataset | None = None
) -> pd.DataFrame:
    """Everything the dataset says about one mineral, as one long table
    (section, item, year, value, unit, status, source)."""
    if mineral not in MINERAL_IDS:
        raise QueryError(
            f"unknown mineral {mineral!r}; AI-critical minerals: {', '.join(MINERAL_IDS)}",
            "unknown",
            "mineral",
        )
    if top < 1:
        raise QueryError(f"top must be at least 1, not {top}", "invalid", "top")
    d = _ds(ds)

    def compute() -> pd.DataFrame:
        from critmin.metrics.profile import profile

        return profile(d, mineral, top, as_of)

    # as_of None means "today": the key says which day, so a stored profile is not stale.
    key = ("analysis.profile", mineral, top, as_of or dt.date.today())
    frame: pd.DataFrame = d.stored(key, compute)
    return frame.copy()
