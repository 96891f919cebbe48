"""``critmin demand``: what the AI build-out needs, or a company's own demand."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from critmin.analysis.demand import View, ai_demand_table, company_demand
from critmin.cli.common import FormatOpt, handles_errors, refuse
from critmin.cli.output import Format, render
from critmin.demand.years import DEFAULT_YEARS


@handles_errors
def demand(
    scenario: Annotated[
        str | None,
        typer.Option(
            help="built-in scenario (base, lift-off, high-efficiency, headwinds, "
            "iea2026-base …) or a scenario YAML file [default: base]; in company mode, a "
            "disruption scenario (library name or file): the units it leaves unbuilt"
        ),
    ] = None,
    start: Annotated[int, typer.Option("--from", help="first year")] = DEFAULT_YEARS[0],
    end: Annotated[int, typer.Option("--to", help="last year")] = DEFAULT_YEARS[-1],
    by: Annotated[str, typer.Option(help="mineral or component")] = "mineral",
    context: Annotated[
        bool, typer.Option("--context", help="AI demand beside world demand, share per year")
    ] = False,
    eol: Annotated[
        bool, typer.Option("--eol", help="installed base, retirements and recoverable metal")
    ] = False,
    replacement: Annotated[
        bool, typer.Option("--replacement", help="add like-for-like replacement of retirements")
    ] = False,
    intensities: Annotated[
        Path | None, typer.Option(help="your own intensities CSV (same columns as the shipped one)")
    ] = None,
    bom: Annotated[Path | None, typer.Option(help="company mode: your BOM (CSV or YAML)")] = None,
    plan: Annotated[Path | None, typer.Option(help="company mode: production plan CSV")] = None,
    samples: Annotated[
        int | None,
        typer.Option(min=1, help="company mode with --scenario: samples (default: the scenario's)"),
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Mineral demand of the AI build-out per year (low, central, high), or a company's own."""
    if bom is not None or plan is not None:
        if bom is None or plan is None:
            raise refuse("company mode needs both --bom and --plan")
        if scenario is not None:
            from critmin.analysis.company import company_at_risk

            at = company_at_risk(bom, plan, scenario, samples=samples)
            name = at["scenario"].iloc[0] if len(at) else scenario
            render(at.drop(columns="scenario"), fmt,
                   title=f"Units of the company's products that could not be built: {name}",
                   caption="The company suffers the bloc's average shortfall of each input; "
                   "the scarcest input binds. P5/P50/P95 across samples.")  # fmt: skip
            return
        render(company_demand(bom, plan), fmt,
               title="Company demand and where its minerals come from")  # fmt: skip
        return
    view: View = (
        "replacement" if replacement else "eol" if eol else "context" if context else "demand"
    )
    if samples is not None:
        raise refuse("--samples needs company mode (--bom, --plan) and --scenario")
    t = ai_demand_table(scenario or "base", start, end, by=by, view=view, intensities=intensities)
    frame = t.frame
    if fmt is Format.table and "driver" in frame.columns:
        # The driver is the same for every mineral of a year: a terminal table prints it on
        # the year's first row only (a third of the lines, and of the time rich takes to lay
        # them out); JSON and CSV keep it on every row.
        driver = frame["driver"]
        frame = frame.assign(driver=driver.where(driver.ne(driver.shift()), ""))
    render(frame, fmt, title=t.title)
