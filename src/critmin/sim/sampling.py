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
    # One compiled pass (critmin.sim.draw_kernels), the arithmetic of
    #   width = hi − lo; safe = width where width > 0 else 1; cut = (mode − lo) / safe
    #   lo + √(u × safe × (mode − lo)) where u < cut else hi − √((1 − u) × safe × (hi − mode))
    #   (lo where width ≤ 0), element by element: no temporary arrays.
    from critmin.sim.draw_kernels import triangular_ufunc  # numba loads on first use

    # The vectorised loop may compute a lane's (mode − lo) / width ahead of the choice, 0/0
    # where width is 0: the result does not use it, but the flag would raise a warning.
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(triangular_ufunc.ufunc(u, low, mode, high))
