"""Importer for the USGS Mineral Commodity Summaries salient-statistics CSVs (editions 2022-2024).

One file per commodity, one row per data year, one column per U.S. statistic; the unit is the
last token of the column name (``Imports_t``, ``Price_dkg``, ``NIR_pct``, see
:data:`critmin.data.units.USGS_TOKENS`). :func:`read_salient` turns one file into the long
``salient`` table (:data:`critmin.data.schema.TABLES`) plus the provenance columns; one row per
(year, variable). :func:`import_salient` reads a whole edition folder.

Quirks of the real files and how they are handled
-------------------------------------------------
* UTF-8 BOM, CRLF line ends, trailing empty columns and trailing ``,,,,`` rows: read as text
  with the csv module; empty columns and blank rows are dropped. Bytes that are not UTF-8 are a
  :class:`~critmin.data.errors.DataError` naming the line, the column and the byte offset.
* File names: the commodity code is taken from ``mcs<edition>[-]<code>_salient.csv`` anywhere
  in the name, case-insensitively (``MCS2024-bismu``, ``mcs2023tellu``, ``mcs2023-zirco-hafni``,
  ``lithium_mcs2022-lithi``) and mapped with :data:`critmin.data.catalogue.USGS_CODES`.
* Unit tokens glued to the name (``USprod_Primarykg``, ``Price_WO3dt``, ``Grade-A-Salesmcm``)
  are split off; a one-letter glued token (``USprod_Minet``) only in files where most columns are
  written that way (the 2024 tungsten file), so ``Exports_Total`` is not read as "Tota" in t.
* ``CASE STATEMENT ERROR...`` headers (a USGS export bug that replaced the category prefix in the
  2024 aluminum, chromium and iron-oxide-pigment files) are imported with the variable as written,
  the unit token parsed from the tail and category ``other``.
* Headers whose unit token is missing or contradicts the column (``NIR_ct``, ``Employment_um``,
  ``Price_Flake_t``, the 2024 gallium ``Exports_g`` that holds kilograms ...) are corrected by the
  explicit table :data:`HEADER_FIXES`, each entry with the evidence. Columns whose unit has no
  critmin unit string (USD per carat, million square feet, a price index) are left out and listed
  in ``df.attrs["notes"]``. Any other header without a recognisable unit is a DataError.
* Duplicated column names (``Consump_t`` twice in iodine, ``USprod_Flake_t`` twice in mica, the
  two nickel price columns) are all kept; the second and later variables of the same name get
  `` (2)``, `` (3)`` appended.
* Cells: beyond :func:`critmin.data.cells.parse_cell`, :func:`salient_cell` reads
  "Less than ½ unit" (and its spellings) as the bound 0-0.5, "Less than 500 carats." and
  "Less than 50,000 tons" as bounds converted to the column unit, "Small" and "Variable,
  depending on type of product" as missing, ``>50%`` in a percent column, and the Unicode
  minus sign ``−``.
* Negative figures: USGS publishes them for trade and government-stockpile shipments
  (asbestos imports 2023: -4 t; tellurium exports 2020: -2 t; niobium, tantalum and tin
  ``Shipments_Gov``), so they are kept there; a negative production, consumption, price, stock,
  employment or net import reliance is a DataError, and so is a net import reliance above 100 %.
* Files that are not salient tables at all raise :class:`UnusableFileError`, which
  :func:`import_salient` skips and records in ``df.attrs["skipped"]``: the world-production
  files saved under salient names in the 2024 folder (cobalt, gypsum, kyanite) and files whose
  data are shifted against the header (2024 feldspar and fluorspar carry figures under an empty
  header column; comparing with the 2023 edition shows every column moved by one).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from critmin.data.catalogue import USGS_CODES
from critmin.data.cells import Cell, CellError, parse_cell
from critmin.data.errors import DataError, Problem, fail
from critmin.data.files import file_label as relative_name
from critmin.data.files import read_csv_records
from critmin.data.schema import PROVENANCE_COLUMNS, TABLES, check
from critmin.data.units import USGS_TOKENS, factor

log = logging.getLogger(__name__)

#: Folder of each edition's salient files under the raw root.
SALIENT_FOLDERS: dict[int, str] = {
    2022: "usgs-mcs2022-selected",
    2023: "usgs-mcs2023-salient",
    2024: "usgs-mcs2024-salient",
}

#: Output columns of :func:`read_salient`, in order.
COLUMNS: tuple[str, ...] = (*(c.name for c in TABLES["salient"]), *PROVENANCE_COLUMNS)

#: Category of a variable, from the first word of its name that is listed here.
CATEGORY_WORDS: dict[str, str] = {
    "usprod": "production",
    "prod": "production",
    "production": "production",
    "imports": "imports",
    "exports": "exports",
    "consump": "consumption",
    "consumption": "consumption",
    "consumtion": "consumption",
    "price": "price",
    "stocks": "stocks",
    "nir": "net_import_reliance",
    "employment": "employment",
    "shipments": "shipments",
}

#: Categories in which USGS never publishes a negative figure.
NON_NEGATIVE = frozenset(
    {"production", "consumption", "price", "stocks", "employment", "net_import_reliance"}
)


@dataclass(frozen=True)
class HeaderFix:
    """A correction of one real header: the variable, the USGS unit token, and the evidence.

    ``token`` is ``None`` when the column's unit has no critmin unit string: it is left out.
    """

    variable: str
    token: str | None
    reason: str


_DCT = "USD per carat has no critmin unit string"
_PGM = "'dto' is 'dtoz' cut short: palladium 1,544 in 2019 is USD per troy ounce"
_GA = "the 2024 gallium file lost the 'k': 2019 consumption 14,900 is kg in the 2023 file"
_ZR = "the 2023 file writes this price column in {}"
_FE = "the 2023 file at this position: {}"

#: Known broken headers of the real files, keyed by (USGS file code or "*", header as written).
#: A tuple holds one fix per occurrence of a duplicated header.
HEADER_FIXES: dict[tuple[str, str], tuple[HeaderFix, ...]] = {
    ("*", "Employment_um"): (HeaderFix("Employment", "num", "'um' is a typo of 'num'"),),
    ("*", "NIR_ct"): (HeaderFix("NIR", "pct", "'ct' is 'pct' cut short; NIR is a percent"),),
    ("raree", "Employment_m"): (HeaderFix("Employment", "num", "'m' is 'num' cut short"),),
    ("raree", "NIR_Compounds-Metals_t"): (
        HeaderFix("NIR_Compounds-Metals", "pct", "NIR is a percent (values 100, >95)"),
    ),
    ("raree", "NIR_Concentrate_t"): (
        HeaderFix("NIR_Concentrate", "pct", "NIR is a percent (values E, XX)"),
    ),
    ("titan", "Employment_Sponge_t"): (
        HeaderFix("Employment_Sponge", "num", "employment is a head count (150, 20)"),
    ),
    ("titan", "Employment_Dioxide_t"): (
        HeaderFix("Employment_Dioxide", "num", "employment is a head count (3,050)"),
    ),
    ("graph", "Price_Flake_t"): (HeaderFix("Price_Flake", "dt", "later editions: Price_Flake_dt"),),
    ("graph", "Price_Lump_t"): (HeaderFix("Price_Lump", "dt", "later editions: Price_Lump_dt"),),
    ("graph", "Price_Amorphous_t"): (
        HeaderFix("Price_Amorphous", "dt", "later editions: Price_Amorphous_dt"),
    ),
    ("zirco", "Price_Zircon_premium_CIF_CN_t"): (
        HeaderFix("Price_Zircon_premium_CIF_CN", "dt", _ZR.format("USD/t")),
    ),
    ("zirco", "Price_Zircon_imported_t"): (
        HeaderFix("Price_Zircon_imported", "dt", _ZR.format("USD/t")),
    ),
    ("zirco", "Price_Zircon_sponge_CN_t"): (
        HeaderFix("Price_Zircon_sponge_CN", "dkg", _ZR.format("USD/kg")),
    ),
    ("zirco", "Price_Hf_unwrought_t"): (
        HeaderFix("Price_Hf_unwrought", "dkg", _ZR.format("USD/kg")),
    ),
    ("bauxi", "Bauxite_Price_kt"): (
        HeaderFix("Bauxite_Price", "dt", "the 2023 file writes Bauxite_Price_dt (values ~30)"),
    ),
    ("bauxi", "Alumina_Price_kt"): (
        HeaderFix("Alumina_Price", "dt", "the 2023 file writes Alumina_Price_dt (values ~500)"),
    ),
    ("diamo", "Bort_Price_Imports_dct"): (HeaderFix("Bort_Price_Imports", None, _DCT),),
    ("diamo", "Stones_Price_Imports_dct"): (HeaderFix("Stones_Price_Imports", None, _DCT),),
    ("diamo", "Bort_Price_Imports_mct"): (HeaderFix("Bort_Price_Imports", None, _DCT),),
    ("diamo", "Stones_Price_Imports_mct"): (HeaderFix("Stones_Price_Imports", None, _DCT),),
    ("plati", "Price_Palladium_dto"): (HeaderFix("Price_Palladium", "dtoz", _PGM),),
    ("plati", "Price_Platinum_dto"): (HeaderFix("Price_Platinum", "dtoz", _PGM),),
    ("plati", "Price_Iridium_dto"): (HeaderFix("Price_Iridium", "dtoz", _PGM),),
    ("plati", "Price_Rhodium_dto"): (HeaderFix("Price_Rhodium", "dtoz", _PGM),),
    ("plati", "Price_Ruthenium_dto"): (HeaderFix("Price_Ruthenium", "dtoz", _PGM),),
    ("feste", "Exports_Total"): (
        HeaderFix("Exports_Total", "mmt", "8 = 7.9 finished + 0.1 semifinished, both in mmt"),
    ),
    ("feste", "Price_Index"): (HeaderFix("Price_Index", None, "an index has no unit"),),
    # The 2024 iron-and-steel file writes _mmt after every name; the 2023 file and the values
    # show which columns are percentages, head counts and an index.
    ("feste", "Price_Index_mmt"): (HeaderFix("Price_Index", None, "an index has no unit"),),
    ("feste", "Furnace_BOF_mmt"): (HeaderFix("Furnace_BOF", "pct", _FE.format("BOF_pct")),),
    ("feste", "Furnace_EAF_mmt"): (HeaderFix("Furnace_EAF", "pct", _FE.format("EAF_pct")),),
    ("feste", "Consump_mmt"): (
        HeaderFix("Continuous_cast", "pct", _FE.format("Continuous_cast_pct (99.8 -> 100)")),
        HeaderFix("Consump", "mmt", "second of two: apparent consumption, as in 2023"),
    ),
    ("feste", "Employment_Mill_mmt"): (
        HeaderFix("Employment_Mill", "num", _FE.format("Employment_Mill_num (85,700)")),
    ),
    ("feste", "Employment_mmt"): (
        HeaderFix("Employment", "num", _FE.format("Employment_num (57,800)")),
    ),
    ("niobi", "Price_kg"): (
        HeaderFix("Price", "dkg", "the 2024 file writes Price_dkg (21 vs 23 USD/kg)"),
    ),
    ("gypsu", "Products_msqft"): (
        HeaderFix("Products", None, "million square feet has no critmin unit string"),
    ),
    ("galli", "Exports_g"): (HeaderFix("Exports", "kg", _GA),),
    ("galli", "Consump_g"): (HeaderFix("Consump", "kg", _GA),),
    ("galli", "Stocks_g"): (HeaderFix("Stocks", "kg", _GA),),
    ("nicke", "Price_dt dlb (both used)"): (
        HeaderFix("Price", "dt", "first of two: 13,903 in 2019 is USD/t"),
        HeaderFix("Price", "dlb", "second of two: 6.31 in 2019 is USD/lb (13,903 / 2,204.6)"),
    ),
    ("tin", "Consump_"): (HeaderFix("Consump", "t", "the 2023 file writes Consump_t"),),
    ("tungs", "Stocks_"): (HeaderFix("Stocks", "t", "every other quantity of the file is in t"),),
    ("stond", "Price_Average_mdol"): (
        HeaderFix("Price_Average", None, "a price in million USD; every cell reads 'Variable'"),
    ),
    ("stond", "Granite_Price_mdol"): (
        HeaderFix("Granite_Price", None, "a price in million USD; every cell reads 'Variable'"),
    ),
}

_UNIT_FAMILY = {
    "price": (("USD/", "USc/"), "a price unit such as dt, dkg, dlb or ctslb"),
    "net_import_reliance": (("%",), "pct"),
    "employment": (("count",), "num"),
}

_FILE_NAME = re.compile(r"mcs(\d{4})[-_]?([a-z]+(?:-[a-z]+)*)_salient\.csv$", re.IGNORECASE)
_CASE_ERROR = re.compile(r"^case statement error", re.IGNORECASE)
_YEAR = re.compile(r"^\d{4}$")
_HALF_UNIT = re.compile(r"^less than (?:½|1/2|a half|one-half|one half) unit\.?$")
_LESS_THAN = re.compile(r"^less than ([\d,]+(?:\.\d+)?)\s+(tons|carats)\.?$")
_QUALITATIVE = frozenset({"small", "variable, depending on type of product"})
_TOKENS_LONGEST_FIRST = sorted(USGS_TOKENS, key=len, reverse=True)


class UnusableFileError(DataError):
    """The file is not a salient-statistics table (world format, shifted columns ...).

    :func:`import_salient` skips such files and records why; other DataErrors propagate.
    """


# --------------------------------------------------------------------------- reading CSV text


def _at(cells: list[str], j: int) -> str:
    return cells[j] if j < len(cells) else ""


def _blank(cells: list[str]) -> bool:
    return not any(c.strip() for c in cells)


# --------------------------------------------------------------------------- headers and cells


@dataclass(frozen=True)
class Header:
    """What a value column holds: variable name, critmin unit (None = left out), category."""

    raw: str
    variable: str
    unit: str | None
    category: str
    note: str = ""


def category_of(variable: str) -> str:
    """The salient category of a variable, from the first listed word of its name.

    Examples
    --------
    >>> category_of("USprod_Mine"), category_of("Bauxite_NIR"), category_of("Sold_Used")
    ('production', 'net_import_reliance', 'other')
    """
    for word in re.split(r"[^A-Za-z]+", variable):
        w = word.lower()
        if w in CATEGORY_WORDS:
            return CATEGORY_WORDS[w]
        if w.startswith("usprod"):
            return "production"
    return "other"


def _split_unit(name: str, allow_short_glued: bool) -> tuple[str, str] | None:
    if "_" in name:
        stem, token = name.rsplit("_", 1)
        if token in USGS_TOKENS and stem:
            return stem, token
    last = name.rsplit("_", 1)[-1]
    for token in _TOKENS_LONGEST_FIRST:
        if last.endswith(token) and len(last) > len(token):
            if len(token) == 1 and not allow_short_glued:
                return None
            return name[: -len(token)], token
    return None


def parse_header(raw: str, code: str, *, glued_file: bool = False, occurrence: int = 0) -> Header:
    """Split a salient column name into variable, unit and category.

    Parameters
    ----------
    raw
        The header as written.
    code
        The USGS file code (``lithi``), used to look up :data:`HEADER_FIXES`.
    glued_file
        True when most columns of the file glue the unit to the name (``USprod_Minet``):
        one-letter glued tokens are then accepted.
    occurrence
        0 for the first column with this exact header, 1 for the second ...

    Raises
    ------
    ValueError
        With what was expected, when the header has no usable unit.

    Examples
    --------
    >>> h = parse_header("USprod_Primarykg", "galli"); (h.variable, h.unit, h.category)
    ('USprod_Primary', 'kg', 'production')
    >>> parse_header("NIR_ct", "sandi").unit
    '%'
    >>> parse_header("CASE STATEMENT ERROROre_dt", "chrom").variable
    'CASE STATEMENT ERROROre'
    """
    name = raw.strip()
    fixes = HEADER_FIXES.get((code, name)) or HEADER_FIXES.get(("*", name))
    if fixes:
        fix = fixes[min(occurrence, len(fixes) - 1)]
        unit = USGS_TOKENS[fix.token] if fix.token else None
        return Header(raw, fix.variable, unit, category_of(fix.variable), fix.reason)
    if _CASE_ERROR.match(name):
        split = _split_unit(name, allow_short_glued=True)
        if split is None:
            raise ValueError("a unit token at the end of the column name")
        note = "USGS export bug 'CASE STATEMENT ERROR' replaced the name's category prefix"
        return Header(raw, split[0], USGS_TOKENS[split[1]], "other", note)
    split = _split_unit(name, allow_short_glued=glued_file)
    if split is None:
        raise ValueError(
            "a unit token at the end of the column name, e.g. 'Imports_t' "
            f"(tokens: {', '.join(sorted(USGS_TOKENS))})"
        )
    variable, token = split
    unit = USGS_TOKENS[token]
    category = category_of(variable)
    if category in _UNIT_FAMILY:
        prefixes, wanted = _UNIT_FAMILY[category]
        if not unit.startswith(prefixes):
            raise ValueError(f"a unit token consistent with a {category} column ({wanted})")
    return Header(raw, variable, unit, category)


def _has_proper_token(name: str) -> bool:
    return "_" in name and name.rsplit("_", 1)[1] in USGS_TOKENS


def salient_cell(text: str, unit: str) -> Cell:
    """Parse one salient cell, knowing the column's critmin unit.

    Adds to :func:`critmin.data.cells.parse_cell` the wordings of the salient files.

    Raises
    ------
    CellError
        When the cell holds text that is neither a number nor a recognised wording.

    Examples
    --------
    >>> c = salient_cell("Less than ½ unit.", "kt"); (c.status, c.low, c.high)
    ('bound', 0.0, 0.5)
    >>> c = salient_cell("Less than 50,000 tons", "Mt"); (c.status, round(c.high, 6))
    ('bound', 0.05)
    >>> salient_cell(">50%", "%").low, salient_cell("−76", "t").value
    (50.0, -76.0)
    >>> salient_cell("W", "t").status, salient_cell("Small", "count").status
    ('withheld', 'missing')
    """
    s = " ".join(text.replace("\u00a0", " ").split())
    low = s.lower()
    if _HALF_UNIT.match(low):
        return Cell(math.nan, "bound", low=0.0, high=0.5, text=text)
    m = _LESS_THAN.match(low)
    if m:
        src, scale = ("t", 1.0) if m[2] == "tons" else ("thousand carats", 1e-3)
        try:
            f = factor(src, unit)
        except ValueError as exc:
            raise CellError(f"a bound in {unit}, got {text!r}") from exc
        high = float(m[1].replace(",", "")) * scale * f
        return Cell(math.nan, "bound", low=0.0, high=high, text=text)
    if low in _QUALITATIVE:
        return Cell(math.nan, "missing", text=text)
    s = s.replace("\u2212", "-")
    if unit == "%" and s.endswith("%"):
        s = s[:-1].rstrip()
    return dataclasses.replace(parse_cell(s), text=text)


def _check_value(cell: Cell, header: Header) -> str | None:
    if header.category in NON_NEGATIVE:
        for v in (cell.value, cell.low, cell.high):
            if not math.isnan(v) and v < 0:
                return f"a non-negative {header.category} figure"
    if header.category == "net_import_reliance":
        for v in (cell.value, cell.low, cell.high):
            if not math.isnan(v) and v > 100:
                return "a net import reliance of at most 100 % (E marks a net exporter)"
    return None


# --------------------------------------------------------------------------- the readers


def mineral_of_file(path: Path) -> tuple[int, str, str]:
    """Edition, USGS code and mineral id from a salient file name.

    Examples
    --------
    >>> mineral_of_file(Path("mcs2023tellu_salient.csv"))
    (2023, 'tellu', 'tellurium')
    >>> mineral_of_file(Path("lithium_mcs2022-lithi_salient.csv"))
    (2022, 'lithi', 'lithium')
    """
    m = _FILE_NAME.search(path.name)
    if not m:
        raise ValueError("a file name like mcs2024-<code>_salient.csv")
    code = m[2].lower()
    if code not in USGS_CODES:
        raise ValueError(
            f"a USGS commodity code of critmin.data.catalogue.USGS_CODES, not {code!r}"
        )
    return int(m[1]), code, USGS_CODES[code]


def read_salient(path: Path, root: Path, *, validate: bool = True) -> pd.DataFrame:
    """Read one USGS MCS salient-statistics CSV into the long ``salient`` table.

    Parameters
    ----------
    path
        The CSV file.
    root
        The raw-data root; ``file`` in the output is ``path`` relative to it.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`: mineral, commodity, year, variable, category, value, unit,
        status, low, high, source, edition, file, row, column, cell; one row per (year,
        variable). ``attrs["notes"]`` lists columns left out and headers corrected.

    Raises
    ------
    UnusableFileError
        When the file is a world-production file or its data are shifted against the header.
    DataError
        Naming file, row, field and what was expected, for every problem of the file at once.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = Path(d) / "mcs2024-lithi_salient.csv"
    ...     _ = p.write_bytes(
    ...         b"\\xef\\xbb\\xbfDataSource,Commodity,Year,USprod_t,NIR_pct,\\r\\n"
    ...         b'MCS2024,Lithium,2023,W,>25,\\r\\n,,,,,\\r\\n'
    ...     )
    ...     df = read_salient(p, Path(d))
    >>> df[["mineral", "year", "variable", "unit", "status", "value", "low", "row", "cell"]]
       mineral  year variable unit    status  value   low  row cell
    0  lithium  2023   USprod    t  withheld    NaN   NaN    2    W
    1  lithium  2023      NIR    %     bound    NaN  25.0    2  >25
    """
    rel, records = read_csv_records(path, root)
    header = [h.replace("\ufeff", "") for h in records[0][1]]
    names = [h.strip() for h in header]
    lowered = [n.lower() for n in names]
    if lowered[:3] == ["source", "country", "type"]:
        raise UnusableFileError(
            [
                Problem(
                    rel,
                    1,
                    names[0],
                    "a salient-statistics header (DataSource, Commodity, Year, ...); this is a "
                    "world-production file (Source, Country, Type, ...) saved under a salient name",
                    ",".join(names[:4]),
                )
            ]
        )
    try:
        edition, code, mineral = mineral_of_file(path)
    except ValueError as exc:
        raise fail(rel, None, None, str(exc), path.name) from exc

    problems: list[Problem] = []
    index: dict[str, int] = {}
    for key in ("datasource", "commodity", "year"):
        if key in lowered:
            index[key] = lowered.index(key)
        elif key != "datasource":
            label = key.capitalize()
            problems.append(
                Problem(rel, 1, label, f"a {label!r} column in the header", ",".join(names))
            )
    if problems:
        raise DataError(problems)

    data = [(line, cells) for line, cells in records[1:] if not _blank(cells)]
    fixed = set(index.values())
    value_cols = [j for j in range(len(names)) if j not in fixed]

    # Figures under an empty header mean the columns are shifted: the file is unusable.
    for j in value_cols:
        if names[j]:
            continue
        for line, cells in data:
            if j < len(cells) and cells[j].strip():
                raise UnusableFileError(
                    [
                        Problem(
                            rel,
                            line,
                            f"column {j + 1} (no header)",
                            "no figures under a column without a header: the data are shifted "
                            "against the header",
                            cells[j],
                        )
                    ]
                )
    named = [j for j in value_cols if names[j]]
    glued_file = sum(_has_proper_token(names[j]) for j in named) * 2 < len(named)

    headers: dict[int, Header] = {}
    notes: list[str] = []
    seen_raw: dict[str, int] = {}
    seen_var: dict[str, int] = {}
    for j in named:
        occurrence = seen_raw.get(names[j], 0)
        seen_raw[names[j]] = occurrence + 1
        try:
            h = parse_header(header[j], code, glued_file=glued_file, occurrence=occurrence)
        except ValueError as exc:
            problems.append(Problem(rel, 1, names[j], str(exc), names[j]))
            continue
        if h.unit is None:
            notes.append(f"{rel}: column {names[j]!r} left out: {h.note}")
            continue
        if h.note:
            notes.append(f"{rel}: column {names[j]!r} read as {h.variable!r} in {h.unit}: {h.note}")
        n = seen_var.get(h.variable, 0) + 1
        seen_var[h.variable] = n
        if n > 1:
            h = dataclasses.replace(h, variable=f"{h.variable} ({n})")
        headers[j] = h

    out: list[dict[str, object]] = []
    years: dict[int, int] = {}
    expected_source = f"MCS{edition}"
    for line, cells in data:
        if len(cells) > len(header) and not _blank(cells[len(header) :]):
            problems.append(
                Problem(rel, line, None, f"at most {len(header)} cells, as in the header")
            )
        year_text = _at(cells, index["year"]).strip()
        if not _YEAR.match(year_text) or not 1900 <= int(year_text) <= 2100:
            problems.append(
                Problem(rel, line, names[index["year"]], "an integer year such as 2023", year_text)
            )
            continue
        year = int(year_text)
        if year in years:
            problems.append(
                Problem(
                    rel,
                    line,
                    names[index["year"]],
                    f"one row per year; {year} is also on row {years[year]}",
                    year_text,
                )
            )
            continue
        years[year] = line
        if "datasource" in index:
            src = _at(cells, index["datasource"]).strip()
            if src and src.upper() != expected_source:
                problems.append(
                    Problem(rel, line, names[index["datasource"]], expected_source, src)
                )
        commodity = _at(cells, index["commodity"]).strip()
        if not commodity:
            problems.append(Problem(rel, line, names[index["commodity"]], "a commodity name"))
            continue
        for j, h in headers.items():
            text = _at(cells, j)
            try:
                c = salient_cell(text, h.unit or "")
            except CellError:
                problems.append(
                    Problem(
                        rel,
                        line,
                        names[j],
                        "a number, W, NA, E, a bound such as >50 or <1, or a range",
                        text,
                    )
                )
                continue
            bad = _check_value(c, h)
            if bad:
                problems.append(Problem(rel, line, names[j], bad, text))
                continue
            out.append(
                {
                    "mineral": mineral,
                    "commodity": commodity,
                    "year": year,
                    "variable": h.variable,
                    "category": h.category,
                    "value": c.value,
                    "unit": h.unit,
                    "status": c.status,
                    "low": c.low,
                    "high": c.high,
                    "source": f"USGS MCS {edition}",
                    "edition": edition,
                    "file": rel,
                    "row": line,
                    "column": names[j],
                    "cell": text,
                }
            )
    if problems:
        raise DataError(problems)
    df = _frame(out)
    if validate:  # import_salient checks the whole edition once instead
        check(df, "salient", where=rel)
    df.attrs["notes"] = notes
    return df


def _frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    for col in ("year", "edition", "row"):
        df[col] = df[col].astype("int64")
    for col in ("value", "low", "high"):
        df[col] = df[col].astype("float64")
    return df


def import_salient(root: Path, edition: int) -> pd.DataFrame:
    """Read every salient file of one edition's folder (see :data:`SALIENT_FOLDERS`).

    Files that are not salient tables (:class:`UnusableFileError`: world-format files saved under a
    salient name, files whose data are shifted against the header) are skipped and logged;
    ``df.attrs["skipped"]`` lists them as ``{"file": ..., "reason": ...}`` dicts, and
    ``df.attrs["notes"]`` the columns left out or corrected. Read the attrs right after the
    call: pandas drops them in many operations. Any other :class:`DataError` propagates.

    Raises
    ------
    DataError
        When the edition has no folder, or a file has bad content.
    """
    # A later release follows the usgs-mcs<edition>-salient layout of 2023 and 2024.
    folder = root / SALIENT_FOLDERS.get(edition, f"usgs-mcs{edition}-salient")
    if not folder.is_dir():
        raise fail(relative_name(folder, root), None, None, "a folder of salient CSV files")
    frames: list[pd.DataFrame] = []
    skipped: list[dict[str, str]] = []
    notes: list[str] = []
    for path in sorted(folder.iterdir(), key=lambda p: p.name.lower()):
        if not path.name.lower().endswith("_salient.csv"):
            continue
        try:
            df = read_salient(path, root, validate=False)
        except UnusableFileError as exc:
            rel = relative_name(path, root)
            log.info("skipped %s: %s", rel, exc)
            skipped.append({"file": rel, "reason": str(exc)})
            continue
        notes.extend(df.attrs.get("notes", []))
        frames.append(df)
    out = pd.concat(frames, ignore_index=True) if frames else _frame([])
    check(out, "salient", where=relative_name(folder, root))
    out.attrs["skipped"] = skipped
    out.attrs["notes"] = notes
    return out
