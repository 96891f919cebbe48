"""Every low / central / high triple of every demand view is ordered (property test).

A range column is ordered by the quantity itself, not by the input case that produced it: a
short lifetime retires more metal early, so the "low" retirements may come from the long-life
variant (decision 0018).
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from critmin.demand.buildout import Scenario, history_path
from critmin.demand.demand import ai_demand, world_context
from critmin.demand.summary import demand_by, end_of_life, with_replacement


def range_triples(columns: list[str]) -> list[tuple[str, str, str]]:
    """(low, central, high) column names found in a frame's columns."""
    out = []
    for c in columns:
        if c == "low" or c.endswith("_low") or "_low_" in c:
            if c == "low":
                mid, high = "central", "high"
            elif c.endswith("_low"):
                base = c[: -len("_low")]
                mid = base if base in columns else f"{base}_central"
                high = f"{base}_high"
            else:
                mid, high = c.replace("_low_", "_central_"), c.replace("_low_", "_high_")
            assert mid in columns and high in columns, (c, columns)
            out.append((c, mid, high))
    return out


def assert_ordered(df: pd.DataFrame, view: str) -> None:
    triples = range_triples(list(df.columns))
    for lo, mid, hi in triples:
        tol = 1e-9 * df[[lo, mid, hi]].abs().max(axis=1).fillna(0) + 1e-9
        bad = df[(df[lo] > df[mid] + tol) | (df[mid] > df[hi] + tol)]
        assert bad.empty, f"{view}: {lo} ≤ {mid} ≤ {hi} fails in\n{bad.head()}"


def test_triples_are_found() -> None:
    cols = ["year", "stock", "retired", "retired_low", "retired_high", "ai_low_t",
            "ai_central_t", "ai_high_t", "low", "central", "high"]  # fmt: skip
    assert range_triples(cols) == [
        ("retired_low", "retired", "retired_high"),
        ("ai_low_t", "ai_central_t", "ai_high_t"),
        ("low", "central", "high"),
    ]


scenarios = st.builds(
    lambda a, b, c: Scenario(
        name="prop", series="test", source="hypothesis", twh={2024: a, 2030: b, 2035: c}
    ),
    st.floats(100, 800),
    st.floats(100, 2000),
    st.floats(100, 3000),
)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=scenarios, first=st.integers(2025, 2032), n=st.integers(1, 8))
def test_every_range_triple_is_ordered(s: Scenario, first: int, n: int) -> None:
    years = range(first, first + n)
    assert_ordered(demand_by(s, years), "demand_by(mineral)")
    assert_ordered(demand_by(s, years, "component"), "demand_by(component)")
    assert_ordered(end_of_life(s, years), "end_of_life")
    rep = with_replacement(s, years)
    assert_ordered(rep, "with_replacement")
    assert (rep["total"] >= rep["new"] - 1e-9).all()


@pytest.mark.parametrize("name", ["base", "lift-off", "headwinds", "iea2026-high-efficiency"])
def test_builtin_views_are_ordered(name: str) -> None:
    import critmin

    years = range(2025, 2041)
    assert_ordered(end_of_life(name, years), f"end_of_life {name}")
    assert_ordered(demand_by(name, years), f"demand_by {name}")
    ctx = world_context(critmin.load(), ai_demand(name, years=list(years)))
    assert_ordered(ctx, f"world_context {name}")


def test_eol_low_is_not_simply_the_short_lifetime() -> None:
    # Before the fix, retired_low came from the short-lifetime variant and exceeded 'retired'.
    t = end_of_life("base", range(2025, 2041))
    cu = t[t.mineral == "copper"]
    assert (cu["retired_low"] <= cu["retired"]).all()
    assert (cu["retired"] <= cu["retired_high"]).all()


def test_installed_base_before_2025_retires_from_2025() -> None:
    h = history_path(Scenario(name="x", series="t", source="s", twh={2024: 415, 2030: 945}))
    assert h["year"].min() == 1990 and h["year"].max() == 2024
    assert (h["new_it_mw"] >= 0).all()
    assert set(h.loc[h.year.isin([2005, 2024]), "status"]) == {"sourced"}
    t = end_of_life("base", [2025])
    cu = t[t.mineral == "copper"].iloc[0]
    # the 2024 fleet (~71.5 GW IT) holds ~2 Mt of copper; part of it retires in 2025
    assert cu.stock > 2_000_000 and cu.retired > 10_000
