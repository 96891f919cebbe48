"""Export-restriction hazards: the fitted model's tables and its backtest (docs/model.md §10).

:func:`hazard_table` gives each producing country's fitted annual probability of a new
restriction per mineral, with its bootstrap range, and the probability that a new
restriction reaches a bloc. :func:`backtest` fits the model on the record up to a year and
predicts the counts of the following years with predictive intervals.

The former default model (China's 2023–2025 rate for every producer) is still importable
from here under its old names (``base_rate``, ``default_restrictions`` …): it is deprecated
and used only by ``default_hazards`` with ``model: china-rate`` and the partner-availability
discount of :mod:`critmin.policy.levers`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from critmin.data.dataset import Dataset
from critmin.sim.events.fitted_model import aim_probability, cell_covariates, hazards
from critmin.sim.events.hazard_model import (
    DURATION,
    RECORD_YEARS,
    SHARE,
    SOURCE,
    base_rate,
    default_restrictions,
    last_stage,
)
from critmin.sim.hazard_fit import (
    DISCRIMINATING_TYPES,
    HazardFit,
    bootstrap,
    country_group,
    fit_panel,
    measure_model,
    shipped_fit,
)
from critmin.sim.hazard_record import MEASURES, panel

__all__ = [
    "DURATION",
    "RECORD_YEARS",
    "SHARE",
    "SOURCE",
    "backtest",
    "base_rate",
    "default_restrictions",
    "hazard_table",
    "last_stage",
]

BANS_QUOTAS = ("quota", "ban", "ban aimed at importers")


def hazard_table(
    ds: Dataset,
    members: tuple[str, ...],
    *,
    country: str | None = None,
    mineral: str | None = None,
    min_share: float = 0.05,
    fit: HazardFit | None = None,
) -> pd.DataFrame:
    """Fitted annual probabilities of a new restriction per country and mineral.

    Columns: ``country, mineral, share`` (of world output), ``p_median, p_low, p_high``
    (annual probability, median and 5–95 % of the bootstrap draws), ``aim`` (probability a
    discriminating measure reaches the bloc), ``p_bloc_median, p_bloc_low, p_bloc_high``
    (annual probability of a new restriction that reaches the bloc), ``bans_quotas`` (share
    of new measures that are bans or quotas, median).
    """
    from critmin.sim.hazard_record import MIN_SHARE, producer_shares
    from critmin.sim.inputs import simulated_minerals

    fit = fit if fit is not None else shipped_fit()
    minerals = simulated_minerals(ds)
    if mineral is not None:
        minerals = tuple(m for m in minerals if m == mineral)
    cells = producer_shares(ds, minerals)
    cells = cells[cells["share"] >= max(min_share, MIN_SHARE)]
    if country is not None:
        cells = cells[cells["country"] == country]
    if cells.empty:
        return pd.DataFrame()
    cov = cell_covariates(ds, cells[["country", "mineral"]], fit.point.last_year + 1)
    lam = hazards(fit, cov)
    p = -np.expm1(-lam)
    rows = []
    for i, r in enumerate(cov.to_dict(orient="records")):
        c = str(r["country"])
        mix = fit.measures.mix[country_group(c)]
        pi = aim_probability(c, members, fit.point.last_year)
        reach = mix @ np.array([pi if k in DISCRIMINATING_TYPES else 1.0 for k in MEASURES])
        bq = mix @ np.array([k in BANS_QUOTAS for k in MEASURES], dtype=float)
        pb = -np.expm1(-lam[i] * reach)
        rows.append({
            "country": c, "mineral": r["mineral"], "share": round(float(r["share"]), 4),
            "p_median": float(np.median(p[i])), "p_low": float(np.quantile(p[i], 0.05)),
            "p_high": float(np.quantile(p[i], 0.95)), "aim": round(pi, 3),
            "p_bloc_median": float(np.median(pb)), "p_bloc_low": float(np.quantile(pb, 0.05)),
            "p_bloc_high": float(np.quantile(pb, 0.95)), "bans_quotas": float(np.median(bq)),
        })  # fmt: skip
    return pd.DataFrame(rows).sort_values("p_median", ascending=False).reset_index(drop=True)


def backtest(
    ds: Dataset,
    fit_until: int = 2019,
    last_year: int = 2025,
    *,
    draws: int = 50,
    reps: int = 200,
    seed: int = 2026,
) -> pd.DataFrame:
    """Fit on the record to ``fit_until``; predict ``fit_until + 1`` … ``last_year``.

    Counts are new restrictions per country × mineral (a measure on three minerals counts
    three), by country group (China, the others, total) and measure (all; bans and quotas,
    including bans aimed at importers). The predictive distribution mixes the bootstrap
    draws, the common shock per country and year, and Poisson noise; the hazard of each cell
    is held at the level of ``fit_until`` with the covariates known then.

    Returns
    -------
    pandas.DataFrame
        ``group, measures, observed, predicted`` (median), ``low, high`` (5–95 %),
        ``inside`` (observed within the interval), ``fit_until, years``.
    """
    from critmin.sim.inputs import simulated_minerals

    minerals = simulated_minerals(ds)
    full = panel(ds, minerals, last_year)
    past = full[full["year"] <= fit_until]
    # Cells that first appear after fit_until (a new measure on a small producer) are in
    # the risk set of the prediction too, with the covariates of fit_until + 1.
    point = fit_panel(past)
    boot = bootstrap(past, point, draws, seed)
    mm = measure_model(ds.restrictions, fit_until, draws, seed + 1)
    cells = full[full["year"] == fit_until + 1].copy()
    from critmin.sim.hazard_record import (
        country_year_covariates,
        prior_restrictions,
        record_measures,
    )

    countries = sorted(cells["country"].unique())
    cov = country_year_covariates(ds, countries, range(fit_until + 1, fit_until + 2))
    known = record_measures(ds.restrictions)
    known = known[[s is not None and s.year <= fit_until for s in known["start"]]]
    prior = prior_restrictions(known, countries, range(fit_until + 1, fit_until + 2))
    cells = (
        cells.drop(columns=["pv", "align", "imputed", "prior"])
        .merge(cov.drop(columns="year"), on="country")
        .merge(prior.drop(columns="year"), on="country")
    )
    fit = HazardFit(point, boot, mm)
    lam = hazards(fit, cells)  # (cells, draws)
    ci = pd.Index(countries).get_indexer(cells["country"])
    H = last_year - fit_until
    rng = np.random.default_rng(seed + 2)
    is_chn = np.array([c == "CHN" for c in countries])
    sims: dict[str, list[np.ndarray]] = {k: [] for k in ("CHN", "other")}
    sims_bq: dict[str, list[np.ndarray]] = {k: [] for k in ("CHN", "other")}
    bq_k = np.array([k in BANS_QUOTAS for k in MEASURES], dtype=float)
    for b, f in enumerate(boot):
        lam_c = np.bincount(ci, weights=lam[:, b], minlength=len(countries))
        z = rng.standard_normal((reps, H, len(countries)))
        mu = lam_c[None, None, :] * np.exp(f.sigma * z - f.sigma**2 / 2)
        n = rng.poisson(mu)
        for grp, sel in (("CHN", is_chn), ("other", ~is_chn)):
            tot = n[:, :, sel].sum(axis=(1, 2))
            q = float(mm.mix[grp][b] @ bq_k)
            sims[grp].append(tot)
            sims_bq[grp].append(rng.binomial(tot, q))
    fut = full[full["year"] > fit_until]
    out = []
    for grp, label in (("CHN", "China"), ("other", "others"), ("total", "total")):
        for meas, col, src in (("all", "y", sims), ("bans/quotas", "y_bq", sims_bq)):
            if grp == "total":
                sim = np.concatenate(src["CHN"]) + np.concatenate(src["other"])
                obs = int(fut[col].sum())
            else:
                sim = np.concatenate(src[grp])
                chn = (fut["country"] == "CHN").to_numpy()
                obs = int(fut.loc[chn if grp == "CHN" else ~chn, col].sum())
            lo, md, hi = np.quantile(sim, [0.05, 0.5, 0.95])
            out.append({"group": label, "measures": meas, "observed": obs,
                        "predicted": float(md), "low": float(lo), "high": float(hi),
                        "inside": bool(lo <= obs <= hi), "fit_until": fit_until,
                        "years": f"{fit_until + 1}-{last_year}"})  # fmt: skip
    return pd.DataFrame(out)


def partner_availability(
    ds: Dataset,
    country: str,
    members: tuple[str, ...] = (),
    mineral: str | None = None,
    *,
    fit: HazardFit | None = None,
) -> float:
    """Expected share of time a country's capacity reaches the bloc under the fitted model.

    Per measure type ``k`` of the country group's mix, new measures reaching the bloc arrive
    at ``r_k = λ × mix_k × π_k`` a year (``π_k`` the aim probability, 1 for measures that do
    not discriminate) and last ``d_k`` years on average, so a share ``r_k d_k / (1 + r_k d_k)``
    of the time is under one (the renewal average of an on/off process), withholding the
    mean share ``w_k`` of the type: availability ``1 − Σ_k w_k r_k d_k / (1 + r_k d_k)``,
    averaged over the bootstrap draws. ``λ`` is the cell's fitted hazard for ``mineral``, or
    the median over the simulated minerals when none is given.

    Examples
    --------
    >>> import critmin
    >>> from critmin.data.regions import builtin_regions
    >>> ds, oecd = critmin.load(), builtin_regions()["OECD"]
    >>> aus = partner_availability(ds, "AUS", oecd, "lithium")
    >>> chn = partner_availability(ds, "CHN", oecd, "lithium")
    >>> 0.95 < aus <= 1.0, chn < aus
    (True, True)
    """
    from critmin.sim.hazard_fit import withheld_shares
    from critmin.sim.inputs import simulated_minerals

    fit = fit if fit is not None else shipped_fit()
    minerals = (mineral,) if mineral is not None else simulated_minerals(ds)

    def lam() -> np.ndarray:
        cells = pd.DataFrame({"country": country, "mineral": list(minerals)})
        h = hazards(fit, cell_covariates(ds, cells, fit.point.last_year + 1))
        return np.median(h, axis=0)  # (draws,)

    rate = ds.memo(("sim.partner_hazard", country, minerals, id(fit)), lam)
    pi = aim_probability(country, members, fit.point.last_year)
    aim = np.array([pi if k in DISCRIMINATING_TYPES else 1.0 for k in MEASURES])
    shares = withheld_shares(ds)
    w = np.array([(r.low + r.central + r.high) / 3.0 for r, _ in (shares[k] for k in MEASURES)])
    mix = fit.measures.mix[country_group(country)]  # (draws, K)
    r = rate[:, None] * mix * aim[None, :]
    rd = r * fit.measures.mean_duration
    withheld = (w[None, :] * rd / (1.0 + rd)).sum(axis=1)
    return float(1.0 - np.clip(withheld, 0.0, 1.0).mean())
