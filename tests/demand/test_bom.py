"""Tests of the intensities table and the company-mode bill of materials."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from critmin.data.catalogue import MINERAL_IDS
from critmin.data.errors import DataError
from critmin.demand.bom import (
    COMPONENTS,
    INTENSITIES_PATH,
    company_demand,
    company_exposure,
    load_intensities,
    per_mw_factor,
    per_unit_factor,
    read_company_bom,
    read_production_plan,
)

REQUIRED = {
    "copper", "aluminium", "silicon", "gallium", "germanium", "tantalum", "tin", "gold", "silver",
    "palladium", "rare_earths", "lithium", "cobalt", "nickel", "graphite", "manganese", "indium",
}  # fmt: skip


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return load_intensities()


def test_golden_facility_copper_27_t_per_mw(table: pd.DataFrame) -> None:
    row = table[(table.component == "dc_electrical") & (table.mineral == "copper")].iloc[0]
    assert row.central == 27.0 and row.unit == "t/MW" and row.central_t == 27.0
    assert (row.low_t, row.high_t) == (27.0, 33.0)
    assert row.status == "sourced" and "BOM-110" in row.source


def test_sourced_rows_match_ai_bom(table: pd.DataFrame) -> None:
    busbar = table[(table.component == "power_conversion") & (table.mineral == "copper")]
    assert float(busbar.central_t.iloc[0]) == pytest.approx(0.2)  # 200 t/GW, BOM-033
    gold = table[(table.component == "server_boards") & (table.mineral == "gold")].iloc[0]
    # 1.56 kg/MW average load x LF 0.48 x PUE_2008 2.0, in t/MW
    assert gold.central_t == pytest.approx(1.56 * 0.48 * 2.0 / 1000, rel=1e-2)
    li = table[(table.component == "rack_batteries_ups") & (table.mineral == "lithium")].iloc[0]
    assert li.central_t == pytest.approx(2.2 / 0.033 * 0.1 / 1000, rel=1e-2)


def test_units_t_vs_kg_vs_t_per_mw(table: pd.DataFrame) -> None:
    assert per_mw_factor("t/MW") == 1.0
    assert per_mw_factor("kg/MW") == pytest.approx(1e-3)
    assert per_mw_factor("t/GW") == pytest.approx(1e-3)
    assert per_mw_factor("kt/GW") == pytest.approx(1.0)
    assert per_unit_factor("g/unit") == pytest.approx(1e-6)
    kg = table[table.unit == "kg/MW"]
    assert kg.central_t.to_numpy() == pytest.approx(kg.central.to_numpy() / 1000)
    for bad in ("t", "t/MWh", "USD/MW", "MW", "kg/kg"):
        with pytest.raises(ValueError):
            per_mw_factor(bad)


def test_table_covers_components_and_minerals(table: pd.DataFrame) -> None:
    assert set(table.mineral) >= REQUIRED
    assert set(table.component) == set(COMPONENTS)
    assert set(table.mineral) <= set(MINERAL_IDS)
    assert (table.basis == "MW_IT").all()
    assert not table[["low_t", "central_t", "high_t"]].isna().any().any()
    assert ((table.low_t <= table.central_t) & (table.central_t <= table.high_t)).all()
    modelled = table[table.status == "modelled"]
    assert (modelled.high_t > modelled.low_t).all()  # a modelled figure carries a range
    assert table.derivation.str.len().gt(0).all() and table.source.str.len().gt(0).all()


# ------------------------------------------------------------------ bad-input corpus


def _write_intensities(tmp_path: Path, edit: dict[str, str], drop: str | None = None) -> Path:
    rows = list(csv.DictReader(INTENSITIES_PATH.open(encoding="utf-8")))
    rows[2].update(edit)
    fields = [f for f in rows[0] if f != drop]
    p = tmp_path / "intensities.csv"
    with p.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return p


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        ({"mineral": "unobtainium"}, "mineral"),
        ({"central": "-1"}, "central"),
        ({"low": "-0.5"}, "low"),
        ({"unit": "t/MWh"}, "unit"),
        ({"unit": "furlongs/MW"}, "unit"),
        ({"low": "5", "central": "1", "high": "9"}, "low"),
        ({"low": "0", "central": "9", "high": "1"}, "high"),
        ({"central": "abc"}, "central"),
        ({"status": "guessed"}, "status"),
        ({"basis": "per GPU"}, "basis"),
        ({"component": "dc_electrical", "mineral": "copper"}, "mineral"),  # duplicate
    ],
)
def test_bad_intensities(tmp_path: Path, edit: dict[str, str], field: str) -> None:
    p = _write_intensities(tmp_path, edit)
    with pytest.raises(DataError) as exc:
        load_intensities(p)
    probs = exc.value.problems
    # a duplicate is reported on the later of the two lines, naming the earlier one
    t = load_intensities()
    orig = int(t.index[(t.component == "dc_electrical") & (t.mineral == "copper")][0]) + 2
    rows = {4} if edit.get("mineral") != "copper" else {orig}
    assert any(pr.file == str(p) and pr.row in rows and pr.field == field for pr in probs), probs
    assert all(pr.expected for pr in probs)


def test_missing_column(tmp_path: Path) -> None:
    p = _write_intensities(tmp_path, {}, drop="high")
    with pytest.raises(DataError) as exc:
        load_intensities(p)
    assert exc.value.problems[0].field == "high" and exc.value.problems[0].row == 1


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    p = _write_intensities(tmp_path, {"mineral": "unobtainium", "unit": "t/MWh"})
    with pytest.raises(DataError) as exc:
        load_intensities(p)
    assert {pr.field for pr in exc.value.problems} == {"mineral", "unit"}


BOM_CSV = """product,component,mineral,intensity,unit
server,board,gold,0.5,g/unit
server,board,copper,1.2,kg/unit
server,psu,gallium,20,mg/unit
switch,asic,silicon,0.05,kg/unit
"""
PLAN_YAML = """plan:
  - {product: server, year: 2026, units: 1000}
  - {product: server, year: 2027, units: 2000}
  - {product: switch, year: 2026, units: 100}
