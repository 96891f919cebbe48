"""Table contracts of the critmin dataset, as data: each column's type, meaning and allowed values.

Every importer returns tidy tables that satisfy these contracts plus four provenance columns
(:data:`PROVENANCE_COLUMNS`: ``file``, ``row``, ``column``, ``cell``); the build moves those
into the ``provenance`` table and leaves a ``prov`` key in their place, so that every figure
can be traced to the file, row and original cell text it came from.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from critmin.data.cells import STATUSES
from critmin.data.errors import DataError, Problem

STAGES = ("mine", "refine")
MEASURES = ("production", "capacity", "reserves")
ENTITY_KINDS = ("country", "other", "world", "region")
WGI_INDICATORS = ("va", "pv", "ge", "rq", "rl", "cc")

#: Columns every importer adds to every row so the build can write the provenance table.
PROVENANCE_COLUMNS = ("file", "row", "column", "cell")


@dataclass(frozen=True)
class Column:
    """One column of a table contract."""

    name: str
    dtype: str  # "str", "int", "float"
    description: str
    nullable: bool = False
    allowed: tuple[str, ...] | None = None


_SOURCE = (
    Column("source", "str", "publication and edition, e.g. 'USGS MCS 2024'"),
    Column("edition", "int", "edition year of the publication"),
)
_FIGURE = (
    Column("value", "float", "the figure in `unit` (NaN unless a number was given)", True),
    Column("unit", "str", "critmin unit string (see critmin.data.units.UNITS)"),
    Column("status", "str", "what the figure is", allowed=STATUSES),
    Column("low", "float", "lower bound (bounds and ranges)", True),
    Column("high", "float", "upper bound (bounds and ranges)", True),
)

TABLES: dict[str, tuple[Column, ...]] = {
    "production": (
        Column("mineral", "str", "critmin mineral id (lowercase English)"),
        Column("stage", "str", "supply-chain stage", allowed=STAGES),
        Column("measure", "str", "production, capacity or reserves", allowed=MEASURES),
        Column("product", "str", "what is measured, as the source labels it"),
        Column("basis", "str", "chemical basis: Li, REO, Ta2O5, gross weight ..."),
        Column("entity", "str", "the source's name for the country or aggregate, cleaned"),
        Column("entity_kind", "str", "country or aggregate", allowed=ENTITY_KINDS),
        Column("country", "str", "ISO 3166 alpha-3 for countries, empty for aggregates", True),
        Column("year", "int", "data year"),
        *_FIGURE,
        *_SOURCE,
        Column("note", "str", "the source's note on the figure", True),
    ),
    "salient": (
        Column("mineral", "str", "critmin mineral id"),
        Column("commodity", "str", "the source's commodity label"),
        Column("year", "int", "data year"),
        Column("variable", "str", "the source's column name without the unit token"),
        Column(
            "category",
            "str",
            "what the variable measures",
            allowed=(
                "production",
                "imports",
                "exports",
                "consumption",
                "price",
                "stocks",
                "net_import_reliance",
                "employment",
                "shipments",
                "other",
            ),
        ),
        *_FIGURE,
        *_SOURCE,
    ),
    "import_reliance": (
        Column("mineral", "str", "critmin mineral id"),
        Column("commodity", "str", "the source's commodity label"),
        Column("year", "int", "data year"),
        *_FIGURE,
        Column("import_sources", "str", "major import sources, ISO3 separated by ';'", True),
        Column("sources_period", "str", "years the import sources cover, e.g. '2019-2022'", True),
        *_SOURCE,
    ),
    "import_sources": (
        Column("mineral", "str", "critmin mineral id"),
        Column("commodity", "str", "the source's commodity label"),
        Column("product", "str", "the form imported, as the source words it", True),
        Column("entity", "str", "the source's name for the country or aggregate, cleaned"),
        Column("entity_kind", "str", "country or aggregate", allowed=ENTITY_KINDS),
        Column("country", "str", "ISO 3166 alpha-3 for countries, empty for aggregates", True),
        Column("period", "str", "years the shares cover, e.g. '2021-24'"),
        Column("share", "float", "share of US imports, 0-1 (NaN for a bound)", True),
        Column("status", "str", "what the share is", allowed=STATUSES),
        Column("low", "float", "lower bound of the share (bounds)", True),
        Column("high", "float", "upper bound of the share (bounds)", True),
        *_SOURCE,
    ),
    "supply_outlook": (
        Column("mineral", "str", "critmin mineral id"),
        Column("stage", "str", "supply-chain stage", allowed=STAGES),
        Column("scenario", "str", "the source's case, e.g. 'Base case'"),
        Column("entity", "str", "the source's name for the country or aggregate, cleaned"),
        Column("entity_kind", "str", "country or aggregate", allowed=ENTITY_KINDS),
        Column("country", "str", "ISO 3166 alpha-3 for countries, empty for aggregates", True),
        Column("year", "int", "projection year"),
        *_FIGURE,
        *_SOURCE,
    ),
    "demand_outlook": (
        Column("mineral", "str", "critmin mineral id"),
        Column("scenario", "str", "the source's scenario: STEPS, APS, NZE"),
        Column("sector", "str", "end use or technology as the source labels it; 'total' for all"),
        Column("year", "int", "data or projection year"),
        *_FIGURE,
        *_SOURCE,
    ),
    "trade": (
        Column("year", "int", "trade year"),
        Column("exporter", "str", "ISO3 of the exporter", True),
        Column("importer", "str", "ISO3 of the importer", True),
        Column("exporter_code", "int", "BACI numeric country code of the exporter"),
        Column("importer_code", "int", "BACI numeric country code of the importer"),
        Column("hs", "str", "HS92 six-digit product code"),
        Column("value", "float", "trade value in thousand USD (BACI convention)", True),
        Column("quantity", "float", "quantity in tonnes (BACI convention)", True),
        *_SOURCE,
    ),
    "hs_codes": (
        Column("hs", "str", "HS six-digit product code"),
        Column("description", "str", "the source's product description", True),
        Column("mineral", "str", "critmin mineral id the code is used for", True),
        Column("stage", "str", "supply-chain stage the code belongs to", True, STAGES),
        *_SOURCE,
    ),
    "end_uses": (
        Column("mineral", "str", "critmin mineral id"),
        Column("commodity", "str", "the source's label"),
        Column("applications", "str", "primary applications as the source words them"),
        *_SOURCE,
    ),
    "wgi": (
        Column("country", "str", "ISO 3166 alpha-3"),
        Column("year", "int", "data year"),
        Column("indicator", "str", "WGI dimension", allowed=WGI_INDICATORS),
        Column("estimate", "float", "estimate, about -2.5 (worst) to 2.5 (best)", True),
        Column("stderr", "float", "standard error", True),
        Column("nsource", "float", "number of sources", True),
        Column("pctrank", "float", "percentile rank 0-100", True),
        *_SOURCE,
    ),
}


def check(df: pd.DataFrame, table: str, *, where: str | None = None) -> None:
    """Check a DataFrame against the contract of ``table``.

    Raises
    ------
    DataError
        Naming every missing column, wrong type, unexpected null and disallowed value.

    Examples
    --------
    >>> check(pd.DataFrame({"country": ["USA"]}), "wgi")
    Traceback (most recent call last):
    ...
    critmin.data.errors.DataError: table wgi, field 'year': expected a column of this table...
    """
    spec = TABLES[table]
    label = where or f"table {table}"
    problems: list[Problem] = []
    for col in spec:
        if col.name not in df.columns:
            problems.append(Problem(label, None, col.name, "a column of this table"))
            continue
        s = df[col.name]
        if not col.nullable and s.isna().any():
            i = int(s.isna().to_numpy().argmax())
            problems.append(Problem(label, i, col.name, "a value (column is not nullable)", "null"))
        nonnull = s.dropna()
        numeric_col = col.dtype in ("int", "float")
        if numeric_col and len(nonnull) and not pd.api.types.is_numeric_dtype(nonnull):
            problems.append(Problem(label, None, col.name, f"{col.dtype} values"))
        if col.allowed is not None and len(nonnull):
            bad = sorted(set(nonnull.astype(str)) - set(col.allowed))
            if bad:
                problems.append(Problem(label, None, col.name, f"one of {col.allowed}", bad[0]))
    if problems:
        raise DataError(problems)
