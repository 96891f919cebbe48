"""The compiled engine's own guarantees (decision 0035), beside the oracle of test_oracle.py:
reducing as it computes gives the numbers of the full arrays reduced afterwards, the
reductions equal their NumPy definitions, a sample's results do not depend on the samples
that share its block or on the threads, and every scenario runs on one compiled signature."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import critmin
from critmin.sim import kernels
from critmin.sim.ai_allocation import ai_shortfall_peak
from critmin.sim.engine import run_block, run_reduced
from critmin.sim.inputs import Draws, MarketInputs, draw, prepare
from critmin.sim.runner import RECOVERED, per_sample, years_to_recover
from critmin.sim.scenario import Scenario

#: Restrictions in force part of a year, a stochastic restriction, a bloc stock that is
#: released, and a US bloc (AI's share of demand is sourced): every branch of the kernels.
SCENARIO = {
    "name": "kernels",
    "horizon": {"start": 2026, "end": 2031},
    "bloc": "USA",
    "minerals": ["gallium", "germanium", "graphite", "cobalt"],
    "stocks": {"gallium": 20.0},
    "events": [
        {"type": "export_restriction", "country": "CHN", "minerals": ["gallium", "germanium"],
         "stage": "refine", "start": "2027-03-15", "duration_years": 2,
         "share": {"low": 0.5, "central": 0.8, "high": 1.0}},
        {"type": "stochastic_restriction", "country": "CHN", "minerals": ["graphite"],
         "stage": "refine", "annual_probability": 0.3, "duration_years": 1.0, "share": 0.6},
        {"type": "outage", "country": "COD", "mineral": "cobalt", "stage": "mine",
         "start": 2028, "duration_years": 1, "capacity_loss": 0.4},
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def block() -> tuple[MarketInputs, Draws]:
    mi = prepare(Scenario.model_validate(SCENARIO), critmin.load())
    return mi, draw(mi, np.random.default_rng(5), 60)


def test_reduced_as_computed_equals_full_arrays_reduced(block: tuple[MarketInputs, Draws]) -> None:
    mi, dr = block
    full = run_block(mi, dr)
    red = per_sample(mi, full)
    fused = run_reduced(mi, dr, RECOVERED, years=True)
    assert set(fused) == {*red, "shortfall", "price_index"}
    for k, v in red.items():
        np.testing.assert_array_equal(fused[k], v, err_msg=k)
    for k in ("shortfall", "price_index"):
        assert fused[k].dtype == np.float32
        np.testing.assert_array_equal(fused[k], full[k].astype(np.float32), err_msg=k)
    # The scenario reaches what it is meant to: shortfalls, a bloc release, AI short.
    assert (full["shortfall"] > 0.05).any() and (full["stock_release"] > 0).any()
    assert (red["ai_shortfall_peak"][:, :, -1] > 0).any()


def test_reductions_equal_their_numpy_definitions(block: tuple[MarketInputs, Draws]) -> None:
    mi, dr = block
    out = run_block(mi, dr)
    red = per_sample(mi, out)
    sf = out["shortfall"]
    need, unmet = out["demand"].sum(axis=1), out["unmet"].sum(axis=1)
    np.testing.assert_array_equal(red["shortfall_peak"], sf.max(axis=1))
    np.testing.assert_array_equal(red["price_peak"], out["price_index"].max(axis=1))
    np.testing.assert_allclose(red["unmet_total"], unmet, rtol=1e-12)
    np.testing.assert_allclose(red["release_total"], out["stock_release"].sum(axis=1), rtol=1e-12)
    np.testing.assert_allclose(red["shortfall_horizon"], unmet / need, rtol=1e-12)
    np.testing.assert_array_equal(red["years_to_recover"], years_to_recover(sf))
    np.testing.assert_array_equal(red["ai_output_min"], out["ai_output"].min(axis=1))
    np.testing.assert_allclose(red["ai_shortfall_peak"], ai_shortfall_peak(mi, sf), atol=1e-12)
    assert (red["years_to_recover"] > 0).any()


def test_a_sample_does_not_depend_on_its_block_or_the_threads(
    block: tuple[MarketInputs, Draws],
) -> None:
    mi, dr = block
    whole = run_block(mi, dr)
    parts = [(0, 7), (7, 40), (40, 60)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(lambda b: run_block(mi, dr.samples(*b)), parts))
    for k, v in whole.items():
        np.testing.assert_array_equal(np.concatenate([r[k] for r in runs]), v, err_msg=k)


def test_one_compiled_signature_whatever_the_layout_of_the_draws(
    block: tuple[MarketInputs, Draws],
) -> None:
    mi, dr = block
    run_block(mi, dr.samples(3, 9))  # the stochastic draws strided
    one = prepare(Scenario.model_validate({**SCENARIO, "events": SCENARIO["events"][1:2]}),
                  critmin.load())  # fmt: skip
    d1 = draw(one, np.random.default_rng(1), 4)
    assert d1.stochastic.flags.c_contiguous  # one event: contiguous
    run_block(one, d1)
    run_reduced(one, d1.samples(0, 1), RECOVERED)
    assert len(kernels.run_samples.signatures) == 1
    # Compiled to release the GIL (the runner's threads run blocks side by side).
    assert kernels.run_samples.targetoptions["nogil"]
