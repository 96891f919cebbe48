"""AI data-centre mineral demand: new IT capacity × material intensity, beside world demand.

``demand[year, mineral, component, case] = new_it_mw[year] × intensity[component, mineral,
case]`` in tonnes, with case ∈ (low, central, high) the intensity range of
:file:`intensities.csv`. Only first fill of new capacity is counted (no replacement, no
recycling): see :mod:`critmin.demand.buildout` and docs/decisions/0009-ai-demand.md.

:func:`world_context` sets the AI demand beside world demand: the IEA Critical Minerals
Outlook total demand (STEPS by default, the sheet "1 Total demand for key minerals", linearly
interpolated between its years) for the minerals IEA covers, otherwise the latest world
production of the mineral's refining stage (mine stage where the catalogue has no refining
stage) held flat at its latest year.

Examples
--------
>>> da = ai_demand("base", years=[2030])
>>> da.dims
('year', 'mineral', 'component', 'case')
>>> cu = float(da.sel(year=2030, mineral="copper", case="central").sum())
>>> 200_000 < cu < 1_000_000
True
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

from critmin.data.catalogue import mineral as catalogue_mineral
from critmin.data.units import factor
from critmin.demand.bom import CASES, load_intensities
from critmin.demand.buildout import SCENARIOS, Scenario, capacity_path
from critmin.demand.buildout import scenario as builtin_scenario
from critmin.metrics.concentration import table_basis

if TYPE_CHECKING:
    from critmin.data.dataset import Dataset

#: ``scenario(name)`` and ``SCENARIOS`` are re-exported from :mod:`critmin.demand.buildout`.
scenario = builtin_scenario

__all__ = ["SCENARIOS", "ai_demand", "demand_table", "scenario", "world_context"]

#: The IEA sheet whose rows are the total demand per mineral (other sheets repeat figures).
IEA_TOTAL_SHEET = "1 Total demand for key minerals"


def _new_mw(
    build: Scenario | str | pd.DataFrame, years: Iterable[int] | None
) -> tuple[pd.Series, str]:
    """New IT MW per year from a scenario, a scenario name or a capacity path."""
    if isinstance(build, str):
        build = builtin_scenario(build)
    if isinstance(build, Scenario):
        cp = capacity_path(build, years)
        name = build.name
    else:
        cp = build
        if years is not None:
            cp = cp[cp["year"].isin(list(years))]
        name = "custom"
    s = pd.Series(cp["new_it_mw"].to_numpy(dtype=float), index=cp["year"].astype(int).to_numpy())
    return s.sort_index(), name


def ai_demand(
    scenario: Scenario | str | pd.DataFrame,
    intensities: pd.DataFrame | None = None,
    years: Iterable[int] | None = None,
) -> xr.DataArray:
    """Mineral demand of new data-centre capacity, in tonnes.

    Parameters
    ----------
    scenario
        A :class:`~critmin.demand.buildout.Scenario`, the name of a built-in one, or a capacity
        path (a frame with ``year`` and ``new_it_mw``, as from
        :func:`~critmin.demand.buildout.capacity_path`).
    intensities
        As from :func:`~critmin.demand.bom.load_intensities` (default: the packaged table).
    years
        Years (default 2025–2040).

    Returns
    -------
    xarray.DataArray
        dims (year, mineral, component, case), values in t; a (component, mineral) pair the
        table does not list is 0. ``attrs`` carry the unit and the scenario name.

    Examples
    --------
    >>> cp = pd.DataFrame({"year": [2030], "new_it_mw": [1000.0]})
    >>> da = ai_demand(cp)
    >>> float(da.sel(year=2030, mineral="copper", component="dc_electrical", case="central"))
    27000.0
    """
    it = load_intensities() if intensities is None else intensities
    new, name = _new_mw(scenario, years)
    minerals = sorted(it["mineral"].unique())
    components = list(dict.fromkeys(it["component"]))
    inten = np.zeros((len(minerals), len(components), len(CASES)))
    mi = {m: i for i, m in enumerate(minerals)}
    ci = {c: i for i, c in enumerate(components)}
    for rec in it.itertuples(index=False):
        for k, case in enumerate(CASES):
            inten[mi[str(rec.mineral)], ci[str(rec.component)], k] = float(
                getattr(rec, f"{case}_t")
            )
    values = new.to_numpy()[:, None, None, None] * inten[None, :, :, :]
    return xr.DataArray(
        values,
        dims=("year", "mineral", "component", "case"),
        coords={
            "year": new.index.to_numpy(),
            "mineral": minerals,
            "component": components,
            "case": list(CASES),
        },
        name="ai_demand",
        attrs={"unit": "t", "scenario": name, "basis": "new IT capacity (MW_IT) x intensity"},
    )


def demand_table(
    scenario: Scenario | str | pd.DataFrame,
    intensities: pd.DataFrame | None = None,
    years: Iterable[int] | None = None,
) -> pd.DataFrame:
    """:func:`ai_demand` as a tidy frame: year, mineral, component, case, demand_t.

    Examples
    --------
    >>> t = demand_table("base", years=[2030])
    >>> list(t.columns)
    ['year', 'mineral', 'component', 'case', 'demand_t']
    """
    da = ai_demand(scenario, intensities, years)
    return da.to_dataframe(name="demand_t").reset_index()[
        ["year", "mineral", "component", "case", "demand_t"]
    ]


def _iea_world(ds: Dataset, mineral: str, years: list[int], scenario_name: str) -> pd.Series:
    d = ds.demand_outlook
    rows = d[
        (d["sheet"] == IEA_TOTAL_SHEET)
        & (d["mineral"] == mineral)
        & (d["sector"] == "total")
        & (d["scenario"] == scenario_name)
    ]
    if "case" in rows.columns and (rows["case"] == "Base case").any():
        rows = rows[rows["case"] == "Base case"]
    if rows.empty:
        return pd.Series(dtype=float)
    rows = rows.assign(value_t=rows["value"] * [factor(u, "t") for u in rows["unit"]])
    by = rows.groupby("year")["value_t"].first().sort_index()
    out = pd.Series(np.interp(years, by.index.to_numpy(), by.to_numpy()), index=years)
    out.attrs["source"] = str(rows["source"].iloc[0])
    return out


def _production_world(ds: Dataset, mineral: str) -> tuple[float, str, int | None, str | None]:
    """World production of the mineral's last stage: value (t), basis text, year, source."""
    try:
        stages = catalogue_mineral(mineral).basis
    except KeyError:
        return float("nan"), "", None, None
    for stage in ("refine", "mine"):
        if stage not in stages:
            continue
        rows = ds.supply(mineral, stage)
        if rows.empty:
            continue
        world = rows.loc[rows["entity_kind"] == "world", "value"].dropna()
        parts = rows.loc[rows["entity_kind"].isin(["country", "other"]), "value"]
        value = float(world.iloc[0]) if len(world) else float(parts.sum())
        value *= factor(str(rows["unit"].iloc[0]), "t")
        what = (
            f"world {stage} production {int(rows['year'].iloc[0])} "
            f"({rows['source'].iloc[0]}, {table_basis(rows)}), held flat"
        )
        return value, what, int(rows["year"].iloc[0]), str(rows["source"].iloc[0])
    return float("nan"), "", None, None


