"""``critmin brief``: critmin's main job, the self-contained HTML brief."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from critmin.cli.common import FormatOpt, err, handles_errors, refuse
from critmin.cli.output import Format, render
from critmin.report.brief import PLAN_SAMPLES


@handles_errors
def brief(
    out: Annotated[Path, typer.Option(help="folder for brief.html, brief.xlsx and tables/")] = Path(
        "brief"
    ),
    scenario: Annotated[
        list[Path] | None,
        typer.Option(help="scenario files (default: the shipped standard scenarios); repeatable"),
    ] = None,
    plan: Annotated[
        Path | None,
        typer.Option(
            help="plan to compare (YAML; default: the example partners plan); with --bom, a "
            "CSV here is the company's production plan"
        ),
    ] = None,
    budget: Annotated[float | None, typer.Option(help="optimiser budget, USD")] = None,
    samples: Annotated[
        int | None, typer.Option(help="samples per scenario (default: the scenario's)")
    ] = None,
    plan_samples: Annotated[
        int, typer.Option(help="samples of the plan optimisation")
    ] = PLAN_SAMPLES,
    pdf: Annotated[bool, typer.Option("--pdf", help="also print brief.pdf (needs Chromium)")] = (
        False
    ),
    sourcing: Annotated[
        list[Path] | None,
        typer.Option(help="suppliers' CMRT/EMRT workbooks: adds a sourcing section; repeatable"),
    ] = None,
    bom: Annotated[
        Path | None,
        typer.Option(help="company view: your BOM (CSV or YAML); needs a production plan"),
    ] = None,
    production_plan: Annotated[
        Path | None,
        typer.Option(help="company view: your production plan (CSV or YAML); needs --bom"),
    ] = None,
    since: Annotated[
        Path | None,
        typer.Option(help="the brief.json of an earlier edition: adds what changed since it"),
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """critmin's main job: a self-contained HTML brief (and PDF) with charts, maps and tables."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    # `--bom B --plan P.csv` is the company view's short form: policy plans are YAML only.
    if (
        bom is not None
        and production_plan is None
        and plan is not None
        and (plan.suffix.lower() == ".csv")
    ):
        production_plan, plan = plan, None
    if (bom is None) != (production_plan is None):
        raise refuse(
            "the company view needs both --bom and a production plan "
            "(--production-plan FILE, or --plan FILE.csv)"
        )
    company = (bom, production_plan) if bom is not None and production_plan is not None else None

    from critmin.report.brief import build

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err, transient=True) as bar:  # fmt: skip
        task = bar.add_task("starting", total=None)
        result = build(out, scenarios=scenario, plan=plan, budget=budget, samples=samples,
                       plan_samples=plan_samples, pdf=pdf, sourcing=sourcing, since=since,
                       company=company,
                       progress=lambda s: bar.update(task, description=s))  # fmt: skip
    head = result.summary[["rank", "mineral", "score", "score_low", "score_high", "why"]]
    files = [
        str(result.html),
        str(out / "brief.json"),
        str(out / "brief.xlsx"),
        str(out / "tables"),
    ]
    if result.pdf:
        files.append(str(result.pdf))
    render(head, fmt, title="Where AI hardware is most exposed (composite score, range)",
           caption="Brief written to: " + ", ".join(files))  # fmt: skip
