"""The MCS 2026 long-file importer: golden values on real rows, editions kept, bad input refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import critmin
from critmin.data.build import build, write_dataset
from critmin.data.errors import DataError
from critmin.data.importers import validate_path
from critmin.data.prices import price_table
from critmin.data.units import factor
from critmin.data.usgs_mcs2026 import read_import_sources, read_long
from critmin.metrics.profile import profile
from tests.rawdata import raw_root

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "usgs_mcs2026"
LONG = "usgs-mcs2026/MCS2026_Commodities_Data.csv"
FIG3 = "usgs-mcs2026/MCS2026_Fig3_Major_Import_Sources.csv"


@pytest.fixture(scope="module")
def ds() -> critmin.Dataset:
    return critmin.load()


@pytest.fixture(scope="module")
def long_tables() -> dict[str, pd.DataFrame]:
    raw = raw_root()
    return read_long(raw / LONG, raw)


def _one(df: pd.DataFrame, query: str) -> pd.Series:
    hit = df.query(query)
    assert len(hit) == 1, (query, hit)
    return hit.iloc[0]


# ----------------------------------------------------------------- golden values, real rows


def test_golden_world_production(long_tables: dict[str, pd.DataFrame]) -> None:
    p = long_tables["production"]
    base = "measure == 'production' and entity_kind == 'country'"
    cod = "mineral == 'cobalt' and stage == 'mine' and country == 'COD'"
    r25 = _one(p, f"{base} and {cod} and year == 2025")
    r24 = _one(p, f"{base} and {cod} and year == 2024")
    assert (r25.value, r25.unit, r25.status) == (230_000, "t", "estimated")
    assert r24.value == 226_000
    assert (r25.file, r25.row, r25.cell) == (LONG, 1868, "230,000")
    ree = _one(p, f"{base} and mineral == 'rare_earths' and country == 'CHN' and year == 2025")
    assert (ree.value, ree.unit, ree.stage) == (270_000, "t", "mine")
    ga = _one(p, f"{base} and mineral == 'gallium' and country == 'CHN' and year == 2025")
    assert (ga.value, ga.unit, ga.stage) == (900_000, "kg", "refine")  # 900 t
    world = _one(p, "mineral == 'cobalt' and entity_kind == 'world' and year == 2025 "
                    "and measure == 'production'")  # fmt: skip
    assert world.value == 310_000 and world["product"] == "Mine production"


def test_placeholders_are_read_from_the_note(long_tables: dict[str, pd.DataFrame]) -> None:
    p = long_tables["production"]
    usa = p.query("mineral == 'titanium' and country == 'USA' and product == 'rutile' "
                  "and year == 2025")  # fmt: skip
    assert set(usa["status"]) == {"included_elsewhere"}  # "s" + "included with ilmenite"
    lith = _one(p, "mineral == 'lithium' and country == 'USA' and year == 2025 "
                   "and measure == 'production'")  # fmt: skip
    assert lith.status == "withheld" and lith.value != lith.value  # W stays W, never 0


def test_dataset_prefers_the_newest_edition_and_keeps_the_older(ds: critmin.Dataset) -> None:
    rows = ds.supply("cobalt", "mine")
    assert set(rows["source"]) == {"USGS MCS 2026"} and set(rows["year"]) == {2025}
    cod = rows.loc[rows.country == "COD", "value"].iloc[0]
    assert cod == 230_000
    old = ds.supply("cobalt", "mine", source="USGS MCS 2024")
    assert set(old["source"]) == {"USGS MCS 2024"} and set(old["year"]) == {2023}
    # 2024 appears only in MCS 2026 (MCS 2025 world files were never found).
    y24 = ds.supply("cobalt", "mine", 2024)
    assert set(y24["source"]) == {"USGS MCS 2026"}
    assert y24.loc[y24.country == "COD", "value"].iloc[0] == 226_000
    for m in ("rare_earths", "lithium", "gallium"):
        stage = "refine" if m == "gallium" else "mine"
        assert set(ds.supply(m, stage)["year"]) == {2025}, m


def test_revised_salient_figure_keeps_both_editions(ds: critmin.Dataset) -> None:
    # Gallium metal imports 2023: 9,400 kg in MCS 2024, revised to 11,400 kg in MCS 2026.
    s = ds.salient.query("mineral == 'gallium' and variable == 'Imports_Metal' and year == 2023")
    by_edition = dict(zip(s["edition"], s["value"], strict=True))
    assert by_edition[2024] == 9_400 and by_edition[2026] == 11_400
    prof = profile(ds, "gallium")
    us = prof[(prof.section == "US salient statistics") & (prof.item == "Imports_Metal")
              & (prof.year == 2023)]  # fmt: skip
    assert len(us) == 1 and us["value"].iloc[0] == 11_400
    assert us["source"].iloc[0] == "USGS MCS 2026"


def test_cobalt_salient_statistics_reach_2025(ds: critmin.Dataset) -> None:
    co = ds.salient[(ds.salient.mineral == "cobalt") & (ds.salient.source == "USGS MCS 2026")]
    assert co["year"].min() == 2021 and co["year"].max() == 2025
    nir = _one(co, "variable == 'NIR' and year == 2025")
    assert (nir.value, nir.unit, nir.status) == (79, "%", "estimated")


def test_price_series_line_up_across_editions_product_by_product(ds: critmin.Dataset) -> None:
    # MCS 2026 names titanium sponge and TiO2 pigment prices both "Price" (two products of one
    # chapter); each must continue its own 2018-2023 series, not both land on one name.
    s = ds.salient[ds.salient.category == "price"]

    def value(mineral: str, variable: str, year: int, source: str) -> float:
        hit = s[(s.mineral == mineral) & (s.variable == variable) & (s.year == year)
                & (s.source == source)]  # fmt: skip
        assert len(hit) == 1, (mineral, variable, year, source)
        return float(hit["value"].iloc[0])

    assert value("titanium", "Price_Sponge", 2025, "USGS MCS 2026") == 12.0
    assert value("titanium", "Price_Sponge", 2020, "USGS MCS 2024") == 10.6
    assert value("titanium", "Price_Dioxide", 2025, "USGS MCS 2026") == 3200.0
    assert value("arsenic", "Price_Mtl_US", 2024, "USGS MCS 2026") == 1.97
    assert not ((s.mineral == "titanium") & (s.variable == "Price")).any()
    # Gallium's MCS 2026 price is a different product (unit value of US imports, 365 USD/kg in
    # 2023 against 290 low-purity and 450 high-purity): it stays a series of its own.
    assert value("gallium", "Price", 2023, "USGS MCS 2026") == 365.0


def test_tungsten_price_per_mtu_reaches_2025(
    long_tables: dict[str, pd.DataFrame], ds: critmin.Dataset
) -> None:
    # Golden, from the raw file: "Price, concentrate, average in-warehouse Rotterdam, dollars per
    # dry metric ton unit of tungsten trioxide" (Argus), 2024 252, 2025 380 (estimated). The
    # unit was left out before (no critmin unit string): the price table stopped at 2023.
    s = long_tables["salient"]
    r25 = _one(s, "mineral == 'tungsten' and category == 'price' and year == 2025")
    assert (r25.value, r25.unit, r25.status) == (380, "USD/mtu", "estimated")
    assert r25.variable == "Price_WO3"  # the 2022-2024 name (reference/mcs2026_salient_names)
    assert (r25.file, r25.cell) == (LONG, "380")
    t = price_table(ds)
    w = t[t.mineral == "tungsten"].set_index("year")
    assert w.loc[2024, "value"] == 252 and w.loc[2024, "source"] == "USGS MCS 2026"
    # 1 mtu WO3 = 10 kg x 183.84 / 231.837 = 7.9297 kg W (USGS: "7.93 kilograms")
    assert w.loc[2025, "usd_per_t"] == pytest.approx(380 / 7.9297 * 1000, rel=1e-4)
    assert w.loc[2023, "value"] == 258  # MCS 2026 revises MCS 2024's 260
    assert factor("USD/mtu", "USD/t") == pytest.approx(100.0)


def test_import_shares_from_fig3_and_the_long_file(ds: critmin.Dataset) -> None:
    imp = ds.import_sources
    fig3 = imp[imp.prov.str.startswith(FIG3)]
    nor = _one(fig3, "mineral == 'cobalt' and country == 'NOR'")
    assert (nor.share, nor.period, nor.source) == (0.26, "2021-24", "USGS MCS 2026")
    ga = _one(fig3, "mineral == 'gallium' and country == 'CAN'")
    assert ga.share == 0.28
    long = imp[imp.prov.str.startswith(LONG)]
    co = _one(long, "mineral == 'cobalt' and country == 'NOR'")
    assert co.share == 0.26 and co["product"] == "Metal, oxide, and salts"
    sums = imp.assign(f=imp.prov.str.split("#").str[0]).groupby(
        ["f", "mineral", "commodity", "product"], dropna=False
    )
    assert (sums["share"].sum() <= 1.02).all()


def test_net_import_reliance_2025_from_fig2(ds: critmin.Dataset) -> None:
    nir = _one(ds.import_reliance, "mineral == 'gallium' and year == 2025")
    assert (nir.value, nir.import_sources, nir.sources_period) == (100, "CAN;JPN;CHN;DEU",
                                                                     "2021-24")  # fmt: skip


def test_validate_reads_the_release_folder() -> None:
    rows = validate_path(raw_root() / "usgs-mcs2026")
    assert {r[1] for r in rows} == {"ok"}, [r for r in rows if r[1] != "ok"]
    assert len(rows) == 5


# ----------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("case", "row", "fld", "text"),
    [
        ("missing-column", 1, "Unit", "a column of the MCS long file"),
        ("unknown-section", 7, "Section", "World Recycling (experimental)"),
        ("unit-change", 4, "Unit", "thousand metric tons"),
        ("duplicate", 5, "Country", "also on row 4"),
    ],
)
def test_malformed_long_file_is_refused(
    case: str, row: int, fld: str, text: str, tmp_path: Path
) -> None:
    src = CORPUS / case / "MCS2026_Commodities_Data.csv"
    with pytest.raises(DataError) as info:
        read_long(src, CORPUS)
    msg = str(info.value)
    assert f"{case}/MCS2026_Commodities_Data.csv, row {row}, field {fld!r}" in msg, msg
    assert text in msg
    # A build that meets the file writes nothing.
    raw = tmp_path / "raw"
    (raw / "usgs-mcs2026").mkdir(parents=True)
    shutil.copy(src, raw / "usgs-mcs2026")
    out = tmp_path / "embedded"
    write_dataset({"a": pd.DataFrame({"x": [1]})}, out, {"v": 1})
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(DataError, match=f"row {row}, field {fld!r}"):
        build(raw, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_good_corpus_file_imports() -> None:
    t = read_long(CORPUS / "good" / "MCS2026_Commodities_Data.csv", CORPUS)
    assert len(t["production"]) == 4 and len(t["salient"]) == 1
    assert t["salient"]["variable"].tolist() == ["NIR"]


def test_fig3_share_above_100_percent_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "MCS2026_Fig3_Major_Import_Sources.csv"
    p.write_text("Source,Commodity,Import_Source_2021_24,Percent,NIR,Critical_Mineral\n"
                 "MCS2026,Gallium,Canada,80,100,Y\nMCS2026,Gallium,Japan,40,100,Y\n")  # fmt: skip
    with pytest.raises(DataError, match=r"row 2, field 'Percent'.*summing to at most 100"):
        read_import_sources(p, tmp_path)


def test_corpus_covers_every_case() -> None:
    assert {p.name for p in CORPUS.iterdir()} == {
        "good", "missing-column", "unknown-section", "unit-change", "duplicate",
    }  # fmt: skip
