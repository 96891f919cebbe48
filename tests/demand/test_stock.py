"""Tests of the AI-hardware dynamic stock model and end-of-life recovery."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.data.errors import DataError
from critmin.demand.stock import (
    COMPONENTS,
    DIMS,
    load_lifetimes,
    load_recycling,
    recoverable,
    stock_model,
    weibull_params,
)

LT = load_lifetimes()


def _inflow(
    values: np.ndarray, minerals: list[str], comps: list[str], y0: int = 2025
) -> xr.DataArray:
    years = list(range(y0, y0 + values.shape[0]))
    return xr.DataArray(
        values, coords={"year": years, "mineral": minerals, "component": comps}, dims=DIMS
    )


def _survival(comp: str, age: float) -> float:
    """Independent survival function: share of a cohort still in use at ``age`` years."""
    row = LT.loc[comp]
    mean, std = float(row["mean_central"]), float(row["std_central"])
    if row["distribution"] == "normal":
        return 0.5 * math.erfc((age - mean) / (std * math.sqrt(2.0)))
    k, lam = weibull_params(mean, std)
    return math.exp(-((age / lam) ** k)) if age > 0 else 1.0


def _naive(inflow: xr.DataArray) -> tuple[np.ndarray, np.ndarray]:
    """Oracle: explicit loops over cohorts. Inflow mid-year, stock at end of year."""
    q = inflow.values
    n_t, n_m, n_c = q.shape
    stock = np.zeros(q.shape)
    outflow = np.zeros(q.shape)
    for ic in range(n_c):
        comp = str(inflow["component"].values[ic])
        for im in range(n_m):
            for c in range(n_t):  # cohort
                prev = 1.0
                for t in range(c, n_t):
                    s = _survival(comp, t - c + 0.5)
                    stock[t, im, ic] += q[c, im, ic] * s
                    outflow[t, im, ic] += q[c, im, ic] * (prev - s)
                    prev = s
    return stock, outflow


def _rel_close(a: np.ndarray, b: np.ndarray, rel: float = 1e-9) -> bool:
    scale = max(float(np.abs(a).max(initial=0.0)), float(np.abs(b).max(initial=0.0)), 1e-300)
    return float(np.abs(a - b).max(initial=0.0)) <= rel * scale


def test_components_and_defaults_load() -> None:
    assert set(LT.index) == set(COMPONENTS)
    assert set(LT["status"]) <= {"sourced", "modelled"}
    rr = load_recycling()
    assert ((rr["default_rate"] >= 0) & (rr["default_rate"] <= 1)).all()
    assert float(rr.loc["copper", "default_rate"]) == 0.43


def test_mass_balance_every_year_mineral_component() -> None:
    rng = np.random.default_rng(1)
    q = rng.uniform(0, 1000, size=(30, 3, len(COMPONENTS)))
    res = stock_model(_inflow(q, ["copper", "gallium", "lithium"], list(COMPONENTS)))
    ds = res.stock.diff("year", label="upper")
    lhs = (res.inflow - res.outflow).isel(year=slice(1, None))
    assert _rel_close(lhs.values, ds.values)
    assert _rel_close((res.inflow - res.outflow).isel(year=0).values, res.stock.isel(year=0).values)
    assert (res.stock.values >= -1e-9).all() and (res.outflow.values >= -1e-9).all()


def test_mass_balance_with_case_dim_and_dataframe_input() -> None:
    rows = [
        {"year": y, "mineral": "copper", "component": c, "case": k, "t": 10.0 * (y - 2024)}
        for y in range(2025, 2041)
        for c in ("cooling", "server boards")
        for k in ("base", "high")
    ]
    res = stock_model(pd.DataFrame(rows))
    assert res.stock.dims == (*DIMS, "case")
    bal = res.inflow - res.outflow - res.stock.diff("year", label="upper")
    assert float(abs(bal).max()) <= 1e-9 * float(res.stock.max())


@pytest.mark.parametrize("comp", COMPONENTS)
def test_single_pulse_retires_fully(comp: str) -> None:
    q = np.zeros((200, 1, 1))
    q[0] = 1.0
    res = stock_model(_inflow(q, ["copper"], [comp]))
    assert float(res.outflow.sum()) == pytest.approx(1.0, abs=1e-9)
    assert float(res.stock.isel(year=-1).sum()) == pytest.approx(0.0, abs=1e-9)


def test_normal_mean_retirement_year_equals_mean() -> None:
    comp = "accelerator package and HBM"
    q = np.zeros((40, 1, 1))
    q[0] = 1.0
    res = stock_model(_inflow(q, ["gallium"], [comp]))
    out = res.outflow.squeeze().values
    mean_age = float((out * np.arange(out.size)).sum() / out.sum())
    assert mean_age == pytest.approx(float(LT.loc[comp, "mean_central"]), abs=2e-3)
    # the high variant moves the mean
    res_hi = stock_model(_inflow(q, ["gallium"], [comp]), variant="high")
    out_hi = res_hi.outflow.squeeze().values
    mean_hi = float((out_hi * np.arange(out_hi.size)).sum() / out_hi.sum())
    assert mean_hi == pytest.approx(float(LT.loc[comp, "mean_high"]), abs=2e-3)


def test_weibull_params_match_moments() -> None:
    for mean, std in [(10.0, 3.0), (35.0, 7.0), (5.0, 4.0)]:
        k, lam = weibull_params(mean, std)
        m = lam * math.gamma(1 + 1 / k)
        v = lam**2 * (math.gamma(1 + 2 / k) - math.gamma(1 + 1 / k) ** 2)
        assert m == pytest.approx(mean, rel=1e-9)
        assert math.sqrt(v) == pytest.approx(std, rel=1e-9)


@settings(max_examples=25, deadline=None)
@given(
    n_years=st.integers(1, 14),
    n_min=st.integers(1, 2),
    comps=st.lists(st.sampled_from(COMPONENTS), min_size=1, max_size=4, unique=True),
    seed=st.integers(0, 2**32 - 1),
)
def test_matches_naive_oracle(n_years: int, n_min: int, comps: list[str], seed: int) -> None:
    rng = np.random.default_rng(seed)
    q = rng.uniform(0, 100, size=(n_years, n_min, len(comps)))
    q[rng.uniform(size=q.shape) < 0.3] = 0.0
    inflow = _inflow(q, ["copper", "cobalt"][:n_min], comps)
    res = stock_model(inflow)
    stock, outflow = _naive(inflow)
    assert _rel_close(res.stock.values, stock)
    assert _rel_close(res.outflow.values, outflow)


def test_zero_inflow_gives_zero_stock_and_outflow() -> None:
    res = stock_model(_inflow(np.zeros((10, 2, 3)), ["copper", "tin"], list(COMPONENTS[:3])))
    assert not res.stock.values.any() and not res.outflow.values.any()


def test_recoverable_bounded_and_scales() -> None:
    rng = np.random.default_rng(3)
    q = rng.uniform(0, 50, size=(25, 4, 2))
    minerals = ["copper", "cobalt", "gallium", "helium"]
    out = stock_model(_inflow(q, minerals, ["cooling", "server boards"])).outflow
    rec = recoverable(out)
    assert (rec.values <= out.values + 1e-12).all() and (rec.values >= 0).all()
    assert rec.attrs["minerals_without_rate"] == ["helium"]
    assert float(rec.sel(mineral="helium").sum()) == 0.0
    assert float(rec.sel(mineral="gallium").sum()) == 0.0
    np.testing.assert_allclose(rec.sel(mineral="copper"), 0.43 * out.sel(mineral="copper"))
    half = recoverable(out, rates=0.5)
    np.testing.assert_allclose(half.values, 0.5 * recoverable(out, rates=1.0).values)
    np.testing.assert_allclose(half.values, 0.5 * out.values)
    cr = recoverable(out, collection=0.4, recovery={"copper": 0.9, "cobalt": 0.5})
    np.testing.assert_allclose(cr.sel(mineral="copper"), 0.36 * out.sel(mineral="copper"))
    per_comp = xr.DataArray([0.2, 0.8], coords={"component": ["cooling", "server boards"]})
    pc = recoverable(out, collection=per_comp)
    np.testing.assert_allclose(pc.sel(component="cooling"), 0.2 * out.sel(component="cooling"))
    with pytest.raises(ValueError):
        recoverable(out, rates=1.5)
    with pytest.raises(ValueError):
        recoverable(out, rates=0.5, collection=0.5)


def test_bad_inflow_rejected() -> None:
    good = np.ones((5, 1, 1))
    with pytest.raises(ValueError, match="unknown components"):
        stock_model(_inflow(good, ["copper"], ["servers"]))
    with pytest.raises(ValueError, match="negative"):
        stock_model(_inflow(-good, ["copper"], ["cooling"]))
    gap = _inflow(good, ["copper"], ["cooling"]).assign_coords(year=[2025, 2026, 2028, 2029, 2030])
    with pytest.raises(ValueError, match="consecutive"):
        stock_model(gap)


# --- bad-input corpus: each file → DataError naming file, row and field ------------------------

LT_HEADER = "component,distribution,mean_low,mean_central,mean_high,std_central,status,source\n"
LT_OK = "cooling,weibull,10,15,20,4,modelled,modelled range\n"
RR_HEADER = (
    "mineral,eol_rr_low,eol_rr_high,eol_rr_source,eu_eol_rir,eu_eol_rir_source,"
    "recovery_target,recovery_target_source,default_rate,default_basis,status\n"
)
RR_OK = "cobalt,0.68,0.68,UNEP 2011,0.22,EU 2023,,,0.68,unep_eol_rr_low,sourced\n"

LT_BAD = {
    "negative lifetime": ("cooling,weibull,-10,15,20,4,modelled,x\n", "mean_low"),
    "zero spread": ("cooling,weibull,10,15,20,0,modelled,x\n", "std_central"),
    "unordered means": ("cooling,weibull,10,25,20,4,modelled,x\n", "mean_central"),
    "not a number": ("cooling,weibull,10,abc,20,4,modelled,x\n", "mean_central"),
    "unknown component": ("servers,normal,4,5,6,1,modelled,x\n", "component"),
    "bad distribution": ("cooling,gamma,10,15,20,4,modelled,x\n", "distribution"),
    "bad status": ("cooling,weibull,10,15,20,4,guessed,x\n", "status"),
    "missing source": ("cooling,weibull,10,15,20,4,modelled,\n", "source"),
    "duplicate": (LT_OK, "component"),
}
RR_BAD = {
    "rate above 1": ("cobalt,0.68,1.2,UNEP,,,,,0.68,unep_eol_rr_low,sourced\n", "eol_rr_high"),
    "negative rate": ("cobalt,0.68,0.68,UNEP,,,,,-0.1,unep_eol_rr_low,sourced\n", "default_rate"),
    "missing source": ("cobalt,0.68,0.68,,,,,,0.68,unep_eol_rr_low,sourced\n", "eol_rr_source"),
    "rir without source": (
        "graphite,,,,0.03,,,,0.03,eu_eol_rir_proxy,proxy\n",
        "eu_eol_rir_source",
    ),
    "unknown mineral": ("unobtainium,0.1,0.2,UNEP,,,,,0.1,unep_eol_rr_low,sourced\n", "mineral"),
    "missing default": ("cobalt,0.68,0.68,UNEP,,,,,,unep_eol_rr_low,sourced\n", "default_rate"),
    "basis unfilled": ("silicon,,,,,,,,0,eu_eol_rir_proxy,proxy\n", "eu_eol_rir"),
    "bad basis": ("cobalt,0.68,0.68,UNEP,,,,,0.68,guess,sourced\n", "default_basis"),
    "low above high": ("nickel,0.63,0.57,UNEP,,,,,0.57,unep_eol_rr_low,sourced\n", "eol_rr_high"),
    "duplicate": (RR_OK, "mineral"),
}


@pytest.mark.parametrize("case", sorted(LT_BAD))
def test_bad_lifetimes_corpus(case: str, tmp_path: Path) -> None:
    line, fld = LT_BAD[case]
    p = tmp_path / "lifetimes.csv"
    p.write_text(LT_HEADER + LT_OK + line)
    with pytest.raises(DataError) as exc:
        load_lifetimes(p)
    probs = exc.value.problems
    assert any(pr.file == str(p) and pr.row == 3 and pr.field == fld for pr in probs), probs


@pytest.mark.parametrize("case", sorted(RR_BAD))
def test_bad_recycling_corpus(case: str, tmp_path: Path) -> None:
    line, fld = RR_BAD[case]
    p = tmp_path / "recycling.csv"
    p.write_text(RR_HEADER + RR_OK + line)
    with pytest.raises(DataError) as exc:
        load_recycling(p)
    probs = exc.value.problems
    assert any(pr.file == str(p) and pr.row == 3 and pr.field == fld for pr in probs), probs


def test_missing_column_and_missing_file(tmp_path: Path) -> None:
    p = tmp_path / "lifetimes.csv"
    p.write_text(LT_HEADER.replace(",source", "") + "cooling,weibull,10,15,20,4,modelled\n")
    with pytest.raises(DataError) as exc:
        load_lifetimes(p)
    assert exc.value.problems[0].field == "source" and exc.value.problems[0].row == 1
    with pytest.raises(DataError):
        load_recycling(tmp_path / "nope.csv")


def test_lifetimes_table_validated_when_passed_in() -> None:
    bad = LT.copy()
    bad.loc["cooling", "mean_low"] = -1.0
    with pytest.raises(DataError) as exc:
        stock_model(_inflow(np.ones((3, 1, 1)), ["copper"], ["cooling"]), lifetimes=bad)
    assert exc.value.problems[0].field == "mean_low"


def test_bom_component_ids_accepted() -> None:
    q = np.zeros((12, 1, 1))
    q[0] = 1.0
    by_id = stock_model(_inflow(q, ["copper"], ["accelerator_hbm"]))
    by_name = stock_model(_inflow(q, ["copper"], ["accelerator package and HBM"]))
    assert list(by_id.outflow["component"].values) == ["accelerator_hbm"]
    np.testing.assert_allclose(by_id.outflow.values, by_name.outflow.values)
