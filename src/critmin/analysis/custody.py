"""The chain of custody: append lot records, show a lot's provenance, verify the ledger.

The ledger lives in the store's database (``critmin.db`` in the data folder, or
``CRITMIN_DB_URL``), the same one the service uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from critmin.data.errors import DataError, Problem, fail
from critmin.data.yamlfile import read_yaml
from critmin.sourcing.ledger import Ledger


@contextmanager
def open_ledger(data_dir: Path | None = None) -> Iterator[Ledger]:
    """The ledger of a data folder (default: ``$CRITMIN_DATA_DIR`` or ``~/.critmin``)."""
    from critmin.store.settings import StoreSettings

    settings = StoreSettings() if data_dir is None else StoreSettings(data_dir=data_dir)
    led = Ledger(
        settings.engine(),
        owns_engine=True,
        key=settings.ledger_key_bytes(),
        anchor=settings.anchor_path,
    )
    try:
        yield led
    finally:
        led.close()


def read_records(path: Path) -> list[dict[str, Any]]:
    """Lot records from a YAML or JSON file: one record (a mapping) or a list of them."""
    doc, _ = read_yaml(path)
    recs = doc if isinstance(doc, list) else [doc]
    if not recs or not all(isinstance(r, dict) for r in recs):
        raise fail(str(path), None, None, "a record (mapping) or a list of records", doc)
    return recs


def append_records(
    recs: list[dict[str, Any]], data_dir: Path | None = None
) -> tuple[str, list[Any]]:
    """Append records (all or nothing); where the ledger is and the new entries."""
    with open_ledger(data_dir) as led:
        return led.location, led.append_many(recs)


def ledger_entries(data_dir: Path | None = None) -> tuple[str, list[Any]]:
    """Where the ledger is and all its entries."""
    with open_ledger(data_dir) as led:
        return led.location, led.entries()


def lot_provenance(lot: str, data_dir: Path | None = None) -> list[dict[str, Any]]:
    """One lot's provenance back to the mines, with its documents."""
    with open_ledger(data_dir) as led:
        rows: list[dict[str, Any]] = led.lot(lot)
        return rows


def verify_ledger(data_dir: Path | None = None) -> tuple[int, list[Any]]:
    """The number of entries and the problems the hash chain reveals (empty: intact)."""
    with open_ledger(data_dir) as led:
        return led.count(), led.verify()


__all__ = [
    "DataError",
    "Problem",
    "append_records",
    "ledger_entries",
    "lot_provenance",
    "open_ledger",
    "read_records",
    "verify_ledger",
]
