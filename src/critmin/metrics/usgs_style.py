"""A USGS-style supply risk: a DOCUMENTED APPROXIMATION of the 2022 USGS method.

The USGS 2022 list (Nassar et al. 2020, doi 10.1126/sciadv.aay8647; Nassar & Fortier 2021,
USGS OFR 2021-1045) scores supply risk from three 0–1 factors — disruption potential (DP),
trade exposure (TE) and economic vulnerability (EV) — combined by a geometric mean, with
0.40 as the threshold. The exact forms of DP, TE and EV are NOT verified against the OFR
(REFERENCE §1.2–1.3); critmin approximates them so:

* ``DP = Σ_c s_c² · w_c`` with ``w_c = clip((2.5 − mean of six WGI)/5, 0, 1)`` (1 = worst),
  on the bottleneck stage (the larger DP of mine and refine);
* ``TE`` = US net import reliance as a fraction (a net exporter → 0; a bound → the bound,
  stated in ``notes``);
* ``EV`` (commodity expenditure over the consuming industries' operating surplus) is not in
  critmin's data. With ``ev=None`` the score is the geometric mean of DP and TE
  (``missing_ev="exclude"``, the default) or NaN with "insufficient data"
  (``missing_ev="nan"``). A two-factor mean is not on the same footing as the USGS
  three-factor score, so the 0.40 threshold is not applied.

A zero factor gives a zero geometric mean: a net exporter (TE = 0) scores 0, which matches
the USGS logic that a commodity the US does not need to import poses no foreign supply risk.

These are not the USGS's published scores (which exist only as images; REFERENCE §1.3).

Examples
--------
>>> geometric_mean([0.64, 0.25])
0.4
>>> governance_weight(-0.5), governance_weight(3.0)
(0.6, 0.0)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Literal

import numpy as np
import pandas as pd

from critmin.data.catalogue import MINERALS
from critmin.data.dataset import Dataset
from critmin.metrics.eu import (
    STAGES,
    hhi_wgi_t,
    stage_supply,
    us_import_reliance,
    wgi_year_for,
)
from critmin.metrics.governance import eu_weights

LABEL = "approximation of the USGS 2022 method; not the USGS's published scores"
EV_MISSING = (
    "insufficient data: EV needs commodity expenditure and operating surplus of the "
    "consuming industries"
)
RESULT_COLUMNS = [
    "mineral", "year", "dp", "te", "ev", "score", "stage_used", "n_factors", "dp_mine",
    "dp_refine", "te_text", "te_year", "wgi_year", "label", "notes", "source", "te_source",
]  # fmt: skip

MissingEV = Literal["exclude", "nan"]


def governance_weight(mean6: float) -> float:
    """0–1 governance weight ``clip((2.5 − mean6)/5, 0, 1)`` (1 = worst governed).

    Examples
    --------
    >>> governance_weight(2.5), governance_weight(0.0)
    (0.0, 0.5)
    """
    return float(min(max((2.5 - float(mean6)) / 5.0, 0.0), 1.0))


def geometric_mean(factors: Iterable[float]) -> float:
    """Geometric mean of 0–1 factors; any NaN gives NaN, any zero gives 0.

    Examples
    --------
    >>> geometric_mean([0.5, 0.5, 0.5])
    0.5
    >>> geometric_mean([0.9, 0.0])
    0.0
    """
    xs = [float(x) for x in factors]
    if not xs:
        raise ValueError("at least one factor is needed")
    if any(math.isnan(x) for x in xs):
        return float("nan")
    if any(x < 0 for x in xs):
        raise ValueError("factors must be ≥ 0")
    if any(x == 0 for x in xs):
        return 0.0
    return float(math.exp(sum(math.log(x) for x in xs) / len(xs)))


def disruption_potential(shares: Mapping[str, float] | pd.Series, weights: pd.Series) -> float:
    """``DP = Σ_c s_c² · w_c`` with 0–1 weights (an approximation; see the module docstring).

    Countries without a weight get the median weight (as in the EU weights).

    Examples
    --------
    >>> round(disruption_potential({"CHN": 0.98, "JPN": 0.02},
    ...                            pd.Series({"CHN": 0.6, "JPN": 0.2})), 4)
    0.5763
    """
    return hhi_wgi_t(shares, weights).value


def usgs_style_risk(
    ds: Dataset,
    year: int | None = None,
    ev: float | Mapping[str, float] | None = None,
    missing_ev: MissingEV = "exclude",
) -> pd.DataFrame:
    """USGS-style supply risk of every catalogue mineral (an approximation, labelled so).

    Parameters
    ----------
    ds
        A critmin dataset.
    year
        Production year; None takes the newest year of each stage's preferred source.
    ev
        Economic vulnerability (0–1), one number for all minerals or per mineral id. critmin's
        data have none, so the default is None.
    missing_ev
        Where EV is unknown: ``"exclude"`` scores the geometric mean of DP and TE (stated in
        ``notes``; ``n_factors`` = 2); ``"nan"`` gives NaN and "insufficient data".

    Returns
    -------
    pandas.DataFrame
        One row per catalogue mineral with :data:`RESULT_COLUMNS`; ``label`` says these are
        not the USGS's scores.

    Examples
    --------
    >>> from critmin.data.dataset import load
    >>> df = usgs_style_risk(load()).set_index("mineral")
    >>> float(df.loc["molybdenum", "score"]), df.loc["molybdenum", "te_text"]
    (0.0, 'net exporter')
    """
    if missing_ev not in ("exclude", "nan"):
        raise ValueError(f"missing_ev must be 'exclude' or 'nan'; got {missing_ev!r}")
    weights: dict[int, pd.Series] = {}
    rows: list[dict[str, object]] = []
    for m in MINERALS:
        notes: list[str] = []
        rec: dict[str, object] = {"mineral": m.id, "label": LABEL}
        dps: dict[str, float] = {}
        years: dict[str, int] = {}
        srcs: dict[str, str] = {}
        wy_used: int | None = None
        for st in STAGES:
            rec[f"dp_{st}"] = float("nan")
            if st not in m.basis:
                continue
            sup = stage_supply(ds, m.id, st, year)
            if sup is None:
                notes.append(f"{st}: no production data")
                continue
            wy = wgi_year_for(ds, sup.year)
            if wy not in weights:
                eu = eu_weights(ds.wgi, wy).weight  # (2.5 − mean6)·2 on 0–10
                weights[wy] = pd.Series(np.clip(eu.to_numpy() / 10.0, 0.0, 1.0), index=eu.index)
            h = hhi_wgi_t(sup.shares, weights[wy])
            if h.imputed:
                notes.append(f"{st}: WGI imputed (median) for {', '.join(h.imputed)}")
            if wy != sup.year:
                notes.append(f"{st}: WGI {wy} for production {sup.year}")
            if sup.other_share > 0:
                notes.append(f"{st}: aggregates ({sup.other_share:.1%}) left out of DP")
            dps[st], years[st], srcs[st] = h.value, sup.year, sup.source
            rec[f"dp_{st}"] = h.value
        used = max(dps, key=lambda k: dps[k]) if dps else None
        rec["stage_used"] = used
        rec["dp"] = dps[used] if used else float("nan")
        rec["year"] = year if year is not None else (years[used] if used else None)
        rec["source"] = srcs[used] if used else None
        if used:
            wy_used = wgi_year_for(ds, years[used])
        rec["wgi_year"] = wy_used

        ir = us_import_reliance(ds, m.id, year, used)
        rec["te"] = ir.value if ir.value is not None else float("nan")
        rec["te_text"], rec["te_year"] = ir.text, ir.year
        rec["te_source"] = ir.source
        notes.append(ir.describe())
        if ir.bound:
            notes.append(f"TE: USGS bound '{ir.text}' used as {ir.value:.2f}")
        if ir.text == "net exporter":
            notes.append("TE = 0 (net exporter) → score 0: no import exposure, no supply risk")

        ev_m = ev.get(m.id) if isinstance(ev, Mapping) else ev
        factors = [float(rec["dp"]), float(rec["te"])]  # type: ignore[arg-type]
        if ev_m is not None:
            rec["ev"] = float(ev_m)
            factors.append(float(ev_m))
            rec["score"] = geometric_mean(factors)
        elif missing_ev == "exclude":
            rec["ev"] = float("nan")
            rec["score"] = geometric_mean(factors)
            notes.append("EV unavailable: score = geometric mean of DP and TE only")
        else:
            rec["ev"] = float("nan")
            rec["score"] = float("nan")
            notes.append(EV_MISSING)
        rec["n_factors"] = len(factors)
        if math.isnan(factors[0]):
            notes.append("insufficient data: no production shares for DP")
        if math.isnan(factors[1]):
            notes.append("insufficient data: no US net import reliance for TE")
        rec["notes"] = "; ".join(dict.fromkeys(n for n in notes if n))
        rows.append(rec)
    df = pd.DataFrame(rows, columns=RESULT_COLUMNS)
    for c in ("year", "te_year", "wgi_year"):
        df[c] = df[c].astype("Int64")
    return df
