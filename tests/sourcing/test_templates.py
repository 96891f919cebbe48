"""Reading CMRT/EMRT workbooks as suppliers send them."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from critmin.data.errors import DataError
from critmin.sourcing.templates import import_files, read_template

HEADERS = [
    "Smelter Identification Number Input Column", "Metal (*)", "Smelter Look-up (*)",
    "Smelter Name (*)", "Smelter Country (*)", "Smelter Identification",
    "Source of Smelter Identification Number", "Smelter Street", "Smelter City",
    "Smelter Facility Location: State / Province", "Smelter Contact Name",
    "Smelter Contact Email", "Proposed next steps",
    'Name of Mine(s) or if recycled or scrap sourced, state "recycled or scrap"',
    'Location (Country) of Mine(s) or if recycled or scrap sourced, state "recycled or scrap"',
    "Does 100% of the smelter's feedstock originate from recycled or scrap sources?",
    "Comments",
]  # fmt: skip


def make_template(path: Path, company: str, rows: list[dict[str, object]], *,
                  title: str = "Conflict Minerals Reporting Template (CMRT)",
                  revision: str = "Revision 6.4", header_row: int = 5, messy: bool = False,
                  extra: tuple[str, ...] = ()) -> Path:  # fmt: skip
    """A workbook in the RMI layout; ``rows`` map short keys to cell values."""
    wb = openpyxl.Workbook()
    decl = wb.active
    assert decl is not None
    decl.title = "Declaration"
    decl["B2"] = title
    decl["B3"] = revision
    decl["B8"] = "Company Name (*):"
    decl["D8"] = company
    decl["B9"] = "Declaration Scope or Class (*):"
    decl["D9"] = "A.  Company"
    ws = wb.create_sheet("Smelter List")
    ws["A1"] = "Smelter List - Instructions"
    headers = HEADERS + list(extra)
    for c, h in enumerate(headers, start=1):
        ws.cell(header_row, c, h.upper() + "  " if messy and c % 2 else h)
    if messy:  # header text left in the first cell of a vertical merge
        ws.cell(header_row, 2, None)
        ws.cell(header_row - 1, 2, "Metal (*)")
        ws.merge_cells(start_row=header_row - 1, start_column=2, end_row=header_row, end_column=2)
    keys = {"id": 6, "metal": 2, "lookup": 3, "name": 4, "country": 5, "mine": 14,
            "mine_country": 15, "recycled": 16, "volume": len(HEADERS) + 1}  # fmt: skip
    r = header_row + 1
    for row in rows:
        for k, v in row.items():
            ws.cell(r, keys[k], v)
        r += 1
    wb.save(path)
    return path


def clean_cmrt(tmp_path: Path, name: str = "acme.xlsx", company: str = "Acme Boards") -> Path:
    return make_template(tmp_path / name, company, [
        {"id": "CID001070", "metal": "Tin", "lookup": "Yunnan Tin Co., Ltd.",
         "name": "Yunnan Tin Co., Ltd.", "country": "China", "mine_country": "China"},
        {"id": "CID001482", "metal": "Tin", "lookup": "PT Timah Tbk Kundur",
         "name": "PT Timah Tbk Kundur", "country": "Indonesia", "mine_country": "Indonesia"},
        {"id": "CID002082", "metal": "Tungsten", "lookup": "Ganzhou Huaxing Tungsten",
         "name": "Ganzhou Huaxing Tungsten", "country": "China", "mine_country": "China"},
        {"id": "CID000211", "metal": "Tantalum", "lookup": "Recycler AG", "name": "Recycler AG",
         "country": "Germany", "mine_country": "recycled or scrap", "recycled": "Yes"},
    ])  # fmt: skip


def messy_cmrt(tmp_path: Path) -> Path:
    return make_template(tmp_path / "messy.xlsx", "Messy Parts Inc.", [
        {"id": "CID001070", "metal": "TIN", "lookup": "Yunnan Tin Co., Ltd.",
         "name": "Yunnan Tin Company Limited", "country": "China, People's Republic of  "},
        {},
        {"metal": "Tin"},  # only the metal: skipped
        {"metal": "tungsten", "lookup": "Smelter not listed", "name": "Small Hill Works",
         "country": "Viet Nam"},
        {"metal": "Tantalum", "lookup": "Smelter not yet identified", "country": "DRC",
         "mine_country": "Congo (Kinshasa)"},
        {"id": "CID009999", "metal": "gold", "name": "Atlantis Gold", "country": "Atlantis"},
    ], messy=True, header_row=4)  # fmt: skip


def emrt(tmp_path: Path) -> Path:
    return make_template(tmp_path / "cells.xlsx", "Cell Makers", [
        {"id": "CID002315", "metal": "Cobalt", "name": "Huayou Cobalt", "country": "China",
         "mine_country": "DRC", "volume": 120},
        {"id": "CID003000", "metal": "Lithium", "name": "Albemarle Kings Mountain",
         "country": "United States of America", "mine_country": "USA", "volume": "80"},
    ], title="Extended Minerals Reporting Template (EMRT)", revision="Revision 2.0",
       extra=("Annual volume (t)",))  # fmt: skip


def test_clean_cmrt(tmp_path: Path) -> None:
    df, warnings = read_template(clean_cmrt(tmp_path))
    assert warnings == []
    assert list(df["metal"]) == ["tin", "tin", "tungsten", "tantalum"]
    assert set(df["supplier"]) == {"Acme Boards"}
    assert set(df["template"]) == {"CMRT"} and set(df["version"]) == {"6.4"}
    assert list(df["row"]) == [6, 7, 8, 9]
    assert list(df["smelter_id"])[:2] == ["CID001070", "CID001482"]
    assert list(df["country"]) == ["CHN", "IDN", "CHN", "DEU"]
    assert list(df["mine_country"]) == ["CHN", "IDN", "CHN", "recycled"]
    assert list(df["recycled"]) == [False, False, False, True]
    assert df["volume_t"].isna().all()


def test_messy_cmrt(tmp_path: Path) -> None:
    df, warnings = read_template(messy_cmrt(tmp_path))
    assert list(df["metal"]) == ["tin", "tungsten", "tantalum", "gold"]
    assert list(df["row"]) == [5, 8, 9, 10]
    assert list(df["country"]) == ["CHN", "VNM", "COD", ""]
    assert df["country_text"].iloc[3] == "Atlantis"
    assert list(df["flag"]) == ["", "smelter not listed", "smelter not yet identified", ""]
    assert list(df["smelter_id"]) == ["CID001070", "", "", "CID009999"]
    assert df["smelter_name"].iloc[1] == "Small Hill Works"
    assert df["mine_country"].iloc[2] == "COD"
    assert any("Atlantis" in w and "row 10" in w for w in warnings)
    assert any("not listed" in w for w in warnings)


def test_emrt(tmp_path: Path) -> None:
    df, _ = read_template(emrt(tmp_path))
    assert set(df["template"]) == {"EMRT"} and set(df["version"]) == {"2.0"}
    assert list(df["metal"]) == ["cobalt", "lithium"]
    assert list(df["country"]) == ["CHN", "USA"]
    assert list(df["mine_country"]) == ["COD", "USA"]
    assert list(df["volume_t"]) == [120.0, 80.0]


def test_import_files_concatenates(tmp_path: Path) -> None:
    df, _ = import_files([clean_cmrt(tmp_path), emrt(tmp_path)])
    assert len(df) == 6 and set(df["supplier"]) == {"Acme Boards", "Cell Makers"}


def test_not_a_workbook(tmp_path: Path) -> None:
    p = tmp_path / "fake.xlsx"
    p.write_text("not a zip")
    with pytest.raises(DataError, match=r"fake\.xlsx.*Excel workbook"):
        read_template(p)
    q = tmp_path / "report.pdf"
    q.write_text("x")
    with pytest.raises(DataError, match=r"report\.pdf"):
        read_template(q)


def test_no_smelter_sheet(tmp_path: Path) -> None:
    p = tmp_path / "nosheet.xlsx"
    openpyxl.Workbook().save(p)
    with pytest.raises(DataError, match=r"nosheet\.xlsx.*'Smelter List' sheet"):
        read_template(p)


def test_no_header_row(tmp_path: Path) -> None:
    p = tmp_path / "nohead.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.create_sheet("Smelter List")
    ws["A1"] = "Metal"
    wb.save(p)
    with pytest.raises(DataError, match=r"nohead\.xlsx.*header row"):
        read_template(p)


def test_unknown_metal_names_row(tmp_path: Path) -> None:
    p = make_template(tmp_path / "zinc.xlsx", "Z", [
        {"id": "CID001070", "metal": "Tin", "name": "A", "country": "China"},
        {"id": "CID001071", "metal": "Zinc", "name": "B", "country": "China"},
    ])  # fmt: skip
    with pytest.raises(DataError) as e:
        import_files([p])
    (prob,) = e.value.problems
    assert (prob.row, prob.field, prob.got) == (7, "Metal", "Zinc")
    assert prob.file.endswith("zinc.xlsx")


def _with_excel_cache(path: Path, cell: str, cached: str) -> None:
    """Rewrite one formula cell of the Smelter List as Excel saves it: with a cached value."""
    import zipfile

    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename == "xl/worksheets/sheet2.xml":
                head, tail = data.split(f'<c r="{cell}"'.encode(), 1)
                _, after = tail.split(b"</c>", 1)
                data = (head + f'<c r="{cell}" t="str"><f>IF(1,"{cached}")</f>'
                        f"<v>{cached}</v></c>".encode() + after)  # fmt: skip
            zout.writestr(item, data)
    tmp.replace(path)


def test_formula_rows_without_cached_values_are_reported(tmp_path: Path) -> None:
    # A workbook written by a script: formulas, never calculated, so no cached values.
    # The values reader sees empty cells; the row must not vanish without a word.
    p = make_template(tmp_path / "f.xlsx", "Acme", [
        {"metal": "Tin", "lookup": "=D9", "name": "=UPPER(\"x\")", "country": "=\"China\"",
         "id": "=\"CID001070\""},
        {"metal": "Tin", "name": "Thaisarco", "country": "Thailand", "id": "CID001898"},
        {"metal": "Gold", "name": "Kept", "country": "=\"Peru\"", "id": "CID000015"},
        {"metal": "Gold", "name": "Cached", "country": "=X1", "id": "CID000016"},
    ])  # fmt: skip
    _with_excel_cache(p, "E9", "Peru")  # row 9: as Excel saves it, cached "Peru"
    df, warnings = read_template(p)
    assert list(df["row"]) == [7, 8, 9]
    assert df.set_index("row").loc[9, "country"] == "PER"
    skipped = [w for w in warnings if "row 6" in w]
    assert len(skipped) == 1, warnings
    w = skipped[0]
    assert "sheet 'Smelter List'" in w and "row skipped" in w
    for col in ("column C (lookup)", "column D (name)", "column E (country)", "column F"):
        assert col in w, w
    assert '="China"' in w
    kept = [w for w in warnings if "row 8" in w]
    assert len(kept) == 1 and "read as empty" in kept[0] and "column E (country)" in kept[0]
    assert not [w for w in warnings if "row 7" in w or "row 9" in w], warnings


def test_formula_cached_empty_string_is_not_reported(tmp_path: Path) -> None:
    # Excel's template pre-fills lookups that return "": cached empty, typed t="str" -> silent.
    p = make_template(tmp_path / "e.xlsx", "Acme", [
        {"metal": "Tin", "name": "Thaisarco", "country": "Thailand", "id": "CID001898"},
        {"name": "=IF(F8=\"\",\"\",1)"},
    ])  # fmt: skip
    _with_excel_cache(p, "D7", "")
    df, warnings = read_template(p)
    assert len(df) == 1 and warnings == []
