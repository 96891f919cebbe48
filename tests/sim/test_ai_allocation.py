"""Who bears a shortfall (decision 0033): the AI allocation rules against a plain-loop
oracle, their ordering and limits, a golden case by hand, and the summary's figures."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr

from critmin.sim import ai_allocation as al
from critmin.sim.summary import ai_at_risk_by_rule, ai_binding, ai_output_at_risk


def oracle(s: float, a: float, k: float) -> float:
    """AI's shortfall by plain arithmetic: the bloc's supply 1 − s, a share k of it delivered
    pro rata (AI gets a × k × (1 − s)), the rest to the highest bidder (AI first), capped at
    AI's demand a."""
    s = min(max(s, 0.0), 1.0)
    if k >= 1.0:  # everything pro rata: every use short by s, whatever AI's share
        return s
    if a <= 0.0:  # AI's demand rounds to nothing: the spot market covers it unless none is left
        return 1.0 if s >= 1.0 else 0.0
    supply = 1.0 - s
    got = a * k * supply + min((1.0 - k) * supply, a * (1.0 - k * supply))
    return max(0.0, min(1.0, 1.0 - min(got, a) / a))


@pytest.fixture(scope="module")
def cases() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(33)
    s = rng.uniform(0.0, 1.0, (7, 5, 6))
    s[0] = 0.0
    s[1, :, 0] = 1.0
    a = rng.uniform(0.0, 1.0, (5, 6)) ** 3  # mostly small, as AI's shares are
    a[:, 1] = 0.0
    a[:, 2] = 1.0
    return s, a


@pytest.mark.parametrize("rule", al.RULES)
def test_vectorised_rules_match_the_loop_oracle(
    cases: tuple[np.ndarray, np.ndarray], rule: str
) -> None:
    s, a = cases
    got = al.ai_shortfall(s, a[None], rule)
    k = al.kappa(rule)
    want = np.empty_like(s)
    for i in range(s.shape[0]):
        for t in range(s.shape[1]):
            for m in range(s.shape[2]):
                want[i, t, m] = oracle(float(s[i, t, m]), float(a[t, m]), k)
    np.testing.assert_allclose(got, want, atol=1e-12)


def test_priority_le_central_le_pro_rata(cases: tuple[np.ndarray, np.ndarray]) -> None:
    s, a = cases
    low, mid, high = (al.ai_shortfall(s, a[None], r) for r in al.RULES)
    assert (low <= mid + 1e-12).all() and (mid <= high + 1e-12).all()
    assert (high == s).all()  # pro rata is the bloc's own shortfall
    # κ between the bounds moves the figure monotonically.
    for k0, k1 in ((0.0, 0.5), (0.5, 0.9), (0.9, 1.0)):
        c0, c1 = al.coefficient(a, k0), al.coefficient(a, k1)
        f0 = np.clip(1 - c0[None] * (1 - s), 0, 1)
        f1 = np.clip(1 - c1[None] * (1 - s), 0, 1)
        assert (np.nan_to_num(f0, nan=0.0) <= np.nan_to_num(f1, nan=0.0) + 1e-12).all()


def test_zero_shortfall_gives_zero_and_full_share_gives_pro_rata(
    cases: tuple[np.ndarray, np.ndarray],
) -> None:
    s, a = cases
    for rule in al.RULES:
        assert (al.ai_shortfall(np.zeros_like(s), a[None], rule) == 0.0).all()
        # AI is the whole demand: nobody else to outbid, every rule is pro rata.
        np.testing.assert_allclose(al.ai_shortfall(s, np.ones_like(a)[None], rule), s)
        # Nothing left: AI is short whatever its share.
        assert (al.ai_shortfall(np.ones_like(s), a[None], rule) == 1.0).all()


def test_golden_case_by_hand() -> None:
    # The bloc lacks 30 % of its demand; AI is 10 % of it.
    # Pro rata: 30 %. Priority: AI needs 0.1 of the 0.7 left: served in full, 0 %.
    # Central κ = 0.75: contracts deliver 0.75 × 0.7 = 0.525, AI's pro-rata part 0.0525; the
    # spot 0.175 covers AI's remaining 0.0475: 0 %. Nearly everything short (s = 0.95):
    # priority 1 − 0.05/0.1 = 50 %; central 1 − 0.05 × (0.75 + 0.25/0.1) = 83.75 %.
    s = np.array([0.3, 0.95])
    a = np.array([0.1, 0.1])
    assert al.ai_shortfall(s, a, "pro_rata").tolist() == pytest.approx([0.3, 0.95])
    assert al.ai_shortfall(s, a, "priority").tolist() == pytest.approx([0.0, 0.5])
    assert al.ai_shortfall(s, a, "central").tolist() == pytest.approx([0.0, 0.8375])


