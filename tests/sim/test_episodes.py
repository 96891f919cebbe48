"""The episode library (issue 16): contents, sources, and the validation's summary."""

from __future__ import annotations

import pytest

import critmin
from critmin.sim import episodes
from critmin.sim.calibration import validate


def test_library_covers_enough_episodes_minerals_and_held_out_ones() -> None:
    eps = episodes.load()
    assert len(eps) >= 8
    assert len({e.mineral for e in eps}) >= 6
    assert {e.country for e in eps} - {"CHN"}  # non-Chinese measures
    assert sum(not e.in_fit for e in eps) >= 2
    for e in eps:
        assert e.observations, e.name
        assert e.peak_year in e.years, e.name
        assert e.scenario.horizon.start <= min(e.years) <= max(e.years) <= e.scenario.horizon.end
        for o in e.observations:
            assert o.source and o.basis and o.unit and o.base, (e.name, o)
            assert o.kind in ("annual", "point")
            assert 0.1 < o.index < 20.0


@pytest.fixture(scope="module")
def result():  # type: ignore[no-untyped-def]
    return validate(critmin.load())


def test_validation_reports_both_models_for_every_episode(result) -> None:  # type: ignore[no-untyped-def]
    table, summ = result
    assert list(table["episode"]) == [e.name for e in episodes.load()]
    assert (table["model_p5"] <= table["model_p50"]).all()
    assert (table["model_p50"] <= table["model_p95"]).all()
    assert list(summ["model"]) == ["current (posterior, leave-one-out)", "previous"]
    # Golden (seeded): leave-one-out coverage of the peak year, current model vs previous.
    cur, prev = summ["inside_share"]
    assert cur == pytest.approx(6 / 9)
    assert prev == pytest.approx(7 / 9)
    # The median |log(P50 / observed)| in the peak year: below log 1.5 for the current model.
    err, err_prev = summ["median_abs_log"]
    assert err < 0.405 and err < err_prev


def test_data_year_uses_that_years_shares_and_warns_when_it_substitutes() -> None:
    """Issue 16: a historical scenario's production shares are of its data year; a year the
    dataset lacks falls back to the latest, and a warning names what was substituted."""
    from critmin.sim.inputs import prepare

    ds = critmin.load()
    tin = episodes.by_name()["tin-2023"].scenario
    mi = prepare(tin, ds)
    assert tin.data_year == 2022
    assert "2022" in mi.provenance["shares.tin.mine"]
    m = mi.minerals.index("tin")
    (x,) = [x for x in mi.effects if mi.slot_mineral[x.slot] == m]
    assert mi.slot_share[x.slot] > 0.1  # Myanmar before the suspension (0.04 in 2025)
    assert any("not 2022's" in w for w in mi.warnings)
    nickel = prepare(episodes.by_name()["nickel-2014"].scenario, ds)
    assert any("no production figures of nickel at the mine stage" in w for w in nickel.warnings)
