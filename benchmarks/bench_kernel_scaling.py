"""Benchmark: does the engine scale from one process to two on this machine (decision 0035)?

Runs the per-block work of a summary run (two sub-blocks of 500 samples: simulate and
reduce; the draws made once beforehand, so only the engine is timed) in 1 and then 2
processes at once, for the compiled engine and, with ``--old COMMIT``, the NumPy engine of
that commit (its ``run_block``, ``per_sample`` and float32 copies). Prints blocks per second
(wall), the CPU time per block, and the load average: on a memory-bandwidth-bound machine
the NumPy engine's throughput hardly rises with a second process; the kernels' should
nearly double when the machine is otherwise idle.

Run::

    .venv/bin/python benchmarks/bench_kernel_scaling.py [--blocks 60] [--old 74fde3f]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import critmin  # noqa: E402
from bench_simulate import SCENARIO, old_module  # noqa: E402
from critmin.sim.engine import run_reduced  # noqa: E402
from critmin.sim.inputs import draw  # noqa: E402
from critmin.sim.runner import RECOVERED, block_rng, prepare_cached  # noqa: E402
from critmin.sim.scenario import Scenario  # noqa: E402

STATE: dict[str, Any] = {}


def _setup(old: str | None) -> None:
    mi = prepare_cached(Scenario.model_validate({**SCENARIO, "samples": 1000}), critmin.load())
    dr = draw(mi, block_rng(0, 0), 1000)
    STATE.update(mi=mi, subs=[dr.samples(0, 500), dr.samples(500, 1000)])
    if old:
        STATE["old"] = old_module(old, "src/critmin/sim/engine.py", "old_engine")
        STATE["old_runner"] = old_module(old, "src/critmin/sim/runner.py", "old_runner")


def _block(name: str) -> None:
    mi = STATE["mi"]
    for d in STATE["subs"]:
        if name == "compiled":
            run_reduced(mi, d, RECOVERED, years=True)
        else:
            out = STATE["old"].run_block(mi, d)
            STATE["old_runner"].per_sample(mi, out)
            out["shortfall"].astype(np.float32)
            out["price_index"].astype(np.float32)


def _work(args: tuple[str, int, float]) -> tuple[float, float]:
    name, k, start = args
    _block(name)  # warm (compiled code loaded, pages touched)
    while time.time() < start:
        time.sleep(0.001)
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(k):
        _block(name)
    return time.perf_counter() - t0, time.process_time() - c0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--blocks", type=int, default=60, help="blocks per process (compiled)")
    ap.add_argument("--old", default=None, metavar="COMMIT", help="also the engine at COMMIT")
    args = ap.parse_args()
    _setup(args.old)
    runs = [("compiled", args.blocks)]
    if args.old:
        runs.append((f"numpy@{args.old}", max(args.blocks // 4, 5)))
    ctx = mp.get_context("fork")
    for name, k in runs:
        rate = {}
        for procs in (1, 2):
            load = os.getloadavg()[0]
            with ctx.Pool(procs) as pool:
                start = time.time() + 2.0
                ts = pool.map(_work, [("compiled" if name == "compiled" else "old", k, start)]
                              * procs)  # fmt: skip
            rate[procs] = procs * k / max(t for t, _ in ts)
            cpu = sum(c for _, c in ts) / (procs * k)
            print(f"{name}: {procs} process(es) {rate[procs]:.1f} blocks/s, CPU per block "
                  f"{cpu * 1e3:.1f} ms (load average before {load:.2f} on "
                  f"{os.cpu_count()} cores)", flush=True)  # fmt: skip
        print(f"{name}: 2 vs 1 process {rate[2] / rate[1]:.2f}x", flush=True)


if __name__ == "__main__":
    main()
