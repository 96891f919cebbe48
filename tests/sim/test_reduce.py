"""Summary statistics merged from shards (:mod:`critmin.sim.reduce`, decision 0030) against
oracles: the exact order statistics of the pooled samples (:func:`numpy.sort`),
:func:`numpy.percentile`, and the same statistics however the blocks are grouped into shards,
for columns with heavy ties (most samples never short) and random ones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.sim import reduce
from critmin.sim.reduce import MEAN_VARS, QUANTILE_VARS, Shard, local_call, merge, select
from critmin.sim.runner import simulate
from critmin.sim.summary import summary


def _reds(rng: np.random.Generator, n: int, m: int, ties: bool) -> dict[str, np.ndarray]:
    if ties:  # mostly zeros, a few repeated levels, a thin continuous tail
        x = np.where(rng.random((n, m)) < 0.85, 0.0, rng.choice([0.1, 0.2, 0.5], (n, m)))
        x = np.where(rng.random((n, m)) < 0.05, rng.random((n, m)), x)
    else:
        x = rng.standard_normal((n, m))
    return {v: x * (i + 1) for i, v in enumerate(MEAN_VARS)}


def _shards(red: dict[str, np.ndarray], block: int, per: int) -> list[Shard]:
    n = len(red["shortfall_peak"])
    bounds = [(b, lo, min(lo + block, n)) for b, lo in enumerate(range(0, n, block))]
    groups = [bounds[i : i + per] for i in range(0, len(bounds), per)]
    return [Shard.build([b for b, _, _ in g], [{k: a[lo:hi] for k, a in red.items()}
                                                for _, lo, hi in g]) for g in groups]  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 900), block=st.integers(1, 200),
       per=st.integers(1, 6), ties=st.booleans())  # fmt: skip
def test_select_finds_the_exact_order_statistics(
    seed: int, n: int, block: int, per: int, ties: bool
) -> None:
    rng = np.random.default_rng(seed)
    red = _reds(rng, n, 3, ties)
    shards = _shards(red, block, per)
    ks = sorted({0, n - 1, n // 2, int(rng.integers(0, n))})
    targets = np.array([(q, j, k) for q in range(len(QUANTILE_VARS)) for j in range(3)
                        for k in ks])  # fmt: skip
    got = select(local_call(shards), targets)
    for (q, j, k), v in zip(targets, got, strict=True):
        assert v == np.sort(red[QUANTILE_VARS[q]][:, j])[k]


def test_select_converges_in_few_rounds_on_a_large_tied_column(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """100,000 samples in 20 shards, 85 % zeros: about log₆₄ rounds, not one per value."""
    rng = np.random.default_rng(3)
    red = _reds(rng, 100_000, 2, ties=True)
    shards = _shards(red, 1000, 5)
    rounds = []
    call = local_call(shards)
    monkeypatch.setattr(reduce, "MAX_ROUNDS", 6)

    def counting(name: str, args: tuple) -> list:  # type: ignore[type-arg]
        rounds.append(name)
        return call(name, args)

    ks = [0, 50_000, 84_999, 85_000, 94_999, 95_000, 99_999]
    targets = np.array([(0, j, k) for j in range(2) for k in ks])
    got = select(counting, targets)
    want = [np.sort(red["shortfall_peak"][:, j])[k] for j in range(2) for k in ks]
    assert got.tolist() == want
    assert len(rounds) <= 6


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 3000), ties=st.booleans())
def test_merged_statistics_are_numpy_percentiles_and_do_not_depend_on_the_grouping(
    seed: int, n: int, ties: bool
) -> None:
    rng = np.random.default_rng(seed)
    red = _reds(rng, n, 2, ties)
    red["ai_output_min"] = rng.random((n, 3))
    bound = np.array([0.4, np.inf])
    one = merge(local_call(_shards(red, 1000, 10_000)), 2, 0.05, bound)
    many = merge(local_call(_shards(red, 1000, 1)), 2, 0.05, bound)
    for k, v in one.items():
        assert np.array_equal(np.asarray(v), np.asarray(many[k]), equal_nan=True), k
    for q in (5, 50, 95):
        assert np.array_equal(
            one[f"shortfall_p{q}"], np.percentile(red["shortfall_peak"], q, axis=0)
        )
        assert np.array_equal(one[f"price_index_p{q}"], np.percentile(red["price_peak"], q, axis=0))
    sf = red["shortfall_peak"]
    k = max(1, int(np.ceil(round(0.05 * n, 9))))
    np.testing.assert_allclose(one["shortfall_cvar95"], np.sort(sf, axis=0)[-k:].mean(axis=0),
                               rtol=1e-12, atol=1e-15)  # fmt: skip
    np.testing.assert_allclose(one["shortfall_mean"], sf.mean(axis=0), rtol=1e-12, atol=1e-15)
    assert np.array_equal(one["p_shortfall_over"], (sf > 0.05).mean(axis=0))
    assert np.array_equal(one["price_bound_share"], (red["price_peak"] >= bound).mean(axis=0))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 2500), block=st.integers(1, 700),
       ties=st.booleans())  # fmt: skip
def test_one_answerer_gives_the_rounds_numbers_bit_for_bit(
    seed: int, n: int, block: int, ties: bool
) -> None:
    """The in-process answerers (decision 0036) — the samples held unsorted (LocalShard),
    a threads run's shards pooled (Pooled), a worker's shards combined (Shard.combine) —
    give the statistics the rounds of select over one shard per block give, bit for bit."""
    rng = np.random.default_rng(seed)
    red = _reds(rng, n, 3, ties)
    red["ai_output_min"] = rng.random((n, 2))
    red["ai_shortfall_peak"] = rng.random((n, 3, 3)) * (rng.random((n, 3, 3)) < 0.5)
    bound = np.array([0.4, np.inf, 0.0])
    bounds = [(b, lo, min(lo + block, n)) for b, lo in enumerate(range(0, n, block))]
    many = _shards(red, block, 1)
    want = merge(local_call(many), 3, 0.05, bound)
    half = max(1, len(many) // 2)
    got = {
        "local": merge(local_call([reduce.LocalShard(red, bounds)]), 3, 0.05, bound),
        "pooled": merge(local_call([reduce.Pooled(many)]), 3, 0.05, bound),
        "combined": merge(local_call([Shard.combine(many[:half]), Shard.combine(many[half:])]
                                     if many[half:] else [Shard.combine(many)]), 3, 0.05, bound),
    }  # fmt: skip
    for how, res in got.items():
        for k, v in want.items():
            assert np.array_equal(np.asarray(v), np.asarray(res[k]), equal_nan=True), (how, k)


def test_stats_on_threads_are_the_summary_of_a_full_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """keep="stats" on threads, shards of one block: the table of a keep="all" run, bit for
    bit; a different threshold than the one counted is refused."""
    from critmin.sim import runner

    monkeypatch.setattr(runner, "TASK_BLOCKS", 1)
    full = simulate("examples/drc-cobalt-outage-illustrative.yaml", samples=2100)
    stats = simulate("examples/drc-cobalt-outage-illustrative.yaml", samples=2100, workers=2,
                     keep="stats", threshold=0.1)  # fmt: skip
    assert isinstance(stats, xr.Dataset) and stats.attrs["keep"] == "stats"
    pd.testing.assert_frame_equal(summary(stats, 0.1), summary(full, 0.1), check_exact=True)
    with pytest.raises(ValueError, match=r"threshold 0\.1"):
        summary(stats)
