"""Benchmark: the portfolio LP on 500 samples × 15 years × every simulated mineral.

The standard scenario (examples/standard-2026.yaml: the default hazard model, 2026-2040),
a budget of 11.6 billion USD, the AI-output objective: one build + solve (goal ≤ 60 s), then
the Pareto frontier of ``--pareto`` points re-solved warm on the same model (goal ≤ 2× the
single solve), then λ = 1 (CVaR at 95 %). Prints the LP's size (variables, constraints,
nonzeros), the times and the peak resident memory.

Run::

    .venv/bin/python benchmarks/bench_optimize.py [--samples 500] [--budget 11.6e9] [--pareto 5]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import critmin  # noqa: E402
from critmin.policy.objectives import ai_value  # noqa: E402
from critmin.policy.optimize import Model, frontier, lever_options  # noqa: E402
from critmin.sim.inputs import prepare  # noqa: E402
from critmin.sim.runner import simulate  # noqa: E402
from critmin.sim.scenario import Scenario, load_scenario  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--samples", type=int, default=500)
    ap.add_argument("--budget", type=float, default=11.6e9)
    ap.add_argument("--pareto", type=int, default=5)
    args = ap.parse_args()
    ds = critmin.load()
    sc = load_scenario(ROOT / "examples" / "standard-2026.yaml")
    sc = Scenario.model_validate({**sc.model_dump(), "samples": args.samples})
    t0 = time.perf_counter()
    base = simulate(sc, ds)
    t_sim = time.perf_counter() - t0
    mi = prepare(sc, ds)
    t0 = time.perf_counter()
    opts = lever_options(mi, ds)
    t_opts = time.perf_counter() - t0
    n_years, n_minerals = mi.shape
    print(f"{args.samples} samples x {n_years} years x {n_minerals} minerals; "
          f"baseline simulation {t_sim:.1f} s; {len(opts.table)} lever options "
          f"({t_opts:.1f} s)")  # fmt: skip
    for lam in (0.0, 1.0):
        t0, c0 = time.perf_counter(), time.process_time()
        model = Model(base, opts, ai=ai_value(mi), lam=lam)
        sol = model.run(args.budget, {"ai_output_usd": 1.0})
        single, single_cpu = time.perf_counter() - t0, time.process_time() - c0
        b, s = sol.timings["build_s"], sol.timings["solve_s"]
        print(f"lambda={lam:g}: {sol.size['variables']:,} variables, "
              f"{sol.size['constraints']:,} constraints, {sol.size['nonzeros']:,} nonzeros; "
              f"build {b:.1f} s + solve {s:.1f} s = {single:.1f} s wall, {single_cpu:.1f} s CPU "
              "(goal <= 60 s); "
              f"AI output at risk {sol.objectives['ai_output_usd'] / 1e9:,.0f} bn USD, "
              f"unmet cost {sol.expected_cost / 1e9:,.1f} bn USD")  # fmt: skip
        if lam == 0.0 and args.pareto:
            t0, c0 = time.perf_counter(), time.process_time()
            frontier(model, args.budget, ("ai_output_usd", "co2e_t"), args.pareto, start=sol)
            tp, tpc = time.perf_counter() - t0, time.process_time() - c0
            print(f"  pareto {args.pareto} points (warm re-solves): {tp:.1f} s wall = "
                  f"{tp / single:.2f} x the single build + solve, {tpc:.1f} s CPU = "
                  f"{tpc / single_cpu:.2f} x (goal <= 2 x)")  # fmt: skip
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(f"peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
