"""``critmin``: the command line.

Every command takes ``--format table|json|csv``. Commands only call the use-case layer
(:mod:`critmin.analysis`) and format; the commands live by group in the modules beside this
one. Errors in input data are printed with the file, row and field they concern, and the
command exits with status 1 (2 for a bad option).

The command modules are imported only when their command runs (``critmin risk`` never imports
the simulation engine, the service or the optimiser): the root group resolves a name to its
module on first use (docs/decisions/0027-lazy-reads-cache-reduce.md).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator, MutableMapping
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from critmin._version import __version__
from critmin.cli import quick

# Options converted without pydantic where that is plain (decision 0037).
quick.install()

# Typer vendors its own click; its command type is what the root group holds.
Command = Any

#: Top-level commands: name → (module, attribute). An attribute that is a ``typer.Typer`` is
#: a group of subcommands; anything else is a command function. Order is the help's order
#: (commands, then groups, as Typer lists eagerly registered ones).
COMMANDS: dict[str, tuple[str, str]] = {
    "brief": ("critmin.cli.report", "brief"),
    "minerals": ("critmin.cli.minerals", "minerals"),
    "supply": ("critmin.cli.minerals", "supply"),
    "risk": ("critmin.cli.risk", "risk"),
    "demand": ("critmin.cli.demand", "demand"),
    "simulate": ("critmin.cli.simulate", "simulate"),
    "profile": ("critmin.cli.minerals", "profile"),
    "restrictions": ("critmin.cli.restrictions", "restrictions"),
    "projects": ("critmin.cli.plan", "projects"),
    "serve": ("critmin.cli.serve", "serve"),
    "validate": ("critmin.cli.validate", "validate"),
    "data": ("critmin.cli.data", "app"),
    "hazard": ("critmin.cli.hazard", "app"),
    "plan": ("critmin.cli.plan", "app"),
    "sourcing": ("critmin.cli.sourcing", "app"),
    "trace": ("critmin.cli.sourcing", "trace_app"),
}


def _setup_data(sub: typer.Typer) -> None:
    # ``critmin data fetch`` lives in its own module (it needs the network client).
    from critmin.cli.fetch import data_fetch

    if not any(c.name == "fetch" for c in sub.registered_commands):
        sub.command("fetch")(data_fetch)


#: Extra registration a group needs before it is built.
SETUP: dict[str, Callable[[typer.Typer], None]] = {"data": _setup_data}


def _build(name: str) -> Command:
    module, attr = COMMANDS[name]
    obj: Any = getattr(importlib.import_module(module), attr)
    # Built inside a throwaway root, as the eager ``add_typer``/``command`` registration did,
    # so options, help and completion flags are the same.
    holder = typer.Typer(add_completion=False)
    holder.callback()(lambda: None)
    if isinstance(obj, typer.Typer):
        if name in SETUP:
            SETUP[name](obj)
        holder.add_typer(obj, name=name)
    else:
        holder.command(name)(obj)
    built = typer.main.get_command(holder)
    assert isinstance(built, TyperGroup)
    return built.commands[name]


class _LazyCommands(MutableMapping[str, Command]):
    """The root group's command table: names are known up front, commands built on access."""

    def __init__(self) -> None:
        self._built: dict[str, Command] = {}

    def __getitem__(self, name: str) -> Command:
        if name not in self._built:
            if name not in COMMANDS:
                raise KeyError(name)
            self._built[name] = _build(name)
        return self._built[name]

    def __setitem__(self, name: str, cmd: Command) -> None:
        self._built[name] = cmd

    def __delitem__(self, name: str) -> None:
        del self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*COMMANDS, *self._built]))

    def __len__(self) -> int:
        return len(set(COMMANDS) | set(self._built))


class LazyGroup(TyperGroup):
    """A Typer root group whose commands are imported when first resolved."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands = _LazyCommands()

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"critmin {__version__}")
        raise typer.Exit()


app = typer.Typer(
    cls=LazyGroup,
    help="critmin: the security of the critical-mineral supply chains AI hardware depends on.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print critmin's version and exit.", is_eager=True,
            callback=_show_version,
        ),
    ] = False,
) -> None:  # fmt: skip
    """critmin: the security of the critical-mineral supply chains AI hardware depends on."""


def main() -> None:  # pragma: no cover - console entry point
    """Entry point for ``python -m critmin``."""
    app()
    sys.exit(0)
