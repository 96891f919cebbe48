"""Validation of the market model against the episode library (``critmin validate``).

Both faces (CLI, service) get their numbers here. See :mod:`critmin.sim.calibration` for the
method and docs/decisions/0023-market-calibration.md and 0029-hierarchical-calibration.md
for the choices.
"""

from __future__ import annotations

import pandas as pd

from critmin.data.dataset import Dataset, load


def validate_market(
    ds: Dataset | None = None, refit: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per episode: observed against the model's P5/P50/P95 in the peak year and over the
    path, in the fit or not, for the current model (leave-one-episode-out) and the previous
    one; and the summary figures of both. ``refit=True`` first refits the posterior and
    writes it where the package reads it (``critmin/sim/posterior.csv``)."""
    from critmin.sim import calibration, parameters

    ds = load() if ds is None else ds
    if refit:
        calibration.write_posterior(calibration.fit(ds))
        parameters.posterior.cache_clear()
    return calibration.validate(ds)
