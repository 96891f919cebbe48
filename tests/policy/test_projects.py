"""The project pipeline: golden values of the shipped tables, lead times, strict reading, CLI."""

from __future__ import annotations

import csv
import io
import json
import math
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from critmin.cli.main import app
from critmin.data.errors import DataError
from critmin.policy import projects as pj
from tests.conftest import reference_file

REF = Path(pj.reference_path("projects.csv")).parent
runner = CliRunner()


# --------------------------------------------------------------------------------------------
# The shipped copies


@pytest.mark.parametrize("name", ["projects.csv", "us_funding.csv", "projects_SOURCES.md"])
def test_shipped_copy_is_byte_identical_to_the_reference(name: str) -> None:
    shipped = REF / name
    assert shipped.is_file()
    assert shipped.read_bytes() == reference_file(name).read_bytes()


# --------------------------------------------------------------------------------------------
# Golden values of projects.csv and us_funding.csv


def test_counts_match_the_sources_file() -> None:
    df = pj.load_projects()
    assert len(df) == 66
    assert df["project_id"].is_unique
    assert df["country"].value_counts().to_dict() == {
        "USA": 51, "AUS": 7, "CAN": 5, "KOR": 1, "BRA": 1, "ZAF": 1,
    }  # fmt: skip
    # projects_SOURCES.md "Coverage"
    assert df["status"].value_counts().to_dict() == {
        "feasibility": 21, "operating": 17, "construction": 7, "stalled": 6, "permitting": 4,
        "commissioning": 4, "permitted": 3, "unverified": 3, "closed": 1,
    }  # fmt: skip
    assert df["confidence"].value_counts().to_dict() == {"H": 38, "M": 25, "L": 3}
    stages = Counter(s for t in df["stages"] for s in t)
    assert stages == {
        "refine": 35, "mine": 30, "concentrate": 15, "component": 13, "recycling": 8, "metal": 5,
    }  # fmt: skip
    minerals = Counter(m for t in df["minerals"] for m in t)
    for mid, n in {
        "lithium": 16, "rare_earths": 21, "nickel": 8, "cobalt": 10, "graphite": 7, "copper": 10,
        "gallium": 6, "germanium": 4, "antimony": 3, "tungsten": 2, "tantalum": 2, "tin": 1,
        "silicon": 2, "manganese": 6, "tellurium": 2,
    }.items():  # fmt: skip
        assert minerals[mid] == n, mid
    assert len(pj.load_funding()) == 81


def test_thacker_pass_golden_row() -> None:
    p = pj.load_projects().set_index("project_id").loc["P001"]
    assert p["name"] == "Thacker Pass"
    assert p["country"] == "USA"
    assert p["minerals"] == ("lithium",)
    assert p["stages"] == ("mine", "refine")
    assert p["capacity_value"] == 40000.0
    assert p["capacity_low"] == p["capacity_high"] == 40000.0
    assert p["capacity_unit"] == "t/yr lithium carbonate (battery grade)"
    assert p["capex_usd"] == 2.93e9
    assert p["capex_year"] == 2024
    assert p["status"] == "construction"
    assert p["status_as_of"] == "2025-10"
    assert p["date_permit_granted"] == 2021
    assert p["date_permit_granted_text"] == "2021-01"
    assert p["date_construction_start"] == 2023
    assert p["date_first_production"] == 2027
    assert bool(p["first_production_expected"]) is True
    assert pd.isna(p["date_permit_applied"])
    assert p["confidence"] == "H"
    assert p["sources"].startswith("[S001] SME Mining Engineering")
    assert "[S002] FBJNA" in p["sources"]  # the status citations are there too
    assert p["sources"].count("[S004]") == 1  # cited for both, listed once


def test_column_types() -> None:
    df = pj.load_projects()
    for col in ("date_permit_applied", "date_permit_granted", "date_construction_start",
                "date_first_production", "capex_year"):  # fmt: skip
        assert str(df[col].dtype) == "Int64", col
    assert str(df["first_production_expected"].dtype) == "boolean"
    assert df["capacity_value"].dtype == float and df["capex_usd"].dtype == float
    # a target only where a date is given, never without one
    has_date = df["date_first_production"].notna()
    assert (df["first_production_expected"].notna() == has_date).all()
    assert int(df["first_production_expected"].sum()) == 23


