"""Hostile workbooks for the fuzz corpus, built by editing the XML of a tiny valid one.

Built rather than stored so each stays readable here: a few bytes of XML that would make a
naive reader hang (a cell at ``XFD1048576``, a merged range over the sheet), expand (a zip
bomb), reach outside the file (an external entity) or fail obscurely (an encrypted file).
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

#: Name → a text the refusal must contain.
HOSTILE_WORKBOOKS = {
    "far-cell": "XFD1048576",
    "huge-merge": "merged",
    "xxe": "entity",
    "encrypted": "encrypted",
    "zip-bomb": "uncompressed",
    "not-a-zip": "not a workbook",
    "volume-1e400": "volume",
    "volume-negative": "volume",
}

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _base(path: Path, volume: object = None, country: str = "Bolivia") -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Smelter List"
    ws.append(["Metal", "Smelter Name", "Smelter Country", "Annual volume (t)"])
    ws.append(["Tin", "Smelter X", country, volume])
    wb.save(path)


def _rewrite(src: Path, dst: Path, sheet: Callable[[bytes], bytes], extra: bytes = b"") -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = sheet(data)
            zout.writestr(info, data)
        if extra:
            zout.writestr("xl/media/padding.xml", extra)


def write_workbook(name: str, folder: Path) -> Path:
    """Write hostile workbook ``name`` (a key of :data:`HOSTILE_WORKBOOKS`) as ``name.xlsx``."""
    base = folder / "base.xlsx"
    _base(base)
    out = folder / f"{name}.xlsx"
    if name == "far-cell":
        cell = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
        _rewrite(base, out, lambda b: b.replace(b"</sheetData>", cell + b"</sheetData>"))
    elif name == "huge-merge":
        merge = b'<mergeCells count="1"><mergeCell ref="A3:XFD1048576"/></mergeCells>'
        _rewrite(base, out, lambda b: b.replace(b"</sheetData>", b"</sheetData>" + merge))
    elif name == "xxe":
        dtd = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        _rewrite(base, out, lambda b: dtd + b.split(b"?>", 1)[-1])
    elif name == "encrypted":
        out.write_bytes(_OLE2 + bytes(4088))
    elif name == "zip-bomb":
        _rewrite(base, out, lambda b: b, extra=b" " * (150 * 2**20))
    elif name == "volume-1e400":
        _base(out, volume="1e400")
    elif name == "volume-negative":
        _base(out, volume=-50)
    elif name == "not-a-zip":
        out.write_bytes(b"PK\x03\x04 this is not really a zip")
    else:
        raise KeyError(name)
    return out
