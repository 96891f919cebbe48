"""Charts of the brief: plotly figures whose titles state the finding, with units and a
source line under each.

Every function is pure: data in, :class:`plotly.graph_objects.Figure` out. The source line is
both an annotation inside the figure (so a chart copied out of the brief keeps it) and a
caption the page prints under the chart.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

#: One colour per stage and a neutral palette: readable in print and for colour-blind readers.
MINE, REFINE = "#4c72b0", "#dd8452"
PALETTE = (
    "#4c72b0",
    "#dd8452",
    "#55a868",
    "#c44e52",
    "#8172b3",
    "#937860",
    "#da8bc3",
    "#8c8c8c",
    "#ccb974",
    "#64b5cd",
)
FONT = {"family": "Helvetica, Arial, sans-serif", "size": 13}


def _layout(fig: go.Figure, title: str, source: str, height: int = 420) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.0, "xanchor": "left", "font": {"size": 16}},
        font=FONT,
        height=height,
        margin={"l": 70, "r": 30, "t": 70, "b": 90},
        plot_bgcolor="white",
        paper_bgcolor="white",
        legend={"orientation": "h", "y": -0.18, "x": 0.0},
    )
    # The source goes under the chart as a caption (the page prints it): an annotation inside
    # the figure collided with the legend. It stays in the figure's metadata.
    fig.update_layout(meta={"source": source})
    fig.update_xaxes(showgrid=True, gridcolor="#eee", zeroline=False)
    fig.update_yaxes(showgrid=True, gridcolor="#eee", zeroline=False, automargin=True)
    return fig


def _band_and_line(
    fig: go.Figure,
    x: pd.Series,
    low: pd.Series,
    mid: pd.Series,
    high: pd.Series,
    colour: str,
    name: str,
) -> None:
    """A shaded band from ``low`` to ``high`` and a line through ``mid``, one colour."""
    fig.add_trace(
        go.Scatter(
            x=list(x) + list(x)[::-1],
            y=list(high) + list(low)[::-1],
            fill="toself",
            fillcolor=colour,
            opacity=0.16,
            line={"width": 0},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    fig.add_trace(go.Scatter(x=x, y=mid, name=name, line={"color": colour, "width": 2.5}))


def composite_bars(df: pd.DataFrame, source: str, n: int = 12) -> go.Figure:
    """Top ``n`` minerals by composite score with the score's range."""
    top = (
        df.nsmallest(n, "rank")
        .iloc[::-1]
        .assign(mineral=lambda d: d["mineral"].str.replace("_", " "))
    )
    err = None
    if "score_low" in top and "score_high" in top:
        err = {
            "type": "data",
            "symmetric": False,
            "array": top["score_high"] - top["score"],
            "arrayminus": top["score"] - top["score_low"],
            "color": "#333",
        }
    fig = go.Figure(
        go.Bar(
            x=top["score"],
            y=top["mineral"],
            orientation="h",
            marker_color=MINE,
            error_x=err,
            text=top["why"],
            textposition="inside",
            insidetextanchor="start",
            textfont={"color": "white", "size": 11},
        )
    )
    lead = ", ".join(df.nsmallest(3, "rank")["mineral"].str.replace("_", " "))
    fig.update_xaxes(
        title="composite AI-exposure score (0–1; bar = range across methods)", range=[0, 1.0]
    )
    return _layout(fig, f"AI hardware is most exposed on {lead}", source, height=520)


def china_share(conc: pd.DataFrame, minerals: list[str], source: str) -> go.Figure:
    """China's share at the mine and the refining stage, per mineral."""
    fig = go.Figure()
    sub = conc[conc["mineral"].isin(minerals)]
    labels = [m.replace("_", " ") for m in minerals]
    for stage, colour in (("mine", MINE), ("refine", REFINE)):
        s = sub[sub["stage"] == stage].set_index("mineral")["china_share"].reindex(minerals)
        fig.add_trace(
            go.Bar(y=labels, x=100 * s, name=f"{stage} stage", orientation="h", marker_color=colour)
        )
    both = sub.pivot_table(index="mineral", columns="stage", values="china_share")
    pairs = both.dropna() if {"mine", "refine"} <= set(both.columns) else both.iloc[0:0]
    higher = int((pairs["refine"] > pairs["mine"]).sum()) if len(pairs) else 0
    counted = len(pairs)
    fig.update_layout(barmode="group", yaxis={"autorange": "reversed"})
    fig.update_xaxes(title="China's share of world output (%)", range=[0, 100])
    title = (
        f"China's share is higher at refining than at the mine for {higher} of {counted} "
        "minerals with both stages"
    )
    return _layout(fig, title, source, height=560)


