"""The portfolio optimiser: a two-stage stochastic LP solved by HiGHS (built once as sparse
arrays, re-solved warm for other objectives, limits and the Pareto frontier).

First stage: dollars ``x[o]`` per lever option ``o`` (lever × mineral × country) under a
budget, caps and each stockpile's market limit. Second stage, per sample ``s``, year ``t``
and mineral ``m`` of a baseline simulation: the bloc's unmet demand ``u``, stock release
``r`` and the share ``a[s,t]`` of the bloc's AI build-out lost::

    u[s,t,m] + r[s,t,m] + Σ_o k[o,t,m] x[o]  ≥  U0[s,t,m]          (only cells with U0 > 0)
    Σ_t r[s,t,m]  ≤  Σ_{o stockpile of m} x[o] / price[m]            (stock bought first)
    a[s,t] ≥ c[t,m] u[s,t,m] / D[s,t,m] − (c[t,m] − 1)   for every m an AI component uses,
                                   0 ≤ a ≤ 1 (c: the AI allocation rule, decision 0033)
    Σ_o x[o] ≤ budget,   0 ≤ x[o] ≤ cap[o]  (stockpile: share × world output × price)
    objectives (expected over samples, :mod:`critmin.policy.objectives`):
      ai_output_usd  = Σ_t V[t] a[s,t]          unmet_cost_usd = Σ_{t,m} price[m] u[s,t,m]
      co2e_t         = Σ_o co2[o] x[o]
    min  Σ_k w_k objective_k + λ CVaR_α(weighted loss) + ε Σ_o x[o],   objective_k ≤ limit_k

``k[o,t,m]`` is the supply an option dedicates to the bloc per dollar (t/yr per USD: 1 ÷
the sourced capital cost, times the ramp-up and the partner's availability), the same
numbers the plan evaluation puts into the simulator; ``U0`` and ``D`` are the baseline
simulation's unmet demand and demand. The LP is linear in the levers (each tonne of
dedicated supply replaces a tonne of unmet demand, without the price effect) and lets the
stock be released with hindsight within a sample, so its figures are an approximation: the
chosen plan is then run through the simulator, in sample and on fresh samples (out of
sample), like any plan. ``ε`` (:data:`EPSILON` × baseline objective ÷ budget) makes a dollar
with (near) zero marginal value stay unspent. The marginal value of an option is
``Σ dual × k``: objective avoided per extra dollar. The Pareto frontier over any two
objectives is an ε-constraint sweep on one model (:func:`frontier`).
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from critmin.data.dataset import Dataset
from critmin.data.errors import DataError, Problem
from critmin.policy.evaluate import footprints, prices
from critmin.policy.levers import STOCK_MARKET_SHARE, availability, capex, lead_years, ramp
from critmin.policy.objectives import OPTIMISABLE, AiValue
from critmin.policy.plan import Plan
from critmin.sim.inputs import MarketInputs

#: Partner countries the optimiser may invest in by default (beside US domestic capacity).
PARTNERS = ("AUS", "CAN")


@dataclass(frozen=True)
class Options:
    """Lever options as labelled arrays."""

    table: pd.DataFrame  # option, lever, mineral, country, stage, usd_per_unit, cap_usd, note
    k: xr.DataArray  # (option, year, mineral) t/yr of dedicated supply per USD
    stock: xr.DataArray  # (option, mineral) t of stock per USD
    co2: xr.DataArray  # (option,) t CO2e per USD over the horizon


def _producers(ds: Dataset, mineral: str, stage: str) -> set[str]:
    """Countries with output of ``mineral`` at ``stage`` in the dataset's latest year."""
    rows = ds.supply(mineral, stage)
    if rows.empty:
        return set()
    have = rows[(rows["entity_kind"] == "country") & (rows["value"] > 0)]
    return set(have["country"].astype(str))


