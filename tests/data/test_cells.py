import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from critmin.data.cells import CellError, parse_cell


@pytest.mark.parametrize(
    ("text", "value", "status"),
    [
        ("600000", 600000.0, "reported"),
        ("1,100,000", 1100000.0, "reported"),
        ("1230 ", 1230.0, "reported"),
        ("e150", 150.0, "estimated"),
        ("W", math.nan, "withheld"),
        ("NA", math.nan, "missing"),
        ("", math.nan, "missing"),
        ("E", math.nan, "net_exporter"),
        ("Included with ilmenite", math.nan, "included_elsewhere"),
    ],
)
def test_cells_of_real_files(text: str, value: float, status: str) -> None:
    c = parse_cell(text)
    assert c.status == status
    assert (math.isnan(c.value) and math.isnan(value)) or c.value == value


def test_withheld_is_never_zero() -> None:
    assert math.isnan(parse_cell("W").value)


def test_bounds_are_kept_as_bounds() -> None:
    gt = parse_cell(">50")
    lt = parse_cell("<1")
    rng = parse_cell("500–14,000")
    assert (gt.status, gt.low, math.isnan(gt.high)) == ("bound", 50.0, True)
    assert (lt.status, lt.low, lt.high) == ("bound", 0.0, 1.0)
    assert (rng.low, rng.high) == (500.0, 14000.0)


def test_estimated_column_marks_reported_numbers() -> None:
    assert parse_cell("5", estimated=True).status == "estimated"
    assert parse_cell("W", estimated=True).status == "withheld"


@pytest.mark.parametrize("text", ["abc", "12a", ">", "1.2.3", "--5"])
def test_text_where_a_number_is_expected(text: str) -> None:
    with pytest.raises(CellError):
        parse_cell(text)


@given(st.integers(min_value=0, max_value=10**12))
def test_thousands_separators_round_trip(n: int) -> None:
    assert parse_cell(f"{n:,}").value == float(n)
    assert parse_cell(str(n)).value == float(n)
