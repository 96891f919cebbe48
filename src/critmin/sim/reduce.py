"""Summary statistics reduced where the samples are computed, merged exactly (decision 0030).

A *shard* holds one task's per-sample reductions (:func:`critmin.sim.runner.per_sample`) on the
machine that computed them: per-block sums for the means and, for the variables whose
quantiles the summary reports, the task's samples sorted per mineral. The client never sees
the samples. It asks the shards small questions and merges the answers:

* **Means** are the sum of per-block sums, added in block order, divided by the sample count.
  A block's sum depends only on the block (its samples are fixed by the seed), so the mean is
  the same bit for bit however the blocks were grouped into tasks or spread over workers.
* **Quantiles** need exact order statistics. :func:`select` finds the ``k``-th smallest value
  of a column spread over shards in a few rounds: each shard answers with how many of its
  values lie below a window ``[L, U]`` and a sketch of those inside it (64 values at evenly
  spaced ranks, or all of them when few are left); the sketches bound the window for the next
  round, which shrinks about 64× per round until every shard sends what is left. An order
  statistic is a value of the data, so it is the same whichever way it was found; the
  percentile interpolates between two of them exactly as :func:`numpy.percentile` does.
* **Counts** (samples over the threshold, at the price bound) are sums of per-shard counts.
* **CVaR** is ``(sum of the values above v + (k − count above v) · v) / k`` with ``v`` the
  ``k``-th largest value: the per-block sums of the values above ``v`` are added in block order.

:func:`summary_stats` runs the same steps on a result held in memory (one shard), so a summary
of a full run and one reduced on a cluster are identical bit for bit.

When one answerer holds every sample — a result in memory (:class:`LocalShard`), a threads
run's shards (:class:`Pooled`) — the order statistics are read off directly by partial
sorting instead of the rounds (an order statistic is a value of the data: the same bits). On
a cluster each worker first combines the shards it holds into one (:meth:`Shard.combine`),
so the rounds ask one shard per worker, not one per task (decision 0036).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Per-sample variables whose mean the summary reports (in this order in ``Shard.sums``).
MEAN_VARS = (
    "shortfall_peak",
    "price_peak",
    "years_to_recover",
    "shortfall_horizon",
    "unmet_total",
    "release_total",
)
#: Per-sample variables whose quantiles the summary reports (rows of ``Shard.cols``).
QUANTILE_VARS = ("shortfall_peak", "price_peak", "years_to_recover")
#: Values a shard sends per window and round (a sketch at evenly spaced ranks, or all).
SKETCH = 64
#: Rounds of :func:`select` before it gives up (it needs about log₆₄(samples) + 2).
MAX_ROUNDS = 60
#: The CVaR level of the summary (mean of the worst 5 % of samples).
CVAR_LEVEL = 0.95


def block_sums(red: Mapping[str, np.ndarray]) -> tuple[np.ndarray, float]:
    """Per-mineral sums of one block's :data:`MEAN_VARS` ``(V, M)`` and the block's sum of
    AI output at risk (``1 −`` the worst component's output; NaN when not simulated)."""
    sums = np.stack([np.ascontiguousarray(np.asarray(red[v], dtype=float).T).sum(axis=1)
                     for v in MEAN_VARS])  # fmt: skip
    ai = red.get("ai_output_min")
    at_risk = float(np.sum(1.0 - np.asarray(ai).min(axis=1))) if ai is not None else math.nan
    return sums, at_risk


#: The AI allocation rules, in the order of ``ai_shortfall_peak``'s ``rule`` axis
#: (:data:`critmin.sim.ai_allocation.RULES`; repeated here: reduce sits below the runner).
AI_RULES = ("priority", "central", "pro_rata")


def ai_rule_sums(red: Mapping[str, np.ndarray], n_minerals: int) -> np.ndarray:
    """One block's sums of AI hardware's worst-year shortfall per allocation rule
    ``(M + 1, R)``: rows ``0..M-1`` per mineral, row ``M`` the worst over minerals (the AI
    output at risk under each rule, decision 0033); NaN when the run has no
    ``ai_shortfall_peak`` (a result written before the rules)."""
    p = red.get("ai_shortfall_peak")
    if p is None:
        return np.full((n_minerals + 1, len(AI_RULES)), math.nan)
    a = np.asarray(p, dtype=float)  # (n_b, M, R)
    # The worst over minerals mineral by mineral (exact, as a.max(axis=1), NaN included):
    # NumPy's reduction over the middle axis runs an inner loop of R = 3 elements.
    worst = a[:, 0, :].copy()
    for j in range(1, a.shape[1]):
        np.maximum(worst, a[:, j, :], out=worst)
    return np.concatenate([a.sum(axis=0), worst.sum(axis=0)[None, :]])


@dataclass
class Shard:
    """One task's per-sample reductions, kept where they were computed.

    ``blocks`` are the block indices, ``sums`` their :func:`block_sums` ``(G, V, M)``, ``ai``
    their AI-at-risk sums ``(G,)``, ``cols`` the task's samples of :data:`QUANTILE_VARS`
    per mineral ``(Q, M, n)``, ``tails`` each block's worst-year shortfall ``(M, n_b)`` (for
    the CVaR's per-block sums), ``ai_rules`` their :func:`ai_rule_sums` ``(G, M + 1, R)``.
    """

    blocks: np.ndarray
    sums: np.ndarray
    ai: np.ndarray
    cols: np.ndarray
    tails: list[np.ndarray]
    ai_rules: np.ndarray

    @classmethod
    def build(cls, blocks: Sequence[int], reds: Sequence[Mapping[str, np.ndarray]]) -> Shard:
        """A shard from the per-sample reductions of some blocks (``(n_b, M)`` arrays)."""
        parts = [block_sums(r) for r in reds]
        cols = np.stack([
            np.sort(np.concatenate([np.asarray(r[v], dtype=float) for r in reds]).T, axis=1)
            for v in QUANTILE_VARS
        ])  # fmt: skip
        tails = [np.sort(np.asarray(r["shortfall_peak"], dtype=float).T, axis=1) for r in reds]
        M = cols.shape[1]
        return cls(np.asarray(blocks, dtype=np.int64), np.stack([p[0] for p in parts]),
                   np.array([p[1] for p in parts]), cols, tails,
                   np.stack([ai_rule_sums(r, M) for r in reds]))  # fmt: skip

    @classmethod
    def combine(cls, shards: Sequence[Shard]) -> Shard:
        """One shard holding the blocks of ``shards``, its samples sorted again: run on the
        worker that holds them all, so that a merge asks one shard per worker instead of one
        per task (fewer, smaller answers; decision 0036)."""
        if len(shards) == 1:
            return shards[0]
        cols = np.concatenate([s.cols for s in shards], axis=2)
        cols.sort(axis=2)  # in place: no second copy of the samples
        return cls(np.concatenate([s.blocks for s in shards]),
                   np.concatenate([s.sums for s in shards]),
                   np.concatenate([s.ai for s in shards]), cols,
                   [t for s in shards for t in s.tails],
                   np.concatenate([s.ai_rules for s in shards]))  # fmt: skip

    def head(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, np.ndarray]:
        """Block indices, per-block sums, per-block AI-at-risk sums, sample count, per-block
        AI sums by allocation rule."""
        return self.blocks, self.sums, self.ai, int(self.cols.shape[2]), self.ai_rules

    def ranks(self, targets: np.ndarray) -> np.ndarray:
        """The values at ranks ``targets[:, 2]`` (0-based) of the columns ``(q, j) =
        targets[:, :2]``: the exact order statistics when this is the only shard."""
        return self.cols[targets[:, 0], targets[:, 1], targets[:, 2]]

    def probe(self, reqs: np.ndarray, m: int = SKETCH) -> list[tuple[int, int, np.ndarray]]:
        """For each request ``(q, j, L, U)``: how many values are ``<= L`` and ``< U``, and a
        sketch of the values strictly between ``L`` and ``U``: those at the ranks
        :func:`sketch_ranks` gives (all of them when at most ``m``)."""
        out = []
        for q, j, lo, hi in reqs:
            col = self.cols[int(q), int(j)]
            a = int(np.searchsorted(col, lo, "right"))
            b = int(np.searchsorted(col, hi, "left"))
            out.append((a, b, col[a + sketch_ranks(max(b - a, 0), m)]))
        return out

    def final(self, v: np.ndarray, threshold: float, bound: np.ndarray) -> tuple[np.ndarray, ...]:
        """Per block, the sums of worst-year shortfalls above ``v`` (per mineral) ``(G, M)``;
        then counts per mineral: shortfalls above ``v``, shortfalls above ``threshold``,
        worst-year prices at or above ``bound``."""
        sf, pr = self.cols[0], self.cols[1]
        n = sf.shape[1]
        above = np.array([[t[j, np.searchsorted(t[j], v[j], "right"):].sum()
                           for j in range(t.shape[0])] for t in self.tails])  # fmt: skip
        over_v = np.array([n - np.searchsorted(sf[j], v[j], "right") for j in range(len(v))])
        over_t = np.array([n - np.searchsorted(sf[j], threshold, "right") for j in range(len(v))])
        at_bound = np.array([n - np.searchsorted(pr[j], bound[j], "left") for j in range(len(v))])
        return above.reshape(len(self.tails), len(v)), over_v, over_t, at_bound


def _kth(
    column: Callable[[int, int, np.ndarray], np.ndarray], targets: np.ndarray, n: int
) -> np.ndarray:
    """Order statistics ``targets`` ``(q, j, rank)`` of columns that ``column(q, j, buf)``
    writes (unordered, ``n`` values) into a buffer reused from column to column: partial
    sorting in place, no array of every sample allocated (fresh memory is costly here)."""
    out = np.empty(len(targets))
    buf = np.empty(n)
    for q, j in sorted({(int(q), int(j)) for q, j, _ in targets}):
        sel = np.flatnonzero((targets[:, 0] == q) & (targets[:, 1] == j))
        col = column(q, j, buf)
        col.partition(np.unique(targets[sel, 2]))
        out[sel] = col[targets[sel, 2]]
    return out


class LocalShard:
    """The one shard of per-sample reductions held in this process, unsorted: the same
    answers as :meth:`Shard.build` of the same blocks would give (the same per-block sums,
    the same order statistics and counts), read off the ``(sample, mineral)`` arrays
    without sorting or copying them whole."""

    def __init__(self, red: Mapping[str, np.ndarray], bounds: Sequence[tuple[int, int, int]]):
        self.red = {k: np.asarray(a) for k, a in red.items()}
        self.bounds = list(bounds)
        self.q = [np.asarray(self.red[v], dtype=float) for v in QUANTILE_VARS]

    def head(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, np.ndarray]:
        """As :meth:`Shard.head`."""
        parts = []
        for _, lo, hi in self.bounds:
            r = {k: a[lo:hi] for k, a in self.red.items()}
            parts.append((*block_sums(r), ai_rule_sums(r, self.q[0].shape[1])))
        return (np.array([b for b, _, _ in self.bounds], dtype=np.int64),
                np.stack([p[0] for p in parts]), np.array([p[1] for p in parts]),
                self.q[0].shape[0], np.stack([p[2] for p in parts]))  # fmt: skip

    def ranks(self, targets: np.ndarray) -> np.ndarray:
        """As :meth:`Shard.ranks`."""

        def column(q: int, j: int, buf: np.ndarray) -> np.ndarray:
            buf[:] = self.q[q][:, j]
            return buf

        return _kth(column, targets, self.q[0].shape[0])

    def final(self, v: np.ndarray, threshold: float, bound: np.ndarray) -> tuple[np.ndarray, ...]:
        """As :meth:`Shard.final`."""
        sf, pr = self.q[0], self.q[1]
        # Per block, its values above v in ascending order, summed: the slice of the block's
        # sorted tail that Shard.final sums (the same values, the same order, the same bits).
        above = np.empty((len(self.bounds), len(v)))
        for i, (_, lo, hi) in enumerate(self.bounds):
            blk = sf[lo:hi]
            hit = (blk > v[None, :]) | np.isnan(blk)
            for j in np.flatnonzero(hit.any(axis=0)):
                above[i, j] = np.sort(blk[hit[:, j], j]).sum()
            above[i, ~hit.any(axis=0)] = 0.0
        # Counted as a sorted column's searchsorted counts them (NaN sorts last: above all).
        nan_sf = np.isnan(sf)
        over_v = ((sf > v[None, :]) | nan_sf).sum(axis=0)
        over_t = ((sf > threshold) | nan_sf).sum(axis=0)
        at_bound = ((pr >= bound[None, :]) | np.isnan(pr)).sum(axis=0)
        return above, over_v, over_t, at_bound


class Pooled:
    """Shards held in this process (a threads run), answering as one shard: heads and final
    counts added up, order statistics read off each column's values gathered into one
    buffer and partially sorted (instead of rounds of :func:`select`)."""

    def __init__(self, shards: Sequence[Shard]):
        self.shards = list(shards)

    def head(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, np.ndarray]:
        """As :meth:`Shard.head`."""
        hs = [s.head() for s in self.shards]
        return (np.concatenate([h[0] for h in hs]), np.concatenate([h[1] for h in hs]),
                np.concatenate([h[2] for h in hs]), sum(h[3] for h in hs),
                np.concatenate([h[4] for h in hs]))  # fmt: skip

    def ranks(self, targets: np.ndarray) -> np.ndarray:
        """As :meth:`Shard.ranks`."""

        def column(q: int, j: int, buf: np.ndarray) -> np.ndarray:
            np.concatenate([s.cols[q, j] for s in self.shards], out=buf)
            return buf

        return _kth(column, targets, sum(s.cols.shape[2] for s in self.shards))

    def final(self, v: np.ndarray, threshold: float, bound: np.ndarray) -> tuple[np.ndarray, ...]:
        """As :meth:`Shard.final`."""
        fs = [s.final(v, threshold, bound) for s in self.shards]
        counts = [np.sum([f[i] for f in fs], axis=0) for i in (1, 2, 3)]
        return (np.concatenate([f[0] for f in fs]), *counts)


def sketch_ranks(c: int, m: int = SKETCH) -> np.ndarray:
    """The ranks a shard sketches among ``c`` values: all when ``c <= m``, else ``m`` evenly
    spaced ranks from the first to the last (distinct, since the spacing is at least 1).

    Examples
    --------
    >>> sketch_ranks(3).tolist(), sketch_ranks(10, 4).tolist()
    ([0, 1, 2], [0, 3, 6, 9])
    """
    if c <= m:
        return np.arange(c)
    return np.arange(m) * (c - 1) // (m - 1)


#: Runs a :class:`Shard` method (by name, with arguments) on every shard; answers in shard order.
Call = Callable[[str, tuple[Any, ...]], list[Any]]


def local_call(shards: Sequence[Shard | LocalShard | Pooled]) -> Call:
    """A :data:`Call` over shards held in this process."""
    return lambda name, args: [getattr(s, name)(*args) for s in shards]


def select(call: Call, targets: np.ndarray) -> np.ndarray:
    """The exact order statistics ``targets[:, 2]`` (0-based ranks) of the columns
    ``(q, j) = targets[:, :2]`` of the shards that ``call`` reaches (module docstring).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> data = [rng.integers(0, 5, size=(7, 2)).astype(float) for _ in range(3)]
    >>> reds = [{v: d for v in MEAN_VARS} for d in data]
    >>> shards = [Shard.build([i], [r]) for i, r in enumerate(reds)]
    >>> got = select(local_call(shards), np.array([[0, 1, 0], [0, 1, 10], [2, 0, 20]]))
    >>> want = [np.sort(np.concatenate(data)[:, j])[k] for j, k in [(1, 0), (1, 10), (0, 20)]]
    >>> got.tolist() == want
    True
    """
    n_t = len(targets)
    lo = np.full(n_t, -np.inf)
    hi = np.full(n_t, np.inf)
    ans = np.full(n_t, np.nan)
    done = np.zeros(n_t, dtype=bool)
    for _ in range(MAX_ROUNDS):
        act = np.flatnonzero(~done)
        if act.size == 0:
            return ans
        reqs = np.column_stack([targets[act, 0], targets[act, 1], lo[act], hi[act]])
        answers = call("probe", (reqs,))
        for i, t in enumerate(act):
            k = int(targets[t, 2])
            per = [a[i] for a in answers]
            le_lo = sum(p[0] for p in per)  # values <= L (exact)
            lt_hi = sum(p[1] for p in per)  # values < U (exact)
            # Invariants: fewer than k + 1 values are < L, at least k + 1 are <= U.
            if k < le_lo:
                ans[t], done[t] = lo[t], True
                continue
            if k >= lt_hi:
                ans[t], done[t] = hi[t], True
                continue
            # The answer lies strictly between L and U; so does every sketch value.
            if all(p[1] - p[0] == len(p[2]) for p in per):  # every shard sent all it has
                vals = np.sort(np.concatenate([p[2] for p in per]))
                ans[t], done[t] = vals[k - le_lo], True
                continue
            lo[t], hi[t] = _narrow(per, le_lo, k, lo[t], hi[t])
            if lo[t] == hi[t]:
                ans[t], done[t] = lo[t], True
    raise RuntimeError("order statistics did not converge")  # pragma: no cover


def _narrow(
    per: list[tuple[int, int, np.ndarray]], le_lo: int, k: int, lo: float, hi: float
) -> tuple[float, float]:
    """A narrower window ``[L, U]`` around the ``k``-th value from the shards' sketches.

    Between a shard's sketch values at ranks ``r_j < r_{j+1}`` lie at most the values of
    ranks up to ``r_{j+1}``: so at most ``le_lo + Σ r_next(x)`` values are ``< x`` and at
    least ``le_lo + Σ (r_last(x) + 1)`` are ``<= x``. Both are step functions of ``x`` that
    move only at sketch values: summed over all shards at once with one sort and cumulative
    sums (a shard's step at its ``j``-th value is the gap to its next rank).
    """
    m = SKETCH
    c = np.array([b - a for a, b, _ in per])
    big = c > m  # sketched shards (m values each); the others sent all theirs
    zs = [p[2] for p, g in zip(per, big, strict=True) if g]
    zf = [p[2] for p, g in zip(per, big, strict=True) if not g]
    cb = c[big][:, None]
    r = np.arange(m)[None, :] * (cb - 1) // (m - 1)  # the ranks of sketch_ranks, per shard
    # Passing z_j, "< x" may newly include up to r_{j+1} − r_j values (the last: up to c);
    # "<= x" surely includes r_j + 1 (a jump of r_j − r_{j−1}). Every value sent: jumps of 1.
    up = np.diff(np.concatenate([r, cb], axis=1), axis=1).ravel()
    down = np.diff(r, axis=1, prepend=-1).ravel()
    n_full = int(c[~big].sum())
    vals = [*zs, *zf]
    up = np.concatenate([up, np.ones(n_full, dtype=np.int64)])
    down = np.concatenate([down, np.ones(n_full, dtype=np.int64)])
    z = np.concatenate(vals)
    order = np.argsort(z, kind="stable")
    z = z[order]
    cum_up = np.concatenate([[0], np.cumsum(up[order])])
    cum_down = np.concatenate([[0], np.cumsum(down[order])])
    cands = np.unique(z)
    ub_lt = le_lo + cum_up[np.searchsorted(z, cands, "left")]
    lb_le = le_lo + cum_down[np.searchsorted(z, cands, "right")]
    ok_lo = cands[ub_lt <= k]
    ok_hi = cands[lb_le >= k + 1]
    if ok_lo.size:
        lo = max(lo, float(ok_lo.max()))
    if ok_hi.size:
        hi = min(hi, float(ok_hi.min()))
    return lo, hi


def _percentile(lo: np.ndarray, hi: np.ndarray, n: int, q: float) -> np.ndarray:
    """:func:`numpy.percentile`'s linear interpolation between the two order statistics
    around ``q`` % of ``n`` samples, the same floating-point steps."""
    gamma = (n - 1) * np.float64(q / 100) - math.floor((n - 1) * (q / 100))
    if (n - 1) * (q / 100) >= n - 1:
        return hi
    diff = hi - lo
    out = lo + diff * gamma
    return np.where(gamma >= 0.5, hi - diff * (1 - gamma), out)


def _ranks(n: int, q: float) -> tuple[int, int]:
    v = (n - 1) * (q / 100)
    f = math.floor(v)
    return (n - 1, n - 1) if v >= n - 1 else (f, f + 1)


def merge(call: Call, n_minerals: int, threshold: float, bound: np.ndarray) -> dict[str, Any]:
    """The summary statistics of the shards that ``call`` reaches (module docstring): a dict of
    per-mineral arrays named like :data:`critmin.sim.summary.COLUMNS`, plus ``samples`` and
    ``ai_output_at_risk``."""
    heads = call("head", ())
    blocks = np.concatenate([h[0] for h in heads])
    order = np.argsort(blocks, kind="stable")
    sums = np.concatenate([h[1] for h in heads])[order]
    ai = np.concatenate([h[2] for h in heads])[order]
    n = int(sum(h[3] for h in heads))
    tot = np.zeros(sums.shape[1:])
    for s in sums:  # block order, one addition at a time: the same whatever the grouping
        tot = tot + s
    ai_tot = 0.0
    for a in ai:
        ai_tot = ai_tot + float(a)
    rules = np.concatenate([h[4] for h in heads])[order]
    rule_tot = np.zeros(rules.shape[1:])
    for r in rules:  # block order, as the sums above
        rule_tot = rule_tot + r
    rule_mean = rule_tot / n
    mean = {v: tot[i] / n for i, v in enumerate(MEAN_VARS)}

    M = n_minerals
    k_tail = max(1, math.ceil(round((1.0 - CVAR_LEVEL) * n, 9)))
    wanted: list[tuple[int, int]] = []  # (quantile variable, rank)
    for q in (5, 50, 95):
        wanted += [(0, r) for r in _ranks(n, q)] + [(1, r) for r in _ranks(n, q)]
    wanted += [(2, r) for r in _ranks(n, 95)] + [(0, n - k_tail)]
    wanted = sorted(set(wanted))
    targets = np.array([(qv, j, r) for qv, r in wanted for j in range(M)], dtype=np.int64)
    # One shard holds every sample: its order statistics are read off directly (a value of
    # the data, the same as the rounds below would find); several: found in rounds.
    vals = call("ranks", (targets,))[0] if len(heads) == 1 else select(call, targets)
    at = {(qv, r): vals[i * M : (i + 1) * M] for i, (qv, r) in enumerate(wanted)}

    def pct(qv: int, q: float) -> np.ndarray:
        a, b = _ranks(n, q)
        return _percentile(at[(qv, a)], at[(qv, b)], n, q)

    v = at[(0, n - k_tail)]
    finals = call("final", (v, threshold, bound))
    fblocks = np.concatenate([h[0] for h in heads])
    above_all = np.concatenate([f[0] for f in finals])[np.argsort(fblocks, kind="stable")]
    above = np.zeros(M)
    for s in above_all:
        above = above + s
    over_v = sum(f[1] for f in finals)
    over_t = sum(f[2] for f in finals)
    at_bound = sum(f[3] for f in finals)
    return {
        "samples": n,
        "shortfall_mean": mean["shortfall_peak"],
        "shortfall_p5": pct(0, 5),
        "shortfall_p50": pct(0, 50),
        "shortfall_p95": pct(0, 95),
        "shortfall_cvar95": (above + (k_tail - over_v) * v) / k_tail,
        "p_shortfall_over": over_t / n,
        "horizon_shortfall_mean": mean["shortfall_horizon"],
        "unmet_t_mean": mean["unmet_total"],
        "price_index_mean": mean["price_peak"],
        "price_index_p5": pct(1, 5),
        "price_index_p50": pct(1, 50),
        "price_index_p95": pct(1, 95),
        "years_to_recover_mean": mean["years_to_recover"],
        "years_to_recover_p95": pct(2, 95),
        "release_t_mean": mean["release_total"],
        "price_bound_share": at_bound / n,
        "ai_output_at_risk": ai_tot / n,
        # AI hardware's mean worst-year shortfall per mineral under the central rule and the
        # two bounds, and the AI output at risk under each rule (decision 0033).
        "ai_shortfall_low": rule_mean[:M, AI_RULES.index("priority")],
        "ai_shortfall_central": rule_mean[:M, AI_RULES.index("central")],
        "ai_shortfall_high": rule_mean[:M, AI_RULES.index("pro_rata")],
        **{f"ai_at_risk_{r}": float(rule_mean[M, i]) for i, r in enumerate(AI_RULES)},
    }


def summary_stats(
    red: Mapping[str, np.ndarray],
    bounds: Sequence[tuple[int, int, int]],
    threshold: float,
    bound: np.ndarray,
) -> dict[str, Any]:
    """:func:`merge` of per-sample reductions held in memory (``(sample, mineral)`` arrays),
    cut into the run's blocks ``bounds``: the numbers a cluster's shards give, bit for bit."""
    shard = LocalShard(red, bounds)
    return merge(local_call([shard]), shard.q[0].shape[1], threshold, bound)
