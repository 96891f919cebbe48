"""``critmin minerals``, ``supply`` and ``profile``: where each mineral comes from."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
import typer

from critmin.analysis import minerals as uc
from critmin.cli.common import FormatOpt, handles_errors
from critmin.cli.output import Format, render


@handles_errors
def minerals(fmt: FormatOpt = Format.table) -> None:
    """Overview of AI-critical minerals: stages, uses, US status, import reliance, top producers."""
    df = uc.minerals_overview()
    if fmt is Format.table:
        render(
            _overview_view(df),
            fmt,
            title="AI-critical minerals: where they come from and how exposed the US is",
            caption="Top producer and share: latest year of the preferred source per stage "
            "(USGS MCS, then IEA, then World Mining Data). US import: net import reliance, "
            "USGS MCS. "
            "AI uses abbreviated (PCB = server motherboard; chip = accelerator package; UPS = "
            "battery backup; DC = data centre as a whole). "
            "`critmin minerals --format json` gives years, sources and bases.",
        )
    else:
        render(df, fmt)


#: Short names of the AI hardware uses for an 80-column table (the JSON has the full names).
SHORT_USES = {
    "server motherboard/PCB": "PCB",
    "accelerator package/die": "chip",
    "battery backup units / UPS": "UPS",
    "data centre (aggregate)": "DC",
    "fans/pumps/hard drives (NdFeB magnets)": "magnets",
    "cooling (cold plates, CDUs, chillers)": "cooling",
    "data-centre electrical systems (switchgear, cabling)": "electrical",
    "transformers and grid connection": "grid",
    "GaN/SiC power devices": "GaN/SiC",
    "optical transceivers": "optics",
    "copper cables / NVLink": "cables",
    "rack (GB200 NVL72)": "rack",
    "rack busbars": "busbars",
}


def _uses(v: object) -> str:
    if not isinstance(v, str) or not v:
        return "—"
    return ", ".join(SHORT_USES.get(u, u) for u in v.split("; "))


def _top(iso3: object, share: object) -> str:
    if not isinstance(iso3, str):
        return "—"
    return f"{iso3} {share:.0%}" if isinstance(share, float) and share == share else iso3


def _overview_view(df: pd.DataFrame) -> pd.DataFrame:
    """The overview as a terminal reads it: short columns, shares folded into the producer."""
    nir = [
        t if pd.isna(y) or t in ("insufficient data", "net exporter", "withheld")
        else f"{t}% ({int(y)})"
        for t, y in zip(df["net_import_reliance"], df["net_import_reliance_year"], strict=True)
    ]  # fmt: skip
    return pd.DataFrame(
        {
            "mineral": df["mineral"],
            "US output": df["us_production"],
            "US import": nir,
            "top miner": [_top(c, s) for c, s in zip(df["mine_top"], df["mine_top_share"],
                                                     strict=True)],
            "top refiner": [_top(c, s) for c, s in zip(df["refine_top"], df["refine_top_share"],
                                                       strict=True)],
            "AI uses": [_uses(v) for v in df["ai_uses"]],
        }
    )  # fmt: skip


@handles_errors
def supply(
    mineral: Annotated[str, typer.Argument(help="mineral id, e.g. lithium, rare_earths")],
    stage: Annotated[str, typer.Option(help="mine or refine")] = "mine",
    year: Annotated[int | None, typer.Option(help="data year (default: latest)")] = None,
    source: Annotated[
        str | None, typer.Option(help="source prefix, e.g. 'USGS MCS 2023', 'World Mining Data'")
    ] = None,
    measure: Annotated[str, typer.Option(help="production, capacity or reserves")] = "production",
    history: Annotated[
        bool, typer.Option("--history", help="production year by year: top producers and the rest")
    ] = False,
    top: Annotated[int, typer.Option(help="producers named with --history")] = 5,
    prices: Annotated[bool, typer.Option("--prices", help="the USGS price, year by year")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Production by country of one mineral at one stage and year, with shares and sources."""
    if prices:
        p = uc.price_history(mineral)
        show = p if fmt is not Format.table else p[["year", "value", "unit", "status", "source"]]
        render(show, fmt, title=f"{mineral}: USGS price of {p['product'].iloc[0]}",
               caption="Each year from the newest USGS edition reporting it; the series ends "
               f"in {int(p['year'].max())}; --format csv|json adds usd_per_t (USD per "
               f"{p['basis'].iloc[0]}).")  # fmt: skip
        return
    if history:
        h = uc.production_history(mineral, stage, top=top)
        if fmt is not Format.table:
            render(h.rows, fmt)
            return
        wide = h.rows.pivot(index="year", columns="producer", values="value")
        wide = wide[[*h.top, uc.REST]].reset_index()
        eds = h.rows.groupby("year")["source"].first()
        wide.insert(1, "source", [eds[y] for y in wide["year"]])
        render(wide, fmt, title=f"{mineral} {stage} production by year ({h.unit}, {h.basis})",
               caption=f"{h.family}, each year from its newest edition; producers: the "
               f"{len(h.top)} largest of {int(wide['year'].max())}; '{uc.REST}' = every "
               "other country (the world total as reported is never a row).")  # fmt: skip
        return
    t = uc.supply_table(mineral, stage, year, measure=measure, source=source)
    if fmt is not Format.table:
        render(t.rows, fmt)
        return
    render(
        t.rows[["country", "entity", "value", "unit", "share", "status", "source"]],
        fmt,
        title=f"{mineral} {stage} {measure} {t.year} ({t.basis})",
        caption=_world_caption(t.world_total, t.unit, t.world_note)
        + "Shares are of the sum of the listed countries and 'Other countries'.",
    )


def _world_caption(total: float, unit: str, note: str | None) -> str:
    """The world-total sentence under a supply table; never prints NaN.

    Examples
    --------
    >>> _world_caption(170.0, "million m3", None)
    'World total as reported: 170 million m3. '
    >>> _world_caption(float("nan"), "t", "Not applicable")
    'World total: not reported by the source (Not applicable). '
    """
    if total == total:
        return f"World total as reported: {total:,.6g} {unit}. "
    return "World total: not reported by the source" + (f" ({note}). " if note else ". ")


@handles_errors
def profile(
    mineral: Annotated[str, typer.Argument(help="mineral id, e.g. gallium")],
    top: Annotated[int, typer.Option(help="countries to list per stage")] = 5,
    fmt: FormatOpt = Format.table,
) -> None:
    """Everything on one mineral: supply by stage, reserves, US statistics, imports, AI uses."""
    render(uc.mineral_profile(mineral, top), fmt, title=f"Profile of {mineral}")
