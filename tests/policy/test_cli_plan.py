"""`critmin plan evaluate` and `critmin plan optimize` end to end.

``evaluate`` runs in process (typer's CliRunner); ``optimize -f json`` runs in a subprocess,
because the solver's C library writes its banner to file descriptor 1, which only a real
process shows.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from critmin.cli.main import app
from critmin.policy.evaluate import COLUMNS

ROOT = Path(__file__).resolve().parents[2]
PLAN = str(ROOT / "examples" / "plan-partners-11.6bn.yaml")
CORPUS = ROOT / "tests" / "corpus" / "plans"

runner = CliRunner()
OPTIMIZE_ARGS = ["--budget", "1e9", "--samples", "30", "-f", "json"]

SMALL_SCENARIO = {
    "name": "small cobalt restriction",
    "horizon": {"start": 2026, "end": 2033},
    "bloc": "OECD",
    "samples": 20,
    "seed": 5,
    "minerals": ["cobalt", "rare_earths", "nickel"],
    "events": [
        {
            "type": "export_restriction",
            "country": "CHN",
            "minerals": ["cobalt", "rare_earths"],
            "stage": "refine",
            "start": 2026,
            "duration_years": 3,
            "share": {"low": 0.5, "central": 0.7, "high": 0.9},
        }
    ],
}


def plan(*args: str) -> tuple[int, str, str]:
    """Exit code, stdout and stderr (unwrapped: rich folds long lines)."""
    res = runner.invoke(app, ["plan", *args])
    return res.exit_code, res.stdout, res.stderr.replace("\n", "")


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> str:
    p = tmp_path_factory.mktemp("sc") / "small.yaml"
    p.write_text(yaml.safe_dump(SMALL_SCENARIO), "utf-8")
    return str(p)


@pytest.fixture(scope="module")
def as_json() -> list[dict]:
    code, out, err = plan("evaluate", PLAN, "--samples", "30", "-f", "json")
    assert code == 0, err
    return json.loads(out)


def test_evaluate_json(as_json: list[dict]) -> None:
    assert isinstance(as_json, list) and len(as_json) > 1
    for row in as_json:
        assert list(row) == list(COLUMNS)
    total = [r for r in as_json if r["mineral"] == "total"]
    assert len(total) == 1 and as_json[-1]["mineral"] == "total"
    t = total[0]
    assert t["cost_usd"] == pytest.approx(11.6e9)
    assert 0.0 <= t["ai_output_at_risk_plan"] <= 1.0
    assert 0.0 <= t["ai_output_at_risk_base"] <= 1.0
    rows = {r["mineral"]: r for r in as_json}
    # Tantalum and tin in the DRC are costed now (sourced mine capex): both have an effect.
    for m in ("tantalum", "tin"):
        assert rows[m]["status"] == "ok"
        assert rows[m]["unmet_t_plan"] <= rows[m]["unmet_t_base"]
        assert rows[m]["cost_usd"] == pytest.approx(1.4e9)
    assert rows["cobalt"]["unmet_t_plan"] < rows["cobalt"]["unmet_t_base"]
    assert rows["rare_earths"]["cost_usd"] == pytest.approx(3.2e9)


def test_evaluate_table_and_csv(small: str) -> None:
    code, out, err = plan("evaluate", PLAN, "--scenario", small, "--samples", "30")
    assert code == 0, err
    assert "cobalt" in out and "total" in out
    assert "Partners and domestic supply" in out
    code, out, err = plan("evaluate", PLAN, "--scenario", small, "--samples", "30", "-f", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == list(COLUMNS)
    assert rows[-1]["mineral"] == "total"
    co = next(r for r in rows if r["mineral"] == "cobalt")
    assert float(co["unmet_t_plan"]) <= float(co["unmet_t_base"])


def test_evaluate_items(small: str) -> None:
    code, out, err = plan(
        "evaluate", PLAN, "--scenario", small, "--samples", "10", "--items", "-f", "json"
    )
    assert code == 0, err
    items = json.loads(out)
    by = {r["mineral"]: r for r in items}
    assert {"rare_earths", "cobalt", "tantalum", "tin", "nickel", "lithium"} == set(by)
    assert by["tantalum"]["status"] == "insufficient data"
    assert by["cobalt"]["status"] == "ok" and 0 < by["cobalt"]["availability"] < 1
    code, out, err = plan("evaluate", PLAN, "--scenario", small, "--samples", "10", "--items")
    assert code == 0, err
    assert "what each item buys" in out and "┏" in out  # a rich table


@pytest.mark.parametrize(
    "name, field",
    [
        ("unknown-lever.yaml", "items.0.lever"),
        ("negative-usd.yaml", "items.1.usd"),
        ("not-a-mapping.yaml", "(document)"),
    ],
)
def test_broken_plan_exits_1(name: str, field: str) -> None:
    code, out, err = plan("evaluate", str(CORPUS / name), "--samples", "5")
    assert code == 1
    assert name in err and repr(field) in err
    assert "not valid" in err
    assert out == ""


def test_start_outside_the_horizon_exits_1(small: str, tmp_path: Path) -> None:
    p = tmp_path / "late.yaml"
    p.write_text(
        "name: late\nitems:\n  - {lever: stockpile, minerals: [cobalt], usd: 1.0e8, start: 2050}\n",
        "utf-8",
    )
    code, _, err = plan("evaluate", str(p), "--scenario", small, "--samples", "5")
    assert code == 1
    assert "items.0.start" in err


def test_optimize_json_stdout_is_clean() -> None:
    proc = subprocess.run(
        # The default rule, auto: the standard scenario puts no AI output at risk under the
        # central rule, so the LP optimises the pro-rata bound and says so (decision 0033).
        [sys.executable, "-m", "critmin", "plan", "optimize", *OPTIMIZE_ARGS],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "HiGHS" not in proc.stdout
    data = json.loads(proc.stdout)  # the whole of stdout is one JSON document
    assert {"allocation", "comparison", "lp"} <= set(data)
    spent = sum(r["usd"] for r in data["allocation"])
    assert 0 < spent <= 1e9 + 1e-6
    # By default the example plan is compared, on every objective, against the standard scenario.
    assert len(data["comparison"]) == 2 and data["comparison"][0]["plan"] == "optimised"
    assert data["scenario"].startswith("Standard risk")
    assert data["objective"] == {"ai_output_usd": 1.0}
    assert data["ai_rule"] == "pro_rata" and "nothing to buy down" in data["ai_rule_why"]
    objs = {(r["objective"], r["plan"]) for r in data["objectives"]}
    assert len(objs) == 12  # four objectives and the AI objective's two bounds, two plans
    # The LP's own figure stands on the row of the rule it optimised, nowhere else.
    lp = {r["objective"] for r in data["objectives"] if r["lp"] is not None and
          r["objective"].startswith("ai_output_usd")}  # fmt: skip
    assert lp == {"ai_output_usd_pro_rata"}
    assert data["lp"]["variables"] > 0 and data["lp"]["budget_dual"] <= 0


def test_optimize_objective_limit_and_pareto_axes() -> None:
    args = ["--budget", "1e9", "--samples", "20", "-f", "json", "--compare", "none",
            "--objective", "unmet", "--limit", "co2e=1e5", "--pareto", "3",
            "--pareto-axes", "unmet,ai"]  # fmt: skip
    proc = subprocess.run([sys.executable, "-m", "critmin", "plan", "optimize", *args],
                          capture_output=True, text=True, cwd=ROOT, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["objective"] == {"unmet_cost_usd": 1.0}
    assert data["limits"] == {"co2e_t": 1e5}
    assert len(data["comparison"]) == 1
    front = data["pareto"]
    assert len(front) == 3 and all(p["co2e_t"] <= 1e5 * (1 + 1e-6) for p in front)
    unmet = [p["unmet_cost_usd"] for p in front]
    assert all(b <= a * (1 + 1e-6) for a, b in itertools.pairwise(unmet))


@pytest.mark.parametrize(
    "extra, field",
    [(["--objective", "economic"], "objective"), (["--objective", "gdp"], "objective"),
     (["--pareto-axes", "ai"], "pareto_axes"), (["--limit", "co2e"], "co2e")],
)  # fmt: skip
def test_optimize_bad_objective_arguments(extra: list[str], field: str) -> None:
    res = runner.invoke(app, ["plan", "optimize", "--budget", "1e9", "--samples", "5",
                              "--compare", "none", *extra])  # fmt: skip
    assert res.exit_code != 0
    assert field in res.stderr.replace("\n", "")
    assert res.stdout == ""


def test_optimize_negative_budget() -> None:
    res = runner.invoke(app, ["plan", "optimize", "--budget", "-5", "--samples", "5"])
    assert res.exit_code != 0
    err = res.stderr.replace("\n", "")
    assert "budget" in err
    assert res.stdout == ""


def test_evaluate_objectives(small: str) -> None:
    code, out, err = plan("evaluate", PLAN, "--scenario", small, "--samples", "20",
                          "--objectives", "-f", "json")  # fmt: skip
    assert code == 0, err
    rows = {r["objective"]: r for r in json.loads(out)}
    assert list(rows) == ["ai_output_usd", "economic_loss_usd", "unmet_cost_usd", "co2e_t"]
    assert rows["ai_output_usd"]["plan"] <= rows["ai_output_usd"]["base"]
    assert rows["economic_loss_usd"]["plan"] is None
    assert "insufficient data" in rows["economic_loss_usd"]["note"]
    assert rows["co2e_t"]["plan"] > 0
    code, out, err = plan("evaluate", PLAN, "--scenario", small, "--samples", "20", "--objectives")
    assert code == 0, err
    assert "scored against" in out and "small" in out


def _words(text: str) -> set[str]:
    """The whitespace-separated words of a rendered table, box-drawing characters removed."""
    for ch in "│┃┏┓┗┛┡┩└┘┳┻╇━─┴┬┼┣┫":
        text = text.replace(ch, " ")
    return set(text.split())


@pytest.mark.parametrize("command", ["optimize", "evaluate", "items", "objectives"])
def test_plan_tables_fit_80_columns_without_splitting_words(small: str, command: str) -> None:
    """At 80 columns every line fits, every lever, mineral and header word is whole, money is
    in M / bn with three significant digits, and no raw column name is shown."""
    if command == "optimize":
        args = ["optimize", "--budget", "1e9", "--scenario", small, "--samples", "20"]
    else:
        extra = {"evaluate": [], "items": ["--items"], "objectives": ["--objectives"]}[command]
        args = ["evaluate", PLAN, "--scenario", small, "--samples", "20", *extra]
    res = runner.invoke(app, ["plan", *args], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.stderr
    out = res.stdout
    lines = out.splitlines()
    assert lines and max(len(line) for line in lines) <= 80
    words = _words(out)
    js = runner.invoke(app, ["plan", *args, "-f", "json"])
    assert js.exit_code == 0, js.stderr
    body = json.loads(js.stdout[js.stdout.index("{" if command == "optimize" else "[") :])
    rows = body["allocation"] if command == "optimize" else body
    expect: set[str] = set()
    for r in rows:
        for key in ("lever", "mineral"):
            if key in r and (command != "objectives"):
                expect.update(str(r[key]).replace("_", " ").split())
    if command == "optimize":
        expect.update(["lever", "mineral", "country", "stage", "USD", "value", "per", "pays"])
    if command == "objectives":
        expect.update(["AI", "output", "at", "risk", "unmet-demand", "cost", "CO2e"])
    missing = expect - words
    assert not missing, f"split or missing words: {sorted(missing)}\n{out}"
    for raw in ("marginal_value", "pays_off_share", "base_in_sample", "ai_output_usd", "cost_usd"):
        assert raw not in out
    # No long digit runs: money is scaled, numbers carry three significant digits.
    assert not any(len(w.replace(",", "")) > 7 and w.replace(",", "").isdigit() for w in words)
