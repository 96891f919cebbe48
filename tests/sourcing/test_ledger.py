"""The chain-of-custody ledger: mass balance at write time, provenance, tamper evidence."""

from __future__ import annotations

import itertools
import json
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from critmin.cli.main import app
from critmin.data.errors import DataError
from critmin.sourcing.ledger import GENESIS, Ledger, canonical_json, chain_hash, document_hash

runner = CliRunner()
ASSAY = document_hash(b"assay certificate 2026-01")
PERMIT = document_hash(b"mining permit PE-1234")


def mine(lot: str, kg: float, site: str, country: str, doc: str = PERMIT) -> dict[str, Any]:
    return {"kind": "create", "lot": lot, "material": "cobalt ore", "mass_kg": kg,
            "site": site, "country": country, "origin": "mine",
            "documents": [{"name": f"{lot}-permit.pdf", "sha256": doc}]}  # fmt: skip


WORKED: list[dict[str, Any]] = [
    mine("M1", 1000, "Mutanda", "COD"),
    mine("M2", 500.5, "Tenke", "COD", document_hash(b"another permit")),
    {"kind": "merge", "inputs": [{"lot": "M1", "kg": 1000}, {"lot": "M2", "kg": 500.5}],
     "outputs": [{"lot": "CONC1", "mass_kg": 1500.5, "material": "cobalt concentrate"}],
     "site": "Kolwezi concentrator", "country": "COD"},
    {"kind": "transfer", "lot": "CONC1", "to": "Refiner Co",
     "documents": [{"name": "bill-of-lading.pdf", "sha256": ASSAY}]},
    {"kind": "transform", "inputs": [{"lot": "CONC1", "kg": 1500.5}],
     "outputs": [{"lot": "REF1", "mass_kg": 1350, "material": "cobalt sulfate"}],
     "yield": 0.9, "site": "Refinery", "country": "FIN",
     "documents": [{"name": "assay.pdf", "sha256": ASSAY}]},
    {"kind": "split", "inputs": [{"lot": "REF1", "kg": 1350}],
     "outputs": [{"lot": "CM-A", "mass_kg": 800}, {"lot": "CM-B", "mass_kg": 550}],
     "site": "Refinery"},
    {"kind": "transform", "inputs": [{"lot": "CM-A", "kg": 400}],
     "outputs": [{"lot": "P1", "mass_kg": 380, "material": "battery cathode"}],
     "yield": 0.95, "site": "Cathode maker", "country": "KOR"},
]  # fmt: skip


@pytest.fixture
def led(tmp_path: Path) -> Ledger:
    return Ledger(tmp_path)


def test_worked_chain_mine_to_product(led: Ledger) -> None:
    entries = [led.append(r) for r in WORKED]
    assert [e.seq for e in entries] == list(range(1, 8))
    assert entries[0].prev == GENESIS
    for a, b in itertools.pairwise(entries):
        assert b.prev == a.hash
    # canonical form: decimal strings with six decimals, no floats
    assert entries[1].record["mass_kg"] == "500.500000"
    assert entries[4].record["yield"] == "0.900000"
    assert entries[5].record["yield"] == "1.000000"
    assert led.entries() == entries
    assert led.verify() == []
    # the hash is sha256(prev + canonical_json(stored record incl. seq, prev, created))
    e = entries[2]
    stored = {**e.record, "seq": e.seq, "prev": e.prev, "created": e.created}
    assert chain_hash(e.prev, stored) == e.hash


