"""The composite AI-exposure score, its components, its ranges and the restrictions in force."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import critmin
from critmin.data.errors import DataError
from critmin.data.regions import builtin_regions, load_regions, resolve_importer
from critmin.data.restrictions import read_restrictions
from critmin.metrics.composite import COMPONENTS, CompositeOptions, composite, weighted_score
from critmin.metrics.restrictions import in_force, status_on
from critmin.metrics.uncertainty import score_ranges

AS_OF = dt.date(2026, 11, 27)


@pytest.fixture(scope="module")
def ds() -> critmin.Dataset:
    return critmin.load()


@pytest.fixture(scope="module")
def scores(ds: critmin.Dataset) -> pd.DataFrame:
    return composite(ds, CompositeOptions(as_of=AS_OF))


def test_every_component_is_shown_and_bounded(scores: pd.DataFrame) -> None:
    assert len(scores) >= 30
    for c in COMPONENTS:
        vals = scores[c].dropna()
        assert ((vals >= 0) & (vals <= 1)).all(), c
    assert scores["score"].between(0, 1).all()
    assert scores["rank"].is_monotonic_increasing


def test_score_is_the_weighted_mean_of_its_components(scores: pd.DataFrame) -> None:
    comp = scores[list(COMPONENTS)].astype(float)
    naive = [np.nanmean(row) for row in comp.to_numpy()]
    assert scores["score"].to_numpy() == pytest.approx(naive, abs=1e-6)


def test_missing_components_are_named_not_zeroed(scores: pd.DataFrame) -> None:
    # USGS lists no Chinese platinum mine production (MCS 2026 lists China for niobium: 40 t).
    pt = scores.set_index("mineral").loc["platinum"]
    assert np.isnan(pt["china"]) and pt["missing"] == "china"


def test_the_ranking_puts_chinese_controlled_refining_on_top(scores: pd.DataFrame) -> None:
    # Dysprosium and terbium are named by China's licensing of 4 Apr 2025 (CN-2025-REE7),
    # with China's whole refining: among the top with gallium, germanium, graphite, REEs.
    top6 = set(scores.head(6)["mineral"])
    assert {"gallium", "germanium", "graphite", "rare_earths", "dysprosium", "terbium"} == top6
    assert scores.set_index("mineral").loc["gallium", "stage"] == "refine"


def test_weights_are_a_parameter(ds: critmin.Dataset) -> None:
    only_ai = {c: 0.0 for c in COMPONENTS} | {"ai_components": 1.0}
    s = composite(ds, CompositeOptions(weights=only_ai, as_of=AS_OF))
    assert s.iloc[0]["mineral"] == "copper"  # the most AI components need copper
    with pytest.raises(ValueError, match="unknown components"):
        CompositeOptions(weights={"vibes": 1.0})


@given(st.lists(st.floats(0, 1), min_size=3, max_size=3), st.lists(st.floats(0.1, 5), min_size=3,
                                                                   max_size=3))  # fmt: skip
def test_weighted_score_matches_a_naive_mean(values: list[float], weights: list[float]) -> None:
    df = pd.DataFrame([values], columns=["a", "b", "c"])
    w = dict(zip(["a", "b", "c"], weights, strict=True))
    naive = sum(v * x for v, x in zip(values, weights, strict=True)) / sum(weights)
    assert weighted_score(df, w).iloc[0] == pytest.approx(naive)


def test_restrictions_follow_the_calendar(ds: critmin.Dataset) -> None:
    assert in_force(ds.restrictions, "gallium", dt.date(2023, 7, 15)).empty  # announced only
    assert set(in_force(ds.restrictions, "gallium", dt.date(2023, 9, 1)).id) == {"CN-2023-GaGe"}
    s = status_on(ds.restrictions, dt.date(2025, 12, 1)).set_index("id")["status"]
    assert s["CN-2024-US"] == "suspended" and s["CN-2025-REE5"] == "suspended"
    assert status_on(ds.restrictions, dt.date(2026, 11, 28)).set_index("id").loc[
        "CN-2024-US", "status"] == "in force"  # fmt: skip
    # China's 2006-2008 quotas and duties were in force in 2014 and lifted in 2015
    assert set(in_force(ds.restrictions, "tungsten", dt.date(2014, 6, 1)).id) == {
        "CN-W-quota", "CN-REE-W-Mo-In-tax"}  # fmt: skip
    early = composite(ds, CompositeOptions(as_of=dt.date(2022, 1, 1)))
    got = early.set_index("mineral")["restrictions"]
    assert got[got != 0].to_dict() == {
        "nickel": 1.0,  # Indonesia's ore export ban, Jan 2020 (ID-2020-Ni)
        "bauxite": 1.0,  # Indonesia's bauxite export quota, 2017 to Jun 2023 (ID-2017-bx-quota)
        "copper": 1.0,  # Indonesia's export tax on concentrate, since Jan 2014 (ID-2014-conc-tax)
        "rare_earths": 1.0,  # Viet Nam's rare-earth ore ban, since at least 2021 (VN-REE-ore)
        "cobalt": 0.5,  # DRC's 2013 concentrate ban, suspended since Jul 2013 (CD-2013-conc)
        # Argentina's export duty on all goods, since Sep 2018 (AR-2018-tax)
        "lithium": 1.0,
        "boron": 1.0,
        "silver": 1.0,
        "gold": 1.0,  # Tanzania's concentrate ban, since Mar 2017 (TZ-2017-conc)
        "chromium": 1.0,  # India's duty (IN-2016-Cr-tax) and Zimbabwe's 2021 ban (ZW-2021-Cr-ban)
    }
    # lifted in 2015; the 2025 licensing is not yet announced
    assert got["tungsten"] == got["molybdenum"] == got["indium"] == 0
    # not yet: China's 2023 controls, Namibia's 2023 ban
    assert got["gallium"] == got["graphite"] == got["manganese"] == 0


def _measure(**dates: str) -> pd.DataFrame:
    row = {"id": "X", "announced": None, "effective": None, "suspended_from": None,
           "suspended_until": None, "lifted": None, "minerals": "nickel"} | dates  # fmt: skip
    return pd.DataFrame([row])


def _status(r: pd.DataFrame, on: dt.date) -> str:
    return str(status_on(r, on)["status"].iloc[0])


def test_a_lifted_measure_is_lifted_from_its_date() -> None:
    r = _measure(announced="2019-09-02", effective="2020-01-01", lifted="2021-06-15")
    assert _status(r, dt.date(2021, 6, 14)) == "in force"
    assert _status(r, dt.date(2021, 6, 15)) == "lifted"
    assert _status(r, dt.date(2030, 1, 1)) == "lifted"
    assert in_force(r, "nickel", dt.date(2021, 6, 15)).empty
    # lifted is checked before the suspension: an open-ended suspension does not outlast it
    s = _measure(effective="2020-01", suspended_from="2020-06", lifted="2021-01")
    assert _status(s, dt.date(2020, 7, 1)) == "suspended"
    assert _status(s, dt.date(2021, 1, 1)) == "lifted"
    # a month-only date means the first day of the month
    assert _status(_measure(effective="2020-01", lifted="2021-01"), dt.date(2020, 12, 31)) == (
        "in force")  # fmt: skip


def test_without_an_announced_date_a_measure_is_not_yet_before_it_applies() -> None:
    r = _measure(effective="2014-01-12")
    assert _status(r, dt.date(2014, 1, 11)) == "not yet"
    assert _status(r, dt.date(2014, 1, 12)) == "in force"
    assert _status(_measure(announced="2013-12-01", effective="2014-01-12"),
                   dt.date(2014, 1, 11)) == "announced"  # fmt: skip


def test_lifted_measures_in_the_shipped_table() -> None:
    r = read_restrictions()
    before = status_on(r, dt.date(2014, 12, 31)).set_index("id")["status"]
    after = status_on(r, dt.date(2015, 1, 1)).set_index("id")["status"]
    assert before["CN-REE-quota"] == "in force" and after["CN-REE-quota"] == "lifted"
    assert before["CN-W-quota"] == "in force" and after["CN-W-quota"] == "lifted"
    # no announcement on record: not yet (rather than announced) before the Jan 2014 ore ban
    assert status_on(r, dt.date(2013, 6, 1)).set_index("id").loc["ID-2014-ore-ban",
                                                                "status"] == "not yet"  # fmt: skip
    jp = status_on(r, dt.date(2010, 10, 1)).set_index("id").loc["CN-2010-JPN", "status"]
    assert jp == "in force"
    assert status_on(r, dt.date(2010, 10, 28)).set_index("id").loc["CN-2010-JPN",
                                                                  "status"] == "lifted"  # fmt: skip


def test_ranges_bracket_the_default(ds: critmin.Dataset) -> None:
    r = score_ranges(ds, CompositeOptions(as_of=AS_OF))
    ok = r.dropna(subset=["score_low"])
    assert (ok["score_low"] <= ok["score"] + 1e-12).all()
    assert (ok["score_high"] >= ok["score"] - 1e-12).all()
    assert (ok["rank_best"] <= ok["rank"]).all() and (ok["rank_worst"] >= ok["rank"]).all()
    ga = r.set_index("mineral").loc["gallium"]
    assert ga["rank_worst"] <= 3  # gallium stays on top whichever defensible choice is made
    assert ga["n_alternatives"] >= 3


def test_regions(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert len(builtin_regions()["EU27"]) == 27
    assert resolve_importer("oecd").members[0] == "AUS"
    p = tmp_path / "r.yaml"
    p.write_text("us_and_partners: [USA, CAN, AUS, JPN]\n")
    regions = load_regions(p)
    assert resolve_importer("US_and_partners", regions).members == ("AUS", "CAN", "JPN", "USA")
    p.write_text("bad: [USA, XXQ]\n")
    with pytest.raises(DataError, match="XXQ"):
        load_regions(p)
    p.write_text("bad: [USA\n")
    with pytest.raises(DataError, match=r"r\.yaml"):
        load_regions(p)
    with pytest.raises(KeyError, match="unknown importer"):
        resolve_importer("Atlantis")
