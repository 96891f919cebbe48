"""The quick option converter (decision 0037) gives what Typer's pydantic one gives.

For every parameter of every command, for the values a person types (and some they should
not), the converted value — or the error message — is the same as Typer's own converter's.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer._click import Context
from typer._click.exceptions import BadParameter
from typer._coercion import build_runtime_param
from typer.core import _TyperParameter

from critmin.cli import quick
from critmin.cli.main import COMMANDS, _build

VALUES = [
    "0", "1", "-1", "5", "2030", "007", "1_000", " 3", "3 ", "+4", "1e3", "11.6e9", "2.5",
    "-0.5", ".5", "5.", "1e400", "nan", "inf", "-inf", "", "abc", "table", "JSON", "csv",
    "hhi", "geopolrisk", "Composite", "mineral", "country", "x" * 30, "99999999999999999999",
    "true", "false", "yes", "0x10", "١٢", 5, 0, -3, 2.5, True, False,
]  # fmt: skip


def _params() -> list[tuple[str, Any]]:
    out = []
    for name in COMMANDS:
        cmd = _build(name)
        cmds = list(cmd.commands.values()) if hasattr(cmd, "commands") else [cmd]
        for c in cmds:
            for p in c.params:
                if isinstance(p, _TyperParameter) and p.type_descriptor.file_annotation is None:
                    out.append((f"{name} {c.name} {p.name}", p))
    return out


PARAMS = _params()


def _convert(runtime: Any, p: Any, ctx: Context, value: Any) -> tuple[str, Any]:
    try:
        out = runtime.coerce(value, param=p, ctx=ctx)
    except BadParameter as e:
        return ("error", e.format_message())
    return ("ok", (type(out), out if out == out else "nan"))


def _same(p: Any, value: Any) -> None:
    ctx = Context(_build("risk"))
    desc = p.type_descriptor
    mine = _convert(quick.quick_runtime_param(desc), p, ctx, value)
    theirs = _convert(build_runtime_param(desc), p, ctx, value)
    assert mine == theirs, (p.name, value)


def test_every_command_parameter_is_covered() -> None:
    # The commands have int, float, str, bool, Enum, Path and list parameters.
    kinds = {repr(p.type_descriptor.annotation) for _, p in PARAMS}
    assert {"<class 'int'>", "<class 'float'>", "<class 'str'>", "<class 'bool'>"} <= kinds
    assert any("enum" in k for k in kinds)


@pytest.mark.parametrize(("where", "p"), PARAMS, ids=[w for w, _ in PARAMS])
def test_quick_equals_typer(where: str, p: Any) -> None:
    for value in [*VALUES, p.default]:
        _same(p, value)


NUMERIC = [p for _, p in PARAMS if p.type_descriptor.annotation in (int, float)]


@settings(max_examples=100, deadline=None)
@given(
    i=st.integers(min_value=0, max_value=len(NUMERIC) - 1),
    text=st.one_of(
        st.from_regex(r"-?[0-9]{1,20}(\.[0-9]{0,18})?([eE][+-]?[0-9]{1,3})?", fullmatch=True),
        st.text(alphabet="0123456789.eE+-_ ", max_size=8),
    ),
)
def test_numbers_as_typed_equal_typer(i: int, text: str) -> None:
    _same(NUMERIC[i], text)


def test_the_cli_uses_the_quick_converter() -> None:
    import typer.core

    assert typer.core.build_runtime_param is quick.quick_runtime_param
