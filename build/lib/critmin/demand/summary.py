"""Tables a user asks for: demand per mineral (or component) and year with its range, and
what retires and could come back from recycling.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from critmin.demand.buildout import Scenario
from critmin.demand.demand import ai_demand, demand_table
from critmin.demand.stock import recoverable, stock_model


def demand_by(
    scenario: Scenario | str,
    years: Iterable[int],
    by: str = "mineral",
    intensities: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """AI demand per year and mineral (``by="mineral"``) or mineral and component, in t.

    Columns: year, mineral[, component], low, central, high (t); rows with all zero dropped.

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
    return out.sort_values(keys).reset_index(drop=True)


def end_of_life(
    scenario: Scenario | str,
    years: Iterable[int],
    intensities: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Installed base, retirements and recoverable metal per year and mineral (central demand).

    The AI demand of each year enters use (stock model with the component lifetimes of
    ``lifetimes.csv``); retirements leave it; recoverable = retirements × the default
    end-of-life recycling rate (``recycling.csv``). ``*_low``/``*_high`` use the short and
    long lifetime variants.
    """
    da = ai_demand(scenario, intensities, list(years)).sel(case="central", drop=True)
    frames = []
    for variant in ("low", "central", "high"):
        res = stock_model(da, variant=variant)
        rec = recoverable(res.outflow)
        f = pd.DataFrame(
            {
                "stock": res.stock.sum("component").to_series(),
                "retired": res.outflow.sum("component").to_series(),
                "recoverable": rec.sum("component").to_series(),
            }
        )
        frames.append(f.add_suffix("" if variant == "central" else f"_{variant}"))
    out = pd.concat(frames, axis=1).reset_index()
    cols = ["year", "mineral", "stock", "retired", "recoverable", "retired_low", "retired_high",
            "recoverable_low", "recoverable_high"]  # fmt: skip
    out = out[cols]
    return out[(out[cols[2:]] != 0).any(axis=1)].reset_index(drop=True)


def with_replacement(
    scenario: Scenario | str,
    years: Iterable[int],
    intensities: pd.DataFrame | None = None,
    variant: str = "central",
    tol: float = 1e-9,
    max_iter: int = 60,
) -> pd.DataFrame:
    """Demand for new capacity plus like-for-like replacement of retired equipment, in t.

    Equipment that retires (lifetimes of ``lifetimes.csv``, ``variant`` low/central/high) is
    replaced in the year it retires, and the replacements retire in turn. The total inflow
    ``I`` solves ``I = N + R(I)`` (N: new-capacity demand, R: retirements of the inflows so
    far); it is found by fixed-point iteration, exact once every generation of replacement
    inside the horizon is counted. Demand of the central case. The stock starts empty in the
    first year: equipment installed before it (the 2024 fleet) is not replaced here, so early
    replacement demand is a lower bound.

    Returns
    -------
    pandas.DataFrame
        year, mineral, new, replacement, total (t).

    Examples
    --------
    >>> t = with_replacement("base", range(2025, 2041))
    >>> cu = t[t.mineral == "copper"].set_index("year")
    >>> bool((cu.total >= cu.new).all()) and bool(cu.loc[2025, "replacement"] < cu.loc[2040,
    ...     "replacement"])
    True
    """
    new = ai_demand(scenario, intensities, list(years)).sel(case="central", drop=True)
    total = new.copy()
    for _ in range(max_iter):
        retired = stock_model(total, variant=variant).outflow  # type: ignore[arg-type]
        nxt = new + retired.transpose(*new.dims)
        change = float(abs(nxt - total).max())
        total = nxt
        if change <= tol * max(float(abs(total).max()), 1.0):
            break
    else:  # pragma: no cover - lifetimes of at least a few years converge in far fewer steps
        raise RuntimeError("replacement demand did not converge")
    out = pd.DataFrame(
        {
            "new": new.sum("component").to_series(),
            "total": total.sum("component").to_series(),
        }
    ).reset_index()
    out["replacement"] = out["total"] - out["new"]
    out = out[["year", "mineral", "new", "replacement", "total"]]
    return out[(out[["new", "total"]] != 0).any(axis=1)].reset_index(drop=True)
