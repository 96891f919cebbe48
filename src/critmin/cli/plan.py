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
from critmin.cli.common import FormatOpt, check_out_path, handles_errors, refuse
from critmin.cli.output import Format, money, render

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
    table = fmt is Format.table
    if items:
        render(allocation_view(ev.items) if table else ev.items, fmt,
               title=f"{p.name}: what each item buys ({ev.scenario})")  # fmt: skip
        return
    if objectives:
        render(consequences_view(ev.consequences) if table else ev.consequences, fmt,
               title=f"{p.name} on every objective, scored against {ev.scenario}",
               caption="— = insufficient data; how each is valued: --format csv or json (note)"
               if table else None)  # fmt: skip
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
    # Percent and money units sit in the headers, not in every cell: each pair stays one
    # narrow word, so more columns fit 80 characters.
    pct = lambda x: "—" if x != x else f"{100 * x:.1f}"  # noqa: E731
    usd = lambda x: "—" if x != x else "0" if x == 0 else money(x)  # noqa: E731
    return pd.DataFrame({
        "mineral": df["mineral"].map(lambda v: str(v).replace("_", " ")),
        "cost USD": df["cost_usd"].map(usd),
        "shortfall % base→plan": [f"{pct(a)}→{pct(b)}" for a, b in
                                zip(df["shortfall_mean_base"], df["shortfall_mean_plan"],
                                    strict=True)],
        "P95 % base→plan": [f"{pct(a)}→{pct(b)}" for a, b in
                          zip(df["shortfall_p95_base"], df["shortfall_p95_plan"], strict=True)],
        "unmet cost USD base→plan": [f"{usd(a)}→{usd(b)}" for a, b in
                                 zip(df["unmet_cost_usd_base"], df["unmet_cost_usd_plan"],
                                     strict=True)],
        "AI output at risk %": [f"{pct(a)}→{pct(b)}" if a == a else "" for a, b in
                              zip(df["ai_output_at_risk_base"], df["ai_output_at_risk_plan"],
                                  strict=True)],
        "CO2e kt": df["co2e_t"].map(lambda x: _sig(x / 1e3)),
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
    ai_rule: Annotated[
        str,
        typer.Option(
            "--ai-rule",
            help="who bears a shortfall in the AI objective: auto (default: central, or pro_rata "
            "when the central rule leaves no AI output at risk), central, priority (AI served "
            "first, the lower bound) or pro_rata (every use alike, the upper bound)",
        ),
    ] = "auto",
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
        ai_rule=ai_rule,
        market_share=market_share,
        partners=tuple(c.strip() for c in partners.split(",") if c.strip()), out_plan=out_plan,
    )  # fmt: skip
    given = uc.check_plan(cmp) if cmp is not None else None
    if fmt is Format.json:
        body = uc.optimisation_record(res, given)  # strict JSON: no NaN or Infinity
        sys.stdout.write(json.dumps(body, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
        return
    alloc = res.allocation[res.allocation["usd"] >= 1.0]
    cols = ["lever", "mineral", "country", "stage", "usd", "marginal_value", "pays_off_share",
            "pays_off_years", "at_market_limit"]  # fmt: skip
    table = fmt is Format.table
    weights = ", ".join(f"{OBJECTIVE_NAMES.get(k, k) if table else k} × {v:g}"
                        for k, v in res.objective.items())  # fmt: skip
    from critmin.sim.ai_allocation import FALLBACK_WHY

    fallback = res.ai_rule_why == FALLBACK_WHY
    rule = f"AI rule {res.ai_rule}" + (
        ": the central rule leaves nothing at risk" if fallback else ""
    )
    caption = (
        f"objective: {weights} ({rule}); "
        f"{'value per USD' if table else 'marginal_value'} = objective avoided per extra USD; "
        "pays off = share of samples (and years) where the item removes a shortfall"
    )
    title = f"Optimal allocation of {budget / 1e9:,.2f} billion USD ({res.scenario})"
    render(allocation_view(alloc[cols]) if table else alloc[cols], fmt, title=title,
           caption=caption)  # fmt: skip
    objs = res.objectives
    cap = ("in sample = the LP's samples; out of sample = fresh samples (seed + 1); "
           "economic loss: insufficient data (no sourced sector value added)")  # fmt: skip
    if table:
        cap += "; — = insufficient data"
    if table:
        compared = [p for p in dict.fromkeys(objs["plan"]) if p != "optimised"]
        if compared:
            cap = f"compared = {', '.join(compared)}; {cap}"
    render(objectives_view(objs) if table else objs, fmt,
           title=f"Plans on every objective, scored against {res.scenario}",
           caption=cap)  # fmt: skip
    if given is not None:
        alloc_usd = res.allocation[res.allocation["usd"] >= 1.0]
        items = uc.plan_items(given, alloc_usd)
        if table:
            items = pd.DataFrame({
                "lever": items["lever"].str.replace("_", " "), "mineral": items["mineral"],
                "country": items["country"], "compared USD": items["usd_a"].map(money),
                "optimised USD": items["usd_b"].map(money),
            })  # fmt: skip
        render(items, fmt, title="The two plans item by item",
               caption=f"compared = {given.name}" if table else None)  # fmt: skip
    if len(res.pareto):
        render(res.pareto, fmt, title="Pareto frontier (every objective at each point)")


#: The optimiser's objectives as a person names them (terminal tables; JSON keeps the keys).
OBJECTIVE_NAMES = {
    "ai_output_usd": "AI output at risk",
    "ai_output_usd_priority": "AI at risk, AI first",
    "ai_output_usd_pro_rata": "AI at risk, pro rata",
    "economic_loss_usd": "economic loss",
    "unmet_cost_usd": "unmet-demand cost",
    "co2e_t": "CO2e",
}


def _sig(x: float) -> str:
    """Three significant digits, thousands separated, no exponent."""
    if x == 0:
        return "0"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:#.3g}".rstrip(".")


def allocation_view(df: pd.DataFrame) -> pd.DataFrame:
    """The optimiser's allocation as a terminal reads it: words for levers and minerals, a
    market limit as "yes" (numbers are formatted by the renderer: money in M / bn, shares in
    percent, three significant digits).

    Examples
    --------
    >>> df = pd.DataFrame({"lever": ["partner_investment"], "mineral": ["rare_earths"],
    ...                    "at_market_limit": [True], "online": [2030.0]})
    >>> allocation_view(df).iloc[0].tolist()
    ['partner investment', 'rare earths', 'yes', '2030']
    """
    # "value per USD" rather than "marginal value": a narrower header, the same meaning
    # (the caption defines it), so the table keeps one more column at 80 characters.
    out = df.rename(columns={"marginal_value": "value_per_USD"})
    for c in ("lever", "mineral"):
        if c in out:
            out[c] = out[c].map(lambda v: str(v).replace("_", " "))
    if "at_market_limit" in out:
        out["at_market_limit"] = out["at_market_limit"].map(lambda v: "yes" if v else "")
    if "online" in out and pd.api.types.is_numeric_dtype(out["online"]):
        # A year, not a quantity: no thousands separator (a missing one is NaN, so float).
        out["online"] = out["online"].map(lambda v: "—" if v != v else str(int(v)))
    return out


def _objective_label(objective: str, unit: str) -> str:
    """An objective's name with the unit a terminal table shows it in."""
    return f"{OBJECTIVE_NAMES.get(objective, objective)} ({'bn USD' if unit == 'USD' else 'kt'})"


def _objective_value(x: float, unit: str) -> str:
    """Billions of USD or kilotonnes, three significant digits; "—" for insufficient data."""
    if x != x:
        return "—"
    return _sig(x / 1e9) if unit == "USD" else _sig(x / 1e3)


def consequences_view(df: pd.DataFrame) -> pd.DataFrame:
    """A plan's consequences (``plan evaluate --objectives``) as a terminal reads it.

    Examples
    --------
    >>> df = pd.DataFrame({"objective": ["ai_output_usd", "co2e_t"], "unit": ["USD", "t CO2e"],
    ...     "base": [1.51387e12, 0.0], "plan": [1.31515e12, 3.3405e7],
    ...     "change": [-1.98722e11, 3.3405e7], "note": ["a", "b"]})
    >>> consequences_view(df).values.tolist()[0]
    ['AI output at risk (bn USD)', '1,514', '1,315', '-199', 'a']
    >>> consequences_view(df).values.tolist()[1]
    ['CO2e (kt)', '0', '33,405', '33,405', 'b']
    """

    out = pd.DataFrame({
        "objective": [_objective_label(o, u)
                      for o, u in zip(df["objective"], df["unit"], strict=True)],
    })  # fmt: skip
    for c in ("base", "plan", "change"):
        out[c] = [_objective_value(x, u) for x, u in zip(df[c], df["unit"], strict=True)]
    out["note"] = df["note"].to_numpy()
    return out


def objectives_view(df: pd.DataFrame) -> pd.DataFrame:
    """The objectives table as a terminal reads it: objectives by name with their unit, the
    compared plan as "compared" (its name goes in the caption), three significant digits,
    "—" for insufficient data (the caption says so).

    Examples
    --------
    >>> df = pd.DataFrame({"objective": ["ai_output_usd", "co2e_t"], "unit": ["USD", "t CO2e"],
    ...     "plan": ["optimised", "Partners"], "base_in_sample": [1.51387e12, 0.0],
    ...     "plan_in_sample": [1.03132e12, 2.62e7], "base_out_of_sample": [float("nan"), 0.0],
    ...     "plan_out_of_sample": [1.0e12, 3.34e7]})
    >>> objectives_view(df).values.tolist()[0]
    ['AI output at risk (bn USD)', 'optimised', '1,514', '1,031', '—', '1,000']
    >>> objectives_view(df).values.tolist()[1]
    ['CO2e (kt)', 'compared', '0', '26,200', '0', '33,400']
    """

    out = pd.DataFrame({
        "objective": [_objective_label(o, u)
                      for o, u in zip(df["objective"], df["unit"], strict=True)],
        "plan": [p if p == "optimised" else "compared" for p in df["plan"]],
    })  # fmt: skip
    for c in ("base_in_sample", "plan_in_sample", "base_out_of_sample", "plan_out_of_sample"):
        out[c] = [_objective_value(x, u) for x, u in zip(df[c], df["unit"], strict=True)]
    return out
