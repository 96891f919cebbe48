"""The mineral overview: one line per catalogue mineral, what an analyst checks first."""

from __future__ import annotations

import math

import pandas as pd

from critmin.data.catalogue import MINERALS
from critmin.data.dataset import Dataset
from critmin.metrics.concentration import shares, top_producer

STAGES = ("mine", "refine")


def _us_production_row(ds: Dataset, mineral: str) -> pd.Series | None:
    """The US production row of the newest year and edition (any stage), or None."""
    prod = ds.production
    us = prod[
        (prod["mineral"] == mineral)
        & (prod["country"] == "USA")
        & (prod["measure"] == "production")
        & prod["source"].str.startswith("USGS")
    ]
    if us.empty:
        return None
    return us.sort_values(["year", "edition"], ascending=False).iloc[0]


def us_production_status(ds: Dataset, mineral: str) -> tuple[str, int | None]:
    """The newest USGS word on US production of a mineral: producing, withheld, none or unknown.

    Looks at the US rows of the ``production`` table (any stage, newest year and edition).
    """
    row = _us_production_row(ds, mineral)
    if row is None:
        return "unknown", None
    year = int(row["year"])
    if row["status"] == "withheld":
        return "withheld", year
    if row["status"] in ("missing", "qualitative", "included_elsewhere"):
        return "unknown", year
    value = float(row["value"]) if not math.isnan(row["value"]) else None
    if value == 0:
        return "none", year
    return "producing", year


def us_production_source(ds: Dataset, mineral: str) -> str | None:
    """Source (edition) of the row :func:`us_production_status` reads; None without one."""
    row = _us_production_row(ds, mineral)
    return None if row is None else str(row["source"])


def latest_import_reliance(ds: Dataset, mineral: str) -> dict[str, object]:
    """Newest US net import reliance of a mineral (value in percent or bound, year, source).

    The same reading as every method's (:func:`critmin.metrics.import_reliance.us_import_reliance`).
    """
    from critmin.metrics.import_reliance import us_import_reliance

    ir = us_import_reliance(ds, mineral)
    if ir.year is None:
        return {"value": None, "text": "insufficient data", "year": None, "source": None}
    value = None if ir.value is None or ir.bound else round(100.0 * ir.value, 10)
    return {"value": value, "text": ir.text, "year": ir.year, "source": ir.source}


def overview(ds: Dataset) -> pd.DataFrame:
    """One row per catalogue mineral with stages, basis, AI uses, US status, NIR, top producers."""
    minerals = ds.minerals.set_index("mineral")
    rows = []
    for m in MINERALS:
        rec: dict[str, object] = {"mineral": m.id, "name": m.name}
        stages = []
        for stage in STAGES:
            # Only the stages the catalogue defines for the mineral (boron's "refined
            # borates" line is one German plant, not a refining stage of boron supply).
            sup = ds.supply(m.id, stage) if stage in m.basis else ds.production.iloc[0:0]
            if sup.empty:
                rec[f"{stage}_top"] = None
                rec[f"{stage}_top_share"] = None
                rec[f"{stage}_year"] = None
                rec[f"{stage}_source"] = None
                continue
            stages.append(stage)
            top, share = top_producer(shares(sup))
            rec[f"{stage}_top"] = top
            rec[f"{stage}_top_share"] = None if math.isnan(share) else round(share, 4)
            rec[f"{stage}_year"] = int(sup["year"].iloc[0])
            rec[f"{stage}_source"] = str(sup["source"].iloc[0])
        rec["stages"] = ";".join(stages)
        rec["unit"] = m.unit
        rec["basis"] = "; ".join(f"{k}: {v}" for k, v in m.basis.items())
        comps = minerals.loc[m.id, "ai_components"] if m.id in minerals.index else None
        rec["ai_uses"] = comps if isinstance(comps, str) else None
        status, year = us_production_status(ds, m.id)
        rec["us_production"] = status
        rec["us_production_year"] = year
        rec["us_production_source"] = us_production_source(ds, m.id)
        nir = latest_import_reliance(ds, m.id)
        rec["net_import_reliance"] = nir["text"]
        rec["net_import_reliance_year"] = nir["year"]
        rec["net_import_reliance_source"] = nir["source"]
        rows.append(rec)
    cols = [
        "mineral", "name", "stages", "unit", "basis", "ai_uses", "us_production",
        "us_production_year", "net_import_reliance", "net_import_reliance_year",
        "mine_top", "mine_top_share", "mine_year", "mine_source",
        "refine_top", "refine_top_share", "refine_year", "refine_source",
        "us_production_source", "net_import_reliance_source",
    ]  # fmt: skip
    df = pd.DataFrame(rows, columns=cols)
    for c in ("us_production_year", "net_import_reliance_year", "mine_year", "refine_year"):
        df[c] = df[c].astype("Int64")
    return df
