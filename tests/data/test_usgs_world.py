"""The USGS world-file importer on real rows, on invariants, and on a corpus of broken files."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from critmin.data.cells import parse_cell
from critmin.data.errors import DataError
from critmin.data.units import UNITS
from critmin.data.usgs_world import import_world, read_world
from tests.rawdata import raw_root

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "usgs_world"


@pytest.fixture(scope="module")
def world2024() -> pd.DataFrame:
    raw = raw_root()
    return import_world(raw / "usgs-mcs2024-world", raw)


@pytest.fixture(scope="module")
def all_world() -> pd.DataFrame:
    raw = raw_root()
    folders = ("usgs-mcs2024-world", "usgs-mcs2023-world", "usgs-mcs2022-selected")
    return pd.concat([import_world(raw / f, raw) for f in folders], ignore_index=True)


def _one(df: pd.DataFrame, **kw: object) -> pd.Series:
    sel = df
    for k, v in kw.items():
        sel = sel[sel[k] == v]
    assert len(sel) == 1, f"{kw} matched {len(sel)} rows"
    return sel.iloc[0]


def test_china_primary_gallium_2023(world2024: pd.DataFrame) -> None:
    r = _one(world2024, mineral="gallium", stage="refine", measure="production",
             country="CHN", year=2023)  # fmt: skip
    assert (r.value, r.unit, r.status) == (600_000.0, "kg", "estimated")
    assert r.file == "usgs-mcs2024-world/mcs2024-galli_world.csv"
    assert (r.row, r.column, r.cell) == (3, "Prod_kg_est_2023", "600000")


def test_us_lithium_2023_is_withheld_not_zero(world2024: pd.DataFrame) -> None:
    r = _one(world2024, mineral="lithium", stage="mine", measure="production",
             country="USA", year=2023)  # fmt: skip
    assert r.status == "withheld"
    assert math.isnan(r.value)


def test_quoted_thousands_and_footnoted_names(world2024: pd.DataFrame) -> None:
    cap = _one(world2024, mineral="gallium", measure="capacity", entity="Other countries",
               year=2023)  # fmt: skip
    assert cap.value == 88_000.0 and cap.cell == "88,000"
    jp = _one(world2024, mineral="gallium", measure="production", country="JPN", year=2022)
    # "Japane": the footnote e marks the figure as estimated.
    assert jp.status == "estimated" and jp.entity == "Japan"


def test_units_change_between_editions_are_converted(all_world: pd.DataFrame) -> None:
    # Copper is published in kt; critmin stores tonnes. DRC 2022 mine: 2,350 kt.
    r = _one(all_world[all_world.source == "USGS MCS 2024"], mineral="copper", stage="mine",
             measure="production", country="COD", year=2022)  # fmt: skip
    assert (r.value, r.unit, r.column) == (2_350_000.0, "t", "Prod_kt_2022")
    # Cobalt 2022 from two editions, both in t, the newer one revised.
    both = all_world[(all_world.mineral == "cobalt") & (all_world.country == "COD")
                     & (all_world.year == 2022) & (all_world.measure == "production")]  # fmt: skip
    assert set(both.source) >= {"USGS MCS 2023", "USGS MCS 2024"}


def test_copper_has_mine_and_refinery_stages(world2024: pd.DataFrame) -> None:
    cu = world2024[(world2024.mineral == "copper") & (world2024.year == 2023)
                   & (world2024.entity_kind == "country")]  # fmt: skip
    assert set(cu.stage) == {"mine", "refine"}
    chn = _one(cu, stage="refine", country="CHN", measure="production")
    assert chn.value == 12_000_000.0


def test_source_errata_are_kept_and_explained(all_world: pd.DataFrame) -> None:
    r = _one(all_world, mineral="zinc", measure="reserves", country="AUS",
             source="USGS MCS 2023")  # fmt: skip
    assert math.isnan(r.value) and r.cell.strip() == "1,166,000" and "erratum" in r.note


def test_no_aggregate_is_a_country(all_world: pd.DataFrame) -> None:
    countries = all_world[all_world.entity_kind == "country"]
    assert countries.country.notna().all()
    assert not countries.entity.str.contains(r"(?i)^(?:other|world|total)").any()
    assert all_world.loc[all_world.entity_kind != "country", "country"].isna().all()


def test_every_figure_reparses_from_its_cell(all_world: pd.DataFrame) -> None:
    numeric = all_world[all_world.value.notna()]
    single = numeric[~numeric.cell.str.contains(" + ", regex=False)]
    for r in single.sample(min(500, len(single)), random_state=0).itertuples():
        assert not math.isnan(parse_cell(r.cell).value)
    # A country's parts summed into one row (helium, titanium) keep every part's cell.
    for r in numeric[numeric.cell.str.contains(" + ", regex=False)].itertuples():
        cells = [parse_cell(c) for c in str(r.cell).split(" + ")]
        total = sum(c.value for c in cells if c.value == c.value)
        assert any(r.value == pytest.approx(total * f) for f in (1e-3, 1.0, 1e3, 1e6)), r
        assert "critmin: sum of" in str(r.note)
    assert set(all_world.unit) <= set(UNITS)
    assert (numeric.value >= 0).all()
    assert not ((all_world.status == "reported") & all_world.value.isna()).any()


def test_countries_sum_to_world_total_within_rounding(all_world: pd.DataFrame) -> None:
    """Countries plus 'Other countries' match the reported (rounded) world total."""
    prod = all_world[all_world.measure == "production"]
    key = ["source", "mineral", "stage", "product", "year"]
    worst: list[tuple[object, ...]] = []
    checked = 0
    for k, g in prod.groupby(key):
        world = g.loc[g.entity_kind == "world", "value"]
        parts = g[g.entity_kind.isin(["country", "other"])]
        if len(world) != 1 or math.isnan(world.iloc[0]) or parts.value.isna().any():
            continue  # withheld or missing figures make the sum a lower bound only
        if (parts.entity_kind == "country").sum() < 2:
            continue  # a world row whose product no country row shares (talc, soda ash)
        w, s = float(world.iloc[0]), float(parts.value.sum())
        if w == 0:
            continue
        checked += 1
        if abs(s - w) / w > 0.06:
            worst.append((*k, s, w))
    assert checked > 100
    # USGS rounds world totals to two or three significant figures. A gap beyond 6 % would
    # be a parsing or unit error.
    assert worst == []


def test_gallium_golden_against_2023_edition(all_world: pd.DataFrame) -> None:
    r = _one(all_world, mineral="gallium", measure="production", country="CHN", year=2021,
             source="USGS MCS 2023")  # fmt: skip
    assert r.value == 423_000.0 and r.status == "reported"


CASES = {
    "unclosed-quote": (2, None, "well-formed CSV"),
    "unknown-country": (3, "Country", "Atlantis"),
    "text-number": (2, "Prod_t_est_2023", "abc"),
    "negative": (2, "Prod_t_2022", "non-negative"),
    "duplicate": (3, "Country", "one row per country"),
    "share-over-100": (2, "Prod_t_2022", "world total"),
    "empty": (1, None, "the file is empty"),
    "missing-country-column": (1, "Country", "a column"),
    "unit-change": (2, "Prod_t_2022", "unit t"),
    "unit-change-mid-file": (3, "Prod_t_2022", "unit t"),
    "latin1": (None, None, "UTF-8"),
    "unknown-unit": (1, "Prod_tonnes_2022", "a column like"),
    "blank-country": (2, "Country", "a country name"),
    "wrong-edition": (2, "Source", "MCS2024"),
    "net-exporter-in-production": (2, "Prod_t_est_2023", "'E'"),
    "no-value-columns": (1, None, "at least one column"),
    "header-only": (None, None, "at least one data row"),
    "bad-bound": (2, "Prod_t_est_2023", "bound"),
    "unknown-commodity": (None, None, "a known USGS commodity code"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_files_name_file_row_and_field(case: str) -> None:
    path = next((CORPUS / case).glob("*.csv"))
    row, field, expected = CASES[case]
    with pytest.raises(DataError) as info:
        read_world(path, CORPUS)
    msg = str(info.value)
    assert f"{case}/{path.name}" in msg
    if row is not None:
        assert f"row {row}" in msg
    if field is not None:
        assert f"field '{field}'" in msg
    assert expected in msg


def test_corpus_covers_every_case() -> None:
    assert {p.name for p in CORPUS.iterdir()} == set(CASES)
