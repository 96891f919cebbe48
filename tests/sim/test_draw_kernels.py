"""The compiled draws (critmin.sim.draw_kernels) against the plain array code they replaced.

The oracles below are the NumPy versions of the fitted hazards' timing and of the triangular
inverse CDF as they were before the loops were compiled (decision 0036): the compiled ones
must give the same numbers bit for bit and leave the generator in the same state.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import critmin
from critmin.sim.events.fitted_restriction import FittedRestriction, timing
from critmin.sim.inputs import prepare
from critmin.sim.sampling import triangular
from critmin.sim.scenario import Scenario


def triangular_oracle(u: np.ndarray, low: object, mode: object, high: object) -> np.ndarray:
    lo, mo, hi = (np.asarray(x, dtype=float) for x in (low, mode, high))
    width = hi - lo
    safe = np.where(width > 0, width, 1.0)
    cut = (mo - lo) / safe
    left = lo + np.sqrt(u * safe * (mo - lo))
    right = hi - np.sqrt((1.0 - u) * safe * (hi - mo))
    out = np.where(u < cut, left, right)
    return np.where(width > 0, out, lo)


def timing_oracle(
    rng: np.random.Generator, n: int, T: int, events: list[FittedRestriction]
) -> np.ndarray:
    E = len(events)
    rates = np.array([ev.rates for ev in events])
    B = rates.shape[1]
    sigma = np.asarray(events[0].sigma)
    countries, ci = np.unique([ev.country for ev in events], return_inverse=True)
    draw = rng.integers(B, size=n)
    z = rng.standard_normal((T, n, len(countries)))
    s = sigma[draw][None, :, None]
    x = rates[:, draw].T[None, :, :] * np.exp(s * z - s * s / 2.0)[:, :, ci]
    u0 = rng.random((T, n, E))
    start = u0 < -np.expm1(-x)
    idx = np.flatnonzero(start)
    t_i, s_i, e_i = np.unravel_index(idx, (T, n, E))
    u = rng.random((len(idx), 4))
    mix = np.array([ev.mix for ev in events])
    K = mix.shape[2]
    cum = np.cumsum(mix[e_i, draw[s_i]], axis=1)
    kind = np.minimum((u[:, :1] > cum).sum(axis=1), K - 1)
    wh = np.array([[(r.low, r.central, r.high) for r in ev.withheld] for ev in events])
    share = triangular_oracle(u[:, 1], *(wh[e_i, kind, j] for j in range(3)))
    dur = -np.array([ev.mean_duration for ev in events])[e_i, draw[s_i], kind] * np.log1p(-u[:, 2])
    aim = np.array([ev.aim for ev in events])[e_i, kind]
    reach = np.array([ev.reach for ev in events])[e_i, kind]
    exposure = np.array([ev.exposure for ev in events])[e_i]
    loss = share * reach * exposure * (u[:, 3] < aim)
    new_loss, new_dur = np.zeros((T, n, E)), np.zeros((T, n, E))
    new_loss[t_i, s_i, e_i], new_dur[t_i, s_i, e_i] = loss, dur
    out = np.zeros((T, n, E))
    remaining, current = np.zeros((n, E)), np.zeros((n, E))
    for t in range(T):
        st_ = start[t]
        fresh = st_ & (remaining <= 0)
        current = np.where(fresh, new_loss[t],
                           np.where(st_, np.maximum(current, new_loss[t]), current))  # fmt: skip
        remaining = np.where(st_, np.maximum(remaining, new_dur[t]), remaining)
        out[t] = np.clip(remaining, 0.0, 1.0) * current
        remaining = np.maximum(remaining - 1.0, 0.0)
        current = np.where(remaining > 0, current, 0.0)
    return out


@pytest.fixture(scope="module")
def cells() -> list[FittedRestriction]:
    sc = Scenario.model_validate({
        "name": "t", "horizon": {"start": 2026, "end": 2035},
        "minerals": ["gallium", "graphite", "cobalt", "nickel", "lithium"], "samples": 50,
        "seed": 3, "events": [{"type": "default_hazards"}]})  # fmt: skip
    evs = [ev for ev in prepare(sc, critmin.load()).events if isinstance(ev, FittedRestriction)]
    assert len(evs) > 5
    return evs


@pytest.mark.parametrize(("seed", "n", "hot"), [(0, 300, 1.0), (1, 1, 1.0), (2, 40, 30.0)])
def test_fitted_timing_is_the_array_codes_bit_for_bit(
    cells: list[FittedRestriction], seed: int, n: int, hot: float
) -> None:
    # ``hot`` multiplies the hazards so that measures overlap and stack in most cells.
    evs = [ev.model_copy(update={"rates": tuple(r * hot for r in ev.rates)}) for ev in cells]
    a, b = np.random.default_rng(seed), np.random.default_rng(seed)
    want = timing_oracle(a, n, 10, evs)
    got = timing(b, n, 10, evs)
    assert got.shape == want.shape == (10, n, len(evs))
    np.testing.assert_array_equal(got, want)
    assert a.random() == b.random()  # the same numbers were taken from the stream
    assert want.any()


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 40),
    st.integers(1, 9),
    st.integers(0, 2**32 - 1),
    st.sampled_from(["any", "point", "mode=low", "mode=high"]),
)
def test_triangular_is_the_array_codes_bit_for_bit(n: int, k: int, seed: int, kind: str) -> None:
    rng = np.random.default_rng(seed)
    lo = rng.normal(size=k) * 10
    hi = lo + rng.random(k) * 5
    mo = {"any": lo + (hi - lo) * rng.random(k), "point": lo, "mode=low": lo, "mode=high": hi}[kind]
    hi = lo.copy() if kind == "point" else hi
    u = rng.random((n, k))
    u[0] = 0.0
    np.testing.assert_array_equal(triangular(u, lo, mo, hi), triangular_oracle(u, lo, mo, hi))
    np.testing.assert_array_equal(
        triangular(u[:, 0], lo[0], mo[0], hi[0]), triangular_oracle(u[:, 0], lo[0], mo[0], hi[0])
    )


def test_a_point_range_raises_no_floating_point_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = triangular(np.full((5, 16), 0.5), np.ones(16), np.ones(16), np.ones(16))
    assert (out == 1.0).all()