def test_ranges_become_midpoints_with_bounds() -> None:
    df = pj.load_projects().set_index("project_id")
    white_mesa = df.loc["P016"]  # 850-1000 t/yr NdPr
    assert (white_mesa.capacity_value, white_mesa.capacity_low, white_mesa.capacity_high) == (
        925.0, 850.0, 1000.0,
    )  # fmt: skip
    eneabba = df.loc["P053"]  # capex_usd 1090000000-1160000000 (converted from AUD by the source)
    assert eneabba.capex_usd == pytest.approx(1.125e9)
    assert (eneabba.capex_usd_low, eneabba.capex_usd_high) == (1.09e9, 1.16e9)
    assert math.isnan(df.loc["P003", "capex_usd"])  # not reported
    assert math.isnan(df.loc["P055", "capex_usd"])  # currency unstated: no USD figure


def test_funding_golden_rows() -> None:
    f = pj.load_funding().set_index("action_id")
    loan = f.loc["F037"]
    assert loan["project_id"] == "P001"
    assert loan["amount_usd"] == 2.26e9
    assert loan["year"] == 2024 and loan["date"] == "2024-03-14"
    assert loan["minerals"] == ("lithium",)
    assert f.loc["F003", "year"] == 2020  # "2020-11/2020-12"
    assert f.loc["F040", "year"] == 2024  # "2024 (reported 2024-05-18)"
    assert pd.isna(f.loc["F081", "year"])  # date not captured by the source
    assert math.isnan(f.loc["F071", "amount_usd"])  # undisclosed
    assert f.loc["F004", "minerals"] == ()  # "multiple critical minerals"
    assert f["project_id"].notna().sum() == 68
    assert set(f["project_id"].dropna()) <= set(pj.load_projects()["project_id"])
    assert f["amount_usd"].sum() == pytest.approx(f["amount_usd"].dropna().sum())


def test_us_projects_filter_is_51() -> None:
    assert len(pj.pipeline(country="USA")) == 51
    assert len(pj.pipeline(country="usa")) == 51


# --------------------------------------------------------------------------------------------
# Mineral names


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("lithium", ("lithium",)),
        ("rare earths (NdPr, Ce, La)", ("rare_earths",)),
        ("graphite (natural)", ("graphite",)),
        ("graphite (synthetic initially, then natural)", ("graphite",)),
        ("copper; nickel; cobalt; platinum group metals",
         ("copper", "nickel", "cobalt", "platinum", "palladium")),
        ("rare earths (NdPr; Dy and Tb planned); uranium", ("rare_earths",)),
        ("rare earths (heavy: Dy, Tb); gallium; beryllium; hafnium; zirconium",
         ("rare_earths", "gallium", "beryllium")),
        ("rare earths (Nd, Pr, Dy, Tb); gallium; scandium; germanium; coal",
         ("rare_earths", "gallium", "germanium")),
        ("lithium; boron", ("lithium", "boron")),
        ("nickel; copper; cobalt (by-product)", ("nickel", "copper", "cobalt")),
        ("silicon (hyper-pure polysilicon)", ("silicon",)),
        ("lithium (spodumene); tantalum (rights held by GAM)", ("lithium", "tantalum")),
        ("critical minerals and rare earths", ("rare_earths",)),
        ("multiple critical minerals", ()),
        ("lithium; graphite; nickel; others", ("lithium", "graphite", "nickel")),
        ("", ()),
    ],
)  # fmt: skip
def test_mineral_name_mapping(text: str, ids: tuple[str, ...]) -> None:
    assert pj.mineral_ids(text) == ids


def test_dropped_minerals_keep_their_text() -> None:
    df = pj.load_projects().set_index("project_id")
    assert df.loc["P017", "minerals"] == ("rare_earths", "gallium", "beryllium")
    assert "hafnium" in df.loc["P017", "minerals_text"]
    assert "uranium" in df.loc["P016", "minerals_text"]
    assert df.loc["P039", "minerals"][-2:] == ("platinum", "palladium")


# --------------------------------------------------------------------------------------------
# Permitting and expected start


def test_permitting_figures() -> None:
    assert pj.permitting_years("USA") == (7.0, 8.5, 10.0)
    assert pj.permitting_years("AUS") == (1.0, 1.5, 2.0)
    assert pj.permitting_years("CAN") == (2.0, 2.0, 2.0)  # "~2 years": a single figure
    for code in ("DEU", "FRA", "SWE", "EU27", "fin"):
        assert pj.permitting_years(code) == (2.25, 2.25, 2.25)  # 27 months (CRMA)
    for code in ("BRA", "KOR", "ZAF", "CHN", "GBR", "NOR"):
        assert pj.permitting_years(code) is None


