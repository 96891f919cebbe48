"""The brief end to end: a small build, its files, its offline page, its PDF and the CLI."""

from __future__ import annotations

import json
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

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

SECTIONS = (
    "summary",
    "headline",
    "concentration",
    "maps",
    "demand",
    "disruptions",
    "plans",
    "notes",
)


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
    assert len(risk) == 4 and risk["ai_output_at_risk"].between(0, 1).all()
    # The standard risk scenario runs first: page one says what it puts at risk.
    assert risk["standard"].tolist() == [True, False, False, False]
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


def test_cli_brief_writes_the_files_and_prints_the_summary(tmp_path: Path, brief: Brief) -> None:
    """One CLI build (they are slow): the files, the summary on stdout, and --since an older
    edition (the fixture's brief.json with gallium's score lowered) adding what changed."""
    import json

    old = json.loads((brief.html.parent / "brief.json").read_text("utf-8"))
    old["edition"] = "2025-06-30"
    old["scores"][0]["score"] = 0.1
    (tmp_path / "old.json").write_text(json.dumps(old), "utf-8")
    out = tmp_path / "b"
    scen = str(packaged_scenarios()[1])
    args = ["brief", "--out", str(out), "--samples", "200", "--plan-samples", "20",
            "--since", str(tmp_path / "old.json")]  # fmt: skip
    res = CliRunner().invoke(app, [*args, "--scenario", scen, "-f", "json"])
    assert res.exit_code == 0, res.output
    assert (out / "brief.html").exists() and (out / "brief.xlsx").exists()
    assert (out / "brief.json").exists()
    assert '"mineral": "gallium"' in res.stdout
    page = (out / "brief.html").read_text("utf-8")
    assert "What changed since the edition of 2025-06-30" in page
    assert "gallium 0.10 →" in page


