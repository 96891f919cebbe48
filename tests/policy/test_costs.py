"""Lever costs, lead times and prices: golden figures from the sources, invariants, bad files."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

import critmin
from critmin.data.catalogue import MINERAL_IDS, mineral
from critmin.data.errors import DataError
from critmin.data.magnet_ree import ELEMENT_OF
from critmin.data.units import basis_factor, factor
from critmin.data.usgs_myb_ree import load_oxide_prices
from critmin.policy.costs import (
    LEAD_TIME_COLUMNS,
    LEAD_TIMES_PATH,
    LEVER_COST_COLUMNS,
    LEVER_COSTS_PATH,
    PRICE_COLUMNS,
    PRICES_PATH,
    load_lead_times,
    load_lever_costs,
    load_prices,
)
from critmin.sim.inputs import simulated_minerals

# IUPAC standard atomic weights (abridged), as in critmin.data.units.
LI, OX, HY = 6.94, 15.999, 1.008
LI_IN_LIOH_H2O = LI / (LI + 2 * OX + 3 * HY)  # 6.94 / 41.962


@pytest.fixture(scope="module")
def costs() -> pd.DataFrame:
    return load_lever_costs()


@pytest.fixture(scope="module")
def lead() -> pd.DataFrame:
    return load_lead_times()


@pytest.fixture(scope="module")
def prices() -> pd.DataFrame:
    return load_prices()


def _r(x: float) -> int:
    """Round half up, as the derivations do (9,062.5 -> 9,063)."""
    return math.floor(x + 0.5)


def _row(df: pd.DataFrame, **eq: str) -> pd.Series:
    sub = df
    for k, v in eq.items():
        sub = sub[sub[k] == v]
    assert len(sub) == 1, eq
    return sub.iloc[0]


# --------------------------------------------------------------------------------------------
# Golden figures: each recomputed from the source numbers quoted in the derivation


def test_copper_mine_is_the_ame_median_and_range(costs: pd.DataFrame) -> None:
    r = _row(costs, mineral="copper", stage="mine", lever="mine")
    assert r.central == 16_000  # AME median, US$7.26/lb of annual capacity
    lb_per_t = factor("USD/lb", "USD/t")  # 2,204.62 lb per tonne
    assert r.low == _r(5.0 * lb_per_t)  # AME "most projects" US$5.0/lb
    assert r.high == _r(10.0 * lb_per_t)  # and US$10.0/lb
    assert r.low <= 6.6e9 / 300_000 <= r.high  # Las Bambas lies inside
    assert r.basis == mineral("copper").basis["mine"]


def test_lithium_refinery_converts_lioh_monohydrate_to_contained_li(costs: pd.DataFrame) -> None:
    r = _row(costs, mineral="lithium", stage="refine", lever="refine")
    assert round(LI + 2 * OX + 3 * HY, 3) == 41.962
    per_t_lioh = {"low": 1.0e9 / 50_000, "central": 1.3e9 / 50_000, "high": 1.5e9 / 50_000}
    assert per_t_lioh == {"low": 20_000, "central": 26_000, "high": 30_000}
    for case, usd in per_t_lioh.items():
        assert r[case] == _r(usd / LI_IN_LIOH_H2O), case
    # central = median of Kemerton 1-2, Chester County and the Kemerton 3-4 midpoint
    assert sorted([20_000, 26_000, (25_000 + 30_000) / 2])[1] == 26_000
    assert "Li content" in r.basis and mineral("lithium").basis["refine"] == "Li content"


def test_lithium_mine_uses_the_catalogue_lce_factor(costs: pd.DataFrame) -> None:
    r = _row(costs, mineral="lithium", stage="mine", lever="mine")
    lce_to_li, _ = basis_factor("LCE", "Li")
    assert r.high == _r(2.93e9 / 40_000 / lce_to_li)  # Thacker Pass phase 1
    assert r.central == _r(785e6 / 22_000 / LI_IN_LIOH_H2O)  # Rhyolite Ridge
    assert r.low == _r(30e6 / 5_000 / lce_to_li)  # Silver Peak expansion
    assert r.confidence == "L"


def test_other_project_derived_figures(costs: pd.DataFrame) -> None:
    assert _row(costs, mineral="nickel", stage="mine").central == _r(400e6 / 23_000)
    ni = _row(costs, mineral="nickel", stage="refine")
    assert (ni.low, ni.central, ni.high) == (700e6 / 50_000, 1.05e9 / 50_000, 2.2e9 / 50_000)
    co = _row(costs, mineral="cobalt", stage="refine")
    assert (co.low, co.high) == (56e6 / 5_000, _r(250e6 / 6_500))
    ree = _row(costs, mineral="rare_earths", stage="refine")
    assert ree.central == _r(1.125e9 / 15_250) and ree.basis == "REO"
    assert (ree.low, ree.high) == (_r(1.09e9 / 18_400), _r(1.16e9 / 12_100))
    gr = _row(costs, mineral="graphite", stage="refine")
    assert (gr.low, gr.central, gr.high) == (
        _r(435e6 / 48_000),
        _r(209e6 / 11_250),
        _r(943.6e6 / 31_500),
    )
    assert _row(costs, mineral="tungsten", stage="mine").central == _r(105e6 / 3_600)
    assert _row(costs, mineral="tellurium", stage="refine").central == 2.9e6 / 20
    ge = _row(costs, mineral="germanium", stage="refine")
    assert ge.central == _r(150e6 / (30 + 40)) and ge.high == 150e6 / 30
    li = _row(costs, mineral="lithium", stage="recycle", lever="recycle")
    li_t = 8_250 * basis_factor("LCE", "Li")[0]
    assert (li.low, li.central, li.high) == tuple(_r(x / li_t) for x in (485e6, 560e6, 1e9))


def test_no_row_where_nothing_is_sourced(costs: pd.DataFrame) -> None:
    have = set(zip(costs.mineral, costs.stage, strict=True))
    for m in ("antimony", "silicon"):
        assert not any(mm == m for mm, _ in have), m
    # Tin and tantalum: mines only (feasibility studies, issue 17); no smelter or refinery.
    assert ("tin", "refine") not in have and ("tantalum", "refine") not in have
    assert ("rare_earths", "mine") not in have
    assert ("copper", "refine") not in have


def test_lead_times_golden(lead: pd.DataFrame) -> None:
    usa = _row(lead, country="USA", stage="mine", phase="permitting")
    assert (usa.low, usa.central, usa.high) == (7, 8.5, 10)
    assert _row(lead, country="AUS", stage="mine", phase="permitting").central == 1.5
    assert _row(lead, country="CAN", stage="mine", phase="permitting").central == 2
    assert _row(lead, country="EU27", stage="mine", phase="permitting").central == 27 / 12
    assert _row(lead, country="EU27", stage="refine", phase="permitting").central == 15 / 12
    for c, years in {"USA": 29, "CAN": 27, "AUS": 20}.items():
        assert _row(lead, country=c, phase="discovery-to-production").central == years
    build = _row(lead, country="*", stage="refine", phase="construction")
    assert (build.low, build.central, build.high, build.confidence) == (2, 3.6, 5, "L")
    assert sorted(lead.loc[lead.phase == "ramp-up", "central"].drop_duplicates().tolist()) == [
        1,
        1.5,
    ]
    assert _row(lead, country="*", stage="mine", phase="construction").central == pytest.approx(
        16.9 - 12.5 - 1.8
    )


def test_prices_golden(prices: pd.DataFrame) -> None:
    p = prices.set_index("mineral")
    assert p.loc["copper", "usd_per_t"] == pytest.approx(390 * factor("USc/lb", "USD/t"), abs=0.01)
    lce_to_li, _ = basis_factor("LCE", "Li")
    assert p.loc["lithium", "usd_per_t"] == pytest.approx(46_000 / lce_to_li, abs=0.01)
    assert p.loc["gallium", "variable"] == "Price_Low-purity"
    assert p.loc["platinum", "variable"] == "Price_Platinum"
    assert p.loc["platinum", "usd_per_t"] == pytest.approx(
        1_000 * factor("USD/troy oz", "USD/t"), abs=0.01
    )
    ta2o5_to_ta, _ = basis_factor("Ta2O5", "Ta")
    assert p.loc["tantalum", "usd_per_t"] == pytest.approx(190_000 / ta2o5_to_ta, abs=0.01)
    assert p.loc["tungsten", "usd_per_t"] == pytest.approx(260 / (10 * 183.84 / 231.837) * 1000)


def test_prices_match_the_embedded_dataset(prices: pd.DataFrame) -> None:
    s = critmin.load().salient
    myb = load_oxide_prices()
    for r in prices.itertuples():
        prov = r.source.split(", ", 1)[1]
        if r.source.startswith("USGS MYB 2022 T3"):  # Pr and Sm oxides: not in the MCS data
            f, row, col = prov.split("#")
            hit = myb[
                (myb["file"] == f) & (myb["row"] == int(row)) & (myb["column"].astype(str) == col)
            ]
            assert hit["value"].tolist() == [r.value_reported], r.mineral
            continue
        hit = s[(s["prov"] == prov) & (s["variable"] == r.variable)]
        assert len(hit) == 1, r.mineral
        assert hit["value"].iloc[0] == pytest.approx(r.value_reported), r.mineral
        assert int(hit["year"].iloc[0]) == r.year
        assert hit["category"].iloc[0] == "price"


def test_prices_cover_simulated_minerals_except_the_listed_gaps(prices: pd.DataFrame) -> None:
    sim = set(simulated_minerals(critmin.load()))
    # The magnet rare-earth elements are priced before their data reach the simulator.
    assert set(prices.mineral) <= sim | set(ELEMENT_OF)
    gaps = {"rare_earths", "niobium", "beryllium", "boron", "tin", "helium"}
    assert sim - set(prices.mineral) == gaps


# --------------------------------------------------------------------------------------------
# Invariants


@pytest.mark.parametrize("loader", [load_lever_costs, load_lead_times])
def test_ranges_are_positive_and_ordered(loader: object) -> None:
    df = loader()  # type: ignore[operator]
    assert (df.central > 0).all()
    for lo, c, hi in zip(df.low, df.central, df.high, strict=True):
        assert math.isnan(lo) or 0 < lo <= c
        assert math.isnan(hi) or c <= hi


def test_lever_costs_invariants(costs: pd.DataFrame) -> None:
    assert list(costs.columns) == list(LEVER_COST_COLUMNS)
    assert set(costs.mineral) <= set(MINERAL_IDS)
    assert not costs.duplicated(["mineral", "stage", "lever"]).any()
    assert (costs.stage == costs.lever).all()
    assert (costs.unit == "USD per t/yr").all()
    for r in costs.itertuples():
        assert r.stage == "recycle" or r.stage in mineral(r.mineral).basis
        assert r.source and r.derivation and r.confidence in ("H", "M", "L")


def test_lead_times_invariants(lead: pd.DataFrame) -> None:
    assert list(lead.columns) == list(LEAD_TIME_COLUMNS)
    assert not lead.duplicated(["country", "stage", "phase"]).any()
    assert (lead.unit == "years").all()
    # every stage a capacity lever can use has a world construction time
    for st in ("mine", "refine"):
        assert not lead[(lead.country == "*") & (lead.stage == st)
                        & (lead.phase == "construction")].empty  # fmt: skip


def test_prices_invariants(prices: pd.DataFrame) -> None:
    assert list(prices.columns) == list(PRICE_COLUMNS)
    assert prices.mineral.is_unique
    assert (prices.usd_per_t > 0).all() and (prices.value_reported > 0).all()
    assert prices.year.between(2020, 2024).all()


def test_loaders_return_copies() -> None:
    a = load_prices()
    a.loc[0, "usd_per_t"] = -1.0
    assert (load_prices().usd_per_t > 0).all()


# --------------------------------------------------------------------------------------------
# Broken files: each names the line and the field


def _broken(tmp_path: Path, src: Path, name: str, line: int, edit: dict[str, str]) -> Path:
    """A copy of ``src`` with fields of the given 1-based physical line replaced."""
    df = pd.read_csv(src, dtype=str, keep_default_na=False)
    i = line - 2
    for k, v in edit.items():
        df.loc[i, k] = v
    out = tmp_path / name
    df.to_csv(out, index=False, lineterminator="\n")
    return out


def _where(err: DataError) -> set[tuple[int | None, str | None]]:
    return {(p.row, p.field) for p in err.problems}


def test_bad_number_names_row_and_field(tmp_path: Path) -> None:
    path = _broken(tmp_path, LEVER_COSTS_PATH, "a.csv", 2, {"central": "16,000"})
    with pytest.raises(DataError) as e:
        load_lever_costs(path)
    assert (2, "central") in _where(e.value)
    assert "a.csv, row 2, field 'central'" in str(e.value)


def test_low_above_central_and_unknown_mineral(tmp_path: Path) -> None:
    path = _broken(tmp_path, LEVER_COSTS_PATH, "b.csv", 3, {"low": "1e9"})
    path = _broken(tmp_path, path, "b.csv", 4, {"mineral": "unobtainium"})
    with pytest.raises(DataError) as e:
        load_lever_costs(path)
    assert {(3, "low"), (4, "mineral")} <= _where(e.value)


def test_stage_the_mineral_lacks_and_mismatched_lever(tmp_path: Path) -> None:
    row = 1 + 1 + int(load_lever_costs().index[load_lever_costs().mineral == "tungsten"][0])
    path = _broken(tmp_path, LEVER_COSTS_PATH, "c.csv", row, {"stage": "refine"})
    with pytest.raises(DataError) as e:
        load_lever_costs(path)
    assert {(row, "stage"), (row, "lever")} <= _where(e.value)


def test_duplicate_key_and_missing_central(tmp_path: Path) -> None:
    df = pd.read_csv(LEVER_COSTS_PATH, dtype=str, keep_default_na=False)
    df = pd.concat([df, df.iloc[[0]]], ignore_index=True)
    df.loc[1, "central"] = ""
    path = tmp_path / "d.csv"
    df.to_csv(path, index=False, lineterminator="\n")
    with pytest.raises(DataError) as e:
        load_lever_costs(path)
    assert {(len(df) + 1, "lever"), (3, "central")} <= _where(e.value)


def test_bad_lead_time_country_phase_and_high(tmp_path: Path) -> None:
    path = _broken(tmp_path, LEAD_TIMES_PATH, "e.csv", 2, {"country": "Atlantis"})
    path = _broken(tmp_path, path, "e.csv", 3, {"phase": "waiting"})
    path = _broken(tmp_path, path, "e.csv", 11, {"high": "1"})
    with pytest.raises(DataError) as e:
        load_lead_times(path)
    assert {(2, "country"), (3, "phase"), (11, "high")} <= _where(e.value)


def test_bad_price_year_and_value(tmp_path: Path) -> None:
    path = _broken(tmp_path, PRICES_PATH, "f.csv", 2, {"year": "twenty"})
    path = _broken(tmp_path, path, "f.csv", 5, {"usd_per_t": "-3"})
    with pytest.raises(DataError) as e:
        load_prices(path)
    assert {(2, "year"), (5, "usd_per_t")} <= _where(e.value)


def test_missing_column_and_ragged_row(tmp_path: Path) -> None:
    text = LEAD_TIMES_PATH.read_text(encoding="utf-8").splitlines()
    no_unit = tmp_path / "g.csv"
    no_unit.write_text("\n".join(text).replace(",unit,", ",units,", 1) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as e:
        load_lead_times(no_unit)
    assert (1, "unit") in _where(e.value)
    ragged = tmp_path / "h.csv"
    ragged.write_text("\n".join([*text[:3], text[3] + ",extra", *text[4:]]) + "\n", "utf-8")
    with pytest.raises(DataError) as e:
        load_lead_times(ragged)
    assert (4, None) in _where(e.value)


def test_tin_and_tantalum_mine_golden(costs: pd.DataFrame) -> None:
    tin = _row(costs, mineral="tin", stage="mine")
    assert (tin.low, tin.central, tin.high, tin.confidence) == (9936, 21067, 32222, "L")
    assert "Bisie" in tin.derivation and "Taronga" in tin.derivation
    ta = _row(costs, mineral="tantalum", stage="mine")
    assert (ta.low, ta.central, ta.high, ta.confidence) == (186893, 503462, 503462, "L")
    assert "Abu Dabbab" in ta.derivation
