"""Generated hostile inputs: scenarios, plans and bills of materials from the schemas' fields.

Hypothesis builds documents field by field, mixing plausible values with hostile ones (inf,
nan, huge and negative numbers, bools where ints go, empty lists, unknown minerals, control
characters, wrong types) and gives them to the readers the CLI and the API use. The
property: a valid object whose numbers are all finite, or a :class:`DataError` naming the
file -- never another exception.
"""

from __future__ import annotations

import datetime as dt
import math
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from critmin.data.errors import DataError
from critmin.demand.bom import read_company_bom
from critmin.policy.plan import Plan, plan_from_text
from critmin.sim.scenario import Scenario, scenario_from_text

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])  # fmt: skip

MINERALS = ["gold", "cobalt", "gallium", "lithium", "rare_earths", "unobtainium", "", "GOLD",
            "gold\x00", "*"]  # fmt: skip
HOSTILE = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.inf, -math.inf, math.nan, 1e300, -1e300, 1e400, -50, 0, -1]),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.booleans(),
    st.none(),
    st.text(max_size=8),
    st.just([]),
    st.just({}),
    st.lists(st.sampled_from(MINERALS), max_size=3),
    st.sampled_from(MINERALS),
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)),
    st.sampled_from(["2024-02-30", "2024-13-01", "1e3", ".inf", "nan"]),
)