def test_provenance_traced_back_to_both_mines_with_documents(led: Ledger) -> None:
    led.append_many(WORKED)
    rows = led.lot("P1")
    assert [r["lot"] for r in rows] == ["P1", "CM-A", "REF1", "CONC1", "M1", "M2"]
    mines = {r["lot"]: r for r in rows if r["kind"] == "create"}
    assert set(mines) == {"M1", "M2"}
    assert {m["site"] for m in mines.values()} == {"Mutanda", "Tenke"}
    assert mines["M1"]["documents"] == [{"name": "M1-permit.pdf", "sha256": PERMIT}]
    conc = next(r for r in rows if r["lot"] == "CONC1")
    assert conc["holder"] == "Refiner Co"
    assert {"name": "bill-of-lading.pdf", "sha256": ASSAY} in conc["documents"]
    assert conc["inputs"] == [{"lot": "M1", "kg": "1000.000000"}, {"lot": "M2", "kg": "500.500000"}]
    cm = next(r for r in rows if r["lot"] == "CM-A")
    assert cm["material"] == "cobalt sulfate"  # inherited through the split
    assert cm["remaining_kg"] == "400.000000"
    with pytest.raises(DataError, match="lot"):
        led.lot("NOPE")


def test_documents_are_referenced_by_hash_only(led: Ledger) -> None:
    led.append_many(WORKED[:1])
    text = sqlite3.connect(led.path).execute("SELECT record FROM ledger").fetchone()[0]
    assert PERMIT in text and "mining permit" not in text
    bad = mine("M9", 1, "X", "COD", doc="not-a-hash")
    with pytest.raises(DataError, match=r"documents\[0\]\.sha256"):
        led.append(bad)


def _count(led: Ledger) -> int:
    return len(led.entries())


@pytest.mark.parametrize(
    ("record", "field"),
    [
        # outputs > inputs taken × yield
        ({"kind": "transform", "inputs": [{"lot": "M1", "kg": 100}],
          "outputs": [{"lot": "X", "mass_kg": 91, "material": "m"}], "yield": 0.9,
          "site": "S"}, "outputs"),
        ({"kind": "split", "inputs": [{"lot": "M1", "kg": 100}],
          "outputs": [{"lot": "X", "mass_kg": 60}, {"lot": "Y", "mass_kg": 40.000001}],
          "site": "S"}, "outputs"),
        # taking more than a lot holds
        ({"kind": "transform", "inputs": [{"lot": "M1", "kg": 1000.000001}],
          "outputs": [{"lot": "X", "mass_kg": 1, "material": "m"}], "yield": 0.5,
          "site": "S"}, "inputs[0].kg"),
        # unknown input lot
        ({"kind": "merge", "inputs": [{"lot": "M1", "kg": 1}, {"lot": "GHOST", "kg": 1}],
          "outputs": [{"lot": "X", "mass_kg": 1}], "site": "S"}, "inputs[1].lot"),
        ({"kind": "transfer", "lot": "GHOST", "to": "Y"}, "lot"),
        # duplicate lot ids, negative masses, bad yields and countries
        (mine("M1", 5, "S", "COD"), "lot"),
        ({"kind": "split", "inputs": [{"lot": "M1", "kg": 10}],
          "outputs": [{"lot": "M2", "mass_kg": 5}, {"lot": "X", "mass_kg": 5}],
          "site": "S"}, "outputs[0].lot"),
        (mine("M3", -5, "S", "COD"), "mass_kg"),
        ({"kind": "transform", "inputs": [{"lot": "M1", "kg": -1}],
          "outputs": [{"lot": "X", "mass_kg": 1, "material": "m"}], "yield": 1,
          "site": "S"}, "inputs[0].kg"),
        ({"kind": "transform", "inputs": [{"lot": "M1", "kg": 10}],
          "outputs": [{"lot": "X", "mass_kg": 1, "material": "m"}], "yield": 1.5,
          "site": "S"}, "yield"),
        (mine("M3", 5, "S", "Congo"), "country"),
        ({"kind": "melt", "lot": "M1"}, "kind"),
    ],
)  # fmt: skip
def test_invalid_records_are_refused_and_nothing_is_written(
    led: Ledger, record: dict[str, Any], field: str
) -> None:
    led.append_many(WORKED[:2])
    before = led.entries()
    with pytest.raises(DataError) as ei:
        led.append(record)
    assert field in [p.field for p in ei.value.problems], ei.value
    assert ei.value.problems[0].row == 3
    assert led.entries() == before
    assert led.verify() == []


