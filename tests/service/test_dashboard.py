"""End-to-end test of the dashboard in a real browser against a real `critmin serve`.

One test walks through the five views as a user would: the explorer (gallium's refine shares),
the scenario builder (a broken then fixed YAML, a 200-sample run), the run monitor (live
progress to `complete`), the results (a plotly fan chart and the summary table), a reload on
``#run=<id>``, and the plans view (evaluate plan A with 100 samples). Along the way it checks
that the page makes no request to any host but the server (the dashboard works offline), that
the tabs work from the keyboard, and that no uncaught script error occurs.

Screenshots of every step go to ``tests/service/artifacts/`` (ignored by git).

Needs Debian's Chromium at /usr/bin/chromium (``playwright install`` is never used) and the
playwright package: the ``browser`` fixture of ``tests/conftest.py`` skips without them, unless
``CI=true``, where a missing part is a failure.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import DEADLINE, READ_TIMEOUT
from tests.service.conftest import serve

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
PLAN_B = """name: Cobalt and gallium stocks
items:
  - {lever: stockpile, minerals: [cobalt], usd: 5.0e8, start: 2026}
  - {lever: stockpile, minerals: [gallium], usd: 1.0e8, start: 2026}
"""
#: In the page: every chart container holds a drawn chart (maps fetch their geometry).
ALL_DRAWN = (
    "Array.from(document.querySelectorAll('.js-plotly-plot'))"
    ".every(g => g.querySelector('.main-svg'))"
)
#: Milliseconds a page waits for a state (playwright's ``expect`` polls until then).
WAIT_MS = DEADLINE * 1000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A `critmin serve` on a free loopback port with a fresh data dir; yields its base URL."""
    with serve(tmp_path_factory.mktemp("critmin-data")) as srv:
        yield srv.base


