"""Tests of the USGS MCS salient-statistics importer (critmin.data.usgs_salient)."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pandas as pd
import pytest

from critmin.data.errors import DataError
from critmin.data.units import UNITS
from critmin.data.usgs_salient import (
    UnusableFileError,
    import_salient,
    parse_header,
    read_salient,
    salient_cell,
)
from tests.rawdata import raw_root

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "usgs_salient"


@pytest.fixture(scope="module")
def raw() -> Path:
    return raw_root()


def one(df: pd.DataFrame, year: int, variable: str) -> pd.Series:
    rows = df[(df["year"] == year) & (df["variable"] == variable)]
    assert len(rows) == 1, rows
    return rows.iloc[0]


# --------------------------------------------------------------------------- golden values


def test_lithium_2024_withheld_and_bound(raw: Path) -> None:
    df = read_salient(raw / "usgs-mcs2024-salient" / "mcs2024-lithi_salient.csv", raw)
    assert set(df["mineral"]) == {"lithium"}
    prod = one(df, 2023, "USprod")
    assert prod["status"] == "withheld"
    assert math.isnan(prod["value"])  # W is never 0
    assert (prod["unit"], prod["category"], prod["cell"]) == ("t", "production", "W")
    nir = one(df, 2023, "NIR")
    assert (nir["status"], nir["low"], nir["unit"]) == ("bound", 25.0, "%")
    assert nir["category"] == "net_import_reliance"
    assert nir["file"] == "usgs-mcs2024-salient/mcs2024-lithi_salient.csv"
    assert (nir["row"], nir["column"], nir["cell"]) == (6, "NIR_pct", ">25")
    assert (nir["source"], nir["edition"]) == ("USGS MCS 2024", 2024)
    assert one(df, 2023, "Price")["value"] == 46000.0
    assert one(df, 2023, "Price")["unit"] == "USD/t"
    assert sorted(df["year"].unique()) == [2019, 2020, 2021, 2022, 2023]


def test_gallium_2024_nir_and_lost_k(raw: Path) -> None:
    df = read_salient(raw / "usgs-mcs2024-salient" / "mcs2024-galli_salient.csv", raw)
    nir = one(df, 2023, "NIR")
    assert (nir["value"], nir["status"], nir["unit"]) == (100.0, "reported", "%")
    # USprod_Primarykg: unit glued to the name.
    assert one(df, 2023, "USprod_Primary")["unit"] == "kg"
    # Consump_g holds kilograms (14,900 in 2019, as the 2023 file's Consump_kg).
    consump = one(df, 2019, "Consump")
    assert (consump["value"], consump["unit"]) == (14900.0, "kg")
    assert one(df, 2023, "Price_High-purity")["unit"] == "USD/kg"


def test_copper_2022_post_consumer_estimate(raw: Path) -> None:
    df = read_salient(raw / "usgs-mcs2024-salient" / "mcs2024-coppe_salient.csv", raw)
    post = one(df, 2022, "USprod_Post-consumer")
    assert (post["value"], post["status"], post["unit"], post["cell"]) == (
        150.0,
        "estimated",
        "kt",
        "e150",
    )
    assert one(df, 2023, "USprod_Post-consumer")["status"] == "reported"
    assert one(df, 2023, "Price_US")["unit"] == "USc/lb"


def test_duplicated_headers_are_kept(raw: Path) -> None:
    iodine = read_salient(raw / "usgs-mcs2024-salient" / "mcs2024-iodin_salient.csv", raw)
    assert one(iodine, 2023, "Consump")["status"] == "withheld"
    assert one(iodine, 2023, "Consump (2)")["value"] == 3000.0
    mica = read_salient(raw / "usgs-mcs2024-salient" / "mcs2024-mica_salient.csv", raw)
    assert one(mica, 2023, "USprod_Flake")["value"] == 38000.0
    assert one(mica, 2023, "USprod_Flake (2)")["value"] == 65000.0
    nickel = read_salient(raw / "usgs-mcs2024-salient" / "mcs2024-nicke_salient.csv", raw)
    assert (one(nickel, 2019, "Price")["value"], one(nickel, 2019, "Price")["unit"]) == (
        13903.0,
        "USD/t",
    )
    assert one(nickel, 2019, "Price (2)")["unit"] == "USD/lb"
    less = one(nickel, 2022, "Imports_Ores")
    assert (less["status"], less["low"], less["high"]) == ("bound", 0.0, 0.5)


def test_glued_units_and_case_statement_error(raw: Path) -> None:
    tungsten = read_salient(raw / "usgs-mcs2024-salient" / "mcs2024-tungs_salient.csv", raw)
    mine = one(tungsten, 2023, "USprod_Mine")
    assert (mine["value"], mine["unit"], mine["column"]) == (0.0, "t", "USprod_Minet")
    assert one(tungsten, 2023, "Price_WO3")["unit"] == "USD/t"
    assert one(tungsten, 2023, "NIR")["low"] == 50.0
    chromium = read_salient(raw / "usgs-mcs2024-salient" / "mcs2024-chrom_salient.csv", raw)
    ore = one(chromium, 2023, "CASE STATEMENT ERROROre")
    assert (ore["value"], ore["unit"], ore["category"]) == (290.0, "USD/t", "other")
    pigments = read_salient(raw / "usgs-mcs2024-salient" / "mcs2024-fepig_salient.csv", raw)
    assert one(pigments, 2023, "CASE STATEMENT ERROR (2)")["value"] == 34000.0


def test_odd_file_names(raw: Path) -> None:
    folder = raw / "usgs-mcs2024-salient"
    assert set(read_salient(folder / "MCS2024-bismu_salient.csv", raw)["mineral"]) == {"bismuth"}
    assert set(read_salient(folder / "mcs2024-alum_salient.csv", raw)["mineral"]) == {"aluminium"}
    f2023 = raw / "usgs-mcs2023-salient"
    assert set(read_salient(f2023 / "mcs2023tellu_salient.csv", raw)["mineral"]) == {"tellurium"}
    zr = read_salient(f2023 / "mcs2023-zirco-hafni_salient.csv", raw)
    assert set(zr["mineral"]) == {"zirconium"}
    li22 = read_salient(raw / "usgs-mcs2022-selected" / "lithium_mcs2022-lithi_salient.csv", raw)
    assert (set(li22["mineral"]), set(li22["edition"])) == ({"lithium"}, {2022})


def test_legitimate_negatives_are_kept(raw: Path) -> None:
    niobium = read_salient(raw / "usgs-mcs2023-salient" / "mcs2023-niobi_salient.csv", raw)
    gov = one(niobium, 2018, "Shipments_Gov")
    assert (gov["value"], gov["cell"]) == (-76.0, "−76")
    asbestos = read_salient(raw / "usgs-mcs2024-salient" / "mcs2024-asbes_salient.csv", raw)
    assert one(asbestos, 2023, "Imports")["value"] == -4.0


def test_import_2024_skips_unusable_files(raw: Path) -> None:
    df = import_salient(raw, 2024)
    skipped = {Path(s["file"]).name for s in df.attrs["skipped"]}
    assert skipped == {
        "mcs2024-cobal_salient.csv",
        "mcs2024-gypsu_salient.csv",
        "mcs2024-kyani_salient.csv",
        "mcs2024-felds_salient.csv",
        "mcs2024-fluor_salient.csv",
    }
    reasons = " ".join(s["reason"] for s in df.attrs["skipped"])
    assert "world-production file" in reasons and "shifted" in reasons
    assert "cobalt" not in set(df["mineral"])
    assert {"lithium", "gallium", "germanium", "rare_earths"} <= set(df["mineral"])
    assert any("Price_Index" in n for n in df.attrs["notes"])


def test_read_salient_on_world_format_file_raises(raw: Path) -> None:
    with pytest.raises(UnusableFileError, match="world-production file"):
        read_salient(raw / "usgs-mcs2024-salient" / "mcs2024-cobal_salient.csv", raw)


@pytest.mark.parametrize("edition", [2022, 2023, 2024])
def test_property_every_real_file(raw: Path, edition: int) -> None:
    df = import_salient(raw, edition)
    assert len(df) > 0
    assert not ((df["status"] == "reported") & df["value"].isna()).any()
    assert set(df["unit"]) <= set(UNITS)
    assert not df.duplicated(["file", "year", "variable"]).any()
    for row in df.itertuples():
        again = salient_cell(row.cell, row.unit)
        assert again.status == row.status, row
        for got, want in ((again.value, row.value), (again.low, row.low), (again.high, row.high)):
            assert (math.isnan(got) and math.isnan(want)) or got == want, row
    # Every cell text is the file's text on that line and column.
    for file, rows in df.groupby("file"):
        lines = (raw / file).read_text(encoding="utf-8-sig").splitlines()
        for row in rows.itertuples():
            assert row.cell in lines[row.row - 1], (file, row.row, row.cell)
    if edition != 2024:
        assert df.attrs["skipped"] == []


# --------------------------------------------------------------------------- units and cells


def test_parse_header_rules() -> None:
    assert parse_header("Price_High-puritydkg", "galli").unit == "USD/kg"
    assert parse_header("NIR_Refinedpct", "tin").variable == "NIR_Refined"
    assert parse_header("Employment_num", "lithi").category == "employment"
    assert parse_header("USprod_Minet", "tungs", glued_file=True).unit == "t"
    with pytest.raises(ValueError, match="unit token"):
        parse_header("USprod_Minet", "tungs", glued_file=False)
    with pytest.raises(ValueError, match="consistent with a price column"):
        parse_header("Price_kt", "lithi")
    with pytest.raises(ValueError, match="unit token"):
        parse_header("Imports_Total", "lithi")


def test_salient_cell_wordings() -> None:
    c = salient_cell("Less than 500\u00a0carats.", "million carats")
    assert (c.status, c.high) == ("bound", pytest.approx(0.0005))
    assert salient_cell("Less than a half unit", "kg").high == 0.5
    assert salient_cell("Less than one-half unit", "t").high == 0.5
    assert salient_cell("500–14,000", "USD/t").high == 14000.0
    assert salient_cell("Variable, depending on type of product", "million USD").status == (
        "missing"
    )
    with pytest.raises(ValueError):
        salient_cell("abc", "t")


def test_import_salient_records_skipped_world_file(tmp_path: Path) -> None:
    folder = tmp_path / "usgs-mcs2024-salient"
    folder.mkdir()
    shutil.copy(CORPUS / "world_format_mcs2024-cobal_salient.csv", folder)
    (folder / "mcs2024-lithi_salient.csv").write_text(
        "DataSource,Commodity,Year,USprod_t,NIR_pct\nMCS2024,Lithium,2023,W,>25\n"
    )
    df = import_salient(tmp_path, 2024)
    assert len(df) == 2
    assert [s["file"] for s in df.attrs["skipped"]] == [
        "usgs-mcs2024-salient/world_format_mcs2024-cobal_salient.csv"
    ]


# --------------------------------------------------------------------------- broken corpus


def _error(name: str) -> DataError:
    with pytest.raises(DataError) as info:
        read_salient(CORPUS / name, CORPUS)
    return info.value


@pytest.mark.parametrize(
    ("name", "row", "field", "words"),
    [
        ("text_number_mcs2024-lithi_salient.csv", 3, "Imports_t", "a number"),
        ("bad_year_mcs2024-lithi_salient.csv", 2, "Year", "an integer year"),
        ("empty_mcs2024-lithi_salient.csv", 1, None, "the file is empty"),
        ("no_year_mcs2024-lithi_salient.csv", 1, "Year", "a 'Year' column"),
        ("no_commodity_mcs2024-lithi_salient.csv", 1, "Commodity", "a 'Commodity' column"),
        ("no_unit_mcs2024-lithi_salient.csv", 1, "Imports_Total", "a unit token"),
        ("negative_mcs2024-lithi_salient.csv", 3, "USprod_t", "non-negative production"),
        ("nir_over_100_mcs2024-lithi_salient.csv", 3, "NIR_pct", "at most 100 %"),
        ("duplicate_year_mcs2024-lithi_salient.csv", 4, "Year", "one row per year"),
        ("latin1_mcs2024-lithi_salient.csv", 3, "Commodity", "UTF-8 text"),
        ("world_format_mcs2024-cobal_salient.csv", 1, "Source", "world-production file"),
        ("shifted_mcs2024-felds_salient.csv", 2, "column 7 (no header)", "shifted"),
    ],
)
def test_broken_file(name: str, row: int, field: str | None, words: str) -> None:
    err = _error(name)
    assert len(err.problems) == 1
    problem = err.problems[0]
    message = str(err)
    assert problem.file == name and message.startswith(name)
    assert problem.row == row and f"row {row}" in message
    assert problem.field == field
    if field is not None:
        assert f"field {field!r}" in message
    assert words in message


def test_latin1_error_names_byte_offset() -> None:
    message = str(_error("latin1_mcs2024-lithi_salient.csv"))
    assert "byte 0xe9 at byte offset" in message


def test_all_problems_of_a_file_are_reported_at_once() -> None:
    err = _error("two_problems_mcs2024-lithi_salient.csv")
    where = [(p.row, p.field) for p in err.problems]
    assert where == [(2, "Imports_t"), (3, "NIR_pct")]
