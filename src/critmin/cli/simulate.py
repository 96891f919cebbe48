"""``critmin simulate``: a disruption scenario through the Monte Carlo market model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from critmin.analysis import scenarios as uc
from critmin.cli.common import FormatOpt, check_out_path, err, handles_errors, refuse
from critmin.cli.output import Format, render


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _idx(x: float) -> str:
    return f"{x:.2f}"


def sim_view(df: pd.DataFrame, by: str, threshold: float) -> pd.DataFrame:
    """The simulation summary in a width a terminal can show (percentages, short headers)."""
    pct, idx = _pct, _idx
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
        "AI short: central (low–high)": [
            "" if c != c else f"{pct(c)} ({pct(lo)}–{pct(hi)})"
            for c, lo, hi in zip(df["ai_shortfall_central"], df["ai_shortfall_low"],
                                 df["ai_shortfall_high"], strict=True)],
    })  # fmt: skip


@handles_errors
def simulate(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML file (see examples/)")],
    samples: Annotated[
        int | None, typer.Option(help="samples (default: the file's)", min=1, max=10_000_000)
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="random seed (default: the file's)", min=0)
    ] = None,
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
        str,
        typer.Option(
            help="all outputs, 'summary' (shortfall and price) for huge runs, 'reduced' "
            "(per-sample reductions only, reduced on the workers; --by mineral), or 'stats' "
            "(only the summary statistics leave the workers: the scale-out mode; --by mineral)"
        ),
    ] = "all",
    all_minerals: Annotated[
        bool, typer.Option("--all", help="list minerals the scenario does not touch too")
    ] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Monte Carlo disruption simulation: shortfall, prices, stocks and AI output at risk."""
    from rich.progress import Progress

    if by not in ("mineral", "year") or keep not in ("all", "summary", "reduced", "stats"):
        raise refuse("--by is mineral or year; --keep is all, summary, reduced or stats")
    if keep in ("reduced", "stats") and by == "year":
        raise refuse(f"--keep {keep} keeps no year arrays: use --by mineral, or --keep summary")
    if not 0.0 <= threshold <= 1.0:  # NaN fails this too
        raise refuse(f"--threshold: expected a share between 0 and 1; got {threshold}")
    if out is not None:
        check_out_path(out, "--out")
    sc = uc.check_scenario(scenario, deep=False)
    with Progress(console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("simulating", total=None)

        def tick(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = uc.run_simulation(scenario, samples=samples, seed=seed, workers=workers,
                                   scheduler=scheduler, out=out, keep=keep,  # type: ignore[arg-type]
                                   progress=tick, threshold=threshold)  # fmt: skip
    for warning in json.loads(result.attrs.get("warnings", "[]")):
        err.print(f"warning: {warning}")
    touched_only = not all_minerals
    if by == "year":
        df = uc.simulation_by_year(result, touched_only=touched_only)
        title = f"{sc.name}: shortfall and price index by year (mean, P5, P50, P95)"
    else:
        df = uc.simulation_summary(result, threshold, touched_only=touched_only)
        title = f"{sc.name}: per mineral, each sample's worst year"
    n = int(result.attrs["samples"])
    bloc = sc.bloc if isinstance(sc.bloc, str) else ", ".join(sc.bloc)
    caption = (
        f"{n} samples, seed {result.attrs['seed']}, bloc {bloc}; shortfall = unmet share of the "
        "bloc's demand; price index = 1 at baseline. Model and parameters: docs/model.md"
        + (f"; results in {out}" if out else "")
    )
    ai = uc.ai_at_risk(result)
    if ai.high == ai.high:  # NaN: no AI component uses a simulated mineral
        caption += (
            f". AI hardware output at risk in the worst year: {_pct(ai.central)} central "
            f"({_pct(ai.low)} if AI buyers are served first – {_pct(ai.high)} pro rata; "
            "docs/decisions/0033)"
        )
    if df.empty and touched_only:
        # A valid scenario that changes nothing is an answer (every market at its baseline),
        # not an error: exit 0, and say so instead of printing an empty table.
        why = _why_nothing(bool(sc.events))
        note = f"{sc.name}: the scenario moves no mineral — {why}. {caption}"
        if fmt is Format.table:
            typer.echo(note)
            return
        err.print(note)
    if fmt is Format.table:
        df = sim_view(df, by, threshold)
    render(df, fmt, title=title, caption=caption)


def _why_nothing(has_events: bool) -> str:
    """Why a scenario moved no mineral visibly."""
    if not has_events:
        return "it has no events, so every market stays at its baseline"
    return (
        "its events leave every market at its baseline or too close to it to show (too small, "
        "or absorbed by other buyers); --all lists every mineral"
    )
