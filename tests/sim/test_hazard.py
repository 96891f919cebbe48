"""The fitted hazard model (issue 15): recovery, bounds, pooling, determinism, migration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import critmin
from critmin.sim.events.fitted_restriction import FittedRestriction, timing
from critmin.sim.hazard import hazard_table
from critmin.sim.hazard_fit import FIXED, fit_panel, shipped_fit
from critmin.sim.inputs import draw, prepare
from critmin.sim.scenario import Scenario
from tests.conftest import require


def synthetic_panel(seed: int, beta: dict[str, float], n_c: int = 60, tau: float = 0.5,
                    years: int = 20) -> pd.DataFrame:  # fmt: skip
    rng = np.random.default_rng(seed)
    cells = [(f"C{c:02d}", f"m{m}", ("a", "b")[m % 2]) for c in range(n_c) for m in range(6)]
    u = dict(zip([f"C{c:02d}" for c in range(n_c)], rng.normal(0, tau, n_c), strict=True))
    pv = {c: rng.normal() for c in u}
    al = {c: rng.normal() for c in u}
    rows = []
    for c, m, g in cells:
        ls = rng.normal()
        for t in range(years):
            x = {"pv": pv[c], "align": al[c], "log_share": ls, "prior": 0.0,
                 "trend": (t - years / 2) / 10}  # fmt: skip
            eta = beta["intercept"] + sum(beta[k] * x[k] for k in x) + u[c]
            rows.append({"country": c, "mineral": m, "group": g, "year": 2000 + t, **x,
                         "y": rng.poisson(np.exp(eta))})  # fmt: skip
    df = pd.DataFrame(rows)
    # Standardised covariates are what the fit reports: make them standard already.
    for k in ("pv", "align", "log_share"):
        df[k] = (df[k] - df[k].mean()) / df[k].std()
    return df


def test_the_fit_recovers_known_parameters() -> None:
    beta = {"intercept": -2.0, "pv": -0.5, "align": 0.4, "log_share": 0.6, "prior": 0.0,
            "trend": 0.5}  # fmt: skip
    df = synthetic_panel(1, beta)
    f = fit_panel(df, (0.5, 0.25))
    got = dict(zip(FIXED, f.beta, strict=True))
    for k in ("pv", "align", "log_share", "trend"):
        assert got[k] == pytest.approx(beta[k], abs=0.2), k
    assert got["intercept"] == pytest.approx(beta["intercept"], abs=0.3)


def test_probabilities_are_probabilities_and_partners_far_below_china() -> None:
    ds = critmin.load()
    t = hazard_table(ds, ("AUS", "CAN", "DEU", "FRA", "JPN", "USA"), min_share=0.05)
    for c in ("p_median", "p_low", "p_high", "p_bloc_median", "p_bloc_high"):
        assert t[c].between(0.0, 1.0).all(), c
    by = t.groupby("country")["p_bloc_median"].mean()
    for partner in ("AUS", "CAN"):
        assert by[partner] * 10 < by["CHN"], partner


def test_a_country_without_a_record_gets_a_small_nonzero_hazard() -> None:
    t = hazard_table(critmin.load(), ("USA",), country="AUS", min_share=0.05)
    assert not t.empty
    assert (t["p_median"] > 0).all() and (t["p_median"] < 0.01).all()


def test_the_shipped_fit_has_its_draws() -> None:
    f = shipped_fit()
    assert f.n_draws >= 50
    assert f.measures.mean_duration.shape == (f.n_draws, 5)
    np.testing.assert_allclose(f.measures.mix["CHN"].sum(axis=1), 1.0)


def _scenario(model: str = "fitted") -> Scenario:
    return Scenario.model_validate({
        "name": "t", "horizon": {"start": 2026, "end": 2031},
        "minerals": ["gallium", "graphite", "cobalt", "nickel"], "samples": 50, "seed": 3,
        "events": [{"type": "default_hazards", "model": model}]})  # fmt: skip


def test_default_hazards_expand_to_fitted_cells_and_draws_are_deterministic() -> None:
    ds = critmin.load()
    mi = prepare(_scenario(), ds)
    assert {ev.type for ev in mi.events} == {"fitted_restriction"}
    a = draw(mi, np.random.default_rng(5), 200).stochastic
    b = draw(mi, np.random.default_rng(5), 200).stochastic
    np.testing.assert_array_equal(a, b)
    assert ((a >= 0) & (a <= 1)).all() and a.any()


def test_the_deprecated_china_rate_model_still_expands() -> None:
    mi = prepare(_scenario("china-rate"), critmin.load())
    assert {ev.type for ev in mi.events} == {"stochastic_restriction"}


def test_measures_stack_and_never_exceed_one() -> None:
    mi = prepare(_scenario(), critmin.load())
    evs = [ev for ev in mi.events if isinstance(ev, FittedRestriction)]
    hot = [ev.model_copy(update={"rates": tuple(5.0 for _ in ev.rates)}) for ev in evs]
    out = timing(np.random.default_rng(0), 100, 6, hot)
    assert out.max() <= 1.0 and (out > 0).mean() > 0.5


def test_the_alignment_table_matches_the_raw_release() -> None:
    from critmin.data.alignment import alignment_from_raw, load_alignment
    from tests.rawdata import RAW

    raw = RAW / "unga-voting"
    dta = raw / "IdealpointsJuly2025.dta"
    require(str(dta), dta.exists(), "the raw releases beside the project (../shared)")
    pd.testing.assert_frame_equal(alignment_from_raw(raw), load_alignment(), check_dtype=False)


def test_partner_availability_follows_the_fitted_model() -> None:
    from critmin.data.regions import builtin_regions
    from critmin.policy.levers import availability

    ds, oecd = critmin.load(), builtin_regions()["OECD"]
    withheld = {c: 1.0 - availability(ds, c, oecd, "cobalt") for c in ("AUS", "CAN", "CHN")}
    assert all(0.0 < w < 1.0 for w in withheld.values())
    # Partners far below China, as their fitted hazards against the bloc are.
    assert withheld["AUS"] * 10 < withheld["CHN"] and withheld["CAN"] * 10 < withheld["CHN"]
    assert availability(ds, "USA", oecd, "cobalt") == 1.0


def test_ore_measures_withhold_exported_ore_and_refine_measures_exports() -> None:
    from critmin.sim.events.default_hazards import DefaultHazards
    from critmin.sim.events.fitted_model import fitted_cells
    from critmin.sim.inputs import _stage_shares, simulated_stages

    ds = critmin.load()
    mi = prepare(_scenario(), ds)
    evs = {(ev.country, ev.minerals[0], ev.stage): ev for ev in mi.events}
    # Indonesia's ore ban is in force: a new ore measure has no ore exports left to withhold,
    # and Indonesia's refined nickel is a cell of its own (not cut by ore bans).
    assert evs[("IDN", "nickel", "mine")].exposure == 0.0
    assert evs[("IDN", "nickel", "refine")].exposure == 1.0
    assert all(0.0 <= ev.exposure <= 1.0 for ev in evs.values())
    # The hazard of a country producing at both stages is split between them (record mix):
    # China's new measures are refine-stage, the others' ore measures.
    minerals = ("nickel", "cobalt")
    shares = {
        (j, k): _stage_shares(ds, m, st)[0]
        for j, m in enumerate(minerals)
        for k, st in enumerate(("mine", "refine"))
        if st in simulated_stages(ds, m)
    }
    cells = fitted_cells(DefaultHazards(type="default_hazards"), ds, minerals, shares, 2025)
    np.testing.assert_allclose(cells.groupby(["country", "mineral"])["p_stage"].sum(), 1.0)
    p = cells.set_index(["country", "mineral", "stage"])["p_stage"]
    assert p[("CHN", "nickel", "refine")] > 0.8 and p[("IDN", "nickel", "mine")] > 0.8


def test_withheld_shares_of_bans_come_from_observed_export_drops() -> None:
    from critmin.sim.hazard_fit import MIN_DROPS, export_drops, withheld_shares

    ds = critmin.load()
    d = export_drops(ds)
    bans = d[d["measure"] == "ban"]
    assert len(bans) >= MIN_DROPS
    # Indonesia's 2014 ore ban: nickel ore exports 58.2 Mt (2013) -> 7.7 Mt (2014), BACI.
    row = d.set_index(["id", "mineral"]).loc[("ID-2014-ore-ban", "nickel")]
    assert (int(row["before"]), int(row["after"])) == (2013, 2014)
    assert row["drop"] == pytest.approx(0.868, abs=0.005)
    r, basis = withheld_shares(ds)["ban"]
    v = bans["drop"].clip(0.0, 1.0)
    assert (r.low, r.central, r.high) == pytest.approx((v.min(), v.median(), v.max()), abs=1e-3)
    assert basis.startswith("BACI")
