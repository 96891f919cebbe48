"""The episode library (issue 16): contents, sources, and the validation's summary."""

from __future__ import annotations

import statistics

import numpy as np
import pytest

import critmin
from critmin.sim import calibration, episodes
from critmin.sim.calibration import validate


def test_library_covers_enough_episodes_minerals_and_held_out_ones() -> None:
    eps = episodes.load()
    assert len(eps) >= 8
    assert len({e.mineral for e in eps}) >= 6
    assert {e.country for e in eps} - {"CHN"}  # non-Chinese measures
    assert sum(not e.in_fit for e in eps) >= 2
    for e in eps:
        assert e.observations, e.name
        assert e.peak_year in e.years, e.name
        assert e.scenario.horizon.start <= min(e.years) <= max(e.years) <= e.scenario.horizon.end
        for o in e.observations:
            assert o.source and o.basis and o.unit and o.base, (e.name, o)
            assert o.kind in episodes.KINDS
            assert 0.1 < o.index < 20.0


@pytest.fixture(scope="module")
def result():  # type: ignore[no-untyped-def]
    return validate(critmin.load())


def test_validation_reports_both_models_for_every_episode(result) -> None:  # type: ignore[no-untyped-def]
    table, summ = result
    assert list(table["episode"]) == [e.name for e in episodes.load()]
    assert (table["model_p5"] <= table["model_p50"]).all()
    assert (table["model_p50"] <= table["model_p95"]).all()
    assert list(summ["model"]) == ["current (posterior, leave-one-out)", "previous"]
    # Golden (seeded): leave-one-out coverage of the peak year, current model vs previous.
    # Decision 0034 (like with like: tungsten 2025 and rare earths 2011 compared as annual
    # averages, points with the level of the months in force; cobalt's 2024 surplus in its
    # scenario): 6/10 → 7/10; tungsten 2025 is now inside. Decision 0038 (τ integrated,
    # observation error by basis) keeps 7/10. Decision 0039 (history-faithful scenarios: the
    # time in transit from the border to the market; rare earths withheld as customs data show
    # exports fell, not as the quotas read): 9/10 (cobalt 2025 and the held-out rare earths
    # 2011 inside); the previous model on the same scenarios 8/10. The miss is antimony 2025
    # (under-predicted, P95 3.61 against 4.55). Then (also 0039) an index runs from the price
    # just before the announcement where the library has it (antimony, cobalt): 10/10; the
    # previous model 9/10 (cobalt 2025 over-predicted).
    cur, prev = summ["inside_share"]
    assert cur == pytest.approx(10 / 10)
    assert prev == pytest.approx(9 / 10)
    assert set(table.loc[~table["previous_inside"], "episode"]) == {"cobalt-2025"}
    assert set(table["observed_kind"]) == {"annual", "point"}
    # Each row names the price its index runs from (decision 0039).
    bases = [e.observation(e.peak_year).base for e in episodes.load()]
    assert list(table["observed_base"]) == bases
    assert "15 Aug 2024" in table.set_index("episode").loc["antimony-2024", "observed_base"]
    # The median |log(P50 / observed)| in the peak year: below log 1.5 for the current model.
    err, err_prev = summ["median_abs_log"]
    assert err < 0.405 and err < err_prev
    # The summary is the table's own figures (oracle: recomputed by hand from the rows).
    assert summ.loc[0, "inside_share"] == sum(table["model_inside"]) / len(table)
    assert err == pytest.approx(statistics.median(table["model_abs_log"]))
    # The leave-one-out predictive includes the between-episode dispersion: wider than the
    # class mean's own uncertainty.
    assert (table["between_episode_sd"] > 0.2).all()


#: Golden: the observed index in each episode's peak year, as the files give it.
OBSERVED_PEAK = {
    "gallium-2023": 2.233, "germanium-2023": 3.168, "antimony-2024": 2.619,
    "graphite-2023": 0.875, "cobalt-2025": 1.508, "nickel-2014": 1.40,
    "nickel-2020": 1.329, "tin-2023": 0.961, "tungsten-2025": 1.508,
    "rare-earths-2010": 6.247,
}  # fmt: skip


