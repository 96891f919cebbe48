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
        # One band column per model so that both fit an 80-column terminal; the numbers
        # are separate columns in --format json/csv.
        peak = table[["episode", "in_fit", "peak_year"]].copy()
        peak["observed"] = table["observed"].round(2)
        for tag, label in (("model", "current"), ("previous", "previous")):
            peak[label] = [
                f"{a:.2f}-{b:.2f}-{c:.2f}"
                for a, b, c in zip(table[f"{tag}_p5"], table[f"{tag}_p50"],
                                   table[f"{tag}_p95"], strict=True)
            ]  # fmt: skip
        for tag, label in (("model", "current"), ("previous", "previous")):
            peak[f"{label[:4]} in"] = table[f"{tag}_inside"]
        render(peak, fmt, title="Peak year: observed vs P5-P50-P95 (in: inside the band)")
        path = table[["episode", "years", "path_observed"]].copy()
        path["current in"] = table["model_path_inside"].round(2)
        path["previous in"] = table["previous_path_inside"].round(2)
        path["current P50"] = table["path_model_p50"]
        render(path, fmt, title="Over the path: observed, current P50, share of points inside")
        render(summ.round(3), fmt, title="Summary (current = posterior, leave-one-out)")
        return
    render(table, fmt, title="episodes")
