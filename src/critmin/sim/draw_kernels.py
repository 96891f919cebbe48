"""Compiled loops of the draws (numba): the fitted hazards' start test and measure stacking.

Each kernel does, element by element, exactly the arithmetic of the NumPy expressions it
replaces (multiplications, comparisons, ``max``/``min``: all exactly rounded), so the draws
are bit-identical to the array code's; the transcendental functions (``exp``, ``expm1``,
``log1p``) stay in NumPy, whose SIMD versions may differ from the C library's in the last
bit. The kernels release the GIL (``nogil``), so two blocks drawn on two threads run on two
cores, and they make one pass over the data instead of a pass per temporary array (this
machine's element-wise NumPy is bound by memory bandwidth: docs/decisions/0036).

Compiled on first use and cached on disk (``cache=True``: beside the module, or under the
user's cache directory when the installed package is read-only).
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["candidates", "measures", "triangular_ufunc"]


@numba.njit(cache=True, nogil=True)
def candidates(
    u0: np.ndarray,
    lam: np.ndarray,
    mult: np.ndarray,
    ci: np.ndarray,
    base: int,
    idx: np.ndarray,
    x: np.ndarray,
    u: np.ndarray,
    k: int,
) -> int:
    """Append the cells of one year that may start a measure; return the new count.

    ``u0`` ``(n, E)`` the year's uniforms, ``lam`` ``(n, E)`` the hazards, ``mult`` ``(n,
    C)`` the year's common shock per country, ``ci`` ``(E,)`` each cell's country. A cell
    may start when ``u0 < x (1 + 1e-12)`` with ``x = lam × mult`` (a start needs ``u0 < 1 −
    exp(−x) ≤ x``); its flat index ``base + s E + e``, ``x`` and ``u0`` go to ``idx``,
    ``x`` and ``u`` from position ``k`` on (buffers the caller sized for every cell).
    """
    n, E = u0.shape
    for s in range(n):
        for e in range(E):
            xv = lam[s, e] * mult[s, ci[e]]
            if u0[s, e] < xv * (1.0 + 1e-12):
                idx[k] = base + s * E + e
                x[k] = xv
                u[k] = u0[s, e]
                k += 1
    return k


@numba.njit(cache=True, nogil=True)
def _triangular1(u: float, lo: float, mo: float, hi: float) -> float:
    """:func:`critmin.sim.sampling.triangular` of one uniform (same arithmetic, same order)."""
    width = hi - lo
    safe = width if width > 0 else 1.0
    if not width > 0:
        return lo
    if u < (mo - lo) / safe:
        return lo + np.sqrt(u * safe * (mo - lo))
    return hi - np.sqrt((1.0 - u) * safe * (hi - mo))


@numba.njit(cache=True, nogil=True)
def measures(
    t_i: np.ndarray,
    s_i: np.ndarray,
    e_i: np.ndarray,
    u: np.ndarray,
    log_u2: np.ndarray,
    draw: np.ndarray,
    mix: np.ndarray,
    withheld: np.ndarray,
    mean: np.ndarray,
    aim: np.ndarray,
    reach: np.ndarray,
    exposure: np.ndarray,
    out: np.ndarray,
) -> None:
    """Each new measure's type, loss and duration, stacked year by year into ``out``.

    The starts ``(t_i, s_i, e_i)`` come in year-major order, at most one per cell (sample,
    event) and year, with four uniforms each ``u`` ``(N, 4)`` and ``log1p(−u[:, 2])``
    (from NumPy). A start's type is the first whose cumulative mix exceeds ``u[:, 0]``; it
    withholds a triangular share (``u[:, 1]``) for an exponential duration and reaches the
    bloc when ``u[:, 3]`` is below the type's aim. Per cell: a measure starting with none
    in force sets the loss; one starting while another is in force keeps the larger loss
    and the later end; each year the in-force fraction ``min(max(remaining, 0), 1)`` times
    the loss is written to ``out`` ``(E, n, T)`` (zeros on entry), then a year passes
    (docs/model.md §10). Each start writes the cell's path to the horizon; a later start of
    the same cell rewrites it from its year on.
    """
    E, n, T = out.shape
    K = mix.shape[2]
    remaining = np.zeros(n * E)
    current = np.zeros(n * E)
    last = np.full(n * E, -1, dtype=np.int64)  # the year the cell's state is after
    for j in range(len(t_i)):
        t, s, e = t_i[j], s_i[j], e_i[j]
        b = draw[s]
        kind = 0
        cum = 0.0
        for k in range(K):
            cum += mix[e, b, k]
            if u[j, 0] > cum:
                kind += 1
        kind = min(kind, K - 1)
        share = _triangular1(u[j, 1], withheld[e, kind, 0], withheld[e, kind, 1],
                             withheld[e, kind, 2])  # fmt: skip
        dur = -mean[e, b, kind] * log_u2[j]
        hit = 1.0 if u[j, 3] < aim[e, kind] else 0.0
        loss = share * reach[e, kind] * exposure[e] * hit
        c = s * E + e
        rem, cur = remaining[c], current[c]
        if last[c] >= 0:
            for _ in range(t - last[c] - 1):  # the years since, one by one
                rem = max(rem - 1.0, 0.0)
                if not rem > 0.0:
                    cur = 0.0
        cur = loss if rem <= 0.0 else max(cur, loss)
        rem = max(rem, dur)
        out[e, s, t] = min(max(rem, 0.0), 1.0) * cur
        rem = max(rem - 1.0, 0.0)
        if not rem > 0.0:
            cur = 0.0
        remaining[c], current[c], last[c] = rem, cur, t
        for tt in range(t + 1, T):
            out[e, s, tt] = min(max(rem, 0.0), 1.0) * cur
            rem = max(rem - 1.0, 0.0)
            if not rem > 0.0:
                cur = 0.0


@numba.vectorize(["float64(float64, float64, float64, float64)"], cache=True)
def triangular_ufunc(u: float, lo: float, mo: float, hi: float) -> float:  # pragma: no cover
    """:func:`critmin.sim.sampling.triangular` as a NumPy ufunc: one pass, any broadcast."""
    return _triangular1(u, lo, mo, hi)
