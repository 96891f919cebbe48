"""Request bodies → validated scenarios and plans (through the use-case layer, like files),
and problems as 422 details with their line and field."""

from __future__ import annotations

from typing import Any

from critmin.analysis.scenarios import check_plan, check_scenario
from critmin.data.errors import DataError, Problem
from critmin.policy.plan import Plan
from critmin.sim.scenario import Scenario


def parse_scenario(text: str, *, deep: bool = True, file: str = "scenario") -> Scenario:
    """A scenario's YAML text checked like a file (:func:`critmin.analysis.check_scenario`).

    Examples
    --------
    >>> parse_scenario("name: t\\nhorizon: {start: 2025, end: 2027}\\n", deep=False).name
    't'
    """
    return check_scenario(text=text, file=file, deep=deep)


def parse_plan(text: str, *, file: str = "plan") -> Plan:
    """A plan's YAML text checked like a file (:func:`critmin.analysis.check_plan`)."""
    return check_plan(text=text, file=file)


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
