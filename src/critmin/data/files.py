"""Reading source files as text, and naming them the way provenance does."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

from critmin.data.errors import DataError, Problem, fail


def file_label(path: Path, root: Path | None) -> str:
    """``path`` relative to ``root`` in POSIX form (how provenance names a file).

    Examples
    --------
    >>> file_label(Path("/raw/usgs/a.csv"), Path("/raw"))
    'usgs/a.csv'
    >>> file_label(Path("/elsewhere/x.xlsx"), Path("/raw"))
    '/elsewhere/x.xlsx'
    """
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def read_csv_records(
    path: Path, root: Path | None, *, encoding: str = "utf-8"
) -> tuple[str, list[tuple[int, list[str]]]]:
    """Read a CSV as text: its name relative to ``root`` and its records with line numbers.

    Each record is ``(line, cells)`` where ``line`` is the 1-based physical line it starts on
    (the header is line 1) and ``cells`` are the raw texts, unstripped. A UTF-8 BOM is dropped.
    ``encoding`` names the file's declared encoding (the MCS 2026 long file is ``cp1252``).

    Raises
    ------
    DataError
        When the file is empty, is not in ``encoding`` (naming line, column and byte offset)
        or is not parseable CSV.
    """
    rel = file_label(path, root)
    raw = path.read_bytes()
    base = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    try:
        text = raw[base:].decode(encoding)
    except UnicodeDecodeError as exc:
        offset = base + exc.start
        raise _encoding_error(rel, raw, base, offset, encoding) from exc
    if not text.strip():
        raise fail(rel, 1, None, "a header line and data rows; the file is empty")
    records: list[tuple[int, list[str]]] = []
    # strict: an unclosed quote is an error, not a field that swallows the rest of the file
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    end = 0
    try:
        for cells in reader:
            records.append((end + 1, cells))
            end = reader.line_num
    except csv.Error as exc:
        raise fail(rel, end + 1, None, "well-formed CSV", str(exc)) from exc
    return rel, records


def _encoding_error(
    rel: str, raw: bytes, base: int, offset: int, encoding: str = "utf-8"
) -> DataError:
    line = raw.count(b"\n", 0, offset) + 1
    start = raw.rfind(b"\n", 0, offset) + 1
    header_end = raw.find(b"\n")
    header_bytes = raw[base : header_end if header_end >= 0 else len(raw)]
    header = next(csv.reader([header_bytes.decode("utf-8", "replace").rstrip("\r")]), [])
    prefix = raw[start:offset].decode("utf-8", "replace")
    index = len(next(csv.reader([prefix]), [""])) - 1 if prefix else 0
    column = header[index].strip() if 0 <= index < len(header) else f"column {index + 1}"
    return DataError(
        [
            Problem(
                rel,
                line,
                column,
                "UTF-8 text (re-save the file as UTF-8)"
                if encoding == "utf-8"
                else f"{encoding} text, as the release declares",
                f"byte 0x{raw[offset]:02x} at byte offset {offset}",
            )
        ]
    )


def read_csv_rows(
    path: Path, required: tuple[str, ...], *, exact: bool = False
) -> tuple[str, list[tuple[int, dict[str, str]]]]:
    """A CSV file's label and its data rows as ``(line, {column: stripped text})``.

    The header must hold every ``required`` column (and only those when ``exact``); blank
    lines are skipped; a row with another number of fields than the header, or a file with no
    data row, is a problem naming the line. All problems are reported at once.

    Raises
    ------
    DataError
        A missing file, missing or unexpected columns, ragged rows, no data.
    """
    if not path.is_file():
        raise DataError([Problem(path.as_posix(), None, None, "an existing CSV file")])
    label, records = read_csv_records(path, path.parent)
    header = [c.strip() for c in records[0][1]]
    problems = [
        Problem(label, 1, c, "a column of this table (header line)")
        for c in required
        if c not in header
    ]
    if exact:
        problems += [
            Problem(label, 1, c or None, f"only the columns {', '.join(required)}", c)
            for c in header
            if c not in required
        ]
    if problems:
        raise DataError(problems)
    rows: list[tuple[int, dict[str, str]]] = []
    for line, cells in records[1:]:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            problems.append(
                Problem(label, line, None, f"{len(header)} fields like the header", f"{len(cells)}")
            )
            continue
        rows.append((line, {h: c.strip() for h, c in zip(header, cells, strict=True)}))
    if not rows and not problems:
        problems.append(Problem(label, None, None, "data rows below the header"))
    if problems:
        raise DataError(problems)
    return label, rows
