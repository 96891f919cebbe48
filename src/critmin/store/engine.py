"""The one place critmin builds SQLAlchemy engines (the store's and the ledger's).

The ledger lives in the sourcing layer, below the store, so it is handed an engine rather
than building one (:meth:`critmin.store.StoreSettings.engine`, :func:`critmin.store.open_ledger`).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine


def create_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get WAL, a busy timeout and cross-thread use.

    WAL lets the web service's readers run while a run or a ledger append writes; the busy
    timeout makes concurrent writers wait instead of failing with "database is locked".

    Examples
    --------
    >>> create_engine("sqlite://").dialect.name
    'sqlite'
    """
    if not url.startswith("sqlite"):
        return sa.create_engine(url, pool_pre_ping=True)
    eng = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @sa.event.listens_for(eng, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    return eng
