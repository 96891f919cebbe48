"""The fast market engine against the plain-loop oracle (:mod:`critmin.sim.reference`).

Each case is a small scenario (3–6 years, 1–4 minerals) that exercises one part of
docs/model.md. For every case the engine and the reference must agree on every output to
1e-9; the reference alone must keep the mass balance, stay finite and keep shortfalls and
prices within their bounds, and the case must actually exercise the feature it names (so the
comparison is not vacuous).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import critmin
from critmin.data.dataset import Dataset
from critmin.sim import engine, reference
from critmin.sim.inputs import Draws, Effect, MarketInputs, draw, prepare
from critmin.sim.scenario import Scenario

GA_GE = ["gallium", "germanium"]
RANGE_LEAK = {"low": 0.0, "central": 0.1, "high": 0.3}

#: case → (scenario fields, seed, samples)
CASES: dict[str, tuple[dict[str, Any], int, int]] = {
    "full_ban_front_running": (
        {
            "horizon": {"start": 2026, "end": 2030},
            "minerals": [*GA_GE, "bauxite", "zinc"],
            "stocks": {"gallium": 30.0},
            "events": [
                {"type": "export_restriction", "country": "CHN", "minerals": GA_GE,
                 "stage": "refine", "start": "2026-09-01", "duration_years": 2, "share": 1.0,
                 "leakage": RANGE_LEAK, "front_running": {"months": 3, "pulse": 0.3},
                 "exports_share": {"low": 0.6, "central": 0.8, "high": 1.0}},
            ],
        },
        11,
        30,
    ),
    "partial_restriction": (
        {
            "horizon": {"start": 2026, "end": 2030},
            "minerals": GA_GE,
            "events": [
                {"type": "export_restriction", "country": "CHN", "minerals": GA_GE,
                 "stage": "refine", "start": "2027-03-15", "end": "2029-06-30",
                 "share": {"low": 0.02, "central": 0.05, "high": 0.1},
                 "leakage": {"low": 0.0, "central": 0.2, "high": 0.4},
                 "exports_share": {"low": 0.5, "central": 0.7, "high": 0.9},
                 "front_running": {"months": 6, "pulse": 0.2}},
            ],
        },
        12,
        40,
    ),
    "targeted_restriction": (
        {
            "horizon": {"start": 2026, "end": 2029},
            "bloc": "USA",
            "minerals": [*GA_GE, "antimony"],
            "events": [
                {"type": "export_restriction", "country": "CHN", "minerals": GA_GE,
                 "stage": "refine", "target": ["USA"], "start": "2026-12-03",
                 "end": "2028-11-08", "share": {"low": 0.8, "central": 0.95, "high": 1.0},
                 "leakage": {"low": 0.0, "central": 0.15, "high": 0.4}},
                {"type": "export_restriction", "country": "CHN", "minerals": ["antimony"],
                 "stage": "mine", "target": "bloc", "start": 2027, "share": 0.9},
            ],
        },
        13,
        30,
    ),
    "host_outages_zinc_bauxite": (
        {
            "horizon": {"start": 2026, "end": 2029},
            "minerals": ["zinc", "germanium", "bauxite", "gallium"],
            "events": [
                {"type": "outage", "country": "CHN", "mineral": "zinc", "stage": "mine",
                 "start": 2027, "duration_years": 1,
                 "capacity_loss": {"low": 0.3, "central": 0.5, "high": 0.8}},
                {"type": "outage", "country": "CHN", "mineral": "bauxite", "stage": "refine",
                 "start": "2027-07-01", "duration_years": 1.5, "capacity_loss": 0.6},
            ],
        },
        14,
        30,
    ),
    "host_outage_copper_cobalt": (
        {
            "horizon": {"start": 2026, "end": 2030},
            "bloc": ["USA", "JPN", "KOR", "DEU"],
            "minerals": ["copper", "cobalt", "nickel"],
            "events": [
                {"type": "outage", "country": "COD", "mineral": "copper", "stage": "mine",
                 "start": "2027-04-01", "duration_years": 1.5,
                 "capacity_loss": {"low": 0.2, "central": 0.4, "high": 0.9}},
                {"type": "outage", "country": "IDN", "mineral": "nickel", "stage": "mine",
                 "start": 2028, "duration_years": 1, "capacity_loss": 0.3},
            ],
        },
        15,
        30,
    ),
    "logistics_delay": (
        {
            "horizon": {"start": 2026, "end": 2029},
            "minerals": ["cobalt", "copper", "graphite"],
            "events": [
                {"type": "logistics", "route": "Strait of Malacca",
                 "minerals": ["cobalt", "copper", "graphite"], "countries": ["CHN", "COD"],
                 "start": "2027-02-01", "duration_years": 1, "delay_days": 45,
                 "capacity_loss": {"low": 0.05, "central": 0.15, "high": 0.3}},
            ],
        },
        16,
        30,
    ),
    "demand_surge": (
        {
            "horizon": {"start": 2026, "end": 2030},
            "minerals": ["copper", "nickel", "graphite"],
            "events": [
                {"type": "demand_surge", "minerals": ["copper", "graphite"], "start": 2027,
                 "duration_years": 2, "factor": {"low": 1.1, "central": 1.3, "high": 1.6}},
                {"type": "demand_surge", "minerals": ["graphite"], "start": "2028-07-01",
                 "duration_years": 1, "factor": {"low": 0.7, "central": 0.8, "high": 0.9}},
            ],
        },
        17,
        30,
    ),
    "stocks": (
        {
            "horizon": {"start": 2026, "end": 2030},
            "minerals": ["cobalt", "gallium", "antimony"],
            "stocks": {"cobalt": 5000.0, "gallium": 5.0},
            "release_trigger": 0.05,
            # The bloc's stock rules alone: no commercial stocks in the market (§2a).
            "parameters": {"*": {"inventory_cover": 0.0}},
            "events": [
                # A small gap (below the trigger): only the forced release is drawn.
                {"type": "outage", "country": "COD", "mineral": "cobalt", "stage": "mine",
                 "start": 2027, "duration_years": 1,
                 "capacity_loss": {"low": 0.01, "central": 0.02, "high": 0.03}},
                {"type": "stock_release", "mineral": "cobalt", "year": 2027, "amount_t": 300},
                # A large gap: the trigger rule releases what is left.
                {"type": "outage", "country": "COD", "mineral": "cobalt", "stage": "mine",
                 "start": 2028, "duration_years": 1,
                 "capacity_loss": {"low": 0.2, "central": 0.4, "high": 0.6}},
                # The year after the outages: Ã = 1 but Fe = 1 + B > 1, so τ keeps counting.
                {"type": "stock_purchase", "mineral": "cobalt", "year": 2029, "amount_t": 2000},
                {"type": "stock_purchase", "mineral": "gallium", "year": 2026, "amount_t": 20},
                {"type": "stock_release", "mineral": "antimony", "year": 2028, "amount_t": 500},
                {"type": "export_restriction", "country": "CHN", "minerals": ["antimony"],
                 "stage": "mine", "start": 2028, "share": 0.5},
            ],
        },
        18,
        30,
    ),
    "state_stockpile_restocking": (
        {
            "horizon": {"start": 2025, "end": 2030},
            "minerals": ["cobalt", "antimony", "gallium"],
            "stocks": {"antimony": 3000.0},
            "events": [
                # China's reserve buys cobalt in 2025-2026; the DLA sells antimony into the
                # market while China licenses it; the bloc releases its own antimony.
                {"type": "state_stockpile", "holder": "CHN", "action": "buy",
                 "mineral": "cobalt", "start": "2025-07-01", "duration_years": 1.5,
                 "tonnes_per_year": {"low": 5000, "central": 10000, "high": 20000}},
                {"type": "state_stockpile", "holder": "USA", "action": "release",
                 "mineral": "antimony", "start": 2027, "end": 2027,
                 "share_of_demand": {"low": 0.01, "central": 0.03, "high": 0.05}},
                {"type": "export_restriction", "country": "CHN", "minerals": ["antimony"],
                 "stage": "mine", "start": "2026-09-15", "duration_years": 2, "share": 0.8},
                {"type": "stock_release", "mineral": "antimony", "year": 2026, "amount_t": 400},
                # A short outage of gallium: holders draw, then restock from 2028.
                {"type": "export_restriction", "country": "CHN", "minerals": ["gallium"],
                 "stage": "refine", "start": 2026, "end": 2027, "share": 0.6},
            ],
        },
        24,
        30,
    ),
    "market_balance": (
        {
            # A surplus (cobalt, drawn), a deficit (antimony, fixed) and a balanced market
            # (gallium) under part-year restrictions (decision 0034).
            "horizon": {"start": 2025, "end": 2027},
            "minerals": ["cobalt", "antimony", "gallium"],
            "parameters": {"cobalt": {"market_balance": {"low": 0.05, "central": 0.15,
                                                         "high": 0.3}},
                           "antimony": {"market_balance": -0.1}},
            "events": [
                {"type": "export_restriction", "country": "COD", "minerals": ["cobalt"],
                 "stage": "mine", "start": "2025-02-22", "end": "2026-06-30",
                 "share": {"low": 0.02, "central": 0.2, "high": 0.9}},
                {"type": "export_restriction", "country": "CHN", "minerals": ["antimony"],
                 "stage": "mine", "start": "2025-09-15", "share": 0.5},
                {"type": "export_restriction", "country": "CHN", "minerals": ["gallium"],
                 "stage": "refine", "start": "2025-09-15", "share": 0.5},
            ],
        },
        34,
        30,
    ),
    "stacked_effects": (
        {
            "horizon": {"start": 2026, "end": 2029},
            "minerals": GA_GE,
            "events": [
                {"type": "export_restriction", "country": "CHN", "minerals": GA_GE,
                 "stage": "refine", "start": 2027, "end": "2027-12-31", "share": 0.5,
                 "exports_share": {"low": 0.6, "central": 0.7, "high": 0.8}},
                {"type": "export_restriction", "country": "CHN", "minerals": GA_GE,
                 "stage": "refine", "start": 2028, "share": 0.3,
                 "exports_share": {"low": 0.85, "central": 0.9, "high": 0.95}},
                {"type": "outage", "country": "CHN", "mineral": "gallium", "stage": "refine",
                 "start": "2027-07-01", "duration_years": 1,
                 "capacity_loss": {"low": 0.2, "central": 0.3, "high": 0.5}},
                {"type": "logistics", "route": "Shanghai", "minerals": GA_GE,
                 "countries": ["CHN", "RUS"], "start": "2027-03-01", "duration_years": 0.5,
                 "delay_days": 20, "capacity_loss": 0.1},
            ],
        },
        23,
        30,
    ),
    "stochastic_restriction": (
        {
            "horizon": {"start": 2026, "end": 2031},
            "minerals": ["graphite", "antimony"],
            "events": [
                {"type": "stochastic_restriction", "country": "CHN", "minerals": ["graphite"],
                 "stage": "refine", "annual_probability": 0.3,
                 "duration_years": {"low": 0.5, "central": 1.0, "high": 2.0},
                 "share": {"low": 0.2, "central": 0.5, "high": 0.9}},
                {"type": "stochastic_restriction", "country": "CHN", "minerals": ["antimony"],
                 "stage": "mine", "annual_probability": 0.2, "duration_years": 1.5,
                 "share": 0.7},
            ],
        },
        19,
        50,
    ),
    "default_hazards": (
        {
            "horizon": {"start": 2026, "end": 2031},
            "minerals": ["gallium", "graphite", "cobalt", "copper"],
            "events": [
                {"type": "default_hazards", "scale": 0.5, "min_share": 0.05,
                 "minerals": ["gallium", "graphite", "cobalt"]},
            ],
        },
        20,
        50,
    ),
    "price_cap_and_floor": (
        {
            "horizon": {"start": 2026, "end": 2029},
            "minerals": [*GA_GE, "antimony"],
            "parameters": {
                "*": {
                    "elasticity_supply_short": 0.0,
                    "elasticity_supply_long": 0.0,
                    "elasticity_demand_short": -0.02,
                    "elasticity_demand_long": {"low": -0.05, "central": -0.03, "high": -0.02},
                    "spare_capacity": 0.0,
                    "ramp_rate": 0.0,
                    "price_cap": {"low": 4.0, "central": 5.0, "high": 8.0},
                }
            },
            "events": [
                {"type": "export_restriction", "country": "CHN", "minerals": GA_GE,
                 "stage": "refine", "start": 2027, "share": 1.0},
                # A demand collapse: the price floor 1 / cap binds.
                {"type": "demand_surge", "minerals": ["antimony"], "start": 2027,
                 "factor": {"low": 0.4, "central": 0.5, "high": 0.6}},
            ],
        },
        21,
        30,
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Block:
    mi: MarketInputs
    dr: Draws
    ref: dict[str, np.ndarray]

    def m(self, mineral: str) -> int:
        return self.mi.minerals.index(mineral)

    def t(self, year: int) -> int:
        return int(np.flatnonzero(self.mi.years == year)[0])


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return critmin.load()


class Blocks:
    """Each case prepared, drawn and run through the reference on first use, then kept."""

    def __init__(self, ds: Dataset) -> None:
        self.ds = ds
        self.done: dict[str, Block] = {}

    def __getitem__(self, name: str) -> Block:
        if name not in self.done:
            fields, seed, n = CASES[name]
            mi = prepare(Scenario.model_validate({"name": name, **fields}), self.ds)
            dr = draw(mi, np.random.default_rng(seed), n)
            self.done[name] = Block(mi, dr, reference.run_block(mi, dr))
        return self.done[name]


@pytest.fixture(scope="module")
def blocks(ds: Dataset) -> Blocks:
    return Blocks(ds)


# --------------------------------------------------------------------------------------------
# the engine against the oracle


@pytest.mark.parametrize("case", sorted(CASES))
def test_engine_matches_reference(blocks: Blocks, case: str) -> None:
    b = blocks[case]
    fast = engine.run_block(b.mi, b.dr)
    assert set(fast) == set(b.ref)
    for key in sorted(b.ref):
        assert fast[key].shape == b.ref[key].shape, key
        np.testing.assert_allclose(fast[key], b.ref[key], rtol=1e-9, atol=1e-9, err_msg=key)


# --------------------------------------------------------------------------------------------
# the reference alone


@pytest.mark.parametrize("case", sorted(CASES))
def test_reference_shapes_and_bounds(blocks: Blocks, case: str) -> None:
    b = blocks[case]
    n, n_t, n_m = b.dr.n, len(b.mi.years), len(b.mi.minerals)
    assert set(b.ref) == {*reference.OUTPUTS, "ai_output"}
    for key in reference.OUTPUTS:
        assert b.ref[key].shape == (n, n_t, n_m), key
        assert b.ref[key].dtype == np.float64, key
        assert not np.isnan(b.ref[key]).any(), key
        assert np.isfinite(b.ref[key]).all(), key
    assert b.ref["ai_output"].shape == (n, n_t, len(b.mi.components))
    assert np.isfinite(b.ref["ai_output"]).all()
    r = b.ref
    np.testing.assert_allclose(r["supply"] + r["stock_release"] + r["unmet"], r["demand"],
                               rtol=1e-12, atol=0.0)  # fmt: skip
    assert (r["shortfall"] >= 0.0).all() and (r["shortfall"] <= 1.0).all()
    assert (r["unmet"] >= 0.0).all()
    assert (r["stock"] >= 0.0).all()
    assert (r["ai_output"] >= 0.0).all() and (r["ai_output"] <= 1.0).all()
    cap = b.dr.params["price_cap"][:, None, :]
    assert (r["price_index"] >= 1.0 / cap).all() and (r["price_index"] <= cap).all()
    # §6: each component is limited by the scarcest mineral it uses (1 when it uses none).
    for j in range(len(b.mi.components)):
        used = b.mi.component_uses[j]
        expected = (1.0 - r["shortfall"][:, :, used]).min(axis=2) if used.any() else 1.0
        np.testing.assert_array_equal(r["ai_output"][:, :, j], expected)


def test_full_ban_raises_prices_and_front_running_fills_the_stock(
    blocks: Blocks,
) -> None:
    b = blocks["full_ban_front_running"]
    ga = b.m("gallium")
    # Before the ban takes effect gallium is balanced; in the first full year it is not.
    assert (b.ref["price_index"][:, b.t(2027), ga] > 1.5).all()
    assert (b.ref["available"][:, b.t(2027), ga] < 0.5).all()
    # The ban has ended: holders restock what they drew (§2a), which holds the price above
    # the baseline but far below the ban years.
    after = b.ref["price_index"][:, b.t(2030), ga]
    assert (after >= 1.0).all() and (after < b.ref["price_index"][:, b.t(2027), ga]).all()
    # The front-running pulse lands in the stock at the end of 2026 (§5).
    t0 = b.t(2026)
    assert b.mi.front_run[t0, ga] > 0
    expected = (b.mi.stock0[ga] - b.ref["stock_release"][:, t0, ga]
                + b.mi.front_run[t0, ga] * b.mi.bloc_share[ga] * b.mi.world_t[t0, ga])  # fmt: skip
    np.testing.assert_allclose(b.ref["stock"][:, t0, ga], expected, rtol=1e-12)
    assert (b.ref["stock_release"][:, b.t(2027), ga] > 0).all()


def test_partial_restriction_first_shock_year_clears_by_hand(blocks: Blocks) -> None:
    """In the first shocked year the short-run elasticities apply; the restriction is in force
    from 15 March, so the months in force clear at the full-rate loss (§1a), with
    precautionary buying (§2), below the substitution threshold (§4), and the rest of the
    year is at baseline: the year's index is the time-weighted mean."""
    b = blocks["partial_restriction"]
    t = b.t(2027)
    assert (b.ref["available"][:, b.t(2026), :] == 1.0).all()
    for mineral in GA_GE:
        m = b.m(mineral)
        p = {k: v[:, m] for k, v in b.dr.params.items()}
        a = b.ref["available"][:, t, m]
        (x,) = [x for x in b.mi.effects if b.mi.slot_mineral[x.slot] == m]
        f = x.fraction[t]
        assert 0.7 < f < 0.9  # 15 March to 31 December
        a_on = 1.0 - (1.0 - a) / f
        fe_on = 1.0 + p["precautionary_buying"] * (1.0 - a_on)
        # Commercial stocks (§2a): the first year of the run, a share of the loss, up to cover.
        released = np.minimum(p["inventory_cover"], p["inventory_release"] * (1.0 - a))
        a_on = a_on + released / f
        es, ed = p["elasticity_supply_short"], p["elasticity_demand_short"]
        p0 = (fe_on / a_on) ** (1.0 / (es - ed))
        ok = (p0**es <= 1.0 + p["spare_capacity"]) & (p0 <= p["substitution_threshold"])
        # Where the bloc releases its front-run stock the market clears again, lower (§5).
        released = b.ref["stock_release"][:, t, m] > 0
        assert (ok & ~released).any() and released.any()
        price = f * p0 + (1.0 - f)
        np.testing.assert_allclose(b.ref["price_index"][ok & ~released, t, m],
                                   price[ok & ~released], rtol=1e-12)  # fmt: skip
        assert (b.ref["price_index"][ok & released, t, m] < price[ok & released]).all()
        # Availability from §1: one restriction on one slot, own use out of the open market,
        # recycling on top.
        (x,) = [x for x in b.mi.effects if b.mi.slot_mineral[x.slot] == m]
        share, xs = b.mi.slot_share[x.slot], b.dr.exports[:, x.event]
        assert (xs < 1.0).all()
        loss = b.dr.magnitude[:, x.event] * xs * x.target_factor * x.fraction[t]
        stage = np.maximum(0.0, 1.0 - share * loss / (1.0 - share * (1.0 - xs)))
        r = p["recycling_input_rate"]
        np.testing.assert_allclose(a, (1 - r) * stage + r, rtol=1e-12)


