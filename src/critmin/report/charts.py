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
    """US net import reliance over time for the given minerals."""
    fig = go.Figure()
    for i, m in enumerate(minerals):
        s = nir[nir["mineral"] == m].sort_values("year")
        if s.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=s["year"],
                y=s["value"],
                name=m.replace("_", " "),
                mode="lines+markers",
                line={"color": PALETTE[i % 10]},
            )
        )
    full = nir[(nir["year"] == nir["year"].max()) & (nir["value"] >= 100)]["mineral"]
    n_full = int(full.isin(minerals).sum())
    fig.update_yaxes(title="net import reliance (%)", range=[0, 105])
    fig.update_xaxes(title="year", dtick=1)
    return _layout(
        fig, f"The US imports all it uses of {n_full} of these {len(minerals)} minerals", source
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
    fig.update_geos(
        projection_type="natural earth",
        showcoastlines=False,
        showframe=False,
        showcountries=True,
        countrycolor="#bbb",
        showland=True,
        landcolor="#f2f2f2",
    )
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
    """Metal in retiring AI hardware each year (t)."""
    fig = go.Figure()
    for i, m in enumerate(minerals):
        s = eol[eol["mineral"] == m].sort_values("year")
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
    return _layout(fig, "Retiring AI hardware becomes a growing secondary source", source)


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
    """Horizontal bars of ``x`` by ``y``."""
    fig = go.Figure(go.Bar(x=df[x], y=df[y], orientation="h", marker_color=colour))
    fig.update_layout(yaxis={"autorange": "reversed"})
    fig.update_xaxes(title=xtitle)
    return _layout(fig, title, source, height=max(320, 30 * len(df) + 160))
