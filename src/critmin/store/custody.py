"""The chain-of-custody ledger on critmin's database, the one the store uses."""

from __future__ import annotations

from critmin.sourcing.ledger import Ledger
from critmin.store.settings import StoreSettings


def open_ledger(settings: StoreSettings | None = None) -> Ledger:
    """The ledger in critmin's database (the store's), owning its engine.

    ``settings`` defaults to the environment, so ``CRITMIN_DB_URL`` governs the ledger as it
    governs the store. :meth:`Ledger.close <critmin.sourcing.ledger.Ledger.close>` releases
    the engine.

    Examples
    --------
    >>> import tempfile
    >>> led = open_ledger(StoreSettings(data_dir=tempfile.mkdtemp(), db_url=None))
    >>> led.entries(), led.location.endswith("critmin.db")
    ([], True)
    >>> led.close()
    """
    settings = settings if settings is not None else StoreSettings()
    return Ledger(settings.engine(), owns_engine=True, key=settings.ledger_key_bytes(),
                  anchor=settings.anchor_path)  # fmt: skip
