"""Limits checked on an Excel workbook *before* a spreadsheet library opens it.

A workbook from a user (a supplier's CMRT, an upload) is a zip of XML files, and a few bytes
of it can make a reader do unbounded work: one cell at ``XFD1048576`` makes every row walk
16,384 columns a million times, one merged range over the whole sheet makes openpyxl create
a cell object per covered cell, a zip bomb expands to gigabytes, and an XML entity
declaration can expand or reach outside the file. :func:`check_workbook` reads only the zip
directory and streams the sheet XML (never expanding it whole into memory) and refuses, with
a one-line :class:`~critmin.data.errors.DataError` naming the file and what was found:

* a file that is not a zip: an encrypted (password-protected) workbook or a legacy ``.xls``
  is an OLE2 compound file, named as such;
* more than :data:`MAX_MEMBERS` zip members, more than :data:`MAX_UNCOMPRESSED` bytes once
  uncompressed, or a member compressing better than :data:`MAX_RATIO` to one;
* a ``<!DOCTYPE``/``<!ENTITY`` in any XML part (no legitimate workbook has one);
* a worksheet with a cell beyond :data:`MAX_ROWS` rows or :data:`MAX_COLS` columns, more
  than :data:`MAX_CELLS` cells in all, or merged ranges covering more than
  :data:`MAX_MERGED_CELLS` cells.

Examples
--------
>>> import tempfile, openpyxl
>>> p = tempfile.mkdtemp() + "/w.xlsx"
>>> wb = openpyxl.Workbook(); wb.active["B2"] = "x"; wb.save(p)
>>> check_workbook(p)
>>> wb.active["XFD1048576"] = "far"; wb.save(p)
>>> check_workbook(p)
Traceback (most recent call last):
...
critmin.data.errors.DataError: ...: expected cells within 100000 rows and 1024 columns; got ...
"""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path

from critmin.data.errors import DataError, Problem

#: At most this many files inside the workbook's zip.
MAX_MEMBERS = 2_000
#: At most this many bytes once every member is uncompressed.
MAX_UNCOMPRESSED = 100 * 1024 * 1024
#: A member above 1 MB uncompressed may compress at most this well (XML is typically 5-20).
MAX_RATIO = 200
#: A worksheet cell lies within these bounds (the CMRT uses about 30 columns, 2,500 rows).
MAX_ROWS = 100_000
MAX_COLS = 1_024
#: At most this many cells in all the worksheets together.
MAX_CELLS = 1_000_000
#: Merged ranges of one worksheet cover at most this many cells.
MAX_MERGED_CELLS = 100_000

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CHUNK = 1 << 20
_CELL = re.compile(rb"<(?:\w+:)?c\b[^>]*?\sr=\"([A-Z]{1,3})(\d{1,7})\"")
_MERGE = re.compile(
    rb"<(?:\w+:)?mergeCell\b[^>]*?\sref=\"([A-Z]{1,3})(\d{1,7}):([A-Z]{1,3})(\d{1,7})\""
)
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


def column_number(letters: str | bytes) -> int:
    """``A`` → 1, ``XFD`` → 16384.

    Examples
    --------
    >>> column_number("A"), column_number("AB"), column_number(b"XFD")
    (1, 28, 16384)
    """
    text = letters.decode() if isinstance(letters, bytes) else letters
    n = 0
    for ch in text:
        n = n * 26 + ord(ch) - 64
    return n


def _refuse(path: Path, expected: str, got: str) -> DataError:
    return DataError([Problem(str(path), None, None, expected, got)])


def check_workbook(path: str | Path) -> None:
    """Raise :class:`~critmin.data.errors.DataError` when ``path`` breaks a limit (see above).

    Reads the zip directory, then streams each XML part in 1 MB chunks, so time and memory
    stay bounded whatever the file holds. Returns None when the workbook may be opened.
    """
    path = Path(path)
    try:
        with path.open("rb") as fh:
            magic = fh.read(8)
    except IsADirectoryError:
        raise _refuse(path, "a workbook file", "a directory") from None
    except FileNotFoundError:
        raise _refuse(path, "an existing file", "no such file") from None
    if magic == _OLE2:
        raise _refuse(path, "an unencrypted .xlsx workbook",
                      "an encrypted (password-protected) workbook or a legacy .xls file; "
                      "save it unprotected as .xlsx")  # fmt: skip
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise _refuse(path, "an Excel workbook (.xlsx/.xlsm)", "not a workbook") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise _refuse(path, f"at most {MAX_MEMBERS} parts in the workbook", str(len(infos)))
        total = sum(i.file_size for i in infos)
        if total > MAX_UNCOMPRESSED:
            raise _refuse(path, f"at most {MAX_UNCOMPRESSED // 2**20} MB uncompressed",
                          f"{total / 2**20:.0f} MB")  # fmt: skip
        for i in infos:
            if i.file_size > _CHUNK and i.file_size > MAX_RATIO * max(i.compress_size, 1):
                raise _refuse(path, f"parts compressed at most {MAX_RATIO}:1",
                              f"{i.filename} at {i.file_size // max(i.compress_size, 1)}:1 "
                              "(a zip bomb?)")  # fmt: skip
        cells = 0
        for i in infos:
            name = i.filename
            if not name.endswith((".xml", ".rels", ".vml")):
                continue
            sheet = name.startswith("xl/worksheets/")
            cells += _scan(path, zf, i, sheet=sheet)
            if cells > MAX_CELLS:
                raise _refuse(
                    path, f"at most {MAX_CELLS} cells in the workbook", f"more, by {name}"
                )


