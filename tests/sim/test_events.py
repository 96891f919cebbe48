"""The event registry and the parameter table: every event type is registered with its steps;
parameter names and bounds come from params.csv and are checked when a scenario is read."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest
from pydantic import ValidationError

from critmin.data.errors import DataError
from critmin.sim import events
from critmin.sim.events.base import EventSpec
from critmin.sim.events.registry import REGISTRY, SPECS, spec_of
from critmin.sim.parameters import parameter_definitions, parameter_names, parameter_rows
from critmin.sim.scenario import PARAMETERS, Scenario, load_scenario

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

#: The draw order of the parameters before they came from the table: the random stream of a
#: seed depends on it.
HISTORICAL_ORDER = (
    "elasticity_supply_short",
    "elasticity_supply_long",
    "elasticity_demand_short",
    "elasticity_demand_long",
    "adjustment_years",
    "spare_capacity",
    "ramp_rate",
    "price_cap",
    "recycling_input_rate",
    # Issue 16: drawn from each mineral's own stream after the block's draws (inputs.draw).
    "precautionary_buying",
    "substitution_threshold",
    "elasticity_substitution",
    "value_in_use",
    "elasticity_destruction",
    "inventory_cover",
    "inventory_release",
    # Restocking (decision 0028): a stream of its own again (inputs.LATER_PARAMETERS).
    "inventory_rebuild",
    # The baseline market balance (decision 0034): drawn only when given as a range, from a
    # stream of its own (inputs.BALANCE_PARAMETERS).
    "market_balance",
)


def _union_types() -> set[str]:
    """Every ``type`` literal the scenario's ``events`` field accepts."""
    ann = Scenario.model_fields["events"].annotation
    (event,) = typing.get_args(ann)  # list[Event]
    union = typing.get_args(event)[0]  # Annotated[Union[...], discriminator]
    out: set[str] = set()
    for model in typing.get_args(union):
        out |= set(typing.get_args(model.model_fields["type"].annotation))
    return out


def test_the_registry_covers_every_type_of_the_union() -> None:
    assert set(REGISTRY) == _union_types()
    documented = {"export_restriction", "outage", "logistics", "demand_surge", "stock_release",
                  "stock_purchase", "stochastic_restriction", "default_hazards"}  # fmt: skip
    assert documented <= set(REGISTRY)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.schema.__name__)
def test_each_type_has_its_own_module_and_a_step(spec: EventSpec[typing.Any]) -> None:
    module = spec.schema.__module__
    assert module.startswith(f"{events.__name__}.") and module.count(".") == 3
    assert spec.compile is not None or spec.expand is not None  # it does something
    assert spec.types and all(REGISTRY[t] is spec for t in spec.types)


def test_no_type_is_registered_twice() -> None:
    types = [t for spec in SPECS for t in spec.types]
    assert len(types) == len(set(types))
    assert len({id(s) for s in SPECS}) == len(SPECS)


def test_events_dispatch_to_their_type() -> None:
    sc = Scenario.model_validate({"name": "t", "horizon": {"start": 2026, "end": 2028},
        "events": [{"type": "stock_purchase", "mineral": "cobalt", "year": 2027, "amount_t": 1},
                   {"type": "outage", "country": "COD", "mineral": "cobalt", "stage": "mine",
                    "start": 2027, "capacity_loss": 0.2}]})  # fmt: skip
    assert [spec_of(e).schema.__name__ for e in sc.events] == ["StockChange", "Outage"]


def test_parameter_names_come_from_the_table_in_their_draw_order() -> None:
    assert PARAMETERS == parameter_names() == HISTORICAL_ORDER
    defs = parameter_definitions()
    assert all(d.description and d.min < d.max for d in defs.values())
    for m, name, lo, ce, hi, _, _ in parameter_rows():
        if not name.startswith("host:"):
            assert defs[name].min <= lo <= ce <= hi <= defs[name].max, (m, name)


def test_the_docs_list_every_parameter_and_event_type() -> None:
    text = (DOCS / "scenarios.md").read_text("utf-8")
    for name in PARAMETERS:
        assert f"`{name}`" in text, name
    for t in REGISTRY:
        assert f"`{t}`" in text, t


def _write(tmp_path: Path, parameters: str) -> Path:
    p = tmp_path / "s.yaml"
    p.write_text("name: t\nhorizon: {start: 2025, end: 2026}\nminerals: [copper]\n"
                 f"parameters:\n{parameters}")  # fmt: skip
    return p


def test_an_unknown_parameter_is_refused_at_validation_with_its_line(tmp_path: Path) -> None:
    p = _write(tmp_path, "  copper:\n    ramp_rate: 0.1\n    spare_capasity: 0.2\n")
    with pytest.raises(DataError) as info:
        load_scenario(p)
    msg = str(info.value)
    assert "row 7, field 'parameters.copper.spare_capasity'" in msg, msg
    assert "unknown 'spare_capasity'" in msg and "spare_capacity" in msg  # the known names


