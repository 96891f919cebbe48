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
