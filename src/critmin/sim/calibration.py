"""Calibration and validation of the market model against the episode library (issue 16).

Method (docs/decisions/0029, replacing the rejection step of 0023): a hierarchical model fitted
by empirical Bayes over simulations. Each episode has its own parameter vector (the six of
:data:`CALIBRATED`), in standard-normal coordinates ``z`` of its class's prior in
``params.csv`` (:func:`to_parameters`): ``z_e ~ N(μ_c, τ² I)``, ``μ_c ~ N(0, I)`` per class
(by-product, main product, bulk metal), ``τ`` the between-episode dispersion pooled over the
classes. ``CANDIDATES`` prior draws per class are run on every in-fit episode of the class with
``FIT_SAMPLES`` samples of everything else; each gives a synthetic Gaussian likelihood of the
episode's observed log price path (:func:`loglik`, background noise included). A Gaussian
approximation of each episode's likelihood (:func:`gaussian_likelihood`) makes ``μ_c``
integrate out analytically; ``τ`` is the posterior mode on a grid (:func:`hierarchical_fit`).
A new episode (or a mineral without one) draws from its class's predictive ``N(E μ_c, Cov μ_c
+ τ² I)``: the shipped ``posterior.csv`` holds ``POSTERIOR_DRAWS`` such draws per class. A class
without an in-fit episode keeps its prior. Leave-one-episode-out refits the hierarchy without
the episode (its likelihood enters nowhere) and predicts it from its class's predictive; the
episodes marked ``in_fit: false`` never enter the fit.

Like with like (docs/decisions/0034): the model's index is an annual mean, so each year is
compared with the annual average where the library has one (:meth:`Episode.observed`); a year
with dated points only (a year-end, a quarter, a day) is compared with the model's level of
the months in force, ``1 + (P − 1)/f`` (:func:`point_level`; the engine's sub-annual
representation, docs/model.md §1a), not with its annual mean. The point rows stay in the
library, flagged ``point``; the table's ``observed_kind`` says which one a peak year uses.

An observed price moves for other reasons too (demand cycles, other producers' news): the
model's index is the effect of the measure alone. The predictive band the episodes are
checked against multiplies it by background noise, ``exp(σ √h z)`` with ``h`` the years since
the base price and ``σ`` the class's median standard deviation of annual log price changes
in the embedded USGS prices 2017–2025 (:func:`background_volatility`), for both models.

Examples
--------
>>> CALIBRATED[:2]
('elasticity_demand_short', 'precautionary_buying')
>>> PREVIOUS_MODEL["price_cap"], PREVIOUS_MODEL["inventory_cover"]
(10.0, 0.0)
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import ndtr

from critmin.data.dataset import Dataset
from critmin.sim import episodes as library
from critmin.sim.engine import in_force, run_block
from critmin.sim.inputs import Draws, MarketInputs, draw, prepare
from critmin.sim.parameters import CLASSES, POSTERIOR_CSV, mineral_class, parameter_rows
from critmin.sim.runner import block_rng
from critmin.sim.sampling import triangular

#: The fitted parameters: those that set the first years' price response.
CALIBRATED = (
    "elasticity_demand_short",
    "precautionary_buying",
    "substitution_threshold",
    "elasticity_substitution",
    "inventory_cover",
    "inventory_release",
)

#: The model before issue 16, as settings of this one (with ``run_block(part_year=False)``):
#: the 10× ceiling, no precautionary buying, constant-elasticity demand, a balanced baseline
#: market (decision 0034). It clears whole years: its annual index is compared with points too.
PREVIOUS_MODEL = {
    "market_balance": 0.0,
    "price_cap": 10.0,
    "precautionary_buying": 0.0,
    "elasticity_substitution": 0.0,
    "elasticity_destruction": 0.0,
    "inventory_cover": 0.0,
}

CANDIDATES = 400
FIT_SAMPLES = 48
PREDICT_SAMPLES = 400
POSTERIOR_DRAWS = 200
SEED = 16
#: Inverse-gamma hyperprior on the between-episode variance ``τ²`` (shape, scale): weak (it
#: weighs as four of the fit's 42 episode × parameter terms) and centred near ``τ = 0.5``,
#: half the prior's spread, so that a fit of few episodes cannot collapse ``τ`` to zero.
TAU_PRIOR = (1.0, 0.5)


@dataclass
class _Run:
    episode: library.Episode
    mi: MarketInputs
    dr: Draws
    m: int
    years: list[int]  # indices of the observed years in the scenario's horizon
    observed: np.ndarray
    # Per sample and observed year, the in-force share of the year where the observation is a
    # dated point (the model's comparable statistic is then the level of the months in
    # force, :func:`point_level`); ``None`` when every observation is an annual average.
    point_f: np.ndarray | None = None


def _prior(cls: str, name: str) -> tuple[float, float, float]:
    rows = {r[0]: r for r in parameter_rows() if r[1] == name}
    r = rows.get(f"class:{cls}", rows["*"])
    return r[2], r[3], r[4]


def _prepare(
    ds: Dataset, n: int, episodes: tuple[library.Episode, ...] | None = None
) -> list[_Run]:
    out = []
    for ep in library.load() if episodes is None else episodes:
        mi = prepare(ep.scenario, ds, source=f"episode {ep.name}")
        dr = draw(mi, block_rng(SEED, 0), n, fitted=False)
        m = mi.minerals.index(ep.mineral)
        yrs = list(ep.years)
        idx = [int(np.flatnonzero(mi.years == y)[0]) for y in yrs]
        obs = np.array([ep.observed(y) for y in yrs])
        point = np.array([ep.is_point(y) for y in yrs])
        point_f = None
        if point.any():
            # The in-force share depends on the events' draws only, not on the parameters.
            f = in_force(mi, dr)
            point_f = np.ones((n, len(yrs))) if f is None else f[:, idx, m].copy()
            point_f[:, ~point] = 1.0
        out.append(_Run(ep, mi, dr, m, idx, obs, point_f))
    return out


def point_level(p: np.ndarray, f: np.ndarray) -> np.ndarray:
    """The price level of the months in force from the year's mean index ``p`` and the share
    of the year in force ``f`` (docs/model.md §1a: ``P = f P_on + (1 − f)``, so ``P_on = 1 +
    (P − 1)/f``): the model's statistic comparable with a dated point observed after the
    measure began (a year-end or a quarter against a price before it), decision 0034.

    Examples
    --------
    >>> point_level(np.array([1.5, 2.0]), np.array([0.5, 1.0])).tolist()
    [2.0, 2.0]
    """
    return 1.0 + (p - 1.0) / f


def _prices(run: _Run, values: dict[str, np.ndarray], previous: bool = False) -> np.ndarray:
    """Price index ``(n, years observed)`` with the given per-sample parameter values (a
    parameter the episode's scenario sets itself keeps the scenario's value)."""
    params = {k: v.copy() for k, v in run.dr.params.items()}
    for k, v in values.items():
        if run.mi.params[k].kind[run.m] != "scenario":
            params[k][:, run.m] = v
    if previous:
        for k, fixed in PREVIOUS_MODEL.items():
            params[k][:, run.m] = fixed
    dr = Draws(n=run.dr.n, params=params, host_share=run.dr.host_share,
               magnitude=run.dr.magnitude, exports=run.dr.exports,
               stochastic=run.dr.stochastic, success=run.dr.success)  # fmt: skip
    out = run_block(run.mi, dr, part_year=not previous)
    p = out["price_index"][:, run.years, run.m]
    if run.point_f is not None and not previous:
        # A dated point is compared with the level of the months in force (the previous
        # model clears whole years: its annual index is its only statistic).
        p = point_level(p, run.point_f)
    return p


def to_parameters(cls: str, z: np.ndarray) -> np.ndarray:
    """Map standard-normal coordinates ``z`` (``(n, len(CALIBRATED))``) to parameter values:
    ``u = Φ(z)`` through each parameter's class prior (triangular inverse CDF). ``z ~ N(0, I)``
    is the prior of ``params.csv``; any ``z`` gives a value inside the prior's range.

    Examples
    --------
    >>> v = to_parameters("main_product", np.zeros((1, len(CALIBRATED))))
    >>> lo, mode, hi = _prior("main_product", CALIBRATED[0])
    >>> bool(lo <= v[0, 0] <= hi)
    True
    """
    u = ndtr(np.asarray(z, dtype=float))
    cols = [triangular(u[:, c], *_prior(cls, name)) for c, name in enumerate(CALIBRATED)]
    return np.stack(cols, axis=1)


def candidates(seed: int = SEED, n: int = CANDIDATES) -> dict[str, np.ndarray]:
    """``n`` prior draws per class in standard-normal coordinates, ``(n, len(CALIBRATED))``
    (:func:`to_parameters` gives their values)."""
    rng = np.random.default_rng(seed)
    return {cls: rng.standard_normal((n, len(CALIBRATED))) for cls in CLASSES}


def _noise_cov(run: _Run, sigma: float) -> np.ndarray:
    """Covariance of the background log-price noise over the observed years: a random walk
    from the base year, ``σ² min(h_i, h_j)``."""
    h = np.maximum(1.0, np.array(run.episode.years, dtype=float) - run.episode.base_year)
    return sigma**2 * np.minimum.outer(h, h)


def loglik(
    runs: list[_Run], cands: dict[str, np.ndarray], vol: dict[str, float]
) -> dict[str, np.ndarray]:
    """Per in-fit episode, the synthetic log-likelihood of its observed path at each candidate
    of its class: the model's log price index over ``FIT_SAMPLES`` samples of everything else
    (share withheld, leakage, other parameters) taken as Gaussian, its covariance plus the
    background noise's (:func:`_noise_cov`)."""
    out = {}
    for run in runs:
        if not run.episode.in_fit:
            continue
        cls = mineral_class(run.episode.mineral)
        theta = to_parameters(cls, cands[cls])
        noise = _noise_cov(run, vol.get(cls, 0.0))
        y = np.log(run.observed)
        ll = np.empty(len(theta))
        for k, th in enumerate(theta):
            vals = {name: np.full(run.dr.n, th[i]) for i, name in enumerate(CALIBRATED)}
            lp = np.log(_prices(run, vals))
            r = y - lp.mean(axis=0)
            cov = np.atleast_2d(np.cov(lp, rowvar=False)) + noise + 1e-6 * np.eye(len(y))
            _, logdet = np.linalg.slogdet(cov)
            ll[k] = -0.5 * (float(r @ np.linalg.solve(cov, r)) + logdet)
        out[run.episode.name] = ll
    return out


