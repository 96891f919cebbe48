"""Parsing the cells of USGS-style tables: numbers, withheld values, bounds, footnotes.

A cell becomes a :class:`Cell`: a value (or NaN), a status and, for bounds, the bound.
``W`` (withheld to avoid disclosing company data) is a status, never zero; ``NA`` is missing;
``>50`` and ``<1`` are bounds kept as such; ``e`` glued to a number marks an estimate.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

#: The statuses a figure can have. ``modelled`` is reserved for values critmin computes.
STATUSES = (
    "reported",
    "estimated",
    "withheld",
    "missing",
    "bound",
    "net_exporter",
    "included_elsewhere",  # "Included in World total.", "Included with ilmenite"
    "qualitative",  # "Large", "Very small": a word, not a number
    "modelled",
)

_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")
_RANGE = re.compile(r"^(?P<lo>[\d,.]+)\s*(–|-|—|to)\s*(?P<hi>[\d,.]+)$")
_INCLUDED = re.compile(r"^included (in|with)\b", re.IGNORECASE)
_QUALITATIVE = re.compile(
    r"^(very small|small|large|very large|negligible|categorized as \W?\w+\W?)\.?$", re.IGNORECASE
)
_HALF_UNIT = re.compile(r"^less than (½|1/2|0\.5) unit\.?$", re.IGNORECASE)
_MISSING = {"", "na", "n/a", "--", "—", "–", "-", "nan", "xx", ".."}


@dataclass(frozen=True)
class Cell:
    """A parsed table cell.

    ``value`` is NaN unless the cell holds a number; ``low``/``high`` carry bounds and ranges.
    """

    value: float
    status: str
    low: float = math.nan
    high: float = math.nan
    text: str = ""


class CellError(ValueError):
    """A cell holds text where a number (or a recognised code) is expected."""


def _num(text: str) -> float:
    return float(text.replace(",", ""))


def parse_cell(text: object, *, estimated: bool = False) -> Cell:
    """Parse one cell of a USGS table.

    Parameters
    ----------
    text
        The cell as read (``None`` and NaN count as empty).
    estimated
        True when the column itself is an estimate (``Prod_t_est_2023``): reported numbers
        in it get the status ``estimated``.

    Returns
    -------
    Cell

    Raises
    ------
    CellError
        When the cell holds text that is neither a number nor a recognised code.

    Examples
    --------
    >>> parse_cell('"1,100,000"'.strip('"'))
    Cell(value=1100000.0, status='reported', low=nan, high=nan, text='1,100,000')
    >>> parse_cell("W").status
    'withheld'
    >>> c = parse_cell(">50"); (c.status, c.low, c.value)
    ('bound', 50.0, nan)
    >>> parse_cell("e150").status, parse_cell("e150").value
    ('estimated', 150.0)
    >>> parse_cell("1230 ").value
    1230.0
    >>> parse_cell("Included in World total.").status, parse_cell("Large").status
    ('included_elsewhere', 'qualitative')
    >>> parse_cell("Less than ½ unit.").high
    0.5
    >>> parse_cell("abc")
    Traceback (most recent call last):
    ...
    critmin.data.cells.CellError: a number, W, NA, a bound or a range, got 'abc'

    """
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return Cell(math.nan, "missing", text="")
    if isinstance(text, int | float):
        return Cell(float(text), "estimated" if estimated else "reported", text=str(text))
    raw = str(text)
    s = raw.strip().replace("\u00a0", " ").strip()
    base = "estimated" if estimated else "reported"
    if s.lower() in _MISSING:
        return Cell(math.nan, "missing", text=raw)
    if s.upper() == "W":
        return Cell(math.nan, "withheld", text=raw)
    if _INCLUDED.match(s):
        return Cell(math.nan, "included_elsewhere", text=raw)
    if _QUALITATIVE.match(s):
        return Cell(math.nan, "qualitative", text=raw)
    if _HALF_UNIT.match(s):
        return Cell(math.nan, "bound", low=0.0, high=0.5, text=raw)
    if s.upper() == "E":
        # USGS: "E" in a net-import-reliance column means net exporter.
        return Cell(math.nan, "net_exporter", text=raw)
    if s[:1] in "<>":
        inner = s[1:].strip().lstrip("=").strip()
        if not _NUMBER.match(inner):
            raise CellError(f"a bound such as '>50' or '<1', got {raw!r}")
        bound = _num(inner)
        if s[0] == ">":
            return Cell(math.nan, "bound", low=bound, text=raw)
        return Cell(math.nan, "bound", low=0.0, high=bound, text=raw)
    m = _RANGE.match(s)
    if m:
        try:
            lo, hi = _num(m["lo"]), _num(m["hi"])
        except ValueError as exc:
            raise CellError(f"a range such as '500–14,000', got {raw!r}") from exc
        return Cell(math.nan, "bound", low=lo, high=hi, text=raw)
    if s[:1].lower() == "e" and _NUMBER.match(s[1:].strip()):
        return Cell(_num(s[1:].strip()), "estimated", text=raw)
    if _NUMBER.match(s):
        return Cell(_num(s), base, text=raw)
    raise CellError(f"a number, W, NA, a bound or a range, got {raw!r}")
