"""Tests of the USGS-style supply risk approximation (critmin.metrics.usgs_style)."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import critmin
from critmin.data.catalogue import MINERALS
from critmin.metrics.usgs_style import (
    EV_MISSING,
    LABEL,
    RESULT_COLUMNS,
    disruption_potential,
    geometric_mean,
    governance_weight,
    usgs_style_risk,
)


def test_geometric_mean() -> None:
    assert geometric_mean([0.64, 0.25]) == pytest.approx(0.4)
    assert geometric_mean([0.8, 0.5, 0.2]) == pytest.approx(0.08 ** (1 / 3))
    assert geometric_mean([0.9, 0.0, 0.7]) == 0.0  # a zero factor → no supply risk
    assert math.isnan(geometric_mean([0.5, float("nan")]))
    with pytest.raises(ValueError):
        geometric_mean([])


@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=3))
def test_geometric_mean_bounds(xs: list[float]) -> None:
    g = geometric_mean(xs)
    assert 0.0 <= g <= 1.0
    assert min(xs) - 1e-12 <= g <= max(xs) + 1e-12


@given(st.floats(-4.0, 4.0))
def test_governance_weight_bounds(mean6: float) -> None:
    assert 0.0 <= governance_weight(mean6) <= 1.0


def test_disruption_potential() -> None:
    dp = disruption_potential({"CHN": 0.98, "JPN": 0.02}, pd.Series({"CHN": 0.6, "JPN": 0.2}))
    assert dp == pytest.approx(0.98**2 * 0.6 + 0.02**2 * 0.2)


@pytest.fixture(scope="module")
def risk() -> pd.DataFrame:
    return usgs_style_risk(critmin.load())


def test_columns_and_label(risk: pd.DataFrame) -> None:
    assert list(risk.columns) == RESULT_COLUMNS
    assert risk["mineral"].tolist() == [m.id for m in MINERALS]
    assert (risk["label"] == LABEL).all()
    assert risk["ev"].isna().all() and (risk["n_factors"] == 2).all()


def test_bounds(risk: pd.DataFrame) -> None:
    for c in ("dp", "te", "score"):
        v = risk[c].dropna()
        assert ((v >= 0) & (v <= 1)).all(), c
    # The USGS reports no net import reliance per rare-earth element: those minerals say so.
    elements = risk["mineral"].isin(["neodymium", "praseodymium", "dysprosium", "terbium",
                                     "samarium"])  # fmt: skip
    assert risk.loc[~elements, "score"].notna().all()
    missing = risk.loc[elements & risk["score"].isna(), "notes"]
    assert missing.str.contains("insufficient data").all()


def test_order_semiconductor_and_magnet_above_copper(risk: pd.DataFrame) -> None:
    r = risk.set_index("mineral")["score"]
    for m in ("gallium", "germanium", "rare_earths"):
        assert r[m] > r["copper"], m


def test_net_exporter_scores_zero(risk: pd.DataFrame) -> None:
    # Geometric mean: TE = 0 (the US imports none on net) gives 0 — no trade exposure, no
    # foreign supply risk, as the USGS logic has it.
    mo = risk.set_index("mineral").loc["molybdenum"]
    assert mo["te"] == 0.0 and mo["te_text"] == "net exporter"
    assert mo["dp"] > 0 and mo["score"] == 0.0
    assert "net exporter" in mo["notes"]


def test_bound_is_stated(risk: pd.DataFrame) -> None:
    ge = risk.set_index("mineral").loc["germanium"]
    assert ge["te"] == 0.5 and "bound '>50'" in ge["notes"]


def test_missing_ev_nan_choice() -> None:
    df = usgs_style_risk(critmin.load(), missing_ev="nan")
    assert df["score"].isna().all()
    assert df["notes"].str.contains(EV_MISSING, regex=False).all()


def test_ev_given() -> None:
    ds = critmin.load()
    base = usgs_style_risk(ds).set_index("mineral")
    df = usgs_style_risk(ds, ev={"gallium": 0.5}).set_index("mineral")
    g = df.loc["gallium"]
    assert g["n_factors"] == 3
    assert g["score"] == pytest.approx((g["dp"] * g["te"] * 0.5) ** (1 / 3))
    assert df.loc["copper", "score"] == pytest.approx(base.loc["copper", "score"])
    with pytest.raises(ValueError):
        usgs_style_risk(ds, missing_ev="drop")  # type: ignore[arg-type]
