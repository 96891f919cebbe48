"""Run results are served from a bounded cache keyed on their content hash."""

from __future__ import annotations

import json
import os
from pathlib import Path

from fastapi.testclient import TestClient

from critmin.api import Settings, create_app
from critmin.api.routers import runs as runs_router
from critmin.store import Store


def _complete_run(st: Store, body: dict[str, object]) -> str:
    run = st.create_run("simulate", {})
    st.start_run(run["id"])
    st.temp_path(run["id"], "summary.json").write_text(json.dumps(body))
    digest = st.publish(run["id"], "summary.json")
    assert st.complete_run(run["id"], f"runs/{run['id']}/summary.json", digest)
    return str(run["id"])


def test_altered_result_with_same_size_and_mtime_is_not_served(tmp_path: Path) -> None:
    body = {"summary": [{"mineral": "gallium", "x": 1}], "by_year": []}
    with TestClient(create_app(Settings(data_dir=tmp_path, workers=0))) as c:
        store = c.app.state.services.store  # type: ignore[attr-defined]
        rid = _complete_run(store, body)
        assert c.get(f"/api/runs/{rid}/summary").json() == body["summary"]
        assert c.get(f"/api/runs/{rid}/summary").json() == body["summary"]  # cached
        path = store.result_path(rid, "summary.json")
        st = path.stat()
        text = path.read_text().replace('"x": 1', '"x": 7')  # same length
        path.write_text(text)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
        assert path.stat().st_size == st.st_size
        r = c.get(f"/api/runs/{rid}/summary")
        assert r.status_code == 410 and "SHA-256" in r.text
        assert c.get(f"/api/runs/{rid}/by-year").status_code == 410


def test_result_cache_is_bounded() -> None:
    assert runs_router._VERIFIED.maxsize <= 1024
