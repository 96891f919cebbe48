"""Every catalogue mineral is simulated, or refused with the figure it lacks (issue 14).

Tin runs on its mine stage (the dataset has no smelter output), helium in tonnes converted
from the USGS volumes with a stated density, and a mineral with no usable production data is
refused with the event's field and line. Adding minerals leaves every earlier mineral's draws,
and so its numbers, exactly as they were.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import critmin
from critmin.analysis.scenarios import check_scenario, minerals_touched, run_simulation
from critmin.data.catalogue import MINERAL_IDS
from critmin.data.dataset import Dataset
from critmin.data.errors import DataError
from critmin.sim.coverage import (
    GAS_DENSITY,
    ideal_gas_density,
    simulated_minerals,
    simulated_stages,
    tonnes_per,
    unsimulated,
)
from critmin.sim.engine import run_block
from critmin.sim.inputs import FIRST_DRAWN, draw, mineral_rng, prepare
from critmin.sim.runner import block_rng
from critmin.sim.scenario import Scenario

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return critmin.load()


def _scenario(text: str) -> Scenario:
    return check_scenario(text=text, deep=False)


MYANMAR_TIN = """\
name: Myanmar tin outage
horizon: {start: 2026, end: 2029}
samples: 200
seed: 3
events:
  - type: outage
    country: MMR
    mineral: tin
    stage: mine
    start: 2027
    duration_years: 1
    capacity_loss: {low: 0.6, central: 0.9, high: 1.0}
"""

HELIUM = """\
name: Helium restrictions
horizon: {start: 2026, end: 2029}
samples: 200
seed: 3
events:
  - {type: export_restriction, country: QAT, minerals: [helium], stage: mine, start: 2027,
     duration_years: 1, share: {low: 0.5, central: 0.8, high: 1.0}}
  - {type: export_restriction, country: RUS, minerals: [helium], stage: mine, start: 2027,
     duration_years: 1, share: 1.0}
  - {type: export_restriction, country: USA, minerals: [helium], stage: mine, start: 2027,
     duration_years: 1, share: 0.3, target: [CHN]}