def lever_options(
    mi: MarketInputs,
    ds: Dataset,
    partners: tuple[str, ...] = PARTNERS,
    market_share: float = STOCK_MARKET_SHARE,
) -> Options:
    """Every option the data can cost: US mines and plants, partner capacity where the
    partner mines the mineral (or, for refining, mines or refines it), stockpiles.

    A stockpile's dollars are capped (``cap_usd``) at what the market can supply in the
    start year without moving the price: ``market_share`` × the year's world output (t) ×
    the price (:data:`critmin.policy.levers.STOCK_MARKET_SHARE`, decision 0024).
    """
    years = mi.years.astype(float)
    fp = footprints()
    price = prices()
    rows: list[tuple[Any, ...]] = []
    ks: list[tuple[str, np.ndarray]] = []
    stocks: list[tuple[str, float]] = []
    co2: list[float] = []
    # A partner can only add capacity where it has a basis: mining where it mines the mineral
    # today, refining where it mines or refines it (no DRC nickel, no Australian gallium).
    # Domestic options stay open: new US mines and plants are the policy question itself.
    basis = {
        (m, str(c), st)
        for m in mi.minerals
        for st in (0, 1)
        for c in _producers(ds, m, ("mine", "refine")[st])
    }
    members = mi.scenario.bloc_members()
    for m in mi.minerals:
        for lever, stage, country in [("mine", "mine", "USA"), ("refine", "refine", "USA")] + [
            ("partner_investment", st, c)
            for c in partners
            for st in ("mine", "refine")
            if (m, c, 0) in basis or (st == "refine" and (m, c, 1) in basis)
        ]:
            cost = capex(m, stage, "mine" if stage == "mine" else "refine")
            if cost is None:
                continue
            permit, build, up, _ = lead_years(country, stage)
            share = ramp(years, float(mi.years[0]) + permit + build, up)
            avail = availability(ds, country, members, m)
            k = share * avail / cost[0]
            if not k.any():
                continue  # online after the horizon: no effect inside it
            rows.append(
                (
                    f"{lever}:{m}:{country}:{stage}",
                    lever,
                    m,
                    country,
                    stage,
                    cost[0],
                    np.nan,
                    f"capex {cost[0]:,.0f} USD per t/yr; online "
                    f"{mi.years[0] + permit + build:.1f}; availability {avail:.2f}",
                )
            )
            ks.append((m, k))
            stocks.append((m, 0.0))
            co2.append(float(k.sum()) * fp[m][0] if m in fp else 0.0)
        if m in price and price[m] > 0:
            rows.append(
                (
                    f"stockpile:{m}",
                    "stockpile",
                    m,
                    None,
                    None,
                    price[m],
                    market_share * float(mi.world_t[0, mi.minerals.index(m)]) * price[m],
                    f"USGS price {price[m]:,.0f} USD/t; at most {market_share:.0%} of "
                    f"world output ({float(mi.world_t[0, mi.minerals.index(m)]):,.0f} t) "
                    "bought in the start year",
                )
            )
            ks.append((m, np.zeros(len(years))))
            stocks.append((m, 1.0 / price[m]))
            co2.append(fp[m][0] / price[m] if m in fp else 0.0)
    cols = ["option", "lever", "mineral", "country", "stage", "usd_per_unit", "cap_usd", "note"]
    table = pd.DataFrame(rows, columns=cols)
    names = table["option"].tolist()
    k_arr = np.zeros((len(names), len(years), len(mi.minerals)))
    s_arr = np.zeros((len(names), len(mi.minerals)))
    idx = {m: j for j, m in enumerate(mi.minerals)}
    for i, ((m, k), (_, st)) in enumerate(zip(ks, stocks, strict=True)):
        k_arr[i, :, idx[m]] = k
        s_arr[i, idx[m]] = st
    coords = {"option": names, "year": mi.years, "mineral": list(mi.minerals)}
    return Options(
        table=table,
        k=xr.DataArray(k_arr, coords=coords, dims=("option", "year", "mineral")),
        stock=xr.DataArray(
            s_arr,
            coords={"option": names, "mineral": list(mi.minerals)},
            dims=("option", "mineral"),
        ),
        co2=xr.DataArray(np.array(co2), coords={"option": names}, dims=("option",)),
    )


@dataclass(frozen=True)
class Solution:
    """An optimal allocation and what the LP says about it."""

    allocation: pd.DataFrame  # option, …, usd, marginal_value, pays_off_share, pays_off_years
    objective: float  # the weighted objective (+ λ CVaR), in its native units
    expected_cost: float  # USD: expected cost of unmet demand at current prices
    cvar: float  # USD: CVaR of the weighted per-sample loss
    co2e_t: float
    budget_dual: float  # objective per extra USD of budget (≤ 0)
    size: dict[str, int]
    timings: dict[str, float]
    objectives: dict[str, float] = field(default_factory=dict)  # LP value of each objective
    weights: dict[str, float] = field(default_factory=dict)


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Send what the solver's C++ library prints (its banner) to stderr, at the file
    descriptor level: standard output must stay clean for ``--format json``."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


#: Money in the LP is in millions of USD (well scaled for the solver).
_M = 1.0e6
#: A dollar is funded only if it buys at least this share of the average value per dollar
#: (baseline objective ÷ budget): ties and zero marginal values get nothing (decision 0024).
EPSILON = 1.0e-5


