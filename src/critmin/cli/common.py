"""What every command shares: the format option, the error console and the one error handler.

Commands call :mod:`critmin.analysis` and only format; an input problem (:class:`DataError`,
with file, row and field) exits 1 listing the problems, a question that cannot be answered
as asked (:class:`QueryError`) exits 2 (1 for insufficient data) with one line — never a
traceback.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer

from critmin.analysis.errors import QueryError
from critmin.cli.output import Format
from critmin.data.errors import DataError

if TYPE_CHECKING:
    from rich.console import Console

FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table, json or csv")]

#: At most this many problems are listed (the rest are counted).
MAX_PROBLEMS = 200

P = ParamSpec("P")
R = TypeVar("R")


@functools.cache
def _err() -> Console:
    # rich is imported only when something is printed to standard error (decision 0037).
    from rich.console import Console

    return Console(stderr=True)


def __getattr__(name: str) -> Any:
    # ``err``, the error console, is made on first use.
    if name == "err":
        return _err()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def fail(e: DataError) -> typer.Exit:
    """Print an input's problems; the exit (status 1) to raise."""
    err = _err()
    err.print("[bold red]error:[/] the input is not valid:")
    for p in e.problems[:MAX_PROBLEMS]:
        err.print(f"  {p}", markup=False, highlight=False)
    if len(e.problems) > MAX_PROBLEMS:
        err.print(f"  … and {len(e.problems) - MAX_PROBLEMS} more problems")
    return typer.Exit(1)


def refuse(message: str, code: int = 2) -> typer.Exit:
    """Print a one-line error; the exit to raise."""
    _err().print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


def check_out_path(path: Path, option: str) -> None:
    """Refuse an output path that cannot be written, before any work: a folder, or a file in
    a folder that does not exist (raises the exit of :func:`refuse`)."""
    if path.is_dir():
        raise refuse(f"{option}: expected a file path; got the folder {path}")
    if not path.parent.is_dir():
        raise refuse(f"{option}: the folder {path.parent} does not exist")


def handles_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """The one error handler of every command (a decorator)."""

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except DataError as e:
            raise fail(e) from None
        except QueryError as e:
            if e.kind == "insufficient data":
                _err().print(str(e), highlight=False, markup=False)
                raise typer.Exit(1) from None
            raise refuse(str(e)) from None

    return run
