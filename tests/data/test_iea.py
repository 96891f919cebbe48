"""Tests of the IEA Critical Minerals Data Explorer importer.

Golden values from the real May 2024 workbook, consistency properties (country rows +
Rest of world = Total, the sheet's top-3 shares, sheet 1 = sheet 3.1 = the 4.x base cases)
and a corpus of broken workbooks built here with openpyxl.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from critmin.data.errors import DataError
from critmin.data.iea import (
    DEMAND_SHEETS,
    SUPPLY_SHEET,
    TECH_SHEETS,
    find_iea_workbook,
    import_iea,
    read_iea_demand,
    read_iea_supply,
    read_iea_top3,
)
from critmin.data.schema import PROVENANCE_COLUMNS
from tests.rawdata import raw_root

FILE = "iea-critical-minerals-2024/CM_Data_Explorer May 2024 (2).xlsx"


@lru_cache(maxsize=1)
def _real() -> dict[str, pd.DataFrame]:
    return import_iea(raw_root())


@pytest.fixture
def iea() -> dict[str, pd.DataFrame]:
    raw_root()
    return _real()


@pytest.fixture
def supply(iea: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Production (2023) and outlook (2030-2040) rows together."""
    return pd.concat([iea["production"], iea["supply_outlook"]], ignore_index=True)


def _one(df: pd.DataFrame, **eq: object) -> pd.Series:
    mask = pd.Series(True, index=df.index)
    for k, v in eq.items():
        mask &= df[k] == v
    hit = df[mask]
    assert len(hit) == 1, f"{eq}: {len(hit)} rows"
    return hit.iloc[0]


# ----------------------------------------------------------------- real workbook: supply


def test_tables_and_counts(iea: dict[str, pd.DataFrame]) -> None:
    assert set(iea) == {"production", "supply_outlook", "demand_outlook"}
    # 12 blocks (6 minerals x mining/refining), 85 entity rows, 4 years (2023 + 3 outlook).
    assert len(iea["production"]) == 85
    assert len(iea["supply_outlook"]) == 255
    assert len(iea["demand_outlook"]) == 5418
    for df in iea.values():
        assert set(PROVENANCE_COLUMNS) <= set(df.columns)
        assert (df["unit"] == "t").all()
        assert (df["file"] == FILE).all()
    prod = iea["production"]
    assert set(prod["year"]) == {2023}
    assert set(iea["supply_outlook"]["year"]) == {2030, 2035, 2040}
    assert set(iea["supply_outlook"]["scenario"]) == {"Base case"}
    assert set(iea["supply_outlook"]["status"]) == {"modelled"}
    assert prod.groupby(["mineral", "stage"]).ngroups == 12
    assert set(prod["mineral"]) == {
        "copper",
        "cobalt",
        "lithium",
        "nickel",
        "graphite",
        "rare_earths",
    }
    assert not prod["entity"].str.contains("Top 3").any()


def test_golden_china_refining_shares(iea: dict[str, pd.DataFrame]) -> None:
    prod = iea["production"]
    expected = {"cobalt": 171.7 / 223.8, "lithium": 113.9 / 176.3, "graphite": 1851.9 / 2037.2}
    for mid, share in expected.items():
        china = _one(prod, mineral=mid, stage="refine", country="CHN")
        world = _one(prod, mineral=mid, stage="refine", entity_kind="world")
        assert china["value"] / world["value"] == pytest.approx(share, rel=1e-9)
    assert _one(prod, mineral="graphite", stage="refine", country="CHN")["value"] == 1_851_900


def test_golden_drc_cobalt_mining(iea: dict[str, pd.DataFrame]) -> None:
    r = _one(iea["production"], mineral="cobalt", stage="mine", country="COD")
    assert r["value"] == pytest.approx(157_000)
    assert r["entity"] == "Democratic Republic of Congo"
    assert (r["row"], r["column"], r["cell"]) == (18, f"{SUPPLY_SHEET}!B", "157")
    assert r["status"] == "reported" and r["basis"] == "Co content"
    assert r["product"] == "Cobalt - Mining"
    o = _one(iea["supply_outlook"], mineral="cobalt", stage="mine", country="COD", year=2030)
    assert o["value"] == pytest.approx(215_000) and o["column"] == f"{SUPPLY_SHEET}!C"