def test_permitting_table_is_cited() -> None:
    t = pd.read_csv(pj.permitting_path())
    assert list(t.columns) == ["country", "low", "central", "high", "unit", "source",
                               "confidence"]  # fmt: skip
    assert set(t["country"]) == {"USA", "AUS", "CAN", "EU27"}
    assert t["source"].str.contains("REFERENCE §7.2").all()
    assert (t["low"] <= t["central"]).all() and (t["central"] <= t["high"]).all()


def test_expected_start_reported_dates() -> None:
    assert pj.expected_start("P001") == 2027.0  # construction, target 2027
    assert pj.expected_start("P028") == 2014.0  # permitted 2010, produced 2014
    assert pj.expected_start("P030") == 2028.0  # permitted 2025-01, target 2028
    assert pj.expected_start("P003") == 2026.0  # permitting, but a (stale) target is reported


def test_expected_start_from_a_granted_permit() -> None:
    # Carolina Lithium: status permitting, state permit granted 2024-04, no production date
    assert pj.start_with_basis("P006") == (2027.0, "permit granted + build")
    # already permitted: expediting never moves it
    assert pj.expected_start("P006", expedite_years=5) == 2027.0


def test_expected_start_from_an_application() -> None:
    # Tamarack: applied 2023-06 in the US: 2023 + 8.5 permitting + 3 building
    assert pj.expected_start("P027") == 2034.5
    assert pj.expected_start("P027", expedite_years=4.25) == 2030.25
    # permitting never below zero, nor a permit before the status date (2025-07)
    assert pj.expected_start("P027", expedite_years=100) == 2028.0


def test_expected_start_insufficient_data() -> None:
    assert pj.expected_start("P009") is None  # feasibility, no dates
    assert pj.expected_start("P038") is None  # permitting, no dates
    assert pj.expected_start("P025") is None  # construction, no production date
    assert pj.start_with_basis("P009")[1] == "insufficient data"


def _row(**kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "status": "feasibility", "country": "AUS", "status_as_of": "2024-06",
        "date_first_production": pd.NA, "date_permit_granted": pd.NA,
        "date_permit_applied": 2024,
    }  # fmt: skip
    base.update(kw)
    return base


def test_expected_start_of_a_row_and_countries_without_data() -> None:
    assert pj.expected_start(_row()) == 2024 + 1.5 + 3
    assert pj.expected_start(_row(country="BRA")) is None  # no permitting figure
    assert pj.expected_start(_row(status="stalled")) is None
    with pytest.raises(ValueError, match="negative"):
        pj.expected_start(_row(), expedite_years=-1)
    with pytest.raises(KeyError):
        pj.expected_start("P999")


@pytest.mark.parametrize("expedite", [0.0, 0.5, 2.0, 4.25, 10.0, 50.0])
def test_expediting_never_delays_and_never_moves_permitted_projects(expedite: float) -> None:
    df = pj.load_projects()
    for _, row in df.iterrows():
        base, basis = pj.start_with_basis(row)
        fast = pj.expected_start(row, expedite_years=expedite)
        assert (base is None) == (fast is None)
        if base is None or fast is None:
            continue
        assert fast <= base
        if basis in ("reported", "permit granted + build") or pd.notna(row["date_permit_granted"]):
            assert fast == base, row["project_id"]


def test_pipeline_columns_and_expedited_case() -> None:
    df = pj.pipeline()
    assert len(df) == 66
    both = df.dropna(subset=["expected_start"])
    assert (both["expected_start_expedited"] <= both["expected_start"]).all()
    assert df["expected_start"].isna().equals(df["expected_start_expedited"].isna())
    tamarack = df.set_index("project_id").loc["P027"]
    assert (tamarack.expected_start, tamarack.expected_start_expedited) == (2034.5, 2030.25)
    assert set(df["start_basis"]) <= {
        "reported", "permit granted + build", "permit applied + permitting + build",
        "insufficient data",
    }  # fmt: skip


