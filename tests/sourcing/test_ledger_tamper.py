"""The keyed, anchored ledger: every tamper of issue 19 is detected and named, never a crash;
concurrent appenders in several processes all succeed on one valid chain.

Run on SQLite here, and on PostgreSQL too when ``CRITMIN_TEST_PG_URL`` is set (``make test``
under ``CI=true`` starts a throwaway server; elsewhere those cases skip, naming what is
missing).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from critmin.sourcing.ledger import GENESIS, Ledger, LedgerCorruptError, canonical_json, chain_hash
from tests.conftest import DEADLINE
from tests.pg import pg_engine

KEY = b"a-test-key-kept-outside-the-database"


def mine(lot: str, kg: float = 100) -> dict[str, Any]:
    return {"kind": "create", "lot": lot, "material": "cobalt ore", "mass_kg": kg,
            "site": "Mine A", "country": "COD", "origin": "mine"}  # fmt: skip


def split(src: str, a: str, b: str, kg: float = 100) -> dict[str, Any]:
    return {"kind": "split", "inputs": [{"lot": src, "kg": kg}],
            "outputs": [{"lot": a, "mass_kg": kg / 2}, {"lot": b, "mass_kg": kg / 2}],
            "site": "Hub"}  # fmt: skip


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    """A keyed, anchored ledger with four entries, on each database."""
    if request.param == "sqlite":
        eng = sa.create_engine(f"sqlite:///{tmp_path / 'critmin.db'}")
    else:
        eng = pg_engine()
    led = Ledger(eng, owns_engine=True, key=KEY, anchor=tmp_path / "anchor.json")
    led.append_many([mine("M1"), mine("M2"), split("M1", "A", "B"), mine("M3")])
    assert led.verify() == []
    yield led
    led.close()


def _sql(led: Ledger, *statements: str) -> None:
    with led.engine.begin() as conn:
        for s in statements:
            conn.exec_driver_sql(s)


def _kinds(led: Ledger) -> list[tuple[int, str]]:
    return [(t.seq, t.kind) for t in led.verify()]


def _stored(led: Ledger, seq: int) -> tuple[dict[str, Any], str]:
    with led.engine.connect() as conn:
        r = conn.execute(sa.text(f"SELECT record, hash FROM ledger WHERE seq = {seq}")).one()
    return json.loads(r.record), r.hash


def test_edit_of_the_record_is_named(ledger: Ledger) -> None:
    _sql(ledger, "UPDATE ledger SET record = replace(record, 'Mine A', 'Mine Z') WHERE seq = 2")
    assert _kinds(ledger) == [(2, "edited")]


def test_edit_of_the_created_column_is_named(ledger: Ledger) -> None:
    _sql(ledger, "UPDATE ledger SET created = '2001-01-01T00:00:00.000+00:00' WHERE seq = 3")
    problems = ledger.verify()
    assert [(t.seq, t.kind) for t in problems] == [(3, "edited")]
    assert "created" in problems[0].detail


def test_edit_of_the_hash_column_is_named(ledger: Ledger) -> None:
    _sql(ledger, f"UPDATE ledger SET hash = '{'f' * 64}' WHERE seq = 1")
    assert (1, "edited") in _kinds(ledger)


def test_rehash_without_the_key_is_named(ledger: Ledger) -> None:
    # The attacker edits the last record and recomputes its hash and the head: no key.
    rec, _ = _stored(ledger, 4)
    rec["mass_kg"] = "999.000000"
    h = chain_hash(rec["prev"], rec)
    _sql(ledger, f"UPDATE ledger SET record = '{canonical_json(rec)}', hash = '{h}' WHERE seq = 4",
         f"UPDATE ledger_head SET hash = '{h}'")  # fmt: skip
    assert (4, "edited") in _kinds(ledger)


def test_deleting_the_last_record_and_rewriting_the_head_is_named(ledger: Ledger) -> None:
    _, h3 = _stored(ledger, 3)
    _sql(ledger, "DELETE FROM ledger WHERE seq = 4",
         f"UPDATE ledger_head SET seq = 3, hash = '{h3}'")  # fmt: skip
    problems = ledger.verify()
    assert [(t.seq, t.kind) for t in problems] == [(4, "deleted")]
    assert "anchor" in problems[0].detail


def test_deleting_in_the_middle_is_named(ledger: Ledger) -> None:
    _sql(ledger, "DELETE FROM ledger WHERE seq = 2")
    assert (2, "deleted") in _kinds(ledger)


def test_reorder_is_named(ledger: Ledger) -> None:
    r1, h1 = _stored(ledger, 1)
    r2, h2 = _stored(ledger, 2)
    upd = "UPDATE ledger SET record = '{}', hash = '{}' WHERE seq = {}"
    _sql(ledger, upd.format(canonical_json(r2), h2, 1), upd.format(canonical_json(r1), h1, 2))
    kinds = _kinds(ledger)
    assert (1, "edited") in kinds or (1, "reordered") in kinds
    assert {k for _, k in kinds} <= {"edited", "reordered"}


@pytest.mark.parametrize("text", ["[]", '{"kind": "cre', "", "null", '{"prev": 1}'])
def test_truncated_or_replaced_record_is_named_not_a_crash(ledger: Ledger, text: str) -> None:
    _sql(ledger, f"UPDATE ledger SET record = '{text}' WHERE seq = 2")
    assert (2, "truncated") in _kinds(ledger)
    with pytest.raises(LedgerCorruptError, match="row 2"):
        ledger.entries()
    with pytest.raises(LedgerCorruptError):
        ledger.append(mine("M9"))


def test_altered_anchor_is_named(ledger: Ledger) -> None:
    assert ledger.anchor is not None
    data = json.loads(ledger.anchor.read_text())
    data["seq"] = 2
    ledger.anchor.write_text(json.dumps(data))
    assert [(t.kind, "altered" in t.detail) for t in ledger.verify()] == [("corrupt", True)]


def test_missing_anchor_is_named(ledger: Ledger) -> None:
    assert ledger.anchor is not None
    ledger.anchor.unlink()
    assert _kinds(ledger) == [(4, "unanchored")]


def test_a_chained_but_unbalanced_record_is_reported_and_later_appends_go_on(
    ledger: Ledger,
) -> None:
    # Written with the key (an insider, or an older critmin): chained correctly, but it takes
    # 500 kg from a 100 kg lot.
    _, prev = _stored(ledger, 4)
    bad = {"kind": "split", "inputs": [{"kg": "500.000000", "lot": "M2"}],
           "outputs": [{"lot": "X", "mass_kg": "250.000000"},
                       {"lot": "Y", "mass_kg": "250.000000"}],
           "site": "Hub", "yield": "1.000000", "documents": [],
           "seq": 5, "prev": prev, "created": "2026-01-01T00:00:00.000+00:00"}  # fmt: skip
    h = chain_hash(prev, bad, KEY)
    _sql(ledger, f"INSERT INTO ledger (seq, record, hash, created) VALUES (5, "
                 f"'{canonical_json(bad)}', '{h}', '{bad['created']}')",
         f"UPDATE ledger_head SET seq = 5, hash = '{h}'")  # fmt: skip
    problems = ledger.verify()
    assert [(t.seq, t.kind) for t in problems] == [(5, "unbalanced")]
    assert "inputs[0].kg" in problems[0].detail
    assert ledger.append(mine("M4")).seq == 6  # unrelated appends are not blocked
    with pytest.raises(Exception, match="skipped"):  # one on the bad record's lots says why
        ledger.append(split("X", "X1", "X2", 250))


def test_half_truncated_database_is_named_by_verify(tmp_path: Path) -> None:
    led = Ledger(tmp_path, key=KEY, anchor=tmp_path / "anchor.json")
    led.append_many([mine(f"M{i}") for i in range(300)])
    led.close()
    db = tmp_path / "critmin.db"
    db.write_bytes(db.read_bytes()[: db.stat().st_size // 2])
    try:
        led = Ledger(tmp_path, key=KEY, anchor=tmp_path / "anchor.json")
    except LedgerCorruptError:
        return  # named at open
    problems = led.verify()
    assert problems and problems[0].kind in ("corrupt", "deleted", "truncated")


def test_cli_verify_names_corruption_without_a_traceback(tmp_path: Path) -> None:
    from critmin.cli.main import app

    env = {"CRITMIN_LEDGER_KEY": "k", "COLUMNS": "200"}
    runner = CliRunner()
    lot = tmp_path / "lot.yaml"
    lot.write_text(json.dumps(mine("M1")))
    data = tmp_path / "d"
    assert runner.invoke(app, ["trace", "add", str(lot), "--data-dir", str(data)],
                         env=env).exit_code == 0  # fmt: skip
    db = sqlite3.connect(data / "critmin.db")
    with db:
        db.execute("UPDATE ledger SET record = '[]' WHERE seq = 1")
    db.close()
    res = runner.invoke(app, ["trace", "verify", "--data-dir", str(data)], env=env)
    assert res.exit_code == 1
    assert "truncated" in res.stdout
    res = runner.invoke(app, ["trace", "show", "--data-dir", str(data)], env=env)
    assert res.exit_code == 1 and "row 1" in res.stderr and "Traceback" not in res.stderr


_APPENDER = """
import sys
from critmin.store import StoreSettings, open_ledger
proc, n = sys.argv[1], int(sys.argv[2])
led = open_ledger(StoreSettings(data_dir=sys.argv[3], db_url=sys.argv[4] or None))
for i in range(n):
    led.append({"kind": "create", "lot": f"P{proc}-{i}", "material": "ore", "mass_kg": 1,
                "site": "S", "country": "AUS", "origin": "mine"})
led.close()
"""


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_four_processes_fifty_appends_each_one_valid_chain(tmp_path: Path, db: str) -> None:
    url = ""
    if db == "postgresql":
        url = pg_engine(reset=True).url.render_as_string(hide_password=False)
    env = {**os.environ, "CRITMIN_LEDGER_KEY": "shared-secret",
           "CRITMIN_LEDGER_ANCHOR": str(tmp_path / "anchor.json")}  # fmt: skip
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _APPENDER, str(p), "50", str(tmp_path), url],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for p in range(4)
    ]
    errors = [p.communicate(timeout=DEADLINE)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, errors
    from critmin.store import StoreSettings, open_ledger

    led = open_ledger(
        StoreSettings(
            data_dir=tmp_path,
            db_url=url or None,
            ledger_key="shared-secret",
            ledger_anchor=tmp_path / "anchor.json",
        )
    )
    entries = led.entries()
    assert [e.seq for e in entries] == list(range(1, 201))
    assert entries[0].prev == GENESIS
    assert led.verify() == []
    led.close()
