"""Smelter registry, exposure, due diligence, scenario links and the sourcing CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from critmin.cli.main import app
from critmin.data.errors import DataError
from critmin.sourcing.exposure import (
    INSUFFICIENT,
    country_shares,
    due_diligence,
    exposure,
    touched_by,
)
from critmin.sourcing.registry import load_concern, load_conformant, load_covered, smelter_registry
from critmin.sourcing.templates import import_files
from tests.sourcing.test_templates import clean_cmrt, emrt, messy_cmrt

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "china-gallium-germanium-2023.yaml"


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    return [clean_cmrt(tmp_path), messy_cmrt(tmp_path), emrt(tmp_path)]


@pytest.fixture
def smelters(files: list[Path]) -> pd.DataFrame:
    return import_files(files)[0]


def test_registry_dedups_across_suppliers(smelters: pd.DataFrame) -> None:
    reg = smelter_registry(smelters)
    yunnan = reg[reg["smelter_id"] == "CID001070"]
    assert len(yunnan) == 1
    row = yunnan.iloc[0]
    assert (row["suppliers"], row["reports"], row["country"]) == (2, 2, "CHN")
    assert "Yunnan Tin Co., Ltd." in row["conflicts"]
    assert "Yunnan Tin Company Limited" in row["conflicts"]
    assert reg["key"].is_unique


def test_registry_dedups_by_name_without_id() -> None:
    df = pd.DataFrame({
        "supplier": ["A", "B"], "file": ["a", "b"], "row": [6, 6], "metal": ["tin", "tin"],
        "smelter_id": ["", ""], "smelter_name": ["Foo Smelting Co., Ltd.", "FOO SMELTING GmbH"],
        "country": ["IDN", "IDN"], "country_text": ["", ""],
    })  # fmt: skip
    reg = smelter_registry(df)
    assert len(reg) == 1 and reg["suppliers"].iloc[0] == 2


def test_shares_sum_to_one(smelters: pd.DataFrame) -> None:
    for metal in set(smelters["metal"]):
        assert country_shares(smelters, metal).sum() == pytest.approx(1.0)
    assert country_shares(smelters, "cobalt", weighted=True).sum() == pytest.approx(1.0)


def test_exposure(smelters: pd.DataFrame) -> None:
    ex = exposure(smelters).set_index("metal")
    tin = ex.loc["tin"]
    assert tin["smelters"] == 2  # CID001070 reported twice
    assert tin["china_share"] == pytest.approx(0.5)
    assert tin["countries"] == "CHN 50%, IDN 50%"
    # No list given: not a number (null in JSON), and the status says which list is missing.
    assert np.isnan(tin["conformant_share"]) and np.isnan(tin["concern_share"])
    assert tin["status"].startswith(INSUFFICIENT) and "--conformant" in tin["status"]
    assert ex.loc["tantalum", "covered_share"] == pytest.approx(0.5)  # the DRC one
    assert ex.loc["cobalt", "covered_share"] == 1.0  # mined in the DRC
    assert ex.loc["tantalum", "unknown_share"] == pytest.approx(0.5)
    assert ex.loc["cobalt", "countries_by_volume"] == "CHN 100%"
    assert list(exposure(smelters, metal="gold")["metal"]) == ["gold"]


def test_conformant_share(smelters: pd.DataFrame, tmp_path: Path) -> None:
    p = tmp_path / "conf.csv"
    p.write_text("smelter_id,metal,status\nCID001070,tin,conformant\n"
                 "CID001482,tin,non-conformant\nCID002082,tungsten,active\n")  # fmt: skip
    conf = load_conformant(p)
    ex = exposure(smelters, conformant=conf).set_index("metal")
    assert ex.loc["tin", "conformant_share"] == pytest.approx(0.5)
    assert ex.loc["tungsten", "conformant_share"] == 0.0
    dd = due_diligence(smelters, conformant=conf).set_index(["supplier", "metal"])
    assert dd.loc[("Acme Boards", "tin"), "non_conformant"] == 1
    assert "non-conformant" in dd.loc[("Acme Boards", "tin"), "red_flags"]


def test_due_diligence_flags(smelters: pd.DataFrame, tmp_path: Path) -> None:
    p = tmp_path / "concern.csv"
    p.write_text("smelter_id,name,country,reason\n,Small Hill Works,Vietnam,sanctions\n")
    dd = due_diligence(smelters, concern=load_concern(p)).set_index(["supplier", "metal"])
    messy = dd.loc[("Messy Parts Inc.", "tungsten")]
    assert (messy["unknown"], messy["concern"]) == (1, 1)
    assert "entity of concern" in messy["red_flags"]
    assert dd.loc[("Messy Parts Inc.", "tantalum"), "covered"] == 1
    assert dd.loc[("Acme Boards", "tin"), "red_flags"] == ""
    assert pd.isna(dd.loc[("Acme Boards", "tin"), "non_conformant"])


def test_strict_lists(tmp_path: Path) -> None:
    p = tmp_path / "bad.csv"
    p.write_text("smelter_id,metal,status\nCID1,zinc,ok\n")
    with pytest.raises(DataError) as e:
        load_conformant(p)
    assert {(x.row, x.field) for x in e.value.problems} == {(2, "metal"), (2, "status")}
    q = tmp_path / "concern.csv"
    q.write_text("name,country,reason\nX,Atlantis,\n")
    with pytest.raises(DataError) as e:
        load_concern(q)
    assert {x.field for x in e.value.problems} == {"country", "reason"}
    assert "COD" in load_covered() and len(load_covered()) == 10


def test_touched_by_example_scenario(smelters: pd.DataFrame) -> None:
    touched = touched_by(smelters, EXAMPLE)
    assert touched[touched["metal"] == "tin"].empty


def test_touched_by_inline_scenario(smelters: pd.DataFrame, tmp_path: Path) -> None:
    sc = tmp_path / "w.yaml"
    sc.write_text("name: CHN tungsten\nhorizon: {start: 2026, end: 2030}\nevents:\n"
                  "  - {type: export_restriction, country: CHN, minerals: [tungsten],"
                  " stage: refine, start: 2026, end: 2027, share: 0.5}\n")  # fmt: skip
    touched = touched_by(smelters, sc)
    assert list(touched["smelter_id"]) == ["CID002082"]
    assert touched["events"].iloc[0].startswith("export_restriction")


def test_cli(files: list[Path], tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "smelters.csv"
    names = [str(f) for f in files]
    r = runner.invoke(app, ["sourcing", "import", *names, "--out", str(out), "-f", "json"])
    assert r.exit_code == 0, r.output
    assert len(pd.read_csv(out)) == 10
    r = runner.invoke(app, ["sourcing", "exposure", *names, "--metal", "tin", "-f", "json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)[0]["smelters"] == 2
    r = runner.invoke(app, ["sourcing", "report", *names, "--scenario", str(EXAMPLE),
                            "-f", "csv"])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "Acme Boards" in r.stdout
    bad = tmp_path / "x.xlsx"
    bad.write_text("nope")
    r = runner.invoke(app, ["sourcing", "import", str(bad)])
    assert r.exit_code == 1
