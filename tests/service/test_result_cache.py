"""Run results are served from a bounded cache keyed on their content hash."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
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


def _alter_keeping_size_and_mtime(path: Path, old: bytes, new: bytes) -> None:
    st = path.stat()
    raw = path.read_bytes()
    assert len(old) == len(new) and old in raw
    path.write_bytes(raw.replace(old, new))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)


def test_downloaded_netcdf_altered_later_is_refused(tmp_path: Path) -> None:
    # The simulation's file download: served once, then edited in place keeping size and
    # mtime; the second download must be refused (410), not served from any cache.
    with TestClient(create_app(Settings(data_dir=tmp_path, workers=0))) as c:
        store = c.app.state.services.store  # type: ignore[attr-defined]
        run = store.create_run("simulate", {})
        store.start_run(run["id"])
        store.temp_path(run["id"], "result.nc").write_bytes(b"CDF\x01" + b"shortfall=0.25;" * 64)
        digest = store.publish(run["id"], "result.nc")
        assert store.complete_run(run["id"], f"runs/{run['id']}/result.nc", digest)
        first = c.get(f"/api/runs/{run['id']}/result")
        assert first.status_code == 200 and b"shortfall=0.25" in first.content
        path = store.result_path(run["id"], "result.nc")
        _alter_keeping_size_and_mtime(path, b"shortfall=0.25", b"shortfall=0.01")
        again = c.get(f"/api/runs/{run['id']}/result")
        assert again.status_code == 410 and "SHA-256" in again.text
        assert b"shortfall=0.01" not in again.content


def test_json_result_altered_later_is_refused(tmp_path: Path) -> None:
    # An evaluate run's JSON result: first read fills the verified cache; an in-place edit
    # keeping size and mtime hashes differently and is refused.
    with TestClient(create_app(Settings(data_dir=tmp_path, workers=0))) as c:
        store = c.app.state.services.store  # type: ignore[attr-defined]
        run = store.create_run("evaluate", {})
        store.start_run(run["id"])
        store.temp_path(run["id"], "result.json").write_text(json.dumps({"at_risk": 125}))
        digest = store.publish(run["id"], "result.json")
        assert store.complete_run(run["id"], f"runs/{run['id']}/result.json", digest)
        for _ in range(2):  # the second read comes from the cache
            assert c.get(f"/api/runs/{run['id']}/result").json() == {"at_risk": 125}
        path = store.result_path(run["id"], "result.json")
        _alter_keeping_size_and_mtime(path, b"125", b"999")
        r = c.get(f"/api/runs/{run['id']}/result")
        assert r.status_code == 410 and "999" not in r.text


def test_store_refuses_altered_file_with_same_size_and_mtime(tmp_path: Path) -> None:
    # The store itself, below the API: result_file and result_bytes both re-hash.
    from critmin.store import ResultUnavailableError

    st = Store(tmp_path)
    rid = _complete_run(st, {"x": 1})
    assert st.result_bytes(rid, "summary.json") == b'{"x": 1}'
    st.result_file(rid, "summary.json")
    _alter_keeping_size_and_mtime(st.result_path(rid, "summary.json"), b"1", b"2")
    for read in (st.result_file, st.result_bytes):
        with pytest.raises(ResultUnavailableError) as e:
            read(rid, "summary.json")
        assert e.value.reason == "altered"
