"""``critmin data``: build, import, validate and list the data critmin runs on."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from critmin.analysis.frames import records
from critmin.cli.common import FormatOpt, err, handles_errors
from critmin.cli.output import Format, render

app = typer.Typer(help="Build, import, validate and list the data critmin runs on.",
                  no_args_is_help=True)  # fmt: skip


@app.command("coverage")
@handles_errors
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


@app.command("build")
@handles_errors
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
    report = build(raw, out or default_dir(), ref if ref.exists() else None)
    df = pd.DataFrame({"table": list(report.rows), "rows": list(report.rows.values())})
    render(df, fmt, title=f"Built {report.out} in {report.seconds:.1f} s")
    if report.quality and fmt is Format.table:
        render(pd.DataFrame(report.quality), fmt, title="Data-quality notes")


@app.command("import")
@handles_errors
def data_import(
    path: Annotated[
        Path, typer.Argument(help="a raw file: USGS CSV, WGI or IEA xlsx, WMD/BACI db")
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            help="write the tidy rows to .csv or .parquet (a file that feeds several tables: "
            "one file per table, <stem>.<table><suffix>)"
        ),
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Import one raw file into tidy rows with provenance (e.g. next year's USGS release)."""
    from critmin.data.importers import import_file

    tables = import_file(path)
    if out is not None:
        from critmin.data.importers import write_tables

        # Every table the file feeds (the USGS long file, the IEA workbook and World Mining
        # Data feed several): one file each beside --out, all or none.
        for name, target in write_tables(tables, out).items():
            err.print(f"wrote {len(tables[name])} rows of {name} to {target}")
        return
    if fmt is Format.table:
        for name, df in tables.items():
            render(df.head(200), fmt, title=f"{name}: {len(df)} rows")
        return
    # One document for scripts, even from a file that feeds several tables (the USGS long
    # file, the IEA workbook, World Mining Data): each row says its table and has that
    # table's keys only (docs/cli-json.md).
    if fmt is Format.json:
        rows = [{"table": name, **r} for name, df in tables.items() for r in records(df)]
        sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
        return
    frames = [df.assign(table=name)[["table", *df.columns]] for name, df in tables.items()]
    render(pd.concat(frames, ignore_index=True), fmt)


@app.command("validate")
@handles_errors
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


@app.command("sources")
@handles_errors
def data_sources(fmt: FormatOpt = Format.table) -> None:
    """The sources of the embedded dataset: publication, edition, rows, files, citation."""
    from critmin import load
    from critmin.data.sources import sources_table

    render(sources_table(load()), fmt, title="Sources of the embedded dataset")
