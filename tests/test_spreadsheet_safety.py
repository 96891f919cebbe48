"""Outputs safe to open: text from users' files never becomes a live spreadsheet formula."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from critmin.cli.output import Format, render
from critmin.report.brief import _write_tables

HOSTILE = ["=HYPERLINK(\"http://evil\",\"x\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)",
           "\tX", "Congo (Kinshasa)"]  # fmt: skip


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"supplier": HOSTILE, "value": [1.0, -2.0, 3.0, 4.0, 5.0, 6.0]})


def test_cli_csv_neutralises_formula_cells(capsys: pytest.CaptureFixture[str]) -> None:
    render(_frame(), Format.csv)
    out = capsys.readouterr().out
    rows = pd.read_csv(pd.io.common.StringIO(out), dtype=str, keep_default_na=False)
    assert rows["supplier"].tolist()[:5] == ["'" + v for v in HOSTILE[:5]]
    assert rows["supplier"].iloc[5] == "Congo (Kinshasa)"
    assert rows["value"].tolist()[1] == "-2.0"  # numbers are numbers, not text


def test_brief_tables_csv_and_xlsx_hold_no_formula(tmp_path: Path) -> None:
    _write_tables(tmp_path, {"sourcing": _frame()})
    csv = (tmp_path / "tables" / "sourcing.csv").read_text("utf-8")
    assert "\n=HYPERLINK" not in csv and "'=HYPERLINK" in csv
    wb = openpyxl.load_workbook(tmp_path / "brief.xlsx")
    cells = [c.value for c in wb["sourcing"]["A"]][1:]
    assert all(not (isinstance(v, str) and v.startswith(("=", "+", "-", "@"))) for v in cells)
    assert all(c.data_type != "f" for c in wb["sourcing"]["A"])
