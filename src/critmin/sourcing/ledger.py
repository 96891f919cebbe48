"""A tamper-evident chain of custody for mineral lots, mine to product.

Lots move mine → concentrator → smelter/refiner → component maker → product. Each move is a
record of one of five kinds:

``create``
    A new lot: ``lot``, ``material``, ``mass_kg`` (at most 1e12 kg), ``site``, ``country``
    (ISO3), ``origin`` (``mine``, ``recycling`` or ``stock``: material is never made from
    nothing, so a new lot says where it comes from), optional ``holder`` (default: the site)
    and ``documents``.
``transform``
    ``inputs`` (``[{lot, kg}]``: the kg taken from each lot, fully or partly) become new
    ``outputs`` (``[{lot, mass_kg, material?}]``) at ``site`` with a stated ``yield`` in [0, 1].
    Mass balance: ``sum(outputs) <= sum(kg taken) * yield + 1e-9``, and no input gives more
    than it has left.
``split`` / ``merge``
    Transforms with yield 1: a split takes exactly one input, a merge makes exactly one output.
``transfer``
    ``lot`` passes to holder ``to``.

Documents are referenced by the SHA-256 of their content (:func:`document_hash`); only the
name and the hash are stored.

Canonical form
--------------
A record is stored as canonical JSON: keys sorted, no whitespace (``separators=(",", ":")``),
UTF-8, and **no floats at all**: masses and yields are decimal strings with exactly six
decimals (``"1250.500000"``, i.e. rounded half-even to the milligram / 1e-6), so the text --
and hence the hash -- never depends on float formatting. Mass balance is checked in exact
decimal arithmetic on those values. The stored JSON carries ``seq``, ``prev`` (the previous
entry's hash) and ``created`` besides the record, and the entry's hash is
``HMAC-SHA256(key, prev + canonical_json(record))`` with a key kept outside the database
(plain SHA-256 when no key is given); the first entry chains from 64 zeros. After every
append the head (seq, hash, keyed) is written to an *anchor* file outside the database, so
that removing the last entries and rewriting the head inside the database is detected
(decision 0026).

Storage
-------
The table ``ledger(seq INTEGER PRIMARY KEY, record TEXT, hash TEXT, created)`` lives in the
database of the engine the ledger is given -- critmin's database, shared with
:class:`critmin.store.Store` (``critmin.store.open_ledger``; ``CRITMIN_DB_URL`` or the data
directory's ``critmin.db``) -- next to a one-row table ``ledger_head(id, seq, hash)`` that
remembers the last entry, so that deleting the *last* record is detected too. An append
validates first and writes nothing when the record is refused; the rows and the head are
written in one transaction that first takes the database's write lock (SQLite: a write as
its first statement, waiting out the busy timeout; PostgreSQL: a transaction advisory lock),
and one that still collides retries. This layer sits below the store, so it never builds the shared
engine itself; given a folder instead, it opens that folder's ``critmin.db`` on its own.

Examples
--------
>>> import tempfile
>>> led = Ledger(tempfile.mkdtemp())
>>> e = led.append({"kind": "create", "lot": "M1", "material": "cobalt", "mass_kg": 1000,
...                 "site": "Mine A", "country": "COD", "origin": "mine",
...                 "documents": [{"name": "permit.pdf", "sha256": document_hash(b"permit")}]})
>>> e.seq, e.record["mass_kg"], len(e.hash)
(1, '1000.000000', 64)
>>> _ = led.append({"kind": "transform", "inputs": [{"lot": "M1", "kg": 1000}],
...                 "outputs": [{"lot": "C1", "mass_kg": 300, "material": "cobalt hydroxide"}],
...                 "yield": 0.3, "site": "Conc X", "country": "COD"})
>>> [row["lot"] for row in led.lot("C1")]
['C1', 'M1']
>>> led.verify()
[]
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    TypeAdapter,
    ValidationError,
)
from sqlalchemy.engine import Engine

from critmin.data.errors import DataError, Problem

try:  # POSIX: the anchor file is updated under an advisory lock
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

GENESIS = "0" * 64
#: Masses and yields are kept to six decimals (1 mg for kg).
QUANTUM = Decimal("0.000001")
TOLERANCE = Decimal("1e-9")
#: The largest mass of one lot or input, kg (a billion tonnes: above any real lot, and small
#: enough for exact six-decimal arithmetic).
MAX_KG = Decimal("1e12")
#: Where new material may come from: a ``create`` must say which.
ORIGINS = ("mine", "recycling", "stock")
#: Attempts of an append that met a concurrent writer (the chain's end moved under it).
APPEND_ATTEMPTS = 50
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_WHERE = "ledger"

metadata = sa.MetaData()
ledger_table = sa.Table(
    "ledger",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("record", sa.Text, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("created", sa.String(40), nullable=False),
)
head_table = sa.Table(
    "ledger_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)


def document_hash(content: bytes) -> str:
    """The SHA-256 hex digest a document is referenced by.

    Examples
    --------
    >>> document_hash(b"")[:16]
    'e3b0c44298fc1c14'
    """
    return hashlib.sha256(content).hexdigest()


def canonical_json(obj: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 text; floats are refused (use decimal strings).

    Examples
    --------
    >>> canonical_json({"b": "1.000000", "a": [1, "x"]})
    '{"a":[1,"x"],"b":"1.000000"}'
    """
    _no_floats(obj)
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _no_floats(obj: Any) -> None:
    if isinstance(obj, float):
        raise TypeError("floats are not allowed in canonical records; use decimal strings")
    if isinstance(obj, dict):
        for v in obj.values():
            _no_floats(v)
    elif isinstance(obj, list):
        for v in obj:
            _no_floats(v)


