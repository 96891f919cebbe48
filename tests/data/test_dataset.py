"""The committed embedded dataset: contracts, invariants, provenance, and a rebuild check."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

import critmin
from critmin.data.catalogue import MINERALS
from critmin.data.dataset import TABLE_NAMES
from critmin.data.schema import TABLES, check
from critmin.metrics.concentration import shares


@pytest.fixture(scope="module")
def ds() -> critmin.Dataset:
    return critmin.load()


def test_every_table_meets_its_contract(ds: critmin.Dataset) -> None:
    for name in TABLE_NAMES:
        df = ds.table(name)
        assert len(df) > 0, name
        if name in TABLES:
            check(df.assign(**{c: "" for c in ("file", "row", "column", "cell")}), name)


def test_every_figure_has_provenance(ds: critmin.Dataset) -> None:
    prov = set(ds.provenance["prov"])
    for name in ("production", "salient", "import_reliance", "wgi", "supply_outlook"):
        df = ds.table(name)
        assert df["prov"].isin(prov).all(), name
    row = ds.provenance.set_index("prov").loc[
        ds.production.query("mineral == 'gallium' and country == 'CHN' and year == 2023 "
                            "and source == 'USGS MCS 2024' and measure == 'production'")
        .prov.iloc[0]
    ]  # fmt: skip
    assert (row.file, row.row, row.cell) == ("usgs-mcs2024-world/mcs2024-galli_world.csv", 3,
                                             "600000")  # fmt: skip


def test_coverage_of_ai_critical_minerals(ds: critmin.Dataset) -> None:
    prod = ds.production
    mine = set(prod.loc[(prod.stage == "mine") & prod.value.notna(), "mineral"])
    refine = set(prod.loc[(prod.stage == "refine") & prod.value.notna()
                          & (prod.entity_kind == "country"), "mineral"])  # fmt: skip
    catalogue = {m.id for m in MINERALS}
    assert len(catalogue) >= 30
    assert len(refine & catalogue) >= 12, sorted(refine & catalogue)
    by_stage = mine | refine
    assert catalogue <= by_stage, sorted(catalogue - by_stage)


def test_shares_sum_to_one_and_exclude_aggregates(ds: critmin.Dataset) -> None:
    for m in MINERALS:
        for stage in ("mine", "refine"):
            rows = ds.supply(m.id, stage)
            if rows.empty:
                continue
            s = shares(rows)
            assert "world" not in set(s.entity_kind)
            total = s["share"].sum()
            assert math.isclose(total, 1.0, rel_tol=1e-9) or s["share"].isna().all(), (m.id, stage)
            assert (s["share"].dropna().between(0, 1)).all()


def test_no_nan_where_a_number_is_claimed(ds: critmin.Dataset) -> None:
    for name in ("production", "salient", "import_reliance"):
        df = ds.table(name)
        claimed = df["status"].isin(["reported", "estimated"])
        assert df.loc[claimed, "value"].notna().all(), name


def test_wgi_has_six_dimensions(ds: critmin.Dataset) -> None:
    assert set(ds.wgi["indicator"]) == {"va", "pv", "ge", "rq", "rl", "cc"}
    assert ds.wgi["year"].min() == 1996 and ds.wgi["year"].max() == 2023


def test_manifest_hashes_the_raw_files(ds: critmin.Dataset) -> None:
    files = ds.manifest["raw_files"]
    assert "usgs-mcs2024-world/mcs2024-galli_world.csv" in files
    assert all(len(h) == 64 for h in files.values())


@pytest.mark.slow
def test_rebuild_from_raw_matches_the_committed_dataset(ds: critmin.Dataset, rebuilt: Path) -> None:
    fresh = critmin.load(rebuilt)
    assert fresh.manifest["raw_files"] == ds.manifest["raw_files"]
    for name in TABLE_NAMES:
        pd.testing.assert_frame_equal(fresh.table(name), ds.table(name), obj=name)
