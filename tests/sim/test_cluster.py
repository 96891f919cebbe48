"""The simulator on a real multi-process Dask cluster (``dask scheduler`` + ``dask worker``
subprocesses, :func:`tests.sim.conftest.dask_cluster`): the summary reduced on the workers is
the local run's bit for bit, and with ``--out`` the workers write their blocks into the Zarr
store themselves (decision 0030)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml
from typer.testing import CliRunner

import critmin
from critmin.cli.main import app
from critmin.data.dataset import Dataset
from critmin.sim import runner
from critmin.sim.reduce import MEAN_VARS
from critmin.sim.runner import simulate
from critmin.sim.scenario import Scenario
from critmin.sim.summary import ai_output_at_risk, summary
from tests.sim.test_runner import FIELDS

N = 2300  # three blocks, the last one partial; TASK_BLOCKS is lowered so there are 3 tasks


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return critmin.load()


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return Scenario.model_validate({**FIELDS, "samples": N})


@pytest.fixture(scope="module")
def local(scenario: Scenario, ds: Dataset) -> xr.Dataset:
    """The in-process, single-threaded run the cluster's results are held against."""
    return simulate(scenario, ds, workers=1)


def test_stats_reduced_on_the_workers_are_the_local_summary_and_workers_write_zarr(
    dask_cluster: str, scenario: Scenario, ds: Dataset, local: xr.Dataset, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    # Shards of one block each: the exact merge of several shards is what is tested.
    monkeypatch.setattr(runner, "TASK_BLOCKS", 1)

    def not_here(*_: object) -> None:
        raise AssertionError("the client wrote a block: the workers should have")

    monkeypatch.setattr(runner, "_write_block", not_here)  # this process only, not the workers
    out = tmp_path / "w.zarr"
    res = simulate(scenario, ds, scheduler=dask_cluster, keep="stats", out=out)
    assert res.attrs["keep"] == "stats" and "shortfall_peak" not in res
    pd.testing.assert_frame_equal(summary(res), summary(local), check_exact=True)
    assert ai_output_at_risk(res) == ai_output_at_risk(local)
    written = xr.open_zarr(out, consolidated=False).load()
    for k in [*MEAN_VARS, "ai_output_min"]:
        assert np.array_equal(written[k].to_numpy(), local[k].to_numpy()), k
    assert written.attrs["seed"] == local.attrs["seed"]
    assert [p.name for p in tmp_path.iterdir()] == ["w.zarr"]  # no temporary store left


def test_full_results_written_by_the_workers(
    dask_cluster: str, scenario: Scenario, ds: Dataset, local: xr.Dataset, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(runner, "_write_block", lambda *_: pytest.fail("client wrote a block"))
    res = simulate(scenario, ds, scheduler=dask_cluster, out=tmp_path / "all.zarr")
    got = res.load()
    assert set(got.data_vars) == set(local.data_vars)
    for k in local.data_vars:
        assert np.array_equal(got[k].to_numpy(), local[k].to_numpy()), k


def test_cli_on_the_cluster_prints_the_local_numbers(
    dask_cluster: str, scenario: Scenario, tmp_path: Path
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(json.loads(scenario.model_dump_json())))
    cli = CliRunner()
    args = ["simulate", str(path), "--all", "-f", "json"]
    here = cli.invoke(app, args)
    there = cli.invoke(app, [*args, "--scheduler", dask_cluster, "--keep", "stats",
                             "--threshold", "0.05"])  # fmt: skip
    assert here.exit_code == 0 and there.exit_code == 0, there.output
    assert json.loads(there.stdout) == json.loads(here.stdout)  # every float, exactly