def test_peak_year_compares_like_with_like() -> None:
    """Decision 0034: an annual average is used where one exists (the model's index is an
    annual mean); the point observations stay in the file, flagged as points; a year with
    points only is compared with the model's level of the months in force."""
    eps = episodes.by_name()
    w, ree = eps["tungsten-2025"], eps["rare-earths-2010"]
    assert not w.is_point(2025) and not ree.is_point(2011)
    # The year-end APT point (3.18) and the Q3-2011 basket (12.0) are kept, as points.
    assert {round(o.index, 3) for o in w.observations if o.kind == "point"} == {3.184}
    assert {o.index for o in ree.observations if o.kind == "point"} == {12.0}
    ga = eps["gallium-2023"]
    assert ga.is_point(2023) and ga.is_point(2024)
    # The in-force level: the year's mean P = f P_on + (1 − f) inverted.
    f = np.array([5 / 12, 1.0])
    p_on = np.array([2.4, 1.7])
    p = f * p_on + (1 - f)
    assert calibration.point_level(p, f) == pytest.approx(p_on)


def test_observed_figures_match_their_files_and_the_price_table() -> None:
    """Each episode's observed peak matches the golden figure, and every annual observation
    taken from the embedded USGS prices is that table's figure over the base year's."""
    from critmin.data.prices import price_table

    eps = episodes.by_name()
    assert {n: round(e.observed(e.peak_year), 3) for n, e in eps.items()} == OBSERVED_PEAK
    t = price_table(critmin.load()).dropna(subset=["value"])
    checked = 0
    for e in eps.values():
        for o in e.observations:
            if o.kind != "annual":
                continue
            base = float(o.base.split()[0])
            assert o.index == pytest.approx(float(o.value) / base, abs=0.002), (e.name, o.year)
            if "critmin.data.prices" not in o.source:
                continue
            rows = t[t.mineral == e.mineral].set_index("year")["value"]
            assert float(o.value) == pytest.approx(float(rows[o.year])), (e.name, o.year)
            checked += 1
    assert checked >= 10


def test_summarise_oracle() -> None:
    import pandas as pd

    t = pd.DataFrame({
        "model_inside": [True, True, False, True], "model_abs_log": [0.4, 0.1, 0.9, 0.2],
        "model_path_inside": [1.0, 0.5, 0.0, 1.0], "previous_inside": [False] * 4,
        "previous_abs_log": [1.0, 2.0, 3.0, 4.0], "previous_path_inside": [0.0] * 4,
    })  # fmt: skip
    s = calibration.summarise(t)
    assert s["inside_share"].tolist() == [0.75, 0.0]
    assert s["median_abs_log"].tolist() == pytest.approx([0.3, 2.5])
    assert s["path_inside_share"].tolist() == [0.625, 0.0]


def test_refit_is_deterministic_and_draws_inside_the_priors() -> None:
    """Same seed, same posterior (a small candidate set keeps the test cheap)."""
    ds = critmin.load()
    a = calibration.fit(ds, n_candidates=24)
    b = calibration.fit(ds, n_candidates=24)
    assert a.equals(b)
    assert a.attrs["hyper"].tau == b.attrs["hyper"].tau
    for cls, g in a.groupby("class"):
        for name in calibration.CALIBRATED:
            lo, _, hi = calibration._prior(str(cls), name)
            assert g[name].between(lo, hi).all(), (cls, name)