def chain_hash(prev: str, record: Mapping[str, Any], key: bytes | None = None) -> str:
    """``HMAC-SHA256(key, prev + canonical_json(record))`` as hex; plain SHA-256 without a key.

    Without the key nobody can recompute a hash, so an edited record cannot be re-chained.

    Examples
    --------
    >>> len(chain_hash(GENESIS, {"kind": "transfer"}))
    64
    >>> chain_hash(GENESIS, {"kind": "transfer"}, b"k") != chain_hash(GENESIS, {"kind": "transfer"})
    True
    """
    text = (prev + canonical_json(dict(record))).encode()
    if key is None:
        return hashlib.sha256(text).hexdigest()
    return hmac.new(key, text, hashlib.sha256).hexdigest()


def _decimal(v: Any) -> Decimal:
    if isinstance(v, bool):
        raise ValueError("a number is required")
    if isinstance(v, float):
        v = repr(v)  # the shortest repr, not the binary expansion
    try:
        d = Decimal(str(v).strip()) if not isinstance(v, Decimal) else v
    except (InvalidOperation, ValueError) as e:
        raise ValueError(f"a decimal number is required, got {v!r}") from e
    if not d.is_finite():
        raise ValueError(f"a finite number is required, got {v!r}")
    if abs(d) > MAX_KG:
        raise ValueError(f"at most {MAX_KG:.0e} (a billion tonnes), got {v!r}")
    return d.quantize(QUANTUM, rounding=ROUND_HALF_EVEN)


def _positive(v: Any) -> Decimal:
    d = _decimal(v)
    if d <= 0:
        raise ValueError(f"a mass > 0 kg is required, got {d}")
    return d


def _fraction(v: Any) -> Decimal:
    d = _decimal(v)
    if not Decimal(0) <= d <= Decimal(1):
        raise ValueError(f"a yield between 0 and 1 is required, got {d}")
    return d


_Ser = PlainSerializer(lambda d: format(d, "f"), return_type=str)
Kg = Annotated[Decimal, BeforeValidator(_positive), _Ser]
Fraction = Annotated[Decimal, BeforeValidator(_fraction), _Ser]
Text = Annotated[str, Field(min_length=1, max_length=200)]
Iso3 = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True)


class Document(_Model):
    """A document referenced by name and the SHA-256 of its content."""

    name: Text
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class Take(_Model):
    """The kg taken from one input lot."""

    lot: Text
    kg: Kg


class Output(_Model):
    """A new lot made by a transform; ``material`` defaults to the inputs' common material."""

    lot: Text
    mass_kg: Kg
    material: Text | None = None


class Create(_Model):
    """A new lot at a mine."""

    kind: Literal["create"]
    lot: Text
    material: Text
    mass_kg: Kg
    site: Text
    country: Iso3
    #: Where the material comes from (required of new records; older ones may lack it).
    origin: Literal["mine", "recycling", "stock"] | None = None
    holder: Text | None = None
    documents: list[Document] = []


