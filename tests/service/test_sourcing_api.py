"""Supplier templates over HTTP: upload → exposure; bad files name the client's file."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from critmin.api.app import create_app
from critmin.api.settings import Settings
from tests.sourcing.test_templates import clean_cmrt, emrt


def test_upload_templates_get_exposure_and_flags(tmp_path: Path) -> None:
    a, b = clean_cmrt(tmp_path), emrt(tmp_path)
    with TestClient(create_app(Settings(data_dir=tmp_path / "d", workers=0))) as c:
        files = [("files", (p.name, p.read_bytes(), "application/octet-stream")) for p in (a, b)]
        r = c.post("/api/sourcing/exposure", files=files)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["smelters"] > 0
        assert {"tin", "cobalt"} <= {row["metal"] for row in body["exposure"]}
        assert body["due_diligence"]


def test_a_file_that_is_not_a_workbook_is_a_422_naming_it(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path, workers=0))) as c:
        r = c.post("/api/sourcing/exposure", files=[("files", ("notes.xlsx", b"hello", "x/y"))])
        assert r.status_code == 422
        assert "notes.xlsx" in r.text and "upload-0" not in r.text


def test_uploads_need_the_token_off_loopback(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, workers=0, host="0.0.0.0", token="k"))
    with TestClient(app) as c:
        r = c.post("/api/sourcing/exposure", files=[("files", ("a.xlsx", b"x", "x/y"))])
        assert r.status_code == 401
