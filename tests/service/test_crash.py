"""A real server killed mid-run: the run is failed on restart, finished runs are unchanged."""

from __future__ import annotations

import signal
from pathlib import Path

from tests.conftest import DEADLINE
from tests.service.conftest import SMALL, serve

LONG = (Path(__file__).parents[2] / "examples" / "standard-2026.yaml").read_text()


def test_kill_and_restart(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    with serve(tmp_path, log) as srv:
        done = srv.post("/api/runs", {"scenario_yaml": SMALL, "samples": 100})
        assert done.status_code == 202, done.text
        done_id = done.json()["id"]

        def status(run_id: str) -> object:
            return (srv.get(f"/api/runs/{run_id}") or {}).get("status")

        srv.until(lambda: status(done_id) == "complete", lambda: f"{status(done_id)!r}")
        before = srv.get(f"/api/runs/{done_id}/summary")
        long = srv.post("/api/runs", {"scenario_yaml": LONG, "samples": 200_000})
        assert long.status_code == 202, long.text
        long_id = long.json()["id"]
        srv.until(lambda: status(long_id) == "running", lambda: f"{status(long_id)!r}")
        srv.proc.send_signal(signal.SIGKILL)
        srv.proc.wait(DEADLINE)
    with serve(tmp_path, log) as srv:
        run = srv.get(f"/api/runs/{long_id}")
        assert run["status"] == "failed" and run["error"] == "interrupted (server stopped)"
        assert srv.get(f"/api/runs/{done_id}/summary") == before
        assert srv.get("/api/health")["status"] == "ok"
        assert not list((tmp_path / "runs" / long_id).glob("result.nc"))
