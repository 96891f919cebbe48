"""Persistent state of the service: saved scenarios and plans, runs and their result files.

SQLAlchemy Core over a SQLite file (``critmin.db`` in the data directory, WAL journal) by
default; any SQLAlchemy URL (``postgresql+psycopg://...``) can be given instead. Result files
live under ``data_dir/runs/<run id>/``; every path derives from server-generated ids.
"""

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
    "Store",
    "sha256_file",
]
