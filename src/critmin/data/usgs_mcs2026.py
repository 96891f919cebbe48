"""Importer for the USGS Mineral Commodity Summaries 2026 data release (one long file).

From 2026 the USGS publishes every chapter in one long CSV,
``MCS2026_Commodities_Data.csv``: one row per chapter × section × country × statistic ×
year, the unit in its own column, the value as text. Beside it sit the trend tables: net
import reliance (Fig. 2), major import sources with percentage shares (Fig. 3), critical-mineral
end uses (T6) and salient statistics (T7).

:func:`read_long` turns the long file into critmin's tables, with provenance:

* the world sections (``World Mine Production and Reserves``, ``World Refinery Production and
  Capacity`` …) → ``production`` rows (production and capacity for 2024 and 2025, reserves as
  of 2025), converted with pint to the catalogue unit of the mineral;
* ``Salient Statistics—United States`` → ``salient`` rows (2021–2025);
* ``Import Sources`` → ``import_sources`` rows (percentage shares 2021–24 as fractions).

Quirks of the file and how they are handled
-------------------------------------------
* Encoding cp1252 (em dash, accented names), CRLF: read as cp1252 text.
* Chapters are named in capitals (``RARE EARTHS``, ``PLATINUM-GROUP METALS``): the USGS file
  code of the older releases is the first five letters (``raree``, ``plati``) unless
  :data:`CHAPTER_CODES` says otherwise (``SILICON`` → ``simet``); the code then gives the
  mineral id (:data:`~critmin.data.catalogue.USGS_CODES`) and the stage rules
  (:data:`~critmin.data.catalogue.USGS_TYPE_RULES`, applied to ``Statistics_detail``).
* ``World total`` rows carry ``: rounded`` in the detail; it is dropped from the product.
* The latest year (2025) of production and capacity is a USGS estimate, as are figures whose
  note says ``Estimated.``; a note ``Reported.`` wins.
* ``s`` is a placeholder whose meaning sits in the note: "Less than ½ unit." (a bound
  0–0.5), "Included in World total." / "included with ilmenite" (``included_elsewhere``),
  otherwise missing. ``—`` is zero (the MCS abbreviation; the per-commodity files of
  2022–2025 wrote 0 in the same cells). ``?1`` (a minus sign lost in the cp1252 export of
  the government-stockpile shipments) is kept as missing, never guessed. "Moderate" is
  qualitative, "Variable …" missing.
* Units are words (``thousand metric tons``, ``dollars per pound``): :data:`UNIT_WORDS`. A
  salient price in a unit critmin has no string for (USD per carat, an index) is left out and
  listed in ``attrs["notes"]``.
* Two products may share a chapter and a statistic name (mica: scrap and flake, then sheet): the
  second series of the same name gets `` (2)`` appended, as in the older salient importer.
* Salient statistics are sometimes worded differently from the 2022–2025 files
  (``Imports_Gallium arsenide wafers (gross weight)`` for ``Imports_GaAs``,
  ``USprod_Mineral concentrates`` for ``USprod_Concentrate``). :data:`SALIENT_NAMES`
  (``reference/mcs2026_salient_names.csv``) maps such a name to the older one where both denote
  the same statistic — same unit and category, and the overlapping years 2021–2022 agree within
  2 % (the ``check`` column lists them), or the product is described in the same words and
  MCS 2026 revised the overlap (tantalite per kg Ta2O5: 2022 214 → 196 USD/kg; the check
  says so) — so that one statistic is one series across editions;
  its ``commodity`` column, when set, limits a row to one product of a chapter whose products
  share a statistic name (titanium sponge metal and TiO2 pigment are both "Price").
  A name whose older counterpart means something else is left as it is (the 2022–2025 lead
  file's variable names do not match their values, so lead is not mapped).

Bad input is refused with a :class:`~critmin.data.errors.DataError` naming file, row and field:
a missing column, an unknown section, a unit that changes inside one statistic, a duplicate
country-year, an unparseable value, a country larger than its world total.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from critmin.data.catalogue import USGS_CODES, basis_for, classify_usgs_type, mineral
from critmin.data.cells import Cell, CellError, parse_cell
from critmin.data.countries import Entity, resolve
from critmin.data.errors import DataError, Problem, fail
from critmin.data.files import file_label, read_csv_records
from critmin.data.schema import PROVENANCE_COLUMNS, TABLES, check
from critmin.data.units import factor
from critmin.data.usgs_salient import NON_NEGATIVE, salient_cell
from critmin.data.usgs_trends import (
    mineral_for_label,
    read_critical_salient,
    read_end_uses,
    read_net_import_reliance,
)

#: Columns of the long file that the importer needs.
LONG_COLUMNS = (
    "MCS chapter",
    "Section",
    "Commodity",
    "Country",
    "Statistics",
    "Statistics_detail",
    "Unit",
    "Year",
    "Value",
    "Notes",
)
SALIENT_SECTION = "salient statistics—united states"
IMPORT_SECTION = "import sources"
_WORLD_SECTION = re.compile(r"^world\b.*\b(production|capacity|reserves)\b", re.IGNORECASE)
_LONG_FILE = re.compile(r"^mcs(?P<edition>\d{4})_commodities_data\.csv$", re.IGNORECASE)
_FIG3_FILE = re.compile(r"^mcs(?P<edition>\d{4})_fig3_major_import_sources\.csv$", re.IGNORECASE)
_PERIOD_COL = re.compile(r"^import_source_(?P<a>\d{4})_(?P<b>\d{2,4})$", re.IGNORECASE)
_ROUNDED = re.compile(r"[:,]\s*rounded\s*$", re.IGNORECASE)
_LOST_SIGN = re.compile(r"^\?\d[\d,.]*$")

#: Unit words of the long file → (critmin unit, multiplier); None = no critmin unit string.
UNIT_WORDS: dict[str, tuple[str, float] | None] = {
    "metric tons": ("t", 1.0),
    "tons": ("t", 1.0),
    "thousand metric tons": ("kt", 1.0),
    "thousand metric dry tons": ("kt", 1.0),
    "million metric tons": ("Mt", 1.0),
    "kilograms": ("kg", 1.0),
    "million carats": ("million carats", 1.0),
    "thousands of carats": ("thousand carats", 1.0),
    "million cubic meters": ("million m3", 1.0),
    "million liters": ("million m3", 1e-3),
    "percent": ("%", 1.0),
    "number": ("count", 1.0),
    "dollars per metric ton": ("USD/t", 1.0),
    "dollars per ton": ("USD/t", 1.0),
    "dollars per kilogram": ("USD/kg", 1.0),
    "dollars per gram": ("USD/g", 1.0),
    "dollars per 10-grams": ("USD/g", 0.1),
    "dollars per 25 grams": ("USD/g", 1 / 25),
    "dollars per 50 grams": ("USD/g", 1 / 50),
    "dollars per pound": ("USD/lb", 1.0),
    "cents per pound": ("USc/lb", 1.0),
    "dollars per troy ounce": ("USD/troy oz", 1.0),
    "dollars per short ton": ("USD/short ton", 1.0),
    "million dollars": ("million USD", 1.0),
    "dollars per carat": None,
    # Tungsten concentrate (per mtu of WO3); critmin.data.prices converts it to t W content.
    "dollars per dry metric ton unit": ("USD/mtu", 1.0),
    "dollars per 100 milliliters": None,
    "dollars per 100 mililiters": None,
    "index": None,
    "": None,
}

#: Chapters whose older-release file code is not their first five letters.
CHAPTER_CODES: dict[str, str] = {
    "SILICON": "simet",
    "TITANIUM MINERAL CONCENTRATES": "timin",
    "TITANIUM AND TITANIUM DIOXIDE": "titan",
    "IRON ORE": "feore",
    "IRON AND STEEL": "feste",
    "IRON AND STEEL SCRAP": "fescr",
    "IRON AND STEEL SLAG": "fesla",
    "IRON OXIDE PIGMENTS": "fepig",
    "MAGNESIUM METAL": "mgmet",
    "MAGNESIUM COMPOUNDS": "mgcomp",
    "SAND AND GRAVEL (CONSTRUCTION)": "sandc",
    "SAND AND GRAVEL (INDUSTRIAL)": "sandi",
    "STONE (CRUSHED)": "stonc",
    "STONE (DIMENSION)": "stond",
    "QUARTZ CRYSTAL (INDUSTRIAL)": "quartz",
}

#: Commodities of a chapter that are another substance than the chapter's mineral.
COMMODITY_MINERALS: dict[str, tuple[str, str | None]] = {
    "krypton": ("krypton", None),
    "neon": ("neon", None),
    "xenon": ("xenon", None),
    "tio2 pigment": ("titanium_dioxide_pigment", "refine"),
}

#: Salient statistics → (variable prefix, category); the prefixes of the older releases.
STATISTICS: dict[str, tuple[str, str]] = {
    "production": ("USprod", "production"),
    "import": ("Imports", "imports"),
    "export": ("Exports", "exports"),
    "consumption": ("Consump", "consumption"),
    "price": ("Price", "price"),
    "stock": ("Stocks", "stocks"),
    "net import reliance": ("NIR", "net_import_reliance"),
    "employment": ("Employment", "employment"),
    "shipment": ("Shipments", "shipments"),
}


def _salient_names() -> tuple[dict[tuple[str, str], str], dict[tuple[str, str, str], str]]:
    path = resources.files("critmin.data") / "reference" / "mcs2026_salient_names.csv"
    rows = list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))
    any_commodity = {
        (r["mineral"], r["mcs2026_variable"]): r["variable"] for r in rows if not r["commodity"]
    }
    by_commodity = {
        (r["mineral"], r["mcs2026_variable"], r["commodity"]): r["variable"]
        for r in rows
        if r["commodity"]
    }
    return any_commodity, by_commodity


#: (mineral, MCS 2026 salient variable) → the 2022–2025 name of the same statistic
#: (``reference/mcs2026_salient_names.csv``, checked on the overlapping years; see the
#: module docstring). :data:`SALIENT_NAMES_BY_COMMODITY` holds the rows whose ``commodity``
#: column is set, for a chapter whose products share one statistic name (titanium: sponge
#: metal and TiO2 pigment are both "Price"); it is looked up first.
SALIENT_NAMES, SALIENT_NAMES_BY_COMMODITY = _salient_names()


def older_name(mineral: str, variable: str, commodity: str) -> str:
    """The 2022–2025 name of an MCS 2026 salient statistic (itself when it has none).

    Examples
    --------
    >>> older_name("titanium", "Price", "Titanium sponge metal")
    'Price_Sponge'
    >>> older_name("titanium", "Price", "TiO2 pigment")
    'Price_Dioxide'
    >>> older_name("arsenic", "Price", "Arsenic"), older_name("gallium", "Price", "Gallium")
    ('Price_Mtl_US', 'Price')
    """
    key = (mineral, variable)
    return SALIENT_NAMES_BY_COMMODITY.get((*key, commodity), SALIENT_NAMES.get(key, variable))


IMPORT_SOURCES_COLUMNS: tuple[str, ...] = (
    *(c.name for c in TABLES["import_sources"]),
    *PROVENANCE_COLUMNS,
)
_SALIENT_COLUMNS: tuple[str, ...] = (*(c.name for c in TABLES["salient"]), *PROVENANCE_COLUMNS)


@dataclass(frozen=True)
class Chapter:
    """A chapter of the long file: its older-release file code and default mineral id."""

    name: str
    code: str
    mineral: str


def chapter(name: str) -> Chapter:
    """The file code and mineral id of a chapter of the long file.

    Examples
    --------
    >>> chapter("RARE EARTHS")
    Chapter(name='RARE EARTHS', code='raree', mineral='rare_earths')
    >>> chapter("SILICON").mineral, chapter("PLATINUM-GROUP METALS").mineral
    ('silicon', 'platinum')
    >>> chapter("CESIUM").mineral
    'cesium'
    """
    clean = " ".join(name.split()).upper()
    head = re.sub(r"\(.*?\)", "", clean)
    code = CHAPTER_CODES.get(clean) or re.sub(r"[^a-z]", "", head.lower())[:5]
    if code in USGS_CODES:
        return Chapter(clean, code, USGS_CODES[code])
    # A chapter the older releases did not have: a snake_case id of its head words.
    return Chapter(clean, code, "_".join(re.findall(r"[a-z0-9]+", head.lower())) or code)


def unit_of(words: str) -> tuple[str, float] | None:
    """critmin unit and multiplier for a unit of the long file; None when it has none.

    Raises
    ------
    KeyError
        For unit words the importer does not know.

    Examples
    --------
    >>> unit_of("thousand metric tons"), unit_of(" thousands of carats")
    (('kt', 1.0), ('thousand carats', 1.0))
    >>> unit_of("dollars per carat") is None
    True
    """
    return UNIT_WORDS[" ".join(words.split()).lower()]


def _note_parts(note: str) -> list[str]:
    return [p.strip() for p in note.split(" -- ") if p.strip()]


def long_cell(text: str, note: str, unit: str, *, estimated: bool) -> Cell:
    """Parse a value of the long file, reading the note where the value is a placeholder.

    Examples
    --------
    >>> c = long_cell("s", "Estimated. -- Less than ½ unit.", "t", estimated=True)
    >>> (c.status, c.high)
    ('bound', 0.5)
    >>> long_cell("s", "Included in “World total.”", "t", estimated=False).status
    'included_elsewhere'
    >>> long_cell("?1", "", "t", estimated=False).status
    'missing'
    >>> long_cell("Moderate", "", "t", estimated=False).status
    'qualitative'
    >>> long_cell("1,100", "", "t", estimated=True).status
    'estimated'
    >>> long_cell("—", "", "t", estimated=False).value
    0.0
    """
    s = " ".join(text.replace("\u00a0", " ").split())
    low = s.lower()
    if low == "s":
        for part in _note_parts(note):
            p = part.lower().replace("½unit", "½ unit").replace("“", "").replace("”", "")
            if re.search(r"\bincluded (in|with)\b", p):
                return Cell(math.nan, "included_elsewhere", text=text)
            if p.startswith("less than"):
                try:
                    c = salient_cell(part.replace("½unit", "½ unit"), unit)
                except CellError:
                    continue
                return Cell(c.value, c.status, c.low, c.high, text=text)
        return Cell(math.nan, "missing", text=text)
    if s == "\u2014":
        # "—" is the MCS abbreviation for zero; the per-commodity files of 2022-2025 wrote 0
        # in the same cells (US tin mine production: 0 in MCS 2024, "—" in MCS 2026).
        return Cell(0.0, "estimated" if estimated else "reported", text=text)
    if _LOST_SIGN.match(s):
        return Cell(math.nan, "missing", text=text)
    if low in ("moderate", "moderate to large"):
        return Cell(math.nan, "qualitative", text=text)
    if low.startswith("variable"):
        return Cell(math.nan, "missing", text=text)
    c = parse_cell(s, estimated=estimated)
    return Cell(c.value, c.status, c.low, c.high, text=text)


def edition_of(path: Path, pattern: re.Pattern[str]) -> int:
    """The edition year in a release file name (``MCS2026_Commodities_Data.csv`` → 2026)."""
    m = pattern.match(path.name)
    if not m:
        raise fail(path.as_posix(), None, None, "a file named like MCS2026_Commodities_Data.csv")
    return int(m["edition"])


def _group_entity(name: str) -> Entity | None:
    """A list of countries named in one cell ("China, Germany, and Russia"): an aggregate."""
    parts = [p.strip() for p in re.split(r",\s*(?:and\s+)?|\s+and\s+", name) if p.strip()]
    if len(parts) < 2:
        return None
    for p in parts:
        e = resolve(p)
        if e is None or e.kind != "country":
            return None
    return Entity(" ".join(name.split()), "region", None)


def _entity(name: str) -> Entity | None:
    return resolve(name) or _group_entity(name)


def _estimated(note: str, year: int, edition: int, measure: str) -> bool:
    parts = [p.lower() for p in _note_parts(note)]
    if "reported." in parts:
        return False
    if "estimated." in parts or any(p.startswith("estimated") for p in parts):
        return True
    # The latest year of a release's production and capacity is an estimate ("e" in MCS).
    return measure != "reserves" and year >= edition - 1


def _product(detail: str) -> str:
    base = _ROUNDED.sub("", " ".join(detail.split())).strip()
    return base[:1].upper() + base[1:].lower() if base else base


class _Reader:
    """State of one pass over the long file: rows out, problems, series seen."""

    def __init__(self, rel: str, edition: int) -> None:
        self.rel = rel
        self.edition = edition
        self.source = f"USGS MCS {edition}"
        self.problems: list[Problem] = []
        self.notes: list[str] = []
        self.production: list[dict[str, object]] = []
        self.salient: list[dict[str, object]] = []
        self.imports: list[dict[str, object]] = []
        self.units: dict[tuple[str, ...], tuple[str, int, str]] = {}
        self.keys: dict[tuple[str, ...], int] = {}
        self.occurrence: dict[tuple[object, ...], int] = {}
        self.skipped_units: set[tuple[str, str]] = set()

    def problem(self, line: int, fld: str, expected: str, got: str = "") -> None:
        self.problems.append(Problem(self.rel, line, fld, expected, got))

    def same_unit(self, key: tuple[str, ...], unit: str, line: int, words: str) -> bool:
        words = " ".join(words.split())
        first = self.units.setdefault(key, (unit, line, words))
        if first[0] != unit:
            self.problem(line, "Unit", f"{first[2]!r} as on row {first[1]} "
                         "(one unit per statistic)", words)  # fmt: skip
            return False
        return True

    def unique(self, key: tuple[str, ...], line: int, got: str) -> bool:
        first = self.keys.setdefault(key, line)
        if first != line:
            self.problem(line, "Country", f"one row per country and year; also on row {first}",
                         got)  # fmt: skip
            return False
        return True


def _year(r: _Reader, line: int, text: str) -> int | None:
    t = text.strip()
    if re.fullmatch(r"\d{4}", t) and 1900 <= int(t) <= 2100:
        return int(t)
    r.problem(line, "Year", "a year such as 2025", text)
    return None


def _world_row(r: _Reader, line: int, c: dict[str, str], ch: Chapter) -> None:
    stat = c["Statistics"].strip().lower()
    measure = {"production": "production", "capacity": "capacity", "reserves": "reserves"}.get(stat)
    if measure is None:
        r.problem(line, "Statistics", "Production, Capacity or Reserves in a world section",
                  c["Statistics"])  # fmt: skip
        return
    year = _year(r, line, c["Year"])
    entity = _entity(c["Country"])
    if entity is None:
        r.problem(line, "Country", "a country or aggregate name", c["Country"])
        return
    if year is None:
        return
    product = _product(c["Statistics_detail"])
    series = (ch.name, c["Section"].strip(), c["Commodity"].strip().lower(), stat, product)
    try:
        unit_f = unit_of(c["Unit"])
    except KeyError:
        r.problem(line, "Unit", f"a unit of {sorted(u for u in UNIT_WORDS if u)}", c["Unit"])
        return
    if unit_f is None:
        r.problem(line, "Unit", "a quantity unit for a world figure", c["Unit"])
        return
    if not r.same_unit(series, unit_f[0], line, c["Unit"]):
        return
    if not r.unique((*series, entity.name, str(year)), line, c["Country"]):
        return
    note = " ".join(c["Notes"].split())
    est = _estimated(note, year, r.edition, measure)
    unit, mult = unit_f
    try:
        cell = long_cell(c["Value"], note, unit, estimated=est)
    except CellError:
        r.problem(line, "Value", "a number, W, NA, a bound such as >50, or a range", c["Value"])
        return
    if cell.status == "net_exporter":
        r.problem(line, "Value", "a quantity, not 'E'", c["Value"])
        return
    if any(not math.isnan(v) and v < 0 for v in (cell.value, cell.low, cell.high)):
        r.problem(line, "Value", "a non-negative quantity", c["Value"])
        return
    rule = classify_usgs_type(ch.code, c["Statistics_detail"])
    mid = rule.mineral or ch.mineral
    stage = stage_of(c["Statistics_detail"], measure, mid, rule.stage, rule.pattern == ".*")
    special = COMMODITY_MINERALS.get(c["Commodity"].strip().lower())
    if special is not None:
        mid, stage = special[0], special[1] or stage
    try:
        target = mineral(mid).unit
        f = mult * factor(unit, target)
        unit = target
    except (KeyError, ValueError):
        f = mult
    r.production.append(
        {
            "mineral": mid,
            "stage": stage,
            "measure": measure,
            "product": rule.product or product,
            "basis": rule.basis or basis_for(mid, stage) or product,
            "entity": entity.name,
            "entity_kind": entity.kind,
            "country": entity.iso3,
            "year": year,
            "value": cell.value * f,
            "unit": unit,
            "status": cell.status,
            "low": cell.low * f,
            "high": cell.high * f,
            "source": r.source,
            "edition": r.edition,
            "note": note or None,
            "file": r.rel,
            "row": line,
            "column": "Value",
            "cell": c["Value"],
        }
    )


def stage_of(detail: str, measure: str, mid: str, ruled: str, catch_all: bool) -> str:
    """The stage of a world row whose detail the catalogue's type rules may not place.

    The long file's details are shorter than the older releases' Type labels ("Reserves",
    "Production capacity"). A detail naming the refinery is the refine stage even when it
    also says "concentrate"; reserves are in the ground (mine); otherwise a detail no rule
    places takes the catalogue mineral's only stage (gallium capacity is refine capacity).

    Examples
    --------
    >>> stage_of("Production capacity", "capacity", "gallium", "mine", True)
    'refine'
    >>> stage_of("Refinery production: concentrate", "production", "tellurium", "mine", False)
    'refine'
    >>> stage_of("Reserves", "reserves", "indium", "mine", True)
    'mine'
    """
    if detail.strip().lower().startswith("refinery"):
        return "refine"
    if measure == "reserves" or not catch_all:
        return "mine" if measure == "reserves" else ruled
    stages = [st for st in ("mine", "refine") if basis_for(mid, st)]
    return stages[0] if len(stages) == 1 else ruled


def salient_variable(statistics: str, detail: str) -> tuple[str, str]:
    """Variable name and category of a salient row, in the older releases' naming.

    The prefix comes from the statistic (``Production`` → ``USprod``), the qualifier from the
    detail after its first colon, so ``Production: Mine`` is ``USprod_Mine`` as in the
    2022–2024 salient files and revisions line up across editions.

    Examples
    --------
    >>> salient_variable("Production", "Production: Mine")
    ('USprod_Mine', 'production')
    >>> salient_variable("Import", "Imports for consumption")
    ('Imports', 'imports')
    >>> salient_variable("Net import reliance",
    ...                  "Net import reliance as a percentage of apparent consumption")
    ('NIR', 'net_import_reliance')
    >>> salient_variable("Sold or used", "Sold or used")
    ('Sold_or_used', 'other')
    """
    key = " ".join(statistics.split()).lower()
    prefix, category = STATISTICS.get(key, ("_".join(statistics.split()), "other"))
    d = " ".join(detail.split())
    qualifier = d.split(":", 1)[1].strip() if ":" in d else ""
    return (f"{prefix}_{qualifier}" if qualifier else prefix), category


def _salient_row(r: _Reader, line: int, c: dict[str, str], ch: Chapter) -> None:
    year = _year(r, line, c["Year"])
    if year is None:
        return
    variable, category = salient_variable(c["Statistics"], c["Statistics_detail"])
    commodity = " ".join(c["Commodity"].split())
    try:
        unit_f = unit_of(c["Unit"])
    except KeyError:
        r.problem(line, "Unit", f"a unit of {sorted(u for u in UNIT_WORDS if u)}", c["Unit"])
        return
    if unit_f is None:
        key = (commodity, f"{c['Statistics_detail'].strip()} ({c['Unit'].strip() or 'no unit'})")
        if key not in r.skipped_units:
            r.skipped_units.add(key)
            r.notes.append(f"{r.rel}: {key[0]} {key[1]!r} left out: no critmin unit string")
        return
    series = (ch.name, "salient", commodity.lower(), variable)
    n = r.occurrence.get((*series, year), 0) + 1
    r.occurrence[(*series, year)] = n
    if n > 1:  # a second product of the chapter under the same name (mica)
        variable = f"{variable} ({n})"
        series = (*series[:3], variable)
    # The 2022-2025 name of the same statistic, so that editions line up (SALIENT_NAMES).
    variable = older_name(ch.mineral, variable, commodity)
    if not r.same_unit(series, unit_f[0], line, c["Unit"]):
        return
    note = " ".join(c["Notes"].split())
    unit, mult = unit_f
    try:
        cell = long_cell(c["Value"], note, unit, estimated=_estimated(note, year, r.edition, ""))
    except CellError:
        r.problem(line, "Value", "a number, W, NA, E, a bound such as >50, or a range",
                  c["Value"])  # fmt: skip
        return
    vals = [v for v in (cell.value, cell.low, cell.high) if not math.isnan(v)]
    if category in NON_NEGATIVE and any(v < 0 for v in vals):
        r.problem(line, "Value", f"a non-negative {category} figure", c["Value"])
        return
    if category == "net_import_reliance" and any(v > 100 for v in vals):
        r.problem(line, "Value", "a net import reliance of at most 100 % (E marks a net "
                  "exporter)", c["Value"])  # fmt: skip
        return
    r.salient.append(
        {
            "mineral": ch.mineral,
            "commodity": commodity,
            "year": year,
            "variable": variable,
            "category": category,
            "value": cell.value * mult,
            "unit": unit,
            "status": cell.status,
            "low": cell.low * mult,
            "high": cell.high * mult,
            "source": r.source,
            "edition": r.edition,
            "file": r.rel,
            "row": line,
            "column": "Value",
            "cell": c["Value"],
        }
    )


def _share_row(
    r: _Reader,
    line: int,
    *,
    mid: str,
    commodity: str,
    product: str | None,
    name: str,
    text: str,
    period: str,
    fld: str,
) -> None:
    entity = _entity(name)
    if entity is None:
        r.problem(line, "Country" if fld == "Value" else fld, "a country or aggregate name", name)
        return
    try:
        cell = parse_cell(text)
    except CellError:
        r.problem(line, fld, "a percentage, >99 or <1", text)
        return
    vals = [v for v in (cell.value, cell.low, cell.high) if not math.isnan(v)]
    if cell.status == "net_exporter" or any(v < 0 or v > 100 for v in vals):
        r.problem(line, fld, "a percentage between 0 and 100", text)
        return
    r.imports.append(
        {
            "mineral": mid,
            "commodity": commodity,
            "product": product,
            "entity": entity.name,
            "entity_kind": entity.kind,
            "country": entity.iso3,
            "period": period,
            "share": cell.value / 100,
            "status": cell.status,
            "low": cell.low / 100,
            "high": cell.high / 100,
            "source": r.source,
            "edition": r.edition,
            "file": r.rel,
            "row": line,
            "column": fld,
            "cell": text,
        }
    )


def _import_row(r: _Reader, line: int, c: dict[str, str], ch: Chapter) -> None:
    m = re.fullmatch(r"(\d{4})\s*[–—-]\s*(\d{2,4})", c["Year"].strip())
    if not m:
        r.problem(line, "Year", "a period such as 2021–24", c["Year"])
        return
    if " ".join(c["Unit"].split()).lower() != "percent":
        r.problem(line, "Unit", "percent", c["Unit"])
        return
    product = " ".join(c["Statistics_detail"].split()) or None
    series = (ch.name, "imports", c["Commodity"].strip().lower(), product or "")
    if not r.unique((*series, c["Country"].strip(), c["Year"].strip()), line, c["Country"]):
        return
    _share_row(r, line, mid=ch.mineral, commodity=" ".join(c["Commodity"].split()),
               product=product, name=c["Country"], text=c["Value"],
               period=f"{m[1]}-{m[2]}", fld="Value")  # fmt: skip


def _one_world_total(rows: list[dict[str, object]], notes: list[str]) -> list[dict[str, object]]:
    """One world total per table: where a chapter gives several (soda ash reserves: natural,
    synthetic, and both), keep the one on the countries' basis, else the one with a number.

    The others describe another product than the listed countries and would count as a
    second "World total" row of the same table.
    """

    def key(x: dict[str, object]) -> tuple[object, ...]:
        return (x["mineral"], x["stage"], x["measure"], x["year"])

    bases: dict[tuple[object, ...], set[object]] = {}
    worlds: dict[tuple[object, ...], list[dict[str, object]]] = {}
    for x in rows:
        if x["entity_kind"] == "world":
            worlds.setdefault(key(x), []).append(x)
        else:
            bases.setdefault(key(x), set()).add(x["basis"])
    drop: set[int] = set()
    for k, ws in worlds.items():
        if len(ws) < 2:
            continue
        same = [w for w in ws if w["basis"] in bases.get(k, set())]
        numbered = [w for w in (same or ws) if w["value"] == w["value"]]
        keep = (numbered or same or ws)[0]
        for w in ws:
            if w is not keep:
                drop.add(id(w))
                where = f"{w['file']} row {w['row']}"
                notes.append(
                    f"{where}: a second world total of {k[0]} {k[2]} {k[3]} ({w['basis']}) "
                    f"left out; the table keeps {keep['basis']}"
                )
    return [x for x in rows if id(x) not in drop]


def _check_world_totals(rows: list[dict[str, object]], rel: str) -> list[Problem]:
    """A country larger than its world total is an error (a share over 100 %)."""

    def key(x: dict[str, object]) -> tuple[object, ...]:
        return (x["mineral"], x["stage"], x["measure"], x["product"], x["year"])

    world = {key(x): float(str(x["value"])) for x in rows if x["entity_kind"] == "world"}
    out: list[Problem] = []
    for x in rows:
        w, v = world.get(key(x), math.nan), float(str(x["value"]))
        if x["entity_kind"] == "country" and w > 0 and v > w * 1.05:
            out.append(Problem(rel, int(str(x["row"])), "Value",
                               f"at most the world total {w:g} (a share of at most 100 %)",
                               str(x["cell"])))  # fmt: skip
    return out


def _check_shares(rows: list[dict[str, object]], rel: str) -> list[Problem]:
    """Import shares of one commodity may not sum above 100 % (+2 points of rounding)."""
    sums: dict[tuple[object, ...], tuple[float, int, str]] = {}
    for x in rows:
        k = (x["mineral"], x["commodity"], x["product"], x["period"])
        v = float(str(x["share"]))
        total, line, col = sums.get(k, (0.0, int(str(x["row"])), str(x["column"])))
        sums[k] = (total + (0.0 if math.isnan(v) else v), line, col)
    return [
        Problem(rel, line, col, "import shares summing to at most 100 %", f"{total:.0%}")
        for (total, line, col) in sums.values()
        if total > 1.02
    ]


def _frame(rows: list[dict[str, object]], columns: tuple[str, ...]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(columns))
    for col in ("year", "edition", "row"):
        if col in df:
            df[col] = df[col].astype("int64")
    for col in ("value", "low", "high", "share"):
        if col in df:
            df[col] = df[col].astype("float64")
    return df


def read_long(path: Path, root: Path | None = None) -> dict[str, pd.DataFrame]:
    """Read ``MCS<edition>_Commodities_Data.csv`` into ``production``, ``salient`` and
    ``import_sources`` rows with provenance.

    Parameters
    ----------
    path
        The long CSV file (cp1252).
    root
        The raw-data root; ``file`` in the provenance is relative to it.

    Returns
    -------
    dict of pandas.DataFrame
        ``production``, ``salient`` and ``import_sources``, each with the provenance columns
        ``file``, ``row`` (1-based physical line), ``column`` (``Value``) and ``cell``.
        ``salient.attrs["notes"]`` lists series left out (no critmin unit string).

    Raises
    ------
    DataError
        Naming file, row and field for every problem of the file at once: a missing column,
        an unknown section, a unit changing inside one statistic, a duplicate country-year,
        an unknown country, a value that is not a figure, a country above its world total.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> head = ",".join(LONG_COLUMNS) + "\\r\\n"
    >>> w = "COBALT,World Mine Production and Reserves,Cobalt,"
    >>> _ = (d / "MCS2026_Commodities_Data.csv").write_bytes((head
    ...     + w + "Congo (Kinshasa),Production,Mine production,metric tons,2025,\\"230,000\\","
    ...     + "Estimated.\\r\\n"
    ...     + w + "World total,Production,Mine production: rounded,metric tons,2025,"
    ...     + "\\"310,000\\",Estimated.\\r\\n").encode("cp1252"))
    >>> t = read_long(d / "MCS2026_Commodities_Data.csv", d)
    >>> t["production"][["mineral", "stage", "entity", "year", "value", "status", "row"]]
      mineral stage       entity  year     value     status  row
    0  cobalt  mine  Congo (Kinshasa)  2025  230000.0  estimated    2
    1  cobalt  mine  World total  2025  310000.0  estimated    3
    """
    rel, records = read_csv_records(path, root, encoding="cp1252")
    edition = edition_of(path, _LONG_FILE)
    header = [h.strip() for h in records[0][1]]
    missing = [col for col in LONG_COLUMNS if col not in header]
    if missing:
        raise DataError(
            [Problem(rel, 1, col, "a column of the MCS long file", ",".join(header))
             for col in missing]
        )  # fmt: skip
    idx = {col: header.index(col) for col in LONG_COLUMNS}
    r = _Reader(rel, edition)
    for line, cells in records[1:]:
        if not any(x.strip() for x in cells):
            continue
        c = {col: (cells[j] if j < len(cells) else "") for col, j in idx.items()}
        section = " ".join(c["Section"].split()).lower()
        if not c["MCS chapter"].strip():
            r.problem(line, "MCS chapter", "a chapter name")
            continue
        ch = chapter(c["MCS chapter"])
        if section == SALIENT_SECTION.lower():
            _salient_row(r, line, c, ch)
        elif section == IMPORT_SECTION:
            _import_row(r, line, c, ch)
        elif _WORLD_SECTION.match(section):
            _world_row(r, line, c, ch)
        else:
            r.problem(line, "Section", "Salient Statistics—United States, Import Sources or a "
                      "World … section", c["Section"])  # fmt: skip
    r.production = _one_world_total(r.production, r.notes)
    r.problems += _check_world_totals(r.production, rel)
    r.problems += _check_shares(r.imports, rel)
    if r.problems:
        raise DataError(r.problems)
    prod_cols = (*(col.name for col in TABLES["production"]), *PROVENANCE_COLUMNS)
    out = {
        "production": _frame(r.production, prod_cols),
        "salient": _frame(r.salient, _SALIENT_COLUMNS),
        "import_sources": _frame(r.imports, IMPORT_SOURCES_COLUMNS),
    }
    for name, df in out.items():
        check(df, name, where=rel)
    out["salient"].attrs["notes"] = r.notes
    return out


def read_import_sources(path: Path, root: Path | None = None) -> pd.DataFrame:
    """Read ``MCS<edition>_Fig3_Major_Import_Sources.csv`` into ``import_sources`` rows.

    The figure gives, per commodity, the major import sources of 2021–24 with their
    percentage shares (``Other`` for the rest) and the net import reliance. Shares become
    fractions (0–1); the period comes from the column name (``Import_Source_2021_24``).

    Raises
    ------
    DataError
        Naming file, row and field: a missing column, an unknown country, a share outside
        0–100 %, shares of one commodity summing above 100 %.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> p = d / "MCS2026_Fig3_Major_Import_Sources.csv"
    >>> _ = p.write_text("\\ufeffSource,Commodity,Import_Source_2021_24,Percent,NIR,"
    ...     "Critical_Mineral\\r\\nMCS2026,Gallium,Canada,28,100,Y\\r\\n"
    ...     "MCS2026,Gallium,Other,16,100,Y\\r\\n", "utf-8")
    >>> read_import_sources(p, d)[["mineral", "entity", "country", "period", "share"]]
       mineral  entity country   period  share
    0  gallium  Canada     CAN  2021-24   0.28
    1  gallium   Other     NaN  2021-24   0.16
    """
    rel, records = read_csv_records(path, root)
    edition = edition_of(path, _FIG3_FILE)
    header = [h.replace("\ufeff", "").strip() for h in records[0][1]]
    src_j = next((j for j, h in enumerate(header) if _PERIOD_COL.match(h)), None)
    problems = [
        Problem(rel, 1, col, "a column of the import-sources figure", ",".join(header))
        for col in ("Commodity", "Percent")
        if col not in header
    ]
    if src_j is None:
        problems.append(Problem(rel, 1, "Import_Source_<years>", "an import-source column "
                                "named with its years", ",".join(header)))  # fmt: skip
    if problems:
        raise DataError(problems)
    assert src_j is not None
    m = _PERIOD_COL.match(header[src_j])
    assert m is not None
    period = f"{m['a']}-{m['b']}"
    com_j, pct_j = header.index("Commodity"), header.index("Percent")
    r = _Reader(rel, edition)
    for line, cells in records[1:]:
        if not any(x.strip() for x in cells):
            continue
        cells = cells + [""] * (len(header) - len(cells))
        commodity = " ".join(cells[com_j].split())
        if not commodity:
            r.problem(line, "Commodity", "a commodity name")
            continue
        name = cells[src_j].strip()
        if not r.unique((commodity.lower(), name.lower()), line, name):
            continue
        _share_row(r, line, mid=mineral_for_label(commodity), commodity=commodity,
                   product=None, name=name, text=cells[pct_j], period=period,
                   fld="Percent")  # fmt: skip
    r.problems += _check_shares(r.imports, rel)
    if r.problems:
        raise DataError(r.problems)
    df = _frame(r.imports, IMPORT_SOURCES_COLUMNS)
    check(df, "import_sources", where=rel)
    return df


def release_files(folder: Path) -> dict[str, Path]:
    """The files of a long-format release folder by kind (``long``, ``fig2``, ``fig3`` …)."""
    kinds = {
        "long": "_commodities_data.csv",
        "fig2": "_fig2_net_import_reliance.csv",
        "fig3": "_fig3_major_import_sources.csv",
        "salient": "_critical_minerals_salient.csv",
        "end_uses": "_critical_minerals_end_use.csv",
    }
    out: dict[str, Path] = {}
    for p in sorted(folder.iterdir()):
        for kind, tail in kinds.items():
            if p.name.lower().startswith("mcs") and p.name.lower().endswith(tail):
                out[kind] = p
    return out


def import_release(folder: Path, root: Path | None = None) -> dict[str, pd.DataFrame]:
    """Import a long-format MCS release folder (``usgs-mcs2026``): every table it feeds.

    Returns ``production``, ``salient`` and ``import_sources`` from the long file,
    ``import_sources`` from Fig. 3 as well, ``import_reliance`` (Fig. 2),
    ``critical_salient`` (T7) and ``end_uses`` (T6). All problems of all files are reported
    at once.

    Raises
    ------
    DataError
        When the folder holds no long file, or any file has bad content.
    """
    files = release_files(folder)
    root = root if root is not None else folder.parent
    if "long" not in files:
        raise fail(file_label(folder, root), None, None, "an MCS<edition>_Commodities_Data.csv")
    parts: dict[str, list[pd.DataFrame]] = {}
    problems: list[Problem] = []
    notes: list[str] = []
    readers = {
        "long": lambda p: read_long(p, root),
        "fig3": lambda p: {"import_sources": read_import_sources(p, root)},
        "fig2": lambda p: {"import_reliance": read_net_import_reliance(p, root)},
        "salient": lambda p: {"critical_salient": read_critical_salient(p, root)},
        "end_uses": lambda p: {"end_uses": read_end_uses(p, root)},
    }
    for kind, path in files.items():
        try:
            got = readers[kind](path)
        except DataError as err:
            problems.extend(err.problems)
            continue
        for name, df in got.items():
            notes.extend(df.attrs.get("notes", []))
            parts.setdefault(name, []).append(df)
    if problems:
        raise DataError(problems)
    out = {k: pd.concat(v, ignore_index=True) for k, v in parts.items()}
    out["salient"].attrs["notes"] = notes
    return out
