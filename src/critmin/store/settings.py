"""Where critmin keeps its state: the data directory and the database, from ``CRITMIN_*``.

The store, the chain-of-custody ledger and every interface (CLI, web service) read these two
settings from here, so ``CRITMIN_DATA_DIR`` and ``CRITMIN_DB_URL`` mean the same thing
everywhere. A bad value in the environment is reported as one line naming the variable
(:class:`SettingsError`), never as a validation traceback.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError

from critmin.data.errors import DataError, Problem
from critmin.store.engine import create_engine

#: The environment variables' common prefix.
ENV_PREFIX = "CRITMIN_"
#: The SQLite file in the data directory when no database URL is given.
DB_FILE = "critmin.db"
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost", "[::1]"})


class SettingsError(DataError):
    """Settings that cannot be used: one :class:`~critmin.data.errors.Problem` per bad value.

    ``file`` is ``"environment"`` (the field is the variable, e.g. ``CRITMIN_MAX_BODY``) or
    ``"settings"`` for a value given in code; ``str()`` is one line per problem.
    """


def is_loopback(host: str) -> bool:
    """Whether a bind address only accepts connections from this machine.

    Here, below both faces, so that the CLI's ``serve`` and the API apply one token rule.
    Literal addresses are judged by :mod:`ipaddress` (``127.0.0.0/8``, ``::1`` in any
    spelling, with or without brackets, IPv4-mapped ``::ffff:127.0.0.1``); of names only
    ``localhost`` counts. Anything else -- ``0.0.0.0``, ``::``, a public address, another
    name -- is exposed, so writes need the token.

    Examples
    --------
    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, False)
    >>> is_loopback("[::1]"), is_loopback("0:0:0:0:0:0:0:1"), is_loopback("::")
    (True, True, False)
    """
    h = host.strip().lower()
    if h in LOOPBACK:
        return True
    if h.startswith("[") and h.endswith("]"):
        h = h[1:-1]
    try:
        ip = ipaddress.ip_address(h)
    except ValueError:
        return False  # a name other than localhost may resolve anywhere
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


def default_data_dir() -> Path:
    """``$CRITMIN_DATA_DIR``, else ``~/.critmin`` (``./critmin-data`` without a home).

    A relative or ``~`` path is kept as given (``~`` expanded); the store resolves it.
    """
    return StoreSettings().data_dir


def _home_data_dir() -> Path:
    # No HOME (a service account, a bare container): keep the data beside the working
    # directory rather than fail.
    return Path.home() / ".critmin" if "HOME" in os.environ else Path("critmin-data")


def sqlite_url(data_dir: str | Path) -> str:
    """The SQLAlchemy URL of the SQLite file in ``data_dir``.

    Examples
    --------
    >>> sqlite_url("/srv/critmin")
    'sqlite:////srv/critmin/critmin.db'
    """
    return f"sqlite:///{Path(data_dir) / DB_FILE}"


class StoreSettings(BaseSettings):
    """Where critmin keeps its data, from ``CRITMIN_DATA_DIR`` and ``CRITMIN_DB_URL``.

    Values given as arguments win over the environment; what is not given comes from it.

    Parameters
    ----------
    data_dir
        Folder of the SQLite file (``critmin.db``) and of the run result files
        (default ``$CRITMIN_DATA_DIR``, else ``~/.critmin``).
    db_url
        A SQLAlchemy URL replacing the SQLite file (``postgresql+psycopg://...``); the store
        and the ledger then share that database. Result files stay under ``data_dir``.

    Examples
    --------
    >>> s = StoreSettings(data_dir="/srv/critmin", db_url=None)
    >>> s.database_url
    'sqlite:////srv/critmin/critmin.db'
    >>> StoreSettings(data_dir="/srv/critmin", db_url="postgresql://db/critmin").database_url
    'postgresql://db/critmin'
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        # An empty variable (``CRITMIN_TOKEN=``) means unset, as a shell user expects.
        env_ignore_empty=True,
        frozen=True,
        extra="forbid",
    )
    #: What each field must be, for the one-line error (field → expectation).
    EXPECTED: ClassVar[dict[str, str]] = {
        "data_dir": "a folder path",
        "db_url": "a SQLAlchemy database URL",
        "ledger_key": "a secret string",
        "ledger_key_file": "a file path",
        "ledger_anchor": "a file path",
    }

    data_dir: Path = Field(default_factory=_home_data_dir)
    db_url: str | None = None
    #: The secret keying the custody ledger's chain (``CRITMIN_LEDGER_KEY``); without it the
    #: key is read from (or, the first time, written to) :attr:`ledger_key_file`.
    ledger_key: SecretStr | None = None
    #: Default ``~/.config/critmin/ledger.key`` (``$XDG_CONFIG_HOME`` respected): outside the
    #: data directory, so a copy of the database never carries its key.
    ledger_key_file: Path | None = None
    #: The ledger's anchor file (default ``data_dir/ledger-anchor.json``).
    ledger_anchor: Path | None = None

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as e:
            raise settings_error(e, type(self), set(values)) from None

    @field_validator("data_dir", mode="after")
    @classmethod
    def _expand(cls, v: Path) -> Path:
        return v.expanduser()

    @field_validator("db_url", mode="after")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        v = v.strip() if v is not None else None
        if not v:
            return None
        try:  # parsed now, so a typo fails at startup naming the variable, not at first query
            make_url(v)
        except ArgumentError as e:
            raise ValueError(str(e)) from None
        return v

    @property
    def database_url(self) -> str:
        """``db_url``, else the SQLite file ``data_dir/critmin.db`` (absolute)."""
        return self.db_url or sqlite_url(self.data_dir.resolve())

    def ledger_key_bytes(self) -> bytes:
        """The ledger's key: ``ledger_key``, else the key file's (made, mode 0600, if absent)."""
        if self.ledger_key is not None and self.ledger_key.get_secret_value().strip():
            return self.ledger_key.get_secret_value().strip().encode()
        path = self.ledger_key_file or _config_dir() / "ledger.key"
        path = path.expanduser()
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32) + "\n")
        try:
            key = path.read_text("utf-8").strip()
        except (OSError, UnicodeDecodeError) as e:
            raise SettingsError(
                [
                    Problem(
                        "environment",
                        None,
                        "CRITMIN_LEDGER_KEY_FILE",
                        "a readable key file",
                        f"{path}: {e}",
                    )
                ]
            ) from None
        if not key:
            raise SettingsError(
                [
                    Problem(
                        "environment",
                        None,
                        "CRITMIN_LEDGER_KEY_FILE",
                        "a key file holding a secret",
                        f"{path} is empty",
                    )
                ]
            )
        return key.encode()

    @property
    def anchor_path(self) -> Path:
        """Where the ledger's head is anchored outside the database."""
        return (self.ledger_anchor or self.data_dir / "ledger-anchor.json").expanduser()

    def engine(self) -> Engine:
        """A new engine on critmin's database, creating the data directory for its SQLite file.

        The store builds its engine the same way; hand this one to
        :class:`critmin.sourcing.ledger.Ledger` for the ledger.

        Examples
        --------
        >>> import tempfile
        >>> eng = StoreSettings(data_dir=tempfile.mkdtemp(), db_url=None).engine()
        >>> eng.url.database.endswith("critmin.db")
        True
        """
        if self.db_url is None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        return create_engine(self.database_url)


