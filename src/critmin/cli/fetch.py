"""``critmin data fetch``: download a named release into the raw-data folder, checked."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from critmin.cli.common import FormatOpt, err, handles_errors, refuse
from critmin.cli.output import Format, render


@handles_errors
def data_fetch(
    name: Annotated[str, typer.Argument(help="release: usgs-mcs or wgi")],
    year: Annotated[int | None, typer.Option(help="edition (default: the newest recorded)")] = None,
    to: Annotated[
        Path, typer.Option("--to", help="raw-data folder (the one `data build --raw` reads)")
    ] = Path("../shared/data/raw"),
    url: Annotated[
        str | None,
        typer.Option(help="download from here instead: a base URL or a template with {file}"),
    ] = None,
    registry: Annotated[
        Path | None, typer.Option(help="a releases YAML file instead of the shipped one")
    ] = None,
    timeout: Annotated[float, typer.Option(help="seconds to wait for the server")] = 60.0,
    fmt: FormatOpt = Format.table,
) -> None:
    """Download a release (e.g. USGS MCS 2026) where `data build` finds it, checking every
    file's recorded SHA-256/MD5/size; all or nothing, and one line if offline."""
    from critmin.data.fetch import FetchError, edition, fetch_release, read_registry

    try:
        reg = read_registry(registry)
        y, ed = edition(reg, name, year)
        err.print(f"fetching {name} {y} into {to / ed.folder}", highlight=False)
        got = fetch_release(name, to, y, url=url, registry=reg, timeout=timeout)
    except FetchError as e:
        raise refuse(str(e), e.code) from None
    df = pd.DataFrame(
        {
            "file": [g.file for g in got],
            "status": [g.status for g in got],
            "bytes": [g.bytes for g in got],
            "sha256": [g.sha256 for g in got],
            "path": [str(g.path) for g in got],
            "url": [g.url for g in got],
        }
    )
    if fmt is Format.table:
        df = df.drop(columns=["url", "path"]).assign(sha256=df["sha256"].str[:16])
    render(df, fmt, title=f"{name} {y}: checked against the recorded checksums",
           caption=f"Cite: {' '.join(ed.citation.split())}")  # fmt: skip