def test_dashboard_end_to_end(server: str, browser: Any) -> None:
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    gitignore = ARTIFACTS / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("*.png\n")

    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    # Every wait below polls a state on the page; under load that may take long.
    page.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)

    # Record every request and every uncaught script error.
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    def settled() -> None:
        """Wait until no CSS transition or animation is running (a state, not a sleep)."""
        page.wait_for_function("document.getAnimations().every(a => a.playState !== 'running')")

    def snap(name: str) -> None:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    try:
        # ---- 1. Explorer: gallium is selected by default; its refine rows include China. ----
        page.goto(f"{server}/")
        expect(page.locator("#health")).to_contain_text("data")
        page.fill("#mineral-search", "gall")
        page.click('#mineral-list button[data-mineral="gallium"]')
        expect(page.locator("#explorer-title")).to_contain_text(re.compile("gallium", re.I))
        china = page.locator('#explorer-table tr[data-stage="refine"][data-country="CHN"]')
        expect(china).to_have_count(1)
        expect(page.locator("#explorer-chart.js-plotly-plot")).to_have_count(1)
        snap("01-explorer-gallium")

        # ---- Keyboard: Tab reaches the tabs, Enter activates one. ----
        page.focus(".skip-link")  # the first focusable element: start from the page's top
        for _ in range(12):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "tab-builder":
                break
        page.keyboard.press("Enter")
        expect(page.locator("#tab-builder")).to_have_attribute("aria-selected", "true")

        # ---- 2. Builder: the example is valid; an unknown mineral is reported with its field. ----
        expect(page.locator("#view-builder")).to_be_visible()
        expect(page.locator("#validation-status")).to_contain_text("Valid")
        good = page.input_value("#scenario-yaml")
        bad = good.replace("[gallium, germanium]", "[gallium, kryptonite]", 1)
        assert bad != good
        page.fill("#scenario-yaml", bad)
        problem = page.locator("#validation-problems li").filter(has_text="minerals")
        expect(problem.first).to_be_visible()
        expect(page.locator("#validation-status")).to_contain_text("Invalid")
        expect(page.locator("#run-button")).to_be_disabled()
        expect(page.locator("#scenario-gutter div.bad")).not_to_have_count(0)
        snap("02-builder-invalid")

        page.fill("#scenario-yaml", good)
        expect(page.locator("#validation-status")).to_contain_text("Valid")
        expect(page.locator("#validation-problems li")).to_have_count(0)
        page.fill("#run-samples", "200")
        expect(page.locator("#run-button")).to_be_enabled()
        snap("03-builder-valid")
        page.click("#run-button")

        # ---- 3. Monitor: the new run is followed until it is complete. ----
        expect(page.locator("#tab-monitor")).to_have_attribute("aria-selected", "true")
        page.wait_for_function("/#run=/.test(location.hash)")
        run_id = page.evaluate("new URLSearchParams(location.hash.slice(1)).get('run')")
        assert run_id
        status = page.locator("#run-status")
        expect(status).to_have_attribute("data-status", "complete")
        expect(page.locator("#run-progress")).to_have_attribute("aria-valuenow", "100")
        settled()  # the bar's width transition has finished: the screenshot shows it full
        snap("04-monitor-complete")

        # ---- 4. Results: a fan chart and the summary table with gallium. ----
        page.click("#run-open-results")
        expect(page.locator("#tab-results")).to_have_attribute("aria-selected", "true")
        expect(page.locator("#results-charts .js-plotly-plot").first).to_be_visible()
        expect(page.locator("#results-summary table")).to_contain_text("gallium")
        snap("05-results")

        # ---- Reload on #run=<id>: the monitor shows the same run. ----
        page.goto(f"{server}/#run={run_id}")
        page.reload()
        expect(page.locator("#tab-monitor")).to_have_attribute("aria-selected", "true")
        expect(page.locator("#run-title")).to_contain_text(run_id)
        expect(page.locator("#run-status")).to_have_attribute("data-status", "complete")
        settled()
        snap("06-reload-monitor")

        # ---- 5. Plans: evaluate plan A with 100 samples; the comparison table appears. ----
        page.click("#tab-plans")
        expect(page.locator("#plan-a")).to_have_value(re.compile("partner_investment"))
        page.fill("#plan-samples", "100")
        page.click("#plans-evaluate")
        table = page.locator("#plans-comparison-table")
        expect(table).to_be_visible()
        expect(table).to_contain_text("Plan A")
        expect(table.locator("tbody tr")).not_to_have_count(0)
        expect(page.locator("#plans-status")).to_contain_text("complete")
        snap("07-plans-evaluated")
    except Exception:
        snap("99-failure")
        raise
    finally:
        context.close()

    # Offline: every request went to the server itself (data: URLs never leave the page).
    origin = urlsplit(server)
    foreign = [
        u for u in requests
        if not u.startswith(("data:", "blob:", "about:"))
        and (urlsplit(u).scheme, urlsplit(u).netloc) != (origin.scheme, origin.netloc)
    ]  # fmt: skip
    assert requests, "no request was recorded"
    assert not foreign, f"requests left the server: {foreign}"
    assert not errors, f"uncaught script errors: {errors}"


