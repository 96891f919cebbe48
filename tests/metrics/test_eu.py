"""Tests of the EU 2017 criticality method (critmin.metrics.eu)."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import critmin
from critmin.data.catalogue import MINERALS
from critmin.data.errors import DataError
from critmin.metrics.eu import (
    EI_MISSING,
    RESULT_COLUMNS,
    EUParameters,
    economic_importance,
    eu_assessment,
    hhi_wgi_t,
    is_critical,
    load_parameters,
    supply_risk,
)

# --- REFERENCE §2.5 worked example --------------------------------------------------------


def test_worked_example_hhi_wgi() -> None:
    h = hhi_wgi_t({"CHN": 0.98, "ROW": 0.02}, {"CHN": 6.0, "ROW": 3.0}, {"CHN": 1.0, "ROW": 1.0})
    assert h.value == pytest.approx(5.7636, abs=1e-4)
    assert h.imputed == ()


def test_worked_example_supply_risk() -> None:
    h = hhi_wgi_t({"CHN": 0.98, "ROW": 0.02}, {"CHN": 6.0, "ROW": 3.0})
    sr = supply_risk(h.value, 5.0, ir=0.98, eol_rir=0.0, si_sr=0.98)
    assert sr == pytest.approx(5.2667, abs=1e-4)


def test_supply_risk_fallbacks() -> None:
    assert supply_risk(2.0, None, None) == 2.0  # GS only: IR not needed
    assert supply_risk(None, 3.0, None, 0.5, 0.5) == pytest.approx(0.75)  # sourcing only
    assert math.isnan(supply_risk(None, float("nan"), 0.5))
    with pytest.raises(ValueError, match="ir is required"):
        supply_risk(2.0, 3.0, None)
    with pytest.raises(ValueError, match="fraction"):
        supply_risk(2.0, 3.0, 98.0)  # percent, not fraction


# --- REFERENCE §2.4 classification with the 2023 table's own SR and EI ---------------------

EU_2023 = {  # material: (SR, EI)
    "gallium": (3.9, 3.7),
    "germanium": (1.8, 3.6),
    "cobalt": (2.8, 6.8),
    "lithium": (1.9, 3.9),
    "natural graphite": (1.8, 3.4),
    "copper": (0.1, 4.0),
    "nickel": (0.5, 5.7),
    "tin": (0.9, 4.5),
}


@pytest.mark.parametrize(
    ("material", "expected"),
    [("gallium", True), ("germanium", True), ("cobalt", True), ("lithium", True),
     ("natural graphite", True), ("copper", False), ("nickel", False), ("tin", False)],
)  # fmt: skip
def test_2023_classification(material: str, expected: bool) -> None:
    # Copper and nickel are below the SR threshold, hence not critical by the thresholds, but
    # the CRMA lists them as *strategic* raw materials (REFERENCE §2.1, §2.4).
    sr, ei = EU_2023[material]
    assert is_critical(sr, ei) is expected


def test_is_critical_unknown() -> None:
    assert is_critical(2.0, float("nan")) is None
    assert is_critical(None, 3.0) is None
    assert is_critical(1.0, 2.8) is True  # thresholds are inclusive


def test_economic_importance() -> None:
    # 10 · (0.6·80 + 0.4·50) / 100 · 0.9 = 6.12 (normaliser = largest sector VA, C29)
    ei = economic_importance({"C26": 0.6, "C27": 0.4}, {"C26": 80, "C27": 50, "C29": 100}, 0.9)
    assert ei == pytest.approx(6.12)
    with pytest.raises(ValueError, match="no value added"):
        economic_importance({"C99": 1.0}, {"C26": 1.0}, 1.0)


# --- properties ----------------------------------------------------------------------------

ISO = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3)


@st.composite
def markets(draw: st.DrawFn) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    countries = draw(st.lists(ISO, min_size=1, max_size=8, unique=True))
    raw = draw(st.lists(st.floats(0.0, 1.0), min_size=len(countries), max_size=len(countries)))
    total = sum(raw)
    scale = draw(st.floats(0.5, 1.0))  # shares may sum to less than one ("other" left out)
    shares = {
        c: (r / total * scale if total > 0 else 0.0) for c, r in zip(countries, raw, strict=True)
    }
    wgi = {c: draw(st.floats(0.0, 10.0)) for c in countries}
    t = {c: draw(st.floats(0.8, 1.5)) for c in countries}
    return shares, wgi, t


@given(markets())
def test_hhi_wgi_bounds(m: tuple[dict[str, float], dict[str, float], dict[str, float]]) -> None:
    shares, wgi, t = m
    h = hhi_wgi_t(shares, wgi, t).value
    assert 0.0 <= h <= 10.0 * max(t.values()) + 1e-9


@given(markets(), st.randoms(use_true_random=False))
def test_hhi_wgi_order_invariant(
    m: tuple[dict[str, float], dict[str, float], dict[str, float]], rnd: random.Random
) -> None:
    shares, wgi, t = m
    keys = list(shares)
    rnd.shuffle(keys)
    shuffled = {k: shares[k] for k in keys}
    assert hhi_wgi_t(shuffled, wgi, t).value == pytest.approx(hhi_wgi_t(shares, wgi, t).value)
    s = pd.Series(shares).sample(frac=1.0, random_state=1)
    assert hhi_wgi_t(s, pd.Series(wgi), pd.Series(t)).value == pytest.approx(
        hhi_wgi_t(shares, wgi, t).value
    )


@given(markets(), st.floats(0.0, 1.0))
def test_splitting_a_country_does_not_raise(
    m: tuple[dict[str, float], dict[str, float], dict[str, float]], frac: float
) -> None:
    shares, wgi, t = m
    c = next(iter(shares))
    split = {k: v for k, v in shares.items() if k != c}
    split["AA1"], split["AA2"] = shares[c] * frac, shares[c] * (1 - frac)
    wgi2 = {**wgi, "AA1": wgi[c], "AA2": wgi[c]}
    t2 = {**t, "AA1": t[c], "AA2": t[c]}
    assert hhi_wgi_t(split, wgi2, t2).value <= hhi_wgi_t(shares, wgi, t).value + 1e-12


@given(
    st.floats(0.0, 10.0),
    st.floats(0.0, 10.0),
    st.floats(0.0, 1.0),
    st.floats(0.0, 1.0),
    st.floats(0.0, 1.0),
    st.floats(0.0, 1.0),
)
def test_sr_monotone_in_ir(
    a: float, b: float, ir1: float, ir2: float, eol: float, si: float
) -> None:
    gs, src = max(a, b), min(a, b)  # HHI_GS ≥ HHI_sourcing
    lo, hi = sorted((ir1, ir2))
    assert supply_risk(gs, src, lo, eol, si) <= supply_risk(gs, src, hi, eol, si) + 1e-12


@given(markets())
def test_missing_wgi_imputed_and_reported(
    m: tuple[dict[str, float], dict[str, float], dict[str, float]],
) -> None:
    shares, wgi, t = m
    gone = next(iter(shares))
    partial = {k: v for k, v in wgi.items() if k != gone}
    h = hhi_wgi_t(shares, partial, t)
    assert not math.isnan(h.value)
    assert gone in h.imputed
    assert h.impute_value is not None and 0.0 <= h.impute_value <= 10.0


def test_imputation_with_no_wgi_at_all() -> None:
    h = hhi_wgi_t({"XXX": 1.0}, {})
    assert h.value == 5.0 and h.imputed == ("XXX",)


def test_bad_shares_rejected() -> None:
    with pytest.raises(ValueError, match="sum to at most 1"):
        hhi_wgi_t({"CHN": 98.0, "ROW": 2.0}, {"CHN": 6.0})
    with pytest.raises(ValueError, match="t must be"):
        hhi_wgi_t({"CHN": 0.5}, {"CHN": 6.0}, {"CHN": -1.0})


# --- parameter table -----------------------------------------------------------------------


def test_shipped_parameters() -> None:
    p = load_parameters()
    assert p.trade_for("nickel", "mine")[0] == {"IDN": 1.3}
    assert p.trade_for("tin", "refine")[0] == {"CHN": 1.5}
    assert p.trade_for("tin", "mine")[0] == {}
    assert p.eol_rir["copper"].value == 0.55
    assert p.si_sr["gallium"].value == 0.98
    assert all(v.source for v in [*p.trade.values(), *p.eol_rir.values(), *p.si_sr.values()])


def test_override_trade_parameter() -> None:
    p = load_parameters().with_trade("gallium", "refine", "chn", 1.5)
    assert p.trade_for("gallium", "refine")[0] == {"CHN": 1.5}
    ds = critmin.load()
    base = eu_assessment(ds).set_index("mineral").loc["gallium", "sr"]
    more = eu_assessment(ds, params=p).set_index("mineral").loc["gallium"]
    assert more["sr"] > base
    assert "CHN 1.5" in more["defaults_used"]


def test_broken_parameter_file(tmp_path: Path) -> None:
    f = tmp_path / "params.csv"
    f.write_text(
        "parameter,mineral,stage,country,value,source,proxy\n"
        "t,nickel,*,IDN,-1.3,REFERENCE §2.2,\n"
        "t,unobtainium,*,CHN,1.1,REFERENCE §2.2,\n"
        "eol_rir,copper,*,,0.55,,\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError) as exc:
        load_parameters(f)
    probs = {(p.row, p.field) for p in exc.value.problems}
    assert probs == {(2, "value"), (3, "mineral"), (4, "source")}
    text = str(exc.value)
    assert "params.csv, row 2, field 'value'" in text
    assert "unobtainium" in text


def test_parameter_file_missing_column(tmp_path: Path) -> None:
    f = tmp_path / "params.csv"
    f.write_text("parameter,mineral,stage,value,source\n", encoding="utf-8")
    with pytest.raises(DataError, match="field 'country'"):
        load_parameters(f)


# --- real data -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def assessment() -> pd.DataFrame:
    return eu_assessment(critmin.load())


def test_assessment_covers_catalogue(assessment: pd.DataFrame) -> None:
    assert list(assessment.columns) == RESULT_COLUMNS
    assert assessment["mineral"].tolist() == [m.id for m in MINERALS]
    assert (assessment["importer"] == "USA").all()
    assert assessment["proxies"].notna().all() and assessment["defaults_used"].notna().all()


def test_assessment_key_minerals(assessment: pd.DataFrame) -> None:
    a = assessment.set_index("mineral")
    for m in ("gallium", "cobalt", "rare_earths"):
        assert math.isfinite(a.loc[m, "sr"]), m
    assert a.loc["gallium", "stage_used"] == "refine"
    assert math.isfinite(a.loc["cobalt", "sr_mine"]) and math.isfinite(a.loc["cobalt", "sr_refine"])
    assert a.loc["cobalt", "mine_source"].startswith("USGS")
    assert a.loc["cobalt", "refine_source"].startswith("IEA")
    # The material SR is the bottleneck (larger) stage SR.
    stages = a[["sr_mine", "sr_refine"]].max(axis=1, skipna=True)
    assert (a["sr"].dropna() == stages[a["sr"].notna()]).all()


def test_assessment_never_invents_ei(assessment: pd.DataFrame) -> None:
    assert assessment["ei"].isna().all()
    assert assessment["critical"].map(lambda v: v is None).all()
    assert assessment["notes"].str.contains(EI_MISSING, regex=False).all()


def test_assessment_reports_defaults_and_proxies(assessment: pd.DataFrame) -> None:
    a = assessment.set_index("mineral")
    assert "SI_SR=1" in a.loc["tungsten", "defaults_used"]  # no sourced SI_SR
    assert "EoL_RIR" not in a.loc["tungsten", "defaults_used"]  # EoL-RIR 42 % is sourced
    assert "COD 1.1" in a.loc["cobalt", "defaults_used"]
    assert "bound '>50'" in a.loc["germanium", "proxies"]
    assert a.loc["molybdenum", "ir"] == 0.0 and a.loc["molybdenum", "ir_text"] == "net exporter"


def test_equal_share_sourcing_is_flagged() -> None:
    df = eu_assessment(critmin.load(), params=load_parameters(sourcing="equal_shares"))
    g = df.set_index("mineral").loc["gallium"]
    assert "equal shares" in g["proxies"] and g["sourcing"].startswith("US equal-share proxy")


def test_other_importer_is_gs_only() -> None:
    ds = critmin.load()
    deu = eu_assessment(ds, importer="DEU", params=EUParameters(sourcing="equal_shares"))
    row = deu.set_index("mineral").loc["gallium"]
    assert "IR of DEU unknown" in row["notes"] and math.isnan(row["ir"])
    assert "EoL_RIR=0" in row["defaults_used"]  # empty parameters → neutral defaults


def test_stage_choice(assessment: pd.DataFrame) -> None:
    mine = eu_assessment(critmin.load(), stage="mine").set_index("mineral")
    assert math.isnan(mine.loc["gallium", "sr"])  # gallium has no mine stage
    assert mine.loc["cobalt", "sr"] == assessment.set_index("mineral").loc["cobalt", "sr_mine"]
    with pytest.raises(ValueError):
        eu_assessment(critmin.load(), stage="smelt")