def test_a_refused_batch_writes_nothing(led: Ledger) -> None:
    led.append(WORKED[0])
    with pytest.raises(DataError, match="inputs"):
        led.append_many([WORKED[1], {**WORKED[2], "inputs": [{"lot": "M1", "kg": 2000}]}])
    assert _count(led) == 1


def test_partial_consumption_is_tracked(led: Ledger) -> None:
    led.append(mine("M1", 100, "S", "COD"))
    take = {"kind": "transform", "inputs": [{"lot": "M1", "kg": 60}],
            "outputs": [{"lot": "A", "mass_kg": 30, "material": "c"}], "yield": 0.5,
            "site": "S"}  # fmt: skip
    led.append(take)
    with pytest.raises(DataError, match=r"40\.000000 kg"):
        led.append({**take, "outputs": [{"lot": "B", "mass_kg": 1, "material": "c"}]})
    led.append({**take, "inputs": [{"lot": "M1", "kg": 40}], "outputs": [{"lot": "B",
               "mass_kg": 20, "material": "c"}]})  # fmt: skip
    with pytest.raises(DataError, match="consumed"):
        led.append({"kind": "transfer", "lot": "M1", "to": "X"})


def test_canonical_json_refuses_floats() -> None:
    assert canonical_json({"b": 1, "a": "é"}) == '{"a":"é","b":1}'
    with pytest.raises(TypeError):
        canonical_json({"a": 0.1})


# ----------------------------------------------------------------------------------------------
# Property tests: random valid ledgers, then one tamper directly in the database.


@st.composite
def ledgers(draw: st.DrawFn) -> list[dict[str, Any]]:
    """3–15 valid records: mines, transforms, splits, merges and transfers."""
    n = draw(st.integers(3, 15))
    remaining: dict[str, int] = {}
    recs: list[dict[str, Any]] = []
    counter = 0

    def new_lot() -> str:
        nonlocal counter
        counter += 1
        return f"L{counter}"

    sites = st.sampled_from(["Mine A", "Mine B", "Conc", "Smelter", "Maker"])
    doc = st.binary(max_size=8).map(document_hash)
    while len(recs) < n:
        live = sorted(k for k, v in remaining.items() if v > 0)
        op = draw(st.sampled_from(["create", "transform", "split", "merge", "transfer"]))
        if op == "create" or not live:
            lot = new_lot()
            kg = draw(st.integers(1, 10_000))
            remaining[lot] = kg
            recs.append({"kind": "create", "lot": lot, "material": "ore", "mass_kg": kg,
                         "site": draw(sites), "origin": "mine",
                         "country": draw(st.sampled_from(["COD", "AUS"])),
                         "documents": [{"name": "d", "sha256": draw(doc)}]})  # fmt: skip
        elif op == "transfer":
            recs.append({"kind": "transfer", "lot": draw(st.sampled_from(live)),
                         "to": draw(sites)})  # fmt: skip
        elif op == "merge" and len(live) < 2:
            continue
        else:
            k = {"transform": 1, "split": 1, "merge": 2}[op]
            ins = draw(st.lists(st.sampled_from(live), min_size=k, max_size=k, unique=True))
            takes = [(i, draw(st.integers(1, remaining[i]))) for i in ins]
            total = sum(t for _, t in takes)
            y = draw(st.sampled_from([1, 0.9, 0.5])) if op == "transform" else 1
            cap = int(total * y)
            if cap < (2 if op == "split" else 1):
                continue
            parts = 2 if op == "split" else 1
            first = draw(st.integers(1, cap - (parts - 1)))
            masses = [first] if parts == 1 else [first, draw(st.integers(1, cap - first))]
            for i, t in takes:
                remaining[i] -= t
            outs = []
            for m in masses:
                lot = new_lot()
                remaining[lot] = m
                outs.append({"lot": lot, "mass_kg": m, "material": "metal"})
            rec: dict[str, Any] = {"kind": op, "inputs": [{"lot": i, "kg": t} for i, t in takes],
                                   "outputs": outs, "site": draw(sites)}  # fmt: skip
            if op == "transform":
                rec["yield"] = y
            recs.append(rec)
    return recs


