"""Questions critmin cannot answer as asked."""

from __future__ import annotations

from typing import Literal

Kind = Literal["unknown", "invalid", "insufficient data"]


class QueryError(ValueError):
    """A question that cannot be answered as asked.

    ``kind`` tells the faces how to report it: ``unknown`` (a name critmin does not know: the
    CLI exits 2, the API answers 404), ``invalid`` (an option out of its range: exit 2, 422) or
    ``insufficient data`` (no source gives the figure: exit 1, 404). ``field`` names the option.

    Examples
    --------
    >>> e = QueryError("unknown mineral 'kryptonite'", "unknown", "mineral")
    >>> str(e), e.kind, e.field
    ("unknown mineral 'kryptonite'", 'unknown', 'mineral')
    """

    def __init__(self, message: str, kind: Kind = "invalid", field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.kind: Kind = kind
        self.field = field

    def __str__(self) -> str:
        return self.message