def test_pipeline_filters() -> None:
    assert len(pj.pipeline(mineral="lithium")) == 16
    assert len(pj.pipeline(mineral="rare_earths")) == 21
    assert set(pj.pipeline(mineral="platinum")["project_id"]) == {"P039", "P041"}
    assert len(pj.pipeline(status="feasibility")) == 21
    assert len(pj.pipeline(status=["permitting", "permitted"])) == 7
    both = pj.pipeline(mineral="lithium", country="AUS")
    assert set(both["project_id"]) == {"P055", "P056"}
    assert pj.pipeline(mineral="lithium", country="KOR").empty
    permitting = pj.pipeline(country="USA", status="permitting")
    assert list(permitting["project_id"]) == ["P003", "P006", "P027", "P038"]


@pytest.mark.parametrize(
    "kwargs", [{"mineral": "unobtainium"}, {"country": "XXX"}, {"status": "dormant"}]
)
def test_pipeline_rejects_unknown_filters(kwargs: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="unknown"):
        pj.pipeline(**kwargs)


def test_funding_filters() -> None:
    assert sorted(pj.funding(project="P001")["action_id"]) == ["F037", "F054", "F071"]
    antimony = pj.funding(mineral="antimony")
    assert {"F011", "F023", "F030", "F069", "F079"} <= set(antimony["action_id"])
    # an action matches through its project's minerals too: P043 lists gallium
    assert "F079" in set(pj.funding(mineral="gallium")["action_id"])
    assert (
        pj.funding(mineral="lithium", project=["P001", "P002"])["project_id"]
        .isin(["P001", "P002"])
        .all()
    )


# --------------------------------------------------------------------------------------------
# Broken files


