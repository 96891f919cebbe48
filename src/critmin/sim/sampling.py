"""Sampling helpers shared by the parameter draws and the event draws."""

from __future__ import annotations

import numpy as np


def triangular(
    u: np.ndarray, low: np.ndarray | float, mode: np.ndarray | float, high: np.ndarray | float
) -> np.ndarray:
    """Inverse CDF of the triangular distribution (a point when low == high).

    Examples
    --------
    >>> triangular(np.array([0.0, 0.5, 1.0]), 0.0, 0.5, 1.0).tolist()
    [0.0, 0.5, 1.0]
    >>> triangular(np.array([0.3]), 2.0, 2.0, 2.0).tolist()
    [2.0]
    """
    lo, mo, hi = (np.asarray(x, dtype=float) for x in (low, mode, high))
    width = hi - lo
    safe = np.where(width > 0, width, 1.0)
    cut = (mo - lo) / safe
    left = lo + np.sqrt(u * safe * (mo - lo))
    right = hi - np.sqrt((1.0 - u) * safe * (hi - mo))
    out = np.where(u < cut, left, right)
    return np.where(width > 0, out, lo)
