"""Magnet rare-earth elements: the MYB 2022 tables, the modelled element rows, the price table."""

from __future__ import annotations

import math
import types

import pandas as pd
import pytest

from critmin.data.catalogue import MINERAL_IDS, mineral
from critmin.data.dataset import load
from critmin.data.magnet_ree import ELEMENT_OF, derive, element_shares
from critmin.data.prices import NO_PRICE, price_table
from critmin.data.usgs_myb_ree import (
    MYB_2022,
    load_deposits,
    load_oxide_prices,
    read_deposits,
    read_oxide_prices,
)
from critmin.policy.costs import load_prices
from tests.rawdata import raw_root


def test_catalogue_has_the_magnet_elements() -> None:
    for mid in ("neodymium", "praseodymium", "dysprosium", "terbium", "samarium"):
        assert mid in MINERAL_IDS
        assert mineral(mid).group == "magnet"
    assert "rare_earths" in MINERAL_IDS
    assert set(mineral("dysprosium").basis) == {"mine", "refine"}
    assert set(mineral("samarium").basis) == {"mine"}


def test_myb_golden_values_from_the_workbook() -> None:
    raw = raw_root()
    t2 = read_deposits(raw / MYB_2022, raw)
    t3 = read_oxide_prices(raw / MYB_2022, raw)

    def share(loc: str, el: str) -> float:
        row = t2[t2.location.str.startswith(loc) & (t2.element == el)]
        return float(row.share_pct.iloc[0])

    assert share("Bayan Obo", "Nd") == 18.5
    assert share("Mountain Pass", "Pr") == 4.2
    assert share("Longnan", "Dy") == 7.48
    assert math.isnan(share("Mountain Pass", "Dy"))
    assert (
        t2[t2.location.str.startswith("Longnan") & (t2.element == "Ce")].status.iloc[0] == "bound"
    )

    def price(el: str, year: int) -> float:
        return float(t3[(t3.element == el) & (t3.year == year)].value.iloc[0])

    assert price("Dy", 2022) == 382.0
    assert price("Tb", 2022) == 2050.0
    assert price("Nd", 2021) == 98.0
    # The packaged copies are what the importer makes of the workbook.
    cols = ["location", "element", "share_pct", "status"]
    pd.testing.assert_frame_equal(load_deposits()[cols], t2[cols], check_dtype=False)
    cols = ["element", "year", "value", "purity_pct"]
    pd.testing.assert_frame_equal(load_oxide_prices()[cols], t3[cols], check_dtype=False)


@pytest.mark.parametrize(
    ("iso3", "reo"), [("CHN", 240000.0), ("MMR", 38000.0), ("USA", 43000.0), ("AUS", 18000.0)]
)
def test_element_shares_sum_below_one_with_ordered_ranges(iso3: str, reo: float) -> None:
    shares = element_shares(iso3, reo)
    assert set(shares) == set(ELEMENT_OF.values())
    assert sum(s.central for s in shares.values()) <= 1.0
    assert sum(s.high for s in shares.values()) <= 1.0
    for s in shares.values():
        assert 0.0 <= s.low <= s.central <= s.high <= 1.0


def test_derived_rows_are_modelled_ordered_and_balance_the_iea_total() -> None:
    prod = load().production
    rows = derive(prod)
    assert set(rows.mineral) == set(ELEMENT_OF)
    mod = rows[rows.status == "modelled"]
    assert (mod.low <= mod.value + 1e-9).all() and (mod.value <= mod.high + 1e-9).all()
    assert rows[rows.status != "modelled"].value.isna().all()
    # Mine: per country, element oxides never exceed the country's REO.
    mine = mod[
        (mod.stage == "mine") & (mod.year == 2023) & mod.source.str.startswith("USGS MCS 2024")
    ]
    reo = prod[(prod.mineral == "rare_earths") & (prod.stage == "mine") & (prod.year == 2023)
               & (prod.source == "USGS MCS 2024") & (prod.measure == "production")]  # fmt: skip
    reo_by = reo.set_index("country").value
    for iso, g in mine.groupby("country"):
        assert g.value.sum() <= reo_by[iso]
    # Refine: the four elements add up to each country's IEA magnet-REE figure.
    ref = rows[rows.stage == "refine"]
    china = ref[ref.country == "CHN"]
    assert china.value.sum() == pytest.approx(70300.0)
    dy = ref[ref.mineral == "dysprosium"]
    assert dy[dy.country == "CHN"].value.sum() / dy.value.sum() == pytest.approx(1.0)


