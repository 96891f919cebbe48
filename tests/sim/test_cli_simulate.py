"""`critmin simulate` end to end on the embedded dataset (typer's CliRunner, in process)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import xarray as xr
from typer.testing import CliRunner

from critmin.cli.main import app
from critmin.sim.summary import COLUMNS

ROOT = Path(__file__).resolve().parents[2]
COBALT = str(ROOT / "examples" / "drc-cobalt-outage-illustrative.yaml")
CORPUS = ROOT / "tests" / "corpus" / "scenarios"
KEYS = {"mineral", "shortfall_mean", "shortfall_p95", "price_index_p50", "price_index_p95"}

runner = CliRunner()


def simulate(*args: str) -> tuple[int, str, str]:
    """Exit code, stdout and stderr (stderr unwrapped: rich folds long lines at its width)."""
    res = runner.invoke(app, ["simulate", *args])
    return res.exit_code, res.stdout, res.stderr.replace("\n", "")


@pytest.fixture(scope="module")
def as_json() -> list[dict]:
    code, out, err = simulate(COBALT, "--samples", "200", "-f", "json")
    assert code == 0, err
    return json.loads(out)


def test_json_is_a_list_of_row_objects(as_json: list[dict]) -> None:
    assert isinstance(as_json, list) and as_json
    for row in as_json:
        assert isinstance(row, dict)
        assert set(row) >= KEYS
        assert list(row) == list(COLUMNS)
        assert row["samples"] == 200
    co = next(r for r in as_json if r["mineral"] == "cobalt")
    assert co["shortfall_mean"] > 0 and co["price_index_p95"] > 1
    assert co["price_index_p50"] <= co["price_index_p95"]
    # Only the minerals the scenario touches are listed (cobalt and its hosts' markets).
    assert all(r["shortfall_mean"] > 0 or r["price_index_p95"] > 1 for r in as_json)


def test_table_and_csv(as_json: list[dict]) -> None:
    code, out, err = simulate(COBALT, "--samples", "200")
    assert code == 0, err
    assert "cobalt" in out and "200 samples" in out
    code, out, err = simulate(COBALT, "--samples", "200", "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == list(COLUMNS)
    assert [r["mineral"] for r in rows] == [r["mineral"] for r in as_json]
    co = next(r for r in rows if r["mineral"] == "cobalt")
    ref = next(r for r in as_json if r["mineral"] == "cobalt")
    assert float(co["shortfall_mean"]) == pytest.approx(ref["shortfall_mean"], rel=1e-9)


def test_by_year_csv_has_the_year_column() -> None:
    code, out, err = simulate(COBALT, "--samples", "200", "--by", "year", "-f", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0])[:2] == ["year", "mineral"]
    co = [r for r in rows if r["mineral"] == "cobalt"]
    assert [int(r["year"]) for r in co] == list(range(2026, 2033))
    assert float(next(r for r in co if r["year"] == "2027")["shortfall_mean"]) > 0


def test_out_writes_netcdf(tmp_path: Path) -> None:
    out = tmp_path / "r.nc"
    code, stdout, err = simulate(COBALT, "--samples", "200", "--out", str(out), "-f", "json")
    assert code == 0, err
    assert any(r["mineral"] == "cobalt" for r in json.loads(stdout))
    with xr.open_dataset(out, engine="h5netcdf") as r:
        assert r.sizes["sample"] == 200
        assert r.attrs["samples"] == 200 and r.attrs["seed"] == 7
        assert float(r["unmet"].sel(mineral="cobalt", year=2027).mean()) > 0
    assert [p.name for p in tmp_path.iterdir()] == ["r.nc"]


def test_a_broken_scenario_exits_1_and_writes_nothing(tmp_path: Path) -> None:
    path = CORPUS / "unknown-mineral.yaml"
    code, out, err = simulate(str(path), "--samples", "200", "--out", str(tmp_path / "r.nc"))
    assert code == 1
    assert "unknown-mineral.yaml" in err and "events.0.outage.mineral" in err
    assert "kryptonite" in err
    assert out == ""
    assert list(tmp_path.iterdir()) == []


def test_a_scenario_prepare_refuses_exits_1_and_writes_nothing(tmp_path: Path) -> None:
    path = CORPUS / "country-not-producing.yaml"
    code, out, err = simulate(str(path), "--out", str(tmp_path / "r.zarr"))
    assert code == 1
    assert "events.0.country" in err and "FRA" in err and "country-not-producing.yaml" in err
    assert out == ""
    assert list(tmp_path.iterdir()) == []


def test_workers_do_not_change_the_result() -> None:
    # 2500 samples: three blocks, so two threads really do split the work.
    runs = [simulate(COBALT, "--samples", "2500", "--workers", w, "-f", "json") for w in ("1", "2")]
    for code, _, err in runs:
        assert code == 0, err
    assert runs[0][1] == runs[1][1]
    assert json.loads(runs[0][1])[0]["samples"] == 2500


def test_a_scenario_that_moves_nothing_says_so(tmp_path: Path) -> None:
    """No empty table: a caption saying the scenario moves no mineral, and exit 0 (a valid
    scenario whose answer is the baseline is not an error)."""
    f = tmp_path / "none.yaml"
    f.write_text("name: Calm\nhorizon: {start: 2026, end: 2028}\nevents: []\n")
    code, out, err = simulate(str(f), "--samples", "20")
    assert code == 0, err
    assert "Calm: the scenario moves no mineral — it has no events" in out.replace("\n", " ")
    assert "┏" not in out
    code, out, err = simulate(str(f), "--samples", "20", "-f", "json")
    assert code == 0 and json.loads(out) == []
    assert "moves no mineral" in err


def test_an_event_the_run_would_drop_fails_with_its_line(tmp_path: Path) -> None:
    f = tmp_path / "out.yaml"
    f.write_text("name: s\nhorizon: {start: 2026, end: 2028}\nminerals: [cobalt]\nevents:\n"
                 "  - {type: outage, country: MMR, mineral: tin, stage: mine, start: 2027,\n"
                 "     capacity_loss: 0.5}\n")  # fmt: skip
    code, _, err = simulate(str(f), "--samples", "20")
    assert code == 1
    assert "row5,field'events.0.mineral'" in err.replace(" ", "")
