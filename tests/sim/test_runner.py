"""The runner (:mod:`critmin.sim.runner`) and the summary statistics (:mod:`critmin.sim.summary`).

Determinism: a result depends only on the scenario and its seed, never on how many threads or
Dask workers ran the blocks or whether the blocks were streamed to disk. Then the accounting
identities of docs/model.md §5 on a full run, monotonicity of the outcome in the size of a
disruption and of the stock, and the summary statistics against naive implementations.
"""

from __future__ import annotations

import itertools
import math
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import critmin
from critmin.data.dataset import Dataset
from critmin.data.errors import DataError
from critmin.sim import runner
from critmin.sim.runner import BLOCK, block_bounds, block_rng, simulate, years_to_recover
from critmin.sim.scenario import Scenario
from critmin.sim.summary import COLUMNS, by_year, cvar, summary

N = 2500  # three blocks, the last one partial
SEED = 5
PER_SAMPLE = {
    "shortfall_peak",
    "shortfall_horizon",
    "price_peak",
    "unmet_total",
    "release_total",
    "years_to_recover",
    "ai_output_min",
    "ai_shortfall_peak",  # AI's worst-year shortfall per mineral and allocation rule (0033)
}
FULL_VARS = {*runner.OUTPUTS, "ai_output", *PER_SAMPLE}

