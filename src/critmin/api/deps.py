"""Shared objects of a running app (store, run manager, settings)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import HTTPException, Request

from critmin.api.settings import Settings
from critmin.api.worker import RunManager
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
