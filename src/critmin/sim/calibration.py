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

Decision 0038: the predictive integrates over the posterior of ``τ`` (half-normal
hyperprior, :data:`TAU_SCALE`) instead of plugging in its mode, and each observed figure
carries an observation error by its price basis (:func:`observation_variance`); a
model-discrepancy term is available (:class:`Method`) but not shipped. :data:`PLUG_IN`
reproduces decisions 0029 and 0034.

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
from typing import cast

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
#: Inverse-gamma hyperprior on the between-episode variance ``τ²`` (shape, scale) of the
#: plug-in fit (decisions 0029, 0034; :data:`PLUG_IN`): weak and centred near ``τ = 0.5``.
TAU_PRIOR = (1.0, 0.5)
#: Scale of the half-normal hyperprior on ``τ`` of the shipped fit (decision 0038; Gelman
#: 2006, "Prior distributions for variance parameters in hierarchical models", Bayesian
#: Analysis 1(3)): in standard-normal coordinates of the prior, ``τ = 1`` means the episodes
#: differ as much as the whole prior range; beyond about 2 the probit map pushes every
#: parameter to its range's ends, so the scale is 1 (P(τ > 2) = 4.6 %).
TAU_SCALE = 1.0
#: Scale of the half-normal prior on the model-discrepancy s.d. (log price index; decision
#: 0038): an error of the measure's effect by more than a factor e (×2.7) has prior
#: probability 4.6 %.
DISCREPANCY_SCALE = 0.5
#: Grids the hyperparameters are integrated (or maximised) on: ``τ`` and the discrepancy s.d.
TAU_GRID_WIDE = np.round(np.arange(0.05, 3.001, 0.05), 2)
DISCREPANCY_GRID = np.round(np.arange(0.0, 1.001, 0.1), 2)


@dataclass(frozen=True)
class Method:
    """The statistical choices of the fit and of the predictive band (decision 0038), each a
    switch so that its effect can be measured alone.

    ``integrate``: the predictive integrates over the posterior of the between-episode s.d.
    ``τ`` (and of the discrepancy s.d.) on a grid, instead of plugging in the posterior mode
    (empirical Bayes). ``tau_prior``: ``"inv-gamma"`` (:data:`TAU_PRIOR` on ``τ²``, decision
    0029), ``"half-normal"`` or ``"half-cauchy"`` (scale :data:`TAU_SCALE` on ``τ``).
    ``basis_error``: the observation error of each observed figure by its price basis
    (:func:`observation_variance`). ``discrepancy``: a model-discrepancy term, an
    episode-level error of the log index ``δ ~ N(0, σ_d²)`` with ``σ_d`` fitted on the in-fit
    episodes (prior half-normal, :data:`DISCREPANCY_SCALE`).
    """

    integrate: bool = True
    tau_prior: str = "half-normal"
    basis_error: bool = True
    discrepancy: bool = False

    @property
    def tau_grid(self) -> np.ndarray:
        return TAU_GRID if self.tau_prior == "inv-gamma" else TAU_GRID_WIDE

    @property
    def disc_grid(self) -> np.ndarray:
        return DISCREPANCY_GRID if self.discrepancy else np.zeros(1)


#: The fit shipped (decision 0038): ``τ`` integrated under a half-normal hyperprior, the
#: observation error by basis; no discrepancy term (its in-sample fit is 0, and integrating
#: over its prior only widened the bands; measured in the decision note).
SHIPPED = Method()
#: The fit of decisions 0029 and 0034: ``τ`` plugged in at its mode, no basis error, no
#: discrepancy.
PLUG_IN = Method(integrate=False, tau_prior="inv-gamma", basis_error=False, discrepancy=False)


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


def _noise_cov(
    run: _Run, sigma: float, basis: np.ndarray | None = None, disc: float = 0.0
) -> np.ndarray:
    """Covariance of the background log-price noise over the observed years: a random walk
    from the base year, ``σ² min(h_i, h_j)``; plus the observation error by price basis
    (``basis``, variances, independent) and the model discrepancy (``disc``, one error of
    the episode's log index shared by its years)."""
    h = np.maximum(1.0, np.array(run.episode.years, dtype=float) - run.episode.base_year)
    cov = sigma**2 * np.minimum.outer(h, h) + disc**2
    return cov + np.diag(basis) if basis is not None else cov