@dataclass
class Hyper:
    """The fitted hierarchy: per class the posterior mean and covariance of the class mean
    ``μ_c`` of the episodes' parameters (standard-normal coordinates); the between-episode
    s.d. ``τ`` (pooled over the classes); and the episodes each class was fitted on."""

    mu: dict[str, np.ndarray]
    mu_cov: dict[str, np.ndarray]
    tau: float
    episodes: dict[str, tuple[str, ...]]

    def predictive(self, cls: str) -> tuple[np.ndarray, np.ndarray]:
        """Mean and covariance of a new episode's parameters in class ``cls``:
        ``N(E μ_c, Cov μ_c + τ² I)``; a class fitted on no episode keeps its prior, ``N(0, I)``."""
        D = len(CALIBRATED)
        if not self.episodes.get(cls):
            return np.zeros(D), np.eye(D)
        return self.mu[cls], self.mu_cov[cls] + self.tau**2 * np.eye(D)


def gaussian_likelihood(ll: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A Gaussian approximation of one episode's likelihood in standard-normal coordinates,
    in information form ``L(z) ∝ exp(h'z − ½ z'Pz)``, from its posterior under the prior:
    importance weights ``exp(ll)`` on the prior candidates give the mean ``m`` and covariance
    ``S``; then ``P = S⁻¹ − I`` (eigenvalues clipped at 0: a likelihood never adds spread)
    and ``h = S⁻¹ m``; both times ``ESS / (ESS + D)`` (the likelihood's centre kept, its
    precision lowered when few candidates carry the weight).

    Examples
    --------
    A likelihood that pins the first coordinate near 1 (s.d. 0.2) and ignores the second:

    >>> rng = np.random.default_rng(0)
    >>> z = rng.standard_normal((20000, 2))
    >>> h, P = gaussian_likelihood(-0.5 * ((z[:, 0] - 1) / 0.2) ** 2, z)
    >>> round(float(P[0, 0])), round(float(P[1, 1]))
    (25, 0)
    >>> round(float(h[0] / P[0, 0]), 1)
    1.0
    """
    D = z.shape[1]
    w = np.exp(ll - ll.max())
    w /= w.sum()
    ess = 1.0 / float(np.sum(w**2))
    m = w @ z
    S = (z - m).T @ ((z - m) * w[:, None])
    vals, vecs = np.linalg.eigh(np.linalg.inv(S + 1e-9 * np.eye(D)) - np.eye(D))
    P = (vecs * np.maximum(vals, 0.0)) @ vecs.T
    h = (P + np.eye(D)) @ m
    # Few effective candidates: keep the likelihood's centre, claim less precision.
    keep = ess / (ess + D)
    return keep * h, keep * P


TAU_GRID = np.round(np.arange(0.05, 2.001, 0.05), 2)


def hierarchical_fit(
    ll: dict[str, np.ndarray], cands: dict[str, np.ndarray], fit: list[library.Episode]
) -> Hyper:
    """Empirical-Bayes fit of the hierarchy (docs/decisions/0029).

    Model: an episode's parameters ``z_e ~ N(μ_c, τ² I)`` (``c`` its class; standard-normal
    coordinates of the class prior), ``μ_c ~ N(0, I)``, ``τ² ~ InvGamma(TAU_PRIOR)``; each
    episode's likelihood is the Gaussian :func:`gaussian_likelihood` of its synthetic
    log-likelihoods :func:`loglik`. Then ``μ_c`` integrates out analytically: per class,
    ``M = I + Σ_e Q_e``, ``Q_e = P_e (I + τ² P_e)⁻¹``, ``n = Σ_e (I + τ² P_e)⁻¹ h_e``; the
    log evidence is ``Σ_e [−½ log det(I + τ² P_e) + ½ h_e' A_e⁻¹ h_e] − ½ log det M +
    ½ n' M⁻¹ n`` with ``A_e = P_e + I/τ²``. ``τ`` is its posterior mode on :data:`TAU_GRID`;
    ``μ_c | τ ~ N(M⁻¹ n, M⁻¹)``. Deterministic (no draws)."""
    D = len(CALIBRATED)
    eye = np.eye(D)
    by: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {c: [] for c in CLASSES}
    names: dict[str, list[str]] = {c: [] for c in CLASSES}
    for e in fit:
        if e.name in ll:
            c = mineral_class(e.mineral)
            by[c].append(gaussian_likelihood(ll[e.name], cands[c]))
            names[c].append(e.name)
    a, b = TAU_PRIOR
    best: tuple[float, float, dict[str, np.ndarray], dict[str, np.ndarray]] | None = None
    for tau in TAU_GRID:
        t2 = float(tau) ** 2
        # log InvGamma(τ² | a, b) + log of the Jacobian dτ²/dτ (the grid is in τ)
        total = -(a + 1) * np.log(t2) - b / t2 + np.log(tau)
        mu, cov = {}, {}
        for c, items in by.items():
            M, n = eye.copy(), np.zeros(D)
            for h, P in items:
                B = np.linalg.inv(eye + t2 * P)
                M += P @ B
                n += B @ h
                A = P + eye / t2
                total += -0.5 * np.linalg.slogdet(eye + t2 * P)[1]
                total += 0.5 * float(h @ np.linalg.solve(A, h))
            Mi = np.linalg.inv(M)
            total += -0.5 * np.linalg.slogdet(M)[1] + 0.5 * float(n @ Mi @ n)
            mu[c], cov[c] = Mi @ n, Mi
        if best is None or total > best[0]:
            best = (float(total), float(tau), mu, cov)
    assert best is not None
    _, tau, mu, cov = best
    return Hyper(mu, cov, tau, {c: tuple(v) for c, v in names.items()})


def background_volatility(ds: Dataset) -> dict[str, float]:
    """Per class, the median over its minerals (with at least 5 annual prices) of the standard
    deviation of annual log price changes, USGS MCS prices 2017–2025 (critmin.data.prices)."""
    from critmin.data.prices import price_table

    t = price_table(ds).dropna(subset=["usd_per_t"])
    by: dict[str, list[float]] = {}
    for m, g in t.groupby("mineral"):
        d = np.diff(np.log(g.sort_values("year")["usd_per_t"].to_numpy(dtype=float)))
        if len(d) >= 4:
            by.setdefault(mineral_class(str(m)), []).append(float(np.std(d, ddof=1)))
    return {c: float(np.median(v)) for c, v in by.items()}


def _band(
    run: _Run, z: np.ndarray | None, previous: bool, seed: int, sigma: float = 0.0
) -> np.ndarray:
    """P5, P50, P95 ``(3, years)`` of the episode's predicted price index: one parameter vector
    per sample (``z``, standard-normal coordinates, from the predictive of its class; with
    ``z=None``, the priors), times the background noise."""
    vals: dict[str, np.ndarray] = {}
    if z is not None:
        theta = to_parameters(mineral_class(run.episode.mineral), z)
        vals = {name: theta[:, i] for i, name in enumerate(CALIBRATED)}
    p = _prices(run, vals, previous=previous)
    h = np.maximum(1.0, np.array(run.episode.years, dtype=float) - run.episode.base_year)
    noise = np.random.default_rng(seed + 1000).standard_normal(p.shape)
    p = p * np.exp(sigma * np.sqrt(h)[None, :] * noise)
    return np.percentile(p, [5, 50, 95], axis=0)


def _predictive_z(hyper: Hyper, cls: str, n: int, seed: int) -> np.ndarray:
    mean, cov = hyper.predictive(cls)
    L = np.linalg.cholesky(cov)
    return mean + np.random.default_rng(seed).standard_normal((n, len(CALIBRATED))) @ L.T


_Fitted = tuple[list[_Run], dict[str, np.ndarray], dict[str, np.ndarray], dict[str, float]]


def _fit(ds: Dataset, n_candidates: int) -> _Fitted:
    runs = _prepare(ds, FIT_SAMPLES)
    cands = candidates(n=n_candidates)
    vol = background_volatility(ds)
    return runs, cands, loglik(runs, cands, vol), vol


def fit(ds: Dataset, n_candidates: int = CANDIDATES) -> pd.DataFrame:
    """Fit the hierarchy to every in-fit episode and draw the shipped posterior: per class,
    ``POSTERIOR_DRAWS`` parameter vectors from the predictive of a new episode of the class
    (:meth:`Hyper.predictive`: the class mean, its uncertainty and the between-episode
    dispersion), one row each (class, draw, the parameters of :data:`CALIBRATED`). The fitted
    hyperparameters are in the table's ``attrs["hyper"]``."""
    runs, cands, ll, _ = _fit(ds, n_candidates)
    hyper = hierarchical_fit(ll, cands, [r.episode for r in runs if r.episode.in_fit])
    rows = []
    for j, cls in enumerate(CLASSES):
        theta = to_parameters(cls, _predictive_z(hyper, cls, POSTERIOR_DRAWS, SEED + 100 + j))
        for k, th in enumerate(theta):
            rows.append({"class": cls, "draw": k, **dict(zip(CALIBRATED, th, strict=True))})
    table = pd.DataFrame(rows)
    table.attrs["hyper"] = hyper
    return table


def write_posterior(table: pd.DataFrame, path: str | Path = POSTERIOR_CSV) -> Path:
    """Write the posterior table (rounded to 6 significant digits) where the package reads it."""
    path = Path(path)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["class", "draw", *CALIBRATED])
        for r in table.itertuples(index=False):
            w.writerow([r[0], r[1], *(f"{float(v):.6g}" for v in r[2:])])
    tmp.replace(path)
    return path


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """The summary figures of a validation table, for the current and the previous model:
    episodes, the share whose observed peak-year index is inside P5–P95, the median
    ``|log(P50 / observed)|`` in the peak year, the mean share of path points inside.

    Examples
    --------
    >>> t = pd.DataFrame({"model_inside": [True, False, True],
    ...                   "model_abs_log": [0.1, 0.5, 0.2],
    ...                   "model_path_inside": [1.0, 0.5, 0.0]})
    >>> t2 = t.rename(columns=lambda c: c.replace("model", "previous"))
    >>> s = summarise(pd.concat([t, t2], axis=1))
    >>> s.loc[0, ["inside_share", "median_abs_log", "path_inside_share"]].tolist()
    [0.6666666666666666, 0.2, 0.5]
    """
    summ = []
    for tag, label in (("model", "current (posterior, leave-one-out)"), ("previous", "previous")):
        summ.append({
            "model": label,
            "episodes": len(table),
            "inside_share": float(table[f"{tag}_inside"].mean()),
            "median_abs_log": float(table[f"{tag}_abs_log"].median()),
            "path_inside_share": float(table[f"{tag}_path_inside"].mean()),
        })  # fmt: skip
    return pd.DataFrame(summ)