def test_source_wording_kept(iea: dict[str, pd.DataFrame]) -> None:
    prod = iea["production"]
    products = prod.groupby(["mineral", "stage"])["product"].first().to_dict()
    assert products[("lithium", "refine")] == "Lithium - Chemicals"
    assert products[("graphite", "mine")] == "Graphite - Mining (natural)"
    assert products[("graphite", "refine")] == "Graphite - Battery grade"
    assert products[("rare_earths", "refine")] == "Magnet rare earth elements - Refining"
    # The cobalt refining total is labelled 'Total clean technologies' in the sheet.
    tot = _one(prod, mineral="cobalt", stage="refine", entity_kind="world")
    assert tot["entity"] == "Total" and "Total clean technologies" in tot["note"]
    assert tot["value"] == pytest.approx(223_800)


def test_countries_plus_rest_equal_total(supply: pd.DataFrame) -> None:
    for (mid, stage, year), g in supply.groupby(["mineral", "stage", "year"]):
        parts = g.loc[g["entity_kind"] != "world", "value"].sum()
        total = g.loc[g["entity_kind"] == "world", "value"]
        assert len(total) == 1
        assert parts == pytest.approx(total.iloc[0], abs=500), (mid, stage, year)


def test_double_counted_rest_of_world_is_corrected(supply: pd.DataFrame) -> None:
    # In four blocks the published 'Rest of world' also holds the sixth listed country.
    rest = supply[supply["entity_kind"] == "other"]
    fixed = rest[rest["note"].fillna("").str.contains("also contains")]
    inside = fixed.groupby(["mineral", "stage"])["note"].first().str.extract(r"contains (\w+)")
    assert inside[0].to_dict() == {
        ("graphite", "mine"): "Tanzania",
        ("graphite", "refine"): "Germany",
        ("nickel", "mine"): "Australia",
        ("nickel", "refine"): "Canada",
    }
    r = _one(supply, mineral="nickel", stage="mine", entity_kind="other", year=2023)
    assert r["cell"] == "675.3000000000002"  # as published
    assert r["value"] == pytest.approx((675.3 - 111.4) * 1000)
    assert r["status"] == "modelled"
    # Tanzania had no output in 2023: the published figure stands.
    g = _one(supply, mineral="graphite", stage="mine", entity_kind="other", year=2023)
    assert g["value"] == pytest.approx(38_000) and g["status"] == "reported"


def test_top3_share_matches_country_rows(supply: pd.DataFrame) -> None:
    tops = read_iea_top3(raw_root() / FILE, raw_root())
    assert len(tops) == 48  # 12 blocks x 4 years
    for t in tops.itertuples():
        g = supply[(supply["mineral"] == t.mineral) & (supply["stage"] == t.stage)]
        g = g[g["year"] == t.year]
        countries = g[g["entity_kind"] == "country"]
        total = g.loc[g["entity_kind"] == "world", "value"].iloc[0]
        share = countries["value"].nlargest(3).sum() / total
        if (t.mineral, t.stage, t.year) == ("graphite", "refine", 2023):
            # The sheet left Germany (28.2 kt, listed sixth and also inside Rest of world)
            # out of its ranking: China + Japan + United States.
            assert share == pytest.approx(0.9835, abs=1e-4)
            share = countries.loc[countries["entity"] != "Germany", "value"].nlargest(3).sum()
            share /= total
        assert t.share == pytest.approx(share, abs=5e-4), (t.mineral, t.stage, t.year)
        assert t.computed == pytest.approx(t.share, abs=5e-4)


# ----------------------------------------------------------------- real workbook: demand


def test_demand_golden(iea: dict[str, pd.DataFrame]) -> None:
    d = iea["demand_outlook"]
    sheet1 = d[d["sheet"] == "1 Total demand for key minerals"]
    r = _one(sheet1, mineral="copper", scenario="STEPS", sector="total", year=2030)
    assert r["value"] == pytest.approx(30_883_100)
    assert (r["row"], r["column"]) == (17, "1 Total demand for key minerals!D")
    # The 2023 column is shared: repeated under each scenario, one cell.
    base = sheet1[(sheet1["mineral"] == "copper") & (sheet1["sector"] == "total")]
    base = base[base["year"] == 2023]
    assert sorted(base["scenario"]) == ["APS", "NZE", "STEPS"]
    assert set(base["value"]) == {25_915_000} and set(base["status"]) == {"reported"}
    li = _one(sheet1, mineral="lithium", scenario="NZE", sector="Electric vehicles", year=2050)
    assert li["value"] == pytest.approx(1_446_840) and "Li content" in li["note"]