def _edit(record: dict[str, Any], choice: int) -> dict[str, Any]:
    """Change a mass, a site, a document hash or a holder in a stored record."""
    rec = json.loads(json.dumps(record))
    if "mass_kg" in rec and choice % 3 == 0:
        rec["mass_kg"] = "1.000000" if rec["mass_kg"] != "1.000000" else "2.000000"
    elif "outputs" in rec and choice % 3 == 0:
        rec["outputs"][0]["mass_kg"] = "0.500000"
    elif rec.get("documents") and choice % 3 == 1:
        rec["documents"][0]["sha256"] = document_hash(rec["documents"][0]["sha256"].encode())
    elif "site" in rec:
        rec["site"] += " (edited)"
    else:
        rec["to"] += " (edited)"
    return rec


PROPS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(recs=ledgers(), data=st.data())
def test_any_single_tamper_is_located(recs: list[dict[str, Any]], data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as d:
        led = Ledger(d)
        try:
            led.append_many(recs)
            assert led.verify() == []
            n = len(recs)
            how = data.draw(st.sampled_from(["edit", "delete", "swap"]))
            db = sqlite3.connect(led.path)
            with db:
                if how == "edit":
                    k = data.draw(st.integers(1, n))
                    text = db.execute("SELECT record FROM ledger WHERE seq=?", (k,)).fetchone()[0]
                    new = _edit(json.loads(text), data.draw(st.integers(0, 2)))
                    db.execute("UPDATE ledger SET record=? WHERE seq=?", (json.dumps(new), k))
                elif how == "delete":
                    k = data.draw(st.integers(1, n))
                    db.execute("DELETE FROM ledger WHERE seq=?", (k,))
                else:
                    k = data.draw(st.integers(1, n - 1))
                    db.execute("UPDATE ledger SET seq=-1 WHERE seq=?", (k,))
                    db.execute("UPDATE ledger SET seq=? WHERE seq=?", (k, k + 1))
                    db.execute("UPDATE ledger SET seq=? WHERE seq=-1", (k + 1,))
            db.close()
            problems = led.verify()
            assert problems, (how, k)
            first = problems[0]
            expected = {"edit": "edited", "delete": "deleted", "swap": "reordered"}[how]
            assert (first.seq, first.kind) == (k, expected), (how, k, problems)
            assert all(p.seq >= k for p in problems)
        finally:
            led.close()


@PROPS
@given(recs=ledgers())
def test_untouched_ledgers_verify_clean(recs: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as d:
        led = Ledger(d)
        try:
            entries = led.append_many(recs)
            assert [e.seq for e in entries] == list(range(1, len(recs) + 1))
            assert led.verify() == []
            assert Ledger(d).entries() == entries
        finally:
            led.close()


def test_rehashed_edit_is_caught_at_the_next_record(led: Ledger) -> None:
    """Recomputing the edited record's own hash just moves the break to the next link."""
    led.append_many(WORKED)
    db = sqlite3.connect(led.path)
    rec = json.loads(db.execute("SELECT record FROM ledger WHERE seq=3").fetchone()[0])
    rec["site"] = "Elsewhere"
    with db:
        db.execute("UPDATE ledger SET record=?, hash=? WHERE seq=3",
                   (canonical_json(rec), chain_hash(rec["prev"], rec)))  # fmt: skip
    db.close()
    problems = led.verify()
    assert [(p.seq, p.kind) for p in problems] == [(4, "reordered")]
    assert "prev-hash" in problems[0].detail


# ----------------------------------------------------------------------------------------------
# CLI


def test_cli_add_show_verify(tmp_path: Path) -> None:
    data = tmp_path / "data"
    f = tmp_path / "chain.yaml"
    f.write_text(yaml.safe_dump(WORKED[:5]))
    res = runner.invoke(app, ["trace", "add", str(f), "--data-dir", str(data), "-f", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert [r["seq"] for r in rows] == [1, 2, 3, 4, 5] and len(rows[4]["hash"]) == 64
    one = tmp_path / "one.json"
    one.write_text(json.dumps(WORKED[5]))
    res = runner.invoke(app, ["trace", "add", str(one), "--data-dir", str(data)])
    assert res.exit_code == 0, res.output
    assert "split" in res.stdout

    res = runner.invoke(app, ["trace", "show", "--data-dir", str(data), "-f", "csv"])
    assert res.exit_code == 0 and res.stdout.splitlines()[0] == "seq,kind,lots,site,created,hash"
    assert len(res.stdout.splitlines()) == 7
    res = runner.invoke(app, ["trace", "show", "CM-B", "--data-dir", str(data), "-f", "json"])
    assert res.exit_code == 0, res.output
    lots = [r["lot"] for r in json.loads(res.stdout)]
    assert lots == ["CM-B", "REF1", "CONC1", "M1", "M2"]
    res = runner.invoke(app, ["trace", "show", "CM-B", "--data-dir", str(data)])
    assert res.exit_code == 0 and "Provenance of lot CM-B" in res.stdout
    res = runner.invoke(app, ["trace", "show", "M1", "--data-dir", str(data), "-f", "json"])
    assert json.loads(res.stdout)[0]["site"] == "Mutanda"

    res = runner.invoke(app, ["trace", "verify", "--data-dir", str(data)])
    assert res.exit_code == 0 and "intact" in res.stdout

    db = sqlite3.connect(data / "critmin.db")
    with db:
        db.execute("UPDATE ledger SET record=replace(record, 'Tenke', 'Elsewhere') WHERE seq=2")
    db.close()
    res = runner.invoke(app, ["trace", "verify", "--data-dir", str(data), "-f", "json"])
    assert res.exit_code == 1
    assert json.loads(res.stdout)[0] == {"seq": 2, "kind": "edited",
                                         "detail": "hash mismatch: content changed"}  # fmt: skip


def test_cli_refuses_bad_records_with_the_field(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(yaml.safe_dump([WORKED[0], {**WORKED[2], "inputs": [{"lot": "M1", "kg": 5}]}]))
    res = runner.invoke(app, ["trace", "add", str(f), "--data-dir", str(tmp_path)])
    assert res.exit_code == 1
    assert "inputs[1].lot" in res.output or "outputs" in res.output
    res = runner.invoke(app, ["trace", "show", "--data-dir", str(tmp_path), "-f", "json"])
    assert json.loads(res.stdout) == []
    res = runner.invoke(app, ["trace", "add", str(tmp_path / "missing.yaml"),
                              "--data-dir", str(tmp_path)])  # fmt: skip
    assert res.exit_code == 1
    res = runner.invoke(app, ["trace", "show", "NOPE", "--data-dir", str(tmp_path)])
    assert res.exit_code == 1


def test_cli_default_data_dir_is_the_serve_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRITMIN_DATA_DIR", str(tmp_path / "env"))
    f = tmp_path / "m.json"
    f.write_text(json.dumps(WORKED[0]))
    assert runner.invoke(app, ["trace", "add", str(f)]).exit_code == 0
    assert (tmp_path / "env" / "critmin.db").exists()
    assert "intact (1 entries)" in runner.invoke(app, ["trace", "verify"]).stdout
