"""Where a company's own material comes from: suppliers' smelter reports → exposure."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd


@dataclass(frozen=True)
class SmelterReports:
    """The smelter rows of suppliers' CMRT/EMRT workbooks and what the reader warned about."""

    smelters: pd.DataFrame
    warnings: list[str]


@dataclass(frozen=True)
class SourcingLists:
    """The optional audited (conformant) and concern lists, and the covered countries."""

    conformant: pd.DataFrame | None = None
    concern: pd.DataFrame | None = None
    covered: frozenset[str] | None = None


def read_smelter_reports(files: list[Path]) -> SmelterReports:
    """Read suppliers' CMRT 6.x / EMRT 2.x workbooks into one table of smelter rows.

    Raises
    ------
    DataError
        A file that is not a readable template, naming the file, sheet row and field.
    """
    from critmin.sourcing.templates import import_files

    smelters, warnings = import_files(files)
    return SmelterReports(smelters, list(warnings))


def sourcing_lists(
    conformant: Path | None = None, concern: Path | None = None, covered: Path | None = None
) -> SourcingLists:
    """Load the lists a user gives (the covered countries default to Dodd-Frank 1502's)."""
    from critmin.sourcing.registry import load_concern, load_conformant, load_covered

    return SourcingLists(
        conformant=load_conformant(conformant) if conformant else None,
        concern=load_concern(concern) if concern else None,
        covered=load_covered(covered),
    )


def sourcing_exposure(
    smelters: pd.DataFrame, lists: SourcingLists | None = None, metal: str | None = None
) -> pd.DataFrame:
    """Per metal: distinct smelters, their countries and the shares raising flags."""
    from critmin.sourcing.exposure import exposure

    lists = lists or SourcingLists()
    return exposure(smelters, conformant=lists.conformant, concern=lists.concern,
                    covered=lists.covered, metal=metal)  # fmt: skip


def due_diligence(smelters: pd.DataFrame, lists: SourcingLists | None = None) -> pd.DataFrame:
    """Red flags per supplier and metal."""
    from critmin.sourcing.exposure import due_diligence as dd

    lists = lists or SourcingLists()
    return dd(smelters, conformant=lists.conformant, concern=lists.concern,
              covered=lists.covered)  # fmt: skip


def smelters_touched(smelters: pd.DataFrame, scenario: Path) -> pd.DataFrame:
    """The reported smelters a scenario's events hit."""
    from critmin.sourcing.exposure import touched_by

    return touched_by(smelters, scenario)


def with_touched(due: pd.DataFrame, touched: pd.DataFrame) -> pd.DataFrame:
    """Due-diligence rows with the smelters a scenario touches (``touched``: the smelter rows
    of :func:`smelters_touched`): ``touched`` (how many distinct smelters of the supplier and
    metal) and ``touched_smelters`` (``name (ISO3): events``, ``; ``-joined; empty when none).

    Examples
    --------
    >>> due = pd.DataFrame({"supplier": ["A", "A"], "metal": ["tin", "gold"]})
    >>> hit = pd.DataFrame({"supplier": ["A"], "file": ["a.xlsx"], "row": [6], "metal": ["tin"],
    ...                     "smelter_id": ["CID001070"], "smelter_name": ["Yunnan Tin"],
    ...                     "country": ["CHN"], "events": ["export_restriction 2027-01"]})
    >>> with_touched(due, hit)[["touched", "touched_smelters"]].values.tolist()
    [[1, 'Yunnan Tin (CHN): export_restriction 2027-01'], [0, '']]
    """
    from critmin.sourcing.registry import smelter_keys

    counts: dict[tuple[str, str], int] = {}
    names: dict[tuple[str, str], list[str]] = {}
    seen: set[tuple[str, str, str]] = set()
    keys: list[str] = smelter_keys(touched).tolist() if len(touched) else []
    for key, (_, r) in zip(keys, touched.iterrows(), strict=True):
        pair = (str(r["supplier"]), str(r["metal"]))
        if (*pair, key) in seen:  # a smelter listed twice by one supplier counts once
            continue
        seen.add((*pair, key))
        counts[pair] = counts.get(pair, 0) + 1
        names.setdefault(pair, []).append(
            f"{r['smelter_name'] or r['smelter_id']} ({r['country']}): {r['events']}"
        )
    pairs = list(zip(due["supplier"].astype(str), due["metal"].astype(str), strict=True))
    return due.assign(
        touched=[counts.get(p, 0) for p in pairs],
        touched_smelters=["; ".join(names.get(p, [])) for p in pairs],
    )