def validate(ds: Dataset) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per episode, observed against the model's P5/P50/P95 in the peak year and over the path,
    and the same for the previous model; and the summary figures for both models.

    An in-fit episode is predicted leave-one-out: the hierarchy is refitted without it
    (:func:`hierarchical_fit` on the other episodes' likelihoods; its own observations enter
    nowhere) and the episode is run with parameters drawn from the predictive of its class,
    which includes the between-episode dispersion ``τ``. A held-out episode (``in_fit:
    false``) is predicted by the fit on every in-fit episode."""
    runs_fit, cands, ll, vol = _fit(ds, CANDIDATES)
    in_fit = [r.episode for r in runs_fit if r.episode.in_fit]
    full = hierarchical_fit(ll, cands, in_fit)
    runs = _prepare(ds, PREDICT_SAMPLES)
    rows = []
    for i, run in enumerate(runs):
        ep = run.episode
        cls = mineral_class(ep.mineral)
        hyper = hierarchical_fit(ll, cands, [e for e in in_fit if e.name != ep.name]) \
            if ep.in_fit else full  # fmt: skip
        z = _predictive_z(hyper, cls, run.dr.n, SEED + 500 + i)
        new = _band(run, z, False, SEED + i, vol.get(cls, 0.0))
        old = _band(run, None, True, SEED + i, vol.get(cls, 0.0))
        k = ep.years.index(ep.peak_year)
        obs = run.observed
        _, cov = hyper.predictive(cls)
        row = {
            "episode": ep.name, "mineral": ep.mineral, "class": cls, "in_fit": ep.in_fit,
            "peak_year": ep.peak_year, "observed": float(obs[k]),
            "observed_kind": "point" if ep.is_point(ep.peak_year) else "annual",
            "background_sigma": vol.get(cls, 0.0), "between_episode_sd": hyper.tau,
            "predictive_sd": float(np.sqrt(np.mean(np.diag(cov)))),
        }  # fmt: skip
        for tag, b in (("model", new), ("previous", old)):
            inside = (b[0] <= obs) & (obs <= b[2])
            row |= {
                f"{tag}_p5": float(b[0, k]), f"{tag}_p50": float(b[1, k]),
                f"{tag}_p95": float(b[2, k]), f"{tag}_inside": bool(inside[k]),
                f"{tag}_abs_log": float(abs(np.log(b[1, k] / obs[k]))),
                f"{tag}_path_inside": float(inside.mean()),
                f"{tag}_path_abs_log": float(np.mean(np.abs(np.log(b[1] / obs)))),
            }  # fmt: skip
        row["years"] = ",".join(str(y) for y in ep.years)
        row["path_observed"] = ",".join(f"{v:.3g}" for v in obs)
        row["path_model_p5"] = ",".join(f"{v:.3g}" for v in new[0])
        row["path_model_p50"] = ",".join(f"{v:.3g}" for v in new[1])
        row["path_model_p95"] = ",".join(f"{v:.3g}" for v in new[2])
        rows.append(row)
    table = pd.DataFrame(rows)
    return table, summarise(table)