def test_cli_brief_since_a_file_that_is_not_a_brief_summary(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text("[1]", "utf-8")
    bad = CliRunner().invoke(app, ["brief", "--out", str(tmp_path / "c"), "--since",
                                   str(tmp_path / "x.json")])  # fmt: skip
    assert bad.exit_code == 1 and "x.json" in bad.output and "Traceback" not in bad.output
    assert not (tmp_path / "c").exists()


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


def test_page_one_is_the_executive_summary(brief: Brief) -> None:
    """Bottom line, five findings with numbers, actions each linked to a section that exists."""
    page = brief.html.read_text("utf-8")
    first = re.search(r'<section id="summary">(.*?)</section>', page, flags=re.S)
    assert first is not None and page.index('<section id="summary">') < page.index(
        '<section id="headline">'
    )
    body = first.group(1)
    assert '<p class="bottom-line">Bottom line: AI hardware is most exposed on gallium' in body
    lists = re.findall(r'<ol class="points">(.*?)</ol>', body, flags=re.S)
    assert len(lists) == 2  # findings, actions (no --since)
    findings = re.findall(r"<li>(.*?)</li>", lists[0], flags=re.S)
    assert len(findings) == 5
    for f in findings:
        assert re.search(r"\d", f), f  # every finding carries its numbers
    ids = set(re.findall(r'<section id="([a-z]+)">', page))
    for li in re.findall(r"<li>(.*?)</li>", lists[0] + lists[1], flags=re.S):
        anchor = re.search(r'<a class="see" href="#([a-z]+)">', li)
        assert anchor is not None and anchor.group(1) in ids, li
    # What the standard scenario puts at risk: the central figure with its bounds, the same
    # numbers as the scenarios table and brief.json (decision 0033).
    risk = brief.tables["scenarios_ai_output_at_risk"].iloc[0]
    assert bool(risk["standard"])
    c, lo, hi = (float(risk[f"ai_output_at_risk_{k}"]) for k in ("central", "low", "high"))
    assert lo <= c <= hi and hi == float(risk["ai_output_at_risk"])

    def pct(x: float) -> str:
        return f"{100 * x:.1f}%" if x < 0.1 else f"{100 * x:.0f}%"

    text = " ".join(body.split())
    assert (f"The standard risk scenario puts {pct(c)} (range {pct(lo)}–{pct(hi)}) of AI "
            "hardware output at risk in its worst year") in text  # fmt: skip
    edition = json.loads((brief.html.parent / "brief.json").read_text("utf-8"))
    std = edition["scenarios"][0]
    assert (std["ai_output_at_risk_central"], std["ai_output_at_risk_low"],
            std["ai_output_at_risk_high"]) == (c, lo, hi)  # fmt: skip
    # The plan finding compares the two plans for the same money, from the comparison table.
    comp = brief.tables["plan_comparison"]
    spent = comp["spent_usd"].iloc[1] / 1e9
    assert f"For the same {spent:,.1f} billion USD, the optimised plan avoids" in body


def test_brief_json_is_written_and_since_reports_changes(brief: Brief, tmp_path: Path) -> None:
    import json

    from critmin.report.summary import SCHEMA, changes, read_edition

    new = read_edition(brief.html.parent / "brief.json")
    assert new["schema"] == SCHEMA and len(new["findings"]) == 5 and new["actions"]
    # No company view asked for: nothing about one on page one or in the summary.
    assert new["company"] == [] and not any(f["section"] == "company" for f in new["findings"])
    head = brief.tables["headline"].sort_values("rank")
    assert [s["mineral"] for s in new["scores"]][:3] == head["mineral"].head(3).tolist()
    assert next(s["key"] for s in new["scenarios"]) == "standard-2026"
    # Unchanged: says so. An older edition with gallium lower and a scenario result moved:
    # both are reported with their old and new values.
    assert [p.title for p in changes(new, new)] == ["No change"]
    old = json.loads(json.dumps(new))
    old["edition"] = "2025-12-01"
    old["scores"][0]["score"] = new["scores"][0]["score"] - 0.1
    old["scores"][0]["rank"], old["scores"][1]["rank"] = 2, 1
    old["scenarios"][0]["ai_output_at_risk"] = 0.0
    old["data"] = old["data"][1:]
    got = {p.title: p.text for p in changes(old, new)}
    assert set(got) == {"Data", "Scores and rankings", "Scenario results"}
    assert "gallium" in got["Scores and rankings"] and "(rank 2 → 1)" in got["Scores and rankings"]
    assert "AI output at risk (pro rata) 0% →" in got["Scenario results"]
    assert "new source" in got["Data"]


def test_every_exposed_mineral_is_mapped_on_the_whole_world(brief: Brief) -> None:
    from critmin.report.brief import MAPPED

    maps = next(s for s in brief.sections if s.key == "maps")
    html = "".join(maps.parts)
    mapped = re.findall(r'"text":"([A-Z][a-z ]+): where it is mined and refined', html)
    shares = brief.tables["stage_shares"]
    assert len(mapped) == min(MAPPED, shares["mineral"].nunique()) and len(mapped) >= 6
    # Whole world, not cropped to the producing countries.
    assert html.count('"lonaxis":{"range":[-180,180]}') >= len(mapped)


def test_charts_read_honestly(brief: Brief) -> None:
    """The import-reliance title counts what it draws; shortfalls are percentages in tables."""
    from critmin.report import charts

    nir = brief.tables["import_reliance"]
    rank = brief.tables["headline"].nsmallest(8, "rank")["mineral"].tolist()
    fig = charts.import_reliance(nir, rank, "s")
    drawn = [t for t in fig.data if len(t.x)]
    full = sum(float(t.y[-1]) >= 100 for t in drawn)
    assert f"all it uses of {full} of the {len(drawn)} minerals shown" in fig.layout.title.text
    # One panel per series: none can hide under another.
    assert len({(t.xaxis, t.yaxis) for t in drawn}) == len(drawn)
    page = brief.html.read_text("utf-8")
    assert "shortfall mean (%)" in page and "<th>shortfall_mean</th>" not in page
    items = brief.tables["plan_items"]
    assert (
        abs(items.iloc[:, 3].sum() - brief.tables["plan_comparison"]["spent_usd"].iloc[1] / 1e9)
        < 0.01
    )
    assert abs(items["optimised"].sum() - brief.tables["plan_allocation"]["usd"].sum() / 1e9) < 0.01


#: In the browser: every visible trace of every chart has marks of non-zero size, and no text
#: of a chart reaches outside its SVG. Returns the problems found.
CHECK_CHARTS = """() => {
  const bad = [];
  document.querySelectorAll('.js-plotly-plot').forEach((gd, k) => {
    if (!gd.offsetParent) return;  // in a view that is not shown
    const title = (gd.layout.title && gd.layout.title.text) || ('chart ' + k);
    const svg = gd.querySelector('.main-svg').getBoundingClientRect();
    gd._fullData.forEach((t, i) => {
      if (t.visible !== true || t.hoverinfo === 'skip') return;
      const sel = t.type === 'choropleth' ? '.choroplethlocation' :
        (t.type === 'bar' ? '.point path' : 'path.js-line, .point');
      const groups = Array.from(gd.querySelectorAll('g.trace')).filter(g =>
        g.__data__ && g.__data__[0] && g.__data__[0].trace && g.__data__[0].trace.uid === t.uid);
      let seen = false;
      groups.forEach(g => g.querySelectorAll(sel).forEach(el => {
        const b = el.getBoundingClientRect(); if (b.width > 0 || b.height > 0) seen = true; }));
      if (!seen) bad.push(title + ': series ' + (t.name || i) + ' has no visible mark');
    });
    gd.querySelectorAll('text').forEach(el => {
      const b = el.getBoundingClientRect();
      if (!el.textContent.trim() || b.width === 0) return;
      if (b.left < svg.left - 1 || b.right > svg.right + 1)
        bad.push(title + ': text "' + el.textContent.slice(0, 40) + '" overflows its chart');
    });
  });
  if (document.documentElement.scrollWidth > window.innerWidth + 1)
    bad.push('the page is wider than the window');
  return bad;
}"""


def test_every_chart_in_chromium_has_visible_series_and_no_overflowing_text(
    brief: Brief, browser: Any
) -> None:
    """The brief as a reader sees it; full-page screenshots (screen and a narrow window) are
    written to tests/report/artifacts/ for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / ".gitignore").write_text("*\n")
    problems: dict[int, list[str]] = {}
    for width in (1280, 820):
        page = browser.new_page(viewport={"width": width, "height": 1000})
        page.set_default_timeout(DEADLINE * 1000)
        try:
            page.goto(brief.html.resolve().as_uri())
            page.wait_for_function(
                "document.querySelectorAll('.js-plotly-plot .main-svg').length >= "
                "document.querySelectorAll('figure.chart').length"
            )
            problems[width] = page.evaluate(CHECK_CHARTS)
            page.screenshot(path=str(ARTIFACTS / f"brief-{width}.png"), full_page=True)
            page.locator("#summary").screenshot(path=str(ARTIFACTS / f"brief-{width}-summary.png"))
        finally:
            page.close()
    print(f"screenshots: {ARTIFACTS}")
    assert problems == {1280: [], 820: []}


def test_the_score_range_is_explained_from_its_own_table(brief: Brief) -> None:
    """The headline says what the bars are (a sensitivity range, not a confidence interval)
    and how often the default is the top of its range, counted from the headline table."""
    page = " ".join(brief.html.read_text("utf-8").split())
    head = brief.tables["headline"].dropna(subset=["score", "score_high"])
    n_top = int((head["score"] >= head["score_high"] - 1e-12).sum())
    assert "a sensitivity range, not a confidence interval" in page
    assert f"For {n_top} of {len(head)} minerals the default score is the top of its range" in page
    assert 0 < n_top < len(head)
