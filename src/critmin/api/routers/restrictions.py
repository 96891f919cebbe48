"""``/api/restrictions``: the export-restriction record (as ``critmin restrictions``)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BeforeValidator

from critmin.analysis import restrictions as uc
from critmin.analysis.frames import records
from critmin.api.schemas import Rows

router = APIRouter(tags=["restrictions"])


def _iso_date(v: object) -> object:
    """Only ``YYYY-MM-DD``, as documented (pydantic would also read ``0`` as 1970-01-01)."""
    if v is not None and not (isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v)):
        raise ValueError("expected a date YYYY-MM-DD")
    return v


@router.get("/restrictions", response_model=Rows)
def restrictions(
    country: Annotated[str | None, Query(min_length=3, max_length=3)] = None,
    mineral: Annotated[str | None, Query(max_length=64)] = None,
    as_of: Annotated[dt.date | None, BeforeValidator(_iso_date), Query()] = None,
    measure: Annotated[
        Literal[
            "licensing", "ban", "ban aimed at importers", "technology ban", "quota", "export tax"
        ]
        | None,
        Query(),
    ] = None,
    by: Annotated[Literal["country"] | None, Query()] = None,
) -> list[dict[str, Any]]:
    """Every export restriction with its status on ``as_of`` (default today), newest first —
    the rows of ``critmin restrictions --format json``; with ``by=country`` the counts by
    country and measure type (``critmin restrictions --by country``)."""
    if by is not None:
        return records(uc.restrictions_summary(by, country, mineral, as_of, measure))
    return records(uc.export_restrictions(country, mineral, as_of, measure))
