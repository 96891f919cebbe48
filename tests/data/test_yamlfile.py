"""The one YAML reader of critmin's inputs refuses hostile documents before building them."""

from __future__ import annotations

import subprocess
import sys

import pytest

from critmin.data.errors import DataError
from critmin.data.yamlfile import MAX_ALIASES, MAX_DEPTH, parse_yaml

#: "Billion laughs": nine levels of ten aliases, ten to the ninth strings once expanded.
BOMB = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{b}: &{b} [{','.join(['*' + a] * 10)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True)
)


def test_an_alias_bomb_is_refused_at_once_in_a_subprocess() -> None:
    # A subprocess with a time limit: a regression would hang, not fail, in this process.
    code = (
        "import sys; from critmin.data.yamlfile import parse_yaml\n"
        "from critmin.data.errors import DataError\n"
        "try:\n    parse_yaml(sys.stdin.read(), 'bomb.yaml')\n"
        "except DataError as e:\n    print(e); sys.exit(3)\n"
    )
    res = subprocess.run([sys.executable, "-c", code], input=BOMB, capture_output=True,
                         text=True, timeout=120)  # fmt: skip
    assert res.returncode == 3, res.stderr
    assert "bomb.yaml" in res.stdout and "once aliases are expanded" in res.stdout


def test_a_recursive_alias_is_refused() -> None:
    with pytest.raises(DataError, match="recursive alias"):
        parse_yaml("a: &a [1, *a]\n", "r.yaml")


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(DataError, match=f"nested at most {MAX_DEPTH}"):
        parse_yaml("[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5), "deep.yaml")
    with pytest.raises(DataError, match=f"nested at most {MAX_DEPTH}"):
        parse_yaml("[" * 100_000, "deeper.yaml")  # the parser's own recursion


def test_too_many_aliases_are_refused() -> None:
    text = "a: &a 1\nb: [" + ", ".join(["*a"] * (MAX_ALIASES + 1)) + "]\n"
    with pytest.raises(DataError, match=f"at most {MAX_ALIASES} aliases"):
        parse_yaml(text, "many.yaml")


def test_a_duplicate_key_is_refused_with_its_line() -> None:
    text = "name: t\nevents:\n  - {type: outage}\nevents:\n  - {type: logistics}\n"
    with pytest.raises(DataError) as e:
        parse_yaml(text, "dup.yaml")
    (p,) = e.value.problems
    assert (p.row, p.field) == (4, "events")


def test_a_control_character_is_a_clear_error() -> None:
    with pytest.raises(DataError, match="well-formed YAML"):
        parse_yaml("\x1f", "ctrl.yaml")


def test_a_few_aliases_still_work() -> None:
    data, lines = parse_yaml("share: &s {low: 0.5, high: 0.9}\nagain: *s\n", "ok.yaml")
    assert data["again"] == {"low": 0.5, "high": 0.9} and lines[("again",)] == 2
    assert parse_yaml("", "empty.yaml") == (None, {})