class _Transform(_Model):
    inputs: Annotated[list[Take], Field(min_length=1)]
    outputs: Annotated[list[Output], Field(min_length=1)]
    site: Text
    country: Iso3 | None = None
    holder: Text | None = None
    documents: list[Document] = []


class Transform(_Transform):
    """Inputs consumed into new outputs at a stated yield."""

    kind: Literal["transform"]
    yield_: Fraction = Field(alias="yield")


class Split(_Transform):
    """One input into several outputs, yield 1."""

    kind: Literal["split"]
    yield_: Fraction = Field(default=Decimal("1.000000"), alias="yield")


class Merge(_Transform):
    """Several inputs into one output, yield 1."""

    kind: Literal["merge"]
    yield_: Fraction = Field(default=Decimal("1.000000"), alias="yield")


class Transfer(_Model):
    """A lot passes to a new holder."""

    kind: Literal["transfer"]
    lot: Text
    to: Text
    documents: list[Document] = []


Record = Annotated[Create | Transform | Split | Merge | Transfer, Field(discriminator="kind")]
#: The record kinds, as a message names them.
KINDS = ("create", "transform", "split", "merge", "transfer")
_ADAPTER: TypeAdapter[Create | Transform | Split | Merge | Transfer] = TypeAdapter(Record)


@dataclass(frozen=True)
class Entry:
    """One stored record: its sequence number, hash, the previous hash and the record body."""

    seq: int
    hash: str
    prev: str
    created: str
    record: dict[str, Any]

    def row(self) -> dict[str, Any]:
        """A flat summary for tables: seq, kind, lots (inputs → outputs), site, created, hash."""
        r = self.record
        if r["kind"] == "create":
            lots = str(r["lot"])
        elif r["kind"] == "transfer":
            lots = f"{r['lot']} → {r['to']}"
        else:
            ins = "+".join(t["lot"] for t in r["inputs"])
            lots = f"{ins} → {'+'.join(o['lot'] for o in r['outputs'])}"
        return {"seq": self.seq, "kind": r["kind"], "lots": lots, "site": r.get("site", ""),
                "created": self.created, "hash": self.hash}  # fmt: skip


@dataclass(frozen=True)
class Tamper:
    """A problem :meth:`Ledger.verify` found: ``kind`` is edited, deleted or reordered."""

    seq: int
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"seq {self.seq}: {self.kind}: {self.detail}"


@dataclass
class _Lot:
    lot: str
    material: str
    mass: Decimal
    remaining: Decimal
    holder: str
    site: str
    country: str | None
    seq: int
    inputs: list[tuple[str, Decimal]] = field(default_factory=list)
    events: list[int] = field(default_factory=list)


def _fail(seq: int | None, fld: str | None, expected: str, got: object = "") -> DataError:
    return DataError([Problem(_WHERE, seq, fld, expected, str(got))])


def _parse(
    raw: Mapping[str, Any] | BaseModel, seq: int
) -> Create | Transform | Split | Merge | Transfer:
    if isinstance(raw, BaseModel):
        raw = raw.model_dump(by_alias=True, exclude_none=True)
    body = {k: v for k, v in dict(raw).items() if k not in ("seq", "prev", "created")}
    if "yield_" in body and "yield" not in body:
        body["yield"] = body.pop("yield_")
    try:
        return _ADAPTER.validate_python(body)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            if err["type"] in ("union_tag_not_found", "union_tag_invalid"):
                # pydantic says "Unable to extract tag using discriminator 'kind'": name the
                # allowed kinds instead.
                problems.append(Problem(_WHERE, seq, "kind", f"one of {', '.join(KINDS)}",
                                        str(body.get("kind", "(missing)"))))  # fmt: skip
                continue
            loc = list(err["loc"])
            if loc and loc[0] == body.get("kind"):
                loc = loc[1:]
            fld = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
            got = err.get("input", "")
            got = "" if isinstance(got, dict) else got
            problems.append(Problem(_WHERE, seq, fld or "kind", err["msg"], str(got)))
        raise DataError(problems) from None


