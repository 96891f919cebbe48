"""A mineral's profile: supply by stage, reserves, US statistics, import reliance, AI uses.

One long table (section, item, year, value, unit, status, source) so that it prints, exports
to CSV and serialises to JSON the same way.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from critmin.data.catalogue import MINERAL_IDS
from critmin.data.catalogue import mineral as catalogue_mineral
from critmin.data.dataset import Dataset
from critmin.metrics.concentration import shares, stage_concentration
from critmin.metrics.import_shares import import_share_rows
from critmin.metrics.restrictions import status_on

Row = dict[str, Any]


def _records(df: pd.DataFrame) -> list[Row]:
    return [{str(k): v for k, v in r.items()} for r in df.to_dict(orient="records")]


COLUMNS = ["section", "item", "year", "value", "unit", "status", "source"]


def _supply_rows(ds: Dataset, mid: str, top: int) -> list[Row]:
    out: list[Row] = []
    for stage in ("mine", "refine"):
        rows = ds.supply(mid, stage)
        if rows.empty:
            out.append({"section": f"{stage} production", "item": "insufficient data",
                        "status": "missing"})  # fmt: skip
            continue
        s = shares(rows)
        src, year, unit = (
            str(rows["source"].iloc[0]),
            int(rows["year"].iloc[0]),
            rows["unit"].iloc[0],
        )
        for r in _records(s.head(top)):
            share = r["share"]
            item = f"{r['entity']} ({share:.1%})" if share == share else str(r["entity"])
            out.append({"section": f"{stage} production", "item": item, "year": year,
                        "value": r["value"], "unit": unit, "status": r["status"],
                        "source": src})  # fmt: skip
        # The same HHI as `critmin risk --method hhi`: countries only, "Other countries"
        # taken as fragmented (metrics.concentration.stage_concentration).
        hhi = stage_concentration(rows)["hhi"]
        out.append({"section": f"{stage} production", "item": "HHI (0-1) of countries",
                    "year": year, "value": hhi, "unit": "",
                    "status": "modelled", "source": f"critmin, from {src}"})  # fmt: skip
    res = ds.supply(mid, "mine", measure="reserves")
    if not res.empty:
        s = shares(res)
        for r in _records(s.head(top)):
            out.append({"section": "reserves", "item": str(r["entity"]), "year": int(r["year"]),
                        "value": r["value"], "unit": r["unit"], "status": r["status"],
                        "source": r["source"]})  # fmt: skip
    return out


def _us_rows(ds: Dataset, mid: str) -> list[Row]:
    sal = ds.salient[ds.salient["mineral"] == mid]
    if sal.empty:
        return [{"section": "US salient statistics", "item": "insufficient data",
                 "status": "missing"}]  # fmt: skip
    # Newest edition wins for each variable and year (editions revise earlier years).
    sal = sal.sort_values("edition").drop_duplicates(["variable", "year"], keep="last")
    sal = sal.sort_values(["category", "variable", "year"])
    return [
        {"section": "US salient statistics", "item": r["variable"], "year": int(r["year"]),
         "value": r["value"], "unit": r["unit"], "status": r["status"], "source": r["source"]}
        for r in _records(sal)
    ]  # fmt: skip


def _period_label(period: str) -> str:
    """``2021-24`` → ``2021–24`` (the USGS's spelling of a period)."""
    return period.replace("-", "\u2013")


def _import_share_rows(ds: Dataset, mid: str) -> tuple[list[Row], set[str]]:
    """One row per import source with its share (one file, newest edition) and the periods.

    ``year`` is the last year of the period the section names (2021–24 → 2024).
    """
    rows = import_share_rows(ds, mid)
    out: list[Row] = []
    several = rows[["commodity", "product"]].drop_duplicates().shape[0] > 1
    for r in _records(rows):
        period = str(r["period"])
        head, _, tail = period.partition("-")
        end = int(head[: 4 - len(tail)] + tail) if tail.isdigit() else None
        what = str(r["commodity"]) + (f", {r['product']}" if isinstance(r["product"], str)
                                      and r["product"] else "")  # fmt: skip
        entity = str(r["entity"])
        if r["status"] == "bound":
            pct = f"<{r['high']:.0%}" if r["high"] == r["high"] else f">{r['low']:.0%}"
        else:
            pct = f"{r['share']:.0%}"
        label = "USGS MCS " + str(r["edition"])
        where = "Fig. 3" if "fig3" in str(r["file"]).lower() else "long file, Import Sources"
        share = r["share"] if r["share"] == r["share"] else r["high"]
        out.append({"section": f"US import sources {_period_label(period)}",
                    "item": (f"{what}: " if several else "") + f"{entity} ({pct})",
                    "year": end, "value": round(100.0 * share, 6), "unit": "%",
                    "status": r["status"], "source": f"{label} ({where})"})  # fmt: skip
    return out, {str(p) for p in rows["period"].unique()}


def _nir_rows(ds: Dataset, mid: str, with_shares: set[str]) -> list[Row]:
    nir = ds.import_reliance[ds.import_reliance["mineral"] == mid].sort_values("year")
    out: list[Row] = []
    for r in _records(nir):
        value = r["value"] if r["value"] == r["value"] else r["low"]  # a bound: its limit
        period = str(r["sources_period"] or "")
        if period and period in with_shares:
            item = f"major sources {period}: see US import sources {_period_label(period)}"
        else:
            item = f"major sources {period}: {r['import_sources'] or '—'}"
        out.append({"section": "US net import reliance", "item": item,
                    "year": int(r["year"]), "value": value, "unit": r["unit"],
                    "status": r["status"], "source": r["source"]})  # fmt: skip
    return out


def _score_rows(ds: Dataset, mid: str, as_of: dt.date) -> list[Row]:
    from critmin.metrics.composite import COMPONENTS, CompositeOptions, composite
    from critmin.metrics.eu import eu_assessment
    from critmin.metrics.usgs_style import usgs_style_risk

    out: list[Row] = []
    c = composite(ds, CompositeOptions(as_of=as_of)).set_index("mineral").loc[mid]
    out.append({"section": "scores", "item": f"composite AI exposure (rank {c['rank']} of "
                f"{len(MINERAL_IDS)})", "year": c["year"], "value": c["score"],
                "status": "modelled",
                "source": f"critmin composite, {c['basis']}"})  # fmt: skip
    for comp in COMPONENTS:
        out.append({"section": "scores", "item": f"  component: {comp}", "value": c[comp],
                    "status": "modelled" if c[comp] == c[comp] else "missing",
                    "source": "critmin composite"})  # fmt: skip
    eu = eu_assessment(ds).set_index("mineral").loc[mid]
    out.append({"section": "scores", "item": f"EU 2017 supply risk ({eu['stage_used']} stage)",
                "year": eu["year"], "value": eu["sr"], "status": "modelled",
                "source": f"EU 2017 method on critmin data; sourcing: {eu['sourcing']}; "
                f"proxies: {eu['proxies'] or 'none'}"})  # fmt: skip
    from critmin.metrics.geopolrisk import run_geopolrisk

    gpr, label = run_geopolrisk(ds, importer="USA")
    g = gpr[gpr["mineral"] == mid]
    if len(g):
        r = g.iloc[0]
        status = "modelled" if r["score"] == r["score"] else "missing"
        out.append({"section": "scores", "item": "GeoPolRisk score, importer USA",
                    "year": r["year"], "value": r["score"], "status": status,
                    "source": f"GeoPolRisk on {label}"})  # fmt: skip
    else:
        out.append({"section": "scores", "item": "GeoPolRisk score, importer USA",
                    "status": "missing",
                    "source": "no HS code maps trade to this mineral"})  # fmt: skip
    us = usgs_style_risk(ds).set_index("mineral").loc[mid]
    out.append({"section": "scores", "item": "USGS-style supply risk (approximation)",
                "year": us["year"], "value": us["score"], "status": "modelled",
                "source": "critmin approximation of the USGS 2022 method"})  # fmt: skip
    return out


def profile(ds: Dataset, mineral: str, top: int = 5, as_of: dt.date | None = None) -> pd.DataFrame:
    """Everything the dataset says about one mineral, as one long table.

    Raises
    ------
    KeyError
        For a mineral id that is not in the catalogue.
    """
    m = catalogue_mineral(mineral)
    rows: list[Row] = [
        {"section": "mineral", "item": f"{m.name}; basis: "
         + "; ".join(f"{k} {v}" for k, v in m.basis.items()), "unit": m.unit},
    ]  # fmt: skip
    as_of = as_of or dt.date.today()
    rows += _supply_rows(ds, mineral, top)
    rows += _score_rows(ds, mineral, as_of)
    shares, periods = _import_share_rows(ds, mineral)
    rows += _nir_rows(ds, mineral, periods)
    rows += shares
    rows += _us_rows(ds, mineral)
    uses = ds.ai_uses[ds.ai_uses["mineral"] == mineral]
    for r in _records(uses):
        rows.append({"section": "AI hardware uses", "item": r["component"],
                     "source": f"ai_bom.csv {r['bom_ids']}"})  # fmt: skip
    if uses.empty:
        rows.append({"section": "AI hardware uses", "item": "no sourced component",
                     "status": "missing"})  # fmt: skip
    restr = status_on(ds.restrictions, as_of)
    hit = restr[restr["minerals"].str.split(";").map(lambda ms: mineral in ms)]
    for r in _records(hit):
        rows.append({"section": "export restrictions", "item": f"{r['country']} "
                     f"{r['measure']} ({r['status']} on {as_of}): {r['scope']}",
                     "year": int(str(r["effective"])[:4]), "status": "reported",
                     "source": r["source"]})  # fmt: skip
    df = pd.DataFrame(rows, columns=COLUMNS)
    df["year"] = df["year"].astype("Int64")
    return df
