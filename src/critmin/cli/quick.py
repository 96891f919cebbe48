"""Option values converted without pydantic when the conversion is plain (decision 0037).

Typer (0.29) converts every given option through a pydantic ``TypeAdapter`` it builds on
first use: importing pydantic and building the adapters cost 50–90 ms of a command that
otherwise starts in about 0.4 s. For the values our commands take — a string, an integer or a
decimal written plainly, a member of an ``Enum``, a default that already has its type — the
result is known without pydantic; :func:`install` gives each parameter a converter that
returns it, and hands every other value (an error, a path, a list, a range to check by
clamping, anything unusual) to Typer's own converter, so results *and error messages* are
Typer's. ``tests/cli/test_quick.py`` checks both give the same for every parameter of every
command.

If Typer's internals move (they are not public API), :func:`install` changes nothing and
Typer converts as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Any

#: Integers and decimals as a person types them (no underscores, spaces, leading zeros or
#: huge exponents: those go to pydantic, whatever it decides).
_INT = re.compile(r"-?(?:0|[1-9][0-9]{0,17})")
_FLOAT = re.compile(r"-?(?:0|[1-9][0-9]{0,17})(?:\.[0-9]{1,17})?(?:[eE][+-]?[0-9]{1,2})?")

#: "Not converted here": Typer's converter decides.
_PASS = object()


def _in_range(v: int | float, info: Any) -> bool:
    return (info.min is None or v >= info.min) and (info.max is None or v <= info.max)


def quick_value(annotation: Any, info: Any, value: Any, ctx: Any) -> Any:
    """``value`` converted for ``annotation`` as Typer's pydantic adapter would, or
    ``_PASS`` when that is not plain.

    Examples
    --------
    >>> from typer.models import OptionInfo
    >>> quick_value(int, OptionInfo(), "2030", None), quick_value(float, OptionInfo(), "1e9", None)
    (2030, 1000000000.0)
    >>> quick_value(int, OptionInfo(), "1_000", None) is _PASS
    True
    """
    if info.parser is not None or info.clamp:
        return _PASS
    if annotation is bool:
        return value if type(value) is bool else _PASS
    if annotation is str:
        return value if isinstance(value, str) else _PASS
    if annotation is int:
        if isinstance(value, str) and _INT.fullmatch(value):
            value = int(value)
        if type(value) is int and _in_range(value, info):
            return value
        return _PASS
    if annotation is float:
        if (isinstance(value, str) and _FLOAT.fullmatch(value)) or type(value) is int:
            value = float(value)
        if type(value) is float and value == value and _in_range(value, info):
            return value
        return _PASS
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        if isinstance(value, (annotation, str)):
            # What the adapter's validator calls; an unknown choice raises, and Typer's own
            # converter then raises its error.
            from typer._param_types import coerce_cli_choice

            return coerce_cli_choice(
                value, choices=list(annotation), case_sensitive=info.case_sensitive, ctx=ctx
            )
        return _PASS
    return _PASS


try:
    from typer._coercion import RuntimeParam, build_runtime_param

    _HAVE_TYPER_INTERNALS = True
except ImportError:  # pragma: no cover - a Typer without these internals
    _HAVE_TYPER_INTERNALS = False


if _HAVE_TYPER_INTERNALS:

    @dataclass(frozen=True)
    class QuickParam(RuntimeParam):
        """Plain values here; the rest through Typer's converter, built when first needed."""

        descriptor: Any

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            try:
                out = quick_value(self.annotation, self.parameter_info, value, ctx)
            except Exception:  # Typer's converter raises its own error for it
                out = _PASS
            if out is _PASS:
                slow = build_runtime_param(self.descriptor)
                return slow._coerce_value(value, param=param, ctx=ctx)
            return out


def quick_runtime_param(descriptor: Any) -> Any:
    """Typer's ``build_runtime_param`` with the quick converter in front."""
    if descriptor.file_annotation is not None:
        return build_runtime_param(descriptor)
    return QuickParam(
        parameter_info=descriptor.parameter_info,
        annotation=descriptor.annotation,
        descriptor=descriptor,
    )


def install() -> None:
    """Make Typer's parameters (every command's, and the help options it makes on the fly)
    use the quick converter; idempotent. Only the ``critmin`` command line calls it."""
    if not _HAVE_TYPER_INTERNALS:  # pragma: no cover
        return
    import typer.core

    if getattr(typer.core, "build_runtime_param", None) is build_runtime_param:
        typer.core.build_runtime_param = quick_runtime_param
