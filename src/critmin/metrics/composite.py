"""critmin's composite AI-exposure score: how exposed AI hardware is on each mineral.

Six components, each on 0–1 and each shown with the score, so a reader sees why a mineral
ranks where it does (docs/decisions/0008-composite-score.md):

``concentration``
    HHI (0–1) of the bottleneck stage, the more concentrated of mine and refine.
``governance``
    Share-weighted GeoPolRisk instability ``(2.5 − PV)/5`` of that stage's producers.
``china``
    China's largest share across the stages.
``import_reliance``
    US net import reliance as a fraction (a bound counts as its bound; net exporter = 0).
``restrictions``
    1 when an export restriction covering the mineral is in force on ``as_of``, 0.5 when one
    is announced or suspended, else 0 (not yet announced, or lifted).
``ai_components``
    Number of AI-hardware components that need the mineral (``ai_bom.csv``), over the largest
    such number of any mineral.

The score is the weighted mean of the components that have data; missing components are
named in ``missing`` and the weights renormalised over the rest (never a silent zero).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from critmin.data.catalogue import MINERAL_IDS
from critmin.data.dataset import Dataset
from critmin.metrics.concentration import bottleneck, concentration_table
from critmin.metrics.governance import gpr_weights
from critmin.metrics.restrictions import status_on

COMPONENTS = (
    "concentration",
    "governance",
    "china",
    "import_reliance",
    "restrictions",
    "ai_components",
)


@dataclass(frozen=True)
class CompositeOptions:
    """Choices behind a composite score; :mod:`critmin.metrics.uncertainty` varies them."""

    weights: dict[str, float] = field(default_factory=lambda: dict.fromkeys(COMPONENTS, 1.0))
    year: int | None = None  # production data year (None: latest of the preferred source)
    source: str | None = None  # production source prefix (None: preference order)
    stage: str = "bottleneck"  # "mine", "refine" or "bottleneck"
    wgi_indicator: str = "pv"  # "pv" (GeoPolRisk) or "mean6" (mean of the six dimensions)
    as_of: dt.date = field(default_factory=dt.date.today)

    def __post_init__(self) -> None:
        unknown = set(self.weights) - set(COMPONENTS)
        if unknown:
            raise ValueError(f"unknown components {sorted(unknown)}; known: {COMPONENTS}")
        if any(w < 0 for w in self.weights.values()):
            raise ValueError("component weights must be non-negative")
        if self.stage not in ("mine", "refine", "bottleneck"):
            raise ValueError("stage must be mine, refine or bottleneck")
        if self.wgi_indicator not in ("pv", "mean6"):
            raise ValueError("wgi_indicator must be pv or mean6")


def parse_weights(weights: str | Mapping[str, float]) -> dict[str, float]:
    """Component weights from ``"concentration=2,china=1"`` or a mapping; components not
    named keep their default weight 1.

    Raises
    ------
    ValueError
        A part that is not ``name=number``, an unknown component, a negative or non-finite
        weight.

    Examples
    --------
    >>> parse_weights("concentration=2, china=0")["concentration"], parse_weights({})["china"]
    (2.0, 1.0)
    """
    out = dict.fromkeys(COMPONENTS, 1.0)
    given: dict[str, float] = {}
    if isinstance(weights, str):
        for part in filter(None, (p.strip() for p in weights.split(","))):
            name, _, value = part.partition("=")
            try:
                given[name.strip()] = float(value)
            except ValueError as e:
                raise ValueError(f"weights take name=number pairs, not {part!r}") from e
    else:
        given = {str(k): float(v) for k, v in weights.items()}
    unknown = sorted(set(given) - set(COMPONENTS))
    if unknown:
        raise ValueError(f"unknown components {unknown}; known: {', '.join(COMPONENTS)}")
    bad = [k for k, v in given.items() if not math.isfinite(v) or v < 0]
    if bad:
        raise ValueError(f"weights must be finite and non-negative: {', '.join(bad)}")
    out.update(given)
    return out


def weighted_score(components: pd.DataFrame, weights: dict[str, float]) -> pd.Series:
    """Weighted mean of the available components per row (NaN components skipped).

    Examples
    --------
    >>> c = pd.DataFrame({"a": [1.0, 0.5], "b": [0.0, float("nan")]})
    >>> weighted_score(c, {"a": 1.0, "b": 1.0}).tolist()
    [0.5, 0.5]
    """
    w = pd.Series({k: weights.get(k, 0.0) for k in components.columns}, dtype=float)
    have = components.notna()
    num = (components.fillna(0.0) * w).sum(axis=1)
    den = (have * w).sum(axis=1)
    return (num / den.where(den > 0)).astype(float)


def _governance(ds: Dataset, rows: pd.DataFrame, indicator: str) -> tuple[float, str]:
    """Share-weighted instability of a stage's producers, with the WGI year used."""
    listed = rows[rows["entity_kind"].isin(["country", "other"])]
    s = rows[(rows["entity_kind"] == "country") & rows["value"].notna()]
    s = s.groupby("country", as_index=False).agg(share=("value", "sum"))
    if s.empty or listed["value"].sum() <= 0:
        return math.nan, ""
    year = int(rows["year"].iloc[0])
    wgi_year = min(year, int(ds.wgi["year"].max()))  # WGI ends a year or two before the data
    if indicator == "pv":
        g = gpr_weights(ds.wgi, wgi_year, s["country"].tolist()).weight
    else:
        w = ds.wgi[(ds.wgi["year"] == wgi_year)].groupby("country")["estimate"].mean()
        g = ((2.5 - w) / 5.0).clip(0, 1).reindex(s["country"]).fillna(0.5)
    val = float((s["share"].to_numpy() * g.reindex(s["country"]).to_numpy()).sum()
                / s["share"].sum())  # fmt: skip
    return val, f"WGI {wgi_year}"


