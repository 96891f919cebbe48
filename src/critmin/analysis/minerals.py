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


#: The columns of a production history (docs/cli-json.md).
HISTORY_COLUMNS = [
    "year", "producer", "entity", "value", "unit", "share", "status", "mineral", "stage",
    "basis", "source", "edition",
]  # fmt: skip
REST = "Rest of world"


@dataclass(frozen=True)
class ProductionHistory:
    """Production of one mineral at one stage, year by year: the largest producers and the
    rest of the world, from one family of sources.

    ``rows`` has one row per year and producer (``producer`` an ISO3 code, or
    :data:`REST` for every other country plus the source's "Other countries"); never the
    source's world total. ``value`` is missing (NaN) where a top producer has no figure that
    year, never zero. ``family`` is the source family (USGS MCS, IEA, World Mining Data) of
    the latest year's table; each year comes from its newest edition (``source``), so a year
    reads as ``critmin supply MINERAL --year Y --source FAMILY`` shows it.
    """

    mineral: str
    stage: str
    unit: str
    basis: str
    family: str
    top: tuple[str, ...]
    rows: pd.DataFrame


def production_history(
    mineral: str, stage: str = "mine", *, top: int = 5, ds: Dataset | None = None
) -> ProductionHistory:
    """Production by country over every year one source family reports, through the
    dataset's latest year: the ``top`` producers of the latest year and the rest of the world.

    One family only (the one of the latest year's :func:`supply_table`): families count on
    different bases (World Mining Data gives lithium as Li2O, USGS as Li content), so mixing
    them would draw a break as a change. A year whose basis or unit differs from the latest
    year's is left out rather than converted by assumption.

    Raises
    ------
    QueryError
        An unknown mineral or stage, ``top`` below 1, or no production data at the stage.

    Examples
    --------
    >>> h = production_history("cobalt", "mine", top=3)
    >>> h.family, h.top[0], int(h.rows["year"].max()) >= 2025
    ('USGS MCS', 'COD', True)
    >>> sorted(set(h.rows["producer"]))[-1]
    'Rest of world'
    """
    from critmin.data.dataset import SOURCE_PREFERENCE

    if top < 1:
        raise QueryError(f"top must be at least 1, not {top}", "invalid", "top")
    d = _ds(ds)
    latest = supply_table(mineral, stage, ds=d)
    family = next((p for p in SOURCE_PREFERENCE if latest.source.startswith(p)), latest.source)
    prod = d.production
    years = sorted({int(y) for y in prod.loc[
        (prod["mineral"] == mineral) & (prod["stage"] == stage)
        & (prod["measure"] == "production") & (prod["entity_kind"] == "country")
        & prod["value"].notna() & prod["source"].str.startswith(family), "year"]})  # fmt: skip
    years = [y for y in years if y <= latest.year]
    last = latest.rows[latest.rows["country"].notna()].dropna(subset=["value"])
    leaders = tuple(str(c) for c in last.nlargest(top, "value")["country"])
    frames = []
    for y in years:
        t = latest if y == latest.year else supply_table(mineral, stage, y, source=family, ds=d)
        if t.unit != latest.unit or t.basis != latest.basis:
            continue
        r = t.rows
        is_top = r["country"].isin(leaders)
        for c in leaders:
            hit = r[r["country"] == c]
            frames.append({
                "year": y, "producer": c,
                "entity": str(hit["entity"].iloc[0]) if len(hit) else c,
                "value": float(hit["value"].iloc[0]) if len(hit) else float("nan"),
                "share": float(hit["share"].iloc[0]) if len(hit) else float("nan"),
                "status": str(hit["status"].iloc[0]) if len(hit) else "missing",
                "source": t.source,
            })  # fmt: skip
        rest = r[~is_top]
        statuses = sorted(set(rest["status"].dropna().astype(str)))
        frames.append({
            "year": y, "producer": REST, "entity": REST,
            "value": float(rest["value"].sum(min_count=1)) if len(rest) else 0.0,
            "share": float(rest["share"].sum(min_count=1)) if len(rest) else 0.0,
            "status": statuses[0] if len(statuses) == 1 else ", ".join(statuses) or "reported",
            "source": t.source,
        })  # fmt: skip
    rows = pd.DataFrame(frames)
    rows = rows.assign(unit=latest.unit, mineral=mineral, stage=stage, basis=latest.basis,
                       edition=rows["source"].str.extract(r"(\d{4})", expand=False)
                       .astype("Int64"))  # fmt: skip
    return ProductionHistory(mineral, stage, latest.unit, latest.basis, family, leaders,
                             rows[HISTORY_COLUMNS].reset_index(drop=True))  # fmt: skip


#: The columns of a price history (docs/cli-json.md).
PRICE_COLUMNS = [
    "mineral", "product", "year", "value", "unit", "basis", "usd_per_t", "status", "source",
    "edition",
]  # fmt: skip


def price_history(mineral: str, ds: Dataset | None = None) -> pd.DataFrame:
    """The USGS price of a mineral year by year, through the latest year its series has.

    The series :func:`critmin.data.prices.price_table` follows for the mineral (each year
    from the newest USGS edition reporting it; ``value`` and ``unit`` as reported,
    ``usd_per_t`` per tonne of ``basis``), read from every year the dataset holds.

    Raises
    ------
    QueryError
        An unknown mineral, or one without a sourced price (``insufficient data``, with the
        reason).

    Examples
    --------
    >>> p = price_history("gallium")
    >>> p[p.year == 2023][["value", "unit", "source"]].values.tolist()
    [[290.0, 'USD/kg', 'USGS MCS 2024']]
    """
    table = _prices(_ds(ds), mineral)
    ok = table[table["year"].notna()]
    if ok.empty:
        why = str(table["conversion"].iloc[0]) if len(table) else "no USGS price series"
        raise QueryError(f"insufficient data: no sourced price of {mineral} ({why})",
                         "insufficient data", "mineral")  # fmt: skip
    return ok[PRICE_COLUMNS].reset_index(drop=True)


def _prices(d: Dataset, mineral: str) -> pd.DataFrame:
    check_mineral(mineral, d)

    def compute() -> pd.DataFrame:
        from critmin.data.prices import YEARS, price_table

        # Through the latest year any USGS edition of the dataset reports (not a fixed end).
        last = int(pd.to_numeric(d.salient["year"], errors="coerce").max())
        return price_table(d, range(YEARS.start, max(last, YEARS.stop - 1) + 1))

    table: pd.DataFrame = d.stored(("analysis.prices",), compute)
    return table[table["mineral"] == mineral].copy()