def test_library_scenario_flow_run_compare_evaluate_optimise(server: str, browser: Any) -> None:
    """Pick a library scenario → run → compare with another → evaluate the example plan
    against it → optimise; every view is screenshotted and its charts checked as a reader
    would (each series has visible marks, no text outside its chart)."""
    from playwright.sync_api import expect

    from tests.report.test_brief import CHECK_CHARTS

    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))

    def snap(name: str) -> None:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def run_library(name: str, samples: str) -> str:
        page.click("#tab-builder")
        page.select_option("#scenario-library", f"library:{name}")
        expect(page.locator("#scenario-assumptions table")).to_be_visible()
        expect(page.locator("#validation-status")).to_contain_text("Valid")
        page.fill("#run-samples", samples)
        expect(page.locator("#run-button")).to_be_enabled()
        before = page.evaluate("location.hash")
        page.click("#run-button")
        page.wait_for_function("h => location.hash !== h && /#run=/.test(location.hash)",
                               arg=before)  # fmt: skip
        expect(page.locator("#run-status")).to_have_attribute("data-status", "complete")
        run_id = page.evaluate("new URLSearchParams(location.hash.slice(1)).get('run')")
        assert run_id
        return str(run_id)

    try:
        page.goto(f"{server}/")
        expect(page.locator("#health")).to_contain_text("data")
        expect(page.locator("#explorer-table table")).to_be_visible()
        # A map of every stage with data (from the server's own geometry) and AI demand.
        expect(page.locator("#explorer-maps.js-plotly-plot")).to_have_count(1)
        expect(page.locator("#explorer-maps .choroplethlocation").first).to_be_attached()
        expect(page.locator("#explorer-demand.js-plotly-plot")).to_have_count(1)
        # Production over time (refining: gallium has no mine series) and the USGS price,
        # each with its source and edition under the chart.
        expect(page.locator("#explorer-history-refine.js-plotly-plot")).to_have_count(1)
        expect(page.locator("#explorer-history-source")).to_contain_text("USGS MCS 2026")
        expect(page.locator("#explorer-prices.js-plotly-plot")).to_have_count(1)
        expect(page.locator("#explorer-prices-source")).to_contain_text("USGS Mineral Commodity")
        page.wait_for_function(ALL_DRAWN)
        # No world total among the producing countries; it is given under the table.
        assert page.locator("#explorer-table tr", has_text="World total").count() == 0
        assert page.evaluate(CHECK_CHARTS) == []
        snap("10-explorer")

        # ---- 1. The library: the standard scenario first, with its assumptions. ----
        page.click("#tab-builder")
        expect(page.locator("#scenario-library option").nth(1)).to_contain_text("(standard)")
        page.select_option("#scenario-library", "library:standard-2026")
        expect(page.locator("#validation-status")).to_contain_text(re.compile(r"acts on: \d\d"))
        snap("11-builder-standard")

        # ---- 2. Run two library scenarios (small samples). ----
        first = run_library("drc-cobalt-outage", "100")
        # The run is named after its scenario, not only its id; elapsed time is shown.
        expect(page.locator("#run-title")).to_contain_text("DRC cobalt mine outage")
        expect(page.locator("#run-status")).to_contain_text("elapsed")
        expect(page.locator("#run-list")).to_contain_text("DRC cobalt mine outage")
        snap("12-monitor-named")
        second = run_library("logistics-corridor", "100")
        assert first != second

        # ---- 3. Results of the second run, compared with the first. ----
        page.click("#run-open-results")
        expect(page.locator("#results-summary table")).to_contain_text("cobalt")
        # Minerals the scenario does not move are hidden, and the page says how many.
        expect(page.locator("#results-hidden")).to_contain_text("are hidden")
        rows = page.locator("#results-summary tbody tr").count()
        assert 1 <= rows <= 5
        page.select_option("#results-compare", first)
        grid = page.locator("#results-compare-grid")
        expect(grid).to_contain_text("DRC cobalt mine outage")
        expect(grid.locator('tr[data-mineral="cobalt"]')).to_have_count(1)
        expect(page.locator("#results-charts .js-plotly-plot").first).to_be_visible()
        assert page.evaluate(CHECK_CHARTS) == []
        snap("13-results-compared")

        # ---- 4. Plans: the example plan against the chosen library scenario. ----
        page.click("#tab-plans")
        expect(page.locator("#plan-a")).to_have_value(re.compile("partner_investment"))
        expect(page.locator("#plan-scenario")).to_have_value("library:standard-2026")
        page.select_option("#plan-scenario", "library:drc-cobalt-outage")
        page.fill("#plan-samples", "30")
        # Plan B beside it: the two are compared item by item and on every objective.
        page.fill("#plan-b", PLAN_B)
        page.click("#plans-evaluate")
        expect(page.locator("#plans-status")).to_contain_text("against DRC cobalt mine outage")
        expect(page.locator("#plans-comparison-table tbody tr")).not_to_have_count(0)
        cobalt_stock = page.locator(
            '#plans-items tr[data-lever="stockpile"][data-mineral="cobalt"]'
        )
        expect(cobalt_stock).to_contain_text("$500.0m")
        expect(page.locator('#plans-objectives tr[data-objective="ai_output_usd"] td')
               ).to_have_count(3)  # fmt: skip
        snap("14-plans-evaluated")

        # ---- 5. Optimise the same budget against the same scenario, on the pro-rata bound. ----
        page.select_option("#plan-ai-rule", "pro_rata")
        page.click("#plans-optimize")
        expect(page.locator("#plans-status")).to_contain_text("Optimisation complete")
        expect(page.locator("#optimize-allocation table")).to_be_visible()
        # The example plan and the optimised one item by item, as the brief's table.
        expect(page.locator("#optimize-items-table tbody tr")).not_to_have_count(0)
        expect(page.locator("#optimize-objectives-table")).to_contain_text("fresh samples")
        snap("15-plans-optimised")
    except Exception:
        snap("98-flow-failure")
        raise
    finally:
        context.close()
    print(f"screenshots: {ARTIFACTS}")
    assert not errors, f"uncaught script errors: {errors}"
    # The optimiser's items are critmin.analysis.plan_items of the example plan and the
    # allocation (the brief's table), not the page's own arithmetic.
    import httpx
    import pandas as pd

    from critmin.analysis import plan_items, records
    from critmin.policy.plan import example_plan_path, load_plan

    runs = httpx.get(f"{server}/api/runs", timeout=READ_TIMEOUT).json()
    opt = next(r for r in runs if r["kind"] == "optimize" and r["status"] == "complete")
    res = httpx.get(f"{server}/api/runs/{opt['id']}/result", timeout=READ_TIMEOUT).json()
    # The rule chosen on the page reached the optimiser (the API's ai_rule, decision 0033).
    assert res["ai_rule"] == "pro_rata", res["ai_rule"]
    alloc = pd.DataFrame(res["allocation"])
    assert res["items"] == records(plan_items(load_plan(example_plan_path()), alloc))
    foreign = [u for u in requests if not u.startswith((server, "data:", "blob:", "about:"))]
    assert not foreign, f"requests left the server: {foreign}"


