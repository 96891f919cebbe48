"""Importer for the world files of the USGS Mineral Commodity Summaries data releases.

One CSV per commodity (``mcs2024-coppe_world.csv``): production, capacity and reserves by
country, in the 2022, 2023 and 2024 editions' layouts. The unit sits in the column name and
changes between editions (``Prod_kt_2022``, ``Prod_kg_est_2023``, ``Reserves_mt``); ``est``
in a column name marks that year's figures as USGS estimates; footnotes are glued to country
names; ``W``, ``NA``, bounds and quoted thousands appear in number cells. Each quirk is handled
where it occurs (see :mod:`critmin.data.cells` and :mod:`critmin.data.countries`).

Output: tidy rows of the ``production`` table (:mod:`critmin.data.schema`) with the four
provenance columns. Values are converted with pint to the catalogue unit of the mineral.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from critmin.data.catalogue import (
    USGS_CODES,
    CombineRule,
    basis_for,
    classify_usgs_type,
    combine_rule,
    mineral,
)
from critmin.data.cells import CellError, parse_cell
from critmin.data.countries import resolve
from critmin.data.errors import DataError, Problem
from critmin.data.files import read_csv_records
from critmin.data.schema import check
from critmin.data.units import USGS_TOKENS, factor

_FILE = re.compile(r"mcs(?P<edition>\d{4})-?(?P<code>[a-z-]+?)_(?P<kind>world|salient)\.csv$", re.I)
_VALUE_COL = re.compile(
    r"^(?P<measure>Prod|Cap|Reserves)_(?:(?P<product>[A-Za-z0-9_]+?)_)?"
    r"(?P<unit>t|kt|kg|mt|Mt|mmt|mcm|mct|kct)(?:_(?P<est>[Ee]st))?(?:_(?P<year>\d{4}))?$"
)
_NOTE_COL = re.compile(r"^(?P<measure>Prod|Cap|Reserves)_notes?$", re.I)
_ALSO_EST = re.compile(r"estimated in (?P<year>\d{4})|in (?P<year2>\d{4}) also", re.I)
#: A unit named in a Type label, to catch a label that contradicts its column (unit change).
_LABEL_UNIT = (
    (re.compile(r"million metric tons", re.I), "Mt"),
    (re.compile(r"thousand metric tons", re.I), "kt"),
    (re.compile(r"(?<!thousand )(?<!million )metric tons", re.I), "t"),
    (re.compile(r"\bkilograms\b", re.I), "kg"),
)
MEASURES = {"Prod": "production", "Cap": "capacity", "Reserves": "reserves"}

#: Cells of the real releases that are wrong at the source: (edition, code, entity, column).
#: The figure is kept in the provenance, set missing, and the note says why.
ERRATA: dict[tuple[int, str, str, str], str] = {
    (2023, "zinc", "Australia", "Reserves_kt"): (
        "erratum: 1,166,000 kt exceeds the world total of 210,000 kt; USGS revised zinc "
        "reserves for Australia and the world in the MCS 2024 release (revision note 2024-03-06)"
    ),
}


@dataclass(frozen=True)
class ValueColumn:
    """A value column of a world file, parsed from its name."""

    index: int
    name: str
    measure: str
    unit: str
    year: int
    estimated: bool
    product: str


def file_info(path: Path) -> tuple[int, str]:
    """Edition and USGS commodity code from a file name.

    Examples
    --------
    >>> file_info(Path("mcs2024-galli_world.csv"))
    (2024, 'galli')
    >>> file_info(Path("gallium_mcs2022-galli_world.csv"))
    (2022, 'galli')
    >>> file_info(Path("mcs2023-zirco-hafni_world.csv"))
    (2023, 'zirco-hafni')
    """
    m = _FILE.search(path.name)
    if not m:
        raise DataError(
            [Problem(str(path), None, None, "a file named like mcs2024-coppe_world.csv")]
        )
    return int(m["edition"]), m["code"].lower()


def read_rows(path: Path, root: Path | None) -> tuple[str, list[tuple[int, list[str]]]]:
    """The file's provenance label and its non-blank rows with 1-based physical line numbers."""
    label, records = read_csv_records(path, root)
    return label, [(line, rec) for line, rec in records if any(c.strip() for c in rec)]