def test_targeted_restriction_bites_less(blocks: Blocks) -> None:
    b = blocks["targeted_restriction"]
    factors = [x.target_factor for x in b.mi.effects]
    assert all(0.0 <= f < 1.0 for f in factors)
    assert any(f > 0.0 for f in factors)


def test_host_outages_cut_the_by_products(blocks: Blocks) -> None:
    b = blocks["host_outages_zinc_bauxite"]
    t = b.t(2027)
    # No event names germanium or gallium: their loss comes through the host links only.
    assert {int(b.mi.slot_mineral[x.slot]) for x in b.mi.effects} == {b.m("zinc"), b.m("bauxite")}
    for mineral in ("germanium", "gallium", "zinc", "bauxite"):
        assert (b.ref["available"][:, t, b.m(mineral)] < 1.0).all(), mineral
        assert (b.ref["available"][:, b.t(2026), b.m(mineral)] == 1.0).all(), mineral
    c = blocks["host_outage_copper_cobalt"]
    assert (c.ref["available"][:, c.t(2027), c.m("cobalt")] < 1.0).all()
    assert (c.ref["available"][:, c.t(2026), c.m("cobalt")] == 1.0).all()


def test_logistics_delay_is_an_extra_first_year_loss(blocks: Blocks) -> None:
    b = blocks["logistics_delay"]
    assert any(x.kind == "logistics" and x.delay.max() > 0 for x in b.mi.effects)
    assert (b.ref["available"][:, b.t(2027), :] < 1.0).all()
    assert (b.ref["available"][:, b.t(2029), :] == 1.0).all()


