"""Read the RMI reporting templates suppliers send: CMRT 6.x and EMRT 2.x smelter lists.

The Responsible Minerals Initiative publishes two Excel templates a supplier fills in and sends
to its customers:

* the **CMRT** 6.x (Conflict Minerals Reporting Template) for tin, tantalum, tungsten and gold;
* the **EMRT** 2.x (Extended Minerals Reporting Template) for cobalt and mica, and, from 2.0, also
  copper, graphite, lithium and nickel.

Assumptions about the layout, taken from the published templates and from files as suppliers
really send them (every one is handled leniently, because templates change between versions):

* A ``Declaration`` sheet carries the company name and the declaration scope near the top, as
  label cells in column B (``"Company Name (*):"``, ``"Declaration Scope or Class (*):"``) with
  the value in column D (or the next non-empty cell to the right). The template and its version
  are read from the title/revision text of the first rows of any sheet ("Conflict Minerals
  Reporting Template", "Revision 6.4"); failing that, from the file name, and the template from
  the metals reported.
* A ``Smelter List`` sheet has a header row in its first 30 rows: the first row holding a cell
  that starts with "Metal" and one that starts with "Smelter Name". Headers are matched
  case-insensitively by their leading words, ignoring ``(*)`` and extra spaces; a header cell
  left empty by a merged range takes the text of the range's first cell.
* ``Smelter Identification`` (e.g. ``CID001070``) is preferred to the ``Smelter Identification
  Number Input Column`` where both exist.
* Fully blank rows and rows where only the metal is filled in (the template pre-fills nothing
  else) are skipped. Rows that say "Smelter not listed" or "Smelter not yet identified" are kept
  with an empty ``smelter_id`` and a ``flag``.
* Countries go through :func:`critmin.data.countries.resolve` plus a few aliases ("DRC"); an
  unresolvable country keeps its text in ``country_text`` and raises a warning, not an error.
* A cell holding a formula without a cached value (a file written by a program that does not
  calculate) reads as empty; each such row raises a warning naming the sheet, row and column.
* A column whose header contains "volume" is read as tonnes (``volume_t``); absent, NaN.

Examples
--------
>>> normalise_metal(" Tantalum "), normalise_metal("Graphite (natural)"), normalise_metal("zinc")
('tantalum', 'graphite', None)
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from critmin.data.countries import resolve
from critmin.data.errors import DataError, Problem
from critmin.data.workbook import check_workbook, uncached_formulas

#: Metals of the CMRT and the EMRT, as critmin ids.
CMRT_METALS = ("tin", "tantalum", "tungsten", "gold")
EMRT_METALS = ("cobalt", "mica", "copper", "graphite", "lithium", "nickel")
METALS = CMRT_METALS + EMRT_METALS

COLUMNS = [
    "supplier", "template", "version", "file", "row", "metal", "smelter_id", "smelter_name",
    "country", "country_text", "mine_country", "recycled", "lookup", "flag", "volume_t",
]  # fmt: skip

_ALIASES = {
    "drc": "COD", "dr congo": "COD", "d.r. congo": "COD", "d.r.c.": "COD", "congo, drc": "COD",
    "congo drc": "COD", "rdc": "COD", "prc": "CHN", "p.r. china": "CHN", "uk": "GBR",
    "usa": "USA", "u.s.a.": "USA", "south korea": "KOR", "russia": "RUS", "laos": "LAO",
}  # fmt: skip
_NOT_LISTED = ("smelter not listed", "smelter not yet identified")
_CID = re.compile(r"^CID\d{6}$")


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    # Control characters (a NUL in a country name) never reach a result or an output file.
    return re.sub(r"\s+", " ", _CONTROL.sub("", str(v))).strip()


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _header(v: Any) -> str:
    h = _text(v).lower().replace("(*)", "").replace("*", "")
    return re.sub(r"\s+", " ", h).strip(" :")


def normalise_metal(text: str) -> str | None:
    """The critmin id of a metal as written in a template, or ``None`` if not a template metal."""
    t = re.sub(r"\(.*?\)", " ", text.lower())
    t = re.sub(r"\bnatural\b", " ", t).strip(" .")
    t = re.sub(r"\s+", " ", t)
    return t if t in METALS else None


def resolve_country(text: str) -> str | None:
    """ISO3 of a country name as suppliers write it, or ``None``.

    >>> resolve_country("DRC"), resolve_country("Viet Nam"), resolve_country("Atlantis")
    ('COD', 'VNM', None)
    """
    t = _text(text)
    if not t:
        return None
    if t.lower() in _ALIASES:
        return _ALIASES[t.lower()]
    e = resolve(t)
    return e.iso3 if e is not None and e.kind == "country" else None


# (field, prefixes in order of preference); an exact header beats a prefix match.
_FIELDS: list[tuple[str, tuple[str, ...]]] = [
    ("metal", ("metal",)),
    ("lookup", ("smelter look-up", "smelter lookup", "smelter look up")),
    ("name", ("smelter name",)),
    ("country", ("smelter country",)),
    ("smelter_id", ("smelter identification", "smelter id")),
    ("mine_name", ("name of mine",)),
    ("mine_country", ("location (country) of mine", "location of mine", "location(country)")),
    ("recycled", ("does 100%", "does 100 %")),
    ("comments", ("comments",)),
]


def _map_columns(headers: dict[int, str]) -> dict[str, int]:
    cols: dict[str, int] = {}
    for fld, prefixes in _FIELDS:
        exact = [c for c, h in sorted(headers.items()) if h in prefixes]
        starts = [c for c, h in sorted(headers.items()) if h.startswith(prefixes)]
        # "Smelter Identification" beats "Smelter Identification Number Input Column"
        found = exact or sorted(starts, key=lambda c: (len(headers[c]), c))
        if found:
            cols[fld] = found[0]
    vol = [c for c, h in sorted(headers.items()) if "volume" in h]
    if vol:
        cols["volume"] = vol[0]
    return cols


def _describe(path: Path, wb: Any, metals: set[str]) -> tuple[str, str, str]:
    """(supplier, template, version) of a workbook."""
    supplier, template, version = "", "", ""
    for ws in wb.worksheets:
        if _header(ws.title) == "smelter list":
            continue
        for row in ws.iter_rows(min_row=1, max_row=40, max_col=10, values_only=True):
            cells = [_text(v) for v in row]
            for i, c in enumerate(cells):
                low = c.lower()
                if not template and "conflict minerals reporting template" in low:
                    template = "CMRT"
                if not template and "extended minerals reporting template" in low:
                    template = "EMRT"
                m = re.search(r"(?:revision|version|rev\.?)\s*(\d+\.\d+)", low)
                if m and not version:
                    version = m.group(1)
                if not supplier and _header(c).startswith("company name"):
                    supplier = next((v for v in cells[i + 1 :] if v), "")
    name = path.name.upper()
    if not template:
        template = "EMRT" if "EMRT" in name or metals & set(EMRT_METALS) else "CMRT"
    if not version:
        m = re.search(r"(?:CMRT|EMRT)[ _-]?V?(\d+\.\d+)", name)
        version = m.group(1) if m else ""
    return supplier or path.stem, template, version


def _column_letter(c: int) -> str:
    """Spreadsheet letters of a 1-based column number (3 -> 'C', 28 -> 'AB')."""
    out = ""
    while c:
        c, rem = divmod(c - 1, 26)
        out = chr(65 + rem) + out
    return out


def _load(path: Path) -> Any:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    expected = "an Excel workbook (.xlsx/.xlsm) in the RMI CMRT/EMRT layout"
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise DataError([Problem(str(path), None, None, expected, path.suffix or path.name)])
    check_workbook(path)  # limits first: a few bytes must not make openpyxl work for hours
    try:
        return openpyxl.load_workbook(path, data_only=True)
    except FileNotFoundError as e:
        raise DataError([Problem(str(path), None, None, "an existing file", "no such file")]) from e
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as e:
        raise DataError([Problem(str(path), None, None, expected, "not a workbook")]) from e


def read_template(path: str | Path) -> tuple[pd.DataFrame, list[str]]:
    """Read one CMRT/EMRT workbook: its smelter rows and warnings (see the module docstring).

    Raises :class:`~critmin.data.errors.DataError` naming the file, sheet row and field.
    """
    path = Path(path)
    wb = _load(path)
    f = str(path)
    sheets = [ws for ws in wb.worksheets if _header(ws.title) == "smelter list"]
    if not sheets:
        names = ", ".join(repr(ws.title) for ws in wb.worksheets)
        raise DataError([Problem(f, None, "Smelter List", "a 'Smelter List' sheet", names)])
    ws = sheets[0]
    merged: dict[tuple[int, int], Any] = {}
    for rng in ws.merged_cells.ranges:
        top = ws.cell(rng.min_row, rng.min_col).value
        for r in range(rng.min_row, rng.max_row + 1):
            for c in range(rng.min_col, rng.max_col + 1):
                merged[(r, c)] = top

    header_row, cols = 0, {}
    for r, row in enumerate(ws.iter_rows(min_row=1, max_row=30, values_only=True), start=1):
        heads = {c: _header(v if v is not None else merged.get((r, c)))
                 for c, v in enumerate(row, start=1)}  # fmt: skip
        texts = [h for h in heads.values() if h]
        if any(h.startswith("metal") for h in texts) and any(
            h.startswith("smelter name") for h in texts
        ):
            header_row, cols = r, _map_columns({c: h for c, h in heads.items() if h})
            break
    if not header_row:
        raise DataError([Problem(f, None, "Smelter List",
                                 "a header row with 'Metal' and 'Smelter Name' in the first 30 "
                                 "rows of the Smelter List sheet", "none")])  # fmt: skip

    problems: list[Problem] = []
    warnings: list[str] = []
    records: list[dict[str, Any]] = []
    # The values reader sees a formula never calculated (no cached value) as an empty cell;
    # without this, a row of such formulas would vanish without a word.
    uncached = uncached_formulas(path, ws.title)
    field_of = {c: fld for fld, c in cols.items()}
    for r, row in enumerate(ws.iter_rows(min_row=header_row + 1, values_only=True),
                            start=header_row + 1):  # fmt: skip
        vals = {fld: _text(row[c - 1]) if c - 1 < len(row) else "" for fld, c in cols.items()}
        rest = [v for k, v in vals.items() if k != "metal" and v]
        lost = {c: fx for c, fx in uncached.get(r, {}).items() if c in field_of}
        if lost:
            where = ", ".join(f"column {_column_letter(c)} ({field_of[c]}) {fx}"
                              for c, fx in sorted(lost.items()))  # fmt: skip
            what = "row skipped" if not rest else "read as empty"
            warnings.append(f"{f}, sheet '{ws.title}', row {r}: formula without a cached value "
                            f"in {where}; {what} (save the file from Excel or LibreOffice so "
                            "its formulas are calculated)")  # fmt: skip
        if not rest:
            continue  # blank, or only the metal filled in
        metal_text = vals.get("metal", "")
        metal = normalise_metal(metal_text)
        if metal is None:
            problems.append(Problem(f, r, "Metal", f"one of {', '.join(METALS)}", metal_text))
            continue
        lookup = vals.get("lookup", "")
        sid = vals.get("smelter_id", "").upper()
        name = vals.get("name", "")
        flag = ""
        if lookup.lower().rstrip(".") in _NOT_LISTED:
            flag = lookup.lower().rstrip(".")
        elif not name:
            name = lookup
        if flag:
            if sid:
                warnings.append(f"{f}, row {r}: '{lookup}' with a smelter id {sid!r}; id kept")
            else:
                warnings.append(f"{f}, row {r}: {lookup.lower()} ({name or 'no name'})")
        if sid and not _CID.match(sid):
            warnings.append(f"{f}, row {r}, field 'Smelter Identification': {sid!r} is not an "
                            "RMI id (CID + 6 digits); kept as given")  # fmt: skip
        country_text = vals.get("country", "")
        country = resolve_country(country_text) or ""
        if country_text and not country:
            warnings.append(f"{f}, row {r}, field 'Smelter Country': unknown country "
                            f"{country_text!r}; kept as text")  # fmt: skip
        mine = vals.get("mine_country", "") or vals.get("mine_name", "")
        recycled_text = vals.get("recycled", "").lower()
        mine_is_recycled = "recycl" in mine.lower() or "scrap" in mine.lower()
        mine_country = "recycled" if mine_is_recycled else _mine_countries(mine)
        recycled = recycled_text in ("yes", "y", "true", "1") or mine_is_recycled
        volume = float("nan")
        if vals.get("volume"):
            try:
                volume = float(vals["volume"].replace(",", ""))
            except ValueError:
                volume = float("nan")
            if not (math.isfinite(volume) and volume >= 0):  # 1e400 is inf; -50 is a typo
                problems.append(Problem(f, r, "volume", "a finite number of tonnes >= 0",
                                        vals["volume"]))  # fmt: skip
                continue
        records.append({
            "file": f, "row": r, "metal": metal, "smelter_id": sid, "smelter_name": name,
            "country": country, "country_text": "" if country else country_text,
            "mine_country": mine_country, "recycled": recycled, "lookup": lookup, "flag": flag,
            "volume_t": volume,
        })  # fmt: skip
    if problems:
        raise DataError(problems)
    supplier, template, version = _describe(path, wb, {str(x["metal"]) for x in records})
    df = pd.DataFrame(records, columns=[c for c in COLUMNS if c not in ("supplier", "template",
                                                                      "version")])  # fmt: skip
    df.insert(0, "version", version)
    df.insert(0, "template", template)
    df.insert(0, "supplier", supplier)
    df["recycled"] = df["recycled"].astype(bool)
    df["volume_t"] = df["volume_t"].astype(float)
    df["row"] = df["row"].astype(int)
    return df[COLUMNS], warnings


def _mine_countries(text: str) -> str:
    """ISO3 codes of the mine countries (several joined by ';'); '' if none resolve."""
    if not text:
        return ""
    whole = resolve_country(text)
    if whole:
        return whole
    parts = [resolve_country(p) for p in re.split(r"[;/,]| and ", text)]
    return ";".join(dict.fromkeys(p for p in parts if p))


def import_files(paths: Iterable[str | Path]) -> tuple[pd.DataFrame, list[str]]:
    """Read several supplier templates: all smelter rows and all warnings.

    Problems in every file are gathered into one :class:`~critmin.data.errors.DataError`.
    """
    frames: list[pd.DataFrame] = []
    warnings: list[str] = []
    problems: list[Problem] = []
    for p in paths:
        try:
            df, w = read_template(p)
        except DataError as e:
            problems.extend(e.problems)
            continue
        frames.append(df)
        warnings.extend(w)
    if problems:
        raise DataError(problems)
    if not frames:
        return pd.DataFrame(columns=COLUMNS), warnings
    return pd.concat(frames, ignore_index=True), warnings
