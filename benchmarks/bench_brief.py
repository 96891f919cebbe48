"""Benchmark: ``critmin brief`` cold, as the README's first command runs it.

A fresh process (imports, dataset, every section) with 10,000 samples per standard scenario
and the plan optimisation at 200 samples; the PDF is timed apart when a Chromium is present.
Goal: ≤ 60 s for the brief. Prints the wall time and the share of each step.

Run::

    .venv/bin/python benchmarks/bench_brief.py [--pdf]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pdf", action="store_true", help="also print the PDF (needs Chromium)")
    args = ap.parse_args()
    exe = Path(sys.executable).with_name("critmin")
    with tempfile.TemporaryDirectory() as out:
        cmd = [str(exe), "brief", "--out", out, "--samples", "10000", "--plan-samples", "200"]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
        t_brief = time.perf_counter() - t0
        size = (Path(out) / "brief.html").stat().st_size / 1e6
        print(f"critmin brief, cold: {t_brief:.1f} s (goal <= 60 s; ratio to goal "
              f"{t_brief / 60:.2f}); brief.html {size:.1f} MB")  # fmt: skip
        if args.pdf:
            t0 = time.perf_counter()
            subprocess.run([*cmd, "--pdf"], check=True, capture_output=True, cwd=ROOT)
            print(f"with --pdf: {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
