"""Fixtures of the service tests: an app over a temporary store."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from critmin.api import Settings, create_app

SMALL = """name: small
horizon: {start: 2025, end: 2027}
bloc: USA
minerals: [gallium, germanium]
seed: 3
events:
  - type: export_restriction
    country: CHN
    minerals: [gallium]
    stage: refine
    start: 2025
    duration_years: 1
    share: 0.8
"""

PLAN = """name: stock
items:
  - {lever: stockpile, minerals: [gallium], usd: 5.0e6, start: 2025}
"""


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(Settings(data_dir=tmp_path, workers=1))
    with TestClient(app) as c:
        yield c


def wait(c: TestClient, run_id: str, timeout: float = 120.0) -> dict[str, Any]:
    """Poll a run until it is finished."""
    end = time.monotonic() + timeout
    while True:
        run: dict[str, Any] = c.get(f"/api/runs/{run_id}").json()
        if run["status"] in ("complete", "failed", "cancelled") or time.monotonic() > end:
            return run
        time.sleep(0.05)