def _config_dir() -> Path:
    xdg = os.environ.get("XDG_CONFIG_HOME", "").strip()
    base = Path(xdg) if xdg else (Path.home() / ".config" if "HOME" in os.environ else None)
    return base / "critmin" if base is not None else Path("critmin-data")


def open_engine(settings: StoreSettings | None = None) -> Engine:
    """:meth:`StoreSettings.engine` of ``settings``, by default from the environment."""
    return (settings if settings is not None else StoreSettings()).engine()


def settings_error(
    exc: ValidationError, cls: type[StoreSettings], given: set[str]
) -> SettingsError:
    """One problem per invalid value, naming the environment variable it came from.

    ``given`` are the fields passed as arguments (their problems name the field instead).
    """
    problems = []
    for err in exc.errors():
        name = str(err["loc"][0]) if err["loc"] else ""
        expected = cls.EXPECTED.get(name, err["msg"].lower())
        got = err.get("input", "")
        if name in given or name not in cls.model_fields:
            problems.append(Problem("settings", None, name, expected, str(got)))
        else:
            var = f"{ENV_PREFIX}{name}".upper()
            # Never echo a secret back, even a malformed one (a URL may hold a password).
            shown = "" if name in ("token", "db_url", "ledger_key") else str(got)
            problems.append(Problem("environment", None, var, expected, shown))
    return SettingsError(problems)
