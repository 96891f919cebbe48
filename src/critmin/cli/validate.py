"""``critmin validate``: the market model against the episode library."""

from __future__ import annotations

from typing import Annotated

import typer

from critmin.analysis.validation import validate_market
from critmin.cli.common import FormatOpt, handles_errors
from critmin.cli.output import Format, render


@handles_errors
def validate(
    refit: Annotated[
        bool, typer.Option(help="refit the posterior first (writes posterior.csv)")
    ] = False,
    summary: Annotated[bool, typer.Option(help="print only the summary figures")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Observed price index of each historical episode against the model's P5/P50/P95 (peak
    year, and the share of the path's points inside; leave-one-episode-out, the hierarchy
    refitted without the episode), beside the previous model's, and the summary."""
    table, summ = validate_market(refit=refit)
    if summary:
        render(
            summ, fmt, title="Episode library: share inside P5-P95 and median |log(P50/observed)|"
        )
        return
    if fmt is Format.table:
        # The path columns are in --format json/csv (years, path_observed, path_model_p50).
        cols = ["episode", "in_fit", "peak_year", "observed", "model_p5", "model_p50",
                "model_p95", "model_inside", "model_path_inside", "previous_p5",
                "previous_p50", "previous_p95", "previous_inside",
                "previous_path_inside"]  # fmt: skip
        render(table[cols].round(2), fmt, title="Episodes: observed vs model (peak year)")
        render(summ.round(3), fmt, title="Summary (current = posterior, leave-one-out)")
        return
    render(table, fmt, title="episodes")
