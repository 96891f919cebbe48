"""``/api/minerals``: the overview and supply by country (the same tables as the CLI's)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from critmin.analysis import minerals as uc
from critmin.analysis.frames import records
from critmin.api.schemas import Rows

router = APIRouter(tags=["minerals"])


@router.get("/minerals", response_model=Rows)
def minerals() -> list[dict[str, Any]]:
    """One overview row per mineral (top producers, import reliance, AI uses)."""
    return records(uc.minerals_overview())


@router.get("/minerals/{mineral}/supply", response_model=Rows)
def supply(
    mineral: Annotated[str, Path(max_length=64)],
    stage: Annotated[Literal["mine", "refine"], Query()] = "mine",
    year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
    measure: Annotated[Literal["production", "capacity", "reserves"], Query()] = "production",
    source: Annotated[str | None, Query(max_length=128)] = None,
) -> list[dict[str, Any]]:
    """Producing countries of a mineral at a stage: value, unit, share, status, source — the
    rows of ``critmin supply --format json`` (countries and "Other countries"; shares of their
    sum, never of the reported world total)."""
    return records(uc.supply_table(mineral, stage, year, measure=measure, source=source).rows)


@router.get("/minerals/{mineral}/history", response_model=Rows)
def history(
    mineral: Annotated[str, Path(max_length=64)],
    stage: Annotated[Literal["mine", "refine"], Query()] = "mine",
    top: Annotated[int, Query(ge=1, le=20)] = 5,
) -> list[dict[str, Any]]:
    """Production year by year: the ``top`` producers of the latest year and "Rest of world"
    (never the world total), from one source family, each year from its newest edition — the
    rows of ``critmin supply MINERAL --history --format json``."""
    return records(uc.production_history(mineral, stage, top=top).rows)


@router.get("/minerals/{mineral}/prices", response_model=Rows)
def prices(mineral: Annotated[str, Path(max_length=64)]) -> list[dict[str, Any]]:
    """The USGS price series of a mineral (value and unit as reported, USD per tonne, source
    and edition per year) — ``critmin supply MINERAL --prices --format json``; 404 with the
    reason when the mineral has no sourced price."""
    return records(uc.price_history(mineral))


@router.get("/minerals/{mineral}/profile", response_model=Rows)
def profile(
    mineral: Annotated[str, Path(max_length=64)],
    top: Annotated[int, Query(ge=1, le=50)] = 5,
) -> list[dict[str, Any]]:
    """Everything on one mineral, as ``critmin profile --format json``."""
    return records(uc.mineral_profile(mineral, top))