def field(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly a plausible value, sometimes a hostile one."""
    return st.one_of(good, good, HOSTILE)


def clean(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return good


def _tree(
    f: Any, minerals: list[str], year: st.SearchStrategy[int], countries: list[str], n_events: int
) -> Any:
    """Scenario and plan strategies; ``f`` wraps each field (hostile or clean)."""
    mineral = st.sampled_from(minerals)
    country = st.sampled_from(countries)
    r = st.floats(min_value=0, max_value=1)
    frac = f(
        st.one_of(
            r,
            st.lists(r, min_size=3, max_size=3).map(
                lambda v: dict(zip(("low", "central", "high"), sorted(v), strict=True))
            ),
        )
    )
    events = st.one_of(
        st.fixed_dictionaries({
            "type": st.just("outage"), "country": f(country), "mineral": f(mineral),
            "stage": f(st.sampled_from(["mine", "refine"])), "start": f(year),
            "capacity_loss": frac,
        }, optional={"duration_years": f(st.floats(0.1, 30))}),
        st.fixed_dictionaries({
            "type": st.just("export_restriction"), "country": f(country),
            "minerals": f(st.lists(mineral, min_size=1, max_size=3, unique=True)),
            "stage": f(st.sampled_from(["mine", "refine"])), "start": f(year),
            "share": frac,
        }, optional={"duration_years": f(st.floats(0.1, 30))}),
        st.fixed_dictionaries({
            "type": st.sampled_from(["stock_release", "stock_purchase"]),
            "mineral": f(mineral), "year": f(year), "amount_t": f(st.floats(1, 1e6)),
        }),
        st.fixed_dictionaries({
            "type": st.just("demand_surge"),
            "minerals": f(st.lists(mineral, min_size=1, unique=True)),
            "start": f(year), "factor": f(st.floats(0.5, 5)),
        }),
    )  # fmt: skip
    # Around the events' years (2025-2030 when clean) so a clean event lies inside it.
    horizon = st.fixed_dictionaries({"start": f(st.integers(2024, 2025)),
                                     "end": f(st.integers(2030, 2035))})  # fmt: skip
    scenarios = st.fixed_dictionaries(
        {"name": f(st.text("abz -é", min_size=1, max_size=10).filter(str.strip)),
         "horizon": f(horizon)},
        optional={
            "samples": f(st.integers(1, 5000)), "seed": f(st.integers(0, 2**31)),
            "bloc": f(st.sampled_from(["OECD", "USA", ["USA", "JPN"]])),
            "events": f(st.lists(events, max_size=n_events)),
            "minerals": f(st.lists(mineral, min_size=1, max_size=3, unique=True)),
            "stocks": f(st.dictionaries(mineral, f(st.floats(0, 1e6)), max_size=2)),
            "release_trigger": f(r),
        },
    )  # fmt: skip
    items = st.fixed_dictionaries(
        {"lever": f(st.sampled_from(["mine", "refine", "recycling", "stockpile"])),
         "minerals": f(st.lists(mineral, min_size=1, max_size=3, unique=True)), "start": f(year),
         "usd": f(st.floats(1e6, 1e10))},
        optional={"country": f(country), "lag_years": f(st.integers(0, 10))},
    )  # fmt: skip
    plans = st.fixed_dictionaries(
        {"name": f(st.text("abz -é", min_size=1, max_size=10).filter(str.strip)),
         "items": f(st.lists(items, min_size=1, max_size=3))}
    )  # fmt: skip
    return scenarios, plans


GOOD = ["gold", "cobalt", "gallium", "lithium"]
# One event when clean: two may overlap, a contradiction the reader rightly refuses.
_clean = _tree(clean, GOOD, st.integers(2025, 2030), ["CHN", "COD", "AUS"], 1)
_hostile = _tree(field, MINERALS, st.integers(1985, 2105), ["CHN", "XXX", "china", "", "USA"], 3)
#: Half valid documents (the property must hold on them too), half with hostile fields.
SCENARIOS = st.one_of(_clean[0], _hostile[0],
                      _hostile[0].map(lambda d: {**d, "bogus": 1}))  # fmt: skip
PLANS = st.one_of(_clean[1], _hostile[1])


def _finite(obj: Any, where: str = "") -> None:
    """Every number in a dumped model is finite (no NaN/inf slipped through)."""
    if isinstance(obj, float):
        assert math.isfinite(obj), f"non-finite {obj!r} at {where}"
    elif isinstance(obj, dict):
        for k, v in obj.items():
            _finite(v, f"{where}.{k}")
    elif isinstance(obj, list | tuple):
        for i, v in enumerate(obj):
            _finite(v, f"{where}.{i}")


def _as_text(doc: Any) -> str:
    # PyYAML writes .inf/.nan and dates as YAML does; what a user's file would hold.
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


@SETTINGS
@given(SCENARIOS)
def test_generated_scenarios_clear_error_or_valid(doc: dict[str, Any]) -> None:
    try:
        s = scenario_from_text(_as_text(doc), "gen.yaml")
    except DataError as e:
        assert "gen.yaml" in str(e) and e.problems
        return
    assert isinstance(s, Scenario)
    assert type(s.samples) is int and type(s.seed) is int  # no bool taken for an int
    assert s.horizon.start <= s.horizon.end
    _finite(s.model_dump(mode="python"))


@SETTINGS
@given(PLANS)
def test_generated_plans_clear_error_or_valid(doc: dict[str, Any]) -> None:
    try:
        p = plan_from_text(_as_text(doc), "gen.yaml")
    except DataError as e:
        assert "gen.yaml" in str(e) and e.problems
        return
    assert isinstance(p, Plan) and p.items
    assert math.isfinite(p.total_usd) and p.total_usd >= 0
    _finite(p.model_dump(mode="python"))


CELL = st.one_of(
    st.sampled_from(["srv", "board", "gold", "cobalt", "unobtainium", "g/unit", "kg/unit",
                     "t/unit", "g/MWh", "", "0.5", "-1", "1e400", "nan", "inf", "1e-400",
                     "=HYPERLINK(\"x\")", "TRUE", "0x10", "1,5"]),
    st.text(max_size=6),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)  # fmt: skip
ROWS = st.lists(st.lists(CELL, min_size=3, max_size=7), max_size=6)


def _csv_text(rows: list[list[str]], blank_every: int) -> str:
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["product", "component", "mineral", "intensity", "unit"])
    for i, r in enumerate(rows):
        if blank_every and i % blank_every == 0:
            buf.write("\n")
        w.writerow(r)
    return buf.getvalue()


@SETTINGS
@given(ROWS, st.integers(0, 3))
def test_generated_bom_csv_clear_error_or_valid(rows: list[list[str]], blank: int) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "bom.csv"
        p.write_text(_csv_text(rows, blank), encoding="utf-8")
        try:
            df = read_company_bom(p)
        except DataError as e:
            assert str(p) in str(e) and e.problems
            n_lines = p.read_text(encoding="utf-8").count("\n") + 1
            for pr in e.problems:  # every named line exists in the file
                assert pr.row is None or 1 <= pr.row <= n_lines, (pr, n_lines)
            return
    assert df["intensity_t"].map(math.isfinite).all()
    assert (df["intensity_t"] >= 0).all()


@SETTINGS
@given(_clean[0], _clean[1])
def test_clean_generated_documents_are_accepted(scen: dict[str, Any], plan: dict[str, Any]) -> None:
    # The generators' valid half really is valid: the property above is not vacuous.
    assert isinstance(scenario_from_text(_as_text(scen), "gen.yaml"), Scenario)
    assert isinstance(plan_from_text(_as_text(plan), "gen.yaml"), Plan)
