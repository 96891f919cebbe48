"""Shared objects of a running app (store, run manager, settings) and cached dataset views."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from fastapi import HTTPException, Request

from critmin.api.settings import Settings
from critmin.api.worker import RunManager, records
from critmin.sourcing.ledger import Ledger
from critmin.store import Store


@dataclass
class Services:
    """What the routers use."""

    settings: Settings
    store: Store
    runs: RunManager
    ledger: Ledger


def services(request: Request) -> Services:
    """The app's :class:`Services` (a FastAPI dependency)."""
    svc: Services = request.app.state.services
    return svc


def ledger(request: Request) -> Ledger:
    """The app's chain-of-custody ledger, on the store's engine (a FastAPI dependency)."""
    return services(request).ledger


def not_found(what: str, id_: str) -> HTTPException:
    """A 404 naming what was not found."""
    return HTTPException(404, f"no {what} with id {id_!r}")


@cache
def overview_rows() -> list[dict[str, Any]]:
    """The per-mineral overview (the embedded dataset is read-only, so computed once)."""
    from critmin.data.dataset import load
    from critmin.metrics.overview import overview

    return records(overview(load()))


@cache
def risk_rows(method: str) -> tuple[str, list[dict[str, Any]]]:
    """One risk method's table and its title, computed once per method."""
    from critmin.data.dataset import load
    from critmin.metrics.methods import run

    df, title = run(load(), method)
    return title, records(df)


@lru_cache(maxsize=256)
def demand_rows(scenario: str, start: int, end: int, by: str) -> list[dict[str, Any]]:
    """AI demand rows (cached: a handful of distinct queries in practice)."""
    from critmin.demand.summary import demand_by

    return records(demand_by(scenario, range(start, end + 1), by))
