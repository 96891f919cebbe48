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


def _latest_usgs_year(ds: Dataset) -> int:
    usgs = ds.production[ds.production["source"].str.startswith("USGS")]
    return int(usgs.loc[usgs["value"].notna(), "year"].max())


def method_ranges(ds: Dataset, method: str, importer: str = "USA") -> pd.DataFrame:
    """Score ranges for the published methods across the alternatives each one admits.

    * ``hhi``: bottleneck-stage HHI under each source (USGS, World Mining Data, IEA) and the
      latest and previous data year, and with "Other countries" counted as one producer.
    * ``eu`` and ``usgs``: the latest and previous data year (each method's own stage rule).
    * ``geopolrisk``: the last three trade years with production data.

    Returns
    -------
    pandas.DataFrame
        mineral, score (default choices), score_low, score_high, n_alternatives.
    """
    from critmin.metrics.concentration import bottleneck, concentration_table

    latest = _latest_usgs_year(ds)
    runs: list[pd.DataFrame] = []
    if method == "hhi":
        for src in (None, "USGS MCS", "World Mining Data", "IEA"):
            for year in (None, latest - 1):
                t = concentration_table(ds, year=year, source=src)
                bn = bottleneck(t)[["mineral", "hhi"]].rename(columns={"hhi": "score"})
                bn["alternative"] = f"{src or 'preferred'} {year or 'latest'}"
                runs.append(bn)
                if src is None and year is None:
                    up = t.groupby("mineral")["hhi_upper"].max().rename("score").reset_index()
                    up["alternative"] = "other countries as one producer"
                    runs.append(up)
    elif method in ("eu", "usgs"):
        from critmin.metrics.eu import eu_assessment
        from critmin.metrics.usgs_style import usgs_style_risk

        for year in (None, latest - 1):
            if method == "eu":
                t = eu_assessment(ds, importer=importer, year=year)[["mineral", "sr"]]
                t = t.rename(columns={"sr": "score"})
            else:
                t = usgs_style_risk(ds, year=year)[["mineral", "score"]]
            t = t.copy()
            t["alternative"] = f"data year {year or 'latest'}"
            runs.append(t)
    elif method == "geopolrisk":
        from critmin.metrics.geopolrisk import run_geopolrisk

        base, _ = run_geopolrisk(ds, importer=importer)
        last = int(base["year"].iloc[0])
        for year in (last, last - 1, last - 2):
            t, _ = run_geopolrisk(ds, importer=importer, year=year)
            t = t[["mineral", "score"]].copy()
            t["alternative"] = f"trade year {year}"
            runs.append(t)
    else:
        raise ValueError(f"no ranges for method {method!r}")
    allr = pd.concat(runs, ignore_index=True).dropna(subset=["score"])
    default = runs[0].set_index("mineral")["score"]
    g = allr.groupby("mineral")["score"]
    out = pd.DataFrame(
        {"score": default, "score_low": g.min(), "score_high": g.max(), "n_alternatives": g.size()}
    )
    out = out.reset_index().rename(columns={"index": "mineral"})
    return out.sort_values("score", ascending=False, na_position="last").reset_index(drop=True)
