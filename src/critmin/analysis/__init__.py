"""The use-case layer: one function per question a user asks critmin.

The CLI, the web service, the brief and the dashboard hold no domain logic: they call these
functions and only format what comes back, so the same question always gets the same numbers
(docs/decisions/0016-use-case-layer.md). Every function returns tidy frames, xarray datasets or
plain data classes — never formatted text — and takes the embedded dataset unless given one.
Defaults (samples, seeds, weights, horizons, the standard scenario) are not restated here:
they live in the layer that owns them.

Examples
--------
>>> from critmin.analysis import supply_table
>>> t = supply_table("gallium", "refine", 2023, source="USGS MCS 2024")
>>> t.rows.loc[t.rows.country == "CHN", "share"].round(3).iloc[0]
np.float64(0.984)
"""

from typing import TYPE_CHECKING

from critmin._lazy import lazy_names

if TYPE_CHECKING:
    from critmin.analysis.errors import QueryError
    from critmin.analysis.frames import records
    from critmin.analysis.minerals import (
        SupplyTable,
        concentration,
        mineral_profile,
        minerals_overview,
        price_history,
        production_history,
        supply_table,
    )
    from critmin.analysis.plans import evaluate_plan, optimise_budget, plan_items
    from critmin.analysis.risk import RiskTable, supply_risk
    from critmin.analysis.scenarios import (
        AiAtRisk,
        ai_at_risk,
        check_plan,
        check_scenario,
        minerals_named,
        minerals_touched,
        run_simulation,
        simulation_by_year,
        simulation_summary,
    )

#: Where each public name lives: the submodules are imported on first use, so a command that
#: needs one question does not pay for the simulation engine or the optimiser (decision 0027).
_HOME = {
    "QueryError": "errors",
    "records": "frames",
    "SupplyTable": "minerals",
    "concentration": "minerals",
    "mineral_profile": "minerals",
    "minerals_overview": "minerals",
    "price_history": "minerals",
    "production_history": "minerals",
    "supply_table": "minerals",
    "evaluate_plan": "plans",
    "optimise_budget": "plans",
    "plan_items": "plans",
    "RiskTable": "risk",
    "supply_risk": "risk",
    "AiAtRisk": "scenarios",
    "ai_at_risk": "scenarios",
    "check_plan": "scenarios",
    "check_scenario": "scenarios",
    "minerals_named": "scenarios",
    "minerals_touched": "scenarios",
    "run_simulation": "scenarios",
    "simulation_by_year": "scenarios",
    "simulation_summary": "scenarios",
}


__getattr__ = lazy_names(__name__, _HOME, globals())


__all__ = [
    "AiAtRisk",
    "QueryError",
    "RiskTable",
    "SupplyTable",
    "ai_at_risk",
    "check_plan",
    "check_scenario",
    "concentration",
    "evaluate_plan",
    "mineral_profile",
    "minerals_named",
    "minerals_overview",
    "minerals_touched",
    "optimise_budget",
    "plan_items",
    "price_history",
    "production_history",
    "records",
    "run_simulation",
    "simulation_by_year",
    "simulation_summary",
    "supply_risk",
    "supply_table",
]
