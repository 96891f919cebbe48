"""Every hostile input of issue 19 through the CLI: a clear error, never a traceback or a hang.

Each case runs ``python -m critmin`` in a subprocess (so a hang is caught by the subprocess
timeout, :data:`tests.conftest.DEADLINE`, not by the test process) and must exit non-zero with
a message naming the file or field, no Python traceback, and nothing written. The inputs are
files in ``tests/corpus/hostile/`` (workbooks are built by :mod:`tests.hostile_workbooks`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DEADLINE
from tests.hostile_workbooks import HOSTILE_WORKBOOKS, write_workbook

CORPUS = Path(__file__).parent / "corpus" / "hostile"

#: (case id, argv with {c} = corpus folder and {t} = a fresh temporary folder, a text the
#: error must contain). ``{t}/out*`` must not exist afterwards.
CASES: list[tuple[str, list[str], str]] = [
    ("alias-bomb", ["simulate", "{c}/alias-bomb.yaml"], "alias"),
    ("recursive-alias", ["simulate", "{c}/recursive-alias.yaml"], "alias"),
    ("deep-nesting", ["simulate", "{c}/deep-nesting.yaml"], "nest"),
    ("duration-inf", ["simulate", "{c}/duration-inf.yaml"], "duration_years"),
    ("duration-1e20", ["simulate", "{c}/duration-1e20.yaml"], "duration_years"),
    ("start-feb-30", ["simulate", "{c}/start-feb-30.yaml"], "start"),
    ("minerals-empty", ["simulate", "{c}/minerals-empty.yaml"], "minerals"),
    ("duplicate-events", ["simulate", "{c}/duplicate-events.yaml"], "events"),
    ("samples-true", ["simulate", "{c}/samples-true.yaml"], "samples"),
    ("factor-inf", ["simulate", "{c}/factor-inf.yaml"], "factor"),
    ("stocks-inf", ["simulate", "{c}/stocks-inf.yaml"], "stocks"),
    ("nul-byte", ["simulate", "{c}/nul-byte.yaml"], "character"),
    ("directory-as-file", ["simulate", "{c}"], "hostile"),
    ("samples-0", ["simulate", "{c}/scenario-ok.yaml", "--samples", "0"], "samples"),
    ("samples-neg", ["simulate", "{c}/scenario-ok.yaml", "--samples", "-5"], "samples"),
    ("seed-neg", ["simulate", "{c}/scenario-ok.yaml", "--seed", "-1"], "seed"),
    ("threshold-nan", ["simulate", "{c}/scenario-ok.yaml", "--threshold", "nan"], "threshold"),
    ("out-missing-folder",
     ["simulate", "{c}/scenario-ok.yaml", "--out", "{t}/missing/out.nc"], "out"),
    ("demand-years", ["demand", "--from", "1", "--to", "100000"], "outside"),
    ("demand-alias-bomb", ["demand", "--scenario", "{c}/alias-bomb.yaml"], "alias"),
    ("plan-alias-bomb", ["plan", "evaluate", "{c}/alias-bomb.yaml"], "alias"),
    ("plan-usd-1e300", ["plan", "evaluate", "{c}/plan-usd-1e300.yaml"], "usd"),
    ("plan-usd-inf", ["plan", "evaluate", "{c}/plan-usd-inf.yaml"], "usd"),
    ("budget-nan", ["plan", "optimize", "--budget", "nan"], "budget"),
    ("budget-inf", ["plan", "optimize", "--budget", "inf"], "budget"),
    ("out-plan-dir", ["plan", "optimize", "--budget", "1e9", "--out-plan", "{c}"], "out-plan"),
    ("weights-nan", ["risk", "--weights", "concentration=nan"], "weights"),
    ("regions-oecd", ["risk", "--regions", "{c}/regions-oecd.yaml"], "OECD"),
    ("serve-port", ["serve", "--port", "-1"], "port"),
    ("trace-alias-bomb", ["trace", "add", "{c}/alias-bomb.yaml", "--data-dir", "{t}/out"],
     "alias"),
    ("trace-mass-1e23", ["trace", "add", "{c}/lot-mass-1e23.yaml", "--data-dir", "{t}/db"],
     "mass_kg"),
    ("trace-mass-nan", ["trace", "add", "{c}/lot-mass-nan.yaml", "--data-dir", "{t}/db"],
     "mass_kg"),
    ("trace-mass-inf", ["trace", "add", "{c}/lot-mass-inf.yaml", "--data-dir", "{t}/db"],
     "mass_kg"),
    ("trace-mass-bool", ["trace", "add", "{c}/lot-mass-bool.yaml", "--data-dir", "{t}/db"],
     "mass_kg"),
] + [
    (f"workbook-{name}", ["sourcing", "import", f"{{t}}/{name}.xlsx", "--out", "{t}/out.csv"],
     expect)
    for name, expect in HOSTILE_WORKBOOKS.items()
]  # fmt: skip


def run_cli(argv: list[str], tmp: Path) -> subprocess.CompletedProcess[str]:
    """``python -m critmin`` with the corpus paths filled in, bounded by the deadline."""
    args = [a.replace("{c}", str(CORPUS)).replace("{t}", str(tmp)) for a in argv]
    env = {**os.environ, "CRITMIN_DATA_DIR": str(tmp / "data"), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "critmin", *args], capture_output=True,
                          text=True, timeout=DEADLINE, env=env, check=False)  # fmt: skip


@pytest.mark.parametrize(("case", "argv", "expect"), CASES, ids=[c[0] for c in CASES])
def test_hostile_cli_input(case: str, argv: list[str], expect: str, tmp_path: Path) -> None:
    if case.startswith("workbook-"):
        write_workbook(case.removeprefix("workbook-"), tmp_path)
    res = run_cli(argv, tmp_path)
    out = res.stdout + res.stderr
    assert res.returncode != 0, f"{case}: accepted silently:\n{out[-2000:]}"
    assert "Traceback" not in out, f"{case}: traceback:\n{out[-3000:]}"
    assert expect.lower() in res.stderr.lower(), f"{case}: unclear error:\n{res.stderr[-2000:]}"
    assert not list(tmp_path.glob("out*")), f"{case}: wrote {list(tmp_path.glob('out*'))}"
    if (tmp_path / "db").exists():  # a refused ledger append writes no entry
        from critmin.sourcing.ledger import Ledger

        led = Ledger(tmp_path / "db")
        assert led.entries() == []
        led.close()
