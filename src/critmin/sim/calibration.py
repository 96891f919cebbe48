"""Calibration and validation of the market model against the episode library (issue 16).

Method (docs/decisions/0023): approximate Bayesian computation by rejection, hierarchical by
market class. For each class (by-product, main product, bulk metal) ``CANDIDATES`` parameter
vectors are drawn from the class's priors in ``params.csv`` (the parameters of
:data:`CALIBRATED`); each candidate is run on every episode of the class that is in the fit,
with ``FIT_SAMPLES`` samples of everything else, and scored by the mean over the episode's
observed years of ``|log(P50 / observed)|``, averaged over the class's episodes; the best
``ACCEPT`` share of candidates is the class's posterior. A class without an episode in the fit
keeps its prior (its draws are all candidates). A mineral without an episode borrows its
class's posterior. Leave-one-episode-out: the same candidates and scores, the episode's own
score left out, so each in-fit episode is predicted by a posterior that never saw it; the
episodes marked ``in_fit: false`` are never scored.

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

from critmin.data.dataset import Dataset
from critmin.sim import episodes as library
from critmin.sim.engine import run_block
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
#: the 10× ceiling, no precautionary buying, constant-elasticity demand.
PREVIOUS_MODEL = {
    "price_cap": 10.0,
    "precautionary_buying": 0.0,
    "elasticity_substitution": 0.0,
    "elasticity_destruction": 0.0,
    "inventory_cover": 0.0,
}

CANDIDATES = 300
ACCEPT = 0.1
FIT_SAMPLES = 48
PREDICT_SAMPLES = 400
SEED = 16


@dataclass
class _Run:
    episode: library.Episode
    mi: MarketInputs
    dr: Draws
    m: int
    years: list[int]  # indices of the observed years in the scenario's horizon
    observed: np.ndarray


def _prior(cls: str, name: str) -> tuple[float, float, float]:
    rows = {r[0]: r for r in parameter_rows() if r[1] == name}
    r = rows.get(f"class:{cls}", rows["*"])
    return r[2], r[3], r[4]


def _prepare(ds: Dataset, n: int) -> list[_Run]:
    out = []
    for ep in library.load():
        mi = prepare(ep.scenario, ds, source=f"episode {ep.name}")
        dr = draw(mi, block_rng(SEED, 0), n, fitted=False)
        m = mi.minerals.index(ep.mineral)
        yrs = list(ep.years)
        idx = [int(np.flatnonzero(mi.years == y)[0]) for y in yrs]
        obs = np.array([ep.observed(y) for y in yrs])
        out.append(_Run(ep, mi, dr, m, idx, obs))
    return out


def _prices(run: _Run, values: dict[str, np.ndarray], previous: bool = False) -> np.ndarray:
    """Price index ``(n, years observed)`` with the given per-sample parameter values."""
    params = {k: v.copy() for k, v in run.dr.params.items()}
    for k, v in values.items():
        params[k][:, run.m] = v
    if previous:
        for k, fixed in PREVIOUS_MODEL.items():
            params[k][:, run.m] = fixed
    dr = Draws(n=run.dr.n, params=params, host_share=run.dr.host_share,
               magnitude=run.dr.magnitude, exports=run.dr.exports,
               stochastic=run.dr.stochastic, success=run.dr.success)  # fmt: skip
    out = run_block(run.mi, dr, part_year=not previous)
    return out["price_index"][:, run.years, run.m]


def candidates(seed: int = SEED) -> dict[str, np.ndarray]:
    """``CANDIDATES`` draws per class from the priors, ``(CANDIDATES, len(CALIBRATED))``."""
    rng = np.random.default_rng(seed)
    out = {}
    for cls in CLASSES:
        u = rng.random((CANDIDATES, len(CALIBRATED)))
        cols = [triangular(u[:, c], *_prior(cls, name)) for c, name in enumerate(CALIBRATED)]
        out[cls] = np.stack(cols, axis=1)
    return out


def scores(runs: list[_Run], cands: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per episode, each candidate of its class's mean ``|log(P50 / observed)|`` over years."""
    out = {}
    for run in runs:
        c = cands[mineral_class(run.episode.mineral)]
        s = np.empty(len(c))
        for k, theta in enumerate(c):
            vals = {name: np.full(run.dr.n, theta[i]) for i, name in enumerate(CALIBRATED)}
            p50 = np.median(_prices(run, vals), axis=0)
            s[k] = float(np.mean(np.abs(np.log(p50 / run.observed))))
        out[run.episode.name] = s
    return out


