"""Persistent state: saved scenarios and plans, runs and their result files, and where they live.

SQLAlchemy Core over a SQLite file (``critmin.db`` in the data directory, WAL journal) by
default; any SQLAlchemy URL (``postgresql+psycopg://...``) can be given instead. Result files
live under ``data_dir/runs/<run id>/``; every path derives from server-generated ids.
:class:`StoreSettings` (``CRITMIN_DATA_DIR``, ``CRITMIN_DB_URL``) says where, and builds the
engine (:meth:`StoreSettings.engine`) that the store and the chain-of-custody ledger
(:func:`open_ledger`) share.
"""

from critmin.store.custody import open_ledger
from critmin.store.engine import create_engine
from critmin.store.settings import (
    SettingsError,
    StoreSettings,
    default_data_dir,
    is_loopback,
    open_engine,
    sqlite_url,
)
from critmin.store.store import (
    INTERRUPTED,
    RUN_KINDS,
    RUN_STATUSES,
    TERMINAL,
    NotFoundError,
    ResultUnavailableError,
    Store,
    sha256_file,
)

__all__ = [
    "INTERRUPTED",
    "RUN_KINDS",
    "RUN_STATUSES",
    "TERMINAL",
    "NotFoundError",
    "ResultUnavailableError",
    "SettingsError",
    "Store",
    "StoreSettings",
    "create_engine",
    "default_data_dir",
    "is_loopback",
    "open_engine",
    "open_ledger",
    "sha256_file",
    "sqlite_url",
]
