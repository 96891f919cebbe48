"""A real server killed mid-run: the run is failed on restart, finished runs are unchanged."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.service.conftest import SMALL

LONG = (Path(__file__).parents[2] / "examples" / "standard-2026.yaml").read_text()


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(data: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    env = {**os.environ, "CRITMIN_DATA_DIR": str(data)}
    p = subprocess.Popen(
        [sys.executable, "-m", "critmin", "serve", "--port", str(port), "--data-dir",
         str(data)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _until(lambda: _get(port, "/api/health") is not None, p)
        yield p
    finally:
        if p.poll() is None:
            p.kill()
        p.wait(30)


def _get(port: int, path: str) -> Any:
    try:
        r = httpx.get(f"http://127.0.0.1:{port}{path}", timeout=10)
    except httpx.HTTPError:
        return None
    return r.json() if r.status_code == 200 else None


def _until(cond: Any, p: subprocess.Popen[bytes], tries: int = 1200) -> None:
    for _ in range(tries):
        if cond():
            return
        assert p.poll() is None, "server exited"
        time.sleep(0.1)
    raise AssertionError("condition never held")


def test_kill_and_restart(tmp_path: Path) -> None:
    port = _port()
    base = f"http://127.0.0.1:{port}"
    with server(tmp_path, port) as p:
        done = httpx.post(f"{base}/api/runs", json={"scenario_yaml": SMALL, "samples": 100})
        done_id = done.json()["id"]
        _until(lambda: (_get(port, f"/api/runs/{done_id}") or {}).get("status") == "complete", p)
        before = _get(port, f"/api/runs/{done_id}/summary")
        long = httpx.post(f"{base}/api/runs", json={"scenario_yaml": LONG, "samples": 200_000})
        long_id = long.json()["id"]
        _until(lambda: (_get(port, f"/api/runs/{long_id}") or {}).get("status") == "running", p)
        p.send_signal(signal.SIGKILL)
        p.wait(30)
    with server(tmp_path, port):
        run = _get(port, f"/api/runs/{long_id}")
        assert run["status"] == "failed" and run["error"] == "interrupted (server stopped)"
        assert _get(port, f"/api/runs/{done_id}/summary") == before
        assert _get(port, "/api/health")["status"] == "ok"
        assert not list((tmp_path / "runs" / long_id).glob("result.nc"))