def accept(
    cands: dict[str, np.ndarray], sc: dict[str, np.ndarray], fit: list[library.Episode]
) -> dict[str, np.ndarray]:
    """The posterior per class: the best ``ACCEPT`` share of candidates on ``fit``'s episodes
    (all candidates, the prior, for a class with none)."""
    post = {}
    for cls, c in cands.items():
        mine = [sc[e.name] for e in fit if mineral_class(e.mineral) == cls]
        if not mine:
            post[cls] = c
            continue
        total = np.mean(mine, axis=0)
        keep = np.argsort(total, kind="stable")[: max(1, round(ACCEPT * len(c)))]
        post[cls] = c[keep]
    return post


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
    run: _Run, post: np.ndarray | None, previous: bool, seed: int, sigma: float = 0.0
) -> np.ndarray:
    """P5, P50, P95 ``(3, years)`` of the episode's price index under a posterior (or, with
    ``post=None``, the priors)."""
    vals: dict[str, np.ndarray] = {}
    if post is not None:
        pick = np.random.default_rng(seed).integers(0, len(post), run.dr.n)
        vals = {name: post[pick, i] for i, name in enumerate(CALIBRATED)}
    p = _prices(run, vals, previous=previous)
    h = np.maximum(1.0, np.array(run.episode.years, dtype=float) - run.episode.base_year)
    z = np.random.default_rng(seed + 1000).standard_normal(p.shape)
    p = p * np.exp(sigma * np.sqrt(h)[None, :] * z)
    return np.percentile(p, [5, 50, 95], axis=0)


def fit(ds: Dataset) -> pd.DataFrame:
    """Fit the posterior to every in-fit episode: one row per accepted draw (class, draw, the
    parameters of :data:`CALIBRATED`)."""
    runs = _prepare(ds, FIT_SAMPLES)
    cands = candidates()
    post = accept(cands, scores(runs, cands), [r.episode for r in runs if r.episode.in_fit])
    rows = []
    for cls in CLASSES:
        for k, theta in enumerate(post[cls]):
            rows.append({"class": cls, "draw": k, **dict(zip(CALIBRATED, theta, strict=True))})
    return pd.DataFrame(rows)


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


def validate(ds: Dataset) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per episode, observed against the model's P5/P50/P95 in the peak year and over the path
    (leave-one-episode-out for the in-fit episodes, the full fit for the held-out ones), and
    the same for the previous model; and the summary figures for both models."""
    runs_fit = _prepare(ds, FIT_SAMPLES)
    cands = candidates()
    sc = scores(runs_fit, cands)
    in_fit = [r.episode for r in runs_fit if r.episode.in_fit]
    full = accept(cands, sc, in_fit)
    runs = _prepare(ds, PREDICT_SAMPLES)
    vol = background_volatility(ds)
    rows = []
    for i, run in enumerate(runs):
        ep = run.episode
        cls = mineral_class(ep.mineral)
        post = accept(cands, sc, [e for e in in_fit if e.name != ep.name])[cls] if ep.in_fit \
            else full[cls]  # fmt: skip
        new = _band(run, post, False, SEED + i, vol.get(cls, 0.0))
        old = _band(run, None, True, SEED + i, vol.get(cls, 0.0))
        k = ep.years.index(ep.peak_year)
        obs = run.observed
        row = {
            "episode": ep.name, "mineral": ep.mineral, "class": cls, "in_fit": ep.in_fit,
            "peak_year": ep.peak_year, "observed": float(obs[k]),
            "background_sigma": vol.get(cls, 0.0),
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
        row["path_model_p50"] = ",".join(f"{v:.3g}" for v in new[1])
        rows.append(row)
    table = pd.DataFrame(rows)
    summ = []
    for tag, label in (("model", "current (posterior, leave-one-out)"), ("previous", "previous")):
        summ.append({
            "model": label,
            "episodes": len(table),
            "inside_share": float(table[f"{tag}_inside"].mean()),
            "median_abs_log": float(table[f"{tag}_abs_log"].median()),
            "path_inside_share": float(table[f"{tag}_path_inside"].mean()),
        })  # fmt: skip
    return table, pd.DataFrame(summ)
