"""PostgreSQL for the store and ledger tests: ``CRITMIN_TEST_PG_URL``, or a throwaway server.

``make test`` under ``CI=true`` installs Debian's ``postgresql``, starts a server with
``tests/tools/pg-throwaway.sh`` and passes its URL in ``CRITMIN_TEST_PG_URL``. Without the
variable, the first test that asks starts one the same way when the PostgreSQL binaries and
the ``psycopg`` driver are on the machine (stopped when the tests end); otherwise the test is
skipped naming what is missing (failed under ``CI=true``, by :func:`tests.conftest.require`).
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.conftest import importable, require

SCRIPT = Path(__file__).parent / "tools" / "pg-throwaway.sh"
_url: str | None = None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start() -> str | None:
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        return None
    folder = tempfile.mkdtemp(prefix="critmin-pg-")
    os.chmod(folder, 0o755)
    res = subprocess.run(["bash", str(SCRIPT), "start", folder, str(_free_port())],
                         capture_output=True, text=True, check=False)  # fmt: skip
    if res.returncode != 0:
        return None

    def stop() -> None:
        subprocess.run(["bash", str(SCRIPT), "stop", folder], check=False, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)

    atexit.register(stop)
    return res.stdout.strip().splitlines()[-1]


def pg_url() -> str:
    """The test server's URL (skipping, or failing in CI, when there is none)."""
    global _url
    require("the psycopg driver", importable("psycopg"), "pip install 'psycopg[binary]'")
    if _url is None:
        _url = os.environ.get("CRITMIN_TEST_PG_URL", "").strip() or _start() or ""
    require(
        "a PostgreSQL server (CRITMIN_TEST_PG_URL, or Debian's postgresql package to start one)",
        bool(_url),
        "apt-get install postgresql, or set CRITMIN_TEST_PG_URL",
    )
    return _url


def pg_engine(*, reset: bool = True) -> Engine:
    """An engine on the test database; ``reset`` drops critmin's tables first (a clean slate)."""
    from critmin.store.engine import create_engine

    eng = create_engine(pg_url())
    if reset:
        with eng.begin() as conn:
            names = sa.inspect(conn).get_table_names()
            for name in names:
                conn.execute(sa.text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
    return eng
