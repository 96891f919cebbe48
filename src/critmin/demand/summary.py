"""Tables a user asks for: demand per mineral (or component) and year with its range, and
what retires and could come back from recycling.

Ranges: every ``low`` / ``central`` / ``high`` triple is ordered by the quantity itself, not
by the input case that produced it. A shorter lifetime retires *more* metal early, so the
``*_low`` retirements of a year are the smallest over the lifetime variants, whichever variant
that is (decision 0018).

Installed base: equipment in use before 2025 is modelled from the data-centre capacity history
(:func:`critmin.demand.buildout.history_path`, IEA-anchored), kept equipped (retired units
replaced) up to 2024, so retirements after 2025 start from the 2024 fleet, not from zero.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import xarray as xr

from critmin.demand.buildout import BASE_YEAR, Scenario, full_path, growth_driver
from critmin.demand.buildout import scenario as builtin_scenario
from critmin.demand.demand import ai_demand, demand_table
from critmin.demand.stock import Variant, recoverable, stock_model

VARIANTS: tuple[Variant, ...] = ("low", "central", "high")


def _scenario(s: Scenario | str | pd.DataFrame) -> Scenario | pd.DataFrame:
    return builtin_scenario(s) if isinstance(s, str) else s


def _inflow_with_history(
    s: Scenario | pd.DataFrame,
    years: list[int],
    intensities: pd.DataFrame | None,
    variant: Variant,
    *,
    replace_until: int,
    tol: float = 1e-9,
    max_iter: int = 80,
) -> tuple[xr.DataArray, xr.DataArray]:
    """New-capacity demand from 1990 on and the inflow that replaces retirements.

    Retired equipment is replaced like for like in every year ``≤ replace_until``: the inflow
    ``I`` solves ``I = N + mask × R(I)`` (fixed point; exact once every generation inside the
    horizon is counted). Central intensity. A capacity path (frame of ``year, new_it_mw``)
    instead of a scenario is used as given, without history.
    """
    if isinstance(s, pd.DataFrame):
        path = s[s["year"] <= max(years)]
    else:
        path = full_path(s, max(max(years), BASE_YEAR + 1))
    new = ai_demand(path, intensities).sel(case="central", drop=True)
    mask = xr.DataArray(
        (new["year"].to_numpy() <= replace_until).astype(float),
        coords={"year": new["year"]},
        dims="year",
    )
    total = new.copy()
    for _ in range(max_iter):
        retired = stock_model(total, variant=variant).outflow
        nxt = new + (mask * retired).transpose(*new.dims)
        change = float(abs(nxt - total).max())
        total = nxt
        if change <= tol * max(float(abs(total).max()), 1.0):
            break
    else:  # pragma: no cover - lifetimes of at least a few years converge in far fewer steps
        raise RuntimeError("replacement demand did not converge")
    return new, total


def demand_by(
    scenario: Scenario | str,
    years: Iterable[int],
    by: str = "mineral",
    intensities: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """AI demand per year and mineral (``by="mineral"``) or mineral and component, in t.

    Columns: year, mineral[, component], low, central, high (t); rows with all zero dropped.
    ``by="mineral"`` adds ``driver``: the year's new IT capacity and the published growth of
    the scenario segment it falls in (for the IEA Base case, +14.7 %/yr to 2030 and +4.9 %/yr
    after: AI copper demand peaks in 2028–29 and falls to 2033 because new capacity does).

    Examples
    --------
    >>> t = demand_by("base", [2030])
    >>> cu = t[t.mineral == "copper"].iloc[0]
    >>> bool(200_000 < cu.central < 1_000_000 and cu.low <= cu.central <= cu.high)
    True
    """
    if by not in ("mineral", "component"):
        raise ValueError(f"by must be mineral or component, not {by!r}")
    t = demand_table(scenario, intensities, list(years))
    keys = ["year", "mineral"] + (["component"] if by == "component" else [])
    out = t.pivot_table(index=keys, columns="case", values="demand_t", aggfunc="sum")
    out = out.reindex(columns=["low", "central", "high"]).reset_index()
    out.columns.name = None
    out = out[(out[["low", "central", "high"]] != 0).any(axis=1)]
    out = out.sort_values(keys).reset_index(drop=True)
    sc = _scenario(scenario)
    if by == "mineral" and isinstance(sc, Scenario):
        drivers = {int(y): growth_driver(sc, int(y)) for y in out["year"].unique()}
        out["driver"] = out["year"].map(drivers)
    return out


def end_of_life(
    scenario: Scenario | str,
    years: Iterable[int],
    intensities: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Installed base, retirements and recoverable metal per year and mineral (central demand).

    The installed base of 2024 comes from the capacity history (1990–2024, kept equipped:
    what retired before 2025 was replaced); from 2025 the AI demand of each year enters use and
    nothing is replaced. Retirements use the component lifetimes of ``lifetimes.csv``;
    recoverable = retirements × the default end-of-life recycling rate (``recycling.csv``).

    ``stock``, ``retired`` and ``recoverable`` are the central-lifetime values; ``*_low`` and
    ``*_high`` are the smallest and largest value over the short, central and long lifetime
    variants, per year and mineral (a short life retires more early and less later, so no
    single variant is always the low one).

    Examples
    --------
    >>> t = end_of_life("base", [2025, 2035])
    >>> cu = t[t.mineral == "copper"].set_index("year")
    >>> bool((cu.retired_low <= cu.retired).all() and (cu.retired <= cu.retired_high).all())
    True
    >>> bool(cu.loc[2025, "retired"] > 10_000)  # the pre-2025 fleet retires from day one
    True
    """
    ys = sorted({int(y) for y in years})
    sc = _scenario(scenario)
    parts: dict[str, dict[str, pd.Series]] = {}
    for variant in VARIANTS:
        _, inflow = _inflow_with_history(sc, ys, intensities, variant, replace_until=BASE_YEAR)
        res = stock_model(inflow, variant=variant)
        rec = recoverable(res.outflow)
        parts[variant] = {
            "stock": res.stock.sum("component").to_series(),
            "retired": res.outflow.sum("component").to_series(),
            "recoverable": rec.sum("component").to_series(),
        }
    out = pd.DataFrame({q: parts["central"][q] for q in ("stock", "retired", "recoverable")})
    for q in ("retired", "recoverable"):
        stacked = np.stack([parts[v][q].to_numpy() for v in VARIANTS])
        out[f"{q}_low"] = stacked.min(axis=0)
        out[f"{q}_high"] = stacked.max(axis=0)
    out = out.reset_index()
    out = out[out["year"].isin(ys)]
    cols = ["year", "mineral", "stock", "retired", "recoverable", "retired_low", "retired_high",
            "recoverable_low", "recoverable_high"]  # fmt: skip
    out = out[cols]
    return out[(out[cols[2:]] != 0).any(axis=1)].reset_index(drop=True)


