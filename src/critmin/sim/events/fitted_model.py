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

import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd

from critmin.data.alignment import load_alignment
from critmin.data.catalogue import mineral as catalogue_mineral
from critmin.data.dataset import Dataset
from critmin.sim.events.fitted_restriction import FittedRestriction

# What the model reads of a default_hazards event: the same protocol as the old model.
from critmin.sim.events.hazard_model import DefaultHazards as HazardOptions
from critmin.sim.hazard_fit import (
    DISCRIMINATING_TYPES as DISCRIMINATING,
)
from critmin.sim.hazard_fit import (
    HazardFit,
    country_group,
    linear_predictor,
    withheld_shares,
)
from critmin.sim.hazard_record import (
    FIRST_YEAR,
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


#: Minerals whose mine and refine stages are counted in the same metal content, so that the
#: ore a country refines at home is ``min(mine, refine)`` of its own output.
SAME_CONTENT = ("lithium", "cobalt", "nickel", "tin", "copper")


#: Refined output a country exports (the rest is its own use, which an export measure does not
#: withhold), where a published figure is at hand: (share, basis).
REFINED_EXPORTS: dict[tuple[str, str], tuple[float, str]] = {
    ("CHN", "aluminium"): (
        0.13,
        "China's exports of unwrought aluminium and aluminium products, Jan-May 2023, "
        "2.315 Mt (General Administration of Customs, via "
        "https://www.hmeonlineglobal.com/Home-Lights-Construction/14398.html), x 12/5 = "
        "5.6 Mt a year, against 41.59 Mt of primary output in 2023 (National Bureau of "
        "Statistics, via Reuters, https://it.marketscreener.com/notizie/ultimo/Produzione-di-"
        "alluminio-in-Cina-nel-2023-in-aumento-del-3-7-a-a-a-41-59-milioni-di-tonnellate-"
        "Uff-45752679/): 13 %. Products include semis, partly from scrap: an upper bound",
    ),
}


def stage_mix(ds: Dataset, last_year: int) -> dict[str, float]:
    """Probability that a new measure of each country group is at the mine stage (an ore or
    concentrate measure) rather than the refine stage: the share of the group's new measures
    in the record to ``last_year`` (Jeffreys prior, 0.5 pseudo-counts per stage).

    Examples
    --------
    >>> import critmin
    >>> p = stage_mix(critmin.load(), 2025)
    >>> p["CHN"] < 0.2 < 0.8 < p["other"]
    True
    """
    m = record_measures(ds.restrictions)
    new = m[m["counts"] & m["start_year"].between(FIRST_YEAR, last_year)]
    out = {}
    for grp in ("CHN", "other"):
        sel = new[[country_group(c) == grp for c in new["country"]]]
        out[grp] = float(((sel["stage"] == "mine").sum() + 0.5) / (len(sel) + 1.0))
    return out


def bans_in_force(ds: Dataset, year: int) -> set[tuple[str, str]]:
    """(country, mineral) pairs with an ore ban (stage mine, all buyers) in force at the start
    of ``year`` in the record: their ore exports are already withheld."""
    m = record_measures(ds.restrictions)
    start = dt.date(year, 1, 1)
    out = set()
    for r in m.to_dict(orient="records"):
        if r["measure"] != "ban" or r["stage"] != "mine" or r["start"] is None:
            continue
        if r["start"] <= start and (r["end"] is None or r["end"] > start):
            out |= {(str(r["country"]), str(x)) for x in r["minerals"]}
    return out


def exposure(
    country: str, mineral: str, stage: str, shares: dict[str, float], banned: set[tuple[str, str]]
) -> float:
    """Share of the country's output at ``stage`` that a new export measure can withhold
    from the world market: at the mine stage the ore it does not refine itself,
    ``1 − min(1, refine / mine)`` (minerals of :data:`SAME_CONTENT`; world shares of each
    stage times world output), 0 where an ore ban already holds; at the refine stage the share
    it exports (:data:`REFINED_EXPORTS`, a published figure); otherwise 1 (ASSUMPTION: no
    data on the country's own use of the product).

    Examples
    --------
    >>> exposure("IDN", "nickel", "mine", {"mine": 2.6, "refine": 1.3}, set())
    0.5
    >>> exposure("IDN", "nickel", "mine", {"mine": 2.6, "refine": 1.3}, {("IDN", "nickel")})
    0.0
    """
    if stage != "mine":
        return REFINED_EXPORTS.get((country, mineral), (1.0, ""))[0]
    if (country, mineral) in banned:
        return 0.0
    mine, refine = shares.get("mine", 0.0), shares.get("refine")
    if mineral not in SAME_CONTENT or refine is None or mine <= 0:
        return 1.0
    return float(max(0.0, 1.0 - refine / mine))


def fitted_cells(
    ev: HazardOptions,
    ds: Dataset,
    minerals: tuple[str, ...],
    stage_shares: dict[tuple[int, int], pd.Series],
    last_year: int,
) -> pd.DataFrame:
    """One row per country, mineral and stage a new measure can hit: ``country, mineral,
    stage, s`` (share of the stage's world output), ``p_stage`` (share of the cell's hazard
    at this stage: :func:`stage_mix` where the country produces at both simulated stages,
    else 1), ``exposure``. A country is in when it holds at least ``min_share`` at a
    simulated stage, at each stage it produces at."""
    p_mine = stage_mix(ds, last_year)
    banned = bans_in_force(ds, last_year + 1)
    rows = []
    for j, m in enumerate(minerals):
        if ev.minerals is not None and m not in ev.minerals:
            continue
        stages = {st: stage_shares[(j, k)] for k, st in enumerate(("mine", "refine"))
                  if (j, k) in stage_shares}  # fmt: skip
        countries = sorted({str(c) for x in stages.values() for c, v in x.items()
                            if v >= ev.min_share})  # fmt: skip
        for c in countries:
            if ev.countries is not None and c not in ev.countries:
                continue
            rows += _stage_rows(ds, m, c, stages, p_mine, banned)
    return pd.DataFrame(rows, columns=["country", "mineral", "stage", "s", "p_stage",
                                       "exposure"])  # fmt: skip


def _stage_rows(
    ds: Dataset,
    m: str,
    c: str,
    stages: dict[str, pd.Series],
    p_mine: dict[str, float],
    banned: set[tuple[str, str]],
) -> list[dict[str, object]]:
    """The stage cells of one country and mineral (:func:`fitted_cells`)."""
    sh = {st: float(x.get(c, 0.0)) for st, x in stages.items()}
    # Tonnes at each stage, to compare the ore a country mines with what it refines.
    tonnes = {st: v * _world_tonnes(ds, m, st) for st, v in sh.items()}
    here = [st for st, v in sh.items() if v > 0]
    pm = p_mine[country_group(c)] if len(here) == 2 else None
    rows: list[dict[str, object]] = []
    for st in here:
        p = 1.0 if pm is None else (pm if st == "mine" else 1.0 - pm)
        rows.append({"country": c, "mineral": m, "stage": st, "s": sh[st], "p_stage": p,
                     "exposure": exposure(c, m, st, tonnes, banned)})  # fmt: skip
    return rows


def _world_tonnes(ds: Dataset, mineral: str, stage: str) -> float:
    """World output of the stage in the table's unit (latest year of the preferred source)."""

    def total() -> float:
        rows = ds.supply(mineral, stage)
        if rows.empty:
            return float("nan")
        return float(rows.loc[rows["entity_kind"].isin(["country", "other"]), "value"].sum())

    result: float = ds.memo(("sim.world_tonnes", mineral, stage), total)
    return result


def fitted_restrictions(
    ev: HazardOptions,
    ds: Dataset,
    minerals: tuple[str, ...],
    stage_shares: dict[tuple[int, int], pd.Series],
    members: tuple[str, ...],
    demand_share: Callable[[tuple[str, ...], str], float] | None = None,
    fit: HazardFit | None = None,
) -> list[FittedRestriction]:
    """The fitted restrictions ``default_hazards`` stands for: one per country, mineral and
    stage it produces at (:func:`fitted_cells`), the cell's hazard split between the stages
    by the country group's record."""
    from critmin.sim.hazard_fit import shipped_fit

    fit = fit if fit is not None else shipped_fit()
    cells = fitted_cells(ev, ds, minerals, stage_shares, fit.point.last_year)
    if cells.empty:
        return []
    cov = cell_covariates(ds, cells[["country", "mineral"]].drop_duplicates(),
                          fit.point.last_year + 1)  # fmt: skip
    lam_cm = pd.DataFrame(hazards(fit, cov) * ev.scale,
                          index=pd.MultiIndex.from_frame(cov[["country", "mineral"]]))  # fmt: skip
    sigma = tuple(float(f.sigma) for f in fit.draws)
    shares = withheld_shares(ds)
    withheld = tuple(shares[k][0] for k in MEASURES)
    dur = tuple(tuple(float(x) for x in r) for r in fit.measures.mean_duration)
    mixes = {g: tuple(tuple(float(x) for x in r) for r in mix)
             for g, mix in fit.measures.mix.items()}  # fmt: skip
    out = []
    for r in cells.to_dict(orient="records"):
        lam = lam_cm.loc[(r["country"], r["mineral"])].to_numpy(float) * r["p_stage"]
        pi = aim_probability(r["country"], members, fit.point.last_year)
        phi = demand_share(members, r["mineral"]) if members and demand_share else 1.0
        tf = float(min(1.0, max(0.0, phi - (1.0 - r["s"])) / r["s"]))
        out.append(
            FittedRestriction.model_construct(
                type="fitted_restriction",
                country=r["country"],
                minerals=[r["mineral"]],
                stage=r["stage"],
                rates=tuple(float(x) for x in lam),
                sigma=sigma,
                mix=mixes[country_group(r["country"])],
                mean_duration=dur,
                withheld=withheld,
                aim=tuple(pi if k in DISCRIMINATING else 1.0 for k in MEASURES),
                reach=tuple(tf if k == "ban aimed at importers" else 1.0 for k in MEASURES),
                exposure=float(r["exposure"]),
                source=SOURCE,
            )
        )
    return out
