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


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (column names as keys, missing values as None).

    Examples
    --------
    >>> records(pd.DataFrame({"a": [1, 2], "b": [0.5, float("nan")]}))
    [{'a': 1, 'b': 0.5}, {'a': 2, 'b': None}]
    """
    return [{str(k): plain(v) for k, v in row.items()} for row in df.to_dict(orient="records")]
