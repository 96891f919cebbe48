"""How robust a score or a ranking is: the same score under defensible alternative choices.

Each alternative changes one or more of the choices behind a score (data year, data source,
stage, WGI dimension); the result gives, per mineral, the score under the default choices,
its lowest and highest value across the alternatives, and the best and worst rank.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import replace

import pandas as pd

from critmin.data.dataset import Dataset
from critmin.metrics.composite import CompositeOptions, composite

Alternative = tuple[str, CompositeOptions]


def default_alternatives(ds: Dataset, base: CompositeOptions) -> list[Alternative]:
    """The alternatives critmin varies by default.

    Data year (the latest and the one before, from the USGS), source (USGS, World Mining
    Data, IEA, each where it has data), stage (bottleneck, mine, refine) and governance
    dimension (political stability alone, or the mean of the six).
    """
    usgs = ds.production[ds.production["source"].str.startswith("USGS")]
    latest = int(usgs.loc[usgs["value"].notna(), "year"].max())
    alts: list[Alternative] = [("default", base)]
    alts.append((f"data year {latest - 1}", replace(base, year=latest - 1)))
    for src in ("USGS MCS", "World Mining Data", "IEA"):
        alts.append((f"source {src}", replace(base, source=src)))
    for stage in ("mine", "refine"):
        alts.append((f"stage {stage}", replace(base, stage=stage)))
    alts.append(("WGI mean of six", replace(base, wgi_indicator="mean6")))
    return alts


def score_ranges(
    ds: Dataset,
    base: CompositeOptions | None = None,
    alternatives: Iterable[Alternative] | None = None,
    scorer: Callable[[Dataset, CompositeOptions], pd.DataFrame] = composite,
) -> pd.DataFrame:
    """Per mineral: default score and rank, and their range across the alternatives.

    Returns
    -------
    pandas.DataFrame
        mineral, score, rank, score_low, score_high, rank_best, rank_worst, n_alternatives
        (alternatives that scored the mineral on the same components as the default),
        low_under / high_under (which alternative gave the extreme). Ranks are within each
        alternative's own ranking.
    """
    base = base or CompositeOptions(as_of=dt.date.today())
    alts = list(alternatives) if alternatives is not None else default_alternatives(ds, base)
    runs = []
    for name, opts in alts:
        r = scorer(ds, opts)[["mineral", "score", "rank", "missing"]].copy()
        r["alternative"] = name
        runs.append(r)
    allr = pd.concat(runs, ignore_index=True)
    # An alternative counts for a mineral only when it has the same components as the
    # default: a source without data for it is no alternative view of it.
    base_missing = allr[allr["alternative"] == "default"].set_index("mineral")["missing"]
    same = allr["missing"].to_numpy() == allr["mineral"].map(base_missing).to_numpy()
    scored = allr[same].dropna(subset=["score"]).reset_index(drop=True)
    g = scored.groupby("mineral")
    lo = scored.loc[g["score"].idxmin()].set_index("mineral")["alternative"]
    hi = scored.loc[g["score"].idxmax()].set_index("mineral")["alternative"]
    out = pd.DataFrame(
        {
            "score_low": g["score"].min(),
            "score_high": g["score"].max(),
            "rank_best": g["rank"].min(),
            "rank_worst": g["rank"].max(),
            "n_alternatives": g["score"].size(),
            "low_under": lo,
            "high_under": hi,
        }
    )
    default = allr[allr["alternative"] == "default"].set_index("mineral")[["score", "rank"]]
    out = default.join(out, how="left").reset_index()
    return out.sort_values(["rank", "mineral"]).reset_index(drop=True)