def _value_columns(header: list[str], edition: int, label: str) -> list[ValueColumn]:
    cols: list[ValueColumn] = []
    for i, raw in enumerate(header):
        name = raw.strip()
        m = _VALUE_COL.match(name)
        if not m:
            if name.startswith(("Prod_", "Cap_", "Reserves_")) and not _NOTE_COL.match(name):
                raise DataError(
                    [Problem(label, 1, name, "a column like Prod_t_2022 or Reserves_kt")]
                )
            continue
        year = int(m["year"]) if m["year"] else edition - 1  # reserves: as of the latest year
        cols.append(
            ValueColumn(
                i,
                name,
                MEASURES[m["measure"]],
                USGS_TOKENS[m["unit"]],
                year,
                m["est"] is not None,
                (m["product"] or "").replace("_", " "),
            )
        )
    if not cols:
        raise DataError([Problem(label, 1, None, "at least one column like Prod_t_2022")])
    return cols


def _note_columns(header: list[str]) -> dict[str, int]:
    notes: dict[str, int] = {}
    for i, raw in enumerate(header):
        m = _NOTE_COL.match(raw.strip())
        if m:
            notes[MEASURES[m["measure"].capitalize()]] = i
    return notes


def _check_label_unit(label_text: str, col: ValueColumn) -> str | None:
    for rx, unit in _LABEL_UNIT:
        if rx.search(label_text):
            return None if unit == col.unit else unit
    return None