def world_context(ds: Dataset, demand: xr.DataArray, iea_scenario: str = "STEPS") -> pd.DataFrame:
    """AI demand beside world demand per mineral and year, with the AI share.

    Parameters
    ----------
    ds
        A critmin dataset (``critmin.load()``).
    demand
        From :func:`ai_demand`.
    iea_scenario
        IEA outlook scenario for world demand: ``STEPS`` (stated policies, default), ``APS``
        or ``NZE``.

    Returns
    -------
    pandas.DataFrame
        year, mineral, ai_low_t, ai_central_t, ai_high_t (summed over components), world_t,
        world_basis (which figure), ai_share_low, ai_share_central, ai_share_high
        (AI / world), data_year (the year of the world figure: the demand year for the IEA
        outlook, the production year held flat otherwise) and edition (its source and
        edition), sorted by year then central share, largest first.
    """
    years = [int(y) for y in demand["year"].to_numpy()]
    tot = demand.sum("component")
    recs = []
    for m in [str(x) for x in demand["mineral"].to_numpy()]:
        iea = _iea_world(ds, m, years, iea_scenario)
        data_year: int | None = None
        if len(iea):
            world = iea
            basis = (
                f"IEA {iea_scenario} total demand (Critical Minerals Data Explorer), interpolated"
            )
            edition: str | None = str(iea.attrs.get("source"))
        else:
            v, basis, data_year, edition = _production_world(ds, m)
            world = pd.Series(v, index=years)
        for y in years:
            rec: dict[str, object] = {"year": y, "mineral": m}
            ai = {case: float(tot.sel(year=y, mineral=m, case=case)) for case in CASES}
            for case in CASES:
                rec[f"ai_{case}_t"] = ai[case]
            w = float(world.loc[y])
            rec["world_t"] = w
            rec["world_basis"] = basis
            for case in CASES:
                rec[f"ai_share_{case}"] = ai[case] / w if w == w and w > 0 else float("nan")
            rec["data_year"] = y if len(iea) else data_year
            rec["edition"] = edition
            recs.append(rec)
    out = pd.DataFrame(recs)
    if "data_year" in out:
        out["data_year"] = out["data_year"].astype("Int64")
    return out.sort_values(["year", "ai_share_central"], ascending=[True, False]).reset_index(
        drop=True
    )