def _rows(name: str) -> list[list[str]]:
    with (REF / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def _write(rows: list[list[str]], path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def _broken(tmp_path: Path, name: str, row: int, column: str, value: str) -> Path:
    rows = _rows(name)
    rows[row][rows[0].index(column)] = value
    return _write(rows, tmp_path / name)


@pytest.mark.parametrize(
    ("row", "column", "value"),
    [
        (5, "status", "dormant"),
        (7, "country_iso3", "XXX"),
        (1, "capacity_value", "about 40kt"),
        (2, "capacity_value", "1000-500"),
        (3, "stage", "mine; smelting"),
        (4, "date_permit_granted", "2021-13"),
        (6, "first_production_is_expected", "maybe"),
        (9, "capex_usd", "$1.3B"),
        (10, "confidence", "high"),
        (11, "minerals", "unobtainium"),
        (12, "project_id", "P001"),
        (13, "status_as_of", "recently"),
    ],
)
def test_broken_projects_name_file_row_and_field(
    tmp_path: Path, row: int, column: str, value: str
) -> None:
    path = _broken(tmp_path, "projects.csv", row, column, value)
    with pytest.raises(DataError) as exc:
        pj.load_projects(path)
    (problem,) = exc.value.problems
    assert (problem.file, problem.row, problem.field) == ("projects.csv", row + 1, column)
    assert problem.got == value
    assert f"projects.csv, row {row + 1}, field {column!r}" in str(exc.value)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    rows = _rows("projects.csv")
    header = rows[0]
    rows[2][header.index("status")] = "dormant"
    rows[30][header.index("country_iso3")] = "Atlantis"
    rows[40][header.index("capacity_value")] = "n/a"
    with pytest.raises(DataError) as exc:
        pj.load_projects(_write(rows, tmp_path / "p.csv"))
    got = {(p.row, p.field) for p in exc.value.problems}
    assert got == {(3, "status"), (31, "country_iso3"), (41, "capacity_value")}


def test_missing_column_and_short_row(tmp_path: Path) -> None:
    rows = [r[1:] for r in _rows("projects.csv")]  # drop project_id
    with pytest.raises(DataError) as exc:
        pj.load_projects(_write(rows, tmp_path / "a.csv"))
    assert [(p.row, p.field) for p in exc.value.problems] == [(1, "project_id")]
    rows = _rows("projects.csv")
    rows[3] = rows[3][:10]
    with pytest.raises(DataError) as exc:
        pj.load_projects(_write(rows, tmp_path / "b.csv"))
    assert exc.value.problems[0].row == 4
    header_only = _write(_rows("projects.csv")[:1], tmp_path / "c.csv")
    with pytest.raises(DataError, match="data rows"):
        pj.load_projects(header_only)


def test_unclosed_quote_is_an_error(tmp_path: Path) -> None:
    text = (REF / "projects.csv").read_text(encoding="utf-8")
    path = tmp_path / "q.csv"
    path.write_text(text + 'P099,"unclosed,USA\n', encoding="utf-8")
    with pytest.raises(DataError):
        pj.load_projects(path)


@pytest.mark.parametrize(
    ("row", "column", "value"),
    [
        (3, "amount_usd", "about 10 million"),
        (4, "project_id", "P999"),
        (5, "date", "sometime in 2023"),
        (6, "action_id", "X1"),
    ],
)
def test_broken_funding_name_file_row_and_field(
    tmp_path: Path, row: int, column: str, value: str
) -> None:
    path = _broken(tmp_path, "us_funding.csv", row, column, value)
    with pytest.raises(DataError) as exc:
        pj.load_funding(path)
    (problem,) = exc.value.problems
    assert (problem.file, problem.row, problem.field) == ("us_funding.csv", row + 1, column)


def test_valid_copies_load_like_the_shipped_tables(tmp_path: Path) -> None:
    p = _write(_rows("projects.csv"), tmp_path / "projects.csv")
    f = _write(_rows("us_funding.csv"), tmp_path / "us_funding.csv")
    assert pj.load_projects(p).equals(pj.load_projects())
    assert pj.load_funding(f, projects_path=p).equals(pj.load_funding())


# --------------------------------------------------------------------------------------------
# The command line


def test_cli_projects_json() -> None:
    res = runner.invoke(app, ["projects", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert len(rows) == 66
    assert list(rows[0]) == list(pj.PIPELINE_COLUMNS)
    p1 = next(r for r in rows if r["project_id"] == "P001")
    assert p1["minerals"] == ["lithium"] and p1["stages"] == ["mine", "refine"]
    assert (p1["capacity_value"], p1["capex_usd"]) == (40000.0, 2.93e9)
    assert (p1["date_first_production"], p1["first_production_expected"]) == (2027, True)
    assert p1["expected_start"] == 2027.0
    p9 = next(r for r in rows if r["project_id"] == "P009")
    assert p9["expected_start"] is None and p9["capex_usd"] is None


def test_cli_projects_filters_json() -> None:
    res = runner.invoke(
        app, ["projects", "--country", "USA", "--status", "permitting", "--format", "json"]
    )
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert [r["project_id"] for r in rows] == ["P003", "P006", "P027", "P038"]
    tamarack = rows[2]
    assert (tamarack["expected_start"], tamarack["expected_start_expedited"]) == (2034.5, 2030.25)


def test_cli_projects_csv() -> None:
    res = runner.invoke(app, ["projects", "--mineral", "lithium", "--format", "csv"])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert len(rows) == 16
    assert list(rows[0]) == list(pj.PIPELINE_COLUMNS)
    p2 = next(r for r in rows if r["project_id"] == "P002")
    assert p2["minerals"] == "lithium; boron" and p2["stages"] == "mine; refine"


def test_cli_projects_table() -> None:
    res = runner.invoke(app, ["projects", "--country", "AUS"], env={"COLUMNS": "240"})
    assert res.exit_code == 0, res.output
    assert "Critical-mineral projects (7)" in res.stdout
    for text in ("P052", "P058", "expedited start", "rare_earths", "2024"):
        assert text in res.stdout


def test_cli_funding_json_csv_and_table() -> None:
    res = runner.invoke(app, ["projects", "--funding", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert len(rows) == 81 and list(rows[0]) == list(pj.FUNDING_COLUMNS)
    res = runner.invoke(app, ["projects", "--funding", "--project", "p001", "--format", "json"])
    rows = json.loads(res.stdout)
    assert [r["action_id"] for r in rows] == ["F037", "F054", "F071"]
    assert rows[0]["amount_usd"] == 2.26e9 and rows[2]["amount_usd"] is None
    res = runner.invoke(app, ["projects", "--funding", "--mineral", "antimony", "--format", "csv"])
    assert res.exit_code == 0, res.output
    csv_rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert {"F011", "F069"} <= {r["action_id"] for r in csv_rows}
    res = runner.invoke(app, ["projects", "--funding", "--country", "AUS"], env={"COLUMNS": "240"})
    assert res.exit_code == 0, res.output
    assert "US government funding actions (2)" in res.stdout
    assert "P054" in res.stdout and "P058" in res.stdout


@pytest.mark.parametrize(
    "args",
    [["--mineral", "unobtainium"], ["--country", "XXX"], ["--status", "dormant"],
     ["--project", "P999"]],
)  # fmt: skip
def test_cli_projects_bad_filters_exit_2(args: list[str]) -> None:
    res = runner.invoke(app, ["projects", *args])
    assert res.exit_code == 2
