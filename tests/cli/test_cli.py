"""End-to-end tests of the `critmin` command on the embedded dataset."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from critmin.cli.main import app

runner = CliRunner()
CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed console script as a user would."""
    exe = shutil.which("critmin") or str(Path(sys.executable).parent / "critmin")
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=300)


def test_supply_json_is_a_list_of_row_objects() -> None:
    res = run("supply", "gallium", "--stage", "refine", "--year", "2023", "--format", "json")
    assert res.returncode == 0, res.stderr
    rows = json.loads(res.stdout)
    assert isinstance(rows, list) and rows
    for key in ("country", "value", "unit", "share", "status", "source"):
        assert key in rows[0]
    china = next(r for r in rows if r["country"] == "CHN")
    assert (china["value"], china["unit"], china["source"]) == (600000.0, "kg", "USGS MCS 2024")
    assert china["share"] > 0.95
    shares = [r["share"] for r in rows if r["share"] is not None]
    assert sum(shares) == pytest.approx(1.0)
    assert all(r["country"] is None for r in rows if r["entity"].startswith("Other"))


def test_supply_keeps_withheld_us_lithium_as_withheld() -> None:
    res = runner.invoke(app, ["supply", "lithium", "--year", "2023", "--format", "json"])
    assert res.exit_code == 0, res.output
    us = next(r for r in json.loads(res.stdout) if r["country"] == "USA")
    assert us["status"] == "withheld" and us["value"] is None and us["share"] is None


def test_supply_csv_and_table() -> None:
    res = runner.invoke(app, ["supply", "cobalt", "--stage", "mine", "--format", "csv"])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert rows[0]["country"] == "COD"
    res = runner.invoke(app, ["supply", "cobalt", "--format", "table"])
    assert res.exit_code == 0 and "COD" in res.stdout and "World total" in res.stdout


