import csv
import io
from pathlib import Path

import pytest

from critmin.data.errors import DataError
from critmin.data.restrictions import COLUMNS, MEASURES, default_path, read_restrictions


def test_shipped_table_is_valid_and_sourced() -> None:
    df = read_restrictions()
    assert len(df) >= 30
    assert df["source"].notna().all() and df["effective"].notna().all()
    ga = df[df.id == "CN-2023-GaGe"].iloc[0]
    assert (ga.announced, ga.effective, ga.country) == ("2023-07-03", "2023-08-01", "CHN")
    sb = df[df.id == "CN-2024-Sb"].iloc[0]
    assert sb.effective == "2024-09-15"
    assert set(df["confidence"]) <= {"H", "M", "L"}
    assert {"CHN", "IDN", "COD", "ZWE", "NAM", "MYS", "VNM"} <= set(df["country"])


def test_targeted_bans_name_their_importers() -> None:
    df = read_restrictions().set_index("id")
    assert df.loc["CN-2024-US", "measure"] == "ban aimed at importers"
    assert df.loc["CN-2024-US", "target"] == "USA"
    jp = df.loc["CN-2010-JPN"]
    assert (jp.target, jp.effective, jp.lifted, jp.export_share_covered) == (
        "JPN",
        "2010-09-21",
        "2010-10-28",
        "0.5",
    )


def test_lifted_measures_and_the_wto_record() -> None:
    df = read_restrictions().set_index("id")
    assert df.loc["CN-REE-quota", "lifted"] == "2015-01-01"  # quotas abolished after DS431-433
    assert df.loc["CN-REE-W-Mo-In-tax", "lifted"] == "2015-05-01"
    co_ban, co_quota = df.loc["CD-2025-Co-ban"], df.loc["CD-2025-Co-quota"]
    assert str(co_ban["lifted"]) == str(co_quota["effective"]) == "2025-10-16"
    assert df.loc["ID-2020-Ni", "lifted"] is None  # still in force


def _rows() -> tuple[list[str], list[dict[str, str]]]:
    text = default_path().read_text("utf-8")
    reader = csv.DictReader(io.StringIO(text))
    return list(reader.fieldnames or []), list(reader)


def _write(tmp_path: Path, fields: list[str], rows: list[dict[str, str]]) -> Path:
    p = tmp_path / "r.csv"
    with p.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return p


@pytest.mark.parametrize(
    ("row_id", "changes", "field"),
    [
        ("CN-2023-GaGe", {"effective": "2023-13-45x"}, "effective"),
        ("CN-2023-GaGe", {"effective": "2023-02-30"}, "effective"),  # not a calendar date
        ("CN-2023-GaGe", {"effective": ""}, "effective"),
        ("CN-2023-GaGe", {"country": "XXX"}, "country"),
        ("CN-2023-GaGe", {"minerals": "gallium;unobtainium"}, "minerals"),
        ("CN-2024-Sb", {"effective": "2024-08-01"}, "effective"),  # before announced
        ("CN-REE-quota", {"lifted": "2004-12-31"}, "lifted"),  # before effective
        ("CN-REE-quota", {"lifted": "2015-1-1"}, "lifted"),
        ("CN-2024-US", {"suspended_until": "2025-01-01"}, "suspended_until"),
        ("CN-2024-US", {"target": "all"}, "target"),  # a targeted ban without importers
        ("CN-2024-US", {"target": "USA;XYZ"}, "target"),
        ("CN-2024-US", {"target": "CHN"}, "target"),  # the exporter itself
        ("CN-2010-JPN", {"export_share_covered": "1.5"}, "export_share_covered"),
        ("CN-2010-JPN", {"export_share_covered": "-0.1"}, "export_share_covered"),
        ("CN-2010-JPN", {"export_share_covered": "half"}, "export_share_covered"),
        ("CN-2010-JPN", {"export_share_covered": "nan"}, "export_share_covered"),
        ("CN-2010-JPN", {"measure": "embargo"}, "measure"),
        ("CN-2010-JPN", {"confidence": "high"}, "confidence"),
        ("CN-2010-JPN", {"source": "  "}, "source"),
        ("CD-2025-Co-ban", {"stage": "smelt"}, "stage"),
    ],
)
def test_broken_rows_are_named(
    tmp_path: Path, row_id: str, changes: dict[str, str], field: str
) -> None:
    fields, rows = _rows()
    n = next(i for i, r in enumerate(rows) if r["id"] == row_id)
    rows[n].update(changes)
    p = _write(tmp_path, fields, rows)
    with pytest.raises(DataError, match=rf"r\.csv, row {n + 2}, field '{field}'"):
        read_restrictions(p)


def test_duplicate_ids_and_missing_columns(tmp_path: Path) -> None:
    fields, rows = _rows()
    with pytest.raises(DataError, match=r"field 'id': expected unique ids"):
        read_restrictions(_write(tmp_path, fields, [*rows, rows[0]]))
    without_source = [f for f in fields if f != "source"]
    stripped = [{k: v for k, v in r.items() if k != "source"} for r in rows]
    with pytest.raises(DataError, match=r"row 1, field 'source'"):
        read_restrictions(_write(tmp_path, without_source, stripped))


def test_a_table_in_the_old_columns_still_reads(tmp_path: Path) -> None:
    _, rows = _rows()
    old = [{k: r[k] for k in COLUMNS} for r in rows]
    df = read_restrictions(_write(tmp_path, list(COLUMNS), old))
    assert len(df) == len(rows)
    assert df["lifted"].isna().all() and df["export_share_covered"].isna().all()


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    fields, rows = _rows()
    rows[0].update({"country": "XXX", "measure": "embargo"})
    rows[1].update({"lifted": "1999-01-01"})
    with pytest.raises(DataError) as exc:
        read_restrictions(_write(tmp_path, fields, rows))
    assert len(exc.value.problems) >= 3
    assert "ban aimed at importers" in MEASURES
