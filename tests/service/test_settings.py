"""Settings from the environment: validated, one line per bad variable, shared by store and API."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from critmin.api import Settings, create_app
from critmin.store import (
    SettingsError,
    Store,
    StoreSettings,
    default_data_dir,
    open_engine,
    open_ledger,
)
from tests.service.conftest import SMALL

MINE = {"kind": "create", "lot": "M1", "material": "cobalt ore", "mass_kg": 10,
        "site": "Mine A", "country": "COD", "origin": "mine"}  # fmt: skip


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in [v for v in os.environ if v.startswith("CRITMIN_") and v != "CRITMIN_DATA"]:
        monkeypatch.delenv(var)


def test_environment_is_read_and_validated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRITMIN_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("CRITMIN_TOKEN", "s3cret")
    monkeypatch.setenv("CRITMIN_MAX_BODY", "2048")
    monkeypatch.setenv("CRITMIN_DB_URL", "")  # empty means unset
    s = Settings()
    assert (s.data_dir, s.max_body, s.db_url, s.workers) == (tmp_path / "d", 2048, None, 1)
    assert s.token_value == "s3cret" and "s3cret" not in repr(s)
    assert default_data_dir() == StoreSettings().data_dir == tmp_path / "d"
    # Arguments win over the environment.
    assert Settings(max_body=10, data_dir=tmp_path).max_body == 10


@pytest.mark.parametrize(
    ("var", "value", "expected"),
    [
        ("CRITMIN_MAX_BODY", "abc", "a whole number of bytes"),
        ("CRITMIN_MAX_BODY", "0", "a whole number of bytes"),
        ("CRITMIN_MAX_BODY", "10000000000", "a whole number of bytes"),
        ("CRITMIN_WORKERS", "3", "0, 1 or 2"),
        ("CRITMIN_DB_URL", "not a url", "a SQLAlchemy database URL"),
    ],
)
def test_bad_environment_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError) as e:
        Settings.from_env()
    msg = str(e.value)
    assert "\n" not in msg and var in msg and expected in msg
    assert (repr(value) in msg) is (var != "CRITMIN_DB_URL")  # a URL may hold a password
    assert not isinstance(e.value.__cause__, Exception)  # no pydantic traceback chained


def test_bad_arguments_name_the_field() -> None:
    with pytest.raises(SettingsError, match="settings, field 'workers'"):
        Settings(data_dir=".", workers=5)
    with pytest.raises(SettingsError, match="field 'bogus'"):
        Settings(data_dir=".", bogus=1)  # type: ignore[call-arg]


def test_from_env_host_is_a_default(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings.from_env(host="0.0.0.0", workers=2).host == "0.0.0.0"
    monkeypatch.setenv("CRITMIN_HOST", "10.0.0.1")
    s = Settings.from_env(host="127.0.0.1", workers=0, data_dir=Path("/srv/x"))
    assert (s.host, s.workers, s.data_dir, s.auth_required) == ("10.0.0.1", 0, Path("/srv/x"), True)


def test_blank_token_counts_as_none(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path, token="  ").token is None
    with pytest.raises(ValueError, match="CRITMIN_TOKEN"):
        create_app(Settings(data_dir=tmp_path, host="0.0.0.0", token=" "))


def test_db_url_holds_store_and_ledger(tmp_path: Path) -> None:
    """With CRITMIN_DB_URL, the store's and the ledger's rows land in that one database."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    data = tmp_path / "data"
    with TestClient(create_app(Settings(data_dir=data, db_url=url, workers=0))) as c:
        assert c.post("/api/scenarios", json={"name": "s", "yaml": SMALL}).status_code == 201
        assert c.post("/api/trace", json=MINE).status_code == 201
        assert c.get("/api/trace/verify").json()["intact"] is True
    st = Store.from_settings(StoreSettings(data_dir=data, db_url=url))
    st.create_run("simulate", {})
    st.close()
    led = open_ledger(StoreSettings(data_dir=data, db_url=url))
    assert [e.record["lot"] for e in led.entries()] == ["M1"]
    assert led.location == str(tmp_path / "shared.db")
    led.close()
    eng = sa.create_engine(url)
    with eng.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
        assert {"scenarios", "plans", "runs", "ledger", "ledger_head"} <= tables
        assert conn.execute(sa.text("SELECT count(*) FROM ledger")).scalar() == 1
        assert conn.execute(sa.text("SELECT count(*) FROM runs")).scalar() == 1
    eng.dispose()
    assert not (data / "critmin.db").exists()  # result files only in the data dir


def test_open_engine_defaults_to_the_data_dir_file(tmp_path: Path) -> None:
    eng = open_engine(StoreSettings(data_dir=tmp_path / "new", db_url=None))
    assert eng.url.database == str((tmp_path / "new" / "critmin.db").resolve())
    eng.dispose()


def test_app_factory_with_bad_environment_is_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "CRITMIN_MAX_BODY": "abc", "CRITMIN_DATA_DIR": str(tmp_path)}
    code = "from critmin.api.app import app_from_env; app_from_env()"
    p = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert p.returncode == 1
    assert p.stderr.strip().splitlines() == [
        "error: environment, field 'CRITMIN_MAX_BODY': expected a whole number of bytes "
        "from 1 to 100000000; got 'abc'"
    ]