def with_replacement(
    scenario: Scenario | str,
    years: Iterable[int],
    intensities: pd.DataFrame | None = None,
    variant: Variant = "central",
    tol: float = 1e-9,
    max_iter: int = 80,
) -> pd.DataFrame:
    """Demand for new capacity plus like-for-like replacement of retired equipment, in t.

    Equipment that retires (lifetimes of ``lifetimes.csv``, ``variant`` low/central/high) is
    replaced in the year it retires, and the replacements retire in turn. The total inflow
    ``I`` solves ``I = N + R(I)`` (N: new-capacity demand, R: retirements of the inflows so
    far); it is found by fixed-point iteration, exact once every generation of replacement
    inside the horizon is counted. Demand of the central case. The installed base before 2025
    (capacity history from 1990, :func:`critmin.demand.buildout.history_path`) is in the stock,
    so its retirements are replaced too.

    Returns
    -------
    pandas.DataFrame
        year, mineral, new, replacement, total (t).

    Examples
    --------
    >>> t = with_replacement("base", range(2025, 2041))
    >>> cu = t[t.mineral == "copper"].set_index("year")
    >>> bool((cu.total >= cu.new).all()) and bool(cu.loc[2025, "replacement"] > 10_000)
    True
    """
    ys = sorted({int(y) for y in years})
    new, total = _inflow_with_history(
        _scenario(scenario), ys, intensities, variant, replace_until=max(ys), tol=tol,
        max_iter=max_iter,
    )  # fmt: skip
    out = pd.DataFrame(
        {
            "new": new.sum("component").to_series(),
            "total": total.sum("component").to_series(),
        }
    ).reset_index()
    out = out[out["year"].isin(ys)]
    out["replacement"] = out["total"] - out["new"]
    out = out[["year", "mineral", "new", "replacement", "total"]]
    return out[(out[["new", "total"]] != 0).any(axis=1)].reset_index(drop=True)
