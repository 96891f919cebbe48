"""``critmin plan evaluate|optimize`` and ``critmin projects``: policy levers and the pipeline."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from critmin.analysis import plans as uc
from critmin.analysis.frames import json_safe
from critmin.cli.common import FormatOpt, check_out_path, handles_errors, refuse
from critmin.cli.output import Format, render

app = typer.Typer(help="Policy plans: evaluate one, or find the best for a budget.",
                  no_args_is_help=True)  # fmt: skip

ScenarioOpt = Annotated[
    Path | None,
    typer.Option(help="scenario YAML (default: the standard risk scenario shipped with critmin)"),
]


@handles_errors
def projects(
    mineral: Annotated[
        str | None, typer.Option(help="mineral id, e.g. lithium, rare_earths")
    ] = None,
    country: Annotated[str | None, typer.Option(help="ISO3 country code, e.g. USA")] = None,
    status: Annotated[
        str | None,
        typer.Option(
            help="operating, commissioning, construction, permitted, permitting, "
            "feasibility, stalled, closed or unverified"
        ),
    ] = None,
    project: Annotated[str | None, typer.Option(help="one project id, e.g. P001")] = None,
    funding: Annotated[
        bool, typer.Option("--funding", help="the US funding actions instead of the projects")
    ] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Critical-mineral projects: capacity, status, expected start; or US funding actions."""
    from critmin.policy import projects as pj

    full = uc.project_pipeline(mineral, country, status, project, funding=funding)
    out = full[list(pj.FUNDING_COLUMNS if funding else pj.PIPELINE_COLUMNS)]
    if fmt is not Format.table:
        render(pj.flat(out) if fmt is Format.csv else out, fmt)
        return
    if funding:
        view = pj.table_view(full, "funding")
        title = f"US government funding actions ({len(out)})"
        caption = (
            "Nominal USD as reported (— = undisclosed). With --country, --status or "
            "--project: the actions linked to those projects. Sources: --format json."
        )
    else:
        view = pj.table_view(full, "pipeline")
        title = f"Critical-mineral projects ({len(out)})"
        caption = (
            "Expected start: the reported first production, else permit year + "
            "permitting + 3 years' building (REFERENCE §7; build time confidence L). "
            "Expedited: remaining permitting halved (a scenario assumption). Capacity "
            "units differ between projects. Sources: projects_SOURCES.md."
        )
    render(view, fmt, title=title, caption=caption)


