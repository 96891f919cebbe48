"""``/api/minerals``: the overview and supply by country."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query

from critmin.api.deps import overview_rows
from critmin.api.schemas import Rows
from critmin.api.worker import records

router = APIRouter(tags=["minerals"])


@router.get("/minerals", response_model=Rows)
async def minerals() -> list[dict[str, Any]]:
    """One overview row per mineral (top producers, import reliance, AI uses)."""
    return overview_rows()


@router.get("/minerals/{mineral}/supply", response_model=Rows)
async def supply(
    mineral: Annotated[str, Path(max_length=64)],
    stage: Annotated[Literal["mine", "refine"], Query()] = "mine",
    year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
) -> list[dict[str, Any]]:
    """Producing countries of a mineral at a stage: value, unit, share of the world, source."""
    from critmin.data.catalogue import MINERAL_IDS
    from critmin.data.dataset import load

    if mineral not in MINERAL_IDS:
        raise HTTPException(404, f"unknown mineral {mineral!r}; known: {', '.join(MINERAL_IDS)}")
    key = (mineral, stage, year)
    if key not in _SUPPLY:
        _SUPPLY[key] = _supply_rows(load(), mineral, stage, year)
    return _SUPPLY[key]


#: The embedded dataset does not change while the server runs: rows are computed once.
_SUPPLY: dict[tuple[str, str, int | None], list[dict[str, Any]]] = {}


def _supply_rows(ds: Any, mineral: str, stage: str, year: int | None) -> list[dict[str, Any]]:
    df = ds.supply(mineral, stage, year)
    cols = ["country", "entity", "value", "unit", "share", "source", "year"]
    if df.empty:
        return []
    kind = df["entity_kind"].astype(str) if "entity_kind" in df else None
    world = df.loc[kind == "world", "value"] if kind is not None else df.iloc[0:0]["value"]
    total = float(world.iloc[0]) if len(world) and world.iloc[0] == world.iloc[0] else None
    if not total:
        total = float(df.loc[kind != "world", "value"].sum()) if kind is not None else None
    df = df.assign(share=df["value"] / total if total else None)
    return records(df[cols])
