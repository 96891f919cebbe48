"""``/api/risk``: one row per mineral by a risk method."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from critmin.api.deps import risk_rows
from critmin.api.schemas import Rows

router = APIRouter(tags=["risk"])


@router.get("/risk", response_model=Rows)
def risk(
    method: Annotated[Literal["composite", "hhi", "geopolrisk", "eu", "usgs"], Query()] = (
        "composite"
    ),
) -> list[dict[str, Any]]:
    """Supply risk per mineral by ``method`` (see ``critmin risk --method``)."""
    return risk_rows(method)[1]
