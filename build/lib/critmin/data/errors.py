"""Errors raised on bad input: each names the file, the row and the field, and what was expected."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Problem:
    """One problem found in an input file.

    ``row`` is the 1-based physical line of a CSV file (the header is line 1) or the 1-based
    spreadsheet row of a workbook; ``None`` when the problem concerns the whole file.
    """

    file: str
    row: int | None
    field: str | None
    expected: str
    got: str = ""

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.field:
            where += f", field {self.field!r}"
        got = f"; got {self.got!r}" if self.got != "" else ""
        return f"{where}: expected {self.expected}{got}"


@dataclass
class DataError(Exception):
    """Raised when an input file cannot be imported as it is.

    Carries every :class:`Problem` found, so a user fixes a file in one pass.

    Examples
    --------
    >>> err = DataError([Problem("a.csv", 3, "Country", "a country name", "Atlantis")])
    >>> print(err)
    a.csv, row 3, field 'Country': expected a country name; got 'Atlantis'
    """

    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


def fail(file: str, row: int | None, fld: str | None, expected: str, got: object = "") -> DataError:
    """Build a :class:`DataError` with a single problem (``raise fail(...)``)."""
    return DataError([Problem(file, row, fld, expected, str(got))])