class _State:
    """The lots as the ledger's records so far leave them."""

    def __init__(self) -> None:
        self.lots: dict[str, _Lot] = {}

    def _known(self, lot: str, seq: int, fld: str) -> _Lot:
        if lot not in self.lots:
            raise _fail(seq, fld, "a lot already in the ledger", lot)
        return self.lots[lot]

    def apply(self, rec: Create | Transform | Split | Merge | Transfer, seq: int) -> None:
        """Check ``rec`` against the state and apply it; raise DataError, changing nothing."""
        if isinstance(rec, Create):
            if rec.lot in self.lots:
                raise _fail(seq, "lot", "a new lot id", rec.lot)
            self.lots[rec.lot] = _Lot(
                rec.lot,
                rec.material,
                rec.mass_kg,
                rec.mass_kg,
                rec.holder or rec.site,
                rec.site,
                rec.country,
                seq,
            )
            return
        if isinstance(rec, Transfer):
            lt = self._known(rec.lot, seq, "lot")
            if lt.remaining <= 0:
                raise _fail(seq, "lot", "a lot with mass left", f"{rec.lot} (fully consumed)")
            lt.holder = rec.to
            lt.events.append(seq)
            return
        self._transform(rec, seq)

    def _transform(self, rec: Transform | Split | Merge, seq: int) -> None:
        if isinstance(rec, Split) and len(rec.inputs) != 1:
            raise _fail(seq, "inputs", "exactly one input for a split", len(rec.inputs))
        if isinstance(rec, Merge) and len(rec.outputs) != 1:
            raise _fail(seq, "outputs", "exactly one output for a merge", len(rec.outputs))
        if isinstance(rec, Split | Merge) and rec.yield_ != 1:
            raise _fail(seq, "yield", f"yield 1 for a {rec.kind}", rec.yield_)
        taken: dict[str, Decimal] = {}
        for i, t in enumerate(rec.inputs):
            lt = self._known(t.lot, seq, f"inputs[{i}].lot")
            if t.lot in taken:
                raise _fail(seq, f"inputs[{i}].lot", "each input lot once", t.lot)
            if t.kg > lt.remaining:
                raise _fail(
                    seq,
                    f"inputs[{i}].kg",
                    f"at most the {format(lt.remaining, 'f')} kg lot {t.lot} has left",
                    format(t.kg, "f"),
                )
            taken[t.lot] = t.kg
        materials = {self.lots[k].material for k in taken}
        seen: set[str] = set()
        for i, o in enumerate(rec.outputs):
            if o.lot in self.lots or o.lot in seen:
                raise _fail(seq, f"outputs[{i}].lot", "a new lot id", o.lot)
            seen.add(o.lot)
            if o.material is None and len(materials) != 1:
                raise _fail(
                    seq,
                    f"outputs[{i}].material",
                    "a material (the inputs differ)",
                    ", ".join(sorted(materials)),
                )
        total_in = sum(taken.values(), Decimal(0))
        total_out = sum((o.mass_kg for o in rec.outputs), Decimal(0))
        if total_out > total_in * rec.yield_ + TOLERANCE:
            raise _fail(
                seq,
                "outputs",
                f"outputs totalling at most {format(total_in, 'f')} kg taken × yield "
                f"{format(rec.yield_, 'f')} = {format(total_in * rec.yield_, 'f')} kg",
                f"{format(total_out, 'f')} kg",
            )
        for k, kg in taken.items():
            self.lots[k].remaining -= kg
            self.lots[k].events.append(seq)
        mat = next(iter(materials)) if len(materials) == 1 else ""
        for o in rec.outputs:
            self.lots[o.lot] = _Lot(
                o.lot,
                o.material or mat,
                o.mass_kg,
                o.mass_kg,
                rec.holder or rec.site,
                rec.site,
                rec.country,
                seq,
                inputs=list(taken.items()),
            )


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


class LedgerCorruptError(DataError):
    """The stored ledger cannot be read as records (truncated, replaced, a damaged file).

    Not the caller's input: the web service answers 409, the CLI names the entry and points
    to ``critmin trace verify``.
    """


def _corrupt(seq: int | None, detail: str) -> LedgerCorruptError:
    return LedgerCorruptError(
        [Problem(_WHERE, seq, "record", "a readable ledger (run 'critmin trace verify')", detail)]
    )


def _is_contention(exc: Exception) -> bool:
    """A concurrent writer got there first: the append may simply be tried again."""
    if isinstance(exc, sa.exc.IntegrityError):
        return True
    text = str(getattr(exc, "orig", exc)).lower()
    return isinstance(exc, sa.exc.OperationalError) and (
        "locked" in text or "busy" in text or "deadlock" in text or "serialize" in text
    )


