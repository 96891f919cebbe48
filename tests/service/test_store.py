"""The store: CRUD, atomic result files, recovery after a crash, hash checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from critmin.store import INTERRUPTED, NotFoundError, ResultUnavailableError, Store
from tests.pg import pg_engine, pg_url


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest) -> str | None:
    """The store's database: its SQLite file (None), or a clean PostgreSQL database."""
    if request.param == "sqlite":
        return None
    pg_engine(reset=True).dispose()
    return pg_url()


def test_crud(tmp_path: Path, url: str | None) -> None:
    st = Store(tmp_path, url)
    a = st.add_scenario("a", "name: a")
    st.add_plan("p", "name: p")
    assert [s["name"] for s in st.list_scenarios()] == ["a"]
    assert st.update_scenario(a["id"], "b", "name: b")["yaml"] == "name: b"
    st.delete_scenario(a["id"])
    with pytest.raises(NotFoundError):
        st.get_scenario(a["id"])
    with pytest.raises(NotFoundError):
        st.delete_scenario(a["id"])
    assert [p["name"] for p in st.list_plans()] == ["p"]
    assert (tmp_path / "critmin.db").exists() == (url is None)


def _finish(st: Store, run_id: str, body: bytes = b"result") -> None:
    tmp = st.temp_path(run_id, "summary.json")
    tmp.write_bytes(body)
    final = tmp_final = st.run_dir(run_id) / "summary.json"
    assert not final.exists()  # never visible under its final name before publishing
    digest = st.publish(run_id, "summary.json")
    assert tmp_final.read_bytes() == body and not tmp.exists()
    assert st.complete_run(run_id, f"runs/{run_id}/summary.json", digest)


def test_result_atomic_and_served_after_reopen(tmp_path: Path, url: str | None) -> None:
    st = Store(tmp_path, url)
    run = st.create_run("simulate", {"samples": 1}, samples=1, seed=0)
    with pytest.raises(ResultUnavailableError):  # queued: nothing to serve
        st.result_file(run["id"], "summary.json")
    st.start_run(run["id"])
    assert st.set_progress(run["id"], 0.5)
    _finish(st, run["id"])
    st.close()
    again = Store(tmp_path, url)
    assert again.recover() == 0
    path = again.result_file(run["id"], "summary.json")
    assert path.read_bytes() == b"result"
    assert again.get_run(run["id"])["status"] == "complete"


def test_hash_mismatch_is_not_served(tmp_path: Path, url: str | None) -> None:
    st = Store(tmp_path, url)
    run = st.create_run("simulate", {})
    st.start_run(run["id"])
    _finish(st, run["id"])
    (st.run_dir(run["id"]) / "summary.json").write_bytes(b"tampered!")
    with pytest.raises(ResultUnavailableError) as e:
        st.result_file(run["id"], "summary.json")
    assert e.value.reason == "altered"


def test_recover_marks_running_and_queued_failed(tmp_path: Path, url: str | None) -> None:
    st = Store(tmp_path, url)
    running = st.create_run("simulate", {})
    st.start_run(running["id"])
    queued = st.create_run("evaluate", {})
    done = st.create_run("simulate", {})
    st.start_run(done["id"])
    _finish(st, done["id"])
    st.close()
    st = Store(tmp_path, url)
    assert st.recover() == 2
    for r in (running, queued):
        got = st.get_run(r["id"])
        assert got["status"] == "failed" and got["error"] == INTERRUPTED
    assert st.get_run(done["id"])["status"] == "complete"
    assert not st.complete_run(running["id"], "x", "y")  # a failed run stays failed


def test_cancel_and_bad_ids(tmp_path: Path, url: str | None) -> None:
    st = Store(tmp_path, url)
    run = st.create_run("optimize", {})
    assert st.cancel_run(run["id"]) and not st.start_run(run["id"])
    assert not st.cancel_run(run["id"])
    with pytest.raises(NotFoundError):
        st.run_dir("../etc")
    with pytest.raises(ValueError):
        st.create_run("delete-everything", {})
