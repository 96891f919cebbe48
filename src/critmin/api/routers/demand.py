"""``/api/demand``: AI demand per year and mineral or component (as ``critmin demand``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from critmin.analysis.demand import ai_demand_table, demand_scenario
from critmin.analysis.frames import records
from critmin.api.schemas import Rows
from critmin.demand.years import DEFAULT_YEARS

router = APIRouter(tags=["demand"])


@router.get("/demand", response_model=Rows)
def demand(
    scenario: Annotated[str, Query(min_length=1, max_length=64)] = "base",
    start: Annotated[int, Query(ge=2015, le=2060)] = DEFAULT_YEARS[0],
    end: Annotated[int, Query(ge=2015, le=2060)] = DEFAULT_YEARS[-1],
    by: Annotated[Literal["mineral", "component"], Query()] = "mineral",
    view: Annotated[Literal["demand", "context", "eol", "replacement"], Query()] = "demand",
) -> list[dict[str, Any]]:
    """Demand (t) with its low–high range, rows with all zero dropped (built-in scenarios
    only: a request never names a file on the server)."""
    sc = demand_scenario(scenario, files=False)
    return records(ai_demand_table(sc, start, end, by=by, view=view).frame)
