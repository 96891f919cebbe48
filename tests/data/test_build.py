"""The build never leaves a half-written or corrupted dataset behind."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from critmin.data.build import build, split_provenance, write_dataset
from critmin.data.errors import DataError

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "usgs_world"


def _dataset(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.iterdir())}


def test_failed_write_leaves_the_old_dataset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "embedded"
    write_dataset({"a": pd.DataFrame({"x": [1]})}, out, {"v": 1})
    before = _dataset(out)
    calls = {"n": 0}
    real = pd.DataFrame.to_parquet

    def flaky(self: pd.DataFrame, *args: object, **kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pd.DataFrame, "to_parquet", flaky)
    tables = {"a": pd.DataFrame({"x": [2]}), "b": pd.DataFrame({"y": [3]})}
    with pytest.raises(OSError, match="disk full"):
        write_dataset(tables, out, {"v": 2})
    assert _dataset(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["embedded"]  # no temporary left


def test_successful_write_replaces_everything(tmp_path: Path) -> None:
    out = tmp_path / "embedded"
    write_dataset({"a": pd.DataFrame({"x": [1]}), "old": pd.DataFrame({"z": [0]})}, out, {})
    write_dataset({"a": pd.DataFrame({"x": [2]})}, out, {"v": 2})
    assert sorted(p.name for p in out.iterdir()) == ["a.parquet", "manifest.json"]
    assert pd.read_parquet(out / "a.parquet")["x"].tolist() == [2]


def test_broken_raw_file_fails_the_build_and_writes_nothing(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    world = raw / "usgs-mcs2024-world"
    world.mkdir(parents=True)
    shutil.copy(CORPUS / "unknown-country" / "mcs2024-tin_world.csv", world)
    out = tmp_path / "embedded"
    write_dataset({"a": pd.DataFrame({"x": [1]})}, out, {"v": 1})
    before = _dataset(out)
    with pytest.raises(DataError) as info:
        build(raw, out)
    msg = str(info.value)
    assert "usgs-mcs2024-world/mcs2024-tin_world.csv, row 3, field 'Country'" in msg
    assert "Atlantis" in msg
    assert _dataset(out) == before


def test_provenance_keys_are_unique_and_point_at_cells() -> None:
    df = pd.DataFrame(
        {"source": ["S", "S"], "edition": [1, 1], "v": [1.0, 2.0], "file": ["f.csv", "f.csv"],
         "row": [2, 3], "column": ["c", "c"], "cell": ["1", "2"]}
    )  # fmt: skip
    tables = {"t": df}
    prov = split_provenance(tables)
    assert tables["t"]["prov"].tolist() == ["f.csv#2#c", "f.csv#3#c"]
    assert "cell" not in tables["t"].columns
    assert prov.set_index("prov").loc["f.csv#3#c", "cell"] == "2"
