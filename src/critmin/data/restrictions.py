"""The dated table of export restrictions, 2009 to today, validated like any other input.

The table is curated by hand from the sources each row names (``reference/export_restrictions.csv``
in the package; the sources are listed in ``reference/export_restrictions_SOURCES.md``). Dates are
ISO ``YYYY-MM-DD`` or ``YYYY-MM`` where the sources give only the month.

Columns
-------
``announced``, ``effective``
    When the measure was made public and when it applied (``effective`` is required). For a
    measure older than the sources seen, ``effective`` is the earliest date they attest it in
    force and the ``note`` says so.
``suspended_from``, ``suspended_until``
    A suspension of a measure that is otherwise still on the books (``suspended_until`` empty:
    open-ended).
``lifted``
    The date the measure ended (repealed, expired, replaced); empty while it is in force.
``measure``
    One of :data:`MEASURES`. ``ban aimed at importers`` is a ban on exports to the countries
    named in ``target``.
``target``
    ``all`` (or empty) for a measure on every destination, else the importers' ISO3 codes
    joined by ``;``.
``export_share_covered``
    The fraction (0–1) of the country's exports of the mineral that the measure covered, where
    a source gives it; empty when unknown.
``products``
    HS codes or product descriptions, where ``scope`` does not say enough (optional).

Files written before ``lifted``, ``export_share_covered`` and ``products`` existed are still
read: the missing columns are added empty.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from importlib import resources
from pathlib import Path

import pandas as pd

from critmin.data.catalogue import MINERAL_IDS
from critmin.data.countries import known_iso3
from critmin.data.errors import DataError, Problem
from critmin.data.schema import STAGES

COLUMNS = (
    "id", "announced", "effective", "suspended_from", "suspended_until", "country", "minerals",
    "stage", "measure", "scope", "target", "note", "source", "confidence",
)  # fmt: skip
#: Columns added later; a file without them is read with them empty.
OPTIONAL_COLUMNS = ("lifted", "export_share_covered", "products")
MEASURES = (
    "licensing", "ban", "ban aimed at importers", "technology ban", "quota", "export tax",
)  # fmt: skip
CONFIDENCE = ("H", "M", "L")
_DATE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?$")
_DATES = ("announced", "effective", "suspended_from", "suspended_until", "lifted")


def default_path() -> Path:
    """The curated table shipped with critmin."""
    return Path(str(resources.files("critmin.data") / "reference" / "export_restrictions.csv"))


def read_restrictions(path: Path | None = None) -> pd.DataFrame:
    """Read and validate an export-restrictions table.

    Raises
    ------
    DataError
        For a missing column, a bad or missing date, dates out of order (effective before
        announced, lifted before effective, a suspension ending before it starts), an unknown
        country, target or mineral id, an unknown stage, measure or confidence, a ban aimed at
        importers without named importers, an ``export_share_covered`` outside 0–1, a row
        without a source, or a duplicate id. Each problem names the file, row and field.

    Examples
    --------
    >>> df = read_restrictions()
    >>> df.loc[df.id == "CN-2023-GaGe", ["effective", "minerals"]].iloc[0].tolist()
    ['2023-08-01', 'gallium;germanium']
    >>> df.loc[df.id == "CN-2010-JPN", ["measure", "target", "lifted"]].iloc[0].tolist()
    ['ban aimed at importers', 'JPN', '2010-10-28']
    """
    path = path or default_path()
    label = path.name
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise DataError(
            [Problem(label, 1, c, "a column of the restrictions table") for c in missing]
        )
    for c in OPTIONAL_COLUMNS:
        if c not in df.columns:
            df[c] = ""
    for c in df.columns:
        df[c] = df[c].str.strip()
    problems: list[Problem] = []
    records: list[dict[str, str]] = df.to_dict(orient="records")  # type: ignore[assignment]
    for i, r in enumerate(records, start=2):
        problems.extend(_row_problems(label, i, r))
    if df["id"].duplicated().any():
        dup = df.loc[df["id"].duplicated(), "id"].iloc[0]
        problems.append(Problem(label, None, "id", "unique ids", dup))
    if problems:
        raise DataError(problems)
    return df.replace({"": None})


def _is_date(text: str) -> bool:
    """``YYYY-MM`` or ``YYYY-MM-DD`` naming a real calendar date."""
    if not _DATE.match(text):
        return False
    parts = [int(p) for p in text.split("-")]
    try:
        dt.date(parts[0], parts[1], parts[2] if len(parts) == 3 else 1)
    except ValueError:
        return False
    return True


def _before(a: str, b: str) -> bool:
    """Whether date ``a`` is surely before ``b`` (compared at the coarser of their precisions)."""
    n = min(len(a), len(b))
    return a[:n] < b[:n]


def _row_problems(label: str, i: int, r: dict[str, str]) -> list[Problem]:
    out: list[Problem] = []
    if not r["id"]:
        out.append(Problem(label, i, "id", "a row id", ""))
    good: dict[str, str] = {}
    for col in _DATES:
        if r[col] and not _is_date(r[col]):
            out.append(Problem(label, i, col, "a date YYYY-MM-DD or YYYY-MM", r[col]))
        elif r[col]:
            good[col] = r[col]
    if not r["effective"]:
        out.append(Problem(label, i, "effective", "the date the measure applied", ""))
    order = (
        ("effective", "announced", "a date on or after announced"),
        ("lifted", "effective", "a date on or after effective"),
        ("lifted", "announced", "a date on or after announced"),
        ("suspended_from", "announced", "a date on or after announced"),
        ("suspended_until", "suspended_from", "a date on or after suspended_from"),
    )
    for late, early, expected in order:
        if late in good and early in good and _before(good[late], good[early]):
            out.append(Problem(label, i, late, expected, good[late]))
    if r["suspended_until"] and not r["suspended_from"]:
        out.append(Problem(label, i, "suspended_from", "a start for the suspension", ""))
    if r["country"] not in known_iso3():
        out.append(Problem(label, i, "country", "an ISO3 country code", r["country"]))
    targets = [t for t in r["target"].split(";")] if r["target"] not in ("all", "") else []
    for t in targets:
        if t not in known_iso3() or t == r["country"]:
            out.append(Problem(label, i, "target",
                               "'all' or importers' ISO3 codes joined by ';'", t))  # fmt: skip
    if r["measure"] == "ban aimed at importers" and not targets:
        out.append(Problem(label, i, "target", "the importers the ban is aimed at (ISO3)",
                           r["target"]))  # fmt: skip
    for m in r["minerals"].split(";"):
        if m not in MINERAL_IDS:
            out.append(Problem(label, i, "minerals", "mineral ids joined by ';'", m))
    if r["stage"] not in STAGES:
        out.append(Problem(label, i, "stage", f"one of {STAGES}", r["stage"]))
    if r["measure"] not in MEASURES:
        out.append(Problem(label, i, "measure", f"one of {MEASURES}", r["measure"]))
    if r["confidence"] not in CONFIDENCE:
        out.append(Problem(label, i, "confidence", f"one of {CONFIDENCE}", r["confidence"]))
    share = r["export_share_covered"]
    if share:
        try:
            v = float(share)
        except ValueError:
            v = math.nan
        if not 0.0 <= v <= 1.0:  # also catches NaN
            out.append(Problem(label, i, "export_share_covered",
                               "a fraction from 0 to 1, or empty if unknown", share))  # fmt: skip
    if not r["source"]:
        out.append(Problem(label, i, "source", "the publication the row comes from", ""))
    return out