def estimate_revision_sd(ds: Dataset) -> float:
    """Standard deviation of ``log(final / estimate)`` of USGS MCS annual prices: every price
    of the dataset's ``salient`` table that an edition gives for its previous year (the MCS
    convention: that year is an estimate, made before the year's end) and a later edition
    gives again for the same variable, unit and year. All pairs, no exclusion (definition
    changes included: the error of an estimate as a user of the series meets it).

    Examples
    --------
    >>> import critmin
    >>> round(estimate_revision_sd(critmin.load()), 3)
    0.165
    """
    s = ds.salient
    s = s[(s["category"] == "price") & (s["value"] > 0)
          & s["status"].isin(["reported", "estimated"])]  # fmt: skip
    key = ["mineral", "variable", "unit", "year"]
    est = s[s["year"] == s["edition"] - 1]
    final = s[s["year"] < s["edition"] - 1]
    m = est.merge(final, on=key, suffixes=("_e", "_f"))
    m = m[m["edition_f"] > m["edition_e"]].sort_values("edition_f")
    m = m.groupby([*key, "edition_e"]).tail(1)  # the newest final figure of each estimate
    d = np.log(m["value_f"].to_numpy(dtype=float) / m["value_e"].to_numpy(dtype=float))
    return float(np.std(d, ddof=1))


def observation_variance(ep: library.Episode, sigma: float, est_sd: float) -> np.ndarray:
    """Variance of each observed year's figure around what it measures, by its price basis
    (decision 0038): an annual average marked estimated, ``est_sd²``
    (:func:`estimate_revision_sd`); a dated point, compared with the mean level of the
    months in force, ``σ²/3`` (the variance of a random walk's end point around its mean over
    a window of up to one year, with the background ``σ``); a final annual average or a unit
    value, 0 (no data to size a unit value's composition error: none is assumed).

    Examples
    --------
    >>> ep = library.by_name()["antimony-2024"]
    >>> observation_variance(ep, 0.3, 0.2).round(3).tolist()  # 2024 a point, 2025 estimated
    [0.03, 0.04]
    """
    out = []
    for y in ep.years:
        if ep.is_point(y):
            out.append(sigma**2 / 3)
            continue
        annual = next(o for o in ep.observations if o.year == y and o.kind == "annual")
        out.append(est_sd**2 if "estimate" in annual.basis.lower() else 0.0)
    return np.array(out)