def test_hierarchical_fit_recovers_a_known_class_mean() -> None:
    """Oracle: every episode has the same Gaussian likelihood N(0.8, 0.7²) per coordinate, so
    the episodes agree and τ is small; given τ, the class mean is the closed form of the
    normal model: n/(0.49 + τ²) × 0.8 / (1 + n/(0.49 + τ²)) for a class of n episodes."""
    import numpy as np

    dim = len(calibration.CALIBRATED)
    z = np.random.default_rng(0).standard_normal((4000, dim))
    target = np.full(dim, 0.8)
    ll = {e.name: -0.5 * np.sum((z - target) ** 2, axis=1) / 0.7**2
          for e in episodes.load() if e.in_fit}  # fmt: skip
    cands = {c: z for c in calibration.CLASSES}
    fitted = [e for e in episodes.load() if e.in_fit]
    h = calibration.hierarchical_fit(ll, cands, fitted, calibration.PLUG_IN)
    assert h.tau <= 0.4  # the data say 0; the hyperprior keeps it off the floor
    for cls, n in (("by_product", 3), ("bulk_metal", 1)):
        r = n / (0.49 + h.tau**2)
        assert np.allclose(h.mu[cls], r * 0.8 / (1 + r), atol=0.06), cls
    # Integrated over τ (decision 0038): every component is the closed form at its own τ,
    # the weights sum to 1, and the predictive is at least as wide as the plug-in's at the
    # same data and hyperprior (the plug-in understates the spread of a new episode: the
    # inverse-gamma posterior of τ² is right-skewed, so its mean exceeds its mode).
    same = calibration.Method(integrate=True, tau_prior="inv-gamma", basis_error=False)
    g = calibration.hierarchical_fit(ll, cands, fitted, same)
    assert g.components is not None and len(g.components) > 1
    assert sum(c.weight for c in g.components) == pytest.approx(1.0)
    for c in g.components:
        r = 3 / (0.49 + c.tau**2)
        assert np.allclose(c.mu["by_product"], r * 0.8 / (1 + r), atol=0.06)
    _, cov_plug = h.predictive("by_product")
    _, cov_int = g.predictive("by_product")
    assert np.trace(cov_int) >= np.trace(cov_plug)
    # The mixture's draws have the mixture's moments (sampling oracle).
    z, disc = g.sample("by_product", 20000, 3)
    mean, cov = g.predictive("by_product")
    assert np.allclose(z.mean(axis=0), mean, atol=0.05)
    assert np.allclose(np.diag(np.cov(z, rowvar=False)), np.diag(cov), rtol=0.1)
    assert (disc == 0).all()  # no discrepancy term
    # The shipped half-normal hyperprior lets the data pull τ down (they say 0 here).
    hn = calibration.hierarchical_fit(ll, cands, fitted, calibration.SHIPPED)
    assert hn.tau < g.tau


def test_observation_error_by_price_basis() -> None:
    """Decision 0038: an estimated annual average carries the MCS estimates' revision error
    (golden, from the dataset: every estimate/final pair), a dated point σ²/3, a final annual
    average or a unit value none."""
    ds = critmin.load()
    est = calibration.estimate_revision_sd(ds)
    assert est == pytest.approx(0.16497, abs=5e-5)
    eps = episodes.by_name()
    assert calibration.observation_variance(eps["tungsten-2025"], 0.25, est).tolist() == [
        pytest.approx(est**2)
    ]
    assert calibration.observation_variance(eps["gallium-2023"], 0.3, est).tolist() == [
        pytest.approx(0.03),
        pytest.approx(0.03),
    ]
    ree = calibration.observation_variance(eps["rare-earths-2010"], 0.3, est)
    assert ree.tolist() == [0.0, 0.0]  # USGS DS140 unit values: final, no error assumed