def test_central_kappa_is_declared_with_its_range() -> None:
    lo, c, hi = (al.CONTRACT_SHARE[k] for k in ("low", "central", "high"))
    assert lo <= c <= hi and al.kappa("central") == c
    assert "ASSUMPTION" in al.CONTRACT_SHARE_SOURCE
    with pytest.raises(ValueError, match="unknown AI allocation rule"):
        al.kappa("auction")


def _result(peak: np.ndarray, ai_minerals: list[str]) -> xr.Dataset:
    n, n_min, _ = peak.shape
    minerals = [f"m{j}" for j in range(n_min)]
    pro = peak[:, :, 2]
    ds = xr.Dataset(
        {
            "ai_shortfall_peak": (("sample", "mineral", "rule"), peak),
            # The pre-0033 measure: 1 − the worst component (one component using every AI
            # mineral), worst year.
            "ai_output_min": (("sample", "component"), 1.0 - pro.max(axis=1, keepdims=True)),
        },
        coords={"sample": np.arange(n), "mineral": minerals, "rule": list(al.RULES)},
    )
    ds.attrs["ai_minerals"] = json.dumps(ai_minerals)
    return ds


def test_summary_figures_and_binding_inputs() -> None:
    # Two samples, three minerals (m2 not used by AI: zero). Rules: priority, central, pro rata.
    peak = np.zeros((2, 3, 3))
    peak[0, 0] = [0.0, 0.0, 0.4]
    peak[0, 1] = [0.1, 0.2, 0.3]
    peak[1, 0] = [0.0, 0.05, 0.2]
    peak[1, 1] = [0.0, 0.0, 0.5]
    r = _result(peak, ["m0", "m1"])
    got = ai_at_risk_by_rule(r)
    assert got == pytest.approx({"priority": 0.05, "central": 0.125, "pro_rata": 0.45})
    assert got["pro_rata"] == pytest.approx(ai_output_at_risk(r))
    b = ai_binding(r, "central").set_index("mineral")
    assert b.loc["m1", "binding_share"] == 0.5 and b.loc["m0", "binding_share"] == 0.5
    assert b.loc["m0", "ai_shortfall_pro_rata"] == pytest.approx(0.3)
    assert "m2" not in b.index


def test_engine_pro_rata_reduction_equals_the_old_measure() -> None:
    """On a real run the pro-rata figure is exactly the measure critmin showed before."""
    from critmin.analysis import ai_at_risk, check_scenario, run_simulation

    r = run_simulation(
        check_scenario(
            text="name: t\nhorizon: {start: 2026, end: 2028}\nminerals: [gallium, germanium]\n"
            "events:\n  - {type: export_restriction, country: CHN, minerals: [gallium, "
            "germanium], stage: refine, start: 2027, share: 0.9}\n"
        ),
        samples=30,
        seed=5,
    )
    x = ai_at_risk(r)
    assert x.high == pytest.approx(ai_output_at_risk(r), abs=1e-12)
    assert x.low <= x.central <= x.high and x.high > 0.2
    # AI is a fraction of a percent of the bloc's gallium and germanium demand: it is served.
    assert x.central < 0.01


def test_optimiser_rule_auto_falls_back_to_the_upper_bound_only_when_nothing_is_at_risk() -> None:
    from critmin.sim.ai_allocation import optimiser_rule

    assert optimiser_rule("auto", 0.03) == (
        "central",
        "auto: the central rule puts AI hardware output at risk",
    )
    rule, why = optimiser_rule("auto", 0.0)
    assert rule == "pro_rata" and "nothing to buy down" in why
    # A chosen rule is kept even when it leaves nothing at risk; an unknown one fails.
    assert optimiser_rule("central", 0.0) == ("central", "chosen")
    with pytest.raises(ValueError, match="unknown AI allocation rule"):
        optimiser_rule("max", 0.5)