def test_demand_surge_raises_demand(blocks: Blocks) -> None:
    b = blocks["demand_surge"]
    base = b.mi.bloc_share * b.mi.world_t
    cu, ni = b.m("copper"), b.m("nickel")
    t = b.t(2027)
    assert (b.ref["demand"][:, t, cu] > base[t, cu]).all()
    assert (b.ref["price_index"][:, t, cu] > 1.0).all()
    assert (b.ref["price_index"][:, :, ni] == 1.0).all()
    np.testing.assert_allclose(b.ref["demand"][:, :, ni], np.broadcast_to(base[:, ni], (b.dr.n,
                               len(b.mi.years))), rtol=1e-12)  # fmt: skip


def test_stock_events(blocks: Blocks) -> None:
    b = blocks["stocks"]
    co, ga, sb = b.m("cobalt"), b.m("gallium"), b.m("antimony")
    r = b.ref
    assert b.mi.stock0[co] == 5000.0 and b.mi.stock0[sb] == 500.0
    # 2027: the gap is below the trigger, so only the forced release (≤ the gap) is drawn.
    t = b.t(2027)
    gap = r["demand"][:, t, co] - r["supply"][:, t, co]
    assert (gap > 0).all() and (gap <= 0.05 * r["demand"][:, t, co]).all()
    np.testing.assert_allclose(r["stock_release"][:, t, co], np.minimum(300.0, gap), rtol=1e-12)
    # 2028: the gap is above the trigger and the stock covers it.
    t = b.t(2028)
    assert (r["stock_release"][:, t, co] > 300.0).all()
    # 2029: Ã = 1 but the purchase makes Fe = 1 + B > 1, so the market is still in shock
    # (§3, third year: τ = 3); the purchase is filled at the price it causes and bought into
    # the stock, and the small gap it leaves the bloc is below the trigger.
    t = b.t(2029)
    assert (r["available"][:, t, co] == 1.0).all()
    p = {k: v[:, co] for k, v in b.dr.params.items()}
    w = np.minimum(1.0, 2.0 / p["adjustment_years"])
    es = (
        p["elasticity_supply_short"]
        + (p["elasticity_supply_long"] - p["elasticity_supply_short"]) * w
    )
    ed = (
        p["elasticity_demand_short"]
        + (p["elasticity_demand_long"] - p["elasticity_demand_short"]) * w
    )
    price = (1.0 + 2000.0 / b.mi.world_t[t, co]) ** (1.0 / (es - ed))
    assert (price**es <= 1.0 + p["spare_capacity"] + 2.0 * p["ramp_rate"]).all()
    np.testing.assert_allclose(r["price_index"][:, t, co], price, rtol=1e-12)
    assert (r["stock_release"][:, t, co] == 0.0).all()
    np.testing.assert_allclose(r["stock"][:, t, co], r["stock"][:, t - 1, co] + 2000.0 * price**ed,
                               rtol=1e-12)  # fmt: skip
    # The gallium purchase raises demand to Fe = 1 + B and is filled at the price it causes
    # (short-run elasticities, supply below its ceiling), then stays in stock.
    t = b.t(2026)
    p = {k: v[:, ga] for k, v in b.dr.params.items()}
    es, ed = p["elasticity_supply_short"], p["elasticity_demand_short"]
    fe = 1.0 + 20.0 / b.mi.world_t[t, ga]
    price = fe ** (1.0 / (es - ed))
    assert (price**es <= 1.0 + p["spare_capacity"]).all()
    np.testing.assert_allclose(r["price_index"][:, t, ga], price, rtol=1e-12)
    np.testing.assert_allclose(r["stock"][:, t, ga], 5.0 + 20.0 * price**ed, rtol=1e-12)
    assert (r["stock"][:, b.t(2030), ga] == r["stock"][:, t, ga]).all()


