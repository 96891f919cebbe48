"""Consequence-based objectives and realistic limits: hand-solved LPs, market limits, zero
marginal values, monotonicity in budget, the Pareto frontier, and every example-plan item."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import critmin
from critmin.data.dataset import Dataset
from critmin.policy import objectives as ob
from critmin.policy.evaluate import evaluate
from critmin.policy.levers import STOCK_MARKET_SHARE, item_effects
from critmin.policy.optimize import Model, Options, frontier, lever_options, solve
from critmin.policy.plan import Plan, load_plan
from critmin.sim.inputs import prepare
from critmin.sim.runner import simulate
from critmin.sim.scenario import Scenario

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_PLAN = ROOT / "examples" / "plan-partners-11.6bn.yaml"
YEARS = [2026, 2027, 2028]


def _opts(spec: list[tuple[str, list[float], float, float]], mineral: str) -> Options:
    """(name, k per year t/yr per USD, stock t per USD, co2 t per USD)."""
    names = [s[0] for s in spec]
    table = pd.DataFrame(
        [(n, "refine", mineral, "USA", "refine", 1.0, np.nan, "") for n, *_ in spec],
        columns=["option", "lever", "mineral", "country", "stage", "usd_per_unit", "cap_usd",
                 "note"],
    )  # fmt: skip
    k = np.array([[[v] for v in s[1]] for s in spec])
    return Options(
        table=table,
        k=xr.DataArray(
            k,
            coords={"option": names, "year": YEARS, "mineral": [mineral]},
            dims=("option", "year", "mineral"),
        ),
        stock=xr.DataArray(
            [[s[2]] for s in spec],
            coords={"option": names, "mineral": [mineral]},
            dims=("option", "mineral"),
        ),
        co2=xr.DataArray([s[3] for s in spec], coords={"option": names}, dims="option"),
    )


def _base(unmet: np.ndarray, demand: float, mineral: str) -> xr.Dataset:
    coords = {"sample": np.arange(unmet.shape[0]), "year": YEARS, "mineral": [mineral]}
    dims = ("sample", "year", "mineral")
    return xr.Dataset(
        {"unmet": (dims, unmet), "demand": (dims, np.full(unmet.shape, demand))}, coords=coords
    )


def _ai(v: list[float], minerals: tuple[str, ...]) -> ob.AiValue:
    return ob.AiValue(np.array(v), minerals, 1.0, "hand")


# ------------------------------------------------------------------ hand-solved LPs per objective


@pytest.mark.parametrize(
    ("budget", "expected"), [(0.0, 0.6), (1.0e7, 0.4), (2.0e7, 0.2), (4.0e7, 0.0), (6.0e7, 0.0)]
)
def test_ai_objective_priority_rule_hand_solved(budget: float, expected: float) -> None:
    # AI is half the bloc's helium demand and is served first (decision 0033): with 80 of
    # 100 t unmet, AI gets 20 t of its 50 t: short 1 − 0.2/0.5 = 0.6. Each 1e7 USD adds 10 t.
    u = np.zeros((2, 3, 1))
    u[0, 1, 0] = 80.0
    opts = _opts([("cap", [1e-6] * 3, 0.0, 0.0)], "helium")
    ai = ob.AiValue(np.array([0.0, 1.0e9, 0.0]), ("helium",), 1.0, "hand", "priority",
                    np.full((3, 1), 0.5))  # fmt: skip
    sol = solve(_base(u, 100.0, "helium"), opts, budget, objective={"ai_output_usd": 1}, ai=ai)
    assert sol.objectives["ai_output_usd"] == pytest.approx(1e9 * expected / 2, abs=1.0)
    # Money stops where AI is fully served (40 of the 80 t): no dollar beyond 4e7.
    assert float(sol.allocation["usd"].sum()) <= 4.0e7 * (1 + 1e-6)


def test_central_rule_spends_nothing_when_ai_is_served(
    ds: Dataset, scenario: Scenario, model: tuple[Model, Options, object]
) -> None:
    # Under the central rule AI's share of the bloc's demand (≤ a few % here) is always
    # served in this scenario: AI output at risk is zero and the optimiser spends nothing.
    _, opts, mi = model
    base = simulate(scenario, ds)
    m = Model(base, opts, ai=ob.ai_value(mi))  # type: ignore[arg-type]
    sol = m.run(1.0e10, {"ai_output_usd": 1.0})
    assert sol.objectives["ai_output_usd"] == 0.0
    assert float(sol.allocation["usd"].sum()) == 0.0


def test_ai_objective_hand_solved() -> None:
    # Helium has no price: only the AI objective values it. 2 samples, shortfall 40 of 100 t
    # in 2027 in sample 0; V = 1e9 USD in 2027. Capacity k = 1e-6 t/yr per USD.
    u = np.zeros((2, 3, 1))
    u[0, 1, 0] = 40.0
    opts = _opts([("cap", [1e-6] * 3, 0.0, 0.0)], "helium")
    ai = _ai([0.0, 1.0e9, 0.0], ("helium",))
    for budget in (1.0e7, 2.0e7):
        sol = solve(_base(u, 100.0, "helium"), opts, budget, objective={"ai_output_usd": 1}, ai=ai)
        left = max(0.0, 40.0 - 1e-6 * budget)
        assert sol.objectives["ai_output_usd"] == pytest.approx(1e9 * left / 100.0 / 2, rel=1e-6)
        assert float(sol.allocation["usd"].iloc[0]) == pytest.approx(budget, rel=1e-6)
    # More money than the shortfall needs: only what removes it is spent (4e7 USD).
    sol = solve(_base(u, 100.0, "helium"), opts, 1.0e8, objective={"ai_output_usd": 1}, ai=ai)
    assert sol.objectives["ai_output_usd"] == pytest.approx(0.0, abs=1e-3)
    assert float(sol.allocation["usd"].iloc[0]) == pytest.approx(4.0e7, rel=1e-6)


def test_ai_objective_is_the_worst_input() -> None:
    # Two AI minerals short in the same year: the loss is the larger shortfall, not the sum.
    coords = {"sample": [0], "year": YEARS, "mineral": ["helium", "boron"]}
    dims = ("sample", "year", "mineral")
    un = np.zeros((1, 3, 2))
    un[0, 0] = [30.0, 10.0]
    base = xr.Dataset({"unmet": (dims, un), "demand": (dims, np.full((1, 3, 2), 100.0))},
                      coords=coords)  # fmt: skip
    opts = _opts([("cap", [1e-6] * 3, 0.0, 0.0)], "helium")
    ai = _ai([1.0e9, 0.0, 0.0], ("helium", "boron"))
    sol = solve(base, opts, 0.0, objective={"ai_output_usd": 1}, ai=ai)
    assert sol.objectives["ai_output_usd"] == pytest.approx(0.30e9, rel=1e-6)
    # Removing 25 t of helium: helium 5 %, boron 10 % → the loss is boron's 10 %.
    sol = solve(base, opts, 2.5e7, objective={"ai_output_usd": 1}, ai=ai)
    assert sol.objectives["ai_output_usd"] == pytest.approx(0.10e9, rel=1e-6)
    # Only 2e7 USD are worth spending: beyond 20 t, boron's shortfall is binding.
    assert float(sol.allocation["usd"].iloc[0]) == pytest.approx(2.0e7, rel=1e-6)


def test_co2_objective_and_limit_hand_solved() -> None:
    u = np.full((1, 3, 1), 50.0)
    opts = _opts([("clean", [1e-5] * 3, 0.0, 1e-6), ("dirty", [2e-5] * 3, 0.0, 1e-5)], "copper")
    base = _base(u, 100.0, "copper")
    # Minimising CO2e alone spends nothing.
    sol = solve(base, opts, 1.0e6, objective={"co2e_t": 1})
    assert sol.co2e_t == pytest.approx(0.0, abs=1e-9)
    assert float(sol.allocation["usd"].sum()) == pytest.approx(0.0, abs=1e-3)
    # Unmet cost with CO2e ≤ 2 t: dirty (better per dollar) up to the limit, then clean.
    free = solve(base, opts, 1.0e6)
    assert free.allocation.set_index("option").loc["dirty", "usd"] == pytest.approx(1e6, rel=1e-6)
    lim = solve(base, opts, 1.0e6, limits={"co2e_t": 2.0})
    assert lim.co2e_t <= 2.0 + 1e-6
    x = lim.allocation.set_index("option")["usd"]
    assert 1e-5 * x["dirty"] + 1e-6 * x["clean"] == pytest.approx(2.0, rel=1e-6)
    assert lim.expected_cost >= free.expected_cost


def test_parse_weights_and_names() -> None:
    assert ob.parse_weights("ai") == {"ai_output_usd": 1.0}
    with pytest.raises(ValueError, match="cannot be optimised"):
        ob.parse_weights("economic")
    with pytest.raises(ValueError, match="unknown objective"):
        ob.parse_weights("gdp")
    with pytest.raises(ValueError, match="≥ 0"):
        ob.parse_weights("ai:-1")


# ------------------------------------------------------------------ a small real problem


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return critmin.load()


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return Scenario.model_validate(
        {
            "name": "small gallium restriction",
            "horizon": {"start": 2026, "end": 2031},
            "bloc": "OECD",
            "samples": 40,
            "seed": 11,
            "minerals": ["gallium", "germanium", "cobalt", "rare_earths", "tin", "tantalum"],
            "events": [
                {
                    "type": "export_restriction",
                    "country": "CHN",
                    "minerals": ["gallium", "germanium", "rare_earths"],
                    "stage": "refine",
                    "start": 2026,
                    "duration_years": 4,
                    "share": {"low": 0.6, "central": 0.8, "high": 0.95},
                }
            ],
        }
    )


@pytest.fixture(scope="module")
def model(ds: Dataset, scenario: Scenario) -> tuple[Model, Options, object]:
    base = simulate(scenario, ds)
    mi = prepare(scenario, ds)
    opts = lever_options(mi, ds)
    # The pro-rata rule (the upper bound): this scenario leaves AI hardware short only when
    # every use is short alike (under the central rule AI's small share of demand is always
    # served; see test_central_rule_spends_nothing_when_ai_is_served).
    return Model(base, opts, ai=ob.ai_value(mi, "pro_rata")), opts, mi


def test_ai_value_is_sourced(model: tuple[Model, Options, object]) -> None:
    mi = model[2]
    v = ob.ai_value(mi)  # type: ignore[arg-type]
    assert np.isfinite(v.usd).all() and (v.usd > 0).all()
    assert "McKinsey" in v.note and "IEA" in v.note
    assert 0.6 < v.bloc_share < 0.61  # US + Europe of 415 TWh (OECD bloc, a lower bound)


def test_no_stockpile_purchase_above_the_market_limit(
    model: tuple[Model, Options, object],
) -> None:
    m, opts, mi = model
    stock = opts.table[opts.table["lever"] == "stockpile"].set_index("option")
    for _, row in stock.iterrows():
        j = mi.minerals.index(row["mineral"])  # type: ignore[attr-defined]
        world = float(mi.world_t[0, j])  # type: ignore[attr-defined]
        assert row["cap_usd"] == pytest.approx(STOCK_MARKET_SHARE * world * row["usd_per_unit"])
    for objective in ({"ai_output_usd": 1.0}, {"unmet_cost_usd": 1.0}):
        sol = m.run(5.0e10, objective)
        alloc = sol.allocation.set_index("option")
        for o, row in stock.iterrows():
            assert alloc.loc[o, "usd"] <= row["cap_usd"] * (1 + 1e-6) + 1.0


def test_no_funds_where_the_marginal_value_is_zero(model: tuple[Model, Options, object]) -> None:
    m, _, _ = model
    # A huge budget: what is spent stops where the marginal value reaches zero.
    for objective in ({"ai_output_usd": 1.0}, {"unmet_cost_usd": 1.0}):
        sol = m.run(1.0e13, objective)
        alloc = sol.allocation
        funded = alloc[alloc["usd"] >= 1.0]
        assert float(alloc["usd"].sum()) < 1.0e13 * 0.999
        assert (funded["marginal_value"] > 0).all()
        assert sol.budget_dual == 0.0


def test_zero_effect_lever_gets_zero_dollars(model: tuple[Model, Options, object]) -> None:
    m, _, _ = model
    for objective in ({"ai_output_usd": 1.0}, {"unmet_cost_usd": 1.0}):
        sol = m.run(2.0e9, objective)
        alloc = sol.allocation.set_index("option")
        # Options whose mineral has no shortfall anywhere have no effect on any objective.
        dead = [o for o, mv in alloc["marginal_value"].items() if mv <= 0]
        assert dead
        assert alloc.loc[dead, "usd"].abs().max() < 1.0


@pytest.mark.parametrize("objective", ["ai_output_usd", "unmet_cost_usd"])
def test_monotone_in_budget(model: tuple[Model, Options, object], objective: str) -> None:
    m, _, _ = model
    values = [m.run(b, {objective: 1.0}).objectives[objective] for b in (0, 1e8, 1e9, 5e9, 2e10)]
    for a, b in itertools.pairwise(values):
        assert b <= a * (1 + 1e-6) + 1.0
    assert values[-1] < values[0]


def test_pareto_frontier_is_monotone(model: tuple[Model, Options, object]) -> None:
    m, _, _ = model
    for axes in (("ai_output_usd", "co2e_t"), ("ai_output_usd", "unmet_cost_usd")):
        front = frontier(m, 5.0e9, axes, 5)
        a, b = front[axes[0]].to_numpy(), front[axes[1]].to_numpy()
        assert len(front) == 5
        assert np.all(np.diff(front[f"{axes[1]}_limit"].to_numpy()) >= 0)
        assert np.all(np.diff(a) <= 1e-6 * max(1.0, a.max()))  # x falls as y's limit rises
        assert np.all(b <= front[f"{axes[1]}_limit"].to_numpy() + 1e-6 * max(1.0, b.max()))


# ------------------------------------------------------------------ every example-plan item


def test_every_example_item_has_an_effect_or_names_the_missing_figure(ds: Dataset) -> None:
    from critmin.analysis.plans import standard_scenario

    plan = load_plan(EXAMPLE_PLAN)
    mi = prepare(standard_scenario(), ds)
    for e in item_effects(plan, mi, ds):
        if e.status == "ok":
            assert e.dedicated.sum() > 0 or e.quantity_t > 0, e
        else:
            assert "capital cost" in e.note or "price" in e.note, e.note
    tt = {e.mineral: e for e in item_effects(plan, mi, ds) if e.mineral in ("tantalum", "tin")}
    assert tt["tin"].status == "ok" and tt["tin"].dedicated.sum() > 0
    assert tt["tantalum"].status == "ok" and tt["tantalum"].dedicated.sum() > 0


def test_large_stockpile_is_spread_over_years(ds: Dataset, scenario: Scenario) -> None:
    mi = prepare(scenario, ds)
    j = mi.minerals.index("gallium")
    cap = STOCK_MARKET_SHARE * mi.world_t[:, j]
    item = {"lever": "stockpile", "minerals": ["gallium"], "usd": 1.0e10, "start": 2026}
    plan = Plan.model_validate({"name": "big", "items": [item]})
    (e,) = item_effects(plan, mi, ds)
    assert e.purchases is not None
    assert np.all(e.purchases <= cap + 1e-6)
    assert "market limit" in e.note


def test_evaluation_shows_every_objective(scenario: Scenario) -> None:
    plan = Plan.model_validate({"name": "ga", "items": [
        {"lever": "stockpile", "minerals": ["gallium"], "usd": 5.0e7, "start": 2026}]})  # fmt: skip
    ev = evaluate(plan, scenario, samples=20)
    cons = ev.consequences.set_index("objective")
    assert list(cons.index) == list(ob.OBJECTIVES)
    assert cons.loc["ai_output_usd", "plan"] <= cons.loc["ai_output_usd", "base"]
    assert np.isnan(cons.loc["economic_loss_usd", "plan"])
    assert "insufficient data" in cons.loc["economic_loss_usd", "note"]
    assert ev.scenario == scenario.name