def test_demand_totals_add_up(iea: dict[str, pd.DataFrame]) -> None:
    d = iea["demand_outlook"]
    s1 = d[d["sheet"] == "1 Total demand for key minerals"]
    piv = s1.pivot_table(
        index=["mineral", "scenario", "year"], columns="sector", values="value", aggfunc="sum"
    )
    lhs = piv["Total clean technologies"] + piv["Other uses"]
    assert (lhs - piv["total"]).abs().max() < 1.0  # t
    techs = [c for c in piv.columns if c not in ("Total clean technologies", "Other uses", "total")]
    clean = piv[techs].sum(axis=1)
    assert ((clean - piv["Total clean technologies"]).abs() / piv["total"]).max() < 1e-4


def test_demand_sheets_agree(iea: dict[str, pd.DataFrame]) -> None:
    d = iea["demand_outlook"]
    key = ["mineral", "scenario", "sector", "year"]
    s31 = d[(d["sheet"] == "3.1 Cleantech demand by tech") & (d["mineral"] == "copper")]
    s1 = d[(d["sheet"] == "1 Total demand for key minerals") & (d["mineral"] == "copper")]
    m = s31.merge(s1, on=key, suffixes=("_31", "_1"))
    assert len(m) == len(s31) > 0
    assert (m["value_31"] - m["value_1"]).abs().max() < 1e-6
    for sheet, tech in TECH_SHEETS.items():
        base = d[
            (d["sheet"] == sheet) & (d["case"] == "Base case") & (d["mineral"] != "all_minerals")
        ]
        rows = base.merge(d[d["sheet"] == "3.1 Cleantech demand by tech"], on=[*key, "product"])
        assert (rows["value_x"] - rows["value_y"]).abs().max() < 1e-6, tech


def test_demand_unique_key_and_labels(iea: dict[str, pd.DataFrame]) -> None:
    d = iea["demand_outlook"]
    assert not d.duplicated(
        ["sheet", "case", "mineral", "product", "scenario", "sector", "year"]
    ).any()
    assert set(d["scenario"]) == {"STEPS", "APS", "NZE"}
    assert set(d["sheet"]) == set(DEMAND_SHEETS)
    ids = set(d["mineral"])
    assert {"copper", "rare_earths", "graphite", "neodymium", "pgms", "all_minerals"} <= ids
    assert not d["sector"].str.startswith("Share").any()
    ev = d[(d["sheet"] == "4.3 EV") & (d["year"] == 2023)]
    assert set(ev.loc[ev["case"] == "Lower battery sizes", "scenario"]) == {"STEPS", "APS"}
    assert set(ev.loc[ev["case"] == "Limited battery size reduction", "scenario"]) == {"NZE"}


def test_find_workbook(iea: dict[str, pd.DataFrame]) -> None:
    assert find_iea_workbook(raw_root()).name == "CM_Data_Explorer May 2024 (2).xlsx"


# ----------------------------------------------------------------- synthetic workbooks

SUPPLY_ROWS: list[list[object]] = [
    [],
    ["Total supply for key energy transition minerals, base case (kt)"],
    [],
    [None, 2023, 2030, None, None, None, None, 2023, 2030],
    [],
    ["Cobalt - Mining", None, None, None, None, None, "Cobalt - Refining"],
    ["Democratic Republic of Congo", 157, 215, None, None, None, "China", 171.7, 230.8],
    ["Indonesia", 19.6, 49.7, None, None, None, "Finland", 18.8, 19.9],
    ["Russia", 7.7, 8.2, None, None, None, "Japan", 5.6, 12.6],
    ["Australia", 7.6, 6.4, None, None, None, "Canada", 6.9, 8.2],
    ["Rest of world", 47.9, 47, None, None, None, "Rest of world", 20.8, 41.4],
    ["Total", 239.8, 326.3, None, None, None, "Total", 223.8, 312.9],
    [
        "Top 3 share",
        (157 + 19.6 + 7.7) / 239.8,
        (215 + 49.7 + 8.2) / 326.3,
        None,
        None,
        None,
        "Top 3 share",
        (171.7 + 18.8 + 6.9) / 223.8,
        (230.8 + 19.9 + 12.6) / 312.9,
    ],
    [],
    ["Notes: Supply projections are built from the project pipeline."],
]


