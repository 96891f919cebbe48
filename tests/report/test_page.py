"""The brief's page from templates: names from user files are escaped, holes fail loudly."""

from __future__ import annotations

import datetime as dt
import re

import jinja2
import pandas as pd
import plotly.graph_objects as go
import pytest
from markupsafe import Markup, escape

from critmin.report.page import ASSETS, ENV, Section, render, render_page

# A scenario, plan or supplier name as a hostile or careless YAML or CMRT file could hold it.
HOSTILE = '<script>alert(1)</script> "Smith & Sons"'
ESCAPED = str(escape(HOSTILE))


@pytest.fixture(scope="module")
def page() -> str:
    sec = Section("disruptions", f"5. {HOSTILE}")
    sec.heading(HOSTILE)
    sec.text(f"Scenario {HOSTILE}")
    fig = go.Figure(go.Bar(x=[HOSTILE], y=[1.0]), layout={"title": {"text": HOSTILE}})
    sec.chart(fig, f"critmin simulation of '{HOSTILE}'")
    suppliers = pd.DataFrame({"supplier": [HOSTILE, "Acme", "Tin Co"], "share": [0.5, None, 2e6]})
    sec.table(suppliers, f"Smelters {HOSTILE} touches", HOSTILE, max_rows=2)
    return render_page([sec, Section("notes", "7. Notes")], dt.date(2026, 1, 2))


def test_names_from_user_files_are_escaped_everywhere(page: str) -> None:
    assert "<script>alert" not in page
    assert "alert(1)</script>" not in page
    # Title, nav link, sub-heading, paragraph, figure source, caption and table source.
    assert page.count(ESCAPED) >= 7
    assert f"<h3>{ESCAPED}</h3>" in page
    assert f'<a href="#disruptions">5. {ESCAPED}</a>' in page
    # The table cell, escaped by pandas (quotes need no escaping in element text).
    assert '<td>&lt;script&gt;alert(1)&lt;/script&gt; "Smith &amp; Sons"</td>' in page
    # The figure's title and labels travel as JSON with <, > and / escaped by plotly.
    assert r"\u003cscript\u003ealert(1)\u003c\u002fscript\u003e" in page


def test_the_page_keeps_its_structure(page: str) -> None:
    assert page.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert re.findall(r'<section id="([a-z]+)">', page) == ["disruptions", "notes"]
    assert "critmin brief, 02 January 2026." in page
    assert "window.PlotlyGeoAssets={topojson:{world_110m:{" in page
    figures = re.findall(r'<figure class="chart">(.*?)</figure>', page, flags=re.S)
    assert len(figures) == 1
    assert re.search(r'class="plotly-graph-div"', figures[0])
    assert f'<figcaption class="source">Source: critmin simulation of &#39;{ESCAPED}&#39;' in page
    cap = f'<p class="caption">Smelters {ESCAPED} touches (first 2 of 3 rows; all in the CSV)</p>'
    assert cap in page
    assert '<table class="dataframe data">' in page and "<td>—</td>" in page


def test_a_short_table_has_no_row_note_and_readable_numbers() -> None:
    sec = Section("t", "T")
    sec.table(pd.DataFrame({"x": [1234.5, 0.01234]}), "Caption", "Source")
    (part,) = sec.parts
    assert isinstance(part, Markup)
    assert part.startswith('<div class="table"><p class="caption">Caption</p><table')
    assert "<td>1,234</td>" in part and "<td>0.012</td>" in part
    assert part.endswith('</table><p class="source">Source: Source</p></div>')


def test_a_missing_variable_fails_instead_of_leaving_a_hole() -> None:
    with pytest.raises(jinja2.UndefinedError, match="source"):
        render("chart.html.j2", figure=Markup("<div></div>"))
    with pytest.raises(jinja2.UndefinedError):
        ENV.get_template("page.html.j2").render(sections=[], today=dt.date(2026, 1, 2))


def test_the_geometry_passed_unescaped_cannot_close_its_script() -> None:
    topo = (ASSETS / "world_110m.json").read_text("utf-8")
    assert "</" not in topo and "<!--" not in topo