class Ledger:
    """The append-only, keyed hash chain of custody, on a SQLAlchemy engine.

    Parameters
    ----------
    source
        The engine of critmin's database (``critmin.store.open_engine``, or a running
        store's ``engine``), or a data directory whose ``critmin.db`` SQLite file to open
        (created if missing; ``CRITMIN_DB_URL`` is not consulted: that is the store's job).
    owns_engine
        Whether :meth:`close` disposes of the engine. An engine built here from a folder is
        always owned; one passed in is by default left to its creator.
    key
        The secret that keys the chain (HMAC-SHA256). Kept outside the database (settings:
        ``CRITMIN_LEDGER_KEY`` or a key file), so whoever can write the database cannot
        recompute a hash after an edit. None: plain SHA-256 (tamper-evident only against
        accidents; for tests and examples).
    anchor
        A file outside the database where every append records the chain's head (seq and
        hash, keyed). :meth:`verify` compares the database with it, so deleting the last
        entries and rewriting the head inside the database is detected. None: no anchor.

    Examples
    --------
    >>> import tempfile
    >>> led = Ledger(tempfile.mkdtemp())
    >>> led.append({"kind": "create", "lot": "M1", "material": "tin", "mass_kg": "10",
    ...             "site": "Mine", "country": "BOL", "origin": "mine"}).seq
    1
    >>> led.append({"kind": "split", "inputs": [{"lot": "M1", "kg": 10}],
    ...             "outputs": [{"lot": "A", "mass_kg": 6}, {"lot": "B", "mass_kg": 5}],
    ...             "site": "Mine"})
    Traceback (most recent call last):
    ...
    critmin.data.errors.DataError: ledger, row 2, field 'outputs': expected outputs totalling ...
    >>> len(led.entries()), led.verify()
    (1, [])
    >>> Ledger(sa.create_engine("sqlite://")).entries()
    []
    """

    def __init__(
        self,
        source: Engine | str | Path,
        *,
        owns_engine: bool = False,
        key: bytes | None = None,
        anchor: str | Path | None = None,
    ) -> None:
        if isinstance(source, Engine):
            self.engine = source
            self._owns_engine = owns_engine
        else:
            data_dir = Path(source).expanduser().resolve()
            data_dir.mkdir(parents=True, exist_ok=True)
            self.engine = sa.create_engine(
                f"sqlite:///{data_dir / 'critmin.db'}", connect_args={"timeout": 30}
            )
            self._owns_engine = True
        self.key = key
        self.anchor = Path(anchor) if anchor is not None else None
        for attempt in range(5):
            try:
                metadata.create_all(self.engine)
                break
            except sa.exc.DatabaseError as e:
                # Another process created the tables between our look and our CREATE: look
                # again. Anything else is a database that cannot be used.
                if "already exists" in str(e.orig) and attempt < 4:
                    continue
                self.close()
                raise _corrupt(None, f"the database cannot be opened: {e.orig}") from None
        # One append at a time in this process; across processes the database serialises
        # them (see _serialise).
        self._lock = threading.Lock()

    @property
    def path(self) -> Path | None:
        """The SQLite file holding the ledger; None for another database."""
        url = self.engine.url
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return None
        return Path(url.database)

    @property
    def location(self) -> str:
        """Where the ledger is, for messages: the SQLite file, or the URL without password."""
        path = self.path
        return str(path) if path is not None else self.engine.url.render_as_string()

    def close(self) -> None:
        """Release the database connections (of an engine the ledger owns)."""
        if self._owns_engine:
            self.engine.dispose()

    def entries(self) -> list[Entry]:
        """Every entry, in sequence order (as stored: call :meth:`verify` to check them).

        Raises :class:`LedgerCorruptError` naming the entry when a stored record is unreadable.
        """
        try:
            with self.engine.connect() as conn:
                return self._read(conn)
        except sa.exc.DatabaseError as e:
            raise _corrupt(None, f"the database cannot be read: {e.orig}") from None

    def count(self) -> int:
        """How many entries are stored (0 when the database cannot be read)."""
        try:
            with self.engine.connect() as conn:
                n = conn.execute(sa.select(sa.func.count()).select_from(ledger_table)).scalar()
        except sa.exc.DatabaseError:
            return 0
        return int(n or 0)

    @staticmethod
    def _read(conn: sa.Connection) -> list[Entry]:
        rows = conn.execute(sa.select(ledger_table).order_by(ledger_table.c.seq)).all()
        out = []
        for r in rows:
            rec = _record(r.record)
            if rec is None:
                raise _corrupt(r.seq, "the stored record is not a complete JSON object")
            prev = rec.pop("prev", "")
            rec.pop("seq", None)
            rec.pop("created", None)
            out.append(Entry(r.seq, r.hash, prev, r.created, rec))
        return out

    @staticmethod
    def _replay(entries: Iterable[Entry]) -> tuple[_State, dict[int, str]]:
        """The lots the stored entries leave, and the entries refused on the way (seq → why).

        A stored entry that breaks the rules (written by hand, or by an older critmin) is
        skipped and reported, so it neither crashes a read nor blocks unrelated appends.
        """
        st, refused = _State(), {}
        for e in entries:
            try:
                st.apply(_parse(e.record, e.seq), e.seq)
            except DataError as err:
                refused[e.seq] = "; ".join(f"{p.field}: expected {p.expected}"
                                           + (f", got {p.got}" if p.got else "")
                                           for p in err.problems)  # fmt: skip
        return st, refused

    def _state(self, entries: Iterable[Entry]) -> _State:
        return self._replay(entries)[0]

    def append(self, record: Mapping[str, Any] | BaseModel) -> Entry:
        """Validate ``record`` against the ledger and append it; raise DataError otherwise."""
        return self.append_many([record])[0]

    def append_many(self, records: Iterable[Mapping[str, Any] | BaseModel]) -> list[Entry]:
        """Append several records in one transaction: all are written, or none.

        Concurrent appenders (threads, processes, servers on one PostgreSQL) are serialised
        by the database; one that still meets a moved end of chain retries, with backoff.
        """
        recs = list(records)
        for i, raw in enumerate(recs):
            body = raw.model_dump(by_alias=True) if isinstance(raw, BaseModel) else dict(raw)
            if body.get("kind") == "create" and body.get("origin") is None:
                raise _fail(i + 1 if len(recs) > 1 else None, "origin",
                            "where the new lot's material comes from: "
                            + ", ".join(ORIGINS), "nothing")  # fmt: skip
        delay = 0.005
        for attempt in range(APPEND_ATTEMPTS):
            try:
                with self._lock:
                    new = self._append(recs)
                break
            except sa.exc.DBAPIError as e:
                if not _is_contention(e) or attempt == APPEND_ATTEMPTS - 1:
                    if isinstance(e, sa.exc.DatabaseError) and not _is_contention(e):
                        raise _corrupt(None, f"the database cannot be written: {e.orig}") from None
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
        if new:
            self._write_anchor(new[-1].seq, new[-1].hash)
        return new

    def _serialise(self, conn: sa.Connection) -> None:
        """Take the database's write lock before reading the chain's end."""
        if self.engine.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(7261706)"))
        else:
            # SQLite: a write as the transaction's first statement takes the write lock now
            # (waiting out the busy timeout), so no one appends between our read and insert.
            conn.execute(head_table.update().where(head_table.c.id == -1).values(seq=0))

    def _append(self, recs: list[Mapping[str, Any] | BaseModel]) -> list[Entry]:
        with self.engine.begin() as conn:
            self._serialise(conn)
            existing = self._read(conn)
            state, refused = self._replay(existing)
            seq = existing[-1].seq if existing else 0
            prev = existing[-1].hash if existing else GENESIS
            new: list[Entry] = []
            for raw in recs:
                seq += 1
                rec = _parse(raw, seq)
                try:
                    state.apply(rec, seq)
                except DataError as e:
                    if refused:
                        note = ", ".join(str(k) for k in sorted(refused))
                        raise DataError([Problem(p.file, p.row, p.field, p.expected
                                                 + f" (stored entries {note} break the ledger's "
                                                 "rules and were skipped: see 'critmin trace "
                                                 "verify')", p.got)
                                         for p in e.problems]) from None  # fmt: skip
                    raise
                body = rec.model_dump(mode="json", by_alias=True, exclude_none=True)
                created = _now()
                stored = {**body, "seq": seq, "prev": prev, "created": created}
                h = chain_hash(prev, stored, self.key)
                new.append(Entry(seq, h, prev, created, body))
                conn.execute(
                    ledger_table.insert().values(
                        seq=seq, record=canonical_json(stored), hash=h, created=created
                    )
                )
                prev = h
            if new:
                conn.execute(head_table.delete())
                conn.execute(head_table.insert().values(id=1, seq=seq, hash=prev))
        return new

    # --- the anchor: the chain's head, kept outside the database ---------------------------
    def _anchor_mac(self, seq: int, h: str) -> str:
        return chain_hash(GENESIS, {"anchor": str(seq), "hash": h}, self.key)

    def _write_anchor(self, seq: int, h: str) -> None:
        """Record (seq, hash) in the anchor file unless it already holds a later head."""
        if self.anchor is None:
            return
        self.anchor.parent.mkdir(parents=True, exist_ok=True)
        with open(self.anchor.with_name(self.anchor.name + ".lock"), "a") as lock:
            if fcntl is not None:
                fcntl.flock(lock, fcntl.LOCK_EX)
            current = self._read_anchor()
            if isinstance(current, dict) and int(current.get("seq", 0)) >= seq:
                return  # a concurrent append anchored a later head already
            tmp = self.anchor.with_name(f".{self.anchor.name}.{os.getpid()}.tmp")
            data = {"seq": seq, "hash": h, "mac": self._anchor_mac(seq, h),
                    "ledger": self.location}  # fmt: skip
            tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
            os.replace(tmp, self.anchor)

    def _read_anchor(self) -> dict[str, Any] | str | None:
        """The anchor's content; None when there is none; a string saying why it is bad."""
        if self.anchor is None or not self.anchor.exists():
            return None
        try:
            data = json.loads(self.anchor.read_text("utf-8"))
            seq, h = int(data["seq"]), str(data["hash"])
        except (OSError, ValueError, KeyError, TypeError):
            return f"the anchor {self.anchor} is unreadable"
        if not hmac.compare_digest(str(data.get("mac", "")), self._anchor_mac(seq, h)):
            return f"the anchor {self.anchor} was altered (its mac does not match)"
        return {"seq": seq, "hash": h}

    def lot(self, lot_id: str) -> list[dict[str, Any]]:
        """A lot's history: the lot, then its inputs upstream back to the mines.

        One row per lot (breadth first, ``depth`` 0 for ``lot_id``) with the record that made
        it, its site, country, holder, the kg taken from each input, the documents of that
        record and the seqs of later events (transfers, consumption) on it.
        """
        entries = self.entries()
        by_seq = {e.seq: e for e in entries}
        state = self._state(entries)
        if lot_id not in state.lots:
            raise _fail(None, "lot", "a lot in the ledger", lot_id)
        rows: list[dict[str, Any]] = []
        queue, seen = [(lot_id, 0)], {lot_id}
        while queue:
            name, depth = queue.pop(0)
            lt = state.lots[name]
            e = by_seq[lt.seq]
            docs = list(e.record.get("documents", []))
            for s in lt.events:
                if by_seq[s].record["kind"] == "transfer":
                    docs += by_seq[s].record.get("documents", [])
            rows.append(
                {
                    "lot": name,
                    "depth": depth,
                    "seq": lt.seq,
                    "kind": e.record["kind"],
                    "material": lt.material,
                    "mass_kg": format(lt.mass, "f"),
                    "remaining_kg": format(lt.remaining, "f"),
                    "site": lt.site,
                    "country": lt.country,
                    "holder": lt.holder,
                    "inputs": [{"lot": k, "kg": format(v, "f")} for k, v in lt.inputs],
                    "documents": docs,
                    "events": list(lt.events),
                    "hash": e.hash,
                }
            )
            for k, _ in lt.inputs:
                if k not in seen:
                    seen.add(k)
                    queue.append((k, depth + 1))
        return rows

    def verify(self) -> list[Tamper]:
        """Recompute the chain; ``[]`` when untouched, else every problem, named. Never raises.

        Kinds: ``corrupt`` (the database or the anchor cannot be read), ``truncated`` (a
        stored record is not a complete JSON object), ``edited`` (an entry's hash does not
        match its content, its ``created`` column differs from the chained one, or the entry
        at the anchored head is not the anchored one), ``deleted`` (seqs missing: a gap, or the
        end of the ledger short of the head or the anchor), ``reordered`` (an entry stored at N
        says it is another seq, or does not chain from entry N-1), ``unanchored`` (entries but
        no anchor file) and ``unbalanced`` (a correctly chained entry that breaks the ledger's
        rules, e.g. mass balance; later appends skip it).
        """
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(sa.select(ledger_table).order_by(ledger_table.c.seq)).all()
                head = conn.execute(sa.select(head_table)).first()
        except sa.exc.DatabaseError as e:
            return [Tamper(0, "corrupt", f"the database cannot be read: {e.orig}")]
        problems: list[Tamper] = []
        want_seq, want_prev = 1, GENESIS
        readable: list[Entry] = []
        for r in rows:
            if r.seq != want_seq:
                what = (
                    f"seq {want_seq}" if r.seq == want_seq + 1 else f"seqs {want_seq}–{r.seq - 1}"
                )
                if r.seq > want_seq:
                    problems.append(Tamper(want_seq, "deleted", f"{what} missing"))
                want_prev = "?"  # the gap explains the prev mismatch
            rec = _record(r.record)
            if rec is None or not _HEX64.match(str(rec.get("prev", ""))):
                problems.append(
                    Tamper(r.seq, "truncated", "the stored record is not a complete record")
                )
                want_seq, want_prev = r.seq + 1, r.hash
                continue
            try:
                own = chain_hash(rec["prev"], rec, self.key)
            except TypeError:
                own = ""
            if own != r.hash:
                problems.append(
                    Tamper(
                        r.seq,
                        "edited",
                        "hash mismatch: content changed",
                    )
                )
            elif rec.get("created") != r.created:
                problems.append(
                    Tamper(r.seq, "edited", "the created column differs from the chained record")
                )
            elif rec.get("seq") != r.seq:
                problems.append(
                    Tamper(
                        r.seq, "reordered", f"entry stored at seq {r.seq} is seq {rec.get('seq')}"
                    )
                )
            elif want_prev != "?" and rec["prev"] != want_prev:
                problems.append(
                    Tamper(
                        r.seq,
                        "reordered",
                        f"prev-hash mismatch: does not chain from seq {r.seq - 1}",
                    )
                )
            else:
                body = {k: v for k, v in rec.items() if k not in ("seq", "prev", "created")}
                readable.append(Entry(r.seq, r.hash, rec["prev"], r.created, body))
            want_seq, want_prev = r.seq + 1, r.hash
        last = rows[-1].seq if rows else 0
        by_seq = {r.seq: r for r in rows}
        if head is None:
            if rows:
                problems.append(Tamper(last, "edited", "ledger head missing"))
        elif head.seq > last:
            what = f"seq {last + 1}" if head.seq == last + 1 else f"seqs {last + 1}–{head.seq}"
            problems.append(Tamper(last + 1, "deleted", f"{what} missing (head is seq {head.seq})"))
        elif head.seq < last or head.hash != rows[-1].hash:
            problems.append(Tamper(head.seq, "edited", "ledger head does not match the last entry"))
        anchor = self._read_anchor()
        if isinstance(anchor, str):
            problems.append(Tamper(last, "corrupt", anchor))
        elif anchor is not None:
            a_seq, a_hash = anchor["seq"], anchor["hash"]
            if a_seq > last:
                what = f"seq {last + 1}" if a_seq == last + 1 else f"seqs {last + 1}–{a_seq}"
                problems.append(Tamper(last + 1, "deleted",
                                       f"{what} missing (the anchor {self.anchor} is at seq "
                                       f"{a_seq})"))  # fmt: skip
            elif a_seq in by_seq and by_seq[a_seq].hash != a_hash:
                problems.append(
                    Tamper(
                        a_seq, "edited", f"entry {a_seq} is not the one anchored in {self.anchor}"
                    )
                )
            elif a_seq not in by_seq and a_seq > 0:
                problems.append(Tamper(a_seq, "deleted", f"seq {a_seq} (anchored) missing"))
        elif self.anchor is not None and rows:
            problems.append(Tamper(last, "unanchored",
                                   f"no anchor file at {self.anchor}: deletions at the end "
                                   "cannot be ruled out"))  # fmt: skip
        _, refused = self._replay(readable)
        problems += [Tamper(k, "unbalanced", v) for k, v in refused.items()]
        return sorted(problems, key=lambda p: p.seq)


def _record(text: Any) -> dict[str, Any] | None:
    """A stored record's JSON object, or None when it is not one (truncated, replaced)."""
    try:
        rec = json.loads(text)
    except (ValueError, TypeError):
        return None
    return rec if isinstance(rec, dict) and isinstance(rec.get("kind"), str) else None
