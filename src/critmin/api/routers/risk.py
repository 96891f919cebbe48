"""``/api/risk``: one row per mineral by a risk method (as ``critmin risk``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from critmin.analysis.frames import records
from critmin.analysis.risk import supply_risk
from critmin.api.schemas import Rows

router = APIRouter(tags=["risk"])


@router.get("/risk", response_model=Rows)
def risk(
    method: Annotated[Literal["composite", "hhi", "geopolrisk", "eu", "usgs"], Query()] = (
        "composite"
    ),
    importer: Annotated[str, Query(min_length=2, max_length=16)] = "USA",
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    stage: Annotated[Literal["mine", "refine", "bottleneck"], Query()] = "bottleneck",
    weights: Annotated[str | None, Query(max_length=200)] = None,
) -> list[dict[str, Any]]:
    """Supply risk per mineral by ``method`` (see ``critmin risk --method``)."""
    t = supply_risk(method, importer=importer, year=year, stage=stage, weights=weights)
    return records(t.frame)