def read_world(path: Path, root: Path | None = None, *, validate: bool = True) -> pd.DataFrame:
    """Read one USGS MCS world file into ``production`` rows with provenance.

    Parameters
    ----------
    path
        The CSV file.
    root
        The raw-data root; ``file`` in the provenance is relative to it.
    validate
        Check the result against the ``production`` contract (:func:`import_world` checks
        the whole release once instead).

    Raises
    ------
    DataError
        Naming file, row and field for every problem: malformed CSV, unknown country,
        a number cell holding text, a negative figure, a duplicate row, a unit that
        contradicts the column, a country larger than the world total.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "mcs2024-galli_world.csv").write_text(
    ...     "\\ufeffSource,Country,Type,Prod_kg_2022,Prod_kg_est_2023,Prod_notes\\n"
    ...     "MCS2024,China,Primary production,600000,\\"600,000\\",\\n"
    ...     "MCS2024,Japane,Primary production,3000,W,\\n"
    ...     "MCS2024,World total (rounded),Primary production,610000,610000,\\n", "utf-8")
    >>> df = read_world(d / "mcs2024-galli_world.csv", d)
    >>> print(df[["country", "year", "value", "status"]].head(4).to_string(index=False))
    country  year    value    status
        CHN  2022 600000.0  reported
        CHN  2023 600000.0 estimated
        JPN  2022   3000.0 estimated
        JPN  2023      NaN  withheld
    """
    label, rows = read_rows(path, root)
    edition, code = file_info(path)
    if not rows:
        raise DataError([Problem(label, None, None, "a header row and data rows", "empty file")])
    header_line, header = rows[0]
    header = [h.strip() for h in header]
    for need in ("Country",):
        if need not in header:
            raise DataError([Problem(label, header_line, need, "a column of the world layout")])
    i_country = header.index("Country")
    i_type = header.index("Type") if "Type" in header else 2
    type_from_header = "Type" not in header  # fluorspar 2024 names the type in the header
    i_source = header.index("Source") if "Source" in header else None
    vcols = _value_columns(header, edition, label)
    ncols = _note_columns(header)
    default_mineral = USGS_CODES.get(code)
    if default_mineral is None:
        raise DataError([Problem(label, None, None, f"a known USGS commodity code, not {code!r}")])

    problems: list[Problem] = []
    out: list[dict[str, object]] = []
    for line, rec in rows[1:]:
        rec = rec + [""] * (len(header) - len(rec))
        name = rec[i_country]
        if not name.strip():
            problems.append(Problem(label, line, "Country", "a country name", ""))
            continue
        entity = resolve(name)
        if entity is None:
            problems.append(Problem(label, line, "Country", "a country or aggregate name", name))
            continue
        type_label = (header[i_type] if type_from_header else rec[i_type]).strip()
        rule = classify_usgs_type(code, type_label)
        mid = rule.mineral or default_mineral
        try:
            target_unit = mineral(mid).unit
        except KeyError:
            target_unit = ""
        source = f"USGS MCS {edition}"
        src_text = rec[i_source].replace(" ", "") if i_source is not None else ""
        if src_text and src_text != f"MCS{edition}":
            problems.append(Problem(label, line, "Source", f"MCS{edition}", src_text))
        for col in vcols:
            text = rec[col.index]
            note_i = ncols.get(col.measure, ncols.get("production"))
            note = rec[note_i].strip() if note_i is not None else ""
            est = col.estimated or entity.estimated
            m_est = _ALSO_EST.search(note) if col.measure != "reserves" else None
            if m_est and int(m_est["year"] or m_est["year2"]) == col.year:
                est = True
            erratum = ERRATA.get((edition, code, entity.name, col.name))
            if erratum is not None:
                text_for_value, note = "NA", f"{note} {erratum}".strip()
            else:
                text_for_value = text
            try:
                cell = parse_cell(text_for_value, estimated=est)
            except CellError as exc:
                problems.append(Problem(label, line, col.name, str(exc).split(", got")[0], text))
                continue
            if cell.status == "net_exporter":
                problems.append(Problem(label, line, col.name, "a quantity, not 'E'", text))
                continue
            if not math.isnan(cell.value) and cell.value < 0:
                problems.append(Problem(label, line, col.name, "a non-negative quantity", text))
                continue
            # The Type label describes production and capacity, not reserves.
            wrong = _check_label_unit(type_label, col) if col.measure != "reserves" else None
            if wrong is not None:
                problems.append(
                    Problem(label, line, col.name, f"unit {col.unit} as the column says", wrong)
                )
                continue
            unit = col.unit
            f = 1.0
            if target_unit and target_unit != unit:
                try:
                    f = factor(unit, target_unit)
                    unit = target_unit
                except ValueError:
                    f = 1.0
            product = rule.product or type_label
            if col.product:
                product = f"{product} ({col.product})"
            out.append(
                {
                    "mineral": mid,
                    "stage": rule.stage,
                    "measure": col.measure,
                    "product": product,
                    "basis": rule.basis or basis_for(mid, rule.stage) or type_label,
                    "entity": entity.name,
                    "entity_kind": entity.kind,
                    "country": entity.iso3,
                    "year": col.year,
                    "value": cell.value * f,
                    "unit": unit,
                    "status": cell.status,
                    "low": cell.low * f,
                    "high": cell.high * f,
                    "source": source,
                    "edition": edition,
                    "note": note or None,
                    "file": label,
                    "row": line,
                    "column": col.name,
                    "cell": text,
                }
            )
    if problems:
        raise DataError(problems)
    if not out:
        raise DataError([Problem(label, None, None, "at least one data row", "none")])
    out = combine_parts(out, code)
    _check_duplicates(out, label)
    _check_against_world(out, label)
    df = pd.DataFrame(out)
    if validate:
        check(df, "production", where=label)
    return df


def _key(r: dict[str, object]) -> tuple[object, ...]:
    return (r["mineral"], r["stage"], r["measure"], r["product"], r["year"])


