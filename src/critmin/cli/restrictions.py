"""``critmin restrictions``: the export-restriction record and its status on a date."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

import pandas as pd
import typer

from critmin.analysis import restrictions as uc
from critmin.cli.common import FormatOpt, handles_errors
from critmin.cli.output import Format, render

#: Width of the shortened source in the terminal table.
SOURCE_WIDTH = 24
#: Where a source's publisher ends: a comma, a parenthesis, a quoted title, "announcement".
_PUBLISHER_END = re.compile(r",| \(| '| [Aa]nnouncement| via | Press Release")

#: Short headers of the summary's terminal table.
SUMMARY_HEADERS = {"measures": "n", "suspended": "susp.", "announced": "ann.",
                   "first_effective": "first", "last_effective": "last"}  # fmt: skip


class By(StrEnum):
    """Groupings of ``critmin restrictions --by``."""

    country = "country"


def short_source(text: object) -> str:
    """The first source's publisher and how many more sources the row names.

    Examples
    --------
    >>> short_source("Reuters, 'Indonesia eases ban', 12 Jan 2017 (via X; Y); Xinhua, 2 Feb 2017")
    'Reuters +1'
    >>> short_source("MOFCOM/GAC announcement of 4 Feb 2025 (critmin REFERENCE §5.5)")
    'MOFCOM/GAC'
    >>> short_source("International Tin Association and Metal Bulletin of 2008")
    'International Tin Assoc…'
    """
    if not isinstance(text, str) or not text:
        return "—"
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += (ch == "(") - (ch == ")")
        if ch == ";" and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    first = _PUBLISHER_END.split(parts[0], maxsplit=1)[0].strip()
    if len(first) > SOURCE_WIDTH:
        first = first[: SOURCE_WIDTH - 1].rstrip() + "…"
    more = len([p for p in parts[1:] if p.strip()])
    return f"{first} +{more}" if more else first


def _status(row: dict[str, object]) -> str:
    """The status with the date that ends it, where the table gives one."""
    status = str(row["status"])
    if status == "lifted":
        return f"lifted {row['lifted']}"
    if status == "suspended":
        return (
            f"suspended to {row['suspended_until']}"
            if row["suspended_until"]
            else "suspended (no end date)"
        )
    if status == "in force" and row["lifted"]:
        return f"in force to {row['lifted']}"
    return status


def _measure(row: dict[str, object]) -> str:
    """The measure, with the importers it is aimed at when it is not on every destination."""
    m, target = str(row["measure"]), str(row["target"] or "all")
    if target == "all":
        return m
    targets = target.replace(";", ", ")
    return f"ban on {targets}" if m == "ban aimed at importers" else f"{m} ({targets})"


def table_view(df: pd.DataFrame) -> pd.DataFrame:
    """The record as a terminal reads it: short columns, the first source's publisher."""
    rows = [
        {str(k): v for k, v in r.items()}
        for r in df.astype(object).where(df.notna(), None).to_dict("records")
    ]
    return pd.DataFrame(
        {
            "id": df["id"],
            "status": [_status(r) for r in rows],
            "country": df["country"],
            "minerals": df["minerals"].str.replace(";", ", "),
            "measure": [_measure(r) for r in rows],
            "effective": df["effective"],
            "conf": df["confidence"],
            "source": df["source"].map(short_source),
        }
    )


@handles_errors
def restrictions(
    country: Annotated[
        str | None, typer.Option(help="restricting country, ISO3 (e.g. CHN)")
    ] = None,
    mineral: Annotated[str | None, typer.Option(help="mineral id, e.g. gallium")] = None,
    as_of: Annotated[
        str | None, typer.Option(help="date of the status, YYYY-MM-DD (default: today)")
    ] = None,
    measure: Annotated[
        str | None,
        typer.Option(
            help="licensing, ban, 'ban aimed at importers', 'technology ban', quota or 'export tax'"
        ),
    ] = None,
    by: Annotated[
        By | None, typer.Option(help="summary: counts by country and measure type")
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Export restrictions since 2009 with their status on a date, newest first, with sources."""
    if by is not None:
        s = uc.restrictions_summary(by.value, country, mineral, as_of, measure)
        if fmt is not Format.table:
            render(s, fmt)
            return
        day = s["as_of"].iloc[0] if len(s) else (as_of or "today")
        view = s.drop(columns=["ids", "as_of"]).rename(columns=SUMMARY_HEADERS)
        render(
            view.assign(minerals=s["minerals"].str.replace(";", ", ")),
            fmt,
            title=f"Export restrictions by {by.value} and measure type, status on {day}",
            caption="n: measures; first, last: earliest and latest effective date. "
            "`--format json` adds the row ids.",
        )
        return
    df = uc.export_restrictions(country, mineral, as_of, measure)
    if fmt is not Format.table:
        render(df, fmt)
        return
    day = df["as_of"].iloc[0] if len(df) else (as_of or "today")
    render(
        table_view(df),
        fmt,
        title=f"Export restrictions, status on {day}",
        caption="conf: H official text or several major outlets agree, M one outlet, secondary "
        "sources or a date bound. `--format json` gives every column: scope, products, "
        "share of exports covered, notes and the full sources.",
    )