def test_state_stockpiles_bloc_releases_and_restocking(blocks: Blocks) -> None:
    b = blocks["state_stockpile_restocking"]
    r = b.ref
    co, sb, ga = b.m("cobalt"), b.m("antimony"), b.m("gallium")
    # China's purchases raise cobalt's price with nothing lost (§2b); none before July 2025.
    assert (r["available"][:, :, co] == 1.0).all()
    assert (r["price_index"][:, b.t(2025), co] > 1.0).all()
    assert (r["price_index"][:, b.t(2026), co] > 1.0).all()
    # The bloc's antimony stock is released and the world price clears again, lower.
    assert (r["stock_release"][:, b.t(2026), sb] > 0).all()
    # Gallium: the loss ends after 2027; holders restock in 2028, holding the price up.
    t = b.t(2028)
    assert (r["available"][:, t, ga] == 1.0).all()
    assert (r["price_index"][:, t, ga] > 1.0).all()
    assert (r["price_index"][:, t, ga] < r["price_index"][:, b.t(2027), ga]).all()
    # Once a full cover is rebuilt the market is calm again.
    drawn = r["price_index"][:, b.t(2030), ga]
    assert (drawn >= 1.0).all() and (drawn == 1.0).any()


def test_market_balance_absorbs_a_loss_first(blocks: Blocks) -> None:
    """A baseline surplus absorbs a loss before the price moves; a balanced market's
    availability is untouched; under a deficit the same share of supply lost is less demand
    (decision 0034). The reference checked against the closed form of §1b."""
    b = blocks["market_balance"]
    r = b.ref
    co = b.m("cobalt")
    s_bal = b.dr.params["market_balance"][:, co]
    assert (s_bal >= 0.05).all() and (s_bal <= 0.3).all() and s_bal.std() > 0
    # The same scenario without the balance: the raw availability.
    fields = dict(CASES["market_balance"][0], name="no balance")
    fields.pop("parameters")
    mi0 = prepare(Scenario.model_validate(fields), blocks.ds)
    dr0 = draw(mi0, np.random.default_rng(CASES["market_balance"][1]), b.dr.n)
    # Every draw but the balance is the same (the balance has a stream of its own).
    for k in dr0.params:
        if k != "market_balance":
            np.testing.assert_array_equal(dr0.params[k], b.dr.params[k], err_msg=k)
    raw = engine.run_block(mi0, dr0)
    t = b.t(2026)  # in force to 30 June: about half the year
    f_in = engine.in_force(b.mi, b.dr)
    assert f_in is not None
    f = f_in[:, t, co]
    assert (abs(f - 0.5) < 0.01).all()
    a_raw = raw["available"][:, t, co]
    on = np.maximum(0.0, np.minimum(1.0, 1.0 + s_bal - (1.0 + s_bal) * (1.0 - a_raw) / f))
    np.testing.assert_allclose(r["available"][:, t, co], 1.0 - f * (1.0 - on), rtol=1e-9)
    absorbed = (1.0 - a_raw) / f * (1.0 + s_bal) <= s_bal
    assert absorbed.any() and (~absorbed).any()
    assert (r["price_index"][absorbed, t, co] == 1.0).all()
    assert (r["price_index"][~absorbed, t, co] > 1.0).all()
    assert (r["price_index"][:, :, co] <= raw["price_index"][:, :, co] + 1e-12).all()
    ga, sb = b.m("gallium"), b.m("antimony")
    np.testing.assert_array_equal(r["available"][:, :, ga], raw["available"][:, :, ga])
    # A deficit (supply 0.9 of demand, stocks drawn for the rest): a loss of the supply is
    # (1 + s) times as much in demand units, and the baseline stock draw continues.
    np.testing.assert_allclose(
        1.0 - r["available"][:, 1:, sb], 0.9 * (1.0 - raw["available"][:, 1:, sb]), rtol=1e-9
    )


