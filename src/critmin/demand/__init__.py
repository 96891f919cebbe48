"""The AI-demand layer: bill of materials as data, build-out scenarios, mineral demand.

Data beside metrics: this package reads critmin datasets and metrics but never the CLI, API or
simulation layers. See docs/decisions/0009-ai-demand.md.

Examples
--------
>>> from critmin.demand import ai_demand, scenario
>>> float(ai_demand(scenario("base"), years=[2030]).sel(case="low").sum()) > 0
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from critmin._lazy import lazy_names

if TYPE_CHECKING:
    from critmin.demand.bom import (
        COMPONENTS,
        company_demand,
        company_exposure,
        load_intensities,
        read_company_bom,
        read_production_plan,
    )
    from critmin.demand.buildout import (
        SCENARIOS,
        Scenario,
        capacity_path,
        load_scenario,
        scenario,
    )
    from critmin.demand.demand import ai_demand, demand_table, world_context

#: Where each public name lives; submodules load on first use, so reading a build-out
#: scenario does not import xarray, pint and scipy (decision 0027).
_HOME = {
    **dict.fromkeys(["COMPONENTS", "company_demand", "company_exposure", "load_intensities",
                     "read_company_bom", "read_production_plan"], "bom"),
    **dict.fromkeys(["SCENARIOS", "Scenario", "capacity_path", "load_scenario", "scenario"],
                    "buildout"),
    **dict.fromkeys(["ai_demand", "demand_table", "world_context"], "demand"),
}  # fmt: skip


__getattr__ = lazy_names(__name__, _HOME, globals())


__all__ = [
    "COMPONENTS",
    "SCENARIOS",
    "Scenario",
    "ai_demand",
    "capacity_path",
    "company_demand",
    "company_exposure",
    "demand_table",
    "load_intensities",
    "load_scenario",
    "read_company_bom",
    "read_production_plan",
    "scenario",
    "world_context",
]
