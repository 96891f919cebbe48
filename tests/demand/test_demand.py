"""Tests of AI mineral demand and its world context."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import critmin
from critmin.demand import ai_demand, demand_table, load_intensities, scenario, world_context
from critmin.demand.buildout import Scenario, capacity_path

INT = load_intensities()


def test_iea_base_2030_copper_within_published_range() -> None:
    # REFERENCE 6.1: Macquarie ~0.2 Mt/yr, Trafigura up to 1 Mt/yr, IEA 512 kt (BOM-121)
    da = ai_demand(scenario("base"), INT, [2030])
    cu = da.sel(year=2030, mineral="copper").sum("component")
    assert 200_000 <= float(cu.sel(case="central")) <= 1_000_000
    assert float(cu.sel(case="central")) == pytest.approx(512_000, rel=0.25)
    assert float(cu.sel(case="low")) >= 200_000 and float(cu.sel(case="high")) <= 1_000_000


def test_dims_units_and_golden() -> None:
    cp = pd.DataFrame({"year": [2030, 2031], "new_it_mw": [1.0, 0.0]})
    da = ai_demand(cp, INT)
    assert da.dims == ("year", "mineral", "component", "case") and da.attrs["unit"] == "t"
    one = da.sel(year=2030, mineral="copper", component="dc_electrical")
    assert one.sel(case="central") == 27.0  # 1 MW x 27 t/MW = 27 t
    # kg/MW rows arrive in tonnes: 1 MW x 1.5 kg/MW gold = 0.0015 t
    gold = da.sel(year=2030, mineral="gold", component="server_boards", case="central")
    assert float(gold) == pytest.approx(0.0015, rel=1e-2)


def _scen(a: float, b: float, scale: float = 1.0) -> Scenario:
    return Scenario(name="p", series="t", source="t", twh={2024: a * scale, 2030: b * scale},
                    pue={2024: 1.3})  # fmt: skip


@settings(max_examples=30, deadline=None)
@given(a=st.floats(1, 2000), growth=st.floats(0, 5), k=st.floats(0.1, 10))
def test_demand_scales_linearly(a: float, growth: float, k: float) -> None:
    years = range(2025, 2036)
    d1 = ai_demand(_scen(a, a * (1 + growth)), INT, years)
    dk = ai_demand(_scen(a, a * (1 + growth), k), INT, years)
    np.testing.assert_allclose(dk.values, k * d1.values, rtol=1e-9, atol=1e-6)
    d2 = ai_demand(_scen(a, a * (1 + growth), 2.0), INT, years)
    np.testing.assert_allclose(d2.values, 2 * d1.values, rtol=1e-9, atol=1e-6)


@settings(max_examples=30, deadline=None)
@given(mw=st.lists(st.floats(0, 1e5), min_size=1, max_size=15))
def test_properties_of_any_buildout(mw: list[float]) -> None:
    cp = pd.DataFrame({"year": range(2025, 2025 + len(mw)), "new_it_mw": mw})
    da = ai_demand(cp, INT)
    assert not np.isnan(da.values).any() and (da.values >= 0).all()
    lo, c, hi = (da.sel(case=x).values for x in ("low", "central", "high"))
    assert (lo <= c + 1e-12).all() and (c <= hi + 1e-12).all()
    zero = [i for i, v in enumerate(mw) if v == 0]
    assert (da.isel(year=zero).values == 0).all()


def test_zero_buildout_zero_demand() -> None:
    flat = Scenario(name="z", series="t", source="t", twh={2024: 400, 2030: 400},
                    pue={2024: 1.3})  # fmt: skip
    assert (capacity_path(flat).new_it_mw == 0).all()
    assert float(ai_demand(flat, INT).sum()) == 0.0


def test_no_nan_in_builtins() -> None:
    for name in ("base", "lift-off", "high-efficiency", "headwinds"):
        da = ai_demand(name, INT)
        assert not np.isnan(da.values).any()
        assert (da.sel(case="low") <= da.sel(case="central")).all()
        assert (da.sel(case="central") <= da.sel(case="high")).all()


def test_demand_table_tidy() -> None:
    t = demand_table("base", INT, [2030])
    assert len(t) == t.mineral.nunique() * t.component.nunique() * 3
    tot = t[(t.mineral == "copper") & (t.case == "central")].demand_t.sum()
    assert tot == pytest.approx(float(ai_demand("base", INT, [2030]).sel(
        mineral="copper", case="central").sum()))  # fmt: skip


def test_world_context() -> None:
    ds = critmin.load()
    wc = world_context(ds, ai_demand("base", INT, [2030, 2040]))
    cu = wc[(wc.mineral == "copper") & (wc.year == 2030)].iloc[0]
    assert "IEA STEPS" in cu.world_basis
    assert 25e6 < cu.world_t < 40e6  # IEA STEPS copper demand, t
    assert 0.005 < cu.ai_share_central < 0.05  # IEA: ~2% (BOM-123)
    ga = wc[(wc.mineral == "gallium") & (wc.year == 2030)].iloc[0]
    assert "production" in ga.world_basis and 100 < ga.world_t < 2000  # tonnes, not kg
    assert not wc[["ai_low_t", "ai_central_t", "ai_high_t", "world_t"]].isna().any().any()
    assert (wc.ai_share_low <= wc.ai_share_central).all()
    assert (wc.ai_share_central <= wc.ai_share_high).all()
