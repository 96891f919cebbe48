"""The scenario library: every shipped scenario validates; the copies in examples/ never drift."""

from __future__ import annotations

from pathlib import Path

import pytest

from critmin.data.errors import DataError
from critmin.sim import library
from critmin.sim.scenario import load_scenario

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
#: Shipped scenarios with a file of the same name in examples/: those files must be copies.
COPIED = [n for n in library.names() if (EXAMPLES / f"{n}.yaml").exists()]


def test_names_are_the_shipped_files() -> None:
    names = library.names()
    assert names == sorted(names)
    assert library.STANDARD in names
    assert set(library.BRIEF) <= set(names)
    for name in names:
        assert library.path(name).is_file()
        assert library.path(name).name == f"{name}.yaml"


@pytest.mark.parametrize("name", library.names())
def test_every_shipped_scenario_validates(name: str) -> None:
    scenario = load_scenario(library.path(name))
    assert scenario == library.load(name)
    assert scenario.events


@pytest.mark.parametrize("name", COPIED)
def test_the_example_copy_is_byte_identical(name: str) -> None:
    # examples/ is what users read and edit; a file of the same name there must be the very
    # scenario the package runs, or a user would study one scenario and get another.
    copy = EXAMPLES / f"{name}.yaml"
    assert copy.read_bytes() == library.path(name).read_bytes(), (
        f"examples/{name}.yaml differs from src/critmin/sim/library/{name}.yaml: copy one "
        "over the other"
    )


def test_the_standard_scenario_has_its_example_copy() -> None:
    assert library.STANDARD in COPIED


def test_text_is_the_file() -> None:
    assert library.text(library.STANDARD) == library.path(library.STANDARD).read_text("utf-8")


def test_the_brief_runs_its_three_scenarios_in_order() -> None:
    assert [p.stem for p in library.brief_scenarios()] == [
        "china-controls",
        "drc-cobalt-outage",
        "logistics-corridor",
    ]


@pytest.mark.parametrize("call", [library.path, library.text, library.load])
@pytest.mark.parametrize("name", ["atlantis", "standard-2026.yaml", "../sim/params"])
def test_an_unknown_name_fails_naming_the_known_ones(call: object, name: str) -> None:
    assert callable(call)
    with pytest.raises(DataError) as e:
        call(name)
    msg = str(e.value)
    assert repr(name) in msg
    for known in library.names():
        assert known in msg
