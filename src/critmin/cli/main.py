"""``critmin``: the command line.

Every command takes ``--format table|json|csv``. Commands only call the use-case layer
(:mod:`critmin.analysis`) and format; the commands live by group in the modules beside this
one. Errors in input data are printed with the file, row and field they concern, and the
command exits with status 1 (2 for a bad option).
"""

from __future__ import annotations

import sys

import typer

from critmin.cli import (
    data,
    demand,
    fetch,
    hazard,
    minerals,
    plan,
    report,
    restrictions,
    risk,
    serve,
    simulate,
    sourcing,
    validate,
)

app = typer.Typer(
    help="critmin: the security of the critical-mineral supply chains AI hardware depends on.",
    no_args_is_help=True,
    add_completion=False,
)
app.command("brief")(report.brief)
app.command("minerals")(minerals.minerals)
app.command("supply")(minerals.supply)
app.command("risk")(risk.risk)
app.command("demand")(demand.demand)
app.command("simulate")(simulate.simulate)
app.command("profile")(minerals.profile)
app.command("restrictions")(restrictions.restrictions)
data.app.command("fetch")(fetch.data_fetch)
app.add_typer(data.app, name="data")
app.add_typer(hazard.app, name="hazard")
app.command("projects")(plan.projects)
app.add_typer(plan.app, name="plan")
app.command("serve")(serve.serve)
app.command("validate")(validate.validate)
app.add_typer(sourcing.app, name="sourcing")
app.add_typer(sourcing.trace_app, name="trace")


def main() -> None:  # pragma: no cover - console entry point
    """Entry point for ``python -m critmin``."""
    app()
    sys.exit(0)
