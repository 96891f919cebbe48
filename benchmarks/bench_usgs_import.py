"""Benchmark: import the whole USGS MCS 2024 release (every world and salient file).

Prints the time of critmin's importers (cold: a fresh interpreter, including the one-off
start-up of pint and country_converter; warm: best of 3 in one process), the time of a plain
``pandas.read_csv`` of the same files (the I/O floor, no parsing), and the ratios to that
baseline and to the goal of 5 s.

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_usgs_import.py [RAW_DIR]``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

GOAL_S = 5.0
RAW = (
    Path(sys.argv[1])
    if len(sys.argv) > 1
    else Path(__file__).resolve().parents[2] / "shared/data/raw"
)

IMPORT = """
import sys, time
from pathlib import Path
t0 = time.perf_counter()
from critmin.data.usgs_world import import_world
from critmin.data.usgs_salient import import_salient
raw = Path(sys.argv[1])
world = import_world(raw / "usgs-mcs2024-world", raw)
salient = import_salient(raw, 2024)
print(time.perf_counter() - t0, len(world), len(salient), len(salient.attrs.get("skipped", [])))
"""


def plain_read_csv(raw: Path) -> float:
    import pandas as pd

    files = sorted((raw / "usgs-mcs2024-world").glob("*.csv")) + sorted(
        (raw / "usgs-mcs2024-salient").glob("*.csv")
    )
    t0 = time.perf_counter()
    for f in files:
        pd.read_csv(f, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return time.perf_counter() - t0


def main() -> None:
    if not RAW.is_dir():
        sys.exit(f"raw data not found at {RAW}; pass the folder as the first argument")
    cold = subprocess.run([sys.executable, "-c", IMPORT, str(RAW)], capture_output=True,
                          text=True, check=True).stdout.split()  # fmt: skip
    cold_s, n_world, n_salient, n_skipped = float(cold[0]), cold[1], cold[2], cold[3]
    from critmin.data.usgs_salient import import_salient
    from critmin.data.usgs_world import import_world

    warm = []
    for _ in range(3):
        t0 = time.perf_counter()
        import_world(RAW / "usgs-mcs2024-world", RAW)
        import_salient(RAW, 2024)
        warm.append(time.perf_counter() - t0)
    base = min(plain_read_csv(RAW) for _ in range(3))
    print("USGS MCS 2024 release: 77 world files + salient files")
    print(f"  rows: {n_world} production, {n_salient} salient; {n_skipped} files skipped")
    print(f"  critmin import, cold (fresh process): {cold_s:6.2f} s   goal <= {GOAL_S:.0f} s "
          f"-> {cold_s / GOAL_S:.2f} of the goal")  # fmt: skip
    print(f"  critmin import, warm (best of 3):     {min(warm):6.2f} s")
    print(f"  baseline pandas.read_csv, no parsing: {base:6.2f} s")
    print(f"  ratio warm / baseline:                {min(warm) / base:6.1f}x")


if __name__ == "__main__":
    main()