def test_stacked_effects_on_one_slot(blocks: Blocks) -> None:
    """Several effects on one slot multiply; own use is the largest over its restrictions."""
    b = blocks["stacked_effects"]
    ga = b.m("gallium")
    (slot,) = {x.slot for x in b.mi.effects if b.mi.slot_mineral[x.slot] == ga
               and b.mi.slot_country[x.slot] == "CHN"}  # fmt: skip
    on_slot = [x for x in b.mi.effects if x.slot == slot]
    assert sorted(x.kind for x in on_slot) == ["logistics", "outage", "restriction", "restriction"]
    t = b.t(2027)
    left = np.ones(b.dr.n)
    own = np.zeros(b.dr.n)
    for x in on_slot:
        left *= 1.0 - reference_loss(b, x, t)
        if x.kind == "restriction":
            own = np.maximum(own, 1.0 - b.dr.exports[:, x.event])
    share = b.mi.slot_share[slot]
    others = [
        i for i, c in enumerate(b.mi.slot_country) if b.mi.slot_mineral[i] == ga and i != slot
    ]
    lost_others = 0.0
    for i in others:  # the RUS slot: logistics only
        (x,) = [x for x in b.mi.effects if x.slot == i]
        lost_others = lost_others + b.mi.slot_share[i] * reference_loss(b, x, t)
    stage = np.maximum(0.0, 1.0 - (share * (1.0 - left) + lost_others) / (1.0 - share * own))
    r = b.dr.params["recycling_input_rate"][:, ga]
    np.testing.assert_allclose(b.ref["available"][:, t, ga], (1 - r) * stage + r, rtol=1e-12)


