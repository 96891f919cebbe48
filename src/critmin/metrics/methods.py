"""One entry point for every risk method, as ``critmin risk`` and the service call them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from critmin.data.dataset import Dataset
from critmin.metrics.geopolrisk import run_geopolrisk

METHODS = ("hhi", "geopolrisk", "eu", "usgs", "composite")


def _stage_view(table: pd.DataFrame, stage: str) -> pd.DataFrame:
    from critmin.metrics.concentration import bottleneck

    if stage in ("mine", "refine"):
        return table[table["stage"] == stage].reset_index(drop=True)
    bn = bottleneck(table)[["mineral", "bottleneck", "gap", "leaders_differ"]]
    t = table.merge(bn, on="mineral")
    t = t[(t["stage"] == t["bottleneck"]) | t["bottleneck"].isna() & (t["stage"] == "mine")]
    return t.drop(columns=["bottleneck"]).reset_index(drop=True)


def run(
    ds: Dataset,
    method: str,
    *,
    importer: str | list[str] = "USA",
    year: int | list[int] | None = None,
    stage: str = "bottleneck",
    source: str | None = None,
    as_of: dt.date | None = None,
    weights: dict[str, float] | None = None,
    ranges: bool = False,
    regions_file: Path | None = None,
    gpr_data: Path | None = None,
) -> tuple[pd.DataFrame, str]:
    """Run one method; returns the table (one row per mineral) and a title for it."""
    as_of = as_of or dt.date.today()
    if (not isinstance(importer, str) or isinstance(year, list)) and (
        method != "geopolrisk" or ranges
    ):
        raise ValueError("several importers or years are for --method geopolrisk (no --ranges)")
    if method == "geopolrisk" and not ranges:
        t, label = run_geopolrisk(ds, importer=importer, year=year, regions_file=regions_file,
                                  gpr_data=gpr_data)  # fmt: skip
        names = importer if isinstance(importer, str) else ", ".join(importer)
        return t, f"GeoPolRisk for {names}, {label}"
    assert isinstance(importer, str) and not isinstance(year, list)
    if ranges and method != "composite":
        from critmin.metrics.uncertainty import method_ranges

        return method_ranges(ds, method, importer), f"{method}: score ranges across alternatives"
    if method == "hhi":
        from critmin.metrics.concentration import concentration_table

        t = _stage_view(concentration_table(ds, year=year, source=source), stage)
        return t, f"Concentration by mineral ({stage} stage)"
    if method == "composite":
        from critmin.metrics.composite import CompositeOptions, composite
        from critmin.metrics.uncertainty import score_ranges

        opts = CompositeOptions(year=year, source=source, stage=stage, as_of=as_of)
        if weights:
            opts = CompositeOptions(weights=weights, year=year, source=source, stage=stage,
                                    as_of=as_of)  # fmt: skip
        if ranges:
            return score_ranges(ds, opts), "Composite AI-exposure score: ranges"
        return composite(ds, opts), f"Composite AI-exposure score (restrictions as of {as_of})"
    if method == "eu":
        from critmin.metrics.eu import eu_assessment

        t = eu_assessment(ds, importer=importer, year=year, stage=stage)
        t = t.sort_values("sr", ascending=False, na_position="last").reset_index(drop=True)
        return t, f"EU 2017 method: supply risk for {importer} (EI needs data critmin lacks)"
    if method == "usgs":
        from critmin.metrics.usgs_style import usgs_style_risk

        t = usgs_style_risk(ds, year=year)
        t = t.sort_values("score", ascending=False, na_position="last").reset_index(drop=True)
        return t, "USGS-style supply risk: an approximation, not the USGS's published scores"
    raise ValueError(f"unknown method {method!r}; methods: {', '.join(METHODS)}")