def test_data_year_uses_that_years_shares_and_warns_when_it_substitutes() -> None:
    """Issue 16: a historical scenario's production shares are of its data year; a year the
    dataset lacks falls back to the latest, and a warning names what was substituted."""
    from critmin.sim.inputs import prepare

    ds = critmin.load()
    tin = episodes.by_name()["tin-2023"].scenario
    mi = prepare(tin, ds)
    assert tin.data_year == 2022
    assert "2022" in mi.provenance["shares.tin.mine"]
    m = mi.minerals.index("tin")
    (x,) = [x for x in mi.effects if mi.slot_mineral[x.slot] == m]
    assert mi.slot_share[x.slot] > 0.1  # Myanmar before the suspension (0.04 in 2025)
    assert any("not 2022's" in w for w in mi.warnings)
    nickel = prepare(episodes.by_name()["nickel-2014"].scenario, ds)
    assert any("no production figures of nickel at the mine stage" in w for w in nickel.warnings)


@pytest.mark.parametrize("name", ["episodes.csv", "observed.csv"])
def test_library_tables_have_one_field_per_column(name: str) -> None:
    """A row with more fields than the header (an unquoted comma in its notes) loses the
    tail of its text silently in a DictReader: every row must have exactly the header's."""
    import csv
    from importlib import resources

    text = resources.files(episodes).joinpath(name).read_text("utf-8")
    rows = list(csv.reader(text.splitlines()))
    bad = [(i + 1, len(r)) for i, r in enumerate(rows) if len(r) != len(rows[0])]
    assert bad == []


def test_rare_earths_follow_the_exports_that_left_china() -> None:
    """The 2010-2011 episode withholds what customs data show left China (decision 0039):
    nothing before Q4 2010, about 30 % in Q4 2010 and 53-62 % in 2011 against 2009-2010."""
    ep = episodes.by_name()["rare-earths-2010"]
    evs = ep.scenario.events
    assert [(str(e.start), str(e.end)) for e in evs] == [
        ("2010-10-01", "2010-12-31"),
        ("2011-01-01", "2011-12-31"),
    ]
    q4, y2011 = (e.share for e in evs)  # type: ignore[union-attr]
    assert (q4.low, q4.high) == (0.29, 0.31)
    assert (round(1 - 18_600 / 39_813, 2), round(1 - 16_900 / 43_900, 2)) == (
        y2011.low,
        y2011.high,
    )
    assert ep.export_change == -0.58


def test_an_index_runs_from_the_price_before_the_announcement() -> None:
    """Decision 0039: where the library has the price just before a measure was announced,
    the index runs from it (a random walk's best forecast of the price without the measure),
    not from an earlier annual average; an annual average that straddles the announcement is
    kept as context and not compared."""
    eps = episodes.by_name()
    sb, co = eps["antimony-2024"], eps["cobalt-2025"]
    # 25.00 USD/lb (2025, USGS MCS 2026) over 21,042 USD/t on 15 Aug 2024 (SMM, DERIVED).
    assert sb.observed(2025) == pytest.approx(25.00 / (25_250 / 1.2 / 2204.62262), abs=1e-3)
    # 15.00 USD/lb (2025, LME, MCS 2026) over 9.50-10.40 USD/lb on 21 Feb 2025 (Fastmarkets).
    assert co.observed(2025) == pytest.approx(15.00 / 9.95, abs=1e-3)
    assert sb.base_year == 2024 and sb.years == (2024, 2025)
    assert sb.is_point(2024) and sb.observed(2024) == pytest.approx(1.889)
    context = [o for o in sb.observations if o.kind == "context"]
    assert [(o.year, o.index) for o in context] == [(2024, 1.865)]
    assert all(o.kind != "context" for o in sb.compared)


def test_an_observation_of_unknown_kind_is_refused_with_its_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    orig = episodes._rows
    bad = [dict(r) for r in orig("observed.csv")]
    bad[3]["kind"] = "monthly"

    def fake(name: str) -> list[dict[str, str]]:
        return bad if name == "observed.csv" else orig(name)

    episodes.load.cache_clear()
    monkeypatch.setattr(episodes, "_rows", fake)
    try:
        with pytest.raises(ValueError, match=r"observed.csv, line 5, field 'kind'.*'monthly'"):
            episodes.load()
    finally:
        monkeypatch.undo()
        episodes.load.cache_clear()
