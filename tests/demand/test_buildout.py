"""Tests of the build-out scenarios."""

from __future__ import annotations

from pathlib import Path

import pytest

from critmin.data.errors import DataError
from critmin.demand.buildout import (
    SCENARIOS,
    Scenario,
    capacity_path,
    load_scenario,
    scenario,
    twh_at,
)


def test_builtins_present() -> None:
    for n in ("iea2025-base", "iea2025-lift-off", "iea2025-high-efficiency", "iea2025-headwinds"):
        assert n in SCENARIOS
    s = scenario("base")
    assert s.twh == {2024: 415.0, 2030: 945.0, 2035: 1200.0}
    assert s.load_factor == 0.48
    with pytest.raises(KeyError):
        scenario("nope")


def test_anchor_conversion_matches_ai_sources() -> None:
    cp = capacity_path(scenario("base"), [2024, 2030, 2035])
    # BLD-116 / BLD-118 / BLD-120: TWh / (8.76 x 0.48)
    assert cp.facility_gw.round(1).tolist() == [98.7, 224.7, 285.4]
    assert cp.status.tolist() == ["sourced"] * 3
    assert cp.it_gw.iloc[1] == pytest.approx(224.74 / 1.29, rel=1e-3)


def test_status_and_extension() -> None:
    cp = capacity_path(scenario("base"), range(2024, 2041))
    st = dict(zip(cp.year, cp.status, strict=True))
    assert st[2027] == "interpolated" and st[2040] == "extrapolated"
    # after 2035 the 2030-2035 average growth is held
    g = (1200 / 945) ** (1 / 5)
    assert cp.set_index("year").twh[2040] == pytest.approx(1200 * g**5)
    assert (cp.new_it_mw >= 0).all() and not cp.isna().any().any()
    # High Efficiency has no 2030 value in the 2025 edition: interpolated
    assert twh_at(scenario("high-efficiency"), 2030)[1] == "interpolated"


def test_interpolation_is_monotone_between_anchors() -> None:
    for s in SCENARIOS.values():
        cp = capacity_path(s, range(2024, 2041))
        assert cp.twh.is_monotonic_increasing, s.name


def test_flat_extrapolation() -> None:
    s = Scenario(name="f", series="t", source="t", twh={2024: 100, 2030: 200},
                 extrapolation="flat", pue={2024: 1.3})  # fmt: skip
    cp = capacity_path(s, [2031, 2035])
    assert cp.twh.tolist() == [200.0, 200.0] and cp.new_it_mw.tolist() == [0.0, 0.0]


def test_load_scenario(tmp_path: Path) -> None:
    p = tmp_path / "s.yaml"
    p.write_text(
        "name: x\nseries: y\nsource: z\ntwh:\n  2024: 100\n  2030: 300\nload_factor: 0.5\n"
    )
    s = load_scenario(p)
    assert s.load_factor == 0.5 and s.twh[2030] == 300.0


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        ("name: x\nseries: y\nsource: z\ntwh: {2024: 1}\nload_factor: 2\n", 5, "load_factor"),
        ("name: x\nseries: y\nsource: z\ntwh:\n  2024: 1\n  2030: -4\n", 4, "twh"),
        ("name: x\nseries: y\nsource: z\ntwh: {2024: 1}\npue: {2030: 0.9}\n", 5, "pue"),
        ("name: x\nseries: y\nsource: z\ntwh: {2024: 1}\nbogus: 1\n", 5, "bogus"),
        ("name: x\nseries: y\ntwh: {2024: 1}\n", None, "source"),
    ],
)
def test_bad_scenario(tmp_path: Path, text: str, line: int | None, field: str) -> None:
    p = tmp_path / "s.yaml"
    p.write_text(text)
    with pytest.raises(DataError) as exc:
        load_scenario(p)
    pr = exc.value.problems[0]
    assert pr.file == str(p) and pr.field is not None and pr.field.startswith(field)
    if line is not None:
        assert pr.row == line


def test_malformed_scenario_yaml(tmp_path: Path) -> None:
    p = tmp_path / "s.yaml"
    p.write_text("name: x\ntwh: {2024: 1\n")
    with pytest.raises(DataError) as exc:
        load_scenario(p)
    assert exc.value.problems[0].row is not None
