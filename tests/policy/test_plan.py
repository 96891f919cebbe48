"""Plan files: loading, the corpus of broken plans, and what each item does to the model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import critmin
from critmin.data.dataset import Dataset
from critmin.data.errors import DataError
from critmin.policy.evaluate import Evaluation, evaluate
from critmin.policy.levers import apply_plan, item_effects, ramp
from critmin.policy.plan import Plan, load_plan
from critmin.sim.inputs import prepare
from critmin.sim.scenario import Scenario

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_PLAN = ROOT / "examples" / "plan-partners-11.6bn.yaml"
STANDARD = ROOT / "examples" / "standard-2026.yaml"
CORPUS = ROOT / "tests" / "corpus" / "plans"

#: Broken plan file → (field the error names, line it reports).
BROKEN: dict[str, tuple[str, int]] = {
    "unknown-lever.yaml": ("items.0.lever", 3),
    "negative-usd.yaml": ("items.1.usd", 4),
    "unknown-mineral.yaml": ("items.0.minerals", 3),
    "unknown-country.yaml": ("items.0.country", 3),
    "partner-without-country.yaml": ("items.0", 3),
    "substitution-without-probability.yaml": ("items.0", 3),
    "not-a-mapping.yaml": ("(document)", 1),
    "missing-items.yaml": ("items", 1),
    "empty-items.yaml": ("items", 2),
    "misspelt-field.yaml": ("items.0.dollars", 3),
    "start-out-of-range.yaml": ("items.0.start", 6),
}

#: What the message must also say (the reason), beyond the field.
REASON = {
    "unknown-lever.yaml": "magic",
    "negative-usd.yaml": "greater than or equal to 0",
    "unknown-mineral.yaml": "unobtainium",
    "unknown-country.yaml": "XYZ",
    "partner-without-country.yaml": "needs country",
    "substitution-without-probability.yaml": "needs probability",
    "not-a-mapping.yaml": "a mapping",
    "missing-items.yaml": "required",
    "empty-items.yaml": "at least 1",
    "misspelt-field.yaml": "Extra inputs",
    "start-out-of-range.yaml": "1990",
}


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return critmin.load()


def _small_scenario(**extra: object) -> Scenario:
    return Scenario.model_validate(
        {
            "name": "small",
            "horizon": {"start": 2026, "end": 2031},
            "bloc": "OECD",
            "samples": 20,
            "seed": 11,
            "minerals": ["cobalt", "gallium", "copper"],
            "events": [
                {
                    "type": "export_restriction",
                    "country": "CHN",
                    "minerals": ["cobalt", "gallium"],
                    "stage": "refine",
                    "start": 2026,
                    "duration_years": 2,
                    "share": {"low": 0.5, "central": 0.7, "high": 0.9},
                }
            ],
            **extra,
        }
    )


# --------------------------------------------------------------------------- loading


def test_example_plan_loads() -> None:
    plan = load_plan(EXAMPLE_PLAN)
    assert plan.total_usd == pytest.approx(11.6e9, rel=1e-12)
    assert len(plan.items) == 4
    assert [it.lever for it in plan.items] == ["partner_investment"] * 3 + ["mine"]
    assert plan.items[0].minerals == ["rare_earths"] and plan.items[0].country == "AUS"
    assert plan.items[3].minerals == ["nickel", "lithium"]
    assert all(it.start == 2026 for it in plan.items)


def test_a_single_mineral_string_is_a_list() -> None:
    plan = Plan.model_validate(
        {
            "name": "x",
            "items": [{"lever": "stockpile", "minerals": "cobalt", "usd": 1.0, "start": 2026}],
        }
    )
    assert plan.items[0].minerals == ["cobalt"]


def test_quantity_only_item_costs_nothing() -> None:
    plan = Plan.model_validate(
        {
            "name": "q",
            "items": [
                {"lever": "refine", "minerals": ["gallium"], "quantity_t": 10.0, "start": 2026},
                {"lever": "stockpile", "minerals": ["cobalt"], "usd": 2.5e8, "start": 2026},
            ],
        }
    )
    assert plan.items[0].cost_usd == 0.0
    assert plan.total_usd == 2.5e8


def test_corpus_has_every_broken_file() -> None:
    files = {p.name for p in CORPUS.glob("*.yaml")}
    assert set(BROKEN) <= files
    assert len(files) >= 7


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_plan_is_rejected_with_field_and_line(name: str) -> None:
    path = CORPUS / name
    field, line = BROKEN[name]
    with pytest.raises(DataError) as exc:
        load_plan(path)
    problems = exc.value.problems
    assert problems, "a DataError must carry at least one problem"
    hit = [p for p in problems if p.field == field]
    assert hit, f"no problem names {field!r}: {[str(p) for p in problems]}"
    assert hit[0].row == line
    assert hit[0].file == str(path)
    msg = str(exc.value)
    assert name in msg and repr(field) in msg and f"row {line}" in msg
    assert REASON[name] in msg


def test_missing_plan_file_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="an existing file"):
        load_plan(tmp_path / "nope.yaml")


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text("name: x\nitems:\n  - {lever: mine, minerals: [copper\n", "utf-8")
    with pytest.raises(DataError) as exc:
        load_plan(p)
    assert "well-formed YAML" in str(exc.value)
    assert exc.value.problems[0].row is not None


@pytest.mark.parametrize(
    "item, needs",
    [
        ({"lever": "mine", "minerals": ["copper"], "start": 2026}, "usd or quantity_t"),
        ({"lever": "infrastructure", "minerals": ["copper"], "start": 2026}, "loss_reduction"),
        (
            {"lever": "substitution", "minerals": ["gallium"], "probability": 0.5, "start": 2026},
            "demand_cut",
        ),
        (
            {
                "lever": "partner_investment",
                "minerals": ["cobalt"],
                "country": "USA",
                "usd": 1.0,
                "start": 2026,
            },
            "outside the United States",
        ),
    ],
)
def test_lever_specific_fields(item: dict, needs: str) -> None:
    with pytest.raises(ValueError, match=needs):
        Plan.model_validate({"name": "x", "items": [item]})


def test_start_outside_the_horizon_is_rejected_by_item_effects(ds: Dataset) -> None:
    plan = Plan.model_validate(
        {
            "name": "late",
            "items": [
                {"lever": "stockpile", "minerals": ["cobalt"], "usd": 1.0e8, "start": 2026},
                {"lever": "stockpile", "minerals": ["cobalt"], "usd": 1.0e8, "start": 2045},
            ],
        }
    )
    with pytest.raises(DataError) as exc:
        evaluate(plan, _small_scenario(), ds, samples=5)
    fields = [p.field for p in exc.value.problems]
    assert fields == ["items.1.start"]
    assert "2026-2031" in str(exc.value) and "2045" in str(exc.value)


def test_start_before_the_horizon_is_rejected_too(ds: Dataset) -> None:
    plan = Plan.model_validate(
        {
            "name": "early",
            "items": [{"lever": "stockpile", "minerals": ["cobalt"], "usd": 1e8, "start": 2020}],
        }
    )
    mi = prepare(_small_scenario(), ds)
    with pytest.raises(DataError, match=r"items\.0\.start"):
        item_effects(plan, mi, ds)


# --------------------------------------------------------------------------- item effects


@pytest.fixture(scope="module")
def standard_eval(ds: Dataset) -> Evaluation:
    return evaluate(load_plan(EXAMPLE_PLAN), STANDARD, ds, samples=30)


def test_example_plan_item_effects(standard_eval: Evaluation) -> None:
    items = standard_eval.items
    by = items.set_index("mineral")
    # Tantalum and tin in the DRC: sourced mine capital costs (issue 17: Abu Dabbab; Bisie,
    # Rentails, Taronga), so both add dedicated supply, discounted by the DRC's hazard.
    for m in ("tantalum", "tin"):
        assert by.loc[m, "status"] == "ok"
        assert by.loc[m, "country"] == "COD"
        assert by.loc[m, "quantity_t"] > 0 and by.loc[m, "dedicated_t_last_year"] > 0
        assert "capex" in by.loc[m, "note"]
    # 1.4e9 USD each: tin 1.4e9 / 21,067 USD per t/yr; tantalum 1.4e9 / 503,462.
    assert by.loc["tin", "quantity_t"] == pytest.approx(1.4e9 / 21067)
    assert by.loc["tantalum", "quantity_t"] == pytest.approx(1.4e9 / 503462)
    # Partner capacity: costed, discounted by the partner's restriction hazard.
    for m, c in (("rare_earths", "AUS"), ("cobalt", "CAN")):
        assert by.loc[m, "status"] == "ok"
        assert by.loc[m, "country"] == c
        assert 0.0 < by.loc[m, "availability"] < 1.0
        assert by.loc[m, "quantity_t"] > 0
        assert by.loc[m, "dedicated_t_last_year"] <= by.loc[m, "quantity_t"] + 1e-9
    # US mines: domestic, no discount; dollars split evenly between nickel and lithium.
    for m in ("nickel", "lithium"):
        assert by.loc[m, "status"] == "ok"
        assert by.loc[m, "availability"] == 1.0
        assert by.loc[m, "usd"] == pytest.approx(4.1e9 / 2)
    assert items["usd"].sum() == pytest.approx(11.6e9)
    # The table charges the dollars and the DRC capacity lowers what stays unmet.
    tab = standard_eval.table.set_index("mineral")
    for m in ("tantalum", "tin"):
        assert "insufficient data" not in tab.loc[m, "status"]
        assert tab.loc[m, "cost_usd"] == pytest.approx(1.4e9)
        assert tab.loc[m, "unmet_t_plan"] <= tab.loc[m, "unmet_t_base"]
        assert tab.loc[m, "co2e_t"] >= 0


def test_ramp_examples() -> None:
    years = np.arange(2030, 2035)
    assert ramp(years, 2031.0, 2.0).tolist() == [0.0, 0.5, 1.0, 1.0, 1.0]
    assert ramp(years, 2031.0, 0.0).tolist() == [0.0, 1.0, 1.0, 1.0, 1.0]
    assert ramp(years, 2040.0, 3.0).tolist() == [0.0] * 5
    assert ramp(years, 2020.0, 4.0).tolist() == [1.0] * 5
    r = ramp(years.astype(float), 2030.5, 4.0)
    assert np.all(np.diff(r) >= 0) and r.min() >= 0 and r.max() <= 1


def test_stockpile_adds_stock(ds: Dataset) -> None:
    sc = _small_scenario()
    mi = prepare(sc, ds)
    j = list(mi.minerals).index("cobalt")
    plan = Plan.model_validate(
        {
            "name": "stock",
            "items": [
                {"lever": "stockpile", "minerals": ["cobalt"], "quantity_t": 1000.0, "start": 2026},
                {"lever": "stockpile", "minerals": ["cobalt"], "usd": 6.4e7, "start": 2028},
            ],
        }
    )
    effects = item_effects(plan, mi, ds)
    assert [e.status for e in effects] == ["ok", "ok"]
    out = apply_plan(mi, plan, effects)
    # First year: initial stock; later: a purchase in that year.
    assert out.stock0[j] == pytest.approx(mi.stock0[j] + 1000.0)
    t = int(np.flatnonzero(mi.years == 2028)[0])
    bought = effects[1].quantity_t
    from critmin.policy.costs import current_prices

    price = float(current_prices().set_index("mineral").loc["cobalt", "usd_per_t"])
    assert bought == pytest.approx(6.4e7 / price)
    assert out.purchase[t, j] == pytest.approx(mi.purchase[t, j] + bought)
    others = np.delete(np.arange(len(mi.minerals)), j)
    np.testing.assert_array_equal(out.stock0[others], mi.stock0[others])
    np.testing.assert_array_equal(np.delete(out.purchase, t, axis=0), np.delete(mi.purchase, t, 0))
    # The input is not modified in place.
    assert out.stock0 is not mi.stock0


def test_capacity_item_dedicates_supply_after_its_lead_time(ds: Dataset) -> None:
    sc = _small_scenario(horizon={"start": 2026, "end": 2040})
    mi = prepare(sc, ds)
    j = list(mi.minerals).index("gallium")
    plan = Plan.model_validate(
        {
            "name": "cap",
            "items": [
                {
                    "lever": "refine",
                    "minerals": ["gallium"],
                    "country": "USA",
                    "quantity_t": 40.0,
                    "start": 2026,
                }
            ],
        }
    )
    (ef,) = item_effects(plan, mi, ds)
    assert ef.status == "ok" and ef.availability == 1.0 and ef.quantity_t == 40.0
    d = ef.dedicated
    assert d[0] == 0.0  # not online in its start year
    assert np.all(np.diff(d) >= -1e-12) and d.max() == pytest.approx(40.0)
    out = apply_plan(mi, plan, [ef])
    assert out.dedicated is not None
    np.testing.assert_allclose(out.dedicated[:, j], d)
    assert pd.Series(np.delete(out.dedicated, j, axis=1).ravel()).eq(0).all()
