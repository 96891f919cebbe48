"""``/api/trace``: the chain-of-custody ledger (append, entries, a lot's provenance, verify).

Appends are writes: off loopback they need the token like every other write.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Path

from critmin.api.deps import ledger
from critmin.data.errors import DataError
from critmin.sourcing.ledger import Ledger, LedgerCorruptError

#: A stored ledger that cannot be read answers 409 naming the entry (verify reports instead).
CORRUPT: dict[int | str, dict[str, Any]] = {
    409: {"description": "the stored ledger is unreadable (see /api/trace/verify)"}
}
router = APIRouter(prefix="/trace", tags=["trace"])
Led = Annotated[Ledger, Depends(ledger)]


@router.get("", responses=CORRUPT)
def entries(led: Led) -> list[dict[str, Any]]:
    """Every ledger entry, in order (sequence, kind, lots, site, time, hash)."""
    return [e.row() for e in led.entries()]


@router.post(
    "",
    status_code=201,
    responses={**CORRUPT, 422: {"description": "an invalid record, the field named"}},
)
def append(
    led: Led,
    record: Annotated[dict[str, Any], Body(description="one ledger record (kind, lots, kg, ...)")],
) -> dict[str, Any]:
    """Append one record; refused with the field named (and nothing written) when invalid."""
    return led.append(record).row()


@router.get("/verify")
def verify(led: Led) -> dict[str, Any]:
    """Recompute the chain: ``intact`` or the problems with their sequence numbers."""
    problems = [{"seq": t.seq, "kind": t.kind, "detail": t.detail} for t in led.verify()]
    return {"intact": not problems, "entries": led.count(), "problems": problems}


@router.get("/lots/{lot_id}", responses={**CORRUPT, 404: {"description": "no such lot"}})
def lot(led: Led, lot_id: Annotated[str, Path(max_length=128)]) -> list[dict[str, Any]]:
    """A lot's provenance back to its mines, with the documents on the way."""
    try:
        rows = led.lot(lot_id)
    except LedgerCorruptError:
        raise
    except DataError:
        rows = []
    if not rows:
        raise HTTPException(404, f"lot_id: no lot {lot_id!r} in the ledger")
    return rows
