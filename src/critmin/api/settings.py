"""Service settings, from the environment (``CRITMIN_*``) or given explicitly."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost", "[::1]"})


def is_loopback(host: str) -> bool:
    """Whether a bind address only accepts connections from this machine.

    Examples
    --------
    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    return host.strip().lower() in LOOPBACK


def default_data_dir() -> Path:
    """``$CRITMIN_DATA_DIR``, else ``~/.critmin`` (``./critmin-data`` without a home)."""
    env = os.environ.get("CRITMIN_DATA_DIR")
    if env:
        return Path(env).expanduser()
    home = Path.home() if "HOME" in os.environ else None
    return home / ".critmin" if home is not None else Path("critmin-data")


@dataclass(frozen=True)
class Settings:
    """What the app needs to know.

    Parameters
    ----------
    data_dir
        Folder of the store (``critmin.db``) and of the run result files.
    token
        The bearer token that write and run endpoints require when ``host`` is not loopback.
    db_url
        A SQLAlchemy URL replacing the SQLite file.
    max_body
        Largest accepted request body in bytes (413 above).
    host
        The address the server binds to (decides whether writes need the token).
    workers
        Background run threads (0: runs are recorded but never executed, for tests).
    """

    data_dir: Path
    token: str | None = None
    db_url: str | None = None
    max_body: int = 1_000_000
    host: str = "127.0.0.1"
    workers: int = 1

    @property
    def auth_required(self) -> bool:
        """Write and run endpoints need the token (the host is not loopback)."""
        return not is_loopback(self.host)

    @classmethod
    def from_env(cls, host: str = "127.0.0.1", workers: int = 1) -> Settings:
        """Settings from ``CRITMIN_DATA_DIR``, ``CRITMIN_TOKEN``, ``CRITMIN_DB_URL``,
        ``CRITMIN_MAX_BODY`` and ``CRITMIN_HOST``."""
        max_body = os.environ.get("CRITMIN_MAX_BODY")
        return cls(
            data_dir=default_data_dir(),
            token=os.environ.get("CRITMIN_TOKEN") or None,
            db_url=os.environ.get("CRITMIN_DB_URL") or None,
            max_body=int(max_body) if max_body else 1_000_000,
            host=os.environ.get("CRITMIN_HOST", host),
            workers=workers,
        )
