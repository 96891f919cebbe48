"""Fixtures of the service tests: an app over a temporary store, a real ``critmin serve``.

Waiting is on states, never on a fixed sleep or a short request timeout: a server is ready
when ``/api/health`` answers (the app warms the dataset before it accepts connections), a run
is done when its status is terminal; both are polled until ``tests.conftest.DEADLINE``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from critmin.api import Settings, create_app
from critmin.store import TERMINAL
from tests.conftest import DEADLINE, POLL, READ_TIMEOUT

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


def wait(c: TestClient, run_id: str, deadline: float = DEADLINE) -> dict[str, Any]:
    """Poll a run until its status is terminal; fail naming its last state after ``deadline``."""
    last: dict[str, Any] = {}

    def done() -> bool:
        last.update(c.get(f"/api/runs/{run_id}").json())
        return last.get("status") in TERMINAL

    until(done, deadline, lambda: f"run {run_id} is {last.get('status')!r}: {last}")
    return last


def until(
    cond: Callable[[], object],
    deadline: float = DEADLINE,
    why: Callable[[], str] = lambda: "",
    alive: Callable[[], str | None] = lambda: None,
) -> None:
    """Poll ``cond`` until it is true; fail after ``deadline`` s, or at once when ``alive``
    names a reason the wait is hopeless (a server that exited)."""
    end = time.monotonic() + deadline
    while not cond():
        dead = alive()
        if dead:
            pytest.fail(dead)
        if time.monotonic() > end:
            pytest.fail(f"not reached within {deadline:.0f} s: {why()}")
        time.sleep(POLL)  # the interval between two looks at the state, not a synchronisation


@dataclass
class Server:
    """A running ``critmin serve``: its process, base URL and log."""

    proc: subprocess.Popen[bytes]
    base: str
    log: Path

    def tail(self, n: int = 3000) -> str:
        return self.log.read_text("utf-8", errors="replace")[-n:]

    def exited(self) -> str | None:
        """Why waiting on this server is hopeless (it exited), or None."""
        if self.proc.poll() is None:
            return None
        return f"the server exited ({self.proc.returncode}):\n{self.tail()}"

    def get(self, path: str) -> Any:
        """The JSON of a 200 answer, or None (not answering yet, or another status)."""
        try:
            r = httpx.get(self.base + path, timeout=READ_TIMEOUT)
        except httpx.TransportError:
            return None
        return r.json() if r.status_code == 200 else None

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        """A POST with the generous read timeout heavy requests need under load."""
        return httpx.post(self.base + path, json=body, timeout=READ_TIMEOUT)

    def until(self, cond: Callable[[], object], why: Callable[[], str] = lambda: "") -> None:
        """Poll ``cond`` until it holds; fail at once if the server exits."""
        until(cond, DEADLINE, why, self.exited)


_LISTENING = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")


@contextmanager
def serve(data_dir: Path, log: Path | None = None) -> Iterator[Server]:
    """``python -m critmin serve`` on a port the kernel picks, ready when it yields.

    ``--port 0`` and the port read from uvicorn's log: no race for a port another test (or
    another job on the machine) takes between choosing it and binding it. Ready means
    ``/api/health`` answers, which the app does only after warming the dataset.
    """
    log = log or data_dir / "server.log"
    out = log.open("ab")
    start = log.stat().st_size  # a restarted server appends: read only what this one writes
    cmd = [sys.executable, "-m", "critmin", "serve", "--host", "127.0.0.1", "--port", "0",
           "--data-dir", str(data_dir)]  # fmt: skip
    env = {**os.environ, "CRITMIN_DATA_DIR": str(data_dir)}
    proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(proc, "", log)
    try:
        port: list[str] = []

        def listening() -> bool:
            m = _LISTENING.search(log.read_bytes()[start:].decode("utf-8", errors="replace"))
            if m:
                port.append(m.group(1))
            return m is not None

        server.until(listening, lambda: f"the server never listened:\n{server.tail()}")
        server.base = f"http://127.0.0.1:{port[0]}"
        server.until(lambda: server.get("/api/health"),
                     lambda: f"/api/health never answered:\n{server.tail()}")  # fmt: skip
        yield server
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=30)
        out.close()