def simulate(runs: list[_Run], cands: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per in-fit episode, the model's log price index at each candidate of its class:
    ``(candidates, FIT_SAMPLES, years)`` (share withheld, leakage, other parameters drawn)."""
    out = {}
    for run in runs:
        if not run.episode.in_fit:
            continue
        theta = to_parameters(
            mineral_class(run.episode.mineral), cands[mineral_class(run.episode.mineral)]
        )
        lps = []
        for th in theta:
            vals = {name: np.full(run.dr.n, th[i]) for i, name in enumerate(CALIBRATED)}
            lps.append(np.log(_prices(run, vals)))
        out[run.episode.name] = np.stack(lps)
    return out


def loglik(
    runs: list[_Run],
    cands: dict[str, np.ndarray],
    vol: dict[str, float],
    sims: dict[str, np.ndarray] | None = None,
    basis: dict[str, np.ndarray] | None = None,
    disc: float = 0.0,
) -> dict[str, np.ndarray]:
    """Per in-fit episode, the synthetic log-likelihood of its observed path at each candidate
    of its class: the model's log price index over ``FIT_SAMPLES`` samples of everything else
    (:func:`simulate`, or ``sims``) taken as Gaussian, its covariance plus the background
    noise's (:func:`_noise_cov`), the observation error by basis (``basis``, per episode) and
    the discrepancy ``disc``."""
    sims = simulate(runs, cands) if sims is None else sims
    out = {}
    for run in runs:
        name = run.episode.name
        if name not in sims:
            continue
        cls = mineral_class(run.episode.mineral)
        noise = _noise_cov(run, vol.get(cls, 0.0), (basis or {}).get(name), disc)
        y = np.log(run.observed)
        ll = np.empty(len(sims[name]))
        for k, lp in enumerate(sims[name]):
            r = y - lp.mean(axis=0)
            cov = np.atleast_2d(np.cov(lp, rowvar=False)) + noise + 1e-6 * np.eye(len(y))
            _, logdet = np.linalg.slogdet(cov)
            ll[k] = -0.5 * (float(r @ np.linalg.solve(cov, r)) + logdet)
        out[name] = ll
    return out


@dataclass
class Component:
    """One point of the hyperparameter grid: its posterior weight, ``τ``, the discrepancy
    s.d., and per class the posterior mean and covariance of the class mean ``μ_c``."""

    weight: float
    tau: float
    disc: float
    mu: dict[str, np.ndarray]
    mu_cov: dict[str, np.ndarray]


@dataclass
class Hyper:
    """The fitted hierarchy: per class the posterior mean and covariance of the class mean
    ``μ_c`` of the episodes' parameters (standard-normal coordinates); the between-episode
    s.d. ``τ`` (pooled over the classes) and the discrepancy s.d.; the episodes each class
    was fitted on. Plug-in (decision 0029): one component at the posterior mode. Integrated
    (decision 0038): ``components`` over the grid, with posterior weights; ``mu``, ``mu_cov``,
    ``tau`` and ``disc`` are then the posterior means (the mixture's moments)."""

    mu: dict[str, np.ndarray]
    mu_cov: dict[str, np.ndarray]
    tau: float
    episodes: dict[str, tuple[str, ...]]
    disc: float = 0.0
    components: list[Component] | None = None

    def predictive(self, cls: str) -> tuple[np.ndarray, np.ndarray]:
        """Mean and covariance of a new episode's parameters in class ``cls``:
        ``N(E μ_c, Cov μ_c + τ² I)`` (a mixture of these over the components: its first two
        moments); a class fitted on no episode keeps its prior, ``N(0, I)``."""
        D = len(CALIBRATED)
        if not self.episodes.get(cls):
            return np.zeros(D), np.eye(D)
        comps = self.components or [Component(1.0, self.tau, self.disc, self.mu, self.mu_cov)]
        mean = sum(c.weight * c.mu[cls] for c in comps)
        second = sum(
            c.weight * (c.mu_cov[cls] + c.tau**2 * np.eye(D) + np.outer(c.mu[cls], c.mu[cls]))
            for c in comps
        )
        return np.asarray(mean), np.asarray(second - np.outer(mean, mean))

    def sample(self, cls: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """``n`` draws of a new episode's parameters ``z`` of class ``cls`` and of its
        discrepancy s.d.: the component first (by its weight), then ``z ~ N(E μ_c, Cov μ_c +
        τ² I)`` of that component. One component: the draws of decision 0029 exactly."""
        D = len(CALIBRATED)
        e = np.random.default_rng(seed).standard_normal((n, D))
        comps = self.components or [Component(1.0, self.tau, self.disc, self.mu, self.mu_cov)]
        if not self.episodes.get(cls):
            return e, np.zeros(n)
        k = np.zeros(n, dtype=int)
        if len(comps) > 1:
            w = np.array([c.weight for c in comps])
            k = np.random.default_rng(seed + 7).choice(len(comps), size=n, p=w / w.sum())
        z = np.empty((n, D))
        disc = np.empty(n)
        for j in np.unique(k):
            c, sel = comps[j], k == j
            L = np.linalg.cholesky(c.mu_cov[cls] + c.tau**2 * np.eye(D))
            z[sel] = c.mu[cls] + e[sel] @ L.T
            disc[sel] = c.disc
        return z, disc


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


def _log_tau_prior(tau: float, prior: str) -> float:
    """Log density of the hyperprior on ``τ`` (up to a constant), on a grid uniform in ``τ``."""
    t2 = tau**2
    if prior == "inv-gamma":
        a, b = TAU_PRIOR  # on τ², with the Jacobian dτ²/dτ
        return float(-(a + 1) * np.log(t2) - b / t2 + np.log(tau))
    if prior == "half-normal":
        return float(-0.5 * t2 / TAU_SCALE**2)
    if prior == "half-cauchy":
        return float(-np.log1p(t2 / TAU_SCALE**2))
    raise ValueError(f"unknown hyperprior {prior!r}")


def _log_normaliser(ll: np.ndarray, h: np.ndarray, P: np.ndarray) -> float:
    """``log c`` of an episode's Gaussian likelihood ``c exp(h'z − ½ z'Pz)``: its integral
    under the prior is the mean of ``exp(ll)`` over the prior candidates, and ``det(I +
    P)^{-1/2} exp(½ h'(I + P)⁻¹ h)`` times ``c``. Needed only to compare discrepancy values
    (the likelihoods then differ in scale, not only in shape)."""
    top = float(ll.max())
    lme = top + float(np.log(np.mean(np.exp(ll - top))))
    A = np.eye(len(h)) + P
    return lme + 0.5 * float(np.linalg.slogdet(A)[1]) - 0.5 * float(h @ np.linalg.solve(A, h))


def hierarchical_fit(
    ll: dict[str, np.ndarray] | dict[float, dict[str, np.ndarray]],
    cands: dict[str, np.ndarray],
    fit: list[library.Episode],
    method: Method = SHIPPED,
) -> Hyper:
    """Fit of the hierarchy (docs/decisions/0029, 0038).

    Model: an episode's parameters ``z_e ~ N(μ_c, τ² I)`` (``c`` its class; standard-normal
    coordinates of the class prior), ``μ_c ~ N(0, I)``, ``τ`` with the hyperprior of
    ``method``; each episode's likelihood is the Gaussian :func:`gaussian_likelihood` of its
    synthetic log-likelihoods :func:`loglik` (``ll``: per episode; or per discrepancy s.d.
    on ``method.disc_grid``, per episode). Then ``μ_c`` integrates out analytically: per
    class, ``M = I + Σ_e Q_e``, ``Q_e = P_e (I + τ² P_e)⁻¹``, ``n = Σ_e (I + τ² P_e)⁻¹ h_e``;
    the log evidence is ``Σ_e [log c_e − ½ log det(I + τ² P_e) + ½ h_e' A_e⁻¹ h_e] − ½ log
    det M + ½ n' M⁻¹ n`` with ``A_e = P_e + I/τ²`` (``c_e``, :func:`_log_normaliser`, matters
    only across discrepancy values); ``μ_c | τ ~ N(M⁻¹ n, M⁻¹)``. Plug-in: the posterior mode
    of ``(τ, σ_d)`` on the grid; integrated: every grid point, weighted by its posterior.
    Deterministic (no draws)."""
    D = len(CALIBRATED)
    eye = np.eye(D)
    grid = method.disc_grid
    first = next(iter(ll.values()), None)
    by_disc = cast(
        dict[float, dict[str, np.ndarray]],
        ll if isinstance(first, dict) else {float(grid[0]): ll},
    )
    names: dict[str, list[str]] = {c: [] for c in CLASSES}
    for e in fit:
        if e.name in by_disc[float(grid[0])]:
            names[mineral_class(e.mineral)].append(e.name)
    epis = {e.name: e for e in fit}
    comps: list[tuple[float, Component]] = []
    for d in grid:
        lld = by_disc[float(d)]
        by: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {c: [] for c in CLASSES}
        const = 0.0
        for c, ns in names.items():
            for nm in ns:
                h, P = gaussian_likelihood(lld[nm], cands[mineral_class(epis[nm].mineral)])
                by[c].append((h, P))
                if len(grid) > 1:
                    const += _log_normaliser(lld[nm], h, P)
        # half-normal prior on the discrepancy s.d.
        const += -0.5 * float(d) ** 2 / DISCREPANCY_SCALE**2 if len(grid) > 1 else 0.0
        for tau in method.tau_grid:
            t2 = float(tau) ** 2
            total = const + _log_tau_prior(float(tau), method.tau_prior)
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
            comps.append((float(total), Component(0.0, float(tau), float(d), mu, cov)))
    eps = {c: tuple(v) for c, v in names.items()}
    if not method.integrate:
        _, best = max(comps, key=lambda t: t[0])
        return Hyper(best.mu, best.mu_cov, best.tau, eps, best.disc)
    logw = np.array([t for t, _ in comps])
    # Trapezoid weights on the grids: half weight at the discrepancy grid's end points.
    dw = np.ones(len(grid))
    if len(grid) > 1:
        dw[0] = dw[-1] = 0.5
    logw += np.repeat(np.log(dw), len(method.tau_grid))
    w = np.exp(logw - logw.max())
    w /= w.sum()
    out = [
        Component(float(wi), c.tau, c.disc, c.mu, c.mu_cov)
        for wi, (_, c) in zip(w, comps, strict=True)
    ]
    out = [c for c in out if c.weight > 1e-6]
    tot = sum(c.weight for c in out)
    out = [Component(c.weight / tot, c.tau, c.disc, c.mu, c.mu_cov) for c in out]
    mu = {k: np.sum([c.weight * c.mu[k] for c in out], axis=0) for k in CLASSES}
    mu_cov = {
        k: np.sum(
            [c.weight * (c.mu_cov[k] + np.outer(c.mu[k] - mu[k], c.mu[k] - mu[k])) for c in out],
            axis=0,
        )
        for k in CLASSES
    }
    tau = float(sum(c.weight * c.tau for c in out))
    disc = float(sum(c.weight * c.disc for c in out))
    return Hyper(mu, mu_cov, tau, eps, disc, out)


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
    run: _Run,
    z: np.ndarray | None,
    previous: bool,
    seed: int,
    sigma: float = 0.0,
    basis: np.ndarray | None = None,
    disc: np.ndarray | None = None,
) -> np.ndarray:
    """P5, P50, P95 ``(3, years)`` of the episode's predicted price index: one parameter vector
    per sample (``z``, standard-normal coordinates, from the predictive of its class; with
    ``z=None``, the priors), times the background noise, the observation error by basis
    (``basis``, variances per year) and the model discrepancy (``disc``, an s.d. per sample,
    one error shared by the episode's years)."""
    vals: dict[str, np.ndarray] = {}
    if z is not None:
        theta = to_parameters(mineral_class(run.episode.mineral), z)
        vals = {name: theta[:, i] for i, name in enumerate(CALIBRATED)}
    p = _prices(run, vals, previous=previous)
    h = np.maximum(1.0, np.array(run.episode.years, dtype=float) - run.episode.base_year)
    noise = np.random.default_rng(seed + 1000).standard_normal(p.shape)
    p = p * np.exp(sigma * np.sqrt(h)[None, :] * noise)
    if basis is not None and basis.any():
        e = np.random.default_rng(seed + 2000).standard_normal(p.shape)
        p = p * np.exp(np.sqrt(basis)[None, :] * e)
    if disc is not None and disc.any():
        d = np.random.default_rng(seed + 3000).standard_normal(p.shape[0])
        p = p * np.exp((disc * d)[:, None])
    return np.percentile(p, [5, 50, 95], axis=0)


@dataclass
class _Fitted:
    runs: list[_Run]
    cands: dict[str, np.ndarray]
    ll: dict[float, dict[str, np.ndarray]]
    vol: dict[str, float]
    basis: dict[str, np.ndarray]


def _fit(ds: Dataset, n_candidates: int, method: Method) -> _Fitted:
    runs = _prepare(ds, FIT_SAMPLES)
    cands = candidates(n=n_candidates)
    vol = background_volatility(ds)
    basis: dict[str, np.ndarray] = {}
    if method.basis_error:
        est = estimate_revision_sd(ds)
        for r in runs:
            cls = mineral_class(r.episode.mineral)
            basis[r.episode.name] = observation_variance(r.episode, vol.get(cls, 0.0), est)
    sims = simulate(runs, cands)
    ll = {float(d): loglik(runs, cands, vol, sims, basis, float(d)) for d in method.disc_grid}
    return _Fitted(runs, cands, ll, vol, basis)


def fit(ds: Dataset, n_candidates: int = CANDIDATES, method: Method = SHIPPED) -> pd.DataFrame:
    """Fit the hierarchy to every in-fit episode and draw the shipped posterior: per class,
    ``POSTERIOR_DRAWS`` parameter vectors from the predictive of a new episode of the class
    (:meth:`Hyper.sample`: the class mean, its uncertainty and the between-episode
    dispersion, integrated over the hyperparameters' posterior), one row each (class, draw,
    the parameters of :data:`CALIBRATED`). The fitted hyperparameters are in the table's
    ``attrs["hyper"]``. The discrepancy is a term of the validation's predictive band only:
    the engine's runs do not add it (decision 0038)."""
    f = _fit(ds, n_candidates, method)
    fitted = [r.episode for r in f.runs if r.episode.in_fit]
    hyper = hierarchical_fit(f.ll, f.cands, fitted, method)
    rows = []
    for j, cls in enumerate(CLASSES):
        z, _ = hyper.sample(cls, POSTERIOR_DRAWS, SEED + 100 + j)
        theta = to_parameters(cls, z)
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
    ``|log(P50 / observed)|`` in the peak year, the mean share of path points inside, and the
    median width of the peak-year band, ``P95 / P5`` (NaN without the P5/P95 columns).

    Examples
    --------
    >>> t = pd.DataFrame({"model_inside": [True, False, True],
    ...                   "model_abs_log": [0.1, 0.5, 0.2],
    ...                   "model_path_inside": [1.0, 0.5, 0.0],
    ...                   "model_p5": [1.0, 1.0, 2.0], "model_p95": [2.0, 3.0, 3.0]})
    >>> t2 = t.rename(columns=lambda c: c.replace("model", "previous"))
    >>> s = summarise(pd.concat([t, t2], axis=1))
    >>> s.loc[0, ["inside_share", "median_abs_log", "path_inside_share",
    ...           "median_band_ratio"]].tolist()
    [0.6666666666666666, 0.2, 0.5, 2.0]
    """
    summ = []
    for tag, label in (("model", "current (posterior, leave-one-out)"), ("previous", "previous")):
        ratio = (
            float((table[f"{tag}_p95"] / table[f"{tag}_p5"]).median())
            if f"{tag}_p5" in table else float("nan")
        )  # fmt: skip
        summ.append({
            "model": label,
            "episodes": len(table),
            "inside_share": float(table[f"{tag}_inside"].mean()),
            "median_abs_log": float(table[f"{tag}_abs_log"].median()),
            "path_inside_share": float(table[f"{tag}_path_inside"].mean()),
            "median_band_ratio": ratio,
        })  # fmt: skip
    return pd.DataFrame(summ)


def validate(ds: Dataset, method: Method = SHIPPED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per episode, observed against the model's P5/P50/P95 in the peak year and over the path,
    and the same for the previous model; and the summary figures for both models.

    An in-fit episode is predicted leave-one-out: the hierarchy is refitted without it
    (:func:`hierarchical_fit` on the other episodes' likelihoods; its own observations enter
    nowhere, the discrepancy and ``τ`` included) and the episode is run with parameters drawn
    from the predictive of its class, which includes the between-episode dispersion ``τ``. A
    held-out episode (``in_fit: false``) is predicted by the fit on every in-fit episode.
    Both models' bands include the background noise and the observation error by basis; the
    current model's also the discrepancy (fitted for it)."""
    f = _fit(ds, CANDIDATES, method)
    in_fit = [r.episode for r in f.runs if r.episode.in_fit]
    full = hierarchical_fit(f.ll, f.cands, in_fit, method)
    runs = _prepare(ds, PREDICT_SAMPLES)
    rows = []
    for i, run in enumerate(runs):
        ep = run.episode
        cls = mineral_class(ep.mineral)
        hyper = hierarchical_fit(f.ll, f.cands, [e for e in in_fit if e.name != ep.name],
                                 method) if ep.in_fit else full  # fmt: skip
        z, disc = hyper.sample(cls, run.dr.n, SEED + 500 + i)
        sigma = f.vol.get(cls, 0.0)
        basis = f.basis.get(ep.name)
        new = _band(run, z, False, SEED + i, sigma, basis, disc)
        old = _band(run, None, True, SEED + i, sigma, basis)
        k = ep.years.index(ep.peak_year)
        obs = run.observed
        _, cov = hyper.predictive(cls)
        row = {
            "episode": ep.name, "mineral": ep.mineral, "class": cls, "in_fit": ep.in_fit,
            "peak_year": ep.peak_year, "observed": float(obs[k]),
            "observed_kind": "point" if ep.is_point(ep.peak_year) else "annual",
            "observed_base": ep.observation(ep.peak_year).base,
            "background_sigma": sigma, "between_episode_sd": hyper.tau,
            "discrepancy_sd": hyper.disc,
            "observation_sd": float(np.sqrt(basis[k])) if basis is not None else 0.0,
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
