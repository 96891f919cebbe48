"""``critmin sourcing`` (suppliers' smelter reports) and ``critmin trace`` (chain of custody)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from critmin.analysis import sourcing as uc
from critmin.analysis.frames import for_spreadsheet
from critmin.cli.common import FormatOpt, err, handles_errors, refuse
from critmin.cli.output import Format, render

app = typer.Typer(help="Responsible sourcing: supplier CMRT/EMRT smelter reports.",
                  no_args_is_help=True)  # fmt: skip

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


def _read(files: list[Path]) -> pd.DataFrame:
    reports = uc.read_smelter_reports(files)
    for w in reports.warnings:
        err.print(f"[yellow]warning:[/] {w}", highlight=False)
    return reports.smelters


@app.command("import")
@handles_errors
def sourcing_import(
    files: FilesArg,
    out: Annotated[Path | None, typer.Option("--out", help="write the smelter rows as CSV")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Read supplier CMRT/EMRT templates into one table of smelter rows."""
    smelters = _read(files)
    if out is not None:
        for_spreadsheet(smelters).to_csv(out, index=False)
    cols = ["supplier", "template", "metal", "smelter_id", "smelter_name", "country",
            "mine_country", "flag"]  # fmt: skip
    render(smelters[cols] if fmt is Format.table else smelters, fmt, title="Smelters reported")


@app.command("exposure")
@handles_errors
def sourcing_exposure(
    files: FilesArg,
    metal: Annotated[str | None, typer.Option("--metal", help="one metal only")] = None,
    conformant: ConformantOpt = None,
    concern: ConcernOpt = None,
    covered: CoveredOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Per metal: distinct smelters, their countries and the shares raising flags."""
    smelters = _read(files)
    lists = uc.sourcing_lists(conformant, concern, covered)
    render(uc.sourcing_exposure(smelters, lists, metal), fmt, title="Smelter exposure by metal")


@app.command("report")
@handles_errors
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
    smelters = _read(files)
    dd = uc.due_diligence(smelters, uc.sourcing_lists(conformant, concern, covered))
    touched = uc.smelters_touched(smelters, scenario) if scenario is not None else None
    if touched is not None and fmt is not Format.table:
        # One list for scripts: the smelters a scenario hits join their supplier and metal's
        # row (two lists one after the other would not be one JSON document or one CSV).
        dd = uc.with_touched(dd, touched)
    render(dd, fmt, title="Due diligence: red flags by supplier and metal")
    if touched is not None and fmt is Format.table:
        cols = ["supplier", "metal", "smelter_id", "smelter_name", "country", "events"]
        render(touched[cols], fmt, title=f"Smelters touched by {scenario}")


# --- trace: the chain of custody (critmin.sourcing.ledger) ---------------------------------
trace_app = typer.Typer(help="Chain of custody: append lot records, show provenance, verify.",
                        no_args_is_help=True)  # fmt: skip
TraceDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="ledger in critmin.db (default: $CRITMIN_DATA_DIR or ~/.critmin)"
    ),
]
_TRACE_COLUMNS = ["seq", "kind", "lots", "site", "created", "hash"]


@trace_app.command("add")
@handles_errors
def trace_add(
    path: Annotated[Path, typer.Argument(help="a YAML or JSON file: one record or a list")],
    data_dir: TraceDirOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Append one record (or a list, all or nothing) to the ledger; print the entries."""
    from critmin.analysis.custody import append_records, read_records

    recs = read_records(path)
    where, entries = append_records(recs, data_dir)
    df = pd.DataFrame([e.row() for e in entries], columns=_TRACE_COLUMNS)
    render(df, fmt, title=f"Appended to the ledger in {where}")


@trace_app.command("show")
@handles_errors
def trace_show(
    lot: Annotated[str | None, typer.Argument(help="a lot id: show its provenance")] = None,
    data_dir: TraceDirOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """The ledger, or one lot's provenance back to the mines with its documents."""
    from critmin.analysis.custody import ledger_entries, lot_provenance

    if lot is None:
        where, entries = ledger_entries(data_dir)
        df = pd.DataFrame([e.row() for e in entries], columns=_TRACE_COLUMNS)
        render(df, fmt, title=f"Chain-of-custody ledger in {where}")
        return
    df = pd.DataFrame(lot_provenance(lot, data_dir))
    df["inputs"] = [", ".join(f"{i['lot']}:{i['kg']}" for i in v) for v in df["inputs"]]
    df["documents"] = [", ".join(f"{d['name']}:{d['sha256'][:12]}" for d in v)
                       for v in df["documents"]]  # fmt: skip
    df["events"] = [", ".join(str(seq) for seq in v) for v in df["events"]]
    df = df.drop(columns=["events", "hash"] if fmt is Format.table else [])
    render(df, fmt, title=f"Provenance of lot {lot}")


@trace_app.command("verify")
@handles_errors
def trace_verify(data_dir: TraceDirOpt = None, fmt: FormatOpt = Format.table) -> None:
    """Recompute the hash chain: exit 0 and 'intact', or exit 1 listing the problems."""
    from critmin.analysis.custody import verify_ledger

    n, problems = verify_ledger(data_dir)
    if not problems:
        if fmt is Format.table:
            typer.echo(f"intact ({n} entries)")
        else:
            render(pd.DataFrame(columns=["seq", "kind", "detail"]), fmt)
        return
    df = pd.DataFrame([{"seq": p.seq, "kind": p.kind, "detail": p.detail} for p in problems])
    render(df, fmt, title="Ledger problems: the chain has been tampered with")
    raise typer.Exit(1)


__all__ = ["app", "refuse", "trace_app"]
