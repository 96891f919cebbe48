"""A company's products under a disruption: how many units could not be built, and why.

The rule (decision 0025, "Company view"): the company suffers the bloc's average shortfall
share of every input mineral — in each sample and year it gets ``1 - shortfall`` of what its
plan needs of mineral *m*. A product needs all its inputs in fixed proportion (no
substitution, no stocks of its own, no priority over other buyers), so the units it can build
are limited by its scarcest input: units short = planned units × max over the product's
minerals of the shortfall share, and that mineral binds. Minerals the market model does not
simulate count as not short and are named.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from critmin.data.dataset import Dataset, load
from critmin.sim.scenario import Scenario

#: Columns of :func:`units_short` (units short summed over the plan's years in the horizon).
COLUMNS = [
    "scenario",
    "product",
    "binding_mineral",
    "units_planned",
    "units_short_mean",
    "units_short_p5",
    "units_short_p50",
    "units_short_p95",
    "share_short_mean",
    "binding_share",
    "worst_year_short_p95",
    "not_simulated",
    "years",
]


def read_company(bom: Path, plan: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The company's BOM and production plan, checked (every problem with file, line, field).

    Raises
    ------
    DataError
        A malformed file, or a plan product the BOM does not cover.
    """
    from critmin.demand import bom as bom_mod

    b, p = bom_mod.read_company_bom(bom), bom_mod.read_production_plan(plan)
    bom_mod.company_demand(b, p)  # raises on plan products the BOM lacks
    return b, p


def units_short(
    bom: pd.DataFrame, plan: pd.DataFrame, result: xr.Dataset, scenario: str = ""
) -> pd.DataFrame:
    """Per product: units of the plan that could not be built in a simulation ``result``.

    ``bom`` and ``plan`` as read by :func:`read_company`; ``result`` needs ``shortfall``
    (sample × year × mineral, share of the bloc's demand). Units short are summed over the
    plan's years inside the simulation's horizon (``years``); P5/P50/P95 are across samples;
    ``worst_year_short_p95`` is the P95 of each sample's worst year. ``binding_mineral`` is the
    mineral whose shortfall limits the product most often among the sample-years where any
    unit is short (``binding_share``: how often), empty when nothing is short.

    Examples
    --------
    One product needing one mineral; the bloc is 10 % short in 2030 in sample 0 and 30 % in
    sample 1, so 100 and 300 of 1,000 units cannot be built:

    >>> bom = pd.DataFrame({"product": ["srv"], "mineral": ["gallium"], "intensity_t": [1e-6]})
    >>> plan = pd.DataFrame({"product": ["srv"], "year": [2030], "units": [1000.0]})
    >>> sf = np.array([[[0.1]], [[0.3]]])
    >>> res = xr.Dataset({"shortfall": (("sample", "year", "mineral"), sf)},
    ...                  coords={"sample": [0, 1], "year": [2030], "mineral": ["gallium"]})
    >>> r = units_short(bom, plan, res).iloc[0]
    >>> float(r.units_short_mean), r.binding_mineral, float(r.binding_share)
    (200.0, 'gallium', 1.0)
    """
    sf = result["shortfall"].transpose("sample", "year", "mineral")
    sim_years = [int(y) for y in sf["year"].values]
    sim_minerals = [str(m) for m in sf["mineral"].values]
    arr = np.clip(np.nan_to_num(sf.to_numpy().astype(float)), 0.0, 1.0)
    rows = []
    for product, items in bom[bom["intensity_t"] > 0].groupby("product", sort=True):
        needs = sorted(set(items["mineral"]))
        used = [m for m in needs if m in sim_minerals]
        missing = [m for m in needs if m not in sim_minerals]
        pp = plan[(plan["product"] == product) & plan["year"].isin(sim_years)]
        pp = pd.DataFrame(pp.groupby("year", as_index=False)["units"].sum())
        pp = pp.sort_values("year")
        years = [int(y) for y in pp["year"]]
        units = pp["units"].to_numpy(dtype=float)
        if not used or not years:
            short = np.zeros((arr.shape[0], max(len(years), 1)))
            binds = np.zeros_like(short, dtype=int)
        else:
            yi = [sim_years.index(y) for y in years]
            mi = [sim_minerals.index(m) for m in used]
            sub = arr[:, yi][:, :, mi]  # sample × plan year × the product's minerals
            binds = sub.argmax(axis=2)
            short = sub.max(axis=2) * units[None, :]
        total = short.sum(axis=1)
        hit = short > 0
        binding, share = "", 0.0
        if hit.any():
            counts = np.bincount(binds[hit], minlength=len(used))
            binding = used[int(counts.argmax())]
            share = float(counts.max() / hit.sum())
        planned = float(units.sum())
        p5, p50, p95 = np.percentile(total, [5, 50, 95])
        rows.append({
            "scenario": scenario, "product": product, "units_planned": planned,
            "units_short_mean": float(total.mean()), "units_short_p5": float(p5),
            "units_short_p50": float(p50), "units_short_p95": float(p95),
            "share_short_mean": float(total.mean() / planned) if planned > 0 else 0.0,
            "worst_year_short_p95": float(np.percentile(short.max(axis=1), 95)),
            "binding_mineral": binding, "binding_share": share,
            "not_simulated": ", ".join(missing),
            "years": f"{years[0]}–{years[-1]}" if years else "none in the horizon",
        })  # fmt: skip
    return pd.DataFrame(rows, columns=COLUMNS)


def company_at_risk(
    bom: Path,
    plan: Path,
    scenario: Scenario | Path | str,
    *,
    samples: int | None = None,
    seed: int | None = None,
    ds: Dataset | None = None,
) -> pd.DataFrame:
    """Run ``scenario`` (object, file, or a library scenario's name) and count the units of
    the company's products it leaves unbuilt (:func:`units_short`).

    Raises
    ------
    DataError
        A malformed BOM, plan or scenario file, or an unknown library scenario name.
    """
    from critmin.analysis.scenarios import run_simulation
    from critmin.sim import library
    from critmin.sim.scenario import load_scenario

    b, p = read_company(bom, plan)
    if isinstance(scenario, Scenario):
        sc = scenario
    else:
        path = Path(scenario)
        if path.suffix.lower() not in (".yaml", ".yml"):
            path = library.path(str(scenario))  # DataError naming the shipped ones
        sc = load_scenario(path)
    d = ds if ds is not None else load()
    res = run_simulation(sc, samples=samples, seed=seed, keep="summary", ds=d)
    return units_short(b, p, res, sc.name)
