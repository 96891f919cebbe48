"""Service settings, from the environment (``CRITMIN_*``) or given explicitly.

Where the data lives (``CRITMIN_DATA_DIR``, ``CRITMIN_DB_URL``) is the store's business
(:class:`critmin.store.StoreSettings`); this module adds what only the web service needs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import Field, SecretStr, field_validator

from critmin.store.settings import (
    LOOPBACK,
    SettingsError,
    StoreSettings,
    default_data_dir,
    is_loopback,
)

__all__ = [
    "LOOPBACK",
    "MAX_BODY_LIMIT",
    "Settings",
    "SettingsError",
    "default_data_dir",
    "is_loopback",
]

#: The largest request-body limit accepted (100 MB): bodies are read into memory, and the
#: biggest legitimate upload (a CMRT/EMRT workbook) is a few MB.
MAX_BODY_LIMIT = 100_000_000


class Settings(StoreSettings):
    """What the app needs to know; every field can come from ``CRITMIN_<FIELD>``.

    Arguments win over the environment. An invalid value raises :class:`SettingsError`, one
    line per value naming the variable (``environment, field 'CRITMIN_MAX_BODY': expected
    ...``).

    Parameters
    ----------
    data_dir
        Folder of the store (``critmin.db``) and of the run result files
        (``CRITMIN_DATA_DIR``, default ``~/.critmin``).
    db_url
        A SQLAlchemy URL replacing the SQLite file (``CRITMIN_DB_URL``).
    token
        The bearer token that write and run endpoints require when ``host`` is not loopback
        (``CRITMIN_TOKEN``); a secret, hidden in ``repr``.
    max_body
        Largest accepted request body in bytes, 1 to 100 000 000 (``CRITMIN_MAX_BODY``;
        413 above).
    host
        The address the server binds to (``CRITMIN_HOST``; decides whether writes need the
        token).
    workers
        Background run threads, 0 to 2 (``CRITMIN_WORKERS``; 0: runs are recorded but never
        executed, for tests).

    Examples
    --------
    >>> s = Settings(data_dir="/srv/critmin", token="s3cret", host="0.0.0.0", workers=0)
    >>> s.auth_required, s.token
    (True, SecretStr('**********'))
    >>> Settings(data_dir="/srv/critmin", workers=3)
    Traceback (most recent call last):
    ...
    critmin.store.settings.SettingsError: settings, field 'workers': expected 0, 1 or 2 ...
    """

    EXPECTED: ClassVar[dict[str, str]] = {
        **StoreSettings.EXPECTED,
        "token": "a secret string",
        "max_body": f"a whole number of bytes from 1 to {MAX_BODY_LIMIT}",
        "host": "a bind address such as 127.0.0.1 or 0.0.0.0",
        "workers": "0, 1 or 2 background run threads",
    }

    token: SecretStr | None = None
    max_body: Annotated[int, Field(gt=0, le=MAX_BODY_LIMIT)] = 1_000_000
    host: Annotated[str, Field(min_length=1)] = "127.0.0.1"
    workers: Annotated[int, Field(ge=0, le=2)] = 1

    @field_validator("token", mode="after")
    @classmethod
    def _blank_token_is_none(cls, v: SecretStr | None) -> SecretStr | None:
        # A blank token would let "Authorization: Bearer " through.
        return v if v is not None and v.get_secret_value().strip() else None

    @property
    def auth_required(self) -> bool:
        """Write and run endpoints need the token (the host is not loopback)."""
        return not is_loopback(self.host)

    @property
    def token_value(self) -> str | None:
        """The token in clear, for the code that compares it (None when unset)."""
        return self.token.get_secret_value() if self.token is not None else None

    @classmethod
    def from_env(
        cls, host: str = "127.0.0.1", workers: int | None = None, data_dir: Path | None = None
    ) -> Settings:
        """Settings from the environment, with ``workers`` and ``data_dir`` when given.

        ``host`` is a default: ``CRITMIN_HOST`` wins over it, so an operator can declare a
        server exposed (and so needing the token) whatever address the command line names.
        """
        given: dict[str, Any] = {}
        if workers is not None:
            given["workers"] = workers
        if data_dir is not None:
            given["data_dir"] = data_dir
        settings = cls(**given)
        if "host" in settings.model_fields_set:  # CRITMIN_HOST was set
            return settings
        return cls(host=host, **given)
