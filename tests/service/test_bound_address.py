"""Authentication decided by the address actually bound, for every way the host is given.

The rule: a write under /api needs the token whenever the bound address is not loopback.
The host reaches the app by the CLI (``serve --host``, which puts it in ``CRITMIN_HOST``
for uvicorn's factory ``app_from_env``), by ``CRITMIN_HOST`` alone (uvicorn run by hand),
or by both disagreeing (the CLI wins: it is what is bound). And whatever the settings say,
a write arriving on a non-loopback local address needs the token.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from critmin.api.app import app_from_env
from critmin.cli.main import app as cli
from critmin.store import is_loopback
from tests.service.conftest import SMALL

TOKEN = "s3cret-token"
BODY = {"name": "s", "yaml": SMALL}


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in [v for v in os.environ if v.startswith("CRITMIN_") and v != "CRITMIN_DATA"]:
        monkeypatch.delenv(var)
    monkeypatch.setenv("CRITMIN_DATA_DIR", str(tmp_path / "data"))


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True), ("127.8.9.10", True), ("localhost", True), ("LOCALHOST ", True),
        ("::1", True), ("[::1]", True), ("0:0:0:0:0:0:0:1", True), ("::ffff:127.0.0.1", True),
        ("0.0.0.0", False), ("::", False), ("[::]", False), ("192.168.1.5", False),
        ("2001:db8::1", False), ("::ffff:10.0.0.1", False), ("example.org", False),
        ("localhost.example.org", False), ("", False),
    ],
)  # fmt: skip
def test_the_rule_itself(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def _serve(monkeypatch: pytest.MonkeyPatch, args: list[str]) -> tuple[Any, dict[str, Any]]:
    """Run ``critmin serve`` with uvicorn replaced: the app its factory builds, and the bind."""
    import uvicorn

    seen: dict[str, Any] = {}

    def fake_run(target: str, **kw: Any) -> None:
        assert target == "critmin.api.app:app_from_env" and kw["factory"] is True
        seen.update(kw, app=app_from_env())  # the factory, with the env the CLI set

    monkeypatch.setattr(uvicorn, "run", fake_run)
    res = CliRunner().invoke(cli, ["serve", *args, "--workers", "1"])
    return res, seen


def _write_status(app: Any, token: str | None = None, server: str = "testserver") -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with TestClient(app, base_url=f"http://{server}") as c:
        return c.post("/api/scenarios", json=BODY, headers=headers).status_code


@pytest.mark.parametrize(
    ("cli_host", "env_host", "needs_token"),
    [
        ("127.0.0.1", None, False),
        ("localhost", None, False),
        ("::1", None, False),
        ("0.0.0.0", None, True),
        ("::", None, True),
        ("192.0.2.10", None, True),
        # both given and disagreeing: the address bound (the CLI's) decides
        ("0.0.0.0", "127.0.0.1", True),
        ("::", "::1", True),
        ("127.0.0.1", "0.0.0.0", False),
    ],
)
def test_serve_host_decides(
    monkeypatch: pytest.MonkeyPatch, cli_host: str, env_host: str | None, needs_token: bool
) -> None:
    monkeypatch.setenv("CRITMIN_TOKEN", TOKEN)
    if env_host is not None:
        monkeypatch.setenv("CRITMIN_HOST", env_host)
    res, seen = _serve(monkeypatch, ["--host", cli_host])
    assert res.exit_code == 0, res.output
    assert seen["host"] == cli_host  # what uvicorn binds
    app = seen["app"]
    if needs_token:
        assert _write_status(app) == 401
        assert _write_status(app, "wrong") == 403
    assert _write_status(app, TOKEN) == 201
    if not needs_token:
        assert _write_status(app) == 201


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "[::]", "10.1.2.3", "example.org"])
def test_serve_refuses_exposed_host_without_token(
    monkeypatch: pytest.MonkeyPatch, host: str
) -> None:
    res, seen = _serve(monkeypatch, ["--host", host])
    assert res.exit_code != 0 and "CRITMIN_TOKEN" in res.output and "Traceback" not in res.output
    assert not seen  # uvicorn never started


@pytest.mark.parametrize(
    ("env_host", "needs_token"),
    [("0.0.0.0", True), ("::", True), ("::1", False), ("localhost", False)],
)
def test_env_host_alone(monkeypatch: pytest.MonkeyPatch, env_host: str, needs_token: bool) -> None:
    # uvicorn started by hand on the factory: CRITMIN_HOST is all the app knows.
    monkeypatch.setenv("CRITMIN_TOKEN", TOKEN)
    monkeypatch.setenv("CRITMIN_HOST", env_host)
    app = app_from_env()
    assert _write_status(app) == (401 if needs_token else 201)
    assert _write_status(app, TOKEN) == 201


def test_exposed_host_without_token_does_not_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRITMIN_HOST", "0.0.0.0")
    with pytest.raises((SystemExit, ValueError), match="CRITMIN_TOKEN"):
        app_from_env()


@pytest.mark.parametrize("server", ["192.0.2.7", "[2001:db8::5]", "10.0.0.3"])
def test_write_on_a_public_interface_needs_the_token_whatever_the_env(
    monkeypatch: pytest.MonkeyPatch, server: str
) -> None:
    # CRITMIN_HOST says loopback but the request came in on a public local address (uvicorn
    # run by hand with --host 0.0.0.0): the connection proves the bind, the token is needed.
    monkeypatch.setenv("CRITMIN_HOST", "127.0.0.1")
    monkeypatch.setenv("CRITMIN_TOKEN", TOKEN)
    app = app_from_env()
    assert _write_status(app, server=server) == 401
    assert _write_status(app, "wrong", server=server) == 403
    assert _write_status(app, TOKEN, server=server) == 201
    assert _write_status(app, server="127.0.0.1") == 201  # a local client on loopback
    # and with no token configured at all, such a write is refused
    monkeypatch.delenv("CRITMIN_TOKEN")
    bare = app_from_env()
    assert _write_status(bare, server=server) == 401
    assert _write_status(bare, "anything", server=server) == 403
