"""Scenario files: the shipped examples load; every broken file is rejected with line and field."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import critmin
from critmin.data.errors import DataError
from critmin.sim.runner import simulate
from critmin.sim.scenario import ExportRestriction, Outage, StockChange, load_scenario

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "corpus" / "scenarios"

#: case → (line, field or None, words the message must contain)
CASES: dict[str, tuple[int | None, str | None, str]] = {
    "unknown-mineral": (6, "events.0.outage.mineral", "kryptonite"),
    "unknown-country": (5, "events.0.outage.country", "XXQ"),
    "negative-duration": (9, "events.0.outage.duration_years", "greater than 0"),
    "probability-over-one": (8, "events.0.stochastic_restriction.annual_probability", "1.5"),
    "overlapping-restrictions": (15, "events.1.start", "overlaps event 0"),
    "not-a-mapping": (1, None, "a YAML mapping"),
    "malformed-yaml": (3, None, "well-formed YAML"),
    "misspelt-field": (3, "sampels", "Extra inputs are not permitted"),
    "share-over-one": (9, "events.0.export_restriction.share", "between 0 and 1"),
    "range-out-of-order": (8, "events.0.demand_surge.factor", "low <= central <= high"),
    "horizon-backwards": (2, "horizon", "end is before its start"),
    "release-and-purchase": (5, "events.1.type", "stock_purchase and a stock_release"),
    "outside-horizon": (8, "events.0.start", "outside the horizon"),
    "end-and-duration": (4, "events.0.outage", "not both"),
    "unknown-event-type": (4, "events.0", "alien_invasion"),
    "unknown-bloc": (3, "bloc", "Narnia"),
    "zero-samples": (3, "samples", "greater than or equal to 1"),
    "zero-exports-share": (10, "events.0.export_restriction.exports_share", "above 0"),
    "unknown-parameter": (6, "parameters.gallium.elasticity_suply_short",
                          "known: elasticity_supply_short"),
    # Bounds of the parameter table (params.csv), checked when the file is read.
    "price-cap-below-one": (6, "parameters.gallium.price_cap", "between 1.0 and 1000.0"),
    "positive-demand-elasticity": (6, "parameters.*.elasticity_demand_short",
                                   "between -10.0 and -0.01"),
    # The baseline market balance (decision 0034): above its bound; not a number.
    "market-balance-too-large": (6, "parameters.cobalt.market_balance", "between -0.5 and 1.0"),
    "market-balance-nan": (7, "parameters.cobalt.market_balance", "a finite number"),
    "hazards-min-share-over-one": (6, "events.0.default_hazards.min_share",
                                   "less than or equal to 1"),
    "unknown-stock-mineral": (3, "stocks", "kryptonite"),
    # State stockpiles (decision 0028): a share above 0.5, both amounts, a NaN.
    "state-stockpile-share-too-large": (9, "events.0.state_stockpile.share_of_demand",
                                        "at most 0.5"),
    "state-stockpile-two-amounts": (4, "events.0.state_stockpile", "one of them"),
    "state-stockpile-tonnes-nan": (9, "events.0.state_stockpile.tonnes_per_year",
                                   "finite number"),
}  # fmt: skip

#: Files that load (each value is valid on its own) but that ``prepare`` refuses against the
#: dataset: case → (field, words the message must contain).
PREPARE_CASES: dict[str, tuple[str, str]] = {
    "stage-without-data": ("events.0.stage", "a stage of antimony with data: mine"),
    "country-not-producing": ("events.0.country", "FRA"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_scenarios_are_rejected_before_any_work(case: str) -> None:
    line, field, words = CASES[case]
    path = CORPUS / f"{case}.yaml"
    with pytest.raises(DataError) as info:
        load_scenario(path)
    msg = str(info.value)
    assert str(path) in msg
    if line is not None:
        assert f"row {line}" in msg, msg
    if field is not None:
        assert f"field '{field}" in msg, msg
    assert words in msg, msg


@pytest.mark.parametrize("case", sorted(PREPARE_CASES))
def test_broken_scenarios_are_rejected_by_prepare_before_sampling(
    case: str, tmp_path: Path
) -> None:
    field, words = PREPARE_CASES[case]
    path = CORPUS / f"{case}.yaml"
    load_scenario(path)  # the file itself is valid
    done: list[int] = []
    with pytest.raises(DataError) as info:
        simulate(path, critmin.load(), samples=5000, out=tmp_path / "r.zarr", stream=True,
                 progress=lambda d, t: done.append(d))  # fmt: skip
    msg = str(info.value)
    assert f"field '{field}'" in msg, msg
    assert words in msg, msg
    assert done == []  # no block was sampled
    assert list(tmp_path.iterdir()) == []  # and nothing written


def test_corpus_is_complete() -> None:
    assert {p.stem for p in CORPUS.glob("*.yaml")} == set(CASES) | set(PREPARE_CASES)
    assert not set(CASES) & set(PREPARE_CASES)
    assert len(CASES) >= 10


def test_shipped_examples_load() -> None:
    ga = load_scenario(ROOT / "examples" / "china-gallium-germanium-2023.yaml")
    first = ga.events[0]
    assert isinstance(first, ExportRestriction)
    assert first.start_date == dt.date(2023, 8, 1) and first.announced == dt.date(2023, 7, 3)
    assert first.share.central == 0.7 and first.front_running is not None
    second = ga.events[1]
    assert isinstance(second, ExportRestriction) and second.target == ["USA"]
    assert "USA" in ga.bloc_members() and len(ga.bloc_members()) == 38  # OECD
    sb = load_scenario(ROOT / "examples" / "china-antimony-2024.yaml")
    ev = sb.events[0]
    assert isinstance(ev, ExportRestriction)
    assert ev.end_date == dt.date(2027, 9, 14)
    co = load_scenario(ROOT / "examples" / "drc-cobalt-outage-illustrative.yaml")
    kinds = [type(e) for e in co.events]
    assert Outage in kinds and StockChange in kinds


def test_a_bare_number_is_a_range_without_uncertainty(tmp_path: Path) -> None:
    p = tmp_path / "s.yaml"
    p.write_text("name: t\nhorizon: {start: 2025, end: 2026}\nevents:\n"
                 "  - {type: outage, country: COD, mineral: cobalt, stage: mine, start: 2025,\n"
                 "     capacity_loss: 0.4}\n")  # fmt: skip
    ev = load_scenario(p).events[0]
    assert isinstance(ev, Outage)
    assert (ev.capacity_loss.low, ev.capacity_loss.central, ev.capacity_loss.high) == (0.4,) * 3
    assert ev.end_date == dt.date(2100, 12, 31)  # open-ended: lasts to the horizon's end
