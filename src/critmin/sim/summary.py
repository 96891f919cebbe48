"""Summary statistics of a simulation: the sample distribution per mineral and per year.

Per mineral, each sample contributes its worst year (peak shortfall, peak price index) and
its horizon totals; the table gives the mean, P5, P50, P95, the CVaR at 95 % (mean of the
worst 5 % of samples), the probability that the worst-year shortfall exceeds ``threshold``,
and the years to recover (from the first year short by more than 1 % to the first year that
is not; counted to the horizon's end when it never recovers; samples never short count 0).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

#: Column order of :func:`summary` (the JSON keys of ``critmin simulate --format json``).
COLUMNS = (
    "mineral",
    "samples",
    "shortfall_mean",
    "shortfall_p5",
    "shortfall_p50",
    "shortfall_p95",
    "shortfall_cvar95",
    "p_shortfall_over",
    "threshold",
    "horizon_shortfall_mean",
    "unmet_t_mean",
    "price_index_mean",
    "price_index_p5",
    "price_index_p50",
    "price_index_p95",
    "years_to_recover_mean",
    "years_to_recover_p95",
    "release_t_mean",
    "price_bound_share",
    "ai_shortfall_central",
    "ai_shortfall_low",
    "ai_shortfall_high",
)


def cvar(x: np.ndarray, level: float = 0.95, axis: int = 0) -> np.ndarray:
    """Mean of the worst ``1 − level`` share of samples (upper tail), along ``axis``.

    Examples
    --------
    >>> float(cvar(np.arange(100.0), 0.95))
    97.0
    """
    x = np.sort(np.moveaxis(np.asarray(x, dtype=float), axis, 0), axis=0)
    k = max(1, int(np.ceil(round((1.0 - level) * x.shape[0], 9))))
    return np.asarray(x[-k:].mean(axis=0))


def summary(result: xr.Dataset, threshold: float = 0.05) -> pd.DataFrame:
    """One row per mineral (columns :data:`COLUMNS`), largest expected shortfall first."""
    red = result[
        ["shortfall_peak", "price_peak", "shortfall_horizon", "unmet_total", "release_total",
         "years_to_recover"]
    ].compute()  # fmt: skip
    sf = red["shortfall_peak"].transpose("sample", "mineral").to_numpy()
    pr = red["price_peak"].transpose("sample", "mineral").to_numpy()
    ytr = red["years_to_recover"].transpose("sample", "mineral").to_numpy()
    q = [5, 50, 95]
    sfq, prq = np.percentile(sf, q, axis=0), np.percentile(pr, q, axis=0)
    out = pd.DataFrame(
        {
            "mineral": [str(m) for m in result["mineral"].to_numpy()],
            "samples": sf.shape[0],
            "shortfall_mean": sf.mean(axis=0),
            "shortfall_p5": sfq[0],
            "shortfall_p50": sfq[1],
            "shortfall_p95": sfq[2],
            "shortfall_cvar95": cvar(sf),
            "p_shortfall_over": (sf > threshold).mean(axis=0),
            "threshold": threshold,
            "horizon_shortfall_mean": red["shortfall_horizon"].mean("sample").to_numpy(),
            "unmet_t_mean": red["unmet_total"].mean("sample").to_numpy(),
            "price_index_mean": pr.mean(axis=0),
            "price_index_p5": prq[0],
            "price_index_p50": prq[1],
            "price_index_p95": prq[2],
            "years_to_recover_mean": ytr.mean(axis=0),
            "years_to_recover_p95": np.percentile(ytr, 95, axis=0),
            "release_t_mean": red["release_total"].mean("sample").to_numpy(),
            "price_bound_share": _at_bound(result, pr),
            **_ai_columns(result),
        }
    )
    out = out.sort_values(["shortfall_mean", "price_index_p50", "mineral"],
                          ascending=[False, False, True])  # fmt: skip
    return out[list(COLUMNS)].reset_index(drop=True)


def _ai_columns(result: xr.Dataset) -> dict[str, np.ndarray]:
    """Per mineral, AI hardware's mean worst-year shortfall of it under the central rule and
    the two bounds (decision 0033); NaN for a mineral no AI component uses, or for a result
    written before the rules existed."""
    import json

    M = result.sizes["mineral"]
    nan = np.full(M, np.nan)
    if "ai_shortfall_peak" not in result:
        return {"ai_shortfall_central": nan, "ai_shortfall_low": nan, "ai_shortfall_high": nan}
    used = set(json.loads(result.attrs.get("ai_minerals", "[]")))
    mask = np.array([str(m) in used for m in result["mineral"].to_numpy()])
    mean = result["ai_shortfall_peak"].mean("sample").transpose("mineral", "rule").compute()
    out = {}
    for key, rule in (("central", "central"), ("low", "priority"), ("high", "pro_rata")):
        out[f"ai_shortfall_{key}"] = np.where(mask, mean.sel(rule=rule).to_numpy(), np.nan)
    return out


def _at_bound(result: xr.Dataset, peak: np.ndarray) -> np.ndarray:
    """Per mineral, the share of samples whose worst-year price index is at the price bound
    (``price_cap``, recorded in the run's parameters; issue 16: a bound is reported when it
    binds). The bound is read as the low end of its range (the table's bounds are points)."""
    import json

    raw = result.attrs.get("parameters")
    caps = json.loads(raw).get("price_cap", {}) if isinstance(raw, str) else {}
    mins = [str(m) for m in result["mineral"].to_numpy()]
    cap = np.array([float(caps[m][0]) if m in caps else np.inf for m in mins])
    return np.asarray((peak >= cap[None, :] * (1.0 - 1e-9)).mean(axis=0))


def by_year(result: xr.Dataset, minerals: list[str] | None = None) -> pd.DataFrame:
    """Fan-chart table: year × mineral with shortfall and price index mean, P5, P50, P95."""
    sub = result[["shortfall", "price_index"]]
    if minerals is not None:
        sub = sub.sel(mineral=minerals)
    sub = sub.compute()
    years = sub["year"].to_numpy()
    mins = [str(m) for m in sub["mineral"].to_numpy()]
    out = pd.DataFrame({
        "year": np.repeat(years, len(mins)).astype(int),
        "mineral": np.tile(mins, len(years)),
    })  # fmt: skip
    for var in ("shortfall", "price_index"):
        a = sub[var].transpose("sample", "year", "mineral").to_numpy().astype(float)
        out[f"{var}_mean"] = a.mean(axis=0).ravel()
        for q, stat in zip(np.percentile(a, [5, 50, 95], axis=0), ("p5", "p50", "p95"),
                           strict=True):  # fmt: skip
            out[f"{var}_{stat}"] = q.ravel()
    return out


#: A mineral is touched by a result when the mean worst-year shortfall exceeds 0.1 % of the
#: bloc's demand or the P95 worst-year price index exceeds 1.01: below that the movement is
#: the noise of the market parameters' draws, not the scenario's doing.
TOUCHED_SHORTFALL = 0.001
TOUCHED_PRICE_INDEX = 1.01


def touched(table: pd.DataFrame) -> pd.Series:
    """Rows of a :func:`summary` table whose mineral the scenario visibly moves (a mask).

    Examples
    --------
    >>> t = pd.DataFrame({"mineral": ["a", "b", "c"], "shortfall_mean": [0.2, 0.0, 0.0],
    ...     "price_index_p95": [3.0, 1.5, 1.0]})
    >>> t.loc[touched(t), "mineral"].tolist()
    ['a', 'b']
    """
    return (table["shortfall_mean"] > TOUCHED_SHORTFALL) | (
        table["price_index_p95"] > TOUCHED_PRICE_INDEX
    )


def ai_output_at_risk(result: xr.Dataset) -> float:
    """Expected AI hardware output at risk: the mean over samples of 1 − the worst
    component's output in its worst year (AI output = the scarcest input of each component).
    """
    return float((1.0 - result["ai_output_min"].min("component")).mean())


def ai_at_risk_by_rule(result: xr.Dataset) -> dict[str, float]:
    """Expected AI hardware output at risk in the worst year under each allocation rule of
    :mod:`critmin.sim.ai_allocation` (``priority`` the lower bound, ``central``, ``pro_rata``
    the upper bound): the mean over samples of AI's worst shortfall over years and minerals.

    A result written before the rules existed has no ``ai_shortfall_peak``: its pro-rata
    figure is :func:`ai_output_at_risk`, the other two are NaN.
    """
    from critmin.sim.ai_allocation import RULES

    if "ai_shortfall_peak" not in result:
        nan = float("nan")
        return {"priority": nan, "central": nan, "pro_rata": ai_output_at_risk(result)}
    worst = result["ai_shortfall_peak"].max("mineral").mean("sample").compute()
    return {r: float(worst.sel(rule=r)) for r in RULES}


def ai_binding(result: xr.Dataset, rule: str = "central") -> pd.DataFrame:
    """Per mineral an AI component uses: AI's mean worst-year shortfall of it under each rule
    and how often (share of samples) it is the input that decides the AI output at risk
    under ``rule`` (among samples with any AI shortfall). Largest first.

    Columns: ``mineral``, ``ai_shortfall_priority``, ``ai_shortfall_central``,
    ``ai_shortfall_pro_rata``, ``binding_share``.
    """
    import json

    from critmin.sim.ai_allocation import RULES

    cols = ["mineral", *(f"ai_shortfall_{r}" for r in RULES), "binding_share"]
    if "ai_shortfall_peak" not in result:
        return pd.DataFrame(columns=cols)
    used = json.loads(result.attrs.get("ai_minerals", "[]"))
    peak = result["ai_shortfall_peak"].sel(mineral=used).compute()
    arr = peak.transpose("sample", "mineral", "rule").to_numpy()
    r = RULES.index(rule)
    short = arr[:, :, r].max(axis=1) > 1e-9
    arg = arr[:, :, r].argmax(axis=1)
    n_short = max(int(short.sum()), 1)
    out = pd.DataFrame({"mineral": used})
    for i, name in enumerate(RULES):
        out[f"ai_shortfall_{name}"] = arr[:, :, i].mean(axis=0)
    out["binding_share"] = [float((short & (arg == j)).sum()) / n_short for j in range(len(used))]
    return out.sort_values([f"ai_shortfall_{rule}", "binding_share", "mineral"],
                           ascending=[False, False, True])[cols].reset_index(drop=True)  # fmt: skip