#: Gallium and germanium with their hosts (by-product links), a stock that gets released, and
#: a stochastic cobalt restriction (so samples differ in timing as well as in magnitude).
FIELDS: dict[str, Any] = {
    "name": "runner test",
    "horizon": {"start": 2026, "end": 2030},
    "minerals": ["gallium", "germanium", "bauxite", "zinc", "cobalt"],
    "seed": SEED,
    "stocks": {"gallium": 20.0},
    "events": [
        {"type": "export_restriction", "country": "CHN", "minerals": ["gallium", "germanium"],
         "stage": "refine", "start": "2027-03-01", "duration_years": 2,
         "share": {"low": 0.5, "central": 0.8, "high": 1.0},
         "leakage": {"low": 0.0, "central": 0.1, "high": 0.3}},
        {"type": "stochastic_restriction", "country": "COD", "minerals": ["cobalt"],
         "stage": "mine", "annual_probability": 0.3, "duration_years": 1, "share": 0.5},
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return critmin.load()


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return Scenario.model_validate(FIELDS)


@pytest.fixture(scope="module")
def full(scenario: Scenario, ds: Dataset) -> xr.Dataset:
    """The in-memory, single-threaded run every other way of running is held against."""
    return simulate(scenario, ds, samples=N, workers=1)


def assert_same_values(a: xr.Dataset, b: xr.Dataset) -> None:
    """Same variables, dims, coordinates and bit-identical values (attrs may differ: the
    creation time)."""
    assert set(a.data_vars) == set(b.data_vars)
    assert dict(a.sizes) == dict(b.sizes)
    for c in ("sample", "year", "mineral", "component"):
        assert np.array_equal(a[c].to_numpy(), b[c].to_numpy()), c
    for k in a.data_vars:
        x, y = a[k].to_numpy(), b[k].to_numpy()
        assert a[k].dims == b[k].dims, k
        assert x.dtype == y.dtype, k
        assert np.array_equal(x, y), k


# --------------------------------------------------------------------------------------------
# blocks and seeds


def test_block_bounds_and_rng() -> None:
    assert block_bounds(1) == [(0, 0, 1)]
    assert block_bounds(BLOCK) == [(0, 0, BLOCK)]
    assert block_bounds(N) == [(0, 0, 1000), (1, 1000, 2000), (2, 2000, 2500)]
    assert block_rng(3, 1).random() == block_rng(3, 1).random()
    assert block_rng(3, 1).random() != block_rng(3, 2).random()
    assert block_rng(3, 1).random() != block_rng(4, 1).random()


def test_full_run_shape_and_attrs(full: xr.Dataset, scenario: Scenario) -> None:
    assert set(full.data_vars) == FULL_VARS
    assert {k: full.sizes[k] for k in ("sample", "year", "mineral")} == {
        "sample": N,
        "year": 5,
        "mineral": 5,
    }
    assert full.sizes["component"] > 0
    assert full["sample"].to_numpy().tolist() == list(range(N))
    assert full.attrs["seed"] == SEED and full.attrs["samples"] == N
    assert full.attrs["block"] == BLOCK and full.attrs["keep"] == "all"
    assert Scenario.model_validate_json(full.attrs["scenario_json"]).events == scenario.events


def test_threads_give_the_same_result(full: xr.Dataset, scenario: Scenario, ds: Dataset) -> None:
    assert_same_values(full, simulate(scenario, ds, samples=N, workers=2))


def test_blocks_are_fixed(full: xr.Dataset, scenario: Scenario, ds: Dataset) -> None:
    """Samples 0–999 are block 0 whatever the total: a 1000-sample run is a prefix."""
    short = simulate(scenario, ds, samples=1000)
    assert_same_values(full.isel(sample=slice(0, 1000)), short)


def test_different_seeds_differ(full: xr.Dataset, scenario: Scenario, ds: Dataset) -> None:
    other = simulate(scenario, ds, samples=N, seed=SEED + 1)
    assert other.attrs["seed"] == SEED + 1
    for k in ("price_index", "shortfall", "available"):
        assert not np.array_equal(full[k].to_numpy(), other[k].to_numpy()), k
    # Deterministic parts do not depend on the seed.
    assert np.array_equal(full["demand"].to_numpy(), other["demand"].to_numpy())


def test_dask_local_cluster_gives_the_same_result(
    full: xr.Dataset, scenario: Scenario, ds: Dataset
) -> None:
    assert_same_values(full, simulate(scenario, ds, samples=N, scheduler="local", workers=2))


# --------------------------------------------------------------------------------------------
# streaming to disk


def test_streaming_to_zarr(full: xr.Dataset, scenario: Scenario, ds: Dataset, tmp_path: Path):
    out = tmp_path / "r.zarr"
    done: list[tuple[int, int]] = []
    res = simulate(scenario, ds, samples=N, stream=True, out=out,
                   progress=lambda d, t: done.append((d, t)))  # fmt: skip
    assert res["supply"].chunks is not None  # lazy: read from the store
    assert_same_values(full, res.load())
    assert sorted(done) == [(1, 3), (2, 3), (3, 3)]
    assert [p.name for p in tmp_path.iterdir()] == ["r.zarr"]
    assert_same_values(full, xr.open_zarr(out, consolidated=False).load())


def test_streaming_to_netcdf(full: xr.Dataset, scenario: Scenario, ds: Dataset, tmp_path: Path):
    out = tmp_path / "r.nc"
    res = simulate(scenario, ds, samples=N, stream=True, out=out)
    assert_same_values(full, res.load())
    with xr.open_dataset(out, engine="h5netcdf") as written:
        assert_same_values(full, written.load())
    # Nothing but the output is left beside it (no temporary store, no .tmp file).
    assert [p.name for p in tmp_path.iterdir()] == ["r.nc"]


def test_in_memory_run_written_to_netcdf(scenario: Scenario, ds: Dataset, tmp_path: Path) -> None:
    out = tmp_path / "r.nc"
    res = simulate(scenario, ds, samples=300, out=out)
    with xr.open_dataset(out, engine="h5netcdf") as written:
        assert_same_values(res, written.load())
        assert written.attrs["seed"] == SEED
    assert [p.name for p in tmp_path.iterdir()] == ["r.nc"]


@pytest.mark.parametrize("stream", [None, True])
def test_bad_output_extension_is_refused_before_any_work(
    scenario: Scenario, ds: Dataset, tmp_path: Path, stream: bool | None
) -> None:
    done: list[int] = []
    out = tmp_path / "r.csv"
    with pytest.raises(DataError) as info:
        simulate(scenario, ds, samples=N, out=out, stream=stream,
                 progress=lambda d, t: done.append(d))  # fmt: skip
    msg = str(info.value)
    assert "field 'out'" in msg and ".csv" in msg and ".nc or .zarr" in msg
    assert done == []  # no block ran
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(DataError, match="no extension"):
        simulate(scenario, ds, samples=N, out=tmp_path / "results")
    assert list(tmp_path.iterdir()) == []


def test_memory_budget_streams_automatically(
    full: xr.Dataset,
    scenario: Scenario,
    ds: Dataset,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The temporary store goes to the system temporary folder: point it here.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    res = simulate(scenario, ds, samples=N, memory_budget=1)
    assert res["supply"].chunks is not None  # lazy, so it was streamed
    assert [p.name.startswith("critmin-sim-") for p in tmp_path.iterdir()] == [True]
    assert_same_values(full, res.load())
    # A generous budget keeps the run in memory.
    mem = simulate(scenario, ds, samples=300, memory_budget=10**12)
    assert mem["supply"].chunks is None


# --------------------------------------------------------------------------------------------
# keep="summary"


def test_keep_summary(full: xr.Dataset, scenario: Scenario, ds: Dataset) -> None:
    small = simulate(scenario, ds, samples=N, keep="summary")
    assert set(small.data_vars) == {"shortfall", "price_index", *PER_SAMPLE}
    assert small.attrs["keep"] == "summary"
    for k in ("shortfall", "price_index"):
        assert small[k].dtype == np.float32, k
        assert np.array_equal(small[k].to_numpy(), full[k].to_numpy().astype(np.float32)), k
    for k in PER_SAMPLE:
        assert np.array_equal(small[k].to_numpy(), full[k].to_numpy()), k
    a, b = summary(small), summary(full)
    assert list(a.columns) == list(COLUMNS)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-6, atol=1e-7)
    pd.testing.assert_frame_equal(by_year(small), by_year(full), check_exact=False, rtol=1e-6,
                                  atol=1e-7)  # fmt: skip


def test_keep_summary_streamed(scenario: Scenario, ds: Dataset, tmp_path: Path) -> None:
    mem = simulate(scenario, ds, samples=1500, keep="summary")
    res = simulate(scenario, ds, samples=1500, keep="summary", stream=True,
                   out=tmp_path / "s.zarr")  # fmt: skip
    assert res["shortfall"].dtype == np.float32
    assert_same_values(mem, res.load())


# --------------------------------------------------------------------------------------------
# accounting identities and bounds on a full run


def test_mass_balance_and_bounds(full: xr.Dataset) -> None:
    r = {k: full[k].to_numpy() for k in full.data_vars}
    for k, v in r.items():
        assert not np.isnan(v).any(), k
        assert np.isfinite(v).all(), k
    np.testing.assert_allclose(r["supply"] + r["stock_release"] + r["unmet"], r["demand"],
                               rtol=1e-12, atol=1e-9)  # fmt: skip
    assert (r["supply"] >= 0).all()
    assert (r["unmet"] >= -1e-9).all()
    assert (r["shortfall"] >= 0).all() and (r["shortfall"] <= 1).all()
    assert (r["stock"] >= -1e-9).all()
    assert (r["ai_output"] >= 0).all() and (r["ai_output"] <= 1).all()
    # The per-sample reductions are those of the arrays.
    np.testing.assert_allclose(r["unmet_total"], r["unmet"].sum(axis=1), rtol=1e-12)
    np.testing.assert_array_equal(r["shortfall_peak"], r["shortfall"].max(axis=1))
    np.testing.assert_array_equal(r["price_peak"], r["price_index"].max(axis=1))
    np.testing.assert_allclose(r["release_total"], r["stock_release"].sum(axis=1), rtol=1e-12)
    # Not vacuous: the ban leaves gallium short, and the stock is drawn on.
    ga = list(full["mineral"].to_numpy()).index("gallium")
    assert (r["unmet"][:, :, ga] > 0).any()
    assert (r["stock_release"][:, :, ga] > 0).any()
    assert (r["shortfall"] > 0).mean() > 0.01


# --------------------------------------------------------------------------------------------
# monotonicity (same seed and samples: the draws are the same, only the event differs)


def _gallium(ds: Dataset, duration: float = 2, stock: float = 0.0, n: int = 400) -> xr.Dataset:
    sc = Scenario.model_validate({
        "name": "monotone",
        "horizon": {"start": 2026, "end": 2031},
        "minerals": ["gallium"],
        "seed": 99,
        "stocks": {"gallium": stock},
        "events": [
            {"type": "export_restriction", "country": "CHN", "minerals": ["gallium"],
             "stage": "refine", "start": "2027-01-01", "duration_years": duration,
             "share": 0.8, "leakage": {"low": 0.0, "central": 0.1, "high": 0.3}},
        ],
    })  # fmt: skip
    return simulate(sc, ds, samples=n)


def test_a_longer_ban_never_reduces_unmet_demand(ds: Dataset) -> None:
    totals = [
        _gallium(ds, duration=d)["unmet_total"].sel(mineral="gallium").to_numpy() for d in (1, 2, 3)
    ]
    for shorter, longer in itertools.pairwise(totals):
        assert (longer >= shorter - 1e-9).all()
        assert longer.mean() >= shorter.mean()
    assert totals[2].mean() > totals[0].mean()


def test_more_stock_never_increases_unmet_demand(ds: Dataset) -> None:
    runs = [_gallium(ds, stock=s) for s in (0.0, 50.0, 500.0)]
    totals = [r["unmet_total"].sel(mineral="gallium").to_numpy() for r in runs]
    for less, more in itertools.pairwise(totals):
        assert (more <= less + 1e-9).all()
    assert totals[2].mean() < totals[0].mean()
    assert float(runs[0]["release_total"].sum()) == 0.0
    assert float(runs[2]["release_total"].sum()) > 0.0
    # A release is taken off the bloc's demand on the market: it never raises the world
    # price, and it lowers it where stock is released (docs/model.md §5, decision 0028).
    prices = [r["price_index"].sel(mineral="gallium").to_numpy() for r in runs]
    for less, more in itertools.pairwise(prices):
        assert (more <= less * (1 + 1e-12)).all()
    released = runs[2]["stock_release"].sel(mineral="gallium").to_numpy() > 0
    assert (prices[2][released] < prices[0][released]).all()


def _withheld(
    ds: Dataset, share: float, cover: float | None = None, balance: float | None = None
) -> xr.Dataset:
    """Gallium and antimony, a restriction from 1 June (part of its first year), issue 16's
    price formation: kinked demand, commercial stocks, precautionary buying."""
    params: dict[str, dict[str, float]] = {}
    if cover is not None:
        params = {"*": {"inventory_cover": cover, "inventory_rebuild": 0.0}}
    if balance is not None:
        params = {"*": {"market_balance": balance}}
    sc = Scenario.model_validate({
        "name": "monotone price", "horizon": {"start": 2026, "end": 2030},
        "minerals": ["gallium", "antimony"], "seed": 5, "parameters": params,
        "events": [{"type": "export_restriction", "country": "CHN",
                    "minerals": [m], "stage": st, "start": "2027-06-01",
                    "duration_years": 2.5, "share": share}
                   for m, st in (("gallium", "refine"), ("antimony", "mine"))],
    })  # fmt: skip
    return simulate(sc, ds, samples=300)


def test_a_larger_withheld_share_never_lowers_the_price(ds: Dataset) -> None:
    prices = [_withheld(ds, s)["price_index"].to_numpy() for s in (0.1, 0.4, 0.7, 1.0)]
    for smaller, larger in itertools.pairwise(prices):
        assert (larger >= smaller * (1 - 1e-12)).all()
    assert prices[-1].mean() > prices[0].mean()


def test_more_commercial_stock_never_raises_the_price(ds: Dataset) -> None:
    """Without restocking (which, after the loss, raises the price by what was drawn)."""
    prices = [_withheld(ds, 0.8, c)["price_index"].to_numpy() for c in (0.0, 0.1, 0.3, 1.0)]
    for less, more in itertools.pairwise(prices):
        assert (more <= less * (1 + 1e-12)).all()
    assert prices[-1].mean() < prices[0].mean()


def test_a_larger_baseline_surplus_never_raises_the_price(ds: Dataset) -> None:
    """Decision 0034: a surplus absorbs the loss first; a deficit makes it count less
    (a smaller supply), and neither changes any other draw."""
    prices = [_withheld(ds, 0.5, balance=b)["price_index"].to_numpy()
              for b in (-0.2, 0.0, 0.1, 0.3)]  # fmt: skip
    for less, more in itertools.pairwise(prices[1:]):
        assert (more <= less * (1 + 1e-12)).all()
    assert prices[-1].mean() < prices[1].mean()
    # Under a deficit the same share of a smaller supply is less demand (docs/model.md §1b).
    assert (prices[0] <= prices[1] * (1 + 1e-12)).all()
    # The default (no override) is the balanced market, to the bit.
    np.testing.assert_array_equal(prices[1], _withheld(ds, 0.5)["price_index"].to_numpy())


def _state(ds: Dataset, action: str, share: float) -> np.ndarray:
    """Antimony with China's licensing from 2027 and a state stockpile buying or releasing a
    share of world demand in 2027-2028: the price index (sample, year)."""
    events: list[dict[str, Any]] = [
        {"type": "export_restriction", "country": "CHN", "minerals": ["antimony"],
         "stage": "mine", "start": 2027, "share": 0.5}]  # fmt: skip
    if share > 0:
        events.append({"type": "state_stockpile", "holder": "USA", "action": action,
                       "mineral": "antimony", "start": 2027, "end": 2028,
                       "share_of_demand": share})  # fmt: skip
    sc = Scenario.model_validate({"name": "state", "horizon": {"start": 2026, "end": 2030},
                                  "minerals": ["antimony"], "seed": 3,
                                  "events": events})  # fmt: skip
    return simulate(sc, ds, samples=200)["price_index"].sel(mineral="antimony").to_numpy()


def test_state_purchases_raise_and_releases_lower_the_price(ds: Dataset) -> None:
    base = _state(ds, "buy", 0.0)
    buys = [base, *(_state(ds, "buy", s) for s in (0.02, 0.1))]
    sells = [base, *(_state(ds, "release", s) for s in (0.02, 0.1))]
    for less, more in itertools.pairwise(buys):
        assert (more >= less * (1 - 1e-12)).all()
    for less, more in itertools.pairwise(sells):
        assert (more <= less * (1 + 1e-12)).all()
    # In the years of the programme the effect is strict; before it, nothing moves.
    assert (buys[2][:, 1:3] > base[:, 1:3]).all() and (sells[2][:, 1:3] < base[:, 1:3]).all()
    np.testing.assert_array_equal(buys[2][:, 0], base[:, 0])


# --------------------------------------------------------------------------------------------
# summary statistics


def naive_cvar(x: np.ndarray, level_pct: int = 95) -> float:
    """Mean of the ⌈n × (100 − level) / 100⌉ largest values (integer arithmetic)."""
    n = len(x)
    k = max(1, -(-n * (100 - level_pct) // 100))
    return float(np.mean(sorted(x.tolist(), reverse=True)[:k]))


@pytest.mark.parametrize("n", [1, 7, 20, 37, 100, 1000, 2500, 4000])
def test_cvar_is_the_mean_of_the_upper_tail(n: int) -> None:
    x = np.random.default_rng(n).normal(size=n)
    assert float(cvar(x, 0.95)) == pytest.approx(naive_cvar(x), rel=1e-12)


def test_cvar_takes_exactly_the_tail_share() -> None:
    # 5 % of 100 is 5 samples (95 … 99), not 6: (1 − 0.95) × 100 is 5.000000000000004 in floats.
    assert float(cvar(np.arange(100.0), 0.95)) == 97.0
    assert float(cvar(np.arange(4000.0), 0.95)) == np.arange(3800.0, 4000.0).mean()
    assert float(cvar(np.arange(10.0), 0.5)) == 7.0
    assert float(cvar(np.arange(3.0), 0.99)) == 2.0  # at least one sample


def test_cvar_along_an_axis() -> None:
    x = np.random.default_rng(0).random((3, 40))
    got = cvar(x, 0.9, axis=1)
    assert got.shape == (3,)
    for i in range(3):
        assert got[i] == pytest.approx(naive_cvar(x[i], 90), rel=1e-12)
    assert np.all(got >= np.percentile(x, 90, axis=1))


def test_summary_table(full: xr.Dataset) -> None:
    df = summary(full, threshold=0.05)
    assert list(df.columns) == list(COLUMNS)
    assert sorted(df["mineral"]) == sorted(full["mineral"].to_numpy().tolist())
    assert (df["samples"] == N).all() and (df["threshold"] == 0.05).all()
    for v in ("shortfall", "price_index"):
        assert (df[f"{v}_p5"] <= df[f"{v}_p50"]).all(), v
        assert (df[f"{v}_p50"] <= df[f"{v}_p95"]).all(), v
    assert df["p_shortfall_over"].between(0, 1).all()
    assert (df["shortfall_cvar95"] >= df["shortfall_p95"] - 1e-12).all()
    assert (df["shortfall_mean"].diff().dropna() <= 0).all()  # largest expected shortfall first
    ga = df.set_index("mineral").loc["gallium"]
    peak = full["shortfall_peak"].sel(mineral="gallium").to_numpy()
    assert ga["shortfall_mean"] == pytest.approx(peak.mean(), rel=1e-12)
    assert ga["p_shortfall_over"] == pytest.approx((peak > 0.05).mean(), rel=1e-12)
    assert ga["shortfall_cvar95"] == pytest.approx(naive_cvar(peak), rel=1e-12)
    assert ga["shortfall_mean"] > 0 and ga["price_index_p95"] > 1
    # The threshold: nothing is short by more than 100 %, everything short by more than −1.
    assert (summary(full, threshold=1.0)["p_shortfall_over"] == 0).all()
    assert (summary(full, threshold=-1.0)["p_shortfall_over"] == 1).all()


def test_by_year_table(full: xr.Dataset) -> None:
    df = by_year(full, minerals=["gallium", "cobalt"])
    assert len(df) == 5 * 2
    assert df["year"].tolist() == [y for y in range(2026, 2031) for _ in range(2)]
    for v in ("shortfall", "price_index"):
        assert (df[f"{v}_p5"] <= df[f"{v}_p50"]).all() and (df[f"{v}_p50"] <= df[f"{v}_p95"]).all()
    row = df[(df.year == 2027) & (df.mineral == "gallium")].iloc[0]
    sf = full["shortfall"].sel(year=2027, mineral="gallium").to_numpy()
    assert row["shortfall_mean"] == pytest.approx(sf.mean(), rel=1e-12)
    assert row["shortfall_p95"] == pytest.approx(np.percentile(sf, 95), rel=1e-12)


def _ytr(*years: float, threshold: float = runner.RECOVERED) -> float:
    """years_to_recover of one sample and one mineral."""
    return float(years_to_recover(np.array(years, dtype=float)[None, :, None], threshold)[0, 0])


def test_years_to_recover_by_hand() -> None:
    assert _ytr(0.0, 0.0, 0.0) == 0  # never short
    assert _ytr(0.0, 0.2, 0.3, 0.0, 0.5) == 2  # 2027 short … 2029 recovered; later shocks ignored
    assert _ytr(0.5, 0.0, 0.0) == 1
    assert _ytr(0.5, 0.5, 0.5, 0.5) == 4  # never recovers: counted to the horizon's end
    assert _ytr(0.0, 0.0, 0.0, 0.0, 0.5) == 1  # short in the last year only
    assert _ytr(0.01, 0.01) == 0  # exactly the threshold is not "short"
    assert _ytr(0.0, 0.0101, 0.0) == 1
    assert _ytr(0.0, 0.2, 0.0, threshold=0.3) == 0
    # Several samples and minerals at once: (sample, year, mineral).
    sf = np.zeros((2, 4, 2))
    sf[0, 1:3, 0] = 0.5  # sample 0, mineral 0: years 1-2
    sf[1, :, 1] = 0.2  # sample 1, mineral 1: all years
    got = years_to_recover(sf)
    assert got.tolist() == [[2.0, 0.0], [0.0, 4.0]]
    df = summary_of(sf).set_index("mineral")
    assert df.loc[["m0", "m1"], "years_to_recover_mean"].tolist() == [1.0, 2.0]
    assert math.isclose(df.loc["m1", "years_to_recover_p95"], np.percentile([0.0, 4.0], 95))
    assert df.index.tolist() == ["m0", "m1"]  # larger expected shortfall first


def summary_of(sf: np.ndarray) -> pd.DataFrame:
    """The summary of hand-made shortfall arrays (everything else zero)."""
    n, _, n_m = sf.shape
    zeros = np.zeros((n, n_m))
    res = xr.Dataset(
        {
            "shortfall_peak": (("sample", "mineral"), sf.max(axis=1)),
            "price_peak": (("sample", "mineral"), 1.0 + sf.max(axis=1)),
            "shortfall_horizon": (("sample", "mineral"), sf.mean(axis=1)),
            "unmet_total": (("sample", "mineral"), zeros),
            "release_total": (("sample", "mineral"), zeros),
            "years_to_recover": (("sample", "mineral"), years_to_recover(sf)),
        },
        coords={"sample": np.arange(n), "mineral": [f"m{j}" for j in range(n_m)]},
    )
    return summary(res)


def test_keep_reduced_gives_the_same_summary_everywhere(
    scenario: Scenario, ds: Dataset, dask_cluster: str
) -> None:
    """Blocks reduced where computed (threads, Dask worker processes of a ``dask scheduler``
    + ``dask worker`` cluster) give the summary of a full run bit for bit, and only the
    per-sample reductions are kept."""
    n = 2 * BLOCK + 300
    want = summary(simulate(scenario, ds, samples=n, keep="summary"))
    local = simulate(scenario, ds, samples=n, keep="reduced", workers=2)
    assert "shortfall" not in local and "shortfall_peak" in local
    pd.testing.assert_frame_equal(summary(local), want, check_exact=True)
    dask = simulate(scenario, ds, samples=n, keep="reduced", scheduler=dask_cluster)
    pd.testing.assert_frame_equal(summary(dask), want, check_exact=True)
    for k in local.data_vars:
        assert np.array_equal(local[k].to_numpy(), dask[k].to_numpy())


def test_prepared_inputs_read_from_the_cache_give_the_same_run(
    scenario: Scenario, ds: Dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stored compilation (decision 0027) is the compilation: same results bit for bit."""
    monkeypatch.setenv("CRITMIN_CACHE_DIR", "off")
    fresh = simulate(scenario, ds, samples=300, keep="summary")
    monkeypatch.setenv("CRITMIN_CACHE_DIR", str(tmp_path / "cache"))
    simulate(scenario, ds, samples=300, keep="summary")  # stores
    assert list((tmp_path / "cache").glob("prepare-*.pickle"))
    again = simulate(scenario, ds, samples=300, keep="summary")  # reads
    assert_same_values(fresh, again)
