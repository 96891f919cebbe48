"""A plan through the simulator on the same samples as its baseline (China Ga/Ge 2023)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import critmin
from critmin.data.dataset import Dataset
from critmin.policy.evaluate import COLUMNS, Evaluation, evaluate
from critmin.policy.plan import Plan
from critmin.sim.runner import simulate
from critmin.sim.scenario import Scenario, load_scenario
from critmin.sim.summary import summary

ROOT = Path(__file__).resolve().parents[2]
GAGE = ROOT / "examples" / "china-gallium-germanium-2023.yaml"
SAMPLES = 100

#: (table column, summary column) pairs for the baseline.
BASE_COLUMNS = {
    "shortfall_mean_base": "shortfall_mean",
    "shortfall_p95_base": "shortfall_p95",
    "unmet_t_base": "unmet_t_mean",
    "price_index_p95_base": "price_index_p95",
    "years_to_recover_base": "years_to_recover_mean",
}


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return critmin.load()


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_scenario(GAGE)


def _plan(*items: dict) -> Plan:
    return Plan.model_validate({"name": "test plan", "items": list(items)})


STOCKPILE = {"lever": "stockpile", "minerals": ["gallium"], "usd": 5.0e6, "start": 2023}
REFINE = {
    "lever": "refine",
    "minerals": ["gallium"],
    "country": "USA",
    "quantity_t": 80.0,
    "start": 2023,
}


@pytest.fixture(scope="module")
def stock_eval(ds: Dataset, scenario: Scenario) -> Evaluation:
    return evaluate(_plan(STOCKPILE), scenario, ds, samples=SAMPLES)


@pytest.fixture(scope="module")
def both_eval(ds: Dataset, scenario: Scenario) -> Evaluation:
    return evaluate(_plan(STOCKPILE, REFINE), scenario, ds, samples=SAMPLES)


@pytest.fixture(scope="module")
def plain(ds: Dataset, scenario: Scenario) -> xr.Dataset:
    return simulate(scenario, ds, samples=SAMPLES)


def test_columns_and_total_row(both_eval: Evaluation) -> None:
    tab = both_eval.table
    assert list(tab.columns) == list(COLUMNS)
    assert tab["mineral"].iloc[-1] == "total"
    assert (tab["mineral"] == "total").sum() == 1
    tot = tab.iloc[-1]
    for c in ("ai_output_at_risk_base", "ai_output_at_risk_plan"):
        assert 0.0 <= tot[c] <= 1.0
    assert tot["cost_usd"] == pytest.approx(5.0e6)  # the quantity-only item costs nothing
    rows = tab.iloc[:-1]
    assert {"gallium", "germanium"} <= set(rows["mineral"])
    assert rows["ai_output_at_risk_base"].isna().all()
    assert tot["unmet_cost_usd_plan"] == pytest.approx(rows["unmet_cost_usd_plan"].sum())
    assert list(rows["mineral"]) == sorted(rows["mineral"])


@pytest.mark.parametrize("which", ["stock", "both"])
def test_plan_never_increases_unmet(
    which: str, stock_eval: Evaluation, both_eval: Evaluation
) -> None:
    ev = stock_eval if which == "stock" else both_eval
    rows = ev.table[ev.table["mineral"] != "total"]
    assert (rows["unmet_t_plan"] <= rows["unmet_t_base"] * (1 + 1e-12) + 1e-9).all()
    assert (rows["shortfall_mean_plan"] <= rows["shortfall_mean_base"] + 1e-12).all()
    # Sample by sample, year by year, too (the same draws).
    diff = ev.plan["unmet"] - ev.base["unmet"]
    assert float(diff.max()) <= 1e-9 * max(1.0, float(ev.base["unmet"].max()))
    ga = rows.set_index("mineral").loc["gallium"]
    assert ga["unmet_t_plan"] < ga["unmet_t_base"]
    assert ga["unmet_cost_usd_plan"] < ga["unmet_cost_usd_base"]
    assert (
        ev.table.iloc[-1]["ai_output_at_risk_plan"]
        <= ev.table.iloc[-1]["ai_output_at_risk_base"] + 1e-12
    )


def test_refine_capacity_helps_beyond_the_stockpile(
    stock_eval: Evaluation, both_eval: Evaluation
) -> None:
    a = stock_eval.table.set_index("mineral").loc["gallium"]
    b = both_eval.table.set_index("mineral").loc["gallium"]
    assert b["unmet_t_plan"] <= a["unmet_t_plan"] + 1e-9
    items = both_eval.items
    ref = items[items["lever"] == "refine"].iloc[0]
    assert ref["status"] == "ok" and ref["quantity_t"] == 80.0 and ref["usd"] == 0.0
    assert ref["dedicated_t_last_year"] == pytest.approx(80.0)


def test_gallium_stockpile_is_worth_its_tonnes(stock_eval: Evaluation) -> None:
    # The bloc's stock is released into its shortfall: at most the tonnes bought are saved.
    ga = stock_eval.table.set_index("mineral").loc["gallium"]
    tonnes = float(stock_eval.items.iloc[0]["quantity_t"])
    assert tonnes == pytest.approx(5.0e6 / 290000.0, rel=1e-6)
    saved = ga["unmet_t_base"] - ga["unmet_t_plan"]
    assert 0.0 < saved <= tonnes * (1 + 1e-9)
    # Germanium is untouched by a gallium plan.
    ge = stock_eval.table.set_index("mineral").loc["germanium"]
    assert ge["unmet_t_plan"] == ge["unmet_t_base"]
    assert ge["cost_usd"] == 0.0


def test_base_is_a_plain_simulation(both_eval: Evaluation, plain: xr.Dataset) -> None:
    xr.testing.assert_identical(both_eval.base["unmet"], plain["unmet"])
    s = summary(plain).set_index("mineral")
    rows = both_eval.table[both_eval.table["mineral"] != "total"].set_index("mineral")
    for col, scol in BASE_COLUMNS.items():
        pd.testing.assert_series_equal(
            rows[col], s.loc[rows.index, scol], check_names=False, rtol=0, atol=0
        )


def test_mass_balance_holds_with_the_plan(both_eval: Evaluation) -> None:
    for res in (both_eval.base, both_eval.plan):
        lhs = (res["supply"] + res["stock_release"] + res["unmet"]).to_numpy()
        np.testing.assert_allclose(lhs, res["demand"].to_numpy(), rtol=1e-12, atol=1e-9)
        assert float(res["unmet"].min()) >= -1e-9
        assert float(res["stock_release"].min()) >= -1e-9


def test_empty_effect_plan_changes_nothing(ds: Dataset, scenario: Scenario) -> None:
    plan = _plan(
        {
            "lever": "infrastructure",
            "minerals": ["gallium"],
            "route": "no-such-route",
            "loss_reduction": 0.5,
            "start": 2024,
        }
    )
    ev = evaluate(plan, scenario, ds, samples=40)
    for v in ("unmet", "supply", "stock_release", "price_index", "ai_output"):
        xr.testing.assert_identical(ev.plan[v], ev.base[v])
    rows = ev.table[ev.table["mineral"] != "total"]
    for base_col in [c for c in COLUMNS if c.endswith("_base") and not c.startswith("ai_")]:
        plan_col = base_col[: -len("_base")] + "_plan"
        pd.testing.assert_series_equal(rows[base_col], rows[plan_col], check_names=False)
    assert ev.table.iloc[-1]["cost_usd"] == 0.0
    assert ev.table["co2e_t"].sum() == 0.0


def test_footprint_only_for_added_supply(both_eval: Evaluation) -> None:
    ga = both_eval.table.set_index("mineral").loc["gallium"]
    assert ga["co2e_t"] > 0
    assert both_eval.table.iloc[-1]["co2e_t"] == pytest.approx(
        both_eval.table.iloc[:-1]["co2e_t"].sum()
    )
