"""Benchmark: the disruption simulation, fast engine against the naive reference.

The run: every mineral with data (36), a 20-year horizon (2026-2045) and a realistic event
mix (the default hazard model for every producing country, China's controls on gallium,
germanium, graphite and rare earths, a DRC cobalt outage, a logistics bottleneck and an AI
demand surge), 100,000 samples, summary outputs (shortfall and price index per sample, year
and mineral, plus per-sample reductions), on local threads. Prints throughput in
sample·mineral·years per second, the peak resident memory, and the ratio to the plain-loop
reference (:mod:`critmin.sim.reference`) timed on the same draws of a small block. With
``--dask`` also runs the same samples on a 2-worker LocalCluster and checks the results are
bit-identical, then measures scale-out with blocks reduced where they are computed
(``keep="stats"``: only summary statistics travel; ``--dask-keep reduced`` for the per-sample
reductions; ``--dask-samples``, default 1,000,000): two threads in one process, one Dask
worker process and two, with the summary tables checked bit-identical, the CPU seconds of
every process and the load average (the machine may be shared).

Run::

    .venv/bin/python benchmarks/bench_simulate.py [--samples 100000] [--workers 2] [--dask]
        [--compare-engine OLD_ENGINE.py] [--dask-samples 1000000] [--dask-only]
        [--dask-keep stats|reduced]

``--compare-engine`` (default: commit 366b111, read with ``git show``; or an engine module
file; ``none`` to skip) times that engine's ``run_block`` on the same 1000-sample block and
draws, beside the current engine with the current model and with the previous model's settings
(:data:`critmin.sim.calibration.PREVIOUS_MODEL`, ``part_year=False``), runs the whole
benchmark again with it plugged into today's runner (same cached inputs, same draws), and
times one block's draws with that commit's hazard timing: the cost of the new market
mechanics and the gain of the speed work, in the same run. Block timings are CPU times (best
of 3); whole runs are wall times. The compiled scenario is timed cold (``prepare``) and from
the cache (``prepare_cached``); the end-to-end figure uses the cache, as any second run of a
scenario does.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import critmin  # noqa: E402
from critmin.sim.engine import run_block, run_reduced  # noqa: E402
from critmin.sim.inputs import draw, prepare  # noqa: E402
from critmin.sim.reference import run_block as reference_block  # noqa: E402
from critmin.sim.runner import RECOVERED, block_rng, per_sample, simulate  # noqa: E402
from critmin.sim.scenario import Scenario  # noqa: E402
from critmin.sim.summary import summary  # noqa: E402

SCENARIO = {
    "name": "benchmark: hazards everywhere plus China's controls, a DRC outage, a port, AI surge",
    "horizon": {"start": 2026, "end": 2045},
    "seed": 11,
    "events": [
        {"type": "default_hazards"},
        {
            "type": "export_restriction",
            "country": "CHN",
            "minerals": ["gallium", "germanium", "graphite", "rare_earths"],
            "stage": "refine",
            "start": 2027,
            "duration_years": 3,
            "share": {"low": 0.5, "central": 0.8, "high": 1.0},
            "leakage": {"low": 0.0, "central": 0.1, "high": 0.3},
            "exports_share": {"low": 0.3, "central": 0.5, "high": 1.0},
        },
        {
            "type": "outage",
            "country": "COD",
            "mineral": "cobalt",
            "stage": "mine",
            "start": 2028,
            "duration_years": 1,
            "capacity_loss": {"low": 0.1, "central": 0.25, "high": 0.5},
        },
        {
            "type": "logistics",
            "route": "Dar es Salaam corridor",
            "minerals": ["cobalt", "copper"],
            "countries": ["COD", "ZMB"],
            "start": 2029,
            "duration_years": 0.5,
            "capacity_loss": 0.3,
            "delay_days": 20,
        },
        {
            "type": "demand_surge",
            "minerals": ["copper", "gallium", "germanium"],
            "start": 2030,
            "duration_years": 5,
            "factor": {"low": 1.0, "central": 1.1, "high": 1.3},
        },
    ],
}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


#: The engine this one is compared with by default: the commit before issue 16's market
#: mechanics of branch i16m (bloc releases that move the price, state stockpiles,
#: restocking) and its speed work.
BASE_COMMIT = "366b111"


def old_module(commit: str, path: str, name: str):  # type: ignore[no-untyped-def]
    """A module of critmin as it was at ``commit``, read with ``git show`` (no copy kept in
    the repository); it imports today's other modules (inputs, draws), so both engines run
    on the same compiled inputs and the same draws."""
    import importlib.util
    import subprocess
    import tempfile

    text = subprocess.run(["git", "-C", str(ROOT), "show", f"{commit}:{path}"], check=True,
                          capture_output=True, text=True).stdout  # fmt: skip
    file = Path(tempfile.mkdtemp(prefix="critmin-bench-")) / f"{name}.py"
    file.write_text(text, "utf-8")
    spec = importlib.util.spec_from_file_location(name, file)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _old_reduced(old, mi, dr, years):  # type: ignore[no-untyped-def]
    """What the runner did per block before decision 0035: the whole year arrays, then the
    reductions, then the float32 copies a summary keeps."""
    out = old.run_block(mi, dr)
    part = per_sample(mi, out)
    if years:
        part["shortfall"] = out["shortfall"].astype(np.float32)
        part["price_index"] = out["price_index"].astype(np.float32)
    return part


def cpu_best(fn, k: int = 3) -> float:  # type: ignore[no-untyped-def]
    """The smallest CPU time (this process) of ``k`` calls: less sensitive to other jobs on
    the machine than wall time."""
    times = []
    for _ in range(k):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--samples", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--reference-samples", type=int, default=20)
    ap.add_argument("--dask", action="store_true", help="also run on a 2-worker LocalCluster")
    ap.add_argument("--compare-engine", default=BASE_COMMIT, metavar="COMMIT|FILE",
                    help="the engine to compare with: a git commit (its engine.py) or an "
                         "engine module file; 'none' to skip")  # fmt: skip
    ap.add_argument("--dask-samples", type=int, default=1_000_000,
                    help="samples of the reduced scale-out comparison")  # fmt: skip
    ap.add_argument("--dask-only", action="store_true", help="only the scale-out comparison")
    ap.add_argument("--dask-keep", default="stats", choices=["stats", "reduced"],
                    help="what travels back in the scale-out comparison")  # fmt: skip
    args = ap.parse_args()
    if args.dask_only:
        scale_out(args.dask_samples, args.dask_keep)
        return

    from critmin.sim import runner
    from critmin.sim.runner import prepare_cached

    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} on "
          f"{os.cpu_count()} cores")  # fmt: skip
    ds = critmin.load()
    sc = Scenario.model_validate({**SCENARIO, "samples": args.samples})
    t0 = time.perf_counter()
    mi = prepare(sc, ds)
    t_cold = time.perf_counter() - t0
    prepare_cached(sc, ds)  # stores it (or finds it stored)
    t0 = time.perf_counter()
    mi = prepare_cached(sc, ds)
    t_prep = time.perf_counter() - t0
    T, M = mi.shape
    print(f"scenario: {len(mi.events)} events ({len(mi.effects)} country effects), "
          f"{M} minerals, {T} years; prepare {t_cold:.2f} s cold (compiled), "
          f"{t_prep:.3f} s from the cache (goal <= 1 s)")  # fmt: skip
    mem0 = peak_mb()

    n = args.reference_samples
    dr = draw(mi, block_rng(0, 0), n)
    t0 = time.process_time()
    ref = reference_block(mi, dr)
    t_ref = time.process_time() - t0
    fast = run_block(mi, dr)
    worst = max(float(np.max(np.abs(fast[k] - ref[k]))) for k in ref)
    ref_rate = n * T * M / t_ref
    dr1k = draw(mi, block_rng(0, 0), 1000)
    t_block = cpu_best(lambda: run_block(mi, dr1k))
    # What a summary run does per block: run and reduce in one pass (decision 0035).
    t_fused = cpu_best(lambda: run_reduced(mi, dr1k, RECOVERED, years=True))
    t_draw = cpu_best(lambda: draw(mi, block_rng(0, 0), 1000))
    block_rate = 1000 * T * M / t_block
    units = args.samples * T * M
    # End to end (after the block timings above have warmed up imports and tables):
    # simulate() reads the compiled inputs from the cache (as a second run of a scenario
    # does), draws, runs and reduces every block. CPU time is that of all threads.
    t0, c0 = time.perf_counter(), time.process_time()
    res = simulate(sc, ds, workers=args.workers, keep="summary")
    t_fast, c_fast = time.perf_counter() - t0, time.process_time() - c0
    print(f"fast engine: {args.samples:,} samples in {t_fast:.2f} s end to end (prepare from "
          f"the cache, {args.workers} threads; {c_fast:.1f} s CPU) -> "
          f"{units / t_fast / 1e6:.2f} M sample·mineral·years/s; peak RSS {peak_mb():.0f} MB "
          f"(before the run {mem0:.0f} MB); goal <= 10 s, <= 2048 MB; with a cold prepare it "
          f"would be {t_fast + t_cold - t_prep:.2f} s")  # fmt: skip
    print(f"reference (plain loops): {n} samples in {t_ref:.2f} s CPU -> {ref_rate / 1e3:.1f} k/s;"
          f" max |fast - reference| = {worst:.1e}")  # fmt: skip
    print(f"ratio fast/reference (CPU time): {block_rate / ref_rate:.0f}x one 1000-sample block, "
          f"one thread (goal >= 50x); {units / t_fast / ref_rate:.0f}x end to end "
          f"(wall, {args.workers} threads)")  # fmt: skip
    print(f"one 1000-sample block, CPU: engine {t_block * 1e3:.0f} ms (all outputs), "
          f"{t_fused * 1e3:.0f} ms run and reduced as a summary keeps it; draws "
          f"{t_draw * 1e3:.0f} ms")  # fmt: skip
    # The summary table of the whole run in this process: the exact merge's numbers (the
    # ones a cluster gives), read off directly (decision 0036).
    t0, c0 = time.perf_counter(), time.process_time()
    table = summary(res)
    print(f"summary() of the {args.samples:,} samples: {time.perf_counter() - t0:.2f} s, "
          f"{time.process_time() - c0:.2f} s CPU (goal <= 0.3 s); {len(table)} rows")  # fmt: skip

    # The cost of the new market model against the old one, same block, same draws.
    from critmin.sim.calibration import PREVIOUS_MODEL
    from critmin.sim.inputs import Draws

    prev_params = {k: v.copy() for k, v in dr1k.params.items()}
    for k, v in PREVIOUS_MODEL.items():
        prev_params[k][:] = v
    dr_prev = Draws(n=dr1k.n, params=prev_params, host_share=dr1k.host_share,
                    magnitude=dr1k.magnitude, exports=dr1k.exports,
                    stochastic=dr1k.stochastic, success=dr1k.success)  # fmt: skip
    t_prev = cpu_best(lambda: run_block(mi, dr_prev, part_year=False))
    line = (f"same block, CPU: current engine, current model {t_block * 1e3:.0f} ms; current "
            f"engine, previous model's settings {t_prev * 1e3:.0f} ms")  # fmt: skip
    if args.compare_engine != "none":
        target = args.compare_engine
        if Path(target).is_file():
            import importlib.util

            spec = importlib.util.spec_from_file_location("old_engine", target)
            assert spec is not None and spec.loader is not None
            old = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(old)
            label = Path(target).name
        else:
            old = old_module(target, "src/critmin/sim/engine.py", "old_engine")
            label = f"engine at {target}"
        t_old = cpu_best(lambda: old.run_block(mi, dr1k))
        line += f"; {label}, current model {t_old * 1e3:.0f} ms"
        print(line)
        if not Path(target).is_file():
            fit = old_module(target, "src/critmin/sim/events/fitted_restriction.py", "old_fit")
            from critmin.sim.events import fitted_restriction

            now = fitted_restriction.SPEC.timing
            try:
                object.__setattr__(fitted_restriction.SPEC, "timing", fit.timing)
                t_draw_old = cpu_best(lambda: draw(mi, block_rng(0, 0), 1000))
            finally:
                object.__setattr__(fitted_restriction.SPEC, "timing", now)
            print(f"draws of one block, CPU: {t_draw * 1e3:.0f} ms now, {t_draw_old * 1e3:.0f} ms "
                  f"with the hazard timing at {target}")  # fmt: skip
        # The whole run again with the old engine in the same runner (same draws, same
        # cached inputs): the end-to-end cost of the new mechanics and the speed work.
        if not args.dask:
            del res  # the peak memory printed above is the current run's alone
        runner.run_block = old.run_block  # type: ignore[attr-defined]
        # A summary run reduces as it computes (run_reduced); the old engine's equivalent is
        # its run_block followed by the reductions.
        runner.run_reduced = lambda m, d, thr, years=False: _old_reduced(old, m, d, years)  # type: ignore[attr-defined]
        try:
            t0, c0 = time.perf_counter(), time.process_time()
            simulate(sc, ds, workers=args.workers, keep="summary")
            t_old_all, c_old = time.perf_counter() - t0, time.process_time() - c0
        finally:
            runner.run_block = run_block  # type: ignore[attr-defined]
            runner.run_reduced = run_reduced  # type: ignore[attr-defined]
        print(f"end to end with the {label}: {t_old_all:.2f} s, {c_old:.1f} s CPU (current "
              f"engine {t_fast:.2f} s, {c_fast:.1f} s CPU); load average now "
              f"{os.getloadavg()[0]:.2f}")  # fmt: skip
    else:
        print(line)

    if args.dask:
        t0 = time.perf_counter()
        res_d = simulate(sc, ds, workers=2, scheduler="local", keep="summary")
        t_dask = time.perf_counter() - t0
        same = all(np.array_equal(res[k].to_numpy(), res_d[k].to_numpy()) for k in res.data_vars)
        print(f"dask LocalCluster (2 workers): {t_dask:.2f} s -> "
              f"{units / t_dask / 1e6:.2f} M/s; bit-identical to threads: {same}")  # fmt: skip
        scale_out(args.dask_samples, args.dask_keep)


def _worker_cpu(client: object) -> dict[str, float]:
    """CPU seconds (user + system) each worker process has used so far."""

    def cpu() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    return dict(client.run(cpu))  # type: ignore[attr-defined]


def scale_out(samples: int, keep: str = "stats") -> None:
    """Throughput with blocks reduced where computed: 2 threads, 1 and 2 worker processes.

    ``keep="stats"`` (decision 0030): each task keeps its samples on its worker and only the
    summary statistics travel. The scenario is compiled (and cached) before timing, and each
    cluster is started before its run and reached by address (as an existing cluster would
    be): the times are the simulation's, not the compilation's or the cluster start's
    (printed apart); the summary table is timed with the run (for ``keep="stats"`` it is the
    merge, for ``"reduced"`` ``summary()`` on the client). Because the machine may be
    shared, each line also gives the CPU seconds of this process (client, scheduler thread,
    or the two threads) and of each worker, and the wall time an idle 2-core machine would
    need at least for that CPU work (the larger of the busiest process's CPU and the total
    over 2 cores): the ratios of those bounds are
    the scale-out that the load hides.
    """
    from distributed import Client

    from critmin.sim.runner import local_cluster, prepare_cached

    ds = critmin.load()
    sc = Scenario.model_validate({**SCENARIO, "samples": samples})
    mi = prepare_cached(sc, ds)
    T, M = mi.shape
    units = samples * T * M
    print(f"\nscale-out, keep={keep!r}, {samples:,} samples; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")  # fmt: skip
    rate: dict[str, float] = {}
    bound: dict[str, float] = {}
    tables = {}
    for label, procs in (("2 threads, one process", 0), ("Dask, 1 worker process", 1),
                         ("Dask, 2 worker processes", 2)):  # fmt: skip
        cluster = client = None
        kw: dict[str, object] = {"workers": 2}
        if procs:
            t0 = time.perf_counter()
            cluster = local_cluster(procs)
            kw = {"scheduler": cluster.scheduler_address}
            client = Client(cluster.scheduler_address)
            print(f"  (cluster of {procs} started in {time.perf_counter() - t0:.1f} s)")
        last: list[float] = []

        def tick(done: int, total: int, last: list[float] = last) -> None:
            if done == total:
                last.append(time.perf_counter())

        try:
            w0 = _worker_cpu(client) if client else {}
            c0 = time.process_time()
            load0 = os.getloadavg()[0]
            t0 = time.perf_counter()
            res = simulate(sc, ds, keep=keep, progress=tick, **kw)  # type: ignore[arg-type]
            tables[label] = summary(res)  # timed too: the table is what the user waits for
            dt = time.perf_counter() - t0
            cpu = time.process_time() - c0
            w1 = _worker_cpu(client) if client else {}
        finally:
            if client is not None:
                client.close()
            if cluster is not None:
                cluster.close()
        wcpu = [w1[k] - w0[k] for k in w1]
        total = cpu + sum(wcpu)
        bound[label] = max([cpu / (2 if not procs else 1), *wcpu, total / 2])
        rate[label] = units / dt
        merge = dt - (last[0] - t0) if last else float("nan")
        workers = " + ".join(f"{w:.1f}" for w in wcpu) or "-"
        print(f"  {label:<26} {dt:7.1f} s -> {units / dt / 1e6:6.2f} M sample·mineral·years/s; "
              f"CPU s: this process {cpu:.1f}, workers {workers}; summary after the last block "
              f"{merge:.2f} s; idle-machine bound {bound[label]:.1f} s "
              f"(load {load0:.2f} -> {os.getloadavg()[0]:.2f})", flush=True)  # fmt: skip
    first = next(iter(tables.values()))
    same = all(t.equals(first) for t in tables.values())
    two, one = rate["Dask, 2 worker processes"], rate["Dask, 1 worker process"]
    thr = rate["2 threads, one process"]
    b2, b1 = bound["Dask, 2 worker processes"], bound["Dask, 1 worker process"]
    bt = bound["2 threads, one process"]
    print(f"  measured: 2 vs 1 worker process {two / one:.2f}x (goal >= 1.7); 2 processes vs "
          f"2 threads {two / thr:.2f}x (goal >= 0.9); summaries bit-identical: {same}")  # fmt: skip
    print(f"  CPU-time bounds (what an idle machine allows): 2 vs 1 worker {b1 / b2:.2f}x; "
          f"2 processes vs 2 threads {bt / b2:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
