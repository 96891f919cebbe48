"""The fitted export-restriction hazard model (docs/model.md §10, decision 0020).

**Incidence.** New restrictions on cell ``i`` = (country ``c``, mineral ``m``) in year ``t``:

    y_it ~ Poisson(λ_it × exp(σ z_ct − σ²/2)),   z_ct ~ N(0, 1)

(a common shock per country and year, shared by the country's minerals: a measure covers
several minerals at once, and China's 2023–2025 controls came as a sequence)
    log λ_it = α + β·x_it + u_c + v_g(m),   u_c ~ N(0, τ_c²),   v_g ~ N(0, τ_g²)

with covariates ``x`` (standardised): WGI political stability and UNGA ideal-point distance
to the USA of the country the year before, log share of world output, a prior restriction by
the country in the five previous years, and a linear time trend. Country and mineral-group
effects are pooled (random effects): a country with a short or empty record borrows strength
from the others through the covariates. Estimation: the posterior mode (penalised maximum
likelihood, Newton's method) given ``τ``; ``τ_c, τ_g`` by the Laplace approximation of the
marginal likelihood on a grid (empirical Bayes); the common-shock variance by moments of the
country-year totals, ``exp(σ²) − 1 = Σ_ct [(N_ct − μ_ct)² − μ_ct] / Σ_ct μ_ct²`` (0 if
negative).
Uncertainty: a parametric bootstrap (simulate the record from the fit, common shock
included, and refit at the same ``τ``); the draws are shipped as ``hazard_fit.csv`` and a
run samples one per sample (σ is held at its point estimate: its moment estimate from one
simulated record of a few dozen events is mostly 0). The trend is not extrapolated:
forecasts hold the hazard of the last fitted year.

**Measures.** Each new restriction is one of :data:`~critmin.sim.hazard_record.MEASURES`,
with the type mix of the restricting country's group (China, the others) in the record
(Dirichlet, 0.5 pseudo-counts per type), a withheld share per type (:func:`withheld_shares`:
the record's observed export drops where it has enough, else :data:`WITHHELD`) and an
exponential duration whose mean per type has a gamma posterior from the record's durations
(right-censored while in force; prior one lifting per three years).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from critmin.data.dataset import Dataset
from critmin.sim.hazard_record import FIRST_YEAR, MEASURES, record_measures
from critmin.sim.hazard_record import panel as make_panel
from critmin.sim.schema import FractionRange

#: Covariates standardised before fitting (mean, sd kept with the fit).
SCALED = ("pv", "align", "log_share")
FIXED = ("intercept", "pv", "align", "log_share", "prior", "trend")
#: Prior sd of the intercept and of the slopes on standardised covariates (weakly
#: informative, the scale Gelman et al. 2008 recommend for logistic regression).
INTERCEPT_SD = 10.0
FIXED_SD = 2.5
TAU_C_GRID = (0.5, 1.0, 2.0, 3.0, 4.0)
TAU_G_GRID = (0.25, 1.0, 3.0)

#: Share of the restricting country's output withheld from the market, per measure type:
#: (range, basis). ``ASSUMPTION`` marks a documented conservative prior where the record
#: holds no export drop for the type.
WITHHELD: dict[str, tuple[FractionRange, str]] = {
    "export tax": (
        FractionRange(low=0.0, central=0.08, high=0.25),
        "ASSUMPTION: duties of 5-25 % in the record (China 2008-2015, Indonesia "
        "2014); with an export-supply elasticity near 1 a duty cuts exports by about "
        "its rate. The record's BACI changes after a duty do not identify it (exports "
        "mostly rose: ESTIMATED_TYPES)",
    ),
    "licensing": (
        FractionRange(low=0.2, central=0.5, high=0.97),
        "record: China's exports fell 69 % (gallium, Jan-Feb 2024 on a year earlier) "
        "and 97 % (antimony, Oct on Sep 2024) in the first months (REFERENCE §5.6); "
        "licences were then granted (gallium from 21 Sep 2023), so a year's average "
        "is lower",
    ),
    "quota": (
        FractionRange(low=0.1, central=0.35, high=0.6),
        "record: China's rare-earth quota of 30,258 t in 2010 against 50,000 t in 2005 "
        "(-40 %); the DRC's cobalt quota of 96,600 t a year against about 220,000 t of "
        "output (about -55 %, export_share_covered 1)",
    ),
    "ban": (
        FractionRange(low=0.3, central=0.7, high=1.0),
        "record: export_share_covered 1 for the DRC's 2025 cobalt ban; ore bans exempt "
        "processed products and grant permits (Indonesia's copper concentrate), "
        "ASSUMPTION for the low end",
    ),
    "ban aimed at importers": (
        FractionRange(low=0.5, central=0.9, high=1.0),
        "record: the 2010 embargo covered Japan's 50 % of China's "
        "rare-earth shipments (export_share_covered 0.5 of all "
        "exports, i.e. all of the target's)",
    ),
}
#: Fewest observed export drops of a type for the record to replace :data:`WITHHELD`'s range.
MIN_DROPS = 5
#: Types whose observed drops are used. Export taxes are left out: the record's year-on-year
#: changes after a duty mostly rose (Indonesia's 2013 ore exports ran ahead of its announced
#: 2014 ban; Argentina's and India's exports grew with prices), so they do not identify what
#: a duty withholds, and the ASSUMPTION range stays.
ESTIMATED_TYPES = ("ban", "quota", "licensing", "ban aimed at importers")


def export_drops(ds: Dataset, last_year: int | None = None) -> pd.DataFrame:
    """Observed drop of the restricting country's exports of the restricted product (BACI
    quantities, t), per new measure and mineral of the record.

    ``drop = 1 − Q_after / Q_before``: ``Q_before`` the calendar year before the start,
    ``Q_after`` the first calendar year the measure was in force throughout (the start year
    when it started in January). Only measures counted as new (:func:`record_measures`), in
    force through that year, whose mineral has an HS code of the measure's stage in the map
    (``hs_codes``; the codes of a mineral and stage are summed) and with exports before.

    Examples
    --------
    >>> import critmin
    >>> d = export_drops(critmin.load()).set_index(["id", "mineral"])
    >>> round(float(d.loc[("ID-2014-ore-ban", "nickel"), "drop"]), 2)
    0.87
    """
    trade = ds.trade
    last = int(trade["year"].max()) if last_year is None else last_year
    hs = ds.hs_codes
    q = trade.groupby(["exporter", "hs", "year"])["quantity"].sum()
    m = record_measures(ds.restrictions)
    rows = []
    for r in m[m["counts"]].to_dict(orient="records"):
        s, e = r["start"], r["end"]
        after = s.year if s.month == 1 else s.year + 1
        if after > last or (e is not None and e < dt.date(after, 12, 31)):
            continue
        for mineral in r["minerals"]:
            codes = hs.loc[(hs["mineral"] == mineral) & (hs["stage"] == r["stage"]), "hs"]
            codes = sorted(set(codes.astype(str)))
            if not codes:
                continue
            qb = sum(float(q.get((r["country"], c, s.year - 1), 0.0)) for c in codes)
            qa = sum(float(q.get((r["country"], c, after), 0.0)) for c in codes)
            if not qb > 0:
                continue
            rows.append({"id": r["id"], "country": r["country"], "mineral": mineral,
                         "measure": r["measure"], "stage": r["stage"], "hs": ";".join(codes),
                         "before": s.year - 1, "after": after, "q_before": qb, "q_after": qa,
                         "drop": 1.0 - qa / qb})  # fmt: skip
    cols = ["id", "country", "mineral", "measure", "stage", "hs", "before", "after",
            "q_before", "q_after", "drop"]  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


def withheld_shares(ds: Dataset) -> dict[str, tuple[FractionRange, str]]:
    """The withheld-share range of each measure type: from the record's observed export
    drops (:func:`export_drops`, clipped to [0, 1]; triangular low = min, mode = median,
    high = max) for the types of :data:`ESTIMATED_TYPES` with at least :data:`MIN_DROPS`
    observations, else :data:`WITHHELD` (its basis says why).

    Examples
    --------
    >>> import critmin
    >>> w = withheld_shares(critmin.load())
    >>> w["ban"][1].startswith("BACI"), w["export tax"][1].startswith("ASSUMPTION")
    (True, True)
    """

    def compute() -> dict[str, tuple[FractionRange, str]]:
        d = export_drops(ds)
        out = dict(WITHHELD)
        for k in ESTIMATED_TYPES:
            x = d[d["measure"] == k]
            if len(x) < MIN_DROPS:
                continue
            v = np.clip(x["drop"].to_numpy(float), 0.0, 1.0)
            lo, mid, hi = float(v.min()), float(np.median(v)), float(v.max())
            cases = ", ".join(f"{i} {mm} {dd:.0%}" for i, mm, dd in zip(x["id"], x["mineral"], v,
                                                                        strict=True))  # fmt: skip
            out[k] = (
                FractionRange(low=round(lo, 3), central=round(mid, 3), high=round(hi, 3)),
                f"BACI: drop of the product's exports from the year before to the first full "
                f"year in force, {len(v)} cases ({cases})",
            )
        return out

    result: dict[str, tuple[FractionRange, str]] = ds.memo(("sim.withheld_shares",), compute)
    return result


#: Measure types that discriminate between buyers (aimed by alignment, docs/model.md §10).
DISCRIMINATING_TYPES = ("licensing", "ban aimed at importers")
#: Prior of the mean duration: one lifting per this many years of exposure.
DURATION_PRIOR_YEARS = 3.0


@dataclass
class PanelFit:
    """A posterior-mode fit: fixed effects, country and group effects, their sds, σ."""

    beta: np.ndarray
    u: pd.Series
    v: pd.Series
    tau_c: float
    tau_g: float
    sigma: float
    scale: dict[str, tuple[float, float]]
    last_year: int
    events: int
    log_marginal: float = float("nan")


def _fixed(panel: pd.DataFrame, scale: dict[str, tuple[float, float]]) -> np.ndarray:
    X = np.ones((len(panel), len(FIXED)))
    for j, name in enumerate(FIXED[1:], start=1):
        x = panel[name].to_numpy(float)
        if name in scale:
            mu, sd = scale[name]
            x = (x - mu) / sd
        X[:, j] = x
    return X


def _design(panel: pd.DataFrame, scale: dict[str, tuple[float, float]], countries: list[str],
            groups: list[str]) -> np.ndarray:  # fmt: skip
    X = _fixed(panel, scale)
    C = np.zeros((len(panel), len(countries)))
    C[np.arange(len(panel)), pd.Index(countries).get_indexer(pd.Index(panel["country"]))] = 1.0
    G = np.zeros((len(panel), len(groups)))
    G[np.arange(len(panel)), pd.Index(groups).get_indexer(pd.Index(panel["group"]))] = 1.0
    return np.hstack([X, C, G])


def _mode(
    Z: np.ndarray, y: np.ndarray, prec: np.ndarray, theta0: np.ndarray | None = None
) -> tuple[np.ndarray, float, np.ndarray]:
    """Posterior mode of the Poisson log-linear model with Gaussian prior precisions
    ``prec`` (Newton with step halving): (θ, negative log posterior, Hessian)."""
    theta = np.zeros(Z.shape[1]) if theta0 is None else theta0.copy()
    if theta0 is None:
        theta[0] = np.log(max(y.mean(), 1e-6))

    def nlp(th: np.ndarray) -> float:
        eta = Z @ th
        return float(np.exp(eta).sum() - y @ eta + 0.5 * (prec * th * th).sum())

    f = nlp(theta)
    for _ in range(100):
        lam = np.exp(Z @ theta)
        g = Z.T @ (lam - y) + prec * theta
        H = (Z * lam[:, None]).T @ Z + np.diag(prec)
        step = np.linalg.solve(H, g)
        t = 1.0
        while t > 1e-8:
            cand = theta - t * step
            fc = nlp(cand)
            if fc <= f + 1e-12:
                break
            t /= 2
        done = abs(f - fc) < 1e-10 * (1 + abs(f))
        theta, f = cand, fc
        if done:
            break
    lam = np.exp(Z @ theta)
    H = (Z * lam[:, None]).T @ Z + np.diag(prec)
    return theta, f, H


def _precisions(n_c: int, n_g: int, tau_c: float, tau_g: float) -> np.ndarray:
    return np.concatenate([[INTERCEPT_SD**-2], np.full(len(FIXED) - 1, FIXED_SD**-2),
                           np.full(n_c, tau_c**-2),
                           np.full(n_g, tau_g**-2)])  # fmt: skip


def _sigma(y: np.ndarray, mu: np.ndarray, key: np.ndarray) -> float:
    """Common-shock sd from the country-year totals (moments; 0 when not overdispersed)."""
    _, inv = np.unique(key, return_inverse=True)
    N = np.bincount(inv, weights=y)
    M = np.bincount(inv, weights=mu)
    k = float(((N - M) ** 2 - M).sum() / max((M**2).sum(), 1e-12))
    return float(np.sqrt(np.log1p(max(k, 0.0))))


def _country_year(panel: pd.DataFrame) -> np.ndarray:
    return (panel["country"].astype(str) + ":" + panel["year"].astype(str)).to_numpy()


def fit_panel(
    panel: pd.DataFrame, tau: tuple[float, float] | None = None, y: str = "y"
) -> PanelFit:
    """Fit the incidence model to a panel (:func:`critmin.sim.hazard_record.panel`).

    ``tau`` fixes the random-effect sds; by default they maximise the Laplace-approximated
    marginal likelihood over :data:`TAU_C_GRID` × :data:`TAU_G_GRID`.
    """
    scale = {n: (float(panel[n].mean()), float(panel[n].std() or 1.0)) for n in SCALED}
    countries = sorted(panel["country"].unique())
    groups = sorted(panel["group"].unique())
    Z = _design(panel, scale, countries, groups)
    yv = panel[y].to_numpy(float)
    C, G = len(countries), len(groups)
    best: tuple[float, float, float, np.ndarray] | None = None
    grid = [tau] if tau is not None else [(a, b) for a in TAU_C_GRID for b in TAU_G_GRID]
    theta0 = None
    for tc, tg in grid:
        prec = _precisions(C, G, tc, tg)
        theta, f, H = _mode(Z, yv, prec, theta0)
        theta0 = theta
        _, logdet = np.linalg.slogdet(H)
        lm = -f - 0.5 * logdet + 0.5 * np.log(prec).sum()
        if best is None or lm > best[0]:
            best = (lm, tc, tg, theta)
    assert best is not None
    lm, tc, tg, theta = best
    mu = np.exp(Z @ theta)
    P = len(FIXED)
    return PanelFit(
        beta=theta[:P],
        u=pd.Series(theta[P : P + C], index=countries),
        v=pd.Series(theta[P + C :], index=groups),
        tau_c=tc,
        tau_g=tg,
        sigma=_sigma(yv, mu, _country_year(panel)),
        scale=scale,
        last_year=int(panel["year"].max()),
        events=int(yv.sum()),
        log_marginal=float(lm),
    )


def linear_predictor(f: PanelFit, cells: pd.DataFrame) -> np.ndarray:
    """log λ of cells (columns of the panel; trend frozen at the fit's last year)."""
    x = cells.assign(trend=(f.last_year - 2017) / 10.0)
    X = _fixed(x, f.scale)
    return (X @ f.beta + f.u.reindex(x["country"]).fillna(0.0).to_numpy()
            + f.v.reindex(x["group"]).fillna(0.0).to_numpy())  # fmt: skip


def bootstrap(
    panel: pd.DataFrame, f: PanelFit, draws: int, seed: int, y: str = "y"
) -> list[PanelFit]:
    """Parametric bootstrap: ``draws`` records simulated from the fit (with its common shock
    per country and year), each refitted at the fit's ``τ``."""
    rng = np.random.default_rng(seed)
    full = panel.assign(trend=panel["trend"])  # the fitted trend, not frozen
    X = _design(full, f.scale, list(f.u.index), list(f.v.index))
    theta = np.concatenate([f.beta, f.u.to_numpy(), f.v.to_numpy()])
    lam = np.exp(X @ theta)
    uy, inv = np.unique(_country_year(panel), return_inverse=True)
    out = []
    for _ in range(draws):
        z = rng.standard_normal(len(uy))[inv]
        ystar = rng.poisson(lam * np.exp(f.sigma * z - f.sigma**2 / 2))
        refit = fit_panel(panel.assign(**{y: ystar}), (f.tau_c, f.tau_g), y=y)
        # The moment estimate of σ from one simulated record is mostly 0 (few events):
        # every draw keeps the point estimate.
        refit.sigma = f.sigma
        out.append(refit)
    return out


@dataclass
class MeasureModel:
    """Type mix per country group, and the mean duration per type (one row per draw)."""

    mix: dict[str, np.ndarray]  # group -> (draws, types)
    mean_duration: np.ndarray  # (draws, types), years
    counts: dict[str, list[int]] = field(default_factory=dict)
    exposure: list[float] = field(default_factory=list)
    lifted: list[int] = field(default_factory=list)


def country_group(country: str) -> str:
    """The measure-mix group of a country: China has its own record, the rest is pooled."""
    return "CHN" if country == "CHN" else "other"


def measure_model(
    restrictions: pd.DataFrame, fit_until: int, draws: int, seed: int
) -> MeasureModel:
    """Type mix and durations from the record up to the end of ``fit_until``."""
    rng = np.random.default_rng(seed)
    m = record_measures(restrictions)
    cutoff = dt.date(fit_until, 12, 31)
    new = m[m["counts"] & m["start_year"].between(FIRST_YEAR, fit_until)]
    mix = {}
    counts = {}
    for grp in ("CHN", "other"):
        sel = new[[country_group(c) == grp for c in new["country"]]]
        n = np.array([(sel["measure"] == k).sum() for k in MEASURES], dtype=float)
        counts[grp] = n.astype(int).tolist()
        mix[grp] = rng.dirichlet(n + 0.5, size=draws)
    # Durations of every measure of the record that started by the cutoff (continuations
    # included: each is a spell of its type).
    exposure, lifted = [], []
    for k in MEASURES:
        sel = m[(m["measure"] == k) & m["start"].notna() & ~m["never_in_force"]]
        sel = sel[[s <= cutoff for s in sel["start"]]]
        ends = [e if e is not None and e <= cutoff else None for e in sel["end"]]
        exp_years = sum(((e or cutoff) - s).days / 365.25
                        for s, e in zip(sel["start"], ends, strict=True))  # fmt: skip
        exposure.append(float(exp_years))
        lifted.append(sum(e is not None for e in ends))
    shape = np.array(lifted, dtype=float) + 1.0
    rate = np.array(exposure) + DURATION_PRIOR_YEARS
    mean = 1.0 / rng.gamma(shape[None, :], 1.0 / rate[None, :], size=(draws, len(MEASURES)))
    return MeasureModel(mix=mix, mean_duration=mean, counts=counts, exposure=exposure,
                        lifted=lifted)  # fmt: skip


# --------------------------------------------------------------------------------------------
# the shipped fit


@dataclass
class HazardFit:
    """Everything a run needs: the point fit, its bootstrap draws, the measure model."""

    point: PanelFit
    draws: list[PanelFit]
    measures: MeasureModel

    @property
    def n_draws(self) -> int:
        return len(self.draws)


def fit_record(
    ds: Dataset, minerals: tuple[str, ...], fit_until: int, draws: int = 100, seed: int = 2026
) -> HazardFit:
    """Fit the whole model on the record up to ``fit_until`` (see the module docstring)."""
    p = make_panel(ds, minerals, fit_until)
    point = fit_panel(p)
    boot = bootstrap(p, point, draws, seed)
    mm = measure_model(ds.restrictions, fit_until, draws, seed + 1)
    return HazardFit(point, boot, mm)


def to_frame(fit: HazardFit) -> pd.DataFrame:
    """The fit as a long table: ``draw`` (−1 = the point fit), ``kind``, ``name``, ``value``."""
    rows: list[tuple[int, str, str, float]] = []
    for d, f in [(-1, fit.point), *enumerate(fit.draws)]:
        rows += [(d, "fixed", n, float(b)) for n, b in zip(FIXED, f.beta, strict=True)]
        rows += [(d, "country", str(c), float(v)) for c, v in f.u.items()]
        rows += [(d, "group", str(g), float(v)) for g, v in f.v.items()]
        rows += [(d, "sigma", "sigma", f.sigma)]
        if d >= 0:
            mm = fit.measures
            for grp, mix in mm.mix.items():
                rows += [(d, f"mix.{grp}", k, float(x)) for k, x in zip(MEASURES, mix[d],
                                                                          strict=True)]  # fmt: skip
            rows += [(d, "mean_duration", k, float(x))
                     for k, x in zip(MEASURES, mm.mean_duration[d], strict=True)]  # fmt: skip
    p = fit.point
    rows += [(-1, "meta", "tau_c", p.tau_c), (-1, "meta", "tau_g", p.tau_g),
             (-1, "meta", "last_year", float(p.last_year)), (-1, "meta", "events", p.events),
             (-1, "meta", "log_marginal", p.log_marginal)]  # fmt: skip
    rows += [(-1, "scale_mean", n, mu) for n, (mu, _) in p.scale.items()]
    rows += [(-1, "scale_sd", n, sd) for n, (_, sd) in p.scale.items()]
    df = pd.DataFrame(rows, columns=["draw", "kind", "name", "value"])
    df["value"] = df["value"].astype(float).round(8)
    return df


def from_frame(df: pd.DataFrame) -> HazardFit:
    """The inverse of :func:`to_frame`."""
    meta = df[df["kind"] == "meta"].set_index("name")["value"]
    mu = df[df["kind"] == "scale_mean"].set_index("name")["value"]
    sd = df[df["kind"] == "scale_sd"].set_index("name")["value"]
    scale = {n: (float(mu[n]), float(sd[n])) for n in mu.index}

    def one(d: int) -> PanelFit:
        x = df[df["draw"] == d]
        fx = x[x["kind"] == "fixed"].set_index("name")["value"]
        return PanelFit(
            beta=fx.reindex(list(FIXED)).to_numpy(float),
            u=x[x["kind"] == "country"].set_index("name")["value"].astype(float),
            v=x[x["kind"] == "group"].set_index("name")["value"].astype(float),
            tau_c=float(meta["tau_c"]),
            tau_g=float(meta["tau_g"]),
            sigma=float(x.loc[x["kind"] == "sigma", "value"].iloc[0]),
            scale=scale,
            last_year=int(meta["last_year"]),
            events=int(meta["events"]),
            log_marginal=float(meta["log_marginal"]),
        )

    n = int(df["draw"].max()) + 1
    draws = [one(d) for d in range(n)]
    mix = {}
    for grp in ("CHN", "other"):
        t = df[df["kind"] == f"mix.{grp}"].pivot(index="draw", columns="name", values="value")
        mix[grp] = t.reindex(columns=list(MEASURES)).to_numpy(float)
    dur = df[df["kind"] == "mean_duration"].pivot(index="draw", columns="name", values="value")
    mm = MeasureModel(mix=mix, mean_duration=dur.reindex(columns=list(MEASURES)).to_numpy(float))
    return HazardFit(one(-1), draws, mm)


FIT_FILE = "hazard_fit.csv"
#: The command that regenerates the shipped fit.
FIT_COMMAND = "critmin hazard fit --fit-until 2025 --draws 100 --seed 2026"


def write_fit(fit: HazardFit, path: str | Path) -> None:
    """Write the fit table (CSV) to ``path``."""
    to_frame(fit).to_csv(path, index=False)


@functools.cache
def shipped_fit() -> HazardFit:
    """The fit shipped with critmin (``critmin/sim/hazard_fit.csv``, made by
    :data:`FIT_COMMAND`)."""
    with resources.files("critmin.sim").joinpath(FIT_FILE).open("r", encoding="utf-8") as f:
        return from_frame(pd.read_csv(f))