def stage_shares(
    conc: pd.DataFrame, shares: pd.DataFrame, minerals: list[str], source: str
) -> go.Figure:
    """Top-3 countries' shares and the rest, mine vs refine, per mineral (stacked bars)."""
    fig = go.Figure()
    rows: list[tuple[str, str, str, float]] = []
    for m in minerals:
        for st in ("mine", "refine"):
            sub = shares[(shares["mineral"] == m) & (shares["stage"] == st)]
            if sub.empty:
                continue
            label = f"{m.replace('_', ' ')} · {st}"
            top = sub.nlargest(3, "share")
            for pos, (_, r) in enumerate(top.iterrows()):
                rows.append((label, f"#{pos + 1}", str(r["country"]), 100 * float(r["share"])))
            rows.append((label, "rest", "rest of world", 100 * max(0.0, 1 - top["share"].sum())))
    df = pd.DataFrame(rows, columns=["row", "rank", "country", "pct"])
    names = {"#1": "largest producer", "#2": "second", "#3": "third", "rest": "rest of world"}
    for i, key in enumerate(["#1", "#2", "#3", "rest"]):
        sub = df[df["rank"] == key]
        text = sub["country"] if key != "rest" else None
        colour = PALETTE[i] if key != "rest" else "#cccccc"
        fig.add_trace(
            go.Bar(
                y=sub["row"],
                x=sub["pct"],
                orientation="h",
                name=names[key],
                text=text,
                textposition="inside",
                marker_color=colour,
            )
        )
    fig.update_layout(barmode="stack", yaxis={"autorange": "reversed"})
    fig.update_xaxes(title="share of world output (%)", range=[0, 100])
    return _layout(
        fig,
        "A few countries hold most of each stage; the refining stage is often narrower",
        source,
        height=max(420, 26 * df["row"].nunique() + 160),
    )


