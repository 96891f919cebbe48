"""The store: scenarios, plans and runs in SQL tables, result files beside them on disk."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from critmin.store.engine import create_engine
from critmin.store.settings import StoreSettings, sqlite_url

#: The error a run left behind by a dead server gets.
INTERRUPTED = "interrupted (server stopped)"
RUN_KINDS = ("simulate", "evaluate", "optimize")
RUN_STATUSES = ("queued", "running", "complete", "failed", "cancelled")
TERMINAL = frozenset({"complete", "failed", "cancelled"})
_ID = re.compile(r"^[0-9a-f]{32}$")
_NAME = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")

metadata = sa.MetaData()


def _docs_table(name: str) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("yaml", sa.Text, nullable=False),
        sa.Column("created", sa.String(40), nullable=False),
        sa.Column("updated", sa.String(40)),
    )


scenarios = _docs_table("scenarios")
plans = _docs_table("plans")
runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("params", sa.Text, nullable=False),
    sa.Column("scenario_yaml", sa.Text),
    sa.Column("seed", sa.Integer),
    sa.Column("samples", sa.Integer),
    sa.Column("data_version", sa.String(64)),
    sa.Column("created", sa.String(40), nullable=False),
    sa.Column("started", sa.String(40)),
    sa.Column("finished", sa.String(40)),
    sa.Column("progress", sa.Float, nullable=False, default=0.0),
    sa.Column("error", sa.Text),
    sa.Column("result_path", sa.Text),
    sa.Column("result_sha256", sa.String(64)),
    sa.Column("files", sa.Text),
    sa.Column("pid", sa.Integer),
)


class NotFoundError(KeyError):
    """No record with that id."""


class ResultUnavailableError(Exception):
    """A result cannot be served: the run is not complete, or its file is missing or altered.

    ``reason`` is ``"not complete"``, ``"missing"`` or ``"altered"``.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def now() -> str:
    """The current UTC time, ISO 8601 to the millisecond."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def new_id() -> str:
    """A server-generated id (uuid4 hex)."""
    return uuid.uuid4().hex


def sha256_file(path: Path) -> str:
    """SHA-256 of a file (or, for a directory such as a Zarr store, of its files in order)."""
    h = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for f in files:
        if path.is_dir():
            h.update(str(f.relative_to(path)).encode())
        with f.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def _pid_alive(pid: int | None) -> bool:
    if pid is None or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Store:
    """Saved scenarios and plans, runs, and the result files of runs.

    Parameters
    ----------
    data_dir
        Where the SQLite file (``critmin.db``) and the result files (``runs/<id>/``) live.
    url
        A SQLAlchemy URL to use instead of the SQLite file (for example
        ``postgresql+psycopg://user@host/critmin``); result files stay under ``data_dir``.

    The database is also the ledger's (:func:`critmin.store.open_ledger`,
    ``Ledger(store.engine)``): its tables (``ledger``, ``ledger_head``) do not clash with the
    store's (``scenarios``, ``plans``, ``runs``).

    Examples
    --------
    >>> import tempfile
    >>> st = Store(tempfile.mkdtemp())
    >>> sid = st.add_scenario("demo", "name: demo")["id"]
    >>> st.get_scenario(sid)["name"]
    'demo'
    >>> run = st.create_run("simulate", {"samples": 10}, samples=10, seed=0)
    >>> st.start_run(run["id"]), st.get_run(run["id"])["status"]
    (True, 'running')
    """

    def __init__(self, data_dir: str | Path, url: str | None = None) -> None:
        self.data_dir = Path(data_dir).expanduser().resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "runs").mkdir(exist_ok=True)
        self.url = url or sqlite_url(self.data_dir)
        self.engine = create_engine(self.url)
        for attempt in range(5):
            try:
                metadata.create_all(self.engine)
                break
            except sa.exc.ProgrammingError as e:  # a second server created them meanwhile
                if "already exists" not in str(e.orig) or attempt == 4:
                    raise

    @classmethod
    def from_settings(cls, settings: StoreSettings | None = None) -> Store:
        """The store in ``settings.data_dir`` on ``settings.db_url`` (default: the environment)."""
        settings = settings if settings is not None else StoreSettings()
        return cls(settings.data_dir, settings.db_url)

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    # -- scenarios and plans ---------------------------------------------------------------

    def _add(self, table: sa.Table, name: str, text: str) -> dict[str, Any]:
        row = {"id": new_id(), "name": name, "yaml": text, "created": now(), "updated": None}
        with self.engine.begin() as c:
            c.execute(table.insert().values(**row))
        return row

    def _list(self, table: sa.Table) -> list[dict[str, Any]]:
        cols = [table.c.id, table.c.name, table.c.created, table.c.updated]
        with self.engine.connect() as c:
            rows = c.execute(sa.select(*cols).order_by(table.c.created, table.c.id)).mappings()
            return [dict(r) for r in rows]

    def _get(self, table: sa.Table, id_: str) -> dict[str, Any]:
        with self.engine.connect() as c:
            row = c.execute(sa.select(table).where(table.c.id == id_)).mappings().first()
        if row is None:
            raise NotFoundError(id_)
        return dict(row)

    def _update(self, table: sa.Table, id_: str, name: str, text: str) -> dict[str, Any]:
        with self.engine.begin() as c:
            res = c.execute(
                table.update().where(table.c.id == id_).values(name=name, yaml=text, updated=now())
            )
        if res.rowcount == 0:
            raise NotFoundError(id_)
        return self._get(table, id_)

    def _delete(self, table: sa.Table, id_: str) -> None:
        with self.engine.begin() as c:
            res = c.execute(table.delete().where(table.c.id == id_))
        if res.rowcount == 0:
            raise NotFoundError(id_)

    def add_scenario(self, name: str, text: str) -> dict[str, Any]:
        """Save a scenario (its YAML text, validated by the caller); returns the record."""
        return self._add(scenarios, name, text)

    def list_scenarios(self) -> list[dict[str, Any]]:
        """Saved scenarios (id, name, created, updated), oldest first."""
        return self._list(scenarios)

    def get_scenario(self, id_: str) -> dict[str, Any]:
        """One saved scenario with its YAML; :class:`NotFoundError` when there is none."""
        return self._get(scenarios, id_)

    def update_scenario(self, id_: str, name: str, text: str) -> dict[str, Any]:
        """Replace a saved scenario's name and YAML."""
        return self._update(scenarios, id_, name, text)

    def delete_scenario(self, id_: str) -> None:
        """Delete a saved scenario."""
        self._delete(scenarios, id_)

    def add_plan(self, name: str, text: str) -> dict[str, Any]:
        """Save a plan (its YAML text, validated by the caller); returns the record."""
        return self._add(plans, name, text)

    def list_plans(self) -> list[dict[str, Any]]:
        """Saved plans (id, name, created, updated), oldest first."""
        return self._list(plans)

    def get_plan(self, id_: str) -> dict[str, Any]:
        """One saved plan with its YAML; :class:`NotFoundError` when there is none."""
        return self._get(plans, id_)

    def update_plan(self, id_: str, name: str, text: str) -> dict[str, Any]:
        """Replace a saved plan's name and YAML."""
        return self._update(plans, id_, name, text)

    def delete_plan(self, id_: str) -> None:
        """Delete a saved plan."""
        self._delete(plans, id_)

    # -- runs -------------------------------------------------------------------------------

    def create_run(
        self,
        kind: str,
        params: dict[str, Any],
        *,
        scenario_yaml: str | None = None,
        seed: int | None = None,
        samples: int | None = None,
        data_version: str | None = None,
    ) -> dict[str, Any]:
        """Record a new run as ``queued`` (owned by this process); returns the record."""
        if kind not in RUN_KINDS:
            raise ValueError(f"kind must be one of {RUN_KINDS}, not {kind!r}")
        row = {
            "id": new_id(),
            "kind": kind,
            "status": "queued",
            "params": json.dumps(params, sort_keys=True),
            "scenario_yaml": scenario_yaml,
            "seed": seed,
            "samples": samples,
            "data_version": data_version,
            "created": now(),
            "progress": 0.0,
            "pid": os.getpid(),
        }
        with self.engine.begin() as c:
            c.execute(runs.insert().values(**row))
        return self.get_run(str(row["id"]))

    def _transition(self, id_: str, allowed: tuple[str, ...], **values: Any) -> bool:
        with self.engine.begin() as c:
            res = c.execute(
                runs.update().where(runs.c.id == id_, runs.c.status.in_(allowed)).values(**values)
            )
        return bool(res.rowcount)

    def start_run(self, id_: str) -> bool:
        """``queued`` → ``running``; False when the run is no longer queued (cancelled)."""
        return self._transition(id_, ("queued",), status="running", started=now(), pid=os.getpid())

    def set_progress(self, id_: str, progress: float) -> bool:
        """Record progress (0–1) of a running run; False when it is no longer running."""
        p = min(max(float(progress), 0.0), 1.0)
        return self._transition(id_, ("running",), progress=p)

    def complete_run(
        self, id_: str, result_path: str, sha256: str, files: dict[str, str] | None = None
    ) -> bool:
        """``running`` → ``complete`` once its files are in place under their final names.

        ``result_path`` is relative to the data directory; ``files`` maps every result file
        name in the run's folder to its SHA-256 (by default just ``result_path``'s).
        """
        files = files or {Path(result_path).name: sha256}
        return self._transition(
            id_, ("running",), status="complete", finished=now(), progress=1.0,
            result_path=result_path, result_sha256=sha256, files=json.dumps(files),
        )  # fmt: skip

    def fail_run(self, id_: str, error: str) -> bool:
        """A queued or running run → ``failed`` with ``error``."""
        return self._transition(
            id_, ("queued", "running"), status="failed", finished=now(), error=error
        )

    def cancel_run(self, id_: str) -> bool:
        """A queued or running run → ``cancelled``; False when it had already finished."""
        return self._transition(
            id_, ("queued", "running"), status="cancelled", finished=now(), error="cancelled"
        )

    def get_run(self, id_: str) -> dict[str, Any]:
        """One run (``params`` and ``files`` decoded); :class:`NotFoundError` when there is none."""
        with self.engine.connect() as c:
            row = c.execute(sa.select(runs).where(runs.c.id == id_)).mappings().first()
        if row is None:
            raise NotFoundError(id_)
        return _decode(dict(row))

    def list_runs(self, limit: int = 100, kind: str | None = None) -> list[dict[str, Any]]:
        """The newest runs first."""
        q = sa.select(runs).order_by(runs.c.created.desc(), runs.c.id).limit(limit)
        if kind is not None:
            q = q.where(runs.c.kind == kind)
        with self.engine.connect() as c:
            return [_decode_listed(dict(r)) for r in c.execute(q).mappings()]

    def recover(self) -> int:
        """Mark every run left ``queued`` or ``running`` by a dead process as ``failed``.

        Called at startup. A run whose owning process is still alive (another server on the
        same store) is left alone; this process's own pid counts as dead, since a new server
        has no runs yet. Returns how many runs were marked.
        """
        with self.engine.connect() as c:
            rows = c.execute(
                sa.select(runs.c.id, runs.c.pid).where(runs.c.status.in_(("queued", "running")))
            ).all()
        me = os.getpid()
        n = 0
        for id_, pid in rows:
            if pid == me or not _pid_alive(pid):
                n += self.fail_run(id_, INTERRUPTED)
        return n

    # -- result files -----------------------------------------------------------------------

    def run_dir(self, id_: str) -> Path:
        """The folder of a run's result files (created when missing)."""
        if not _ID.match(id_):
            raise NotFoundError(id_)
        d = self.data_dir / "runs" / id_
        d.mkdir(parents=True, exist_ok=True)
        return d

    def temp_path(self, id_: str, name: str) -> Path:
        """Where to write result file ``name`` before :meth:`publish` renames it."""
        if not _NAME.match(name):
            raise ValueError(f"bad result file name {name!r}")
        return self.run_dir(id_) / f".tmp-{name}"

    def publish(self, id_: str, name: str) -> str:
        """Move a finished temporary file to its final name (durably); returns its SHA-256."""
        tmp = self.temp_path(id_, name)
        digest = sha256_file(tmp)
        if tmp.is_file():
            with tmp.open("rb") as fh:
                os.fsync(fh.fileno())
        os.replace(tmp, self.run_dir(id_) / name)
        try:
            dfd = os.open(self.run_dir(id_), os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        except OSError:  # pragma: no cover - platforms without directory fsync
            pass
        return digest

    def result_path(self, id_: str, name: str) -> Path:
        """Where result file ``name`` of run ``id_`` lives; nothing is checked or created.

        For a cache keyed on content (:meth:`result_bytes` verifies); a malformed id raises
        :class:`NotFoundError` and a malformed name ``ValueError``, so no path escapes the
        run's folder.
        """
        if not _ID.match(id_):
            raise NotFoundError(id_)
        if not _NAME.match(name):
            raise ValueError(f"bad result file name {name!r}")
        return self.data_dir / "runs" / id_ / name

    def _recorded_hash(self, id_: str, name: str) -> str:
        run = self.get_run(id_)
        if run["status"] != "complete":
            raise ResultUnavailableError(
                "not complete", f"run {id_} is {run['status']}, not complete"
            )
        files: dict[str, str] = run["files"] or {}
        if name not in files:
            raise ResultUnavailableError("missing", f"run {id_} has no result {name!r}")
        return files[name]

    def result_file(self, id_: str, name: str) -> Path:
        """The path of a complete run's result file after checking its SHA-256.

        The file is hashed on every call: a cache keyed on size and modification time would
        miss an edit that keeps both, and hashing runs at about 1 GB/s.

        Raises
        ------
        NotFoundError
            No such run.
        ResultUnavailableError
            The run is not complete, the file is not one of its results, is missing, or
            its content no longer matches the recorded hash.
        """
        recorded = self._recorded_hash(id_, name)
        path = self.result_path(id_, name)
        if not path.exists():
            raise ResultUnavailableError("missing", f"result {name!r} of run {id_} is missing")
        if sha256_file(path) != recorded:
            raise _altered(id_, name)
        return path

    def result_bytes(self, id_: str, name: str) -> bytes:
        """The content of a complete run's result file, checked against its recorded SHA-256.

        The bytes returned are the bytes hashed (read once), so what the caller parses is
        what was verified. Raises like :meth:`result_file`.
        """
        recorded = self._recorded_hash(id_, name)
        path = self.result_path(id_, name)
        try:
            raw = path.read_bytes()
        except (FileNotFoundError, IsADirectoryError) as exc:
            raise ResultUnavailableError(
                "missing", f"result {name!r} of run {id_} is missing or not a file"
            ) from exc
        if hashlib.sha256(raw).hexdigest() != recorded:
            raise _altered(id_, name)
        return raw


def _altered(id_: str, name: str) -> ResultUnavailableError:
    return ResultUnavailableError(
        "altered", f"result {name!r} of run {id_} does not match its recorded SHA-256"
    )


def _decode_listed(row: dict[str, Any]) -> dict[str, Any]:
    """:func:`_decode`, but a row that cannot be decoded is listed as ``unreadable`` with
    the reason, so one bad row never hides the others."""
    raw = dict(row)
    try:
        return _decode(row)
    except (ValueError, TypeError) as e:
        raw.update(params={}, files=None, status="unreadable",
                   error=f"the stored row cannot be read: {e}")  # fmt: skip
        return raw


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    row["params"] = json.loads(row["params"]) if row.get("params") else {}
    row["files"] = json.loads(row["files"]) if row.get("files") else None
    return row
