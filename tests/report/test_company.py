"""The company view: units a scenario leaves unbuilt, by hand, in the brief, CLI and API."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from critmin.analysis.company import COLUMNS, units_short
from critmin.cli.main import app
from critmin.report.brief import build, packaged_scenarios

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BOM = EXAMPLES / "company-bom-illustrative.csv"
PLAN = EXAMPLES / "company-plan-illustrative.csv"
runner = CliRunner()


def _result(sf: list[list[list[float]]], years: list[int], minerals: list[str]) -> xr.Dataset:
    arr = np.array(sf, dtype=float)
    return xr.Dataset(
        {"shortfall": (("sample", "year", "mineral"), arr)},
        coords={"sample": range(arr.shape[0]), "year": years, "mineral": minerals},
    )


def test_units_short_by_hand() -> None:
    """One product needing gallium and copper (and tin, which the model does not simulate).

    Plan: 1,000 units in 2030, 500 in 2031, 700 in 2045 (outside the horizon: not counted).
    Sample 0: 2030 gallium 10 %, copper 20 % → copper binds, 200 short; 2031 gallium 40 % →
    200 short; 400 in all. Sample 1: 2031 gallium 10 % → 50 short. Mean 225 of 1,500 (15 %);
    gallium binds in 2 of the 3 sample-years short; worst years 200 and 50 → P95 192.5.
    """
    bom = pd.DataFrame({"product": ["srv"] * 3, "mineral": ["gallium", "copper", "tin"],
                        "intensity_t": [1e-6, 1e-3, 1e-5]})  # fmt: skip
    plan = pd.DataFrame({"product": ["srv"] * 3, "year": [2030, 2031, 2045],
                         "units": [1000.0, 500.0, 700.0]})  # fmt: skip
    res = _result(
        [[[0.1, 0.2], [0.4, 0.0]], [[0.0, 0.0], [0.1, 0.0]]], [2030, 2031], ["gallium", "copper"]
    )
    out = units_short(bom, plan, res, "hand")
    assert out.columns.tolist() == COLUMNS
    r = out.iloc[0]
    assert r["units_planned"] == 1500.0
    assert r["units_short_mean"] == pytest.approx(225.0)
    assert r["units_short_p50"] == pytest.approx(225.0)
    assert r["units_short_p5"] == pytest.approx(50 + 0.05 * 350)
    assert r["units_short_p95"] == pytest.approx(50 + 0.95 * 350)
    assert r["share_short_mean"] == pytest.approx(0.15)
    assert r["worst_year_short_p95"] == pytest.approx(192.5)
    assert (r["binding_mineral"], r["binding_share"]) == ("gallium", pytest.approx(2 / 3))
    assert r["not_simulated"] == "tin" and r["years"] == "2030–2031"


def test_nothing_short_means_no_binding_input() -> None:
    bom = pd.DataFrame({"product": ["a"], "mineral": ["copper"], "intensity_t": [1e-3]})
    plan = pd.DataFrame({"product": ["a"], "year": [2030], "units": [10.0]})
    r = units_short(bom, plan, _result([[[0.0]]], [2030], ["copper"])).iloc[0]
    assert r["units_short_p95"] == 0.0 and r["binding_mineral"] == "" and r["binding_share"] == 0


def test_the_brief_has_the_company_view(tmp_path: Path) -> None:
    drc = [p for p in packaged_scenarios() if "cobalt" in p.name]
    b = build(tmp_path / "b", samples=60, plan_samples=10, scenarios=drc, company=(BOM, PLAN))
    page = b.html.read_text("utf-8")
    assert '<section id="company">' in page
    at = pd.read_csv(tmp_path / "b" / "tables" / "company_at_risk.csv")
    assert set(at["product"]) == {"ai-rack", "server-board", "ups-battery-100kwh"}
    ups = at.set_index("product").loc["ups-battery-100kwh"]
    # A DRC cobalt outage can only bind on the battery's cobalt; the board has none.
    assert ups["units_short_mean"] > 0 and ups["binding_mineral"] == "cobalt"
    assert ups["units_short_p5"] <= ups["units_short_p50"] <= ups["units_short_p95"]
    assert at.set_index("product").loc["server-board", "units_short_p95"] == 0
    # Page one and brief.json say what the company view found, linked to its section.
    first = page[page.index('<section id="summary">') : page.index('<section id="headline">')]
    assert "Company view: ups-battery-100kwh is" in first and 'href="#company"' in first
    summary = json.loads((tmp_path / "b" / "brief.json").read_text("utf-8"))
    found = next(f for f in summary["findings"] if f["section"] == "company")
    assert f"P5–P95 {ups['units_short_p5']:,.0f}–{ups['units_short_p95']:,.0f}" in found["text"]
    assert "bound by cobalt" in found["text"]
    assert {r["product"] for r in summary["company"]} == set(at["product"])


def test_cli_brief_company_view_needs_both_files_and_good_ones(tmp_path: Path) -> None:
    out = tmp_path / "b"
    res = runner.invoke(app, ["brief", "--out", str(out), "--bom", str(BOM)])
    assert res.exit_code == 2 and "production plan" in res.output
    res = runner.invoke(app, ["brief", "--out", str(out), "--production-plan", str(PLAN)])
    assert res.exit_code == 2 and "--bom" in res.output
    bad = tmp_path / "bad-plan.csv"
    bad.write_text("product,year,units\nai-rack,2030,-5\nmystery,2031,1\n")
    res = runner.invoke(app, ["brief", "--out", str(out), "--bom", str(BOM), "--plan", str(bad)])
    assert res.exit_code == 1 and "bad-plan.csv" in res.output and "units" in res.output
    assert "Traceback" not in res.output and not out.exists()


def test_cli_demand_company_at_risk_and_the_api_agree(tmp_path: Path) -> None:
    args = ["demand", "--bom", str(BOM), "--plan", str(PLAN), "--scenario", "drc-cobalt-outage",
            "--samples", "40", "--format", "json"]  # fmt: skip
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    cli = {r["product"]: r for r in json.loads(res.stdout)}
    assert cli["ups-battery-100kwh"]["binding_mineral"] == "cobalt"
    from critmin.api.app import create_app
    from critmin.api.settings import Settings

    with TestClient(create_app(Settings(data_dir=tmp_path / "d", workers=0))) as c:
        files = {"bom": (BOM.name, BOM.read_bytes(), "text/csv"),
                 "plan": (PLAN.name, PLAN.read_bytes(), "text/csv")}  # fmt: skip
        data = {"scenario": "drc-cobalt-outage", "samples": "40"}
        r = c.post("/api/company/at-risk", files=files, data=data)
        assert r.status_code == 200, r.text
        api = {row["product"]: row for row in r.json()["products"]}
        assert api == cli  # the faces show the same numbers
        text = b"product,component,mineral,intensity,unit\nx,y,kryptonite,1,g/unit\n"
        bad = {"bom": ("mine.csv", text, "text/csv"), "plan": files["plan"]}
        r = c.post("/api/company/at-risk", files=bad, data=data)
        assert r.status_code == 422 and "mine.csv" in r.text and "upload-0" not in r.text
        r = c.post("/api/company/at-risk", files=files, data={"scenario": "atlantis"})
        assert r.status_code == 422 and "standard-2026" in r.text
        # A saved scenario (here a copy of the library one) gives the same numbers.
        from critmin.sim import library

        copy = {"name": "my copy", "yaml": library.text("drc-cobalt-outage")}
        saved = c.post("/api/scenarios", json=copy)
        assert saved.status_code in (200, 201), saved.text
        sid = saved.json()["id"]
        r = c.post("/api/company/at-risk", files=files, data={"scenario_id": sid, "samples": "40"})
        assert r.status_code == 200, r.text
        assert {row["product"]: row for row in r.json()["products"]} == cli
        broken = {"scenario_yaml": "name: x\nhorizon: {start: 2030, end: 2020}\n"}
        r = c.post("/api/company/at-risk", files=files, data=broken)
        assert r.status_code == 422 and r.json()["detail"][0]["loc"][:2] == [
            "body",
            "scenario_yaml",
        ]
        r = c.post("/api/company/at-risk", files=files, data={"scenario_id": "0" * 32})
        assert r.status_code == 404