def _scan(path: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo, *, sheet: bool) -> int:
    """Stream one XML part: refuse a DTD, and in a worksheet count and bound cells/merges."""
    cells, merged, carry = 0, 0, b""
    try:
        with zf.open(info) as fh:
            read = 0
            while True:
                chunk = fh.read(_CHUNK)
                read += len(chunk)
                if read > info.file_size + _CHUNK:  # a lying directory entry
                    raise _refuse(path, "parts no larger than the zip directory says",
                                  info.filename)  # fmt: skip
                if not chunk:
                    break
                buf = carry + chunk
                if _DTD.search(buf):
                    raise _refuse(path, "a workbook without DTD or entity declarations",
                                  f"one in {info.filename}")  # fmt: skip
                if sheet:
                    # Tags end before the last '<'; the rest is carried into the next chunk.
                    cut = buf.rfind(b"<")
                    body, carry = (buf[:cut], buf[cut:]) if cut > 0 else (buf, b"")
                    for m in _CELL.finditer(body):
                        cells += 1
                        row, col = int(m.group(2)), column_number(m.group(1))
                        if row > MAX_ROWS or col > MAX_COLS:
                            raise _refuse(path, f"cells within {MAX_ROWS} rows and {MAX_COLS} "
                                          "columns", f"cell {m.group(1).decode()}{row} in "
                                          f"{info.filename}")  # fmt: skip
                    for m in _MERGE.finditer(body):
                        r0, r1 = sorted((int(m.group(2)), int(m.group(4))))
                        c0, c1 = sorted((column_number(m.group(1)), column_number(m.group(3))))
                        merged += (r1 - r0 + 1) * (c1 - c0 + 1)
                        if merged > MAX_MERGED_CELLS:
                            ref = b"%s%s:%s%s" % m.groups()
                            raise _refuse(path, f"merged ranges covering at most "
                                          f"{MAX_MERGED_CELLS} cells per sheet",
                                          f"{ref.decode()} in {info.filename}")  # fmt: skip
                else:
                    carry = buf[-16:]
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as e:
        # RuntimeError: a member encrypted with a zip password.
        raise _refuse(
            path,
            "an Excel workbook (.xlsx/.xlsm)",
            f"an unreadable part {info.filename} ({type(e).__name__})",
        ) from None
    except zlib.error:
        raise _refuse(
            path, "an Excel workbook (.xlsx/.xlsm)", f"a corrupt part {info.filename}"
        ) from None
    return cells


_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def uncached_formulas(path: str | Path, sheet: str) -> dict[int, dict[int, str]]:
    """Cells of worksheet ``sheet`` holding a formula but no cached value: {row: {col: formula}}.

    A reader of values (openpyxl's ``data_only``) sees such a cell as empty, which it cannot
    tell from a formula whose cached result is an empty string. The XML can: a formula with
    no result has an ``<f>`` and no ``<v>``. A workbook written by a program that does not
    calculate (a script, some converters) has only such cells; an empty ``<v/>`` counts as no
    value unless the cell is typed as a string (``t="str"``, Excel's cached empty result).
    Call :func:`check_workbook` first: this parses the sheet (streaming) and trusts it to be
    bounded and DTD-free.

    Examples
    --------
    >>> import tempfile, openpyxl
    >>> p = tempfile.mkdtemp() + "/w.xlsx"
    >>> wb = openpyxl.Workbook(); wb.active.title = "S"; wb.active["C4"] = "=A1*2"; wb.save(p)
    >>> uncached_formulas(p, "S")
    {4: {3: '=A1*2'}}
    """
    import posixpath
    import xml.etree.ElementTree as ET

    path = Path(path)
    found: dict[int, dict[int, str]] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            book = ET.fromstring(zf.read("xl/workbook.xml"))
            rid = next((s.get(f"{_NS_REL}id") for s in book.iter(f"{_NS_MAIN}sheet")
                        if s.get("name") == sheet), None)  # fmt: skip
            rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
            target = next((r.get("Target", "") for r in rels.iter(f"{_NS_PKG}Relationship")
                           if r.get("Id") == rid), None)  # fmt: skip
            if rid is None or not target:
                return found
            member = (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.normpath(posixpath.join("xl", target))
            )
            with zf.open(member) as fh:
                for _, el in ET.iterparse(fh):
                    if el.tag != f"{_NS_MAIN}c":
                        continue
                    f = el.find(f"{_NS_MAIN}f")
                    v = el.find(f"{_NS_MAIN}v")
                    # An empty <v/> is a cached empty string only when typed t="str"
                    # (what Excel writes for =IF(..,"")); untyped, it is no value at all.
                    empty = v is None or (not v.text and el.get("t") not in ("str", "s"))
                    if f is not None and empty:
                        m = _CELL.match(b'<c r="%s"' % el.get("r", "").encode())
                        if m:
                            row, col = int(m.group(2)), column_number(m.group(1))
                            found.setdefault(row, {})[col] = "=" + (f.text or "")
                    el.clear()
    except (KeyError, zipfile.BadZipFile, ET.ParseError, OSError):
        return found  # the value reader reports an unreadable workbook itself
    return found


__all__ = [
    "MAX_CELLS",
    "MAX_COLS",
    "MAX_MEMBERS",
    "MAX_MERGED_CELLS",
    "MAX_RATIO",
    "MAX_ROWS",
    "MAX_UNCOMPRESSED",
    "check_workbook",
    "column_number",
    "uncached_formulas",
]