def test_every_catalogue_mineral_is_in_the_price_table() -> None:
    t = price_table(load())
    assert set(MINERAL_IDS) <= set(t.mineral)
    for mid, g in t.groupby("mineral"):
        assert (g.status == NO_PRICE).all() or g.usd_per_t.notna().any(), mid
    nd = t[(t.mineral == "neodymium") & (t.year == 2022)].iloc[0]
    assert (nd.value, nd.unit, nd.usd_per_t) == (134.0, "USD/kg", 134000.0)
    pr = t[(t.mineral == "praseodymium") & (t.year == 2022)].iloc[0]
    # MCS 2026's "Praseodymium oxide, 99.99% minimum" (the newest edition) gives MYB 2022
    # T3's figures for 2021-2022 (93, 128) and runs to 2025 (decision 0038).
    assert (pr.value, pr.source) == (128.0, "USGS MCS 2026")
    pr25 = t[(t.mineral == "praseodymium") & (t.year == 2025)].iloc[0]
    assert (pr25.value, pr25.status) == (74.0, "estimated")
    ars = t[(t.mineral == "arsenic") & (t.year == 2025)].iloc[0]  # MCS 2026, USD/lb
    assert (ars.value, ars.unit, ars.source) == (1.85, "USD/lb", "USGS MCS 2026")


def test_price_table_takes_the_newest_edition_in_either_naming() -> None:
    """An MCS 2026-style row (spelled-out variable and unit) beats the older edition."""
    # The editions before 2026, so that only the two rows below are in the 2026 style.
    sal = load().salient
    sal = sal[sal["edition"] < 2026]
    new = pd.DataFrame(
        [{"mineral": "rare_earths", "commodity": "Neodymium", "year": 2023, "category": "price",
          "variable": "Price, average, dollars per kilogram: Neodymium oxide, 99.5% minimum",
          "value": 78.0, "unit": "dollars per kilogram", "status": "reported", "low": math.nan,
          "high": math.nan, "source": "USGS MCS 2026", "edition": 2026, "prov": ""},
         {"mineral": "rare_earths", "commodity": "Rare Earths", "year": 2024, "category": "price",
          "variable": "Price, average: Neodymium-praseodymium (NdPr) oxide, 99% minimum",
          "value": 55.0, "unit": "USD/kg", "status": "reported", "low": math.nan,
          "high": math.nan, "source": "USGS MCS 2026", "edition": 2026, "prov": ""}]
    )  # fmt: skip
    ds = types.SimpleNamespace(salient=pd.concat([sal, new], ignore_index=True))
    t = price_table(ds)  # type: ignore[arg-type]
    nd = t[(t.mineral == "neodymium") & (t.year == 2023)].iloc[0]
    assert (nd.value, nd.source, nd.usd_per_t) == (78.0, "USGS MCS 2026", 78000.0)
    assert t[(t.mineral == "neodymium") & (t.year == 2022)].source.iloc[0] == "USGS MCS 2024"
    assert t[t.mineral == "ndpr_oxide"].value.tolist() == [55.0]
    # The NdPr row is not taken for Nd or Pr.
    assert 2024 not in set(t[t.mineral.isin(["neodymium", "praseodymium"])].year.dropna())


def test_load_prices_from_the_table_matches_the_packaged_prices() -> None:
    # The packaged prices.csv was written from the editions up to MCS 2024: the table built
    # from those editions must reproduce it (MCS 2026 revises some years and adds newer ones).
    sal = load().salient
    ds = types.SimpleNamespace(salient=sal[sal["edition"] <= 2024])
    old = load_prices().set_index("mineral")
    new = load_prices(table=price_table(ds)).set_index("mineral")  # type: ignore[arg-type]
    common = old.index.intersection(new.index)
    assert len(common) == len(old)
    pd.testing.assert_series_equal(
        old.loc[common, "usd_per_t"], new.loc[common, "usd_per_t"], rtol=1e-5, check_names=False
    )
    assert {"neodymium", "dysprosium", "terbium", "praseodymium"} <= set(new.index)