def reference_loss(b: Block, x: Effect, t: int) -> np.ndarray:
    """§1's loss table, vectorised over samples (restriction, outage, logistics)."""
    mag = b.dr.magnitude[:, x.event]
    if x.kind == "restriction":
        return mag * b.dr.exports[:, x.event] * x.target_factor * x.fraction[t]
    if x.kind == "outage":
        return mag * x.fraction[t]
    assert x.kind == "logistics"
    return np.minimum(1.0, mag * x.fraction[t] + x.delay[t])


def test_stochastic_restrictions_happen_in_some_samples(blocks: Blocks) -> None:
    for case in ("stochastic_restriction", "default_hazards"):
        b = blocks[case]
        assert all(x.kind == "stochastic" for x in b.mi.effects)
        assert len(b.mi.effects) >= 2
        hit = (b.ref["available"] < 1.0).any(axis=(1, 2))
        assert hit.any() and not hit.all(), case


def test_price_cap_and_floor_bind(blocks: Blocks) -> None:
    b = blocks["price_cap_and_floor"]
    cap = b.dr.params["price_cap"]
    for mineral in GA_GE:
        m = b.m(mineral)
        for year in (2027, 2028, 2029):
            t = b.t(year)
            np.testing.assert_array_equal(b.ref["price_index"][:, t, m], cap[:, m])
            assert (b.ref["shortfall"][:, t, m] > 0.0).all()
        assert (b.ref["price_index"][:, b.t(2026), m] == 1.0).all()
    sb = b.m("antimony")
    for year in (2027, 2028, 2029):
        t = b.t(year)
        np.testing.assert_array_equal(b.ref["price_index"][:, t, sb], 1.0 / cap[:, sb])
        assert (b.ref["shortfall"][:, t, sb] == 0.0).all()


