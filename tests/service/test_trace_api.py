"""The ledger over HTTP: append, entries, provenance, verify, and the write rule."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from critmin.api.app import create_app
from critmin.api.settings import Settings

MINE = {"kind": "create", "lot": "ore-1", "material": "tin", "mass_kg": "1000", "site": "Bisie",
        "country": "COD", "origin": "mine"}  # fmt: skip


def test_append_list_verify_and_provenance(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path, workers=0))) as c:
        r = c.post("/api/trace", json=MINE)
        assert r.status_code == 201, r.text
        assert r.json()["seq"] == 1 and len(r.json()["hash"]) == 64
        bad = c.post("/api/trace", json={**MINE, "lot": "ore-2", "mass_kg": "-5"})
        assert bad.status_code == 422 and "mass_kg" in bad.text
        assert len(c.get("/api/trace").json()) == 1  # the refused record was not written
        v = c.get("/api/trace/verify").json()
        assert v == {"intact": True, "entries": 1, "problems": []}
        assert c.get("/api/trace/lots/ore-1").json()[0]["lot"] == "ore-1"
        assert c.get("/api/trace/lots/nope").status_code == 404


def test_appends_need_the_token_off_loopback(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, workers=0, host="0.0.0.0", token="s3cret"))
    with TestClient(app) as c:
        assert c.post("/api/trace", json=MINE).status_code == 401
        ok = c.post("/api/trace", json=MINE, headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 201
        assert c.get("/api/trace/verify").json()["intact"] is True
