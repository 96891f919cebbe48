"""No request does heavy work on the event loop; the dataset is warmed before the app serves."""

from __future__ import annotations

import asyncio
import inspect
import threading
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from critmin.api import Settings, create_app
from critmin.api import app as app_module
from critmin.api.routers.runs import off_the_event_loop

#: ``async def`` handlers, each checked to do no heavy work on the event loop, or listed in
#: the note beside it as work that still should move off it. Any other handler must be a sync
#: ``def`` (FastAPI runs those in its threadpool) or offload explicitly.
AUDITED_ASYNC = {
    ("GET", "/api/health"): "a cached version string",
    ("GET", "/api/runs/{run_id}/events"): "reads the store with asyncio.to_thread",
}


def test_heavy_handlers_are_sync(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, workers=0))
    found = {}
    for route in app.routes:
        if isinstance(route, APIRoute) and inspect.iscoroutinefunction(route.endpoint):
            for method in route.methods or ():
                found[(method, route.path)] = route.endpoint.__qualname__
    unaudited = {k: v for k, v in found.items() if k not in AUDITED_ASYNC}
    assert not unaudited, (
        f"async def handlers run on the event loop: {unaudited}; make them a sync def or "
        "offload heavy work (asyncio.to_thread), then add them to AUDITED_ASYNC"
    )
    # Submitting validates the scenario against the data: those routes are sync.
    for path in ("/api/runs", "/api/plans/evaluate", "/api/plans/optimize",
                 "/api/scenarios/validate"):  # fmt: skip
        assert ("POST", path) not in found, path


def test_submit_refuses_to_run_on_the_event_loop() -> None:
    off_the_event_loop("submit")  # no loop in this thread

    async def on_the_loop() -> None:
        off_the_event_loop("submit")

    with pytest.raises(RuntimeError, match="submit does heavy work"):
        asyncio.run(on_the_loop())


def test_startup_warms_off_the_loop_before_serving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, bool]] = []

    def fake_warm() -> float:
        try:
            asyncio.get_running_loop()
            on_loop = True
        except RuntimeError:
            on_loop = False
        calls.append((threading.current_thread().name, on_loop))
        return 0.0

    monkeypatch.setattr(app_module, "warm", fake_warm)
    with TestClient(create_app(Settings(data_dir=tmp_path, workers=0))) as c:
        assert calls == [(calls[0][0], False)], "warm runs once, in a worker thread"
        assert c.get("/api/health").json()["status"] == "ok"


def test_a_failed_warm_up_still_serves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> float:
        raise OSError("dataset unreadable")

    monkeypatch.setattr(app_module, "warm", broken)
    with TestClient(create_app(Settings(data_dir=tmp_path, workers=0))) as c:
        assert c.get("/api/health").status_code == 200


def test_warm_fills_the_caches_the_first_requests_use() -> None:
    from critmin.data.dataset import load

    assert app_module.warm() >= 0.0
    # The overview lives on the dataset's own cache (critmin.analysis.minerals_overview).
    assert ("analysis.overview",) in load()._derived
