"""The dated table of export restrictions (REFERENCE §5.5), validated like any other input.

The table is curated by hand from the sources each row names (``reference/export_restrictions.csv``
in the package). Dates are ISO ``YYYY-MM-DD`` or ``YYYY-MM`` where the sources give only the month.
"""

from __future__ import annotations

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
MEASURES = ("licensing", "ban", "technology ban", "quota", "export tax")
_DATE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")


def default_path() -> Path:
    """The curated table shipped with critmin."""
    return Path(str(resources.files("critmin.data") / "reference" / "export_restrictions.csv"))


def read_restrictions(path: Path | None = None) -> pd.DataFrame:
    """Read and validate an export-restrictions table.

    Raises
    ------
    DataError
        For a missing column, a bad date, an unknown country or mineral id, an unknown stage
        or measure, a row without a source, or an effective date before its announcement.

    Examples
    --------
    >>> df = read_restrictions()
    >>> df.loc[df.id == "CN-2023-GaGe", ["effective", "minerals"]].iloc[0].tolist()
    ['2023-08-01', 'gallium;germanium']
    """
    path = path or default_path()
    label = path.name
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise DataError(
            [Problem(label, 1, c, "a column of the restrictions table") for c in missing]
        )
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


def _row_problems(label: str, i: int, r: dict[str, str]) -> list[Problem]:
    out: list[Problem] = []
    for col in ("announced", "effective", "suspended_from", "suspended_until"):
        if r[col] and not _DATE.match(r[col]):
            out.append(Problem(label, i, col, "a date YYYY-MM-DD or YYYY-MM", r[col]))
    dates_ok = all(_DATE.match(r[c]) for c in ("announced", "effective"))
    if dates_ok and r["effective"] < r["announced"]:
        out.append(Problem(label, i, "effective", "a date on or after announced", r["effective"]))
    if r["country"] not in known_iso3():
        out.append(Problem(label, i, "country", "an ISO3 country code", r["country"]))
    if r["target"] not in ("all", "") and r["target"] not in known_iso3():
        out.append(Problem(label, i, "target", "'all' or an ISO3 code", r["target"]))
    for m in r["minerals"].split(";"):
        if m not in MINERAL_IDS:
            out.append(Problem(label, i, "minerals", "mineral ids joined by ';'", m))
    if r["stage"] not in STAGES:
        out.append(Problem(label, i, "stage", f"one of {STAGES}", r["stage"]))
    if r["measure"] not in MEASURES:
        out.append(Problem(label, i, "measure", f"one of {MEASURES}", r["measure"]))
    if not r["source"].strip():
        out.append(Problem(label, i, "source", "the publication the row comes from", ""))
    return out
