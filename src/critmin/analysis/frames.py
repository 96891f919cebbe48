"""Frames as JSON-ready records: one conversion for the CLI's JSON and the API's bodies."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd


def plain(v: Any) -> Any:
    """A cell as a JSON value: numpy scalars → Python, NaN/NA/±inf → None.

    Examples
    --------
    >>> import numpy as np
    >>> plain(np.float64(0.5)), plain(float("nan")), plain(pd.NA), plain(float("inf"))
    (0.5, None, None, None)
    """
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if hasattr(v, "item") and not isinstance(v, str | bytes):
        try:
            v = v.item()
        except (ValueError, TypeError):
            return str(v)
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    return v


def json_safe(obj: Any) -> Any:
    """``obj`` with non-finite floats as None, recursively (JSON has no NaN or Infinity).

    Examples
    --------
    >>> json_safe({"a": [1.0, float("nan")], "b": float("inf")})
    {'a': [1.0, None], 'b': None}
    """
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    if hasattr(obj, "item") and callable(obj.item):
        return json_safe(obj.item())
    return obj


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (column names as keys, missing values as None).

    Examples
    --------
    >>> records(pd.DataFrame({"a": [1, 2], "b": [0.5, float("nan")]}))
    [{'a': 1, 'b': 0.5}, {'a': 2, 'b': None}]
    """
    return [{str(k): plain(v) for k, v in row.items()} for row in df.to_dict(orient="records")]


#: A spreadsheet reads a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutral(v: Any) -> Any:
    """A text cell a spreadsheet will not run: prefixed with ``'`` when it starts like a
    formula. Numbers and other values pass unchanged.

    Examples
    --------
    >>> neutral("=HYPERLINK(\\"http://x\\")"), neutral("+cmd|' /C calc'!A0"), neutral(-5.0)
    ('\\'=HYPERLINK("http://x")', "'+cmd|' /C calc'!A0", -5.0)
    >>> neutral("Congo (Kinshasa)")
    'Congo (Kinshasa)'
    """
    if isinstance(v, str) and v.startswith(FORMULA_START):
        return "'" + v
    return v


def for_spreadsheet(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every text cell (and column name) neutralised for CSV and XLSX outputs:
    supplier, smelter or product names from a user's files never become live formulas."""
    out = df.copy()
    out.columns = [neutral(str(c)) for c in out.columns]
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].map(neutral)
    return out
