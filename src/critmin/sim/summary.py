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
    """One row per mineral (columns :data:`COLUMNS`), largest expected shortfall first.

    The statistics are computed block by block and merged exactly
    (:mod:`critmin.sim.reduce`), the way a cluster computes them where the samples are: a
    result reduced on Dask workers (``keep="stats"``, which carries its statistics and the
    threshold they were counted at) gives this table bit for bit.
    """
    if result.attrs.get("keep") == "stats":
        stats = _stored_stats(result, threshold)
    else:
        stats = _stats(result, threshold)
    out = pd.DataFrame({
        "mineral": [str(m) for m in result["mineral"].to_numpy()],
        **{c: stats[c] for c in COLUMNS if c not in ("mineral", "threshold")},
        "threshold": threshold,
    })  # fmt: skip
    # AI columns only for the minerals an AI component uses (decision 0033).
    mask = _ai_mask(result)
    for c in ("ai_shortfall_central", "ai_shortfall_low", "ai_shortfall_high"):
        out[c] = np.where(mask, out[c].to_numpy(dtype=float), np.nan)
    out = out.sort_values(["shortfall_mean", "price_index_p50", "mineral"],
                          ascending=[False, False, True])  # fmt: skip
    return out[list(COLUMNS)].reset_index(drop=True)


def _ai_mask(result: xr.Dataset) -> np.ndarray:
    """Per mineral, whether an AI component uses it (the run's ``ai_minerals``)."""
    import json

    used = set(json.loads(result.attrs.get("ai_minerals", "[]")))
    return np.array([str(m) in used for m in result["mineral"].to_numpy()])


def _stats(result: xr.Dataset, threshold: float) -> dict[str, object]:
    from critmin.sim.reduce import MEAN_VARS, summary_stats

    extra = [k for k in ("ai_output_min", "ai_shortfall_peak") if k in result]
    names = [*MEAN_VARS, *extra]
    red = result[names].compute()
    dims = {"ai_output_min": ("sample", "component"),
            "ai_shortfall_peak": ("sample", "mineral", "rule")}  # fmt: skip
    arrays = {k: red[k].transpose(*dims.get(k, ("sample", "mineral"))).to_numpy() for k in names}
    n = arrays["shortfall_peak"].shape[0]
    size = int(result.attrs.get("block", 1000))
    bounds = [(b, lo, min(lo + size, n)) for b, lo in enumerate(range(0, n, size))]
    return summary_stats(arrays, bounds, threshold, _bound(result))


def _stored_stats(result: xr.Dataset, threshold: float) -> dict[str, object]:
    at = float(result.attrs["threshold"])
    if threshold != at:
        raise ValueError(
            f"this result was reduced on the workers with the shortfall threshold {at:g}; "
            f"run it again with threshold {threshold:g}, or keep the per-sample reductions "
            "(keep='reduced')"
        )
    cols = [c for c in COLUMNS if c not in ("mineral", "threshold")]
    return {c: result[c].to_numpy() if c != "samples" else int(result.attrs["samples"])
            for c in cols}  # fmt: skip


def _bound(result: xr.Dataset) -> np.ndarray:
    """Per mineral, the price level counted as "at the price bound": ``price_cap`` (recorded in
    the run's parameters; issue 16: a bound is reported when it binds), read as the low end of
    its range (the table's bounds are points), less a relative 1e-9."""
    import json

    raw = result.attrs.get("parameters")
    caps = json.loads(raw).get("price_cap", {}) if isinstance(raw, str) else {}
    mins = [str(m) for m in result["mineral"].to_numpy()]
    cap = np.array([float(caps[m][0]) if m in caps else np.inf for m in mins])
    return cap * (1.0 - 1e-9)


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
    if "ai_output_at_risk" in result.attrs:  # reduced on the workers (keep="stats")
        return float(result.attrs["ai_output_at_risk"])
    # Block by block, in block order: the number the workers' shards give (decision 0030).
    a = result["ai_output_min"].transpose("sample", "component").to_numpy()
    size = int(result.attrs.get("block", 1000))
    tot = 0.0
    for lo in range(0, a.shape[0], size):
        tot = tot + float(np.sum(1.0 - a[lo : lo + size].min(axis=1)))
    return tot / a.shape[0]


def ai_at_risk_by_rule(result: xr.Dataset) -> dict[str, float]:
    """Expected AI hardware output at risk in the worst year under each allocation rule of
    :mod:`critmin.sim.ai_allocation` (``priority`` the lower bound, ``central``, ``pro_rata``
    the upper bound): the mean over samples of AI's worst shortfall over years and minerals.

    A result written before the rules existed has no ``ai_shortfall_peak``: its pro-rata
    figure is :func:`ai_output_at_risk`, the other two are NaN.
    """
    from critmin.sim.ai_allocation import RULES

    if "ai_at_risk_central" in result.attrs:  # reduced on the workers (keep="stats")
        return {r: float(result.attrs[f"ai_at_risk_{r}"]) for r in RULES}
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
