"""Importer for the World Bank Worldwide Governance Indicators (WGI), 2024 update.

The release is one long sheet (``Sheet1``): one row per economy, indicator and year with the
columns ``codeindyr, code, countryname, year, indicator, estimate, stddev, nsource, pctrank,
pctranklower, pctrankupper``. Missing figures are written ``..``. Countries carry World Bank
codes, a few of which differ from ISO 3166 (``ZAR`` → ``COD``, ``ROM`` → ``ROU``, ``TMP`` →
``TLS``, ``ADO`` → ``AND``, ``WBG`` → ``PSE``, ``KSV`` → ``XKX``); every code is mapped with
:func:`critmin.data.countries.iso3_from_code`, with the country name as a fallback.

One code is not a current country: ``ANT`` (Netherlands Antilles (former)), dissolved in 2010
and with figures for 2004-2013. Its ISO 3166-1 code ``ANT`` was withdrawn (ISO 3166-3
``ANHH``); the rows are kept under ``ANT`` (see :data:`FORMER_CODES`) so that nothing the
source publishes is dropped. No join with a current ISO3 code can pick them up by accident.

Output: the ``wgi`` table of :mod:`critmin.data.schema` plus the four provenance columns;
the provenance points at the ``estimate`` cell of each row. All 32,100 rows of the release
are kept; rows whose figures are ``..`` keep NaN figures.
"""

from __future__ import annotations

import math
import posixpath
import re
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd

from critmin.data.countries import iso3_from_code, resolve
from critmin.data.errors import DataError, Problem
from critmin.data.files import file_label
from critmin.data.schema import WGI_INDICATORS, check

SOURCE = "World Bank WGI 2024 update"
EDITION = 2024
FOLDER = "wgi-2024-release"
FILENAME = "wgidataset.xlsx"
SHEET = "Sheet1"

#: Columns the reader needs (the release also has codeindyr, pctranklower, pctrankupper).
REQUIRED_COLUMNS = (
    "code",
    "countryname",
    "year",
    "indicator",
    "estimate",
    "stddev",
    "nsource",
    "pctrank",
)

#: Codes of economies that no longer exist, kept as published (see the module docstring).
FORMER_CODES: dict[str, str] = {
    "ANT": "Netherlands Antilles (former), dissolved 2010; withdrawn ISO 3166-1 code kept",
}

#: WGI estimates are standard-normal units, about -2.5 to 2.5; beyond this is a broken cell.
ESTIMATE_RANGE = (-3.5, 3.5)

#: Stop collecting after this many problems (a wholly broken file would list 32,100).
MAX_PROBLEMS = 50

_MISSING = ("..", "")


def _check_file(path: Path, label: str) -> None:
    if not path.is_file():
        raise DataError([Problem(label, None, None, "an existing .xlsx file", "no such file")])
    if path.stat().st_size == 0:
        raise DataError([Problem(label, None, None, "an .xlsx workbook", "an empty file")])


def open_xlsx(path: Path, label: str) -> zipfile.ZipFile:
    """Open an ``.xlsx`` file as a zip archive, or raise a :class:`DataError` naming it."""
    _check_file(path, label)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise DataError(
            [Problem(label, None, None, "an .xlsx workbook (Office Open XML)", f"{exc}")]
        ) from exc
    if "xl/workbook.xml" not in zf.namelist():
        zf.close()
        raise DataError(
            [Problem(label, None, None, "an .xlsx workbook (xl/workbook.xml)", "another zip")]
        )
    return zf


_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_INT = re.compile(r"^-?\d+$")
_REF = re.compile(r"^([A-Z]+)(\d+)$")


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _si_text(si: ElementTree.Element) -> str:
    # A shared string is <t> or rich-text runs <r><t>; phonetic runs <rPh> are not content.
    parts: list[str] = []
    for child in si:
        if child.tag == _NS + "t":
            parts.append(child.text or "")
        elif child.tag == _NS + "r":
            parts.extend(t.text or "" for t in child.iter(_NS + "t"))
    return "".join(parts)


