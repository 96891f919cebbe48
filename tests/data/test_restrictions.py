from pathlib import Path

import pytest

from critmin.data.errors import DataError
from critmin.data.restrictions import default_path, read_restrictions


def test_shipped_table_is_valid_and_sourced() -> None:
    df = read_restrictions()
    assert len(df) >= 8
    assert df["source"].notna().all()
    ga = df[df.id == "CN-2023-GaGe"].iloc[0]
    assert (ga.announced, ga.effective, ga.country) == ("2023-07-03", "2023-08-01", "CHN")
    sb = df[df.id == "CN-2024-Sb"].iloc[0]
    assert sb.effective == "2024-09-15"


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("2023-08-01", "2023-13-45x", "effective"),
        (",CHN,gallium", ",XXX,gallium", "country"),
        ("gallium;germanium", "gallium;unobtainium", "minerals"),
        ("2024-09-15", "2024-08-01", "effective"),
    ],
)
def test_broken_rows_are_named(tmp_path: Path, old: str, new: str, field: str) -> None:
    text = default_path().read_text("utf-8").replace(old, new, 1)
    p = tmp_path / "r.csv"
    p.write_text(text, "utf-8")
    with pytest.raises(DataError, match=rf"r\.csv, row \d+, field '{field}'"):
        read_restrictions(p)