def _supply_book(
    path: Path, rows: list[list[object]] | None = None, sheet: str = SUPPLY_SHEET
) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet
    for r in rows if rows is not None else SUPPLY_ROWS:
        ws.append(r)
    wb.save(path)
    return path


def _demand_sheet_rows(sheet: str, scenario_row: list[object] | None = None) -> list[list[object]]:
    rows: list[list[object]] = [
        [],
        ["Mineral demand (kt)"],
        [],
        scenario_row
        or [
            None,
            None,
            None,
            "Stated Policies scenario",
            None,
            "Announced Pledges scenario",
            None,
            "Net Zero Emissions by 2050 scenario",
        ],
        [None, 2023, None, 2030, None, 2030, None, 2030],
        [],
    ]
    if sheet == "3.2 Cleantech demand by mineral":
        rows += [["Copper", 6371.7, None, 10542.2, None, 12230.5, None, 15046.3]]
        return rows
    head = "Base case" if sheet in TECH_SHEETS else "Copper"
    label = "Copper" if sheet in TECH_SHEETS else "Electric vehicles"
    rows += [
        [head],
        [label, 395.95, None, 1644.59, None, 1870.16, None, 2611.54],
        [
            "Total demand" if sheet.startswith("1 ") else "Total copper",
            500,
            None,
            1700,
            None,
            1900,
            None,
            2700,
        ],
    ]
    if sheet.startswith("1 "):
        rows.append(
            [
                "Share of clean technologies in total demand ",
                0.79,
                None,
                0.96,
                None,
                0.98,
                None,
                0.97,
            ]
        )
    rows += [[], ["Notes: Lithium demand is in lithium (Li) content."]]
    return rows


def _demand_book(
    path: Path, skip: str | None = None, edit: dict[str, list[list[object]]] | None = None
) -> Path:
    wb = openpyxl.Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    for sheet in DEMAND_SHEETS:
        if sheet == skip:
            continue
        ws = wb.create_sheet(sheet)
        for r in (edit or {}).get(sheet) or _demand_sheet_rows(sheet):
            ws.append(r)
    wb.save(path)
    return path


def test_synthetic_supply_reads(tmp_path: Path) -> None:
    out = read_iea_supply(_supply_book(tmp_path / "s.xlsx"), tmp_path)
    prod, outlook = out["production"], out["supply_outlook"]
    assert len(prod) == 12 and len(outlook) == 12
    r = _one(prod, stage="refine", country="CHN")
    assert r["value"] == pytest.approx(171_700)
    assert (r["file"], r["row"], r["column"], r["cell"]) == (
        "s.xlsx",
        7,
        f"{SUPPLY_SHEET}!H",
        "171.7",
    )
    assert set(prod["entity_kind"]) == {"country", "other", "world"}


def test_synthetic_demand_reads(tmp_path: Path) -> None:
    d = read_iea_demand(_demand_book(tmp_path / "d.xlsx"), tmp_path)
    s1 = d[d["sheet"] == "1 Total demand for key minerals"]
    assert sorted(s1["sector"].unique()) == ["Electric vehicles", "total"]
    assert len(s1) == 2 * (3 + 3)  # two rows x (2023 under three scenarios + three 2030s)
    assert _one(s1, sector="total", scenario="APS", year=2030)["value"] == 1_900_000


def _fails(fn: object, path: Path, *parts: str) -> str:
    assert callable(fn)
    with pytest.raises(DataError) as info:
        fn(path, path.parent)
    msg = str(info.value)
    assert path.name in msg
    for part in parts:
        assert part in msg, f"{part!r} not in {msg!r}"
    return msg


def _edit(row: int, col: int, value: object) -> list[list[object]]:
    rows = [list(r) for r in SUPPLY_ROWS]
    line = rows[row - 1]
    line.extend([None] * (col + 1 - len(line)))
    line[col] = value
    return rows


def test_supply_sheet_missing(tmp_path: Path) -> None:
    p = _supply_book(tmp_path / "nosupply.xlsx", sheet="2 Supply")
    _fails(read_iea_supply, p, f"'{SUPPLY_SHEET}'", "2 Supply")