"""


# --------------------------------------------------------------------------------------------
# what is simulated


def test_every_catalogue_mineral_with_data_is_simulated(ds: Dataset) -> None:
    sim = simulated_minerals(ds)
    assert {"tin", "helium"} <= set(sim)
    assert set(FIRST_DRAWN) <= set(sim)
    # Simulated or refused with a reason, never silently neither.
    assert set(sim) | set(unsimulated(ds)) == set(MINERAL_IDS)
    assert not set(sim) & set(unsimulated(ds))


def test_tin_runs_on_its_mine_stage_and_says_why(ds: Dataset) -> None:
    # The catalogue has a smelter (refine) stage for tin; the dataset has no figures for it.
    assert ds.supply("tin", "refine").empty
    assert simulated_stages(ds, "tin") == ("mine",)
    mi = prepare(_scenario(MYANMAR_TIN), ds)
    j = mi.minerals.index("tin")
    assert mi.stage_present[:, j].tolist() == [True, False]
    assert "mine stage only" in mi.provenance["stages.tin"]
    assert "refine" in mi.provenance["stages.tin"]


def test_helium_in_tonnes_with_a_stated_density(ds: Dataset) -> None:
    he = GAS_DENSITY["helium"]
    assert he.kg_per_m3 == pytest.approx(ideal_gas_density(4.002602, 101.325, 15.0))
    assert he.kg_per_m3 == pytest.approx(0.16928, abs=1e-5)
    assert "15 °C" in he.basis and "101.325 kPa" in he.basis
    t, note = tonnes_per("helium", "million m3")  # type: ignore[misc]
    assert t == pytest.approx(1e6 * he.kg_per_m3 / 1000)
    assert "169.28" in note
    # The dataset keeps the USGS volumes: the conversion is the simulator's.
    rows = ds.supply("helium", "mine")
    assert set(rows["unit"]) == {"million m3"}
    mi = prepare(_scenario(HELIUM), ds)
    j = mi.minerals.index("helium")
    world = rows.loc[rows["entity_kind"].isin(["country", "other"]), "value"].sum()
    assert mi.world_t[0, j] == pytest.approx(world * t, rel=0.05)
    assert "169.28" in mi.provenance["units.helium"]


# --------------------------------------------------------------------------------------------
# scenarios on the new minerals


def test_a_myanmar_tin_outage_leaves_the_bloc_short_of_tin(ds: Dataset) -> None:
    res = run_simulation(_scenario(MYANMAR_TIN), ds=ds)
    assert minerals_touched(res) == ["tin"]
    sf = res["shortfall"].sel(mineral="tin")
    assert float(sf.sel(year=2026).max()) == 0.0
    # Issue 16: commercial stocks now cover part of the loss (Myanmar is 4 % of world output):
    # a mean shortfall of about 0.8 % (above 1 % before) and a price about 9 % up.
    assert float(sf.sel(year=2027).mean()) > 0.005
    assert float(res["price_index"].sel(mineral="tin", year=2027).median()) > 1.05


def test_a_helium_restriction_leaves_the_bloc_short_of_helium(ds: Dataset) -> None:
    res = run_simulation(_scenario(HELIUM), ds=ds)
    assert minerals_touched(res) == ["helium"]
    assert float(res["shortfall"].sel(mineral="helium", year=2027).mean()) > 0.05
    assert float(res["price_index"].sel(mineral="helium", year=2027).median()) > 1.0


def test_default_hazards_reach_tin_and_helium(ds: Dataset) -> None:
    sc = _scenario("name: s\nhorizon: {start: 2026, end: 2028}\nevents:\n"
                   "  - {type: default_hazards, minerals: [tin, helium]}\n")  # fmt: skip
    mi = prepare(sc, ds)
    named = {(ev.minerals[0], ev.country, ev.stage) for ev in mi.events}  # type: ignore[attr-defined]
    # Myanmar's output fell to 4 % of the world's in 2025 (the Wa State suspension, MCS 2026),
    # below the default model's share threshold; China and Qatar are well above it.
    assert ("tin", "CHN", "mine") in named and ("helium", "QAT", "mine") in named
    # Each drawn from its mineral's own stream.
    for ev, s in zip(mi.events, mi.event_stream, strict=True):
        assert mi.minerals[s] == ev.minerals[0]  # type: ignore[attr-defined]


# --------------------------------------------------------------------------------------------
# refusals


def _without(ds: Dataset, mineral: str) -> Dataset:
    """The dataset with no production figures for ``mineral`` (as a new catalogue mineral
    has before its data land)."""
    out = Dataset(ds.path)
    supply = out.supply

    def no_data(m: str, stage: str, *a: object, **k: object) -> pd.DataFrame:
        rows = supply(m, stage, *a, **k)  # type: ignore[arg-type]
        return rows.iloc[0:0] if m == mineral else rows

    out.supply = no_data  # type: ignore[method-assign,assignment]
    return out


def test_an_event_on_a_mineral_without_data_is_refused_with_its_line(ds: Dataset) -> None:
    bare = _without(ds, "tin")
    assert "tin" not in simulated_minerals(bare)
    assert unsimulated(bare)["tin"] == (
        "no production data at the mine stage; no production data at the refine stage"
    )
    with pytest.raises(DataError) as exc:
        check_scenario(text=MYANMAR_TIN, ds=bare)
    (p,) = exc.value.problems
    assert (p.row, p.field, p.got) == (8, "events.0.mineral", "tin")
    assert "a mineral critmin can simulate (tin: no production data at the mine stage" in str(p)


def test_a_minerals_list_or_stock_naming_one_is_refused_too(ds: Dataset) -> None:
    bare = _without(ds, "tin")
    text = ("name: s\nhorizon: {start: 2026, end: 2028}\nminerals: [cobalt, tin]\n"
            "stocks: {tin: 100}\nevents:\n"
            "  - {type: export_restriction, country: CHN, minerals: [cobalt, tin],\n"
            "     stage: mine, start: 2027, share: 0.5}\n")  # fmt: skip
    with pytest.raises(DataError) as exc:
        check_scenario(text=text, ds=bare)
    fields = {(p.field, p.row) for p in exc.value.problems}
    assert fields == {("minerals.1", 3), ("events.0.minerals.1", 6), ("stocks.tin", 4)}


def test_an_event_outside_the_scenarios_minerals_list_is_refused(ds: Dataset) -> None:
    text = ("name: s\nhorizon: {start: 2026, end: 2028}\nminerals: [cobalt]\nevents:\n"
            "  - {type: outage, country: MMR, mineral: tin, stage: mine, start: 2027,\n"
            "     capacity_loss: 0.5}\n")  # fmt: skip
    with pytest.raises(DataError, match=r"row 5, field 'events.0.mineral'.*minerals list"):
        check_scenario(text=text, ds=ds)


def test_an_event_on_tins_smelters_is_refused(ds: Dataset) -> None:
    text = MYANMAR_TIN.replace("stage: mine", "stage: refine")
    with pytest.raises(DataError, match=r"events.0.stage.*a stage of tin with data: mine"):
        check_scenario(text=text, ds=ds)


# --------------------------------------------------------------------------------------------
# the random stream of the earlier minerals


def test_mineral_streams_depend_on_the_block_and_the_mineral_only() -> None:
    a = mineral_rng(block_rng(5, 1), "tin").random(4)
    rng = block_rng(5, 1)
    rng.random(100)  # what the block's stream draws first does not matter
    assert np.array_equal(mineral_rng(rng, "tin").random(4), a)
    assert not np.array_equal(mineral_rng(block_rng(5, 2), "tin").random(4), a)
    assert not np.array_equal(mineral_rng(block_rng(5, 1), "helium").random(4), a)


@pytest.mark.parametrize(
    "path",
    [
        "examples/standard-2026.yaml",
        "examples/china-gallium-germanium-2023.yaml",
        "src/critmin/sim/library/logistics-corridor.yaml",
    ],
)
def test_earlier_minerals_get_the_numbers_they_had(ds: Dataset, path: str) -> None:
    """The same scenario run on the minerals simulated before tin and helium joined (as its
    ``minerals`` list) and on every mineral gives those minerals identical numbers."""
    sc = check_scenario(ROOT / path, deep=False)
    sc = sc.model_copy(update={"horizon": sc.horizon.model_copy(update={"end": 2030})})
    old = sc.model_copy(update={"minerals": list(FIRST_DRAWN)})
    mi_all, mi_old = prepare(sc, ds), prepare(old, ds)
    assert mi_old.minerals == FIRST_DRAWN and len(mi_all.minerals) > len(FIRST_DRAWN)
    out_all = run_block(mi_all, draw(mi_all, block_rng(11, 0), 40))
    out_old = run_block(mi_old, draw(mi_old, block_rng(11, 0), 40))
    cols = [mi_all.minerals.index(m) for m in FIRST_DRAWN]
    for name in ("supply", "shortfall", "price_index", "stock", "available"):
        assert np.array_equal(out_all[name][:, :, cols], out_old[name]), name