"""


def test_company_demand_end_to_end(tmp_path: Path) -> None:
    (tmp_path / "bom.csv").write_text(BOM_CSV.replace("mg/unit", "g/unit"))
    (tmp_path / "plan.yaml").write_text(PLAN_YAML)
    bom = read_company_bom(tmp_path / "bom.csv")
    plan = read_production_plan(tmp_path / "plan.yaml")
    dem = company_demand(bom, plan)
    got = dem.set_index(["product", "mineral", "year"])["demand_t"]
    assert got[("server", "gold", 2027)] == pytest.approx(2000 * 0.5e-6)
    assert got[("server", "copper", 2026)] == pytest.approx(1.2)
    assert got[("switch", "silicon", 2026)] == pytest.approx(0.005)
    assert len(dem) == 3 * 2 + 1


def test_company_exposure(tmp_path: Path) -> None:
    import critmin

    (tmp_path / "bom.csv").write_text(BOM_CSV.replace("mg/unit", "g/unit"))
    (tmp_path / "plan.csv").write_text("product,year,units\nserver,2026,1000\nswitch,2026,10\n")
    bom = read_company_bom(tmp_path / "bom.csv")
    plan = read_production_plan(tmp_path / "plan.csv")
    exp = company_exposure(bom, plan, critmin.load())
    ga = exp[exp.mineral == "gallium"].iloc[0]
    assert ga.demand_t == pytest.approx(1000 * 20e-6)
    assert ga.bottleneck == "refine" and ga.china_share > 0.9
    assert "China" in ga.top_producers
    assert set(exp.columns) >= {"product", "mineral", "demand_t", "top_producers", "china_share"}


@pytest.mark.parametrize(
    ("text", "row", "field"),
    [
        ("server,board,unobtainium,1,g/unit", 2, "mineral"),
        ("server,board,gold,-1,g/unit", 2, "intensity"),
        ("server,board,gold,1,g/MWh", 2, "unit"),
        ("server,board,gold,1,USD/unit", 2, "unit"),
        ("server,board,gold,1,g/unit\nserver,board,gold,2,g/unit", 3, "component"),
    ],
)
def test_bad_company_bom_csv(tmp_path: Path, text: str, row: int, field: str) -> None:
    p = tmp_path / "bom.csv"
    p.write_text("product,component,mineral,intensity,unit\n" + text + "\n")
    with pytest.raises(DataError) as exc:
        read_company_bom(p)
    assert any(pr.file == str(p) and pr.row == row and pr.field == field
               for pr in exc.value.problems), exc.value.problems  # fmt: skip


def test_bad_company_bom_yaml(tmp_path: Path) -> None:
    p = tmp_path / "bom.yaml"
    p.write_text(
        "bom:\n"
        "  - {product: s, component: b, mineral: gold, intensity: 1, unit: g/unit}\n"
        "  - {product: s, component: b, mineral: unobtainium, intensity: 1, unit: g/unit}\n"
    )
    with pytest.raises(DataError) as exc:
        read_company_bom(p)
    (pr,) = exc.value.problems
    assert (pr.file, pr.row, pr.field) == (str(p), 3, "mineral")


def test_malformed_yaml(tmp_path: Path) -> None:
    p = tmp_path / "bom.yaml"
    p.write_text("- {product: s, component: b\n- mineral: [unclosed\n")
    with pytest.raises(DataError) as exc:
        read_company_bom(p)
    pr = exc.value.problems[0]
    assert pr.file == str(p) and pr.row is not None and "YAML" in pr.expected


def test_missing_column_company(tmp_path: Path) -> None:
    p = tmp_path / "bom.csv"
    p.write_text("product,component,mineral,intensity\ns,b,gold,1\n")
    with pytest.raises(DataError) as exc:
        read_company_bom(p)
    assert exc.value.problems[0].field == "unit"
    q = tmp_path / "plan.yaml"
    q.write_text("- {product: s, year: 2030}\n")
    with pytest.raises(DataError) as exc:
        read_production_plan(q)
    assert exc.value.problems[0].field == "units"


def test_bad_plan(tmp_path: Path) -> None:
    p = tmp_path / "plan.csv"
    p.write_text("product,year,units\ns,20x0,5\ns,2030,-5\ns,2031,1\ns,2031,2\n")
    with pytest.raises(DataError) as exc:
        read_production_plan(p)
    got = {(pr.row, pr.field) for pr in exc.value.problems}
    assert got == {(2, "year"), (3, "units"), (5, "year")}


def test_plan_product_without_bom(tmp_path: Path) -> None:
    bom = read_company_bom(_bom(tmp_path))
    plan = pd.DataFrame({"product": ["toaster"], "year": [2030], "units": [1.0]})
    with pytest.raises(DataError, match="toaster"):
        company_demand(bom, plan)


def _bom(tmp_path: Path) -> Path:
    p = tmp_path / "b.csv"
    p.write_text("product,component,mineral,intensity,unit\ns,b,gold,1,g/unit\n")
    return p


def test_bom_errors_name_the_physical_line(tmp_path: Path) -> None:
    # Blank lines and a quoted product name spanning three lines: the bad mineral is on
    # line 9 of the file, though it is the third record of the table.
    p = tmp_path / "bom.csv"
    p.write_text(
        "product,component,mineral,intensity,unit\n"  # 1
        "\n"  # 2
        "srv,board,gold,1,g/unit\n"  # 3
        "\n"  # 4
        '"GPU\n'  # 5
        "tray\n"  # 6
        'v2",board,copper,1,g/unit\n'  # 7
        "\n"  # 8
        "srv,board,unobtainium,1,g/unit\n"  # 9
        "srv,board,gold,-1,g/unit\n"  # 10 (duplicate of line 3 and negative)
    )
    with pytest.raises(DataError) as exc:
        read_company_bom(p)
    got = {(pr.row, pr.field) for pr in exc.value.problems}
    assert (9, "mineral") in got and (10, "intensity") in got, got
    dup = [pr for pr in exc.value.problems if pr.row == 10 and pr.field == "component"]
    assert dup and "line 3" in dup[0].expected, exc.value.problems
    # the multi-line product keeps its text and the good rows read
    p.write_text(p.read_text().replace("unobtainium", "tin").replace(",-1,", ",2,")
                 .replace("srv,board,gold,2", "srv,tray,gold,2"))  # fmt: skip
    df = read_company_bom(p)
    assert "GPU\ntray\nv2" in set(df["product"]) and len(df) == 4


def test_bom_csv_too_many_fields_names_the_line(tmp_path: Path) -> None:
    p = tmp_path / "bom.csv"
    p.write_text("product,component,mineral,intensity,unit\n\nsrv,board,gold,1,g/unit,extra\n")
    with pytest.raises(DataError) as exc:
        read_company_bom(p)
    (pr,) = exc.value.problems
    assert pr.row == 3 and "5 fields" in pr.expected


def test_intensity_errors_name_the_physical_line(tmp_path: Path) -> None:
    src = INTENSITIES_PATH.read_text(encoding="utf-8").splitlines()
    p = tmp_path / "i.csv"
    bad = src[2].split(",")
    p.write_text("\n".join([src[0], "", src[1], "", ",".join(["", *bad[1:]])]) + "\n")
    with pytest.raises(DataError) as exc:
        load_intensities(p)
    assert {pr.row for pr in exc.value.problems} == {5}, exc.value.problems


def test_bom_csv_duplicate_header_is_named(tmp_path: Path) -> None:
    p = tmp_path / "bom.csv"
    p.write_text("\nproduct,component,mineral,intensity,unit,mineral\nsrv,b,gold,1,g/unit,tin\n")
    with pytest.raises(DataError) as exc:
        read_company_bom(p)
    (pr,) = exc.value.problems
    assert (pr.row, pr.field) == (2, "mineral") and "once" in pr.expected
