"""Property tests of the market engine on random valid scenarios (hypothesis).

Scenarios draw random subsets of every event type over gallium, germanium, cobalt, copper and
antimony, naming only countries that produce the mineral at that stage, with random market
parameter overrides within the bounds of the parameter table (``params.csv``). Whatever
the scenario, :func:`critmin.sim.engine.run_block` must stay finite, keep the mass balance of
docs/model.md §5 and keep every output within its bounds; and it must agree with the
plain-loop reference (:mod:`critmin.sim.reference`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import critmin
from critmin.data.dataset import Dataset
from critmin.sim import engine, reference
from critmin.sim.inputs import draw, prepare
from critmin.sim.scenario import PARAMETERS, Scenario, contradictions

MINERALS = ("gallium", "germanium", "cobalt", "copper", "antimony")

#: (mineral, stage) → countries with a positive share of world output at that stage in the
#: embedded dataset (checked by test_producers_produce).
PRODUCERS: dict[tuple[str, str], tuple[str, ...]] = {
    ("gallium", "refine"): ("CHN", "RUS", "JPN"),
    ("germanium", "refine"): ("CHN", "RUS", "USA", "JPN", "COD"),
    ("cobalt", "mine"): ("COD", "IDN", "RUS", "AUS", "PHL", "CUB"),
    ("cobalt", "refine"): ("CHN", "FIN", "CAN", "JPN"),
    ("copper", "mine"): ("CHL", "PER", "COD", "CHN", "USA"),
    ("copper", "refine"): ("CHN", "CHL", "COD", "JPN"),
    ("antimony", "mine"): ("CHN", "TJK", "TUR", "MMR", "RUS", "BOL"),
}

#: The bounds of the parameter table (params.csv), restated (checked by test_parameter_rules).
RULES: dict[str, tuple[float, float]] = {
    "elasticity_supply_short": (0.0, 10.0),
    "elasticity_supply_long": (0.0, 10.0),
    "elasticity_demand_short": (-10.0, -0.01),
    "elasticity_demand_long": (-10.0, -0.01),
    "adjustment_years": (0.5, 50.0),
    "spare_capacity": (0.0, 5.0),
    "ramp_rate": (0.0, 5.0),
    "price_cap": (1.0, 1000.0),
    "recycling_input_rate": (0.0, 0.99),
    "precautionary_buying": (0.0, 2.0),
    "substitution_threshold": (1.0, 100.0),
    "elasticity_substitution": (-10.0, 0.0),
    "value_in_use": (1.0, 1000.0),
    "elasticity_destruction": (-20.0, 0.0),
    "inventory_cover": (0.0, 5.0),
    "inventory_release": (0.0, 1.0),
    "inventory_rebuild": (0.0, 5.0),
    "market_balance": (-0.5, 1.0),
}

SAMPLES = 16


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return critmin.load()


# --------------------------------------------------------------------------------------------
# the tables the strategies rely on


@pytest.mark.parametrize("key", sorted(PRODUCERS))
def test_producers_produce(ds: Dataset, key: tuple[str, str]) -> None:
    mineral, stage = key
    rows = ds.supply(mineral, stage)
    assert not rows.empty
    latest = rows[rows["year"] == rows["year"].max()]
    for c in PRODUCERS[key]:
        assert latest.loc[latest["country"] == c, "value"].sum() > 0, (mineral, stage, c)


@pytest.mark.parametrize("name", PARAMETERS)
def test_parameter_rules(ds: Dataset, name: str) -> None:
    """RULES holds the bounds validation enforces: the bounds pass, just outside fails."""
    lo, hi = RULES[name]

    def scenario(low: float, high: float) -> Scenario:
        return Scenario.model_validate({
            "name": "rules", "horizon": {"start": 2026, "end": 2027}, "minerals": ["copper"],
            "parameters": {"copper": {name: {"low": low, "central": low, "high": high}}},
        })  # fmt: skip

    prepare(scenario(lo, hi), ds)
    for low, high in ((lo - 0.001, hi), (lo, hi + 0.001)):
        with pytest.raises(ValidationError, match=f"parameters.copper.{name}"):
            scenario(low, high)


# --------------------------------------------------------------------------------------------
# strategies


def ranges(lo: float, hi: float) -> st.SearchStrategy[Any]:
    """An ordered low/central/high range within [lo, hi], or a bare number."""
    f = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    triple = st.lists(f, min_size=3, max_size=3).map(sorted)
    return st.one_of(f, triple.map(lambda v: {"low": v[0], "central": v[1], "high": v[2]}))


def subset(items: list[str]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(items), min_size=1, max_size=len(items), unique=True)


@st.composite
def timing(draw_: st.DrawFn, start: int, end: int) -> dict[str, Any]:
    """A start date in (or a little before) the horizon and a duration, an end or neither."""
    begin = draw_(st.dates(dt.date(start - 1, 7, 1), dt.date(end, 12, 31)))
    kind = draw_(st.sampled_from(["duration", "end", "open"]))
    if kind == "duration":
        return {"start": begin, "duration_years": draw_(st.floats(0.05, 6.0))}
    if kind == "end":
        return {"start": begin, "end": begin + dt.timedelta(days=draw_(st.integers(0, 2000)))}
    return {"start": begin}


@st.composite
def export_restriction(draw_: st.DrawFn, start: int, end: int, slots: list[tuple]) -> dict:
    m, stage, c = draw_(st.sampled_from(slots))
    others = sorted({m2 for m2, s2, c2 in slots if s2 == stage and c2 == c and m2 != m})
    extra = draw_(st.lists(st.sampled_from(others), unique=True)) if others else []
    ev: dict[str, Any] = {
        "type": "export_restriction", "country": c, "minerals": [m, *extra], "stage": stage,
        "share": draw_(ranges(0.0, 1.0)), "leakage": draw_(ranges(0.0, 1.0)),
        "exports_share": draw_(ranges(0.01, 1.0)),
        "target": draw_(st.sampled_from(["all", "bloc", ["USA"], ["JPN", "KOR"]])),
        **draw_(timing(start, end)),
    }  # fmt: skip
    if draw_(st.booleans()):
        ev["front_running"] = {"months": draw_(st.integers(0, 24)),
                               "pulse": draw_(st.floats(0.0, 1.0))}  # fmt: skip
        ev["announced"] = ev["start"] - dt.timedelta(days=draw_(st.integers(0, 400)))
    return ev


@st.composite
def outage(draw_: st.DrawFn, start: int, end: int, slots: list[tuple]) -> dict:
    m, stage, c = draw_(st.sampled_from(slots))
    return {"type": "outage", "country": c, "mineral": m, "stage": stage,
            "capacity_loss": draw_(ranges(0.0, 1.0)), **draw_(timing(start, end))}  # fmt: skip


@st.composite
def logistics(draw_: st.DrawFn, start: int, end: int, minerals: list[str]) -> dict:
    countries = sorted({c for cs in PRODUCERS.values() for c in cs})
    return {
        "type": "logistics", "route": "Strait of Malacca", "minerals": draw_(subset(minerals)),
        "countries": draw_(st.lists(st.sampled_from(countries), min_size=1, max_size=3)),
        "capacity_loss": draw_(ranges(0.0, 1.0)), "delay_days": draw_(st.floats(0.0, 365.0)),
        **draw_(timing(start, end)),
    }  # fmt: skip


@st.composite
def demand_surge(draw_: st.DrawFn, start: int, end: int, minerals: list[str]) -> dict:
    return {"type": "demand_surge", "minerals": draw_(subset(minerals)),
            "factor": draw_(ranges(0.5, 3.0)), **draw_(timing(start, end))}  # fmt: skip


@st.composite
def stock_change(draw_: st.DrawFn, start: int, end: int, minerals: list[str]) -> dict:
    return {"type": draw_(st.sampled_from(["stock_release", "stock_purchase"])),
            "mineral": draw_(st.sampled_from(minerals)), "year": draw_(st.integers(start, end)),
            "amount_t": draw_(st.floats(0.01, 1e5))}  # fmt: skip


@st.composite
def state_stockpile(draw_: st.DrawFn, start: int, end: int, minerals: list[str]) -> dict:
    amount = draw_(st.sampled_from(["tonnes_per_year", "share_of_demand"]))
    value = ranges(0.01, 1e5) if amount == "tonnes_per_year" else ranges(0.001, 0.5)
    return {"type": "state_stockpile", "holder": draw_(st.sampled_from(["CHN", "USA"])),
            "action": draw_(st.sampled_from(["buy", "release"])),
            "mineral": draw_(st.sampled_from(minerals)), **draw_(timing(start, end)),
            amount: draw_(value)}  # fmt: skip


@st.composite
def stochastic(draw_: st.DrawFn, slots: list[tuple]) -> dict:
    m, stage, c = draw_(st.sampled_from(slots))
    return {"type": "stochastic_restriction", "country": c, "minerals": [m], "stage": stage,
            "annual_probability": draw_(st.floats(0.0, 1.0)),
            "duration_years": draw_(ranges(0.1, 5.0)),
            "share": draw_(ranges(0.0, 1.0))}  # fmt: skip


@st.composite
def default_hazards(draw_: st.DrawFn, minerals: list[str]) -> dict:
    return {"type": "default_hazards", "scale": draw_(st.floats(0.0, 5.0)),
            "min_share": draw_(st.floats(0.05, 0.6)),
            "minerals": draw_(st.none() | subset(minerals))}  # fmt: skip


@st.composite
def overrides(draw_: st.DrawFn, minerals: list[str]) -> dict[str, dict[str, Any]]:
    keys = draw_(st.lists(st.sampled_from(["*", *minerals]), unique=True, max_size=2))
    out = {}
    for k in keys:
        names = draw_(st.lists(st.sampled_from(PARAMETERS), unique=True, min_size=1))
        out[k] = {n: draw_(ranges(*RULES[n])) for n in names}
    return out


@st.composite
def scenarios(draw_: st.DrawFn) -> Scenario:
    start = draw_(st.integers(2024, 2030))
    end = start + draw_(st.integers(0, 5))
    minerals = draw_(subset(list(MINERALS)))
    slots = [(m, s, c) for (m, s), cs in PRODUCERS.items() if m in minerals for c in cs]
    event = st.one_of(
        export_restriction(start, end, slots),
        outage(start, end, slots),
        logistics(start, end, minerals),
        demand_surge(start, end, minerals),
        stock_change(start, end, minerals),
        state_stockpile(start, end, minerals),
        stochastic(slots),
        default_hazards(minerals),
    )
    stocks = st.dictionaries(st.sampled_from(minerals), st.floats(0.0, 1e4), max_size=2)
    fields = {
        "name": "property",
        "horizon": {"start": start, "end": end},
        "bloc": draw_(st.sampled_from(["OECD", "USA", ["JPN", "KOR", "DEU"]])),
        "minerals": minerals,
        "events": draw_(st.lists(event, max_size=5)),
        "parameters": draw_(overrides(minerals)),
        "stocks": draw_(stocks),
        "release_trigger": draw_(st.floats(0.0, 1.0)),
    }
    sc = Scenario.model_validate(fields)
    assume(not contradictions(sc))  # what load_scenario would refuse
    return sc


# --------------------------------------------------------------------------------------------
# properties


def run(sc: Scenario, ds: Dataset, seed: int) -> tuple[Any, Any, dict[str, np.ndarray]]:
    mi = prepare(sc, ds)
    dr = draw(mi, np.random.default_rng(seed), SAMPLES)
    return mi, dr, engine.run_block(mi, dr)


@settings(max_examples=25, deadline=None)
@given(sc=scenarios(), seed=st.integers(0, 2**32 - 1))
def test_engine_outputs_are_finite_balanced_and_bounded(
    ds: Dataset, sc: Scenario, seed: int
) -> None:
    mi, dr, out = run(sc, ds, seed)
    n_t, n_m = mi.shape
    for k, v in out.items():
        assert np.isfinite(v).all(), k
    for k in engine.OUTPUTS:
        assert out[k].shape == (SAMPLES, n_t, n_m), k
    assert out["ai_output"].shape == (SAMPLES, n_t, len(mi.components))
    assert (out["supply"] >= 0).all()
    assert (out["demand"] >= 0).all()
    assert (out["stock_release"] >= 0).all()
    assert (out["unmet"] >= 0).all()
    assert (out["stock"] >= 0).all()
    assert (out["shortfall"] >= 0).all() and (out["shortfall"] <= 1).all()
    assert (out["available"] >= 0).all() and (out["available"] <= 1).all()
    assert (out["ai_output"] >= 0).all() and (out["ai_output"] <= 1).all()
    # The clip to [1/cap, cap] is done in logarithms: allow the last bits of exp(log(cap)).
    cap = dr.params["price_cap"][:, None, :]
    price = out["price_index"]
    assert (price >= (1.0 / cap) * (1 - 1e-12)).all()
    assert (price <= cap * (1 + 1e-12)).all()
    np.testing.assert_allclose(out["supply"] + out["stock_release"] + out["unmet"],
                               out["demand"], rtol=1e-9, atol=0.0)  # fmt: skip
    # A market with every slot intact so far (no loss to restock after, §2a) and demand at
    # baseline clears at the baseline.
    intact = np.logical_and.accumulate(out["available"] == 1.0, axis=1)
    calm = intact & (mi.purchase[None] == 0)
    if not any(len(js) for _, js, _, _ in mi.surge) and not mi.state:
        assert (price[calm] == 1.0).all()


@settings(max_examples=25, deadline=None)
@given(sc=scenarios(), seed=st.integers(0, 2**32 - 1))
def test_engine_matches_reference(ds: Dataset, sc: Scenario, seed: int) -> None:
    mi, dr, out = run(sc, ds, seed)
    ref = reference.run_block(mi, dr)
    assert set(out) == set(ref)
    for k in sorted(ref):
        np.testing.assert_allclose(out[k], ref[k], rtol=1e-9, atol=1e-9, err_msg=k)