def _nir_fraction(ds: Dataset, mineral: str) -> float:
    from critmin.metrics.import_reliance import us_import_reliance

    v = us_import_reliance(ds, mineral).value
    return math.nan if v is None else v


def composite(ds: Dataset, options: CompositeOptions | None = None) -> pd.DataFrame:
    """The composite AI-exposure score per catalogue mineral, components shown.

    Returns
    -------
    pandas.DataFrame
        mineral, score (0–1), rank, each component, ``stage`` used, ``missing`` components,
        ``basis`` (data year, source, WGI year, restrictions date), and ``year`` and
        ``source`` (production data year and source edition of the stage used).
    """
    o = options or CompositeOptions()
    conc = concentration_table(ds, year=o.year, source=o.source)
    bn = bottleneck(conc).set_index("mineral")
    restr = status_on(ds.restrictions, o.as_of)
    uses = ds.ai_uses.groupby("mineral")["component"].nunique()
    max_uses = float(uses.max()) if len(uses) else math.nan
    rows = []
    for m in MINERAL_IDS:
        stage = bn.loc[m, "bottleneck"] if o.stage == "bottleneck" else o.stage
        rec: dict[str, object] = {"mineral": m, "stage": stage, "year": None, "source": None}
        crow = conc[(conc["mineral"] == m) & (conc["stage"] == stage)] if stage else conc.iloc[:0]
        basis = []
        if len(crow) and not pd.isna(crow["hhi"].iloc[0]):
            rec["concentration"] = float(crow["hhi"].iloc[0])
            sup = ds.supply(m, str(stage), o.year, source=o.source)
            rec["governance"], wgi_note = _governance(ds, sup, o.wgi_indicator)
            basis.append(f"{crow['source'].iloc[0]} {crow['year'].iloc[0]}, {wgi_note}")
            rec["year"], rec["source"] = int(crow["year"].iloc[0]), str(crow["source"].iloc[0])
        else:
            rec["concentration"] = rec["governance"] = math.nan
        china = conc.loc[conc["mineral"] == m, "china_share"].dropna()
        rec["china"] = float(china.max()) if len(china) else math.nan
        rec["import_reliance"] = _nir_fraction(ds, m)
        covers = restr[restr["minerals"].str.split(";").map(lambda ms, m=m: m in ms)]
        if (covers["status"] == "in force").any():
            rec["restrictions"] = 1.0
        elif covers["status"].isin(["announced", "suspended"]).any():
            rec["restrictions"] = 0.5
        else:
            rec["restrictions"] = 0.0
        rec["ai_components"] = float(uses.get(m, 0)) / max_uses if max_uses else math.nan
        basis.append(f"restrictions as of {o.as_of.isoformat()}")
        rec["basis"] = "; ".join(basis)
        rows.append(rec)
    df = pd.DataFrame(rows)
    comp = df[list(COMPONENTS)].astype(float)
    df["score"] = weighted_score(comp, o.weights).round(6)
    df["missing"] = comp.isna().apply(lambda r: ";".join(c for c in COMPONENTS if r[c]), axis=1)
    df["rank"] = df["score"].rank(ascending=False, method="min").astype("Int64")
    df = df.sort_values(["score", "mineral"], ascending=[False, True], na_position="last")
    df["year"] = df["year"].astype("Int64")
    cols = ["mineral", "rank", "score", *COMPONENTS, "stage", "missing", "basis", "year", "source"]
    return df[cols].reset_index(drop=True)


def top(df: pd.DataFrame, n: int = 15) -> pd.DataFrame:
    """The ``n`` highest composite scores."""
    return df.nsmallest(n, "rank")


__all__ = [
    "COMPONENTS",
    "CompositeOptions",
    "composite",
    "parse_weights",
    "top",
    "weighted_score",
]
