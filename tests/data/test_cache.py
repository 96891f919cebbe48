"""The on-disk cache of per-dataset computations (decision 0027): keyed by the inputs' hash,
disabled or relocated by ``CRITMIN_CACHE_DIR``, atomic under concurrent writers."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

import pandas as pd
import pytest

from critmin.data import cache
from critmin.data.dataset import load
from critmin.data.trade import TRADE_COLUMNS, country_key, trade_rows, world_trade


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "cache"
    monkeypatch.setenv(cache.CACHE_ENV, str(d))
    return d


def test_entry_is_reused_and_keyed_by_the_inputs(folder: Path, tmp_path: Path) -> None:
    src = tmp_path / "in.txt"
    src.write_text("one")
    calls: list[int] = []

    def compute() -> pd.DataFrame:
        calls.append(1)
        return pd.DataFrame({"n": [len(calls)]})

    assert cache.cached_frame("t", [src], compute).n.tolist() == [1]
    assert cache.cached_frame("t", [src], compute).n.tolist() == [1]  # read back
    src.write_text("two")  # other content → another key → recomputed
    assert cache.cached_frame("t", [src], compute).n.tolist() == [2]
    assert cache.cached_frame("t", [src], compute, version="2").n.tolist() == [3]
    assert len(list(folder.glob("t-*.parquet"))) == 3
    assert not list(folder.glob(".t-*"))  # no temporary file left behind


def test_disabled_cache_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.CACHE_ENV, "off")
    monkeypatch.setenv("HOME", str(tmp_path))
    src = tmp_path / "in.txt"
    src.write_text("x")
    calls: list[int] = []
    for _ in range(2):
        cache.cached_frame("t", [src], lambda: pd.DataFrame({"a": [calls.append(1) or 1]}))
    assert len(calls) == 2
    assert cache.cached_file("t", [src], lambda p: None) is None
    assert not (tmp_path / ".cache").exists()


def test_default_folder_is_the_user_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(cache.CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir() == tmp_path / "xdg" / "critmin"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache.cache_dir() == tmp_path / ".cache" / "critmin"


def test_damaged_entry_is_recomputed(folder: Path, tmp_path: Path) -> None:
    src = tmp_path / "in.txt"
    src.write_text("x")
    cache.cached_frame("t", [src], lambda: pd.DataFrame({"a": [1]}))
    (entry,) = folder.glob("t-*.parquet")
    entry.write_bytes(b"not parquet")
    assert cache.cached_frame("t", [src], lambda: pd.DataFrame({"a": [7]})).a.tolist() == [7]


def _writer(args: tuple[str, str, int]) -> list[int]:
    import os

    os.environ[cache.CACHE_ENV] = args[0]
    out = cache.cached_frame("race", [Path(args[1])], lambda: pd.DataFrame({"v": range(50_000)}))
    return [len(out), int(out.v.sum())]


def test_concurrent_writers_never_leave_a_partial_entry(folder: Path, tmp_path: Path) -> None:
    src = tmp_path / "in.txt"
    src.write_text("x")
    ctx = mp.get_context("spawn")
    with ctx.Pool(4) as pool:
        results = pool.map(_writer, [(str(folder), str(src), i) for i in range(8)])
    assert all(r == [50_000, sum(range(50_000))] for r in results)
    (entry,) = folder.glob("race-*.parquet")
    assert pd.read_parquet(entry).v.tolist() == list(range(50_000))
    assert not list(folder.glob(".race-*"))


@pytest.mark.parametrize("use_cache", [True, False])
def test_trade_rows_equal_the_table_filtered_in_memory(
    use_cache: bool, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not use_cache:
        monkeypatch.setenv(cache.CACHE_ENV, "off")
    ds = load()
    full = pd.read_parquet(ds.path / "trade.parquet", columns=TRADE_COLUMNS)
    keys = country_key(full["importer"], full["importer_code"])
    for importers, years in ((["USA", "JPN", "DEU"], [2019, 2020]), (["CHN"], None)):
        want = full[keys.isin(importers) & (full.year.isin(years) if years else True)]
        got = trade_rows(ds, importers, years)
        pd.testing.assert_frame_equal(got, want.reset_index(drop=True), check_exact=True)
    w = world_trade(ds)
    by = full.assign(quantity=full.quantity.fillna(0.0)).groupby(["hs", "year"])["quantity"].sum()
    assert w.set_index(["hs", "year"])["quantity"].gt(0).equals(by.gt(0))


def _answers() -> dict[str, object]:
    import datetime as dt

    from critmin.analysis.demand import ai_demand_table
    from critmin.analysis.minerals import mineral_profile, minerals_overview
    from critmin.analysis.plans import project_pipeline
    from critmin.analysis.risk import supply_risk

    day = dt.date(2025, 6, 1)
    return {
        "composite": supply_risk("composite", as_of=day).frame,
        "geopolrisk": supply_risk("geopolrisk", importer="JPN", year=2020).frame,
        "overview": minerals_overview(),
        "profile": mineral_profile("cobalt", as_of=day),
        "demand": ai_demand_table("base", 2030, 2032).frame,
        "projects": project_pipeline(mineral="lithium"),
    }


def _answers_in_fresh_process(cache_dir: str) -> dict[str, object]:
    import os

    os.environ[cache.CACHE_ENV] = cache_dir
    return _answers()


def test_stored_answers_equal_computed_ones(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A later process reads each answer from disk: exactly what computing it gives."""
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:  # fills the cache
        first = pool.apply(_answers_in_fresh_process, (str(folder),))
    assert len(list(folder.glob("result-*.pickle"))) == len(first)
    with ctx.Pool(1) as pool:  # reads it
        second = pool.apply(_answers_in_fresh_process, (str(folder),))
    monkeypatch.setenv(cache.CACHE_ENV, "off")
    computed = _answers_in_fresh_process("off")
    for name, want in computed.items():
        assert isinstance(want, pd.DataFrame)
        pd.testing.assert_frame_equal(first[name], want, check_exact=True)  # type: ignore[arg-type]
        pd.testing.assert_frame_equal(second[name], want, check_exact=True)  # type: ignore[arg-type]
