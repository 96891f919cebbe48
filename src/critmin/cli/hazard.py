"""``critmin hazard``: the fitted export-restriction hazards, their backtest and their refit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from critmin.analysis.hazard import (
    alignment_table,
    hazard_backtest,
    refit_hazards,
    restriction_hazards,
)
from critmin.cli.common import FormatOpt, handles_errors
from critmin.cli.output import Format, render

app = typer.Typer(help="Export-restriction hazards fitted to every country's record.",
                  no_args_is_help=True)  # fmt: skip


@app.command("show")
@handles_errors
def show(
    country: Annotated[str | None, typer.Option(help="ISO3 code (default: every producer)")] = None,
    mineral: Annotated[str | None, typer.Option(help="mineral id (default: all)")] = None,
    bloc: Annotated[str, typer.Option(help="importing bloc (ISO3 or region)")] = "OECD",
    min_share: Annotated[float, typer.Option(help="least share of world output")] = 0.05,
    fmt: FormatOpt = Format.table,
) -> None:
    """Fitted annual probability of a new restriction per country and mineral (5–95 %)."""
    df = restriction_hazards(country=country, mineral=mineral, bloc=bloc, min_share=min_share)
    if fmt is Format.table:
        df = df.round({c: 4 for c in df.columns if c.startswith("p_")} | {"bans_quotas": 2})
    render(df, fmt, title=f"Annual probability of a new export restriction (against {bloc})")


@app.command("backtest")
@handles_errors
def backtest(
    fit_until: Annotated[int, typer.Option(help="last year of the record fitted")] = 2019,
    last_year: Annotated[int, typer.Option(help="last year predicted")] = 2025,
    draws: Annotated[int, typer.Option(help="bootstrap draws")] = 50,
    seed: Annotated[int, typer.Option(help="random seed")] = 2026,
    fmt: FormatOpt = Format.table,
) -> None:
    """Fit to a year, predict the following years: counts with 90 % predictive intervals."""
    df = hazard_backtest(fit_until, last_year, draws=draws, seed=seed)
    if fmt is Format.table:
        df = df.round({"predicted": 1, "low": 1, "high": 1})
    render(df, fmt, title=f"Hazard backtest: fitted to {fit_until}, new restrictions "
           f"{fit_until + 1}-{last_year} (country x mineral)")  # fmt: skip


@app.command("fit")
@handles_errors
def fit(
    out: Annotated[Path, typer.Option(help="where to write the fit table (CSV)")],
    fit_until: Annotated[int, typer.Option(help="last year of the record fitted")] = 2025,
    draws: Annotated[int, typer.Option(help="bootstrap draws")] = 100,
    seed: Annotated[int, typer.Option(help="random seed")] = 2026,
    fmt: FormatOpt = Format.table,
) -> None:
    """Refit the hazard model (the shipped src/critmin/sim/hazard_fit.csv is made by
    ``critmin hazard fit --out src/critmin/sim/hazard_fit.csv``)."""
    render(refit_hazards(out, fit_until, draws=draws, seed=seed), fmt, title=f"wrote {out}")


@app.command("alignment")
@handles_errors
def alignment(
    raw: Annotated[Path, typer.Option(help="the unga-voting raw folder")],
    out: Annotated[Path, typer.Option(help="where to write the table (CSV)")],
    fmt: FormatOpt = Format.table,
) -> None:
    """Rebuild the UNGA alignment table (src/critmin/data/reference/unga_alignment.csv)."""
    n = alignment_table(raw, out)
    render(pd.DataFrame({"file": [str(out)], "rows": [n]}), fmt, title="UNGA alignment table")