def test_supply_number_cell_holds_text(tmp_path: Path) -> None:
    p = _supply_book(tmp_path / "text.xlsx", _edit(8, 2, "n.a. (see note)"))
    _fails(read_iea_supply, p, "row 8", f"{SUPPLY_SHEET}!C8", "a number", "n.a. (see note)")


def test_supply_year_header_moved(tmp_path: Path) -> None:
    rows = [list(r) for r in SUPPLY_ROWS]
    rows[3] = [None, "2023e", "2030p"]
    p = _supply_book(tmp_path / "noheader.xlsx", rows)
    _fails(read_iea_supply, p, SUPPLY_SHEET, "header row of years", "rows 1-15")


def test_supply_unknown_stage(tmp_path: Path) -> None:
    p = _supply_book(tmp_path / "stage.xlsx", _edit(6, 0, "Cobalt - Smelting"))
    _fails(read_iea_supply, p, "row 6", f"{SUPPLY_SHEET}!A6", "Cobalt - Smelting")


def test_supply_unknown_country(tmp_path: Path) -> None:
    p = _supply_book(tmp_path / "country.xlsx", _edit(9, 0, "Atlantis"))
    _fails(read_iea_supply, p, "row 9", f"{SUPPLY_SHEET}!A9", "Atlantis")


def test_supply_rest_of_world_off(tmp_path: Path) -> None:
    p = _supply_book(tmp_path / "rest.xlsx", _edit(11, 1, 60.0))
    _fails(read_iea_supply, p, "row 11", f"{SUPPLY_SHEET}!B11", "Rest of world = Total")


def test_supply_top3_wrong(tmp_path: Path) -> None:
    p = _supply_book(tmp_path / "top3.xlsx", _edit(13, 7, 0.5))
    _fails(read_iea_supply, p, "row 13", f"{SUPPLY_SHEET}!H13", "top-3 share")


def test_supply_figures_without_heading(tmp_path: Path) -> None:
    rows = [list(r) for r in SUPPLY_ROWS]
    rows[5] = []
    p = _supply_book(tmp_path / "nohead.xlsx", rows)
    _fails(read_iea_supply, p, "row 7", "block heading")


def test_garbage_bytes(tmp_path: Path) -> None:
    p = tmp_path / "garbage.xlsx"
    p.write_bytes(b"PK\x03\x04 this is not really a zip archive" * 10)
    _fails(read_iea_supply, p, ".xlsx workbook")
    _fails(read_iea_demand, p, ".xlsx workbook")


def test_empty_workbook(tmp_path: Path) -> None:
    p = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(p)
    msg = _fails(read_iea_demand, p, "1 Total demand for key minerals", "4.6 Hydrogen")
    assert msg.count("expected a sheet") == len(DEMAND_SHEETS)


def test_demand_sheet_missing(tmp_path: Path) -> None:
    p = _demand_book(tmp_path / "no31.xlsx", skip="3.1 Cleantech demand by tech")
    msg = _fails(read_iea_demand, p, "'3.1 Cleantech demand by tech'")
    assert "1 Total demand" in msg  # the expected sheets are listed


def test_demand_unknown_scenario(tmp_path: Path) -> None:
    rows = _demand_sheet_rows("4.2 Wind", [None, None, None, "Current Policies scenario"])
    p = _demand_book(tmp_path / "scen.xlsx", edit={"4.2 Wind": rows})
    _fails(read_iea_demand, p, "row 4", "4.2 Wind!D4", "Current Policies scenario")


def test_demand_number_cell_holds_text(tmp_path: Path) -> None:
    rows = _demand_sheet_rows("4.3 EV")
    rows[7][5] = "tbd"
    p = _demand_book(tmp_path / "dtext.xlsx", edit={"4.3 EV": rows})
    _fails(read_iea_demand, p, "row 8", "4.3 EV!F8", "a number", "tbd")


def test_demand_header_moved(tmp_path: Path) -> None:
    rows = _demand_sheet_rows("1 Total demand for key minerals")
    rows[4] = [None, "twenty-23"]
    p = _demand_book(tmp_path / "dhead.xlsx", edit={"1 Total demand for key minerals": rows})
    _fails(read_iea_demand, p, "1 Total demand for key minerals", "rows 1-15")


def test_import_iea_missing(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="exactly one"):
        import_iea(tmp_path)
