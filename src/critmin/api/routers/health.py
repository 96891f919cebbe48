"""``/api/health``."""

from __future__ import annotations

from fastapi import APIRouter

import critmin
from critmin.api.schemas import Health
from critmin.api.worker import data_version

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
async def health() -> Health:
    """The service is up; the package and data versions it serves."""
    return Health(status="ok", version=critmin.__version__, data_version=data_version())
