"""How likely is each producer to restrict exports: the fitted hazard model's questions."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from critmin.analysis.errors import QueryError
from critmin.analysis.minerals import check_mineral
from critmin.data.dataset import Dataset, load
from critmin.data.regions import builtin_regions


def _members(bloc: str) -> tuple[str, ...]:
    for name, members in builtin_regions().items():
        if name.lower() == bloc.lower():
            return members
    if len(bloc) == 3 and bloc.isalpha():
        return (bloc.upper(),)
    raise QueryError(f"unknown bloc {bloc!r}: an ISO3 code or one of "
                     f"{', '.join(builtin_regions())}", "unknown", "bloc")  # fmt: skip


def restriction_hazards(
    *,
    country: str | None = None,
    mineral: str | None = None,
    bloc: str = "OECD",
    min_share: float = 0.05,
    ds: Dataset | None = None,
) -> pd.DataFrame:
    """Fitted annual probabilities of a new export restriction per producing country and
    mineral, with their bootstrap ranges and the probability one reaches ``bloc``
    (:func:`critmin.sim.hazard.hazard_table`)."""
    from critmin.sim.hazard import hazard_table

    ds = ds if ds is not None else load()
    if mineral is not None:
        check_mineral(mineral, ds)
    if not 0.0 <= min_share <= 1.0:
        raise QueryError("--min-share must be between 0 and 1", "invalid", "min_share")
    c = country.upper() if country else None
    df = hazard_table(ds, _members(bloc), country=c, mineral=mineral, min_share=min_share)
    if df.empty:
        raise QueryError(f"no producer with at least {min_share:.0%} of world output"
                         + (f" in {c}" if c else "") + (f" of {mineral}" if mineral else ""),
                         "insufficient data", "country")  # fmt: skip
    return df


def hazard_backtest(
    fit_until: int = 2019, last_year: int = 2025, *, draws: int = 50, seed: int = 2026,
    ds: Dataset | None = None,
) -> pd.DataFrame:  # fmt: skip
    """Fit the hazard model to ``fit_until`` and compare its predictive intervals for the
    following years with the record (:func:`critmin.sim.hazard.backtest`)."""
    from critmin.sim.hazard import backtest

    if not 2010 <= fit_until < last_year <= 2026:
        raise QueryError("need 2010 <= --fit-until < --last-year <= 2026", "invalid",
                         "fit_until")  # fmt: skip
    if not 1 <= draws <= 1000:
        raise QueryError("--draws must be between 1 and 1000", "invalid", "draws")
    return backtest(ds if ds is not None else load(), fit_until, last_year, draws=draws,
                    seed=seed)  # fmt: skip


def refit_hazards(
    out: Path, fit_until: int = 2025, *, draws: int = 100, seed: int = 2026,
    ds: Dataset | None = None,
) -> pd.DataFrame:  # fmt: skip
    """Refit the hazard model on the record to ``fit_until`` and write its table (the shipped
    ``critmin/sim/hazard_fit.csv`` is made this way); returns the point fit's fixed effects."""
    from critmin.sim.hazard_fit import FIXED, fit_record, write_fit
    from critmin.sim.inputs import simulated_minerals

    ds = ds if ds is not None else load()
    fit = fit_record(ds, simulated_minerals(ds), fit_until, draws=draws, seed=seed)
    write_fit(fit, out)
    p = fit.point
    return pd.DataFrame(
        {
            "term": [*FIXED, "tau_country", "tau_group", "sigma", "events"],
            "value": [*p.beta.tolist(), p.tau_c, p.tau_g, p.sigma, p.events],
        }
    )


def alignment_table(raw_dir: Path, out: Path) -> int:
    """Rebuild the UNGA alignment table from the raw release folder; returns its rows."""
    from critmin.data.alignment import alignment_from_raw

    if not (raw_dir / "IdealpointsJuly2025.dta").exists():
        raise QueryError(f"no IdealpointsJuly2025.dta in {raw_dir}", "insufficient data", "raw")
    df = alignment_from_raw(raw_dir)
    df.to_csv(out, index=False)
    return len(df)