class Model:
    """The LP built once on a baseline's samples; re-solved (warm) for other objectives,
    limits and budgets (the Pareto frontier).

    Columns: ``x`` (USD M per option), ``u`` (t unmet per active cell), ``r`` (t released
    per active cell of a stockable mineral), ``a`` (AI build-out share lost per sample and
    year), ``η`` and ``z`` (CVaR). Rows: unmet (≥ U0), stock (≤ 0), AI (a ≥ u/D), budget,
    one row per objective (bounded only by a limit), CVaR tail rows.
    """

    def __init__(
        self,
        base: xr.Dataset,
        opts: Options,
        *,
        ai: AiValue | None = None,
        alpha: float = 0.95,
        lam: float = 0.0,
    ) -> None:
        import highspy

        t0 = time.perf_counter()
        self.opts, self.alpha, self.lam = opts, alpha, lam
        u0 = _unmet(base)
        minerals = [str(m) for m in u0["mineral"].to_numpy()]
        self.minerals = minerals
        U = u0.to_numpy()
        S, T, M = U.shape
        self.S, self.T = S, T
        price_d = prices()
        price = np.array([price_d.get(m, 0.0) for m in minerals])
        ai_idx = np.zeros(M, dtype=bool)
        v_t = np.zeros(T)
        if ai is not None and "demand" in base and np.isfinite(ai.usd).all():
            ai_idx = np.array([m in ai.minerals for m in minerals])
            v_t = np.asarray(ai.usd, float)[:T]
        self.ai = ai
        valued = (price > 0) | ai_idx
        mask = (U > 1e-9) & valued[None, None, :]
        cs, ct, cm = np.nonzero(mask)
        nc = len(cs)
        uc = U[cs, ct, cm]
        no = len(opts.table)
        k = opts.k.reindex(mineral=minerals, fill_value=0.0).to_numpy() * _M  # t/yr per USD M
        stock = opts.stock.reindex(mineral=minerals, fill_value=0.0).to_numpy() * _M
        stockable = stock.sum(axis=0) > 0
        rsel = np.flatnonzero(stockable[cm])
        nr = len(rsel)
        use_ai = bool(ai_idx.any() and v_t.any())
        na = S * T if use_ai else 0
        cvar = lam > 0
        # Column offsets.
        ox, ou, orr, oa = 0, no, no + nc, no + nc + nr
        oeta = oa + na
        oz = oeta + 1
        ncol = oz + S if cvar else oeta
        rows: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        vals: list[np.ndarray] = []
        lo: list[np.ndarray] = []
        hi: list[np.ndarray] = []
        inf = highspy.kHighsInf
        nrow = 0

        def put(r: np.ndarray, c: np.ndarray, v: np.ndarray) -> None:
            rows.append(r.astype(np.int64))
            cols.append(c.astype(np.int64))
            vals.append(v.astype(float))

        # Unmet rows: u + r + Σ k x ≥ U0.
        r_unmet = np.arange(nc)
        put(r_unmet, ou + np.arange(nc), np.ones(nc))
        put(r_unmet[rsel], orr + np.arange(nr), np.ones(nr))
        for o in range(no):
            for m in np.flatnonzero(k[o].any(axis=0)):
                sel = np.flatnonzero(cm == m)
                kv = k[o, ct[sel], m]
                nz = kv != 0
                put(sel[nz], np.full(int(nz.sum()), ox + o), kv[nz])
        lo.append(uc)
        hi.append(np.full(nc, inf))
        nrow = nc
        # Stock rows: Σ_t r[s,t,m] − Σ_o stock[o,m] x ≤ 0, per (sample, stockable mineral).
        self.stock_rows = (nrow, nrow)
        self.stock_keys = np.zeros(0, dtype=np.int64)
        self.r_cells = rsel
        if nr:
            key = cs[rsel] * M + cm[rsel]
            uniq, inv = np.unique(key, return_inverse=True)
            put(nrow + inv, orr + np.arange(nr), np.ones(nr))
            for i, kk in enumerate(uniq.tolist()):
                mm = int(kk) % M
                for oo in np.flatnonzero(stock[:, mm] > 0).tolist():
                    put(np.array([nrow + i]), np.array([ox + oo]), np.array([-stock[oo, mm]]))
            lo.append(np.full(len(uniq), -inf))
            hi.append(np.zeros(len(uniq)))
            self.stock_rows = (nrow, nrow + len(uniq))
            self.stock_keys = uniq
            nrow += len(uniq)
        # AI rows: a[s,t] − c u/D ≥ −(c − 1) for the cells of minerals an AI component uses,
        # c of the allocation rule (AI's shortfall = max(0, 1 − c (1 − u/D)); pro rata c = 1,
        # decision 0033). Rows that cannot bind even with nothing spent (c U0/D ≤ c − 1: AI
        # still fully served) and cells where AI has no share of demand (c = ∞) are left out.
        self.ai_cells = (np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0))
        if use_ai:
            D = base["demand"].transpose("sample", "year", "mineral").to_numpy()
            coef = np.ones((T, M))
            if ai is not None:
                ai_c = ai.coef()
                for j, name in enumerate(ai.minerals):
                    if name in minerals:
                        coef[:, minerals.index(name)] = ai_c[:T, j]
            cc = coef[ct, cm]
            d = np.where(D[cs, ct, cm] > 0, D[cs, ct, cm], 1.0)
            live = np.isfinite(cc) & (cc * uc / d > cc - 1.0 + 1e-12)
            sel = np.flatnonzero(ai_idx[cm] & (D[cs, ct, cm] > 0) & live)
            ra = nrow + np.arange(len(sel))
            put(ra, oa + cs[sel] * T + ct[sel], np.ones(len(sel)))
            put(ra, ou + sel, -cc[sel] / d[sel])
            lo.append(-(cc[sel] - 1.0))
            hi.append(np.full(len(sel), inf))
            nrow += len(sel)
            self.ai_cells = (sel, cc[sel], d[sel])
        # Budget row.
        self.budget_row = nrow
        put(np.full(no, nrow), ox + np.arange(no), np.ones(no))
        lo.append(np.array([-inf]))
        hi.append(np.array([0.0]))
        nrow += 1
        # Objective vectors (native units ÷ 1e6, expected over samples) and their rows.
        self.vec: dict[str, np.ndarray] = {}
        self.per_sample: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        unmet_c = price[cm] / _M
        self.vec["unmet_cost_usd"] = _vec(ncol, ou + np.arange(nc), unmet_c / S)
        self.per_sample["unmet_cost_usd"] = (cs, ou + np.arange(nc), unmet_c)
        co2 = opts.co2.to_numpy() * _M / _M  # t per USD M ÷ 1e6 = Mt per USD M
        self.vec["co2e_t"] = _vec(ncol, ox + np.arange(no), co2)
        if use_ai:
            st = np.arange(S * T)
            av = np.tile(v_t, S) / _M
            self.vec["ai_output_usd"] = _vec(ncol, oa + st, av / S)
            self.per_sample["ai_output_usd"] = (st // T, oa + st, av)
        self.obj_row: dict[str, int] = {}
        for name, vec in self.vec.items():
            nz = np.flatnonzero(vec)
            put(np.full(len(nz), nrow), nz, vec[nz])
            lo.append(np.array([-inf]))
            hi.append(np.array([inf]))
            self.obj_row[name] = nrow
            nrow += 1
        self.tail_rows = (nrow, nrow)
        self.ncol, self.nrow_base = ncol, nrow
        self.cols = {"x": ox, "u": ou, "r": orr, "a": oa, "eta": oeta, "z": oz}
        self.n = {"x": no, "u": nc, "r": nr, "a": na}
        self.cells = (cs, ct, cm)
        self.k = k
        self.stock = stock
        col_lo = np.zeros(ncol)
        col_hi = np.full(ncol, inf)
        if na:
            col_hi[oa : oa + na] = 1.0
        if cvar:
            col_lo[oeta] = -inf
        self.col_hi0 = col_hi.copy()
        cap = opts.table["cap_usd"] if "cap_usd" in opts.table else pd.Series(np.nan, range(no))
        capv = cap.to_numpy(dtype=float)
        col_hi[:no] = np.where(np.isfinite(capv), capv / _M, inf)
        self.x_hi0 = col_hi[:no].copy()
        self.tail_sel = None
        if cvar:
            # Tail rows are added per weighting in :meth:`run` (they depend on the weights).
            pass
        r_all = np.concatenate(rows)
        c_all = np.concatenate(cols)
        v_all = np.concatenate(vals)
        self._coo = (r_all, c_all, v_all)
        self.row_lo = np.concatenate(lo)
        self.row_hi = np.concatenate(hi)
        self.col_lo, self.col_hi = col_lo, col_hi
        with _quiet_stdout():  # the library's banner is printed when the solver is made
            self.h = highspy.Highs()
            self.h.setOptionValue("output_flag", False)
        self._weights_key: tuple[tuple[str, float], ...] | None = None
        self._state: dict[Any, Any] = {}
        self.cpu_solve = 0.0
        self.t_build = time.perf_counter() - t0

    def _pass(self, weights: dict[str, float]) -> None:
        """(Re)load the model: once, or again when CVaR tail rows depend on new weights."""
        import highspy

        r_all, c_all, v_all = self._coo
        row_lo, row_hi = self.row_lo, self.row_hi
        nrow = self.nrow_base
        if self.lam > 0:
            S = self.S
            tr, tc, tv = [], [], []
            for name, w in weights.items():
                if w == 0 or name not in self.per_sample:
                    continue
                s_idx, c_idx, v = self.per_sample[name]
                tr.append(nrow + s_idx)
                tc.append(c_idx)
                tv.append(-w * v)
            s = np.arange(S)
            tr += [nrow + s, nrow + s]
            tc += [np.full(S, self.cols["eta"]), self.cols["z"] + s]
            tv += [np.ones(S), np.ones(S)]
            r_all = np.concatenate([r_all, *tr])
            c_all = np.concatenate([c_all, *tc])
            v_all = np.concatenate([v_all, *tv])
            row_lo = np.concatenate([row_lo, np.zeros(S)])
            row_hi = np.concatenate([row_hi, np.full(S, highspy.kHighsInf)])
            self.tail_rows = (nrow, nrow + S)
            nrow += S
        order = np.lexsort((r_all, c_all))
        c_sorted = c_all[order]
        start = np.searchsorted(c_sorted, np.arange(self.ncol + 1)).astype(np.int32)
        lp = highspy.HighsLp()
        lp.num_col_ = self.ncol
        lp.num_row_ = nrow
        lp.col_cost_ = np.zeros(self.ncol)
        lp.col_lower_ = self.col_lo
        lp.col_upper_ = self.col_hi
        lp.row_lower_ = row_lo
        lp.row_upper_ = row_hi
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = start
        lp.a_matrix_.index_ = r_all[order].astype(np.int32)
        lp.a_matrix_.value_ = v_all[order]
        with _quiet_stdout():
            self.h.passModel(lp)
        self.nnz = len(v_all)
        self.nrow = nrow

    def baseline(self, weights: dict[str, float]) -> float:
        """The weighted objective with no money spent (USD M units)."""
        cs, ct, _ = self.cells
        U = self.row_lo[: self.n["u"]]
        x0 = np.zeros(self.ncol)
        x0[self.cols["u"] : self.cols["u"] + self.n["u"]] = U
        if self.n["a"]:
            a = np.zeros(self.S * self.T)
            sel = self._ai_shares(U)
            np.maximum.at(a, cs * self.T + ct, sel)
            x0[self.cols["a"] : self.cols["a"] + self.n["a"]] = a
        return float(sum(w * self.vec[n] @ x0 for n, w in weights.items() if n in self.vec))

    def _ai_shares(self, u: np.ndarray) -> np.ndarray:
        """AI's shortfall ``max(0, 1 − c (1 − u/D))`` for AI cells, 0 elsewhere (for the
        baseline's a)."""
        out = np.zeros(len(u))
        sel, cc, d = self.ai_cells
        out[sel] = np.clip(1.0 - cc * (1.0 - u[sel] / d), 0.0, 1.0)
        return out

    def run(
        self,
        budget: float,
        weights: dict[str, float],
        *,
        limits: dict[str, float] | None = None,
        caps: dict[str, float] | None = None,
        fixed: dict[str, float] | None = None,
    ) -> Solution:
        """Solve with these weights, limits (native units), budget, caps and pins."""
        import highspy

        for name in weights:
            if name not in self.vec:
                raise DataError(
                    [Problem("optimiser", None, "objective", f"one of {sorted(self.vec)}", name)]
                )
        key = tuple(sorted(weights.items()))
        if self._weights_key is None or (self.lam > 0 and key != self._weights_key):
            self._pass(weights)
            self._state = {}
        self._weights_key = key
        t1 = time.perf_counter()
        t1c = time.process_time()
        h = self.h
        names = list(self.opts.table["option"])
        no = self.n["x"]
        xlo = np.zeros(no)
        xhi = self.x_hi0.copy()
        for o, v in (caps or {}).items():
            i = names.index(o)
            xhi[i] = min(xhi[i], v / _M)
        for o, v in (fixed or {}).items():
            # A given plan's pins override the market limit (its evaluation spreads the
            # purchase over years), not the user's caps: a pin above a cap is infeasible.
            i = names.index(o)
            xlo[i] = v / _M
            user = (caps or {}).get(o)
            xhi[i] = v / _M if user is None else min(v, user) / _M
        if (xlo > xhi).any():
            raise DataError(
                [Problem("optimiser", None, "(problem)", "a feasible problem", "fixed above cap")]
            )
        # Only what changed is passed on: HiGHS then starts from the last basis (a bound
        # change keeps it dual feasible, a cost change primal feasible).
        if self._state.get("x") is None or not (
            np.array_equal(self._state["x"][0], xlo) and np.array_equal(self._state["x"][1], xhi)
        ):
            h.changeColsBounds(no, np.arange(no, dtype=np.int32), xlo, xhi)
            self._state["x"] = (xlo, xhi)
        rows = {self.budget_row: budget / _M}
        for name, row in self.obj_row.items():
            lim = (limits or {}).get(name)
            rows[row] = highspy.kHighsInf if lim is None else lim / _M
        for row, up in rows.items():
            if self._state.get(row) != up:
                h.changeRowBounds(row, -highspy.kHighsInf, up)
                self._state[row] = up
        cost = np.zeros(self.ncol)
        for name, w in weights.items():
            cost += w * self.vec[name]
        base_j = self.baseline(weights)
        # Nothing to gain (e.g. AI output at risk is zero under the central allocation rule,
        # decision 0033): any positive cost keeps every dollar unspent; a cost below the
        # solver's tolerance would leave the allocation arbitrary.
        eps = EPSILON * base_j / max(budget / _M, 1.0) if base_j > 1e-9 else 1.0
        cost[:no] += eps
        if self.lam > 0:
            cost[self.cols["eta"]] = self.lam
            cost[self.cols["z"] : self.cols["z"] + self.S] = self.lam / ((1 - self.alpha) * self.S)
        prev = self._state.get("cost")
        if prev is None or not np.array_equal(prev, cost):
            changed = np.flatnonzero(prev != cost) if prev is not None else np.arange(self.ncol)
            h.changeColsCost(len(changed), changed.astype(np.int32), cost[changed])
            self._state["cost"] = cost
        with _quiet_stdout():
            h.run()
        status = h.modelStatusToString(h.getModelStatus())
        t_solve = time.perf_counter() - t1
        self.cpu_solve = time.process_time() - t1c
        if status != "Optimal":
            raise DataError(
                [Problem("optimiser", None, "(problem)", "a feasible problem", f"{status}")]
            )
        sol = h.getSolution()
        col = np.asarray(sol.col_value)
        dual = np.asarray(sol.row_dual)
        return self._solution(budget, weights, col, dual, eps, t_solve)

    def _solution(
        self,
        budget: float,
        weights: dict[str, float],
        col: np.ndarray,
        dual: np.ndarray,
        eps: float,
        t_solve: float,
    ) -> Solution:
        no = self.n["x"]
        x = col[:no] * _M
        cs, ct, cm = self.cells
        r_all, c_all, v_all = self._coo
        # Marginal value of each option: Σ dual × coefficient over the unmet and stock rows
        # (objective per extra USD; the budget's and the limits' rows left out).
        sel = (c_all < no) & (r_all < self.stock_rows[1])
        mv = np.zeros(no)
        np.add.at(mv, c_all[sel], dual[r_all[sel]] * v_all[sel])
        # Where each option pays off: the samples and years whose unmet rows price it.
        pays_share = np.zeros(no)
        pays_years: list[str] = []
        years = self.opts.k["year"].to_numpy()
        r0, r1 = self.stock_rows
        M = len(self.minerals)
        released = col[self.cols["r"] : self.cols["r"] + self.n["r"]] > 1e-9
        for o in range(no):
            s = sel & (c_all == o)
            rows, v = r_all[s], v_all[s]
            good = rows[dual[rows] * v > 1e-12]
            cells = good[good < self.n["u"]]
            samples = set(cs[cells].tolist())
            yrs = {int(y) for y in years[ct[cells]]}
            st = good[(good >= r0) & (good < r1)]
            if len(st):
                keys = self.stock_keys[st - r0]
                samples |= set((keys // M).tolist())
                rc = self.r_cells[released]
                hit = np.isin(cs[rc] * M + cm[rc], keys)
                yrs |= {int(y) for y in years[ct[rc[hit]]]}
            pays_share[o] = len(samples) / self.S
            ys = sorted(yrs)
            pays_years.append(f"{ys[0]}–{ys[-1]}" if ys else "")
        alloc = self.opts.table.copy()
        alloc["usd"] = x
        alloc["marginal_value"] = mv
        alloc["pays_off_share"] = pays_share
        cap = alloc["cap_usd"].to_numpy(dtype=float) if "cap_usd" in alloc else np.full(no, np.nan)
        alloc["at_market_limit"] = np.isfinite(cap) & (x >= cap * (1 - 1e-6) - 1.0) & (x >= 1.0)
        alloc["pays_off_years"] = pays_years
        objs = {n: float(v @ col) * _M for n, v in self.vec.items()}
        if "ai_output_usd" not in objs:
            objs["ai_output_usd"] = float("nan")
        primary = sum(w * objs[n] for n, w in weights.items())
        loss_s = np.zeros(self.S)
        for n, w in weights.items():
            if n in self.per_sample:
                s_idx, c_idx, v = self.per_sample[n]
                np.add.at(loss_s, s_idx, w * v * col[c_idx] * _M)
        if "co2e_t" in weights:
            loss_s += weights["co2e_t"] * objs["co2e_t"]
        ntail = max(1, int(np.ceil(round((1 - self.alpha) * self.S, 9))))
        cvar = float(np.sort(loss_s)[-ntail:].mean())
        objective = primary
        if self.lam > 0:
            eta = col[self.cols["eta"]]
            z = col[self.cols["z"] : self.cols["z"] + self.S]
            objective += self.lam * (eta + z.sum() / ((1 - self.alpha) * self.S)) * _M
        bd = float(dual[self.budget_row])
        budget_dual = min(0.0, bd - eps) if bd < -1e-12 else 0.0
        return Solution(
            allocation=alloc,
            objective=objective,
            expected_cost=objs["unmet_cost_usd"],
            cvar=cvar,
            co2e_t=objs["co2e_t"],
            budget_dual=budget_dual,
            size={
                "variables": int(self.ncol),
                "constraints": int(self.nrow),
                "nonzeros": int(self.nnz),
            },
            timings={"build_s": self.t_build, "solve_s": t_solve, "solve_cpu_s": self.cpu_solve},
            objectives=objs,
            weights=dict(weights),
        )


def _vec(n: int, idx: np.ndarray, v: np.ndarray) -> np.ndarray:
    out = np.zeros(n)
    np.add.at(out, idx, v)
    return out


def _unmet(base: xr.Dataset) -> xr.DataArray:
    return base["unmet"].transpose("sample", "year", "mineral").load()


def _check(
    opts: Options,
    budget: float,
    alpha: float,
    lam: float,
    caps: dict[str, float] | None,
    fixed: dict[str, float] | None,
) -> None:
    problems = []
    if budget < 0:
        problems.append(Problem("optimiser", None, "budget", "a budget of at least 0", str(budget)))
    if not 0.0 < alpha < 1.0:
        problems.append(Problem("optimiser", None, "cvar_alpha", "0 < α < 1", str(alpha)))
    if lam < 0:
        problems.append(Problem("optimiser", None, "lambda", "λ ≥ 0", str(lam)))
    names = set(opts.table["option"])
    for key, d in (("caps", caps or {}), ("fixed", fixed or {})):
        for o, v in d.items():
            if o not in names:
                problems.append(Problem("optimiser", None, f"{key}.{o}", "a known option", o))
            elif v < 0:
                problems.append(Problem("optimiser", None, f"{key}.{o}", "≥ 0 USD", str(v)))
    if problems:
        raise DataError(problems)


def solve(
    base: xr.Dataset,
    opts: Options,
    budget: float,
    *,
    alpha: float = 0.95,
    lam: float = 0.0,
    caps: dict[str, float] | None = None,
    fixed: dict[str, float] | None = None,
    co2_limit: float | None = None,
    objective: dict[str, float] | None = None,
    limits: dict[str, float] | None = None,
    ai: AiValue | None = None,
    model: Model | None = None,
) -> Solution:
    """Build (or reuse ``model``) and solve the LP on a baseline simulation's samples.

    ``objective`` weights the objectives (default: the cost of unmet demand alone); ``limits``
    bound any of them (native units: USD, t CO2e); ``co2_limit`` is ``limits["co2e_t"]``.
    ``fixed`` pins options to given dollars (to score a given plan in the LP's own terms).
    ``ai`` (:func:`critmin.policy.objectives.ai_value`) is needed for ``ai_output_usd``.

    Raises
    ------
    DataError
        A negative budget, an α outside (0, 1), a negative λ, caps naming unknown options, an
        objective the data cannot value, or an infeasible problem (fixed dollars above the
        budget, caps below fixed amounts, a limit no allocation meets).
    """
    _check(opts, budget, alpha, lam, caps, fixed)
    weights = objective or {"unmet_cost_usd": 1.0}
    lim = dict(limits or {})
    if co2_limit is not None:
        lim["co2e_t"] = co2_limit
    m = model if model is not None else Model(base, opts, ai=ai, alpha=alpha, lam=lam)
    return m.run(budget, weights, limits=lim, caps=caps, fixed=fixed)


def frontier(
    model: Model,
    budget: float,
    axes: tuple[str, str],
    points: int,
    *,
    weights: dict[str, float] | None = None,
    start: Solution | None = None,
    limits: dict[str, float] | None = None,
) -> pd.DataFrame:
    """The Pareto frontier of two objectives by ε-constraint on the second, on one model
    (warm-started re-solves): from the second's minimum to its value at the first's optimum.
    Every point reports every objective. ``start``: the model's last solution for these
    weights and budget, if there is one (saves a solve)."""
    a, b = axes
    w = weights or {a: 1.0}
    first = start if start is not None else model.run(budget, w)
    b_hi = first.objectives[b]
    # CO2e is lowest with nothing spent (0 t); another objective needs its own solve.
    fixed_lims = {k: v for k, v in (limits or {}).items() if k != b}
    b_lo = (
        0.0
        if b == "co2e_t" and not fixed_lims
        else model.run(budget, {b: 1.0}, limits=fixed_lims).objectives[b]
    )
    basis = model.h.getBasis() if start is not None else None
    rows = []
    # From the optimum's value down: each point changes one row bound (a warm dual simplex).
    for i, eps in enumerate(np.linspace(b_hi, b_lo, points)):
        # A hair of slack: the solver's tolerance must not make the lowest limit infeasible.
        lim = float(eps) + 1e-9 * max(1.0, abs(float(eps)))
        if i == points - 1 and points > 1 and b == "co2e_t" and not fixed_lims:
            # The zero-CO2e end forces every emitting option out: far from the last basis,
            # the warm dual simplex took 2.5× a fresh solve, whose presolve removes those
            # columns (same optimum; measured on the standard scenario, 300 samples).
            model.h.clearSolver()
        pt = model.run(budget, w, limits={**fixed_lims, b: lim})
        rows.append(
            {
                "axis_x": a,
                "axis_y": b,
                f"{b}_limit": float(eps),
                **{n: pt.objectives.get(n, float("nan")) for n in OPTIMISABLE},
                "expected_cost_usd": pt.expected_cost,
                "cvar_usd": pt.cvar,
                "spent_usd": float(pt.allocation["usd"].sum()),
                "solve_s": pt.timings["solve_s"],
            }
        )
    rows.reverse()  # ascending limits
    if basis is not None:
        # Leave the solver at the optimum's basis: the next solve (a compared plan) starts there.
        model.h.setBasis(basis)
    return pd.DataFrame(rows)


def plan_from(solution: Solution, name: str, start: int) -> Plan:
    """The optimal allocation as a plan file (options with at least one dollar)."""
    items = []
    for _, row in solution.allocation.iterrows():
        if row["usd"] < 1.0:
            continue
        item: dict[str, object] = {
            "lever": row["lever"],
            "minerals": [row["mineral"]],
            "usd": float(row["usd"]),
            "start": start,
        }
        if row["country"] is not None and row["country"] == row["country"]:
            item["country"] = row["country"]
        if row["stage"] is not None and row["stage"] == row["stage"]:
            item["stage"] = row["stage"]
        items.append(item)
    if not items:
        items = [{"lever": "stockpile", "minerals": ["copper"], "usd": 0.0, "start": start}]
    return Plan.model_validate({"name": name, "items": items})


def fixed_from_plan(plan: Plan, opts: Options) -> tuple[dict[str, float], list[str]]:
    """A plan's dollars on the optimiser's options, and the items it cannot map."""
    names = set(opts.table["option"])
    fixed: dict[str, float] = {}
    unmapped = []
    for i, it in enumerate(plan.items):
        per = it.cost_usd / len(it.minerals)
        for mineral in it.minerals:
            if it.lever == "stockpile":
                key = f"stockpile:{mineral}"
            else:
                country = it.country or "USA"
                cands = [o for o in names if o.startswith(f"{it.lever}:{mineral}:{country}:")]
                if it.stage is not None:
                    cands = [o for o in cands if o.endswith(f":{it.stage}")]
                key = sorted(cands, key=lambda o: not o.endswith(":refine"))[0] if cands else ""
            if key in names:
                fixed[key] = fixed.get(key, 0.0) + per
            else:
                unmapped.append(f"items.{i} {it.lever} {mineral} {it.country or ''}".strip())
    return fixed, unmapped