def test_an_unknown_mineral_of_the_parameters_is_refused_with_its_line(tmp_path: Path) -> None:
    p = _write(tmp_path, '  "*": {ramp_rate: 0.1}\n  kryptonite: {ramp_rate: 0.1}\n')
    with pytest.raises(DataError) as info:
        load_scenario(p)
    assert "row 6, field 'parameters.kryptonite'" in str(info.value)


@pytest.mark.parametrize(
    ("value", "words"),
    [("{low: -0.1, central: 0.1, high: 0.2}", "its low -0.1 is below the lower bound"),
     ("{low: 0.1, central: 0.1, high: 6}", "its high 6.0 is above the upper bound"),
     ("7", "its low 7.0 is above the upper bound")],
)  # fmt: skip
def test_a_parameter_out_of_the_tables_bounds_is_refused_at_validation(
    tmp_path: Path, value: str, words: str
) -> None:
    p = _write(tmp_path, f"  copper:\n    adjustment_years: 4\n    ramp_rate: {value}\n")
    with pytest.raises(DataError) as info:
        load_scenario(p)
    msg = str(info.value)
    assert "row 7, field 'parameters.copper.ramp_rate'" in msg, msg
    assert "ramp_rate between 0.0 and 5.0" in msg and words in msg, msg


def test_bounds_are_checked_on_model_validate_too() -> None:
    with pytest.raises(ValidationError, match=r"parameters\.\*\.price_cap"):
        Scenario.model_validate({"name": "t", "horizon": {"start": 2025, "end": 2026},
                                 "parameters": {"*": {"price_cap": 0.5}}})  # fmt: skip


def test_layered_restrictions_by_one_country_are_accepted_and_bite_more() -> None:
    """Issue 16: licensing for every buyer plus a ban aimed at one importer may overlap (a
    layered restriction); two restrictions on every buyer still may not. The layers combine
    multiplicatively on the slot, so the price is never lower than with the licensing alone."""

    import critmin
    from critmin.sim.runner import simulate

    lic = {
        "type": "export_restriction",
        "country": "CHN",
        "minerals": ["gallium"],
        "stage": "refine",
        "start": 2027,
        "share": 0.5,
        "exports_share": 0.3,
    }
    ban = {**lic, "target": ["USA"], "start": "2027-07-01", "share": 1.0}
    base = {"name": "layers", "horizon": {"start": 2026, "end": 2028}, "minerals": ["gallium"]}
    alone = Scenario.model_validate({**base, "events": [lic]})
    layered = Scenario.model_validate({**base, "events": [lic, ban]})
    from critmin.sim.scenario import contradictions

    assert contradictions(layered) == []
    both_all = Scenario.model_validate({**base, "events": [lic, {**ban, "target": "all"}]})
    assert "overlaps event 0" in contradictions(both_all)[0][2]
    ds = critmin.load()
    p0 = simulate(alone, ds, samples=200)["price_index"].sel(mineral="gallium").to_numpy()
    p1 = simulate(layered, ds, samples=200)["price_index"].sel(mineral="gallium").to_numpy()
    assert (p1 >= p0 * (1 - 1e-12)).all()
    assert p1[:, 2].mean() > p0[:, 2].mean()


def test_transit_days_move_a_restrictions_window_later_and_nothing_else() -> None:
    """Issue 16: cargo shipped before a ban keeps arriving for the time in transit, so the
    loss reaches the market ``transit_days`` later and leaves it as much later; the window
    keeps its length, and 0 (the default) is the restriction as before, draw for draw."""
    import numpy as np

    import critmin
    from critmin.sim.engine import run_block
    from critmin.sim.inputs import draw, prepare

    ev = {"type": "export_restriction", "country": "COD", "minerals": ["cobalt"],
          "stage": "mine", "start": "2027-01-01", "end": "2027-12-31", "share": 0.9}  # fmt: skip
    base = {"name": "transit", "horizon": {"start": 2026, "end": 2029}, "minerals": ["cobalt"]}
    ds = critmin.load()
    frac, price = {}, {}
    for days in (None, 0, 73):
        e = ev if days is None else {**ev, "transit_days": days}
        mi = prepare(Scenario.model_validate({**base, "events": [e]}), ds)
        (x,) = [x for x in mi.effects if x.kind == "restriction"]
        frac[days] = np.asarray(x.fraction)
        price[days] = run_block(mi, draw(mi, np.random.default_rng(5), 64))["price_index"]
    np.testing.assert_array_equal(frac[None], frac[0])
    np.testing.assert_array_equal(price[None], price[0])
    assert frac[0].tolist() == [0.0, 1.0, 0.0, 0.0]
    np.testing.assert_allclose(frac[73], [0.0, 1 - 73 / 365, 73 / 366, 0.0])
    # Less of 2027 in force: a lower 2027 index; the shortage runs on into 2028 (where
    # restocking alone holds the index above 1 without the transit).
    p0, p73 = price[0][:, :, 0], price[73][:, :, 0]
    assert (p73[:, 1] <= p0[:, 1] + 1e-12).all() and p73[:, 1].mean() < p0[:, 1].mean()
    assert p73[:, 2].mean() > p0[:, 2].mean()
    with pytest.raises(ValidationError, match="transit_days"):
        Scenario.model_validate({**base, "events": [{**ev, "transit_days": 400}]})