@app.command("evaluate")
@handles_errors
def plan_evaluate(
    plan: Annotated[Path, typer.Argument(help="plan YAML file (see examples/)")],
    scenario: ScenarioOpt = None,
    samples: Annotated[
        int | None, typer.Option(help="samples (default: the scenario's)", min=1, max=10_000_000)
    ] = None,
    seed: Annotated[int | None, typer.Option(help="seed (default: the scenario's)", min=0)] = None,
    workers: Annotated[int, typer.Option(help="threads")] = 1,
    items: Annotated[bool, typer.Option("--items", help="what each item buys and when")] = False,
    objectives: Annotated[
        bool,
        typer.Option("--objectives", help="baseline and plan on every objective (consequences)"),
    ] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """A plan through the simulator against its baseline, on the same samples."""
    p = uc.check_plan(plan)
    ev = uc.evaluate_plan(plan, scenario, samples=samples, seed=seed, workers=workers)
    if items:
        render(ev.items, fmt, title=f"{p.name}: what each item buys ({ev.scenario})")
        return
    if objectives:
        render(ev.consequences, fmt, title=f"{p.name} on every objective, scored against "
               f"{ev.scenario}")  # fmt: skip
        return
    df = plan_view(ev.table) if fmt is Format.table else ev.table
    caption = (
        "shortfall = unmet share of the bloc's demand; unmet t over the horizon; cost of unmet "
        "demand at the USGS price; CO2e = cradle-to-gate of the added supply"
    )
    title = f"{p.name}: baseline vs plan, per mineral (worst year per sample; {ev.scenario})"
    render(df, fmt, title=title, caption=caption)


def plan_view(df: pd.DataFrame) -> pd.DataFrame:
    """A plan evaluation as a terminal reads it: base→plan pairs in percent and USD."""
    pct = lambda x: "—" if x != x else f"{100 * x:.1f}%"  # noqa: E731
    usd = lambda x: "—" if x != x else f"{x / 1e6:,.0f}M"  # noqa: E731
    return pd.DataFrame({
        "mineral": df["mineral"],
        "cost": df["cost_usd"].map(usd),
        "shortfall base→plan": [f"{pct(a)}→{pct(b)}" for a, b in
                                zip(df["shortfall_mean_base"], df["shortfall_mean_plan"],
                                    strict=True)],
        "P95 base→plan": [f"{pct(a)}→{pct(b)}" for a, b in
                          zip(df["shortfall_p95_base"], df["shortfall_p95_plan"], strict=True)],
        "unmet cost base→plan": [f"{usd(a)}→{usd(b)}" for a, b in
                                 zip(df["unmet_cost_usd_base"], df["unmet_cost_usd_plan"],
                                     strict=True)],
        "AI output at risk": [f"{pct(a)}→{pct(b)}" if a == a else "" for a, b in
                              zip(df["ai_output_at_risk_base"], df["ai_output_at_risk_plan"],
                                  strict=True)],
        "CO2e kt": df["co2e_t"].map(lambda x: f"{x / 1e3:,.0f}"),
        "status": df["status"],
    })  # fmt: skip


@app.command("optimize")
@handles_errors
def plan_optimize(
    budget: Annotated[float, typer.Option(help="budget, USD")],
    scenario: ScenarioOpt = None,
    samples: Annotated[
        int | None, typer.Option(help="samples (default: the scenario's)", min=1, max=10_000_000)
    ] = None,
    seed: Annotated[int | None, typer.Option(help="seed (default: the scenario's)", min=0)] = None,
    objective: Annotated[
        str,
        typer.Option(
            help="objective to minimise, or weights: ai (AI hardware output at risk, USD), "
            "unmet (cost of unmet demand at current prices), co2e (t); e.g. 'ai:1,unmet:1'"
        ),
    ] = "ai",
    limit: Annotated[
        list[str] | None,
        typer.Option(help="a bound on an objective, e.g. --limit co2e=5e6 (repeatable)"),
    ] = None,
    cvar_alpha: Annotated[float, typer.Option("--cvar-alpha", help="CVaR level α")] = 0.95,
    lam: Annotated[float, typer.Option("--lambda", help="weight λ of the CVaR term")] = 0.0,
    compare: Annotated[
        Path | None,
        typer.Option(help="a plan to compare with (default: the example plan; 'none' for none)"),
    ] = None,
    pareto: Annotated[int, typer.Option(help="points on the Pareto frontier")] = 0,
    pareto_axes: Annotated[
        str | None,
        typer.Option(
            "--pareto-axes", help="two objectives, e.g. ai,co2e (default: objective,co2e)"
        ),
    ] = None,
    market_share: Annotated[
        float | None,
        typer.Option(help="stockpile market limit: share of a year's world output (default 0.05)"),
    ] = None,
    partners: Annotated[str, typer.Option(help="partner countries, ISO3, comma-separated")] = (
        "AUS,CAN"
    ),
    out_plan: Annotated[
        Path | None, typer.Option("--out-plan", help="write the optimal plan as YAML")
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """The allocation of a budget across levers that minimises the chosen consequence."""
    # Checked before the optimisation, which takes minutes: a bad option fails at once.
    if not math.isfinite(budget) or budget <= 0:
        raise refuse(f"--budget: expected a positive, finite number of USD; got {budget}")
    if not (math.isfinite(cvar_alpha) and 0 < cvar_alpha < 1) or not math.isfinite(lam):
        raise refuse("--cvar-alpha: expected 0 < α < 1, and --lambda a finite number")
    if out_plan is not None:
        check_out_path(out_plan, "--out-plan")
    from critmin.data.errors import DataError, Problem
    from critmin.policy.plan import example_plan_path

    limits: dict[str, float] = {}
    for text in limit or []:
        name, _, val = text.partition("=")
        try:
            limits[name.strip()] = float(val)
        except ValueError:
            raise DataError([Problem("--limit", None, name.strip() or text,
                                     "objective=number", text)]) from None  # fmt: skip
    axes = None
    if pareto_axes is not None:
        parts = [a.strip() for a in pareto_axes.split(",")]
        if len(parts) != 2:
            raise DataError([Problem("--pareto-axes", None, "pareto_axes", "two objectives a,b",
                                     pareto_axes)])  # fmt: skip
        axes = (parts[0], parts[1])
    cmp: Path | None = compare
    if compare is None:
        cmp = example_plan_path()
    elif str(compare).lower() == "none":
        cmp = None
    res = uc.optimise_budget(
        budget, scenario, samples=samples, seed=seed, alpha=cvar_alpha, lam=lam,
        compare=cmp, pareto=pareto, objective=objective, limits=limits, pareto_axes=axes,
        market_share=market_share,
        partners=tuple(c.strip() for c in partners.split(",") if c.strip()), out_plan=out_plan,
    )  # fmt: skip
    if fmt is Format.json:
        body = json_safe(res.as_json())  # strict JSON: no NaN or Infinity
        sys.stdout.write(json.dumps(body, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
        return
    alloc = res.allocation[res.allocation["usd"] >= 1.0]
    cols = ["lever", "mineral", "country", "stage", "usd", "marginal_value", "pays_off_share",
            "pays_off_years", "at_market_limit"]  # fmt: skip
    weights = ", ".join(f"{k} × {v:g}" for k, v in res.objective.items())
    caption = (
        f"objective: {weights}; marginal_value = objective avoided per extra USD; "
        "pays_off = share of samples (and years) where the item removes a shortfall"
    )
    title = f"Optimal allocation of {budget / 1e9:,.2f} billion USD ({res.scenario})"
    render(alloc[cols], fmt, title=title, caption=caption)
    render(objectives_view(res.objectives) if fmt is Format.table else res.objectives, fmt,
           title=f"Plans on every objective, scored against {res.scenario}",
           caption="in sample = the LP's samples; out of sample = fresh samples (seed + 1); "
           "economic loss: insufficient data (no sourced sector value added)")  # fmt: skip
    if len(res.pareto):
        render(res.pareto, fmt, title="Pareto frontier (every objective at each point)")


def objectives_view(df: pd.DataFrame) -> pd.DataFrame:
    """The objectives table as a terminal reads it."""

    def fmt(x: float, unit: str) -> str:
        if x != x:
            return "insufficient data"
        return f"{x / 1e9:,.2f} bn" if unit == "USD" else f"{x / 1e3:,.0f} kt"

    out = df[["objective", "plan"]].copy()
    for c in ("base_in_sample", "plan_in_sample", "base_out_of_sample", "plan_out_of_sample"):
        out[c] = [fmt(x, u) for x, u in zip(df[c], df["unit"], strict=True)]
    return out