def import_reliance(nir: pd.DataFrame, minerals: list[str], source: str) -> go.Figure:
    """US net import reliance over time: one small panel per mineral with data, so no series
    hides under another (several sit at 100 %)."""
    from plotly.subplots import make_subplots

    drawn = [m for m in minerals if not nir[nir["mineral"] == m].empty]
    cols = min(4, max(1, len(drawn)))
    nrows = max(1, -(-len(drawn) // cols))
    fig = make_subplots(rows=nrows, cols=cols, shared_yaxes=True, vertical_spacing=0.22,
                        horizontal_spacing=0.04,
                        subplot_titles=[m.replace("_", " ") for m in drawn] or [""])  # fmt: skip
    n_full = 0
    for i, m in enumerate(drawn):
        s = nir[nir["mineral"] == m].sort_values("year")
        last = float(s["value"].iloc[-1])
        n_full += last >= 100
        r, c = i // cols + 1, i % cols + 1
        fig.add_trace(
            go.Scatter(
                x=s["year"], y=s["value"], name=m.replace("_", " "), mode="lines+markers+text",
                text=[""] * (len(s) - 1) + [f"{last:.0f}%"], textposition="bottom left",
                line={"color": PALETTE[i % 10]}, showlegend=False,
            ),
            row=r, col=c,
        )  # fmt: skip
    fig.update_yaxes(range=[0, 112], dtick=25)
    fig.update_yaxes(title="net import reliance (%)", col=1)
    fig.update_xaxes(dtick=1, tickangle=0)
    title = (
        f"The US imports all it uses of {n_full} of the {len(drawn)} minerals shown (latest year)"
    )
    return _layout(fig, title, source, height=200 + 210 * nrows)


def mineral_map(shares: pd.DataFrame, mineral: str, source: str) -> go.Figure:
    """One mineral's production share by country, mining and refining side by side, on the
    whole world (offline geometry)."""
    from plotly.subplots import make_subplots

    own = shares[shares["mineral"] == mineral]
    stages = [st for st in ("mine", "refine") if not own[own["stage"] == st].empty]
    titles = []
    for st in stages:
        sub = shares[(shares["mineral"] == mineral) & (shares["stage"] == st)]
        top = sub.nlargest(1, "share").iloc[0]
        titles.append(f"{'mining' if st == 'mine' else 'refining'}: {top['country']} "
                      f"{100 * float(top['share']):.0f}% ({int(top['year'])})")  # fmt: skip
    fig = make_subplots(rows=1, cols=max(1, len(stages)), horizontal_spacing=0.02,
                        specs=[[{"type": "choropleth"}] * max(1, len(stages))],
                        subplot_titles=titles or ["no data"])  # fmt: skip
    for i, st in enumerate(stages):
        sub = shares[(shares["mineral"] == mineral) & (shares["stage"] == st)]
        fig.add_trace(
            go.Choropleth(
                locations=sub["country"], z=100 * sub["share"], locationmode="ISO-3",
                colorscale="Oranges", zmin=0, zmax=100, showscale=i == 0,
                colorbar={"title": "% of world", "len": 0.8},
                marker_line_color="white", marker_line_width=0.5,
                name=f"{mineral.replace('_', ' ')} {st}",
            ),
            row=1, col=i + 1,
        )  # fmt: skip
    _whole_world(fig)
    return _layout(
        fig,
        f"{mineral.replace('_', ' ').capitalize()}: where it is mined and refined "
        "(share of world output)",
        source,
        height=380,
    )


def _whole_world(fig: go.Figure) -> None:
    """Every geo of ``fig`` shows the whole inhabited world, centred on Greenwich (plotly
    otherwise centres and crops on the countries that have data)."""
    fig.update_geos(
        projection_type="natural earth",
        projection_rotation_lon=0,
        center={"lon": 0, "lat": 0},
        lonaxis_range=[-180, 180],
        lataxis_range=[-58, 84],
        fitbounds=False,
        showcoastlines=False,
        showframe=False,
        showcountries=True,
        countrycolor="#bbb",
        showland=True,
        landcolor="#f2f2f2",
    )


def world_map(shares: pd.DataFrame, mineral: str, stage: str, source: str) -> go.Figure:
    """Production share by country at one stage (choropleth on offline geometry)."""
    sub = shares[(shares["mineral"] == mineral) & (shares["stage"] == stage)]
    fig = go.Figure(
        go.Choropleth(
            locations=sub["country"],
            z=100 * sub["share"],
            locationmode="ISO-3",
            colorscale="Oranges",
            zmin=0,
            colorbar={"title": "% of world"},
            marker_line_color="white",
            marker_line_width=0.5,
        )
    )
    _whole_world(fig)
    top = sub.nlargest(1, "share")
    lead = (
        f"{top['country'].iloc[0]} produces {100 * top['share'].iloc[0]:.0f}% " if len(top) else ""
    )
    return _layout(
        fig,
        f"{mineral.replace('_', ' ').capitalize()}, {stage} stage: {lead}of world output",
        source,
        height=460,
    )


def ai_demand(df: pd.DataFrame, minerals: list[str], source: str) -> go.Figure:
    """AI's share of world demand per mineral over time, central with the low–high band."""
    fig = go.Figure()
    for i, m in enumerate(minerals):
        s = df[df["mineral"] == m].sort_values("year")
        c = PALETTE[i % 10]
        _band_and_line(
            fig,
            s["year"],
            100 * s["ai_share_low"],
            100 * s["ai_share_central"],
            100 * s["ai_share_high"],
            c,
            m.replace("_", " "),
        )
    last = df[df["year"] == df["year"].max()].nlargest(1, "ai_share_central")
    title = "AI data centres' share of world demand (central, band low–high)"
    if len(last):
        title = (
            f"{str(last['mineral'].iloc[0]).replace('_', ' ').capitalize()}: AI data centres "
            f"reach {100 * float(last['ai_share_central'].iloc[0]):.1f}% of world demand by "
            f"{int(last['year'].iloc[0])} (band: low–high intensity)"
        )
    fig.update_yaxes(title="AI share of world demand (%)")
    fig.update_xaxes(title="year")
    return _layout(fig, title, source)


def recoverable(eol: pd.DataFrame, minerals: list[str], source: str) -> go.Figure:
    """Metal in retiring AI hardware each year (t); a mineral with none to recover (nothing
    a log axis can draw) is named in the title instead of drawn as an empty series."""
    fig = go.Figure()
    pos = eol[eol["recoverable"] > 0]
    none = [m for m in minerals if pos[pos["mineral"] == m].empty]
    for i, m in enumerate(x for x in minerals if x not in none):
        s = pos[pos["mineral"] == m].sort_values("year")
        fig.add_trace(
            go.Scatter(
                x=s["year"],
                y=s["recoverable"],
                name=m.replace("_", " "),
                mode="lines+markers",
                line={"color": PALETTE[i % 10]},
            )
        )
    fig.update_yaxes(title="recoverable metal (t/yr, log)", type="log")
    fig.update_xaxes(title="year")
    title = "Retiring AI hardware becomes a growing secondary source"
    if none:
        title += f" (none recoverable: {', '.join(m.replace('_', ' ') for m in none)})"
    return _layout(fig, title, source)


def fan(
    by_year: pd.DataFrame, var: str, minerals: list[str], title: str, unit: str, source: str
) -> go.Figure:
    """Fan chart: P5–P95 band and P50 line per mineral over the years."""
    fig = go.Figure()
    scale = 100.0 if var == "shortfall" else 1.0
    for i, m in enumerate(minerals):
        s = by_year[by_year["mineral"] == m].sort_values("year")
        c = PALETTE[i % 10]
        _band_and_line(
            fig,
            s["year"],
            scale * s[f"{var}_p5"],
            scale * s[f"{var}_p50"],
            scale * s[f"{var}_p95"],
            c,
            f"{m.replace('_', ' ')} (median; band P5–P95)",
        )
    fig.update_yaxes(title=unit, rangemode="tozero")
    fig.update_xaxes(title="year", dtick=1)
    return _layout(fig, title, source)


def bars(
    df: pd.DataFrame, x: str, y: str, title: str, xtitle: str, source: str, colour: str = MINE
) -> go.Figure:
    """Horizontal bars of ``x`` by ``y`` (long labels wrapped, not cut), values printed."""
    fig = go.Figure(
        go.Bar(
            x=df[x], y=[wrap(v) for v in df[y]], orientation="h", marker_color=colour,
            text=[f"{v:,.3g}" for v in df[x]], textposition="outside", cliponaxis=False,
        )
    )  # fmt: skip
    fig.update_layout(yaxis={"autorange": "reversed"})
    fig.update_xaxes(title=xtitle)
    return _layout(fig, title, source, height=max(320, 30 * len(df) + 160))


def ai_demand_tonnes(df: pd.DataFrame, minerals: list[str], source: str) -> go.Figure:
    """AI data centres' demand per mineral in tonnes a year (central, band low–high), log."""
    fig = go.Figure()
    for i, m in enumerate(minerals):
        s = df[df["mineral"] == m].sort_values("year")
        _band_and_line(fig, s["year"], s["ai_low_t"], s["ai_central_t"], s["ai_high_t"],
                       PALETTE[i % 10], m.replace("_", " "))  # fmt: skip
    last = df[(df["year"] == df["year"].max()) & df["mineral"].isin(minerals)]
    big = last.nlargest(1, "ai_central_t")
    title = "AI data centres' mineral demand, tonnes a year"
    if len(big):
        r = big.iloc[0]
        title = (
            f"{str(r['mineral']).replace('_', ' ').capitalize()} leads AI demand in tonnes: "
            f"{float(r['ai_central_t']):,.0f} t in {int(r['year'])} (central)"
        )
    fig.update_yaxes(title="AI demand (t/yr, log; band low–high)", type="log")
    fig.update_xaxes(title="year")
    return _layout(fig, title, source)


def wrap(label: str, width: int = 26) -> str:
    """A long bar label broken onto lines (plotly's ``<br>``), never cut off.

    Examples
    --------
    >>> wrap("Partners and domestic supply, $11.6 billion", 20)
    'Partners and<br>domestic supply,<br>$11.6 billion'
    """
    import textwrap

    return "<br>".join(textwrap.wrap(str(label), width)) or str(label)


def central_with_bounds(
    df: pd.DataFrame, central: str, low: str, high: str, y: str, title: str, xtitle: str,
    source: str,
) -> go.Figure:  # fmt: skip
    """A dot at the central value of each row with a line from its low to its high bound
    (values printed: central, then the range). Dots, not bars: a central value of zero stays
    visible."""
    c, lo, hi = (df[k].astype(float) for k in (central, low, high))
    fig = go.Figure(
        go.Scatter(
            x=c, y=[wrap(v) for v in df[y]], mode="markers+text", marker={"size": 11,
            "color": MINE}, name="central",
            error_x={"type": "data", "symmetric": False, "array": (hi - c).clip(lower=0),
                     "arrayminus": (c - lo).clip(lower=0), "thickness": 2, "width": 6},
            text=[f"{a:.3g} ({b:.3g}–{d:.3g})" for a, b, d in zip(c, lo, hi, strict=True)],
            textposition="top center", cliponaxis=False,
        )
    )  # fmt: skip
    fig.update_layout(yaxis={"autorange": "reversed"}, showlegend=False)
    fig.update_xaxes(title=xtitle, rangemode="tozero")
    return _layout(fig, title, source, height=max(320, 40 * len(df) + 160))