def test_company_view_form_counts_units_short(server: str, browser: Any) -> None:
    """The Plans view's company form: upload the example BOM and plan, get units short per
    product against the chosen library scenario, and a bad file named in the status."""
    from playwright.sync_api import expect

    examples = Path(__file__).resolve().parents[2] / "examples"
    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    page.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server}/")
    page.click("#tab-plans")
    page.select_option("#plan-scenario", "library:drc-cobalt-outage")
    page.set_input_files("#company-bom", str(examples / "company-bom-illustrative.csv"))
    page.set_input_files("#company-plan", str(examples / "company-plan-illustrative.csv"))
    page.fill("#company-samples", "20")
    page.click("#company-run")
    expect(page.locator("#company-status")).to_contain_text("Done: DRC cobalt")
    row = page.locator("#company-result tr", has_text="ups-battery-100kwh")
    expect(row).to_contain_text("cobalt")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "company-view.png"), full_page=True)
    page.set_input_files("#company-bom", str(examples / "company-plan-illustrative.csv"))
    page.click("#company-run")
    expect(page.locator("#company-status")).to_contain_text("company-plan-illustrative.csv")
    # A saved scenario is taken too (not only the shipped ones): save one, pick it, count.
    import httpx

    from critmin.sim import library

    text = library.text("drc-cobalt-outage").replace("name: ", "name: Saved copy of ", 1)
    saved = httpx.post(f"{server}/api/scenarios", json={"name": "saved copy", "yaml": text},
                       timeout=READ_TIMEOUT).json()  # fmt: skip
    page.reload()
    page.click("#tab-plans")
    page.select_option("#plan-scenario", f"saved:{saved['id']}")
    page.set_input_files("#company-bom", str(examples / "company-bom-illustrative.csv"))
    page.set_input_files("#company-plan", str(examples / "company-plan-illustrative.csv"))
    page.fill("#company-samples", "20")
    page.click("#company-run")
    expect(page.locator("#company-status")).to_contain_text("Done: Saved copy of")
    expect(page.locator("#company-result tr", has_text="ups-battery-100kwh")).to_contain_text(
        "cobalt"
    )
    page.screenshot(path=str(ARTIFACTS / "company-view-saved.png"), full_page=True)
    assert errors == []


