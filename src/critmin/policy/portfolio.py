"""Optimise a budget and compare the result with a given plan, in and out of sample.

In sample: the LP's own samples (the scenario's seed). Out of sample: fresh samples (seed + 1)
through the simulator, where the LP's linear approximation no longer helps it. Both plans are
scored the same way: the expected cost of the bloc's unmet demand at the USGS price, summed
over the minerals with a price, its CVaR (LP), AI hardware output at risk and CO2e.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from critmin.data.dataset import load as load_dataset
from critmin.data.errors import DataError, Problem
from critmin.policy.evaluate import evaluate
from critmin.policy.optimize import Solution, fixed_from_plan, lever_options, plan_from, solve
from critmin.policy.plan import Plan, load_plan
from critmin.sim.inputs import prepare
from critmin.sim.runner import simulate
from critmin.sim.scenario import Scenario, load_scenario


@dataclass
class Result:
    """What ``critmin plan optimize`` reports."""

    allocation: pd.DataFrame
    comparison: pd.DataFrame
    pareto: pd.DataFrame
    solution: Solution
    plan: Plan
    unmapped: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        alloc = self.allocation[self.allocation["usd"] >= 1.0]
        cols = ["lever", "mineral", "country", "stage", "usd", "marginal_value"]
        return {
            "allocation": _records(alloc[cols]),
            "options": _records(self.allocation[[*cols, "option", "note"]]),
            "comparison": _records(self.comparison),
            "pareto": _records(self.pareto),
            "lp": {
                **self.solution.size,
                **self.solution.timings,
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
    return {
        "unmet_cost_usd_base": float(tot["unmet_cost_usd_base"]),
        "unmet_cost_usd": float(tot["unmet_cost_usd_plan"]),
        "ai_output_at_risk": float(tot["ai_output_at_risk_plan"]),
        "co2e_t": float(tot["co2e_t"]),
    }


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
) -> Result:
    """Solve for ``budget`` on the scenario's samples and score the result (and ``compare``).

    Raises
    ------
    DataError
        A negative budget or Pareto count, bad α or λ, an infeasible problem.
    """
    if pareto < 0:
        raise DataError([Problem("optimiser", None, "pareto", "0 or more points", str(pareto))])
    if budget < 0:
        raise DataError(
            [Problem("optimiser", None, "budget", "a budget of at least 0", str(budget))]
        )
    ds = load_dataset()
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    update = {k: v for k, v in (("samples", samples), ("seed", seed)) if v is not None}
    if update:
        sc = Scenario.model_validate({**sc.model_dump(), **update})
    base = simulate(sc, ds)
    mi = prepare(sc, ds)
    opts = lever_options(mi, ds, partners)
    sol = solve(base, opts, budget, alpha=alpha, lam=lam)
    best = plan_from(sol, f"optimised for {budget:,.0f} USD", int(mi.years[0]))
    rows = [_row("optimised", best, sol, sc)]
    unmapped: list[str] = []
    if compare is not None:
        given = compare if isinstance(compare, Plan) else load_plan(compare)
        fixed, unmapped = fixed_from_plan(given, opts)
        pinned = solve(
            base, opts, max(budget, sum(fixed.values())), alpha=alpha, lam=lam, fixed=fixed
        )
        rows.append(_row(given.name, given, pinned, sc))
    front = []
    if pareto > 0:
        for eps in np.linspace(0.0, sol.co2e_t, pareto):
            pt = solve(base, opts, budget, alpha=alpha, lam=lam, co2_limit=float(eps))
            front.append(
                {
                    "co2e_limit_t": float(eps),
                    "co2e_t": pt.co2e_t,
                    "expected_cost_usd": pt.expected_cost,
                    "cvar_usd": pt.cvar,
                    "spent_usd": float(pt.allocation["usd"].sum()),
                }
            )
    if out_plan is not None:
        Path(out_plan).write_text(
            yaml.safe_dump(best.model_dump(exclude_none=True), sort_keys=False), "utf-8"
        )
    return Result(sol.allocation, pd.DataFrame(rows), pd.DataFrame(front), sol, best, unmapped)


def _row(label: str, plan: Plan, sol: Solution, sc: Scenario) -> dict[str, object]:
    ins = _sim_scores(plan, sc, sc.samples, sc.seed)
    out = _sim_scores(plan, sc, sc.samples, sc.seed + 1)
    return {
        "plan": label,
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