_NUMERIC = ("reported", "estimated")
_PAREN = re.compile(r"\s*\(.*\)\s*$")


def combine_parts(out: list[dict[str, object]], code: str) -> list[dict[str, object]]:
    """Sum the rows that are parts of one country's figure (:data:`USGS_COMBINE_RULES`).

    One row per country and "Other countries" aggregate is left for every mineral, stage,
    measure and year the rule covers; its note lists the parts (entity, cell, file row) and
    its provenance points at the first part, with every part's cell (``"60 + 19"``). World
    totals are never combined. A part "included with" another adds nothing; a sum with a
    withheld, missing or bounded part is a lower bound (status ``bound``, ``low`` the sum).

    Examples
    --------
    >>> base = {"mineral": "helium", "stage": "mine", "measure": "production",
    ...     "product": "Mine production, helium", "basis": "He", "entity_kind": "country",
    ...     "country": "USA", "year": 2023, "unit": "million m3", "status": "estimated",
    ...     "low": float("nan"), "high": float("nan"), "source": "USGS MCS 2024",
    ...     "edition": 2024, "note": None, "file": "f.csv", "column": "Prod_mcm_est_2023"}
    >>> rows = [dict(base, entity="United States (extracted from natural gas)", value=60.0,
    ...              row=2, cell="60"),
    ...         dict(base, entity="United States (from Cliffside Field)", value=19.0, row=3,
    ...              cell="19")]
    >>> [(r["entity"], r["value"], r["cell"]) for r in combine_parts(rows, "heliu")]
    [('United States', 79.0, '60 + 19')]
    """
    groups: dict[tuple[object, ...], list[dict[str, object]]] = {}
    rules: dict[tuple[object, ...], CombineRule] = {}
    kept: list[dict[str, object] | tuple[object, ...]] = []
    superseded = _superseded_world_rows(out, code)
    for r in out:
        if id(r) in superseded:
            continue
        rule = combine_rule(code, str(r["product"])) if r["entity_kind"] != "world" else None
        if rule is None:
            kept.append(r)
            continue
        who = r["country"] if r["entity_kind"] == "country" else r["entity"]
        k = (r["mineral"], r["stage"], r["measure"], rule.product or r["product"], r["year"],
             r["entity_kind"], who)  # fmt: skip
        if k not in groups:
            groups[k] = []
            rules[k] = rule
            kept.append(k)
        groups[k].append(r)
    result: list[dict[str, object]] = []
    for item in kept:
        if isinstance(item, dict):
            result.append(item)
        else:
            result.append(_sum_parts(groups[item], rules[item]))
    return result


def _superseded_world_rows(out: list[dict[str, object]], code: str) -> set[int]:
    """World totals of the parts (ilmenite, rutile) where USGS also totals the combination.

    They are dropped (a table has one world total) and named, with their cells, in the note
    of the combined world total, which is changed in place.
    """
    worlds = [r for r in out if r["entity_kind"] == "world"]
    drop: set[int] = set()
    for w in worlds:
        rule = combine_rule(code, str(w["product"]))
        if rule is None or rule.product is None or w["product"] != rule.product:
            continue
        key = (w["mineral"], w["stage"], w["measure"], w["year"])
        parts = [
            r
            for r in worlds
            if r is not w
            and (r["mineral"], r["stage"], r["measure"], r["year"]) == key
            and combine_rule(code, str(r["product"])) is rule
        ]
        if parts:
            drop.update(id(r) for r in parts)
            listed = "; ".join(f"{r['entity']}: {str(r['cell']).strip()} (row {r['row']})"
                               for r in parts)  # fmt: skip
            note = f"critmin: the table's world total; USGS also gives {listed}"
            w["note"] = f"{w['note']} | {note}" if w["note"] else note
    return drop


