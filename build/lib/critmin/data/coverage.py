"""What the dataset covers: per mineral, stage, measure and source, the years and countries."""

from __future__ import annotations

import pandas as pd

from critmin.data.catalogue import MINERAL_IDS
from critmin.data.dataset import Dataset


def coverage(ds: Dataset, *, catalogue_only: bool = True) -> pd.DataFrame:
    """One row per (mineral, stage, measure, source) with numeric country figures.

    Columns: ``years`` (first–last), ``n_years``, ``countries`` (with a number in the last
    year), ``withheld`` (country figures withheld in any year).

    Examples
    --------
    >>> from critmin import load
    >>> cov = coverage(load())
    >>> row = cov[(cov.mineral == "gallium") & (cov.source == "USGS MCS 2024")
    ...           & (cov.measure == "production")].iloc[0]
    >>> (row.stage, row.years)
    ('refine', '2022-2023')
    """
    prod = ds.production
    if catalogue_only:
        prod = prod[prod["mineral"].isin(MINERAL_IDS)]
    c = prod[prod["entity_kind"] == "country"]
    num = c[c["value"].notna()]
    key = ["mineral", "stage", "measure", "source"]
    g = num.groupby(key)
    out = pd.DataFrame(
        {
            "first": g["year"].min(),
            "last": g["year"].max(),
            "n_years": g["year"].nunique(),
        }
    ).reset_index()
    at_last = num.merge(out[[*key, "last"]], on=key)
    at_last = at_last[at_last["year"] == at_last["last"]]
    n_last = at_last.groupby(key)["country"].nunique().rename("countries").reset_index()
    out = out.merge(n_last, on=key, how="left")
    withheld = c[c["status"] == "withheld"].groupby(key).size().rename("withheld").reset_index()
    out = out.merge(withheld, on=key, how="left")
    out["withheld"] = out["withheld"].fillna(0).astype(int)
    out["years"] = out["first"].astype(str) + "-" + out["last"].astype(str)
    order = {m: i for i, m in enumerate(MINERAL_IDS)}
    out["_o"] = out["mineral"].map(order)
    out = out.sort_values(["_o", "stage", "measure", "source"]).drop(columns=["_o"])
    return out[[*key, "years", "n_years", "countries", "withheld"]].reset_index(drop=True)
