"""Scenario and plan YAML text → validated models, or problems with their line and field.

Only ``yaml.safe_load`` / ``yaml.compose`` with the safe loader parse request text (the same
way :func:`critmin.data.yamlfile.read_yaml` reads files).
"""

from __future__ import annotations

from typing import Any

import yaml

from critmin.data.errors import DataError, Problem
from critmin.data.yamlfile import Lines, key_lines, line_of, validate_model
from critmin.policy.plan import Plan
from critmin.sim.scenario import Scenario, contradictions


def parse_text(text: str, file: str) -> tuple[Any, Lines]:
    """The parsed document and the line of every key path; :class:`DataError` when malformed."""
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise DataError([Problem(file, line, None, "well-formed YAML", str(exc))]) from exc
    return data, key_lines(node)


def parse_scenario(text: str, *, deep: bool = True, file: str = "scenario") -> Scenario:
    """Validate a scenario's YAML text like :func:`critmin.sim.scenario.load_scenario`.

    ``deep`` also compiles the market inputs against the embedded dataset, which finds
    problems only the data can tell (a country that does not produce at that stage).

    Examples
    --------
    >>> parse_scenario("name: t\\nhorizon: {start: 2025, end: 2027}\\n", deep=False).name
    't'
    >>> parse_scenario("name: t\\nhorizon: {start: 2025, end: 2027}\\nsampels: 3\\n")
    Traceback (most recent call last):
    ...
    critmin.data.errors.DataError: scenario, row 3, field 'sampels': ...
    """
    data, lines = parse_text(text, file)
    if not isinstance(data, dict):
        raise DataError([Problem(file, 1, None, "a YAML mapping with name, horizon, events",
                                 type(data).__name__)])  # fmt: skip
    sc = validate_model(Scenario, data, file, lines)
    bad = contradictions(sc)
    if bad:
        raise DataError(
            [Problem(file, line_of(lines, ("events", i, f)), f"events.{i}.{f}",
                     "events that do not contradict each other", why) for i, f, why in bad]
        )  # fmt: skip
    if deep:
        from critmin.data.dataset import load
        from critmin.sim.inputs import prepare

        try:
            prepare(sc, load(), file)
        except DataError as e:
            # The data-level problems name fields like "events.0.stage": give them lines too.
            raise DataError([_with_line(p, lines) for p in e.problems]) from e
    return sc


def _with_line(p: Problem, lines: Lines) -> Problem:
    if p.row is not None or not p.field:
        return p
    parts = tuple(int(x) if x.isdigit() else x for x in str(p.field).split("."))
    return Problem(p.file, line_of(lines, parts), p.field, p.expected, p.got)


def parse_plan(text: str, *, file: str = "plan") -> Plan:
    """Validate a plan's YAML text like :func:`critmin.policy.plan.load_plan`."""
    data, lines = parse_text(text, file)
    if not isinstance(data, dict):
        raise DataError([Problem(file, 1, "(document)", "a mapping", type(data).__name__)])
    return validate_model(Plan, data, file, lines)


def minerals_touched(sc: Scenario) -> list[str]:
    """Minerals the scenario names: its ``minerals`` list, else those its events name."""
    if sc.minerals:
        return sorted(sc.minerals)
    out: set[str] = set()
    for ev in sc.events:
        for attr in ("minerals", "mineral"):
            v = getattr(ev, attr, None)
            if isinstance(v, str):
                out.add(v)
            elif isinstance(v, list):
                out.update(str(x) for x in v)
    out.update(sc.stocks)
    return sorted(out)


def problem_detail(p: Problem, body_field: str) -> dict[str, Any]:
    """One problem as an item of a 422 ``detail`` list (FastAPI's shape plus line and field)."""
    loc: list[str | int] = ["body", body_field]
    if p.field:
        loc += [int(x) if x.isdigit() else x for x in p.field.split(".")]
    msg = f"{p.field or 'document'}: expected {p.expected}"
    if p.got != "":
        msg += f"; got {p.got!r}"
    return {"loc": loc, "msg": msg, "type": "value_error", "line": p.row, "field": p.field,
            "expected": p.expected, "got": p.got}  # fmt: skip


def problems_list(err: DataError) -> list[dict[str, Any]]:
    """Problems as the validate endpoint reports them."""
    return [
        {"line": p.row, "field": p.field, "expected": p.expected, "got": p.got,
         "message": problem_detail(p, "yaml")["msg"]}
        for p in err.problems
    ]  # fmt: skip


class BodyDataError(DataError):
    """A :class:`DataError` that knows which body field held the offending text."""

    def __init__(self, err: DataError, body_field: str) -> None:
        super().__init__(list(err.problems))
        self.body_field = body_field
