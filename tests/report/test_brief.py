"""The brief end to end: a small build, its files, its offline page, its PDF and the CLI."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from critmin.cli.main import app
from critmin.report.brief import Brief, build, packaged_scenarios
from tests.conftest import DEADLINE

SECTIONS = ("headline", "concentration", "maps", "demand", "disruptions", "plans", "notes")


@pytest.fixture(scope="module")
def brief(tmp_path_factory: pytest.TempPathFactory) -> Brief:
    out = tmp_path_factory.mktemp("brief")
    return build(out, samples=300, plan_samples=30)


def test_every_section_is_there_in_order(brief: Brief) -> None:
    page = brief.html.read_text("utf-8")
    ids = re.findall(r'<section id="([a-z]+)">', page)
    assert tuple(ids) == SECTIONS
    for sec in brief.sections:
        assert sec.parts, sec.key


def test_every_chart_has_a_source_line(brief: Brief) -> None:
    page = brief.html.read_text("utf-8")
    charts = re.findall(r'<figure class="chart">(.*?)</figure>', page, flags=re.S)
    assert len(charts) >= 12
    for c in charts:
        m = re.search(r'<figcaption class="source">Source: ([^<]+)</figcaption>', c)
        assert m is not None and len(m.group(1).strip()) > 10


def test_the_page_requests_nothing_from_any_host(brief: Brief) -> None:
    page = brief.html.read_text("utf-8")
    # No element loads anything: every script is inline, no stylesheet or image links.
    assert not re.search(r"<(script|img|iframe|link)[^>]+(src|href)=", page, flags=re.I)
    assert "@import" not in page
    # The world geometry travels with the page, so plotly never fetches it.
    assert "window.PlotlyGeoAssets={topojson:{world_110m:" in page
    assert '"topojsonURL"' not in page


def test_tables_are_written_as_csv_and_xlsx(brief: Brief) -> None:
    out = brief.html.parent
    xlsx = pd.ExcelFile(out / "brief.xlsx")
    for name, df in brief.tables.items():
        csv = pd.read_csv(out / "tables" / f"{name}.csv")
        assert len(csv) == len(df), name
        assert name[:31] in xlsx.sheet_names
    head = pd.read_csv(out / "tables" / "headline.csv")
    assert head.sort_values("rank")["mineral"].iloc[0] == "gallium"
    assert {"score", "score_low", "score_high", "why"} <= set(head.columns)


def test_scenarios_and_plans_are_in_the_brief(brief: Brief) -> None:
    assert len(packaged_scenarios()) == 3
    risk = brief.tables["scenarios_ai_output_at_risk"]
    assert len(risk) == 3 and risk["ai_output_at_risk"].between(0, 1).all()
    comp = brief.tables["plan_comparison"]
    assert len(comp) == 2
    # The optimised plan is never worse than the example in the LP's own terms.
    assert comp["lp_expected_cost_usd"].iloc[0] <= comp["lp_expected_cost_usd"].iloc[1] + 1.0


def test_pdf_renders(tmp_path: Path, brief: Brief, chromium: str) -> None:
    from critmin.report.brief import print_pdf

    pdf = print_pdf(brief.html, tmp_path / "brief.pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    assert pages > 3
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "20", "-png", "-f", "1", "-l", "1", str(pdf),
                        str(tmp_path / "p")], check=True)  # fmt: skip
        assert list(tmp_path.glob("p-*.png"))


def test_cli_brief_writes_the_files_and_prints_the_summary(tmp_path: Path) -> None:
    out = tmp_path / "b"
    scen = str(packaged_scenarios()[1])
    args = ["brief", "--out", str(out), "--samples", "200", "--plan-samples", "20"]
    res = CliRunner().invoke(app, [*args, "--scenario", scen, "-f", "json"])
    assert res.exit_code == 0, res.output
    assert (out / "brief.html").exists() and (out / "brief.xlsx").exists()
    assert '"mineral": "gallium"' in res.stdout


def test_cli_brief_rejects_a_broken_scenario(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nhorizon: {start: 2030, end: 2020}\n", "utf-8")
    res = CliRunner().invoke(app, ["brief", "--out", str(tmp_path / "b"), "--scenario", str(bad)])
    assert res.exit_code == 1
    assert "bad.yaml" in res.output
    assert not (tmp_path / "b" / "brief.html").exists()


def test_a_browser_opening_the_brief_requests_nothing_and_draws_every_chart(
    brief: Brief, browser: Any
) -> None:
    """The brief in headless Chromium: every request the page makes stays on the file."""
    requests: list[str] = []
    page = browser.new_page()
    page.set_default_timeout(DEADLINE * 1000)  # a busy machine draws a dozen charts slowly
    try:
        page.on("request", lambda r: requests.append(r.url))
        page.goto(brief.html.resolve().as_uri())
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length > 0")
        drawn = page.evaluate("document.querySelectorAll('.js-plotly-plot .main-svg').length")
        figures = page.evaluate("document.querySelectorAll('figure.chart').length")
        shapes = page.evaluate("document.querySelectorAll('.choroplethlocation').length")
        land = page.evaluate("document.querySelectorAll('.geo .land path, .geo path.land').length")
    finally:
        page.close()
    assert all(u.startswith("file://") or u.startswith("data:") for u in requests), requests
    assert figures >= 12 and drawn >= figures
    # Producing countries and the land are drawn from the embedded geometry.
    assert shapes > 5 and land >= 1


def test_brief_with_a_sourcing_section(tmp_path: Path) -> None:
    from tests.sourcing.test_templates import clean_cmrt, emrt

    files = [clean_cmrt(tmp_path), emrt(tmp_path)]
    drc = [p for p in packaged_scenarios() if "cobalt" in p.name]
    b = build(tmp_path / "b", samples=100, plan_samples=20, scenarios=drc, sourcing=files)
    page = b.html.read_text("utf-8")
    assert '<section id="sourcing">' in page
    exp = pd.read_csv(tmp_path / "b" / "tables" / "sourcing_exposure.csv")
    assert len(exp) >= 2 and "tin" in set(exp["metal"])
