"""``/api/demand``: AI demand per year and mineral or component."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query

from critmin.api.deps import demand_rows
from critmin.api.schemas import Rows

router = APIRouter(tags=["demand"])


@router.get("/demand", response_model=Rows)
def demand(
    scenario: Annotated[str, Query(min_length=1, max_length=64)] = "base",
    start: Annotated[int, Query(ge=2015, le=2060)] = 2025,
    end: Annotated[int, Query(ge=2015, le=2060)] = 2040,
    by: Annotated[Literal["mineral", "component"], Query()] = "mineral",
) -> list[dict[str, Any]]:
    """Demand (t) with its low–high range, rows with all zero dropped."""
    from critmin.demand.buildout import ALIASES, SCENARIOS

    known = [*ALIASES, *SCENARIOS]
    if scenario.lower() not in known:
        raise HTTPException(
            422, f"scenario: unknown demand scenario {scenario!r}; known: {', '.join(known)}"
        )
    if end < start:
        raise HTTPException(422, f"end: {end} is before start {start}")
    return demand_rows(scenario.lower(), start, end, by)