def test_every_view_reads_at_1280_and_820(server: str, browser: Any) -> None:
    """Each view as a reader sees it at a desktop and a narrow width: every chart's series
    has visible marks and no text leaves its chart (CHECK_CHARTS). The explorer on cobalt
    (two stages, a one-year refining series drawn as a bar) and on helium (no price: said,
    not drawn); the results of a small run. Screenshots ``views-<view>-<width>.png``."""
    import httpx
    from playwright.sync_api import expect

    from tests.report.test_brief import CHECK_CHARTS
    from tests.service.conftest import SMALL, until

    run = httpx.post(f"{server}/api/runs", json={"scenario_yaml": SMALL, "samples": 40},
                     timeout=READ_TIMEOUT).json()  # fmt: skip
    until(lambda: httpx.get(f"{server}/api/runs/{run['id']}", timeout=READ_TIMEOUT)
          .json()["status"] == "complete")  # fmt: skip
    ARTIFACTS.mkdir(exist_ok=True)
    problems: dict[str, list[str]] = {}
    for width in (1280, 820):
        page = browser.new_page(viewport={"width": width, "height": 1000})
        page.set_default_timeout(WAIT_MS)
        expect.set_options(timeout=WAIT_MS)
        errors: list[str] = []
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        try:
            page.goto(f"{server}/")
            for mineral in ("cobalt", "helium"):
                page.click(f'#mineral-list button[data-mineral="{mineral}"]')
                for part in ("history", "prices", "demand"):  # each section shows this mineral
                    expect(page.locator(f'#explorer-{part}[data-for="{mineral}"]')).to_have_count(1)
                page.wait_for_function(ALL_DRAWN)
                problems[f"explorer {mineral} {width}"] = page.evaluate(CHECK_CHARTS)
                page.screenshot(path=str(ARTIFACTS / f"views-explorer-{mineral}-{width}.png"),
                                full_page=True)  # fmt: skip
            # helium has no price: said, not drawn; cobalt's refining is one year (IEA 2023):
            # a bar, not markers at running totals
            expect(page.locator("#explorer-prices")).to_contain_text("No sourced price of helium")
            page.click('#mineral-list button[data-mineral="cobalt"]')
            expect(page.locator("#explorer-history-refine .barlayer .point")).not_to_have_count(0)
            page.click("#tab-results")
            page.select_option("#results-run", run["id"])
            expect(page.locator("#results-summary table")).to_contain_text("gallium")
            page.wait_for_function(ALL_DRAWN)
            problems[f"results {width}"] = page.evaluate(CHECK_CHARTS)
            page.screenshot(path=str(ARTIFACTS / f"views-results-{width}.png"), full_page=True)
            for view in ("builder", "monitor", "plans"):
                page.click(f"#tab-{view}")
                expect(page.locator(f"#view-{view}")).to_be_visible()
                problems[f"{view} {width}"] = page.evaluate(CHECK_CHARTS)
                page.screenshot(path=str(ARTIFACTS / f"views-{view}-{width}.png"), full_page=True)
        finally:
            page.close()
        assert errors == [], errors
    assert {k: v for k, v in problems.items() if v} == {}