def test_refining_stage_comes_from_iea_where_usgs_has_none() -> None:
    res = runner.invoke(app, ["supply", "cobalt", "--stage", "refine", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert rows[0]["country"] == "CHN" and rows[0]["source"].startswith("IEA")


def test_minerals_overview_formats() -> None:
    res = runner.invoke(app, ["minerals", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    ids = {r["mineral"] for r in rows}
    assert len(ids) >= 30
    assert {"lithium", "cobalt", "gallium", "germanium", "rare_earths", "tantalum"} <= ids
    ga = next(r for r in rows if r["mineral"] == "gallium")
    assert ga["refine_top"] == "CHN" and ga["net_import_reliance"] == "100"
    li = next(r for r in rows if r["mineral"] == "lithium")
    assert li["us_production"] == "withheld"
    res = runner.invoke(app, ["minerals", "--format", "csv"])
    assert res.exit_code == 0 and res.stdout.startswith("mineral,")
    res = runner.invoke(app, ["minerals"])
    assert res.exit_code == 0 and "gallium" in res.stdout


def test_unknown_mineral_and_stage_are_usage_errors() -> None:
    res = runner.invoke(app, ["supply", "unobtainium"])
    assert res.exit_code == 2 and "unknown mineral" in res.output
    res = runner.invoke(app, ["supply", "copper", "--stage", "smelt"])
    assert res.exit_code == 2


def test_insufficient_data_is_said_not_invented() -> None:
    res = runner.invoke(app, ["supply", "copper", "--year", "1900"])
    assert res.exit_code == 1 and "insufficient data" in res.output


def test_data_sources_lists_every_source() -> None:
    res = runner.invoke(app, ["data", "sources", "--format", "json"])
    assert res.exit_code == 0, res.output
    srcs = {r["source"] for r in json.loads(res.stdout)}
    assert {"USGS MCS 2024", "USGS MCS 2023"} <= srcs
    assert any(s.startswith("World Bank WGI") for s in srcs)
    assert any(s.startswith("IEA") for s in srcs)
    assert any(s.startswith("World Mining Data") for s in srcs)


def test_data_validate_reports_broken_file_and_exits_1() -> None:
    broken = CORPUS / "usgs_world" / "unknown-country" / "mcs2024-tin_world.csv"
    res = runner.invoke(app, ["data", "validate", str(broken), "--format", "json"])
    assert res.exit_code == 1
    rows = json.loads(res.stdout)
    assert rows[0]["status"] == "error" and "Atlantis" in rows[0]["problem"]


def test_data_import_writes_nothing_on_error(tmp_path: Path) -> None:
    broken = CORPUS / "usgs_world" / "text-number" / "mcs2024-tin_world.csv"
    out = tmp_path / "out.csv"
    res = runner.invoke(app, ["data", "import", str(broken), "--out", str(out)])
    assert res.exit_code == 1
    assert "row 2" in res.output and "Prod_t_est_2023" in res.output
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_data_import_of_a_good_file(tmp_path: Path, tin_world_csv: Path) -> None:
    good = tin_world_csv
    out = tmp_path / "tin.csv"
    res = runner.invoke(app, ["data", "import", str(good), "--out", str(out)])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(out.open()))
    assert rows[0]["file"] == "rel/mcs2025-tin_world.csv" and rows[0]["cell"] == "68000"
    res = runner.invoke(app, ["data", "import", str(good), "--format", "json"])
    assert json.loads(res.stdout)[1]["status"] == "estimated"


def test_profile_has_every_section() -> None:
    res = runner.invoke(app, ["profile", "cobalt", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    sections = {r["section"] for r in rows}
    assert {"mine production", "refine production", "reserves", "US net import reliance",
            "US salient statistics", "AI hardware uses"} <= sections  # fmt: skip
    top_mine = next(r for r in rows if r["section"] == "mine production")
    assert top_mine["item"].startswith("Congo (Kinshasa)") and top_mine["year"] == 2025
    res = runner.invoke(app, ["profile", "gallium", "--format", "json"])
    rows = json.loads(res.stdout)
    mine = [r for r in rows if r["section"] == "mine production"]
    assert mine == [{"section": "mine production", "item": "insufficient data", "year": None,
                     "value": None, "unit": None, "status": "missing", "source": None}]  # fmt: skip
    assert any(r["section"] == "export restrictions" for r in rows)
    res = runner.invoke(app, ["profile", "unobtainium"])
    assert res.exit_code == 2


def test_coverage_lists_stages_sources_and_years() -> None:
    res = runner.invoke(app, ["data", "coverage", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    ga = [r for r in rows if r["mineral"] == "gallium" and r["measure"] == "production"]
    assert {r["stage"] for r in ga} == {"refine"}
    assert any(r["source"] == "USGS MCS 2024" and r["years"] == "2022-2023" for r in ga)


@pytest.mark.parametrize(
    ("method", "keys"),
    [
        ("hhi", {"mineral", "stage", "hhi", "hhi_points", "top1", "top3_share", "china_share"}),
        ("composite", {"mineral", "rank", "score", "concentration", "governance", "china",
                       "import_reliance", "restrictions", "ai_components", "missing"}),
        ("eu", {"mineral", "sr_mine", "sr_refine", "sr", "stage_used", "ei", "proxies",
                "defaults_used"}),
        ("usgs", {"mineral", "dp", "te", "ev", "score", "label"}),
    ],
)  # fmt: skip
def test_risk_json_per_method(method: str, keys: set[str]) -> None:
    res = runner.invoke(app, ["risk", "--method", method, "--as-of", "2026-11-27",
                              "--format", "json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert len({r["mineral"] for r in rows}) >= 30
    assert keys <= set(rows[0])


def test_risk_stage_and_weights_and_ranges() -> None:
    res = runner.invoke(app, ["risk", "--method", "hhi", "--stage", "refine", "--format", "json"])
    rows = json.loads(res.stdout)
    assert {r["stage"] for r in rows} == {"refine"}
    res = runner.invoke(
        app,
        [
            "risk",
            "--weights",
            "ai_components=1,concentration=0,governance=0,china=0,import_reliance=0,restrictions=0",
            "--format",
            "json",
        ],
    )
    assert json.loads(res.stdout)[0]["mineral"] == "copper"
    res = runner.invoke(app, ["risk", "--ranges", "--as-of", "2026-11-27", "--format", "json"])
    assert res.exit_code == 0, res.output
    ga = next(r for r in json.loads(res.stdout) if r["mineral"] == "gallium")
    assert ga["score_low"] <= ga["score"] <= ga["score_high"]
    assert runner.invoke(app, ["risk", "--weights", "china=lots"]).exit_code == 2
    assert runner.invoke(app, ["risk", "--stage", "smelt"]).exit_code == 2
    assert runner.invoke(app, ["risk", "--as-of", "yesterday"]).exit_code == 2


def test_demand_per_mineral_component_context_and_eol() -> None:
    res = runner.invoke(app, ["demand", "--from", "2030", "--to", "2030", "--format", "json"])
    assert res.exit_code == 0, res.output
    cu = next(r for r in json.loads(res.stdout) if r["mineral"] == "copper")
    assert 200_000 <= cu["central"] <= 1_000_000  # published range for 2030 (REFERENCE §6.1)
    assert cu["low"] <= cu["central"] <= cu["high"]
    res = runner.invoke(app, ["demand", "--by", "component", "--from", "2030", "--to", "2030",
                              "--format", "csv"])  # fmt: skip
    assert res.exit_code == 0 and "component" in res.stdout.splitlines()[0]
    res = runner.invoke(app, ["demand", "--context", "--from", "2030", "--to", "2030",
                              "--format", "json"])  # fmt: skip
    rows = json.loads(res.stdout)
    assert all(0 <= r["ai_share_central"] <= 1 for r in rows if r["ai_share_central"] is not None)
    res = runner.invoke(app, ["demand", "--eol", "--scenario", "lift-off", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert all(r["recoverable"] <= r["retired"] + 1e-9 for r in rows)


def test_demand_company_mode_and_bad_input(tmp_path: Path) -> None:
    bom = tmp_path / "bom.csv"
    bom.write_text("product,component,mineral,intensity,unit\n"
                   "server,board,gold,0.5,g/unit\nserver,psu,gallium,20,mg/unit\n")  # fmt: skip
    plan = tmp_path / "plan.csv"
    plan.write_text("product,year,units\nserver,2026,100000\nserver,2027,120000\n")
    res = runner.invoke(app, ["demand", "--bom", str(bom), "--plan", str(plan), "--format",
                              "json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert {r["mineral"] for r in rows} == {"gold", "gallium"}
    bad = tmp_path / "bad.csv"
    bad.write_text("product,component,mineral,intensity,unit\nserver,board,unobtainium,1,g/unit\n")
    res = runner.invoke(app, ["demand", "--bom", str(bad), "--plan", str(plan)])
    assert res.exit_code == 1 and "bad.csv" in res.output and "unobtainium" in res.output
    assert runner.invoke(app, ["demand", "--bom", str(bom)]).exit_code == 2
    assert runner.invoke(app, ["demand", "--scenario", "nonsense"]).exit_code == 2
    assert runner.invoke(app, ["demand", "--from", "2040", "--to", "2030"]).exit_code == 2


def test_demand_with_replacement() -> None:
    res = runner.invoke(app, ["demand", "--replacement", "--from", "2035", "--to", "2035",
                              "--format", "json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    cu = next(r for r in json.loads(res.stdout) if r["mineral"] == "copper")
    assert cu["year"] == 2035 and cu["replacement"] > 0
    assert cu["total"] == pytest.approx(cu["new"] + cu["replacement"])


@pytest.mark.parametrize("method", ["hhi", "eu", "usgs", "geopolrisk"])
def test_every_method_has_ranges(method: str) -> None:
    res = runner.invoke(app, ["risk", "--method", method, "--ranges", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = [r for r in json.loads(res.stdout) if r["score"] is not None]
    assert rows and all(r["score_low"] <= r["score"] + 1e-12 <= r["score_high"] + 2e-12
                        for r in rows)  # fmt: skip
    assert max(r["n_alternatives"] for r in rows) >= 2


def test_tables_fit_80_columns_for_people() -> None:
    """At 80 columns: whole words, three significant digits, human headers, a short overview."""
    res = runner.invoke(app, ["minerals"], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert max(len(x) for x in lines) <= 80 and len(lines) < 100
    assert "motherboar\n" not in res.stdout and "insufficie\n" not in res.stdout
    risk = runner.invoke(app, ["risk"], env={"COLUMNS": "80"})
    assert risk.exit_code == 0, risk.output
    assert max(len(x) for x in risk.stdout.splitlines()) <= 80
    assert "│ gallium      │    1 │ 0.836 │" in risk.stdout  # 0.836228… to 3 digits
    assert "import_reliance" not in risk.stdout and "more columns at this width" in risk.stdout
    wide = runner.invoke(app, ["risk"], env={"COLUMNS": "200"})
    assert "import reliance" in wide.stdout and "AI components" in wide.stdout


def test_an_unreachable_scheduler_is_one_line(tmp_path: Path) -> None:
    from critmin.sim import library

    res = runner.invoke(app, ["simulate", str(library.path("drc-cobalt-outage")), "--samples",
                              "20", "--scheduler", "tcp://127.0.0.1:9"])  # fmt: skip
    assert res.exit_code == 2
    assert "cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'" in res.output
    assert "Traceback" not in res.output


def test_trace_add_names_the_allowed_kinds_and_the_example_lot_file_works(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "lots-cobalt.yaml"
    ok = runner.invoke(app, ["trace", "add", str(example), "--data-dir", str(tmp_path / "l"),
                             "-f", "json"])  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert [r["kind"] for r in json.loads(ok.stdout)] == ["create", "transform", "split",
                                                          "transfer"]  # fmt: skip
    bad = tmp_path / "nokind.yaml"
    bad.write_text("- lot: X\n  material: ore\n", "utf-8")
    res = runner.invoke(app, ["trace", "add", str(bad), "--data-dir", str(tmp_path / "m")])
    assert res.exit_code == 1
    assert "expected one of create, transform, split, merge," in " ".join(res.output.split())
    assert "discriminator" not in res.output
