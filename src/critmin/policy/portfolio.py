"""Optimise a budget and compare the result with a given plan, in and out of sample.

In sample: the LP's own samples (the scenario's seed). Out of sample: fresh samples (seed + 1)
through the simulator, where the LP's linear approximation no longer helps it. Both plans are
scored the same way: the expected cost of the bloc's unmet demand at the USGS price, summed
over the minerals with a price, its CVaR (LP), AI hardware output at risk and CO2e.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from critmin.data.dataset import load as load_dataset
from critmin.data.errors import DataError, Problem
from critmin.policy.evaluate import evaluate
from critmin.policy.levers import STOCK_MARKET_SHARE
from critmin.policy.objectives import (
    ECONOMIC_LOSS_MISSING,
    OBJECTIVES,
    OPTIMISABLE,
    UNITS,
    ai_value,
    canonical,
    parse_weights,
)
from critmin.policy.optimize import (
    Model,
    Solution,
    fixed_from_plan,
    frontier,
    lever_options,
    plan_from,
)
from critmin.policy.plan import Plan, load_plan
from critmin.sim.ai_allocation import AUTO, OPTIMISER_RULES, optimiser_rule
from critmin.sim.inputs import prepare
from critmin.sim.runner import simulate
from critmin.sim.scenario import Scenario, load_scenario
from critmin.sim.summary import ai_at_risk_by_rule


@dataclass
class Result:
    """What ``critmin plan optimize`` reports."""

    allocation: pd.DataFrame
    comparison: pd.DataFrame
    pareto: pd.DataFrame
    solution: Solution
    plan: Plan
    unmapped: list[str] = field(default_factory=list)
    scenario: str = ""
    objective: dict[str, float] = field(default_factory=dict)
    limits: dict[str, float] = field(default_factory=dict)
    objectives: pd.DataFrame = field(default_factory=pd.DataFrame)
    timings: dict[str, float] = field(default_factory=dict)
    #: The AI allocation rule the LP used and why (see ``optimiser_rule``).
    ai_rule: str = "central"
    ai_rule_why: str = ""

    def as_json(self) -> dict[str, Any]:
        alloc = self.allocation[self.allocation["usd"] >= 1.0]
        cols = ["lever", "mineral", "country", "stage", "usd", "marginal_value"]
        why = ["pays_off_share", "pays_off_years", "at_market_limit", "note"]
        return {
            "scenario": self.scenario,
            "objective": self.objective,
            "limits": self.limits,
            "ai_rule": self.ai_rule,
            "ai_rule_why": self.ai_rule_why,
            "allocation": _records(alloc[[*cols, *[c for c in why if c in alloc]]]),
            "options": _records(
                self.allocation[[*cols, "option", "cap_usd", "note"]]
                if "cap_usd" in self.allocation
                else self.allocation[[*cols, "option", "note"]]
            ),
            "comparison": _records(self.comparison),
            "objectives": _records(self.objectives),
            "pareto": _records(self.pareto),
            "lp": {
                **self.solution.size,
                **self.solution.timings,
                **self.timings,
                "budget_dual": self.solution.budget_dual,
            },
            "unmapped_items": self.unmapped,
        }


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for rec in df.to_dict(orient="records"):
        out.append(
            {str(k): (None if isinstance(v, float) and v != v else v) for k, v in rec.items()}
        )
    return out


def _sim_scores(plan: Plan, sc: Scenario, samples: int, seed: int) -> dict[str, float]:
    ev = evaluate(plan, sc, samples=samples, seed=seed)
    tot = ev.table[ev.table["mineral"] == "total"].iloc[0].to_dict()
    cons = ev.consequences.set_index("objective")
    out = {
        "unmet_cost_usd_base": float(tot["unmet_cost_usd_base"]),
        "unmet_cost_usd": float(tot["unmet_cost_usd_plan"]),
        "ai_output_at_risk": float(tot["ai_output_at_risk_plan"]),
        "co2e_t": float(tot["co2e_t"]),
    }
    for name in OBJECTIVES:
        out[f"{name}:base"] = float(cons.at[name, "base"])  # type: ignore[arg-type]
        out[f"{name}:plan"] = float(cons.at[name, "plan"])  # type: ignore[arg-type]
    # The AI objective under the bounding allocation rules (decision 0033).
    for rule, col in (("priority", "low"), ("pro_rata", "high")):
        for side in ("base", "plan"):
            v = cons.at["ai_output_usd", f"{side}_{col}"] if f"{side}_{col}" in cons else np.nan
            out[f"ai_output_usd_{rule}:{side}"] = float(v)  # type: ignore[arg-type]
    return out


def optimise_and_compare(
    budget: float,
    scenario: str | Path | Scenario,
    *,
    samples: int | None = None,
    seed: int | None = None,
    alpha: float = 0.95,
    lam: float = 0.0,
    compare: str | Path | Plan | None = None,
    pareto: int = 0,
    partners: tuple[str, ...] = ("AUS", "CAN"),
    out_plan: str | Path | None = None,
    objective: dict[str, float] | str | None = None,
    limits: dict[str, float] | None = None,
    pareto_axes: tuple[str, str] | None = None,
    market_share: float = STOCK_MARKET_SHARE,
    ai_rule: str = AUTO,
) -> Result:
    """Solve for ``budget`` on the scenario's samples and score the result (and ``compare``)
    on every objective, in sample and out of sample.

    ``ai_rule`` (:data:`critmin.sim.ai_allocation.OPTIMISER_RULES`) is how the LP's AI
    objective allocates a shortfall between AI and other uses; ``auto`` (default) is the
    central rule unless the scenario puts no AI output at risk under it, then the pro-rata
    upper bound (:func:`critmin.sim.ai_allocation.optimiser_rule`); the simulator's scores
    always give the central rule with both bounds (decision 0033).

    ``objective`` is a weighting of objectives (``{"ai_output_usd": 1}``, or text such as
    ``"ai:1,unmet:0.5"``; default :data:`DEFAULT_OBJECTIVE`); ``limits`` bound any objective
    (native units); ``pareto`` points on the frontier of ``pareto_axes`` (default: the first
    weighted objective against CO2e).

    Raises
    ------
    DataError
        A negative budget or Pareto count, bad α or λ, an unknown objective or axis, an
        infeasible problem.
    """
    if pareto < 0:
        raise DataError([Problem("optimiser", None, "pareto", "0 or more points", str(pareto))])
    if budget < 0:
        raise DataError(
            [Problem("optimiser", None, "budget", "a budget of at least 0", str(budget))]
        )
    if not 0 <= market_share <= 1:
        raise DataError(
            [Problem("optimiser", None, "market_share", "a share in [0, 1]", str(market_share))]
        )
    weights = _weights(objective)
    lim = _limits(limits)
    axes = _axes(pareto_axes, weights)
    ds = load_dataset()
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    update = {k: v for k, v in (("samples", samples), ("seed", seed)) if v is not None}
    if update:
        sc = Scenario.model_validate({**sc.model_dump(), **update})
    t0 = time.perf_counter()
    base = simulate(sc, ds)
    mi = prepare(sc, ds)
    t_sim = time.perf_counter() - t0
    given = None
    if compare is not None:
        given = compare if isinstance(compare, Plan) else load_plan(compare)
        # The compared plan's partner countries become options too: the optimiser may choose
        # what the plan chose, and the plan is scored in the LP's terms in full.
        extra = [
            it.country
            for it in given.items
            if it.lever == "partner_investment" and it.country not in (None, *partners)
        ]
        partners = tuple(dict.fromkeys([*partners, *(c for c in extra if c)]))  # fmt: skip
    opts = lever_options(mi, ds, partners, market_share)
    if ai_rule not in OPTIMISER_RULES:
        raise DataError([Problem("optimiser", None, "ai_rule",
                                 f"one of {', '.join(OPTIMISER_RULES)}", ai_rule)])  # fmt: skip
    ai_rule, rule_why = optimiser_rule(ai_rule, ai_at_risk_by_rule(base)["central"])
    ai = ai_value(mi, ai_rule)
    if "ai_output_usd" in {*weights, *lim, *axes} and not np.isfinite(ai.usd).all():
        raise DataError([Problem("optimiser", None, "objective", "an objective with data",
                                 f"ai_output_usd: {ai.note}")])  # fmt: skip
    model = Model(base, opts, ai=ai if np.isfinite(ai.usd).all() else None, alpha=alpha, lam=lam)
    sol = model.run(budget, weights, limits=lim)
    best = plan_from(sol, f"optimised for {budget:,.0f} USD", int(mi.years[0]))
    # The frontier first, warm from the optimum just found (before any plan is pinned).
    t1 = time.perf_counter()
    front = pd.DataFrame()
    if pareto > 0:
        same = axes[0] in weights and len(weights) == 1
        front = frontier(model, budget, axes, pareto, weights=weights if same else None,
                         start=sol if same else None, limits=lim)  # fmt: skip
    t_front = time.perf_counter() - t1
    rows = [_row("optimised", best, sol, sc)]
    unmapped: list[str] = []
    if given is not None:
        fixed, unmapped = fixed_from_plan(given, opts)
        pinned = model.run(max(budget, sum(fixed.values())), weights, fixed=fixed)
        rows.append(_row(given.name, given, pinned, sc))
    if len(front) and axes[1] == "co2e_t":
        front["co2e_limit_t"] = front["co2e_t_limit"]
    if out_plan is not None:
        Path(out_plan).write_text(
            yaml.safe_dump(best.model_dump(exclude_none=True), sort_keys=False), "utf-8"
        )
    comp = pd.DataFrame(rows).assign(ai_rule=ai_rule)
    return Result(
        sol.allocation, comp, front, sol, best, unmapped, sc.name, weights, lim,
        objectives_table(comp),
        {"baseline_simulation_s": t_sim, "pareto_s": t_front}, ai_rule, rule_why,
    )  # fmt: skip


#: The optimiser's default objective: the value of the bloc's AI hardware that cannot be built.
DEFAULT_OBJECTIVE: dict[str, float] = {"ai_output_usd": 1.0}


def _weights(objective: dict[str, float] | str | None) -> dict[str, float]:
    try:
        if objective is None:
            return dict(DEFAULT_OBJECTIVE)
        if isinstance(objective, str):
            return parse_weights(objective)
        return parse_weights(",".join(f"{k}:{v}" for k, v in objective.items()))
    except ValueError as e:
        raise DataError([Problem("optimiser", None, "objective", "a known objective",
                                 str(e))]) from None  # fmt: skip


def _limits(limits: dict[str, float] | None) -> dict[str, float]:
    out: dict[str, float] = {}
    for k, v in (limits or {}).items():
        try:
            key = canonical(k)
        except ValueError as e:
            raise DataError([Problem("optimiser", None, f"limits.{k}", "a known objective",
                                     str(e))]) from None  # fmt: skip
        if key not in OPTIMISABLE:
            raise DataError([Problem("optimiser", None, f"limits.{k}", "an objective with data",
                                     ECONOMIC_LOSS_MISSING)])  # fmt: skip
        out[key] = float(v)
    return out


def _axes(axes: tuple[str, str] | None, weights: dict[str, float]) -> tuple[str, str]:
    if axes is None:
        first = next(iter(weights))
        return (first, "co2e_t") if first != "co2e_t" else ("co2e_t", "unmet_cost_usd")
    try:
        a, b = (canonical(x) for x in axes)
    except ValueError as e:
        raise DataError([Problem("optimiser", None, "pareto_axes", "two known objectives",
                                 str(e))]) from None  # fmt: skip
    if a == b or a not in OPTIMISABLE or b not in OPTIMISABLE:
        raise DataError([Problem("optimiser", None, "pareto_axes",
                                 f"two different objectives of {', '.join(OPTIMISABLE)}",
                                 f"{a},{b}")])  # fmt: skip
    return a, b


def objectives_table(comp: pd.DataFrame) -> pd.DataFrame:
    """Every plan on every objective, side by side: one row per (objective, plan), baseline
    and plan in sample and out of sample (simulator), and the LP's own figure.

    The AI objective also has a row per bounding allocation rule (``ai_output_usd_priority``,
    ``ai_output_usd_pro_rata``; decision 0033); the LP's figure stands on the row of the rule
    the LP used (``comp["ai_rule"]``), since it is not comparable with the others."""
    rows = []
    for _, r in comp.iterrows():
        used = str(r.get("ai_rule", "central"))
        keys = [*OBJECTIVES]
        keys[1:1] = [f"ai_output_usd_{b}" for b in ("priority", "pro_rata")
                     if f"ai_output_usd_{b}:base" in r]  # fmt: skip
        for name in keys:
            rule = name.removeprefix("ai_output_usd_") if name.startswith("ai_output_usd_") else (
                "central" if name == "ai_output_usd" else None)  # fmt: skip
            lp = r.get("lp_ai_output_usd", np.nan) if rule == used else np.nan
            rows.append(
                {
                    "objective": name,
                    "unit": UNITS.get(name, "USD"),
                    "plan": r["plan"],
                    "base_in_sample": r[f"{name}:base"],
                    "plan_in_sample": r[f"{name}:plan"],
                    "base_out_of_sample": r[f"{name}:base_oos"],
                    "plan_out_of_sample": r[f"{name}:plan_oos"],
                    "lp": lp if rule is not None else r.get(f"lp_{name}", np.nan),
                }
            )
    return pd.DataFrame(rows)


def _row(label: str, plan: Plan, sol: Solution, sc: Scenario) -> dict[str, object]:
    ins = _sim_scores(plan, sc, sc.samples, sc.seed)
    out = _sim_scores(plan, sc, sc.samples, sc.seed + 1)
    row: dict[str, object] = {
        "plan": label,
        "scenario": sc.name,
        "spent_usd": float(sol.allocation["usd"].sum()),
        "lp_expected_cost_usd": sol.expected_cost,
        "lp_cvar_usd": sol.cvar,
        "lp_objective": sol.objective,
        "sim_unmet_cost_base_usd": ins["unmet_cost_usd_base"],
        "sim_unmet_cost_usd": ins["unmet_cost_usd"],
        "sim_out_of_sample_unmet_cost_base_usd": out["unmet_cost_usd_base"],
        "sim_out_of_sample_unmet_cost_usd": out["unmet_cost_usd"],
        "ai_output_at_risk": ins["ai_output_at_risk"],
        "co2e_t": ins["co2e_t"],
    }
    for name in OBJECTIVES:
        row[f"{name}:base"] = ins[f"{name}:base"]
        row[f"{name}:plan"] = ins[f"{name}:plan"]
        row[f"{name}:base_oos"] = out[f"{name}:base"]
        row[f"{name}:plan_oos"] = out[f"{name}:plan"]
        row[f"lp_{name}"] = sol.objectives.get(name, np.nan)
    for rule in ("priority", "pro_rata"):
        key = f"ai_output_usd_{rule}"
        row[f"{key}:base"], row[f"{key}:plan"] = ins[f"{key}:base"], ins[f"{key}:plan"]
        row[f"{key}:base_oos"], row[f"{key}:plan_oos"] = out[f"{key}:base"], out[f"{key}:plan"]
    return row
