"""Hostile requests of issue 19 over the API: a 4xx naming the problem, never a 500 or a hang."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from critmin.api.app import create_app
from critmin.api.settings import Settings
from tests.hostile_workbooks import HOSTILE_WORKBOOKS, write_workbook

MINE = {"kind": "create", "lot": "M", "material": "tin", "mass_kg": "10", "site": "Bisie",
        "country": "COD", "origin": "mine"}  # fmt: skip


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    app = create_app(Settings(data_dir=tmp_path / "data", workers=0, ledger_key="k"))
    with TestClient(app) as c:
        yield c


@pytest.mark.parametrize("name", sorted(HOSTILE_WORKBOOKS))
def test_hostile_workbook_upload_is_a_422_naming_the_problem(
    client: TestClient, tmp_path: Path, name: str
) -> None:
    path = write_workbook(name, tmp_path)
    r = client.post("/api/sourcing/exposure",
                    files=[("files", (f"{name}.xlsx", path.read_bytes(), "x/y"))])  # fmt: skip
    assert r.status_code in (413, 422), r.text
    if r.status_code == 422:
        assert HOSTILE_WORKBOOKS[name].lower() in r.text.lower()
        assert f"{name}.xlsx" in r.text  # the client's file name, not the temporary one


def test_health_answers_while_a_hostile_workbook_is_parsed(
    client: TestClient, tmp_path: Path
) -> None:
    path = write_workbook("far-cell", tmp_path)
    results: list[int] = []

    def upload() -> None:
        r = client.post("/api/sourcing/exposure", files=[("files", ("f.xlsx", path.read_bytes(),
                                                                     "x/y"))])  # fmt: skip
        results.append(r.status_code)

    t = threading.Thread(target=upload)
    t.start()
    assert client.get("/api/health").status_code == 200
    t.join()
    assert results == [422]


@pytest.mark.parametrize(("body", "field"), [
    ({**MINE, "mass_kg": 1e23}, "mass_kg"),
    ({**MINE, "mass_kg": "NaN"}, "mass_kg"),
    ({**MINE, "mass_kg": "Infinity"}, "mass_kg"),
    ({**MINE, "mass_kg": True}, "mass_kg"),
    ({k: v for k, v in MINE.items() if k != "origin"}, "origin"),
])  # fmt: skip
def test_bad_ledger_records_are_422_naming_the_field(
    client: TestClient, body: dict[str, object], field: str
) -> None:
    r = client.post("/api/trace", json=body)
    assert r.status_code == 422 and field in r.text, r.text
    assert client.get("/api/trace").json() == []


def test_twenty_concurrent_appends_all_succeed_on_one_chain(client: TestClient) -> None:
    codes: list[int] = []

    def post(i: int) -> None:
        codes.append(client.post("/api/trace", json={**MINE, "lot": f"L{i}"}).status_code)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [201] * 20
    v = client.get("/api/trace/verify").json()
    assert v == {"intact": True, "entries": 20, "problems": []}


def test_a_corrupt_ledger_is_a_409_and_verify_names_it(client: TestClient, tmp_path: Path) -> None:
    assert client.post("/api/trace", json=MINE).status_code == 201
    db = sqlite3.connect(tmp_path / "data" / "critmin.db")
    with db:
        db.execute("UPDATE ledger SET record = '[]' WHERE seq = 1")
    db.close()
    assert client.get("/api/trace").status_code == 409
    assert client.post("/api/trace", json={**MINE, "lot": "N"}).status_code == 409
    v = client.get("/api/trace/verify")
    assert v.status_code == 200
    assert v.json()["problems"][0]["kind"] == "truncated"


def test_one_bad_row_in_the_runs_table_is_listed_not_a_500(
    client: TestClient, tmp_path: Path
) -> None:
    db = sqlite3.connect(tmp_path / "data" / "critmin.db")
    cols = [r[1] for r in db.execute("PRAGMA table_info(runs)")]
    values = {c: None for c in cols}
    values.update(id="a" * 32, kind="simulate", status="complete", progress=1.0,
                  params="{not json", created="2026-01-01T00:00:00+00:00",
                  started="not a date")  # fmt: skip
    values = {k: v for k, v in values.items() if k in cols}
    with db:
        db.execute(f"INSERT INTO runs ({', '.join(values)}) VALUES "
                   f"({', '.join('?' for _ in values)})", list(values.values()))  # fmt: skip
    db.close()
    r = client.get("/api/runs")
    assert r.status_code == 200, r.text
    assert r.json()[0]["status"] == "unreadable"