def test_clear_with_nothing_available() -> None:
    """Ã = 0: the price is the cap and nothing is traded (§4)."""
    for es in (0.0, 0.1):
        flat = reference.Demand(-0.1, 50.0, 0.0, 50.0, 0.0)
        assert reference.clear(0.0, 1.2, es, 1.1, 7.0, flat) == (7.0, 0.0)


def test_total_loss_clears_at_the_cap(ds: Dataset) -> None:
    """Every producer's route closed, no recycling and no commercial stocks: Ã = 0 (to
    rounding), P = the cap."""
    minerals = ["germanium", "antimony"]
    countries = sorted(
        {str(c) for m, st in (("germanium", "refine"), ("antimony", "mine"))
         for c in ds.supply(m, st).query("entity_kind == 'country'")["country"].dropna()}
    )  # fmt: skip
    mi = prepare(
        Scenario.model_validate({
            "name": "total loss", "horizon": {"start": 2026, "end": 2028}, "minerals": minerals,
            "parameters": {"*": {"recycling_input_rate": 0.0, "inventory_cover": 0.0}},
            "events": [{"type": "logistics", "route": "all", "minerals": minerals,
                        "countries": countries, "start": 2027, "capacity_loss": 1.0}],
        }),
        ds,
    )  # fmt: skip
    dr = draw(mi, np.random.default_rng(22), 20)
    ref = reference.run_block(mi, dr)
    t = 1
    np.testing.assert_allclose(ref["available"][:, t], 0.0, atol=1e-12)
    np.testing.assert_array_equal(ref["price_index"][:, t], dr.params["price_cap"])
    np.testing.assert_allclose(ref["shortfall"][:, t], 1.0, atol=1e-12)
    fast = engine.run_block(mi, dr)
    for key in sorted(ref):
        np.testing.assert_allclose(fast[key], ref[key], rtol=1e-9, atol=1e-9, err_msg=key)
