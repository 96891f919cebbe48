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
