"""The portfolio optimiser: a two-stage stochastic LP built with linopy, solved by HiGHS.

First stage: dollars ``x[o]`` per lever option ``o`` (lever × mineral × country) under a
budget and optional caps. Second stage, per sample ``s``, year ``t`` and mineral ``m`` of
a baseline simulation: the bloc's unmet demand ``u`` and stock release ``r``::

    u[s,t,m] + r[s,t,m] + Σ_o k[o,t,m] x[o]  ≥  U0[s,t,m]          (only cells with U0 > 0)
    Σ_t r[s,t,m]  ≤  Σ_{o stockpile of m} x[o] / price[m]            (stock bought first)
    Σ_o x[o] ≤ budget,   x[o] ≤ cap[o]
    L[s] = Σ_{t,m} price[m] u[s,t,m]                                  (shortfall cost, USD)
    z[s] ≥ L[s] − η,  z ≥ 0                                           (Rockafellar–Uryasev)
    min  mean_s L[s] + λ (η + Σ_s z[s] / ((1 − α) S))

``k[o,t,m]`` is the supply an option dedicates to the bloc per dollar (t/yr per USD: 1 ÷
the sourced capital cost, times the ramp-up and the partner's availability), the same
numbers the plan evaluation puts into the simulator; ``U0`` is the baseline simulation's
unmet demand. The LP is linear in the levers (each tonne of dedicated supply replaces a
tonne of unmet demand, without the price effect) and lets the stock be released with
hindsight within a sample, so its figures are an approximation: the chosen plan is then run
through the simulator, in sample and on fresh samples (out of sample), like any plan.
The marginal value of an option is ``Σ dual × k``: dollars of shortfall cost avoided per
extra dollar. Environmental impact (t CO2e, cradle-to-gate) is a second objective: the
Pareto frontier bounds it (ε-constraint) from zero up to the cost-optimal plan's.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from critmin.data.dataset import Dataset
from critmin.data.errors import DataError, Problem
from critmin.policy.evaluate import footprints, prices
from critmin.policy.levers import availability, capex, lead_years, ramp
from critmin.policy.plan import Plan
from critmin.sim.inputs import MarketInputs

#: Partner countries the optimiser may invest in by default (beside US domestic capacity).
PARTNERS = ("AUS", "CAN")


@dataclass(frozen=True)
class Options:
    """Lever options as labelled arrays."""

    table: pd.DataFrame  # option, lever, mineral, country, stage, usd_per_unit, note
    k: xr.DataArray  # (option, year, mineral) t/yr of dedicated supply per USD
    stock: xr.DataArray  # (option, mineral) t of stock per USD
    co2: xr.DataArray  # (option,) t CO2e per USD over the horizon


def lever_options(mi: MarketInputs, ds: Dataset, partners: tuple[str, ...] = PARTNERS) -> Options:
    """Every option the data can cost: US mines and plants, partner capacity, stockpiles."""
    years = mi.years.astype(float)
    fp = footprints()
    price = prices()
    rows: list[tuple[Any, ...]] = []
    ks: list[tuple[str, np.ndarray]] = []
    stocks: list[tuple[str, float]] = []
    co2: list[float] = []
    for m in mi.minerals:
        for lever, stage, country in [("mine", "mine", "USA"), ("refine", "refine", "USA")] + [
            ("partner_investment", st, c) for c in partners for st in ("mine", "refine")
        ]:
            cost = capex(m, stage, "mine" if stage == "mine" else "refine")
            if cost is None:
                continue
            permit, build, up, _ = lead_years(country, stage)
            share = ramp(years, float(mi.years[0]) + permit + build, up)
            avail = availability(ds, country)
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
                    f"USGS price {price[m]:,.0f} USD/t",
                )
            )
            ks.append((m, np.zeros(len(years))))
            stocks.append((m, 1.0 / price[m]))
            co2.append(fp[m][0] / price[m] if m in fp else 0.0)
    cols = ["option", "lever", "mineral", "country", "stage", "usd_per_unit", "note"]
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

    allocation: pd.DataFrame  # option, lever, mineral, country, stage, usd, marginal_value
    objective: float  # USD: expected shortfall cost + λ CVaR
    expected_cost: float  # USD: expected shortfall cost
    cvar: float  # USD
    co2e_t: float
    budget_dual: float  # USD of objective per extra USD of budget (≤ 0)
    size: dict[str, int]
    timings: dict[str, float]


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


def _unmet(base: xr.Dataset) -> xr.DataArray:
    return base["unmet"].transpose("sample", "year", "mineral").load()


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
) -> Solution:
    """Build and solve the LP on a baseline simulation's samples.

    ``fixed`` pins options to given dollars (to score a given plan in the LP's own terms).

    Raises
    ------
    DataError
        A negative budget, an α outside (0, 1), a negative λ, caps naming unknown options, or
        an infeasible problem (fixed dollars above the budget, caps below fixed amounts).
    """
    import linopy

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

    t0 = time.perf_counter()
    price = prices()
    u0 = _unmet(base)
    minerals = [str(m) for m in u0["mineral"].to_numpy()]
    value = xr.DataArray(
        [price.get(m, 0.0) for m in minerals], coords={"mineral": minerals}, dims="mineral"
    )
    # Cells the LP needs: some shortfall to remove, and a mineral it can value.
    mask = (u0 > 1e-9) & (value > 0)
    n_samples = u0.sizes["sample"]
    stock_minerals = (opts.stock.sum("option") > 0).reindex(mineral=minerals, fill_value=False)

    m = linopy.Model()
    x = m.add_variables(lower=0.0, coords=[pd.Index(opts.table["option"], name="option")], name="x")
    x = m.variables["x"]
    u = m.add_variables(lower=0.0, coords=u0.coords, name="u", mask=mask)
    r = m.add_variables(lower=0.0, coords=u0.coords, name="r", mask=mask & stock_minerals)
    k = opts.k.reindex(mineral=minerals, fill_value=0.0)
    supply = (k * x).sum("option")
    # Absent (masked) slots count as 0: no release where the mineral cannot be stocked.
    u_e, r_e = u.fillna(0), r.fillna(0)
    m.add_constraints(u_e + r_e + supply >= u0, name="unmet", mask=mask)
    stock = (opts.stock.reindex(mineral=minerals, fill_value=0.0) * x).sum("option")
    m.add_constraints(r.sum("year") <= stock, name="stock", mask=stock_minerals & mask.any("year"))
    m.add_constraints(x.sum() <= budget, name="budget")
    for o, cap in (caps or {}).items():
        m.add_constraints(x.sel(option=o) <= cap, name=f"cap_{len(m.constraints)}")
    for o, usd in (fixed or {}).items():
        m.add_constraints(x.sel(option=o) == usd, name=f"fixed_{len(m.constraints)}")
    if co2_limit is not None:
        m.add_constraints((opts.co2 * x).sum() <= co2_limit, name="co2")
    loss = (u_e * value).sum(["year", "mineral"])
    eta = m.add_variables(name="eta")
    z = m.add_variables(
        lower=0.0, coords=[pd.Index(u0["sample"].to_numpy(), name="sample")], name="z"
    )
    z = m.variables["z"]
    m.add_constraints(z - loss + eta >= 0, name="tail")
    objective = loss.sum() / n_samples
    if lam > 0:
        objective = objective + lam * (eta + z.sum() / ((1.0 - alpha) * n_samples))
    else:
        objective = objective + 0.0 * eta + 0.0 * z.sum()
    m.add_objective(objective)
    t_build = time.perf_counter() - t0
    t1 = time.perf_counter()
    with _quiet_stdout():
        status, condition = m.solve(
            solver_name="highs", io_api="direct", output_flag=False, log_to_console=False
        )
    t_solve = time.perf_counter() - t1
    if status != "ok":
        raise DataError(
            [
                Problem(
                    "optimiser", None, "(problem)", "a feasible problem", f"{status}: {condition}"
                )
            ]
        )
    xs = m.solution["x"].to_series()
    # Marginal values: dollars of shortfall cost avoided per extra dollar in each option.
    dual = m.constraints["unmet"].dual.fillna(0.0)
    # The duals already carry the objective's 1/S: no division by the sample count here.
    mv = (dual * k).sum(["sample", "year", "mineral"])
    if "stock" in m.constraints:
        sd = m.constraints["stock"].dual.fillna(0.0)
        stock_k = opts.stock.reindex(mineral=minerals, fill_value=0.0)
        mv = mv + (-sd * stock_k).sum(["sample", "mineral"])
    alloc = opts.table.copy()
    alloc["usd"] = alloc["option"].map(xs).fillna(0.0).to_numpy()
    alloc["marginal_value"] = alloc["option"].map(mv.to_series()).fillna(0.0).to_numpy()
    losses = m.solution["u"].fillna(0.0) * value
    per_sample = losses.sum(["year", "mineral"]).to_numpy()
    expected = float(per_sample.mean())
    tail = np.sort(per_sample)[-max(1, int(np.ceil(round((1 - alpha) * n_samples, 9)))) :]
    return Solution(
        allocation=alloc,
        objective=float(m.objective.value or 0.0),
        expected_cost=expected,
        cvar=float(tail.mean()),
        co2e_t=float((opts.co2 * m.solution["x"]).sum()),
        budget_dual=float(m.constraints["budget"].dual),
        size={"variables": int(m.nvars), "constraints": int(m.ncons)},
        timings={"build_s": t_build, "solve_s": t_solve},
    )


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
