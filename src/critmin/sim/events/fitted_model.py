"""The fitted hazard model applied to a scenario: one ``fitted_restriction`` per producing
country and mineral (docs/model.md §10).

Hazards: the shipped fit (:func:`critmin.sim.hazard_fit.shipped_fit`) evaluated at each
country's latest covariates (WGI political stability, UNGA distance to the USA, share of world
output, a restriction in the record's last five years), the trend held at the last fitted
year, times the event's ``scale``. Aim: a measure that discriminates between buyers
(licensing; bans aimed at importers) reaches the bloc with probability
``π = min(1, d / d_ref)``, ``d`` the distance between the country's UNGA ideal point and the
mean ideal point of the bloc's members, ``d_ref`` the distance between China and the USA in
2024 (the record's one ban aimed at a bloc member); an aimed ban that reaches the bloc bites
by the targeted-ban factor ``min(1, max(0, φ − (1 − s)) / s)`` (arbitrage, decision 0011).
Export taxes, quotas and bans apply to every buyer (``π = 1``): the bloc buys what is left
on the open market at the clearing price.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from critmin.data.alignment import load_alignment
from critmin.data.catalogue import mineral as catalogue_mineral
from critmin.data.dataset import Dataset
from critmin.sim.events.fitted_restriction import FittedRestriction

# What the model reads of a default_hazards event: the same protocol as the old model.
from critmin.sim.events.hazard_model import DefaultHazards as HazardOptions
from critmin.sim.events.hazard_model import hazard_cells
from critmin.sim.hazard_fit import (
    DISCRIMINATING_TYPES as DISCRIMINATING,
)
from critmin.sim.hazard_fit import (
    WITHHELD,
    HazardFit,
    country_group,
    linear_predictor,
)
from critmin.sim.hazard_record import (
    MEASURES,
    country_year_covariates,
    prior_restrictions,
    record_measures,
)
from critmin.sim.hazard_record import producer_shares as _producer_shares

SOURCE = "critmin fitted hazard model (docs/model.md §10; hazard_fit.csv)"


def cell_covariates(ds: Dataset, cells: pd.DataFrame, year: int) -> pd.DataFrame:
    """``cells`` (country, mineral) with the covariates of the fit for ``year``."""
    countries = sorted(cells["country"].unique())
    cov = country_year_covariates(ds, countries, range(year, year + 1))
    prior = prior_restrictions(record_measures(ds.restrictions), countries, range(year, year + 1))
    shares = _producer_shares(ds, tuple(sorted(cells["mineral"].unique())))
    out = cells.merge(cov.drop(columns="year"), on="country", how="left")
    out = out.merge(prior.drop(columns="year"), on="country", how="left")
    out = out.merge(shares, on=["country", "mineral"], how="left", suffixes=("_cell", ""))
    out["share"] = out["share"].fillna(0.005).clip(lower=0.005)
    out["log_share"] = np.log(out["share"])
    out["group"] = [catalogue_mineral(m).group for m in out["mineral"]]
    return out


def hazards(fit: HazardFit, cells: pd.DataFrame) -> np.ndarray:
    """Annual hazard λ of each cell (rows of :func:`cell_covariates`) per bootstrap draw,
    ``(cells, draws)``."""
    return np.exp(np.column_stack([linear_predictor(f, cells) for f in fit.draws]))


def aim_probability(country: str, members: tuple[str, ...], year: int) -> float:
    """``π``: the probability a discriminating measure by ``country`` reaches the bloc."""
    a = load_alignment()
    ip: pd.Series = (
        a[a["year"] <= year].sort_values("year").groupby("country")["ideal_point"].last()
    )
    if not members or country not in ip.index:
        return 1.0
    ref = abs(float(ip["CHN"]) - float(ip["USA"]))
    have = [m for m in members if m in ip.index]
    if not have:
        return 1.0
    d = abs(float(ip[country]) - float(ip[have].mean()))
    return float(min(1.0, d / ref))


def fitted_restrictions(
    ev: HazardOptions,
    ds: Dataset,
    minerals: tuple[str, ...],
    stage_shares: dict[tuple[int, int], pd.Series],
    members: tuple[str, ...],
    demand_share: Callable[[tuple[str, ...], str], float] | None = None,
    fit: HazardFit | None = None,
) -> list[FittedRestriction]:
    """The fitted restrictions ``default_hazards`` stands for (one per country × mineral)."""
    from critmin.sim.hazard_fit import shipped_fit

    fit = fit if fit is not None else shipped_fit()
    rows = [
        {"country": c, "mineral": m, "stage": stage, "s": share}
        for m, stage, c, share in hazard_cells(ev, minerals, stage_shares)
    ]
    if not rows:
        return []
    cells = cell_covariates(ds, pd.DataFrame(rows), fit.point.last_year + 1)
    lam = hazards(fit, cells) * ev.scale
    sigma = tuple(float(f.sigma) for f in fit.draws)
    withheld = tuple(WITHHELD[k][0] for k in MEASURES)
    dur = tuple(tuple(float(x) for x in r) for r in fit.measures.mean_duration)
    mixes = {g: tuple(tuple(float(x) for x in r) for r in mix)
             for g, mix in fit.measures.mix.items()}  # fmt: skip
    out = []
    for i, r in enumerate(cells.to_dict(orient="records")):
        pi = aim_probability(r["country"], members, fit.point.last_year)
        phi = demand_share(members, r["mineral"]) if members and demand_share else 1.0
        tf = float(min(1.0, max(0.0, phi - (1.0 - r["s"])) / r["s"]))
        out.append(
            FittedRestriction.model_construct(
                type="fitted_restriction",
                country=r["country"],
                minerals=[r["mineral"]],
                stage=r["stage"],
                rates=tuple(float(x) for x in lam[i]),
                sigma=sigma,
                mix=mixes[country_group(r["country"])],
                mean_duration=dur,
                withheld=withheld,
                aim=tuple(pi if k in DISCRIMINATING else 1.0 for k in MEASURES),
                reach=tuple(tf if k == "ban aimed at importers" else 1.0 for k in MEASURES),
                source=SOURCE,
            )
        )
    return out
