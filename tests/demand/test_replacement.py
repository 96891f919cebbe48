"""Replacement demand: the fixed point I = N + R(I), checked against the stock model."""

from __future__ import annotations

import numpy as np

from critmin.demand.buildout import full_path, scenario
from critmin.demand.demand import ai_demand
from critmin.demand.stock import stock_model
from critmin.demand.summary import with_replacement

YEARS = range(2025, 2041)


def test_total_is_new_plus_retirements_of_the_total() -> None:
    r = with_replacement("base", YEARS).set_index(["year", "mineral"])
    assert np.allclose(r["total"], r["new"] + r["replacement"])
    assert (r["replacement"] >= -1e-9).all()
    # Re-run the stock model on the solved inflow (history from 1990 included): its
    # retirements are the replacement.
    new = ai_demand(full_path(scenario("base"), max(YEARS))).sel(case="central", drop=True)
    comps = r["total"]
    total = new.copy()
    for _ in range(80):
        total = new + stock_model(total).outflow.transpose(*new.dims)
    retired = stock_model(total).outflow.sum("component").to_series()
    joined = retired.reindex(comps.index).fillna(0.0)
    assert np.allclose(joined.to_numpy(), r["replacement"].to_numpy(), rtol=1e-9, atol=1e-6)


def test_longer_lifetimes_mean_less_replacement() -> None:
    short = with_replacement("base", YEARS, variant="low")
    long = with_replacement("base", YEARS, variant="high")
    s = short.groupby("mineral")["replacement"].sum()
    lo = long.groupby("mineral")["replacement"].sum()
    assert (s.reindex(lo.index).fillna(0) >= lo - 1e-6).all()
    assert s["copper"] > lo["copper"]


def test_zero_build_out_gives_zero_demand() -> None:
    import pandas as pd

    flat = pd.DataFrame({"year": list(YEARS), "new_it_mw": [0.0] * len(YEARS)})
    r = with_replacement(flat, YEARS)  # type: ignore[arg-type]
    assert r.empty or float(r["total"].abs().max()) == 0.0