def _sum_parts(parts: list[dict[str, object]], rule: CombineRule) -> dict[str, object]:
    first = parts[0]
    product = rule.product or str(first["product"])
    if len(parts) == 1 and first["product"] == product:
        return first
    names = {str(p["entity"]) for p in parts}
    entity = names.pop() if len(names) == 1 else _PAREN.sub("", str(first["entity"]))
    numbers = [p for p in parts if p["status"] in _NUMERIC]
    open_ = [p for p in parts if p["status"] not in (*_NUMERIC, "included_elsewhere")]
    total = sum(float(str(p["value"])) for p in numbers)
    low, high = math.nan, math.nan
    if numbers and not open_:
        value = total
        status = "estimated" if any(p["status"] == "estimated" for p in numbers) else "reported"
    elif numbers:
        value, status = math.nan, "bound"
        lows = [float(str(p["low"])) for p in open_ if p["status"] == "bound"]
        low = total + sum(v for v in lows if v == v)
    elif open_:
        value, status = math.nan, str(open_[0]["status"])
        low, high = float(str(open_[0]["low"])), float(str(open_[0]["high"]))
    else:
        value, status = math.nan, "included_elsewhere"
    listed = "; ".join(
        f"{p['entity']}" + (f" ({p['product']})" if p["product"] != product else "")
        + f": {str(p['cell']).strip() or 'blank'} (row {p['row']})"
        for p in parts
    )  # fmt: skip
    notes = [f"critmin: sum of {len(parts)} USGS rows, {listed}; {rule.why}"]
    notes += [str(p["note"]) for p in parts if p["note"]]
    return {
        **first,
        "product": product,
        "entity": entity,
        "value": value,
        "status": status,
        "low": low,
        "high": high,
        "note": " | ".join(dict.fromkeys(notes)),
        "cell": " + ".join(str(p["cell"]).strip() for p in parts),
    }


def _check_duplicates(out: list[dict[str, object]], label: str) -> None:
    seen: set[tuple[object, ...]] = set()
    problems: list[Problem] = []
    for r in out:
        # One row per country (ISO3, whatever the entity label says) and per aggregate name.
        who = r["country"] if r["entity_kind"] == "country" else r["entity"]
        k = (*_key(r), r["entity_kind"], who)
        if k in seen:
            problems.append(
                Problem(
                    label,
                    int(str(r["row"])),
                    "Country",
                    "one row per country, product and year",
                    str(r["entity"]),
                )
            )
        seen.add(k)
    if problems:
        raise DataError(problems)


def _check_against_world(out: list[dict[str, object]], label: str, tolerance: float = 1.05) -> None:
    """A country larger than its world total is an error (a share over 100 %)."""
    world = {_key(r): float(str(r["value"])) for r in out if r["entity_kind"] == "world"}
    problems: list[Problem] = []
    for r in out:
        w = world.get(_key(r), math.nan)
        v = float(str(r["value"]))
        if r["entity_kind"] == "country" and w > 0 and v > w * tolerance:
            problems.append(
                Problem(
                    label,
                    int(str(r["row"])),
                    str(r["column"]),
                    f"at most the world total {w:g} (a share of at most 100 %)",
                    str(r["cell"]),
                )
            )
    if problems:
        raise DataError(problems)


def world_files(folder: Path) -> list[Path]:
    """The world files of a release folder, sorted by name."""
    return sorted(p for p in folder.glob("*.csv") if _FILE.search(p.name) and "_world" in p.name)


def import_world(folder: Path, root: Path | None = None) -> pd.DataFrame:
    """Import every world file of one release folder; all problems of all files are reported."""
    frames: list[pd.DataFrame] = []
    problems: list[Problem] = []
    for path in world_files(folder):
        try:
            frames.append(read_world(path, root, validate=False))
        except DataError as err:
            problems.extend(err.problems)
    if problems:
        raise DataError(problems)
    if not frames:
        raise DataError([Problem(str(folder), None, None, "USGS world files (*_world.csv)")])
    df = pd.concat(frames, ignore_index=True)
    check(df, "production", where=str(folder))
    return df
