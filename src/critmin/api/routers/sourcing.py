"""``/api/sourcing``: suppliers' CMRT/EMRT workbooks → exposure and due diligence.

Uploads are parsed only by critmin's own template importer, from a temporary folder with
server-made file names (a client's file name is used in messages, never as a path), and
deleted afterwards. It is a POST, so off loopback it needs the token like every write.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, UploadFile

from critmin.analysis.frames import records
from critmin.data.errors import DataError, Problem

router = APIRouter(prefix="/sourcing", tags=["sourcing"])

#: At most this many workbooks per request (the body size limit applies as well).
MAX_FILES = 20


@router.post("/exposure")
def exposure(
    files: Annotated[list[UploadFile], File(description="CMRT 6.x / EMRT 2.x workbooks")],
    metal: Annotated[str | None, Form(max_length=32)] = None,
) -> dict[str, Any]:
    """Exposure per metal and red flags per supplier from the uploaded templates."""
    # A plain ``def``: FastAPI runs it in a worker thread, so parsing workbooks never blocks
    # the event loop.
    from critmin.analysis import sourcing as uc

    if not files or len(files) > MAX_FILES:
        raise DataError(
            [Problem("upload", None, "files", f"1 to {MAX_FILES} workbooks", str(len(files)))]
        )
    names = [Path(f.filename or f"file{i}").name for i, f in enumerate(files)]
    with tempfile.TemporaryDirectory(prefix="critmin-upload-") as tmp:
        paths = []
        for i, f in enumerate(files):
            p = Path(tmp) / f"upload-{i}.xlsx"
            p.write_bytes(f.file.read())
            paths.append(p)
        try:
            reports = uc.read_smelter_reports(paths)
        except DataError as e:
            # Name the client's file, not the temporary one.
            rename = {str(p): n for p, n in zip(paths, names, strict=True)}
            rename.update({p.name: n for p, n in zip(paths, names, strict=True)})
            detail = [
                {
                    "loc": ["body", "files"],
                    "type": "value_error",
                    "file": _label(q.file, rename),
                    "line": q.row,
                    "field": q.field,
                    "msg": f"{_label(q.file, rename)}: expected {q.expected}"
                    + (f"; got {q.got!r}" if q.got else ""),
                }
                for q in e.problems
            ]
            raise HTTPException(422, detail) from e
    smelters, warnings = reports.smelters, reports.warnings
    for p, n in zip(paths, names, strict=True):
        warnings = [w.replace(str(p), n).replace(p.name, n) for w in warnings]
    if "file" in smelters.columns:
        smelters = smelters.assign(file=[_label(str(v), {}) for v in smelters["file"]])
    return {
        "exposure": records(uc.sourcing_exposure(smelters, metal=metal)),
        "due_diligence": records(uc.due_diligence(smelters)),
        "smelters": len(smelters),
        "warnings": warnings,
    }


def _label(file: str, rename: dict[str, str]) -> str:
    for k, v in rename.items():
        if k in file:
            return file.replace(k, v)
    return Path(file).name