def sheet_names(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → worksheet part inside an ``.xlsx`` archive (from workbook.xml and rels)."""
    book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    target = {r.get("Id"): r.get("Target", "") for r in rels.iter(_PKG_REL + "Relationship")}
    out: dict[str, str] = {}
    for sh in book.iter(_NS + "sheet"):
        t = target.get(sh.get(_REL_NS + "id"), "")
        part = t.lstrip("/") if t.startswith("/") else posixpath.normpath(f"xl/{t}")
        out[sh.get("name", "")] = part
    return out


def iter_sheet(zf: zipfile.ZipFile, part: str) -> Iterator[tuple[int, tuple[object, ...]]]:
    """Stream the rows of one worksheet part as (1-based row number, cell values).

    A lean reader of the cached values (openpyxl's read-only mode is about three times
    slower on the 32,100-row WGI sheet). Numbers come back as int or float, text as str,
    booleans as bool, error cells as their code (``#N/A``); empty cells as None.
    """
    strings: list[str] = []
    if "xl/sharedStrings.xml" in zf.namelist():
        with zf.open("xl/sharedStrings.xml") as fh:
            for _, el in ElementTree.iterparse(fh):
                if el.tag == _NS + "si":
                    strings.append(_si_text(el))
                    el.clear()
    row_tag, c_tag, v_tag, is_tag = _NS + "row", _NS + "c", _NS + "v", _NS + "is"
    next_row = 1
    with zf.open(part) as fh:
        for _, el in ElementTree.iterparse(fh):
            if el.tag != row_tag:
                continue
            r = el.get("r")
            rownum = int(r) if r else next_row
            next_row = rownum + 1
            values: list[object] = []
            for c in el:
                if c.tag != c_tag:
                    continue
                ref = c.get("r")
                m = _REF.match(ref) if ref else None
                col = _col_index(m.group(1)) if m else len(values)
                if col > len(values):
                    values.extend([None] * (col - len(values)))
                kind = c.get("t", "n")
                v = c.find(v_tag)
                text = v.text if v is not None else None
                value: object
                if kind == "inlineStr":
                    node = c.find(is_tag)
                    value = _si_text(node) if node is not None else None
                elif text is None:
                    value = None
                elif kind == "s":
                    value = strings[int(text)]
                elif kind == "n":
                    value = int(text) if _INT.match(text) else float(text)
                elif kind == "b":
                    value = text == "1"
                else:  # str (formula text), e (error), d (ISO date): the text as written
                    value = text
                values.append(value)
            el.clear()
            yield rownum, tuple(values)


def _number(value: object) -> float | None:
    """A cell as a float; NaN for the missing codes; None when it holds other text."""
    if value is None:
        return math.nan
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if text in _MISSING:
        return math.nan
    try:
        return float(text)
    except ValueError:
        return None


def _text(value: object) -> str:
    return "" if value is None else str(value)


def wgi_iso3(code: str, name: str) -> str | None:
    """ISO3 of a WGI economy from its World Bank code, else from its name.

    Examples
    --------
    >>> wgi_iso3("ZAR", "Congo, Dem. Rep."), wgi_iso3("ROM", "Romania"), wgi_iso3("KSV", "")
    ('COD', 'ROU', 'XKX')
    >>> wgi_iso3("ANT", "Netherlands Antilles (former)")
    'ANT'
    >>> wgi_iso3("QQQ", "Atlantis") is None
    True
    """
    code = code.strip().upper()
    if code in FORMER_CODES:
        return code
    iso3 = iso3_from_code(code) if len(code) == 3 else None
    if iso3 is not None:
        return iso3
    entity = resolve(name) if name.strip() else None
    if entity is not None and entity.kind == "country":
        return entity.iso3
    return None


def read_wgi(path: Path, root: Path) -> pd.DataFrame:
    """Read the WGI release workbook into the ``wgi`` table with provenance.

    Parameters
    ----------
    path
        The workbook (``wgi-2024-release/wgidataset.xlsx``).
    root
        The raw-data root; ``file`` in the provenance is relative to it.

    Returns
    -------
    pandas.DataFrame
        Columns ``country, year, indicator, estimate, stderr, nsource, pctrank, source,
        edition`` and the provenance ``file, row, column, cell`` (``column`` is
        ``estimate``, ``cell`` its text as written, ``..`` for a missing figure).

    Raises
    ------
    DataError
        Not a workbook; no sheet ``Sheet1``; a missing column; an indicator other than
        va, pv, ge, rq, rl, cc; text in a number cell; an estimate outside [-3.5, 3.5];
        a code that maps to no country (listing the codes and rows); a duplicate
        (country, year, indicator).

    Examples
    --------
    >>> import tempfile, openpyxl
    >>> d = Path(tempfile.mkdtemp())
    >>> wb = openpyxl.Workbook(); ws = wb.active; ws.title = "Sheet1"
    >>> ws.append(["code", "countryname", "year", "indicator", "estimate", "stddev",
    ...            "nsource", "pctrank"])
    >>> ws.append(["ZAR", "Congo, Dem. Rep.", 2020, "rq", -1.51, 0.18, 9, 5.7])
    >>> ws.append(["ROM", "Romania", 2020, "pv", "..", "..", "..", ".."])
    >>> wb.save(d / "w.xlsx")
    >>> df = read_wgi(d / "w.xlsx", d)
    >>> cols = ["country", "year", "indicator", "estimate", "row", "cell"]
    >>> print(df[cols].to_string(index=False))
    country  year indicator  estimate  row  cell
        COD  2020        rq     -1.51    2 -1.51
        ROU  2020        pv       NaN    3    ..
    """
    label = file_label(path, root)
    zf = open_xlsx(path, label)
    try:
        sheets = sheet_names(zf)
        if SHEET not in sheets:
            raise DataError(
                [Problem(label, None, None, f"a sheet {SHEET!r}", f"sheets {list(sheets)}")]
            )
        rows = iter_sheet(zf, sheets[SHEET])
        header_line, header_row = next(
            ((n, r) for n, r in rows if any(v is not None for v in r)), (1, ())
        )
        if not header_row:
            raise DataError(
                [Problem(label, 1, None, f"a header row in sheet {SHEET!r}", "an empty sheet")]
            )
        header = [_text(v).strip().lower() for v in header_row]
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise DataError(
                [
                    Problem(
                        label,
                        header_line,
                        c,
                        f"a column {c!r} in sheet {SHEET!r}",
                        "no such column",
                    )
                    for c in missing
                ]
            )
        idx = {c: header.index(c) for c in REQUIRED_COLUMNS}
        data = _parse_rows(rows, idx, max(idx.values()) + 1, label)
    except (ElementTree.ParseError, KeyError, IndexError, ValueError, zipfile.BadZipFile) as exc:
        raise DataError(
            [Problem(label, None, None, "a well-formed .xlsx workbook", f"{exc!r}")]
        ) from exc
    finally:
        zf.close()
    df = pd.DataFrame(data)
    if df.empty:
        raise DataError([Problem(label, 2, None, "data rows below the header", "none")])
    df["source"] = SOURCE
    df["edition"] = EDITION
    df = df[
        [
            "country",
            "year",
            "indicator",
            "estimate",
            "stderr",
            "nsource",
            "pctrank",
            "source",
            "edition",
            "file",
            "row",
            "column",
            "cell",
        ]
    ]
    check(df, "wgi", where=label)
    return df


def _parse_rows(
    rows: Iterable[tuple[int, tuple[object, ...]]], idx: dict[str, int], width: int, label: str
) -> dict[str, list[object]]:
    """Validate and convert the data rows (everything after the header)."""
    cols: dict[str, list[object]] = {
        k: []
        for k in (
            "country",
            "year",
            "indicator",
            "estimate",
            "stderr",
            "nsource",
            "pctrank",
            "file",
            "row",
            "column",
            "cell",
        )
    }
    problems: list[Problem] = []
    unknown: dict[str, list[int]] = {}
    iso_cache: dict[tuple[str, str], str | None] = {}
    seen: dict[tuple[str, int, str], int] = {}
    i_code, i_name, i_year, i_ind = idx["code"], idx["countryname"], idx["year"], idx["indicator"]
    i_est, i_sd, i_ns, i_pr = idx["estimate"], idx["stddev"], idx["nsource"], idx["pctrank"]
    lo, hi = ESTIMATE_RANGE
    n_problems = 0

    def add(p: Problem) -> None:
        nonlocal n_problems
        n_problems += 1
        if len(problems) < MAX_PROBLEMS:
            problems.append(p)

    for line, rec in rows:
        if all(v is None for v in rec):
            continue
        if len(rec) < width:
            rec = tuple(rec) + (None,) * (width - len(rec))
        code, name = _text(rec[i_code]).strip(), _text(rec[i_name]).strip()
        key = (code, name)
        if key not in iso_cache:
            iso_cache[key] = wgi_iso3(code, name)
        iso3 = iso_cache[key]
        if iso3 is None:
            unknown.setdefault(code, []).append(line)
        year_v = rec[i_year]
        year = _number(year_v)
        if year is None or math.isnan(year) or year != int(year) or not 1990 <= year <= 2100:
            add(Problem(label, line, "year", "a year such as 2023", _text(year_v)))
            continue
        ind = _text(rec[i_ind]).strip().lower()
        if ind not in WGI_INDICATORS:
            add(Problem(label, line, "indicator", f"one of {WGI_INDICATORS}", _text(rec[i_ind])))
            continue
        figures: dict[str, float] = {}
        ok = True
        for fld, i in (("estimate", i_est), ("stddev", i_sd), ("nsource", i_ns), ("pctrank", i_pr)):
            v = _number(rec[i])
            if v is None:
                add(Problem(label, line, fld, "a number or '..' (missing)", _text(rec[i])))
                ok = False
            else:
                figures[fld] = v
        if not ok:
            continue
        est = figures["estimate"]
        if not math.isnan(est) and not lo <= est <= hi:
            add(
                Problem(
                    label, line, "estimate", f"an estimate within [{lo}, {hi}]", _text(rec[i_est])
                )
            )
            continue
        pr = figures["pctrank"]
        if not math.isnan(pr) and not 0 <= pr <= 100:
            add(Problem(label, line, "pctrank", "a rank within [0, 100]", _text(rec[i_pr])))
            continue
        for fld in ("stddev", "nsource"):
            if figures[fld] < 0:
                add(Problem(label, line, fld, "a non-negative number", _text(rec[idx[fld]])))
                ok = False
        if not ok or iso3 is None:
            continue
        yr = int(year)
        k = (iso3, yr, ind)
        if k in seen:
            add(
                Problem(
                    label,
                    line,
                    "code",
                    f"one row per (country, year, indicator); {k} is also on row {seen[k]}",
                    code,
                )
            )
            continue
        seen[k] = line
        cols["country"].append(iso3)
        cols["year"].append(yr)
        cols["indicator"].append(ind)
        cols["estimate"].append(est)
        cols["stderr"].append(figures["stddev"])
        cols["nsource"].append(figures["nsource"])
        cols["pctrank"].append(pr)
        cols["file"].append(label)
        cols["row"].append(line)
        cols["column"].append("estimate")
        cols["cell"].append(_text(rec[i_est]))
    for code, lines in unknown.items():
        shown = ", ".join(str(n) for n in lines[:10]) + (" ..." if len(lines) > 10 else "")
        add(
            Problem(
                label,
                lines[0],
                "code",
                f"a World Bank or ISO3 country code (code on {len(lines)} rows: {shown})",
                code,
            )
        )
    if problems:
        if n_problems > len(problems):
            problems.append(
                Problem(label, None, None, f"no more problems; {n_problems - len(problems)} more")
            )
        raise DataError(problems)
    return cols


def import_wgi(root: Path) -> pd.DataFrame:
    """Read the WGI release from its standard folder of the raw-data root.

    Looks for ``wgi-2024-release/wgidataset.xlsx`` (or the only ``.xlsx`` in that folder).
    """
    folder = root / FOLDER
    path = folder / FILENAME
    if not path.is_file() and folder.is_dir():
        found = sorted(folder.glob("*.xlsx"))
        if len(found) == 1:
            path = found[0]
    if not path.is_file():
        raise DataError(
            [Problem(f"{FOLDER}/{FILENAME}", None, None, "the WGI release workbook", "not found")]
        )
    return read_wgi(path, root)
