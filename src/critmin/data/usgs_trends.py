"""Importers for the USGS MCS trend tables (editions 2023-2025): net import reliance (Fig. 2),
salient statistics of critical minerals (T5) and their end uses (T4).

Quirks of the real files and how they are handled
-------------------------------------------------
* The 2025 files were transcribed with CRLF and no BOM; 2023/2024 have a BOM. Both are read as
  text with :func:`critmin.data.files.read_csv_records`.
* Fig. 2 names the year and the import-source period only in the column names
  (``Net_Import_Reliance_pct_2023``, ``Major_Import_Sources_2019_2022``); they are read from
  there. The 2023 file has ``Import_Share_Rank`` and no ``Notes``; 2024/2025 have
  ``Import_Share_Order`` and ``Notes``: columns are matched by name.
* Commodity labels ("ARSENIC, all forms", "RARE EARTHS, compounds and metals, including
  lanthanides", "GALLIUM, metal", "Titanium (metal)") become mineral ids with
  :func:`mineral_for_label`: catalogue ``usgs_labels`` first, then the label's head, then a
  snake_case id of the head. No row is dropped.
* Import sources are a comma-separated list in which names may themselves hold a comma
  ("Korea, Republic of"); footnote digits ("China3"), stray spaces and double spaces occur.
  Countries become ISO3 codes joined by ``;``. An aggregate ("Europe", the 2023 scandium
  sources) has no ISO3 code: it is left out of the list and reported in ``df.attrs["notes"]``.
  A name that does not resolve is a DataError.
* T5 states no unit. Its quantities are metric tons: antimony apparent consumption 22,000 and
  world production 83,000 are the MCS 2024 figures in t; gallium apparent consumption 19 is the
  19,000 kg of the 2024 gallium salient file; platinum primary production 3 is that file's
  2,900 kg; bauxite consumption 1,800,000 is its 1,800 kt. So quantities get unit ``t`` and the
  two percentages (``Net_Import_Reliance``, ``Leading_source_precent_world``) get ``%``.
* T5 year cells read ``2023_estimated``: the year is 2023 and every reported number gets the
  status ``estimated``. The 2024 and 2025 files order columns differently and misspell headers
  (``Apparent_Consuption``, ``Contsumption_Notes``, ``Leading_source_precent_world``): columns
  are matched by name after mapping the misspellings. Variable names follow the 2025 spelling
  (``Apparent_Consumption``); ``Leading_source_precent_world`` keeps the USGS spelling.
* Negative quantities, percentages above 100 and NIR above 100 are DataErrors (USGS marks a net
  exporter with ``E``).
"""

from __future__ import annotations

import logging
import math
import re
from pathlib import Path

import pandas as pd

from critmin.data.catalogue import MINERAL_IDS, MINERALS, USGS_CODES
from critmin.data.cells import Cell, CellError, parse_cell
from critmin.data.countries import resolve
from critmin.data.errors import DataError, Problem, fail
from critmin.data.files import file_label as relative_name
from critmin.data.files import read_csv_records
from critmin.data.schema import PROVENANCE_COLUMNS, TABLES, check

log = logging.getLogger(__name__)

IMPORT_RELIANCE_COLUMNS: tuple[str, ...] = (
    *(c.name for c in TABLES["import_reliance"]),
    *PROVENANCE_COLUMNS,
)
END_USES_COLUMNS: tuple[str, ...] = (*(c.name for c in TABLES["end_uses"]), *PROVENANCE_COLUMNS)
#: Columns of :func:`read_critical_salient` (no contract in critmin.data.schema).
CRITICAL_SALIENT_COLUMNS: tuple[str, ...] = (
    "mineral",
    "commodity",
    "year",
    "variable",
    "value",
    "unit",
    "status",
    "low",
    "high",
    "note",
    "primary_import_source",
    "leading_source_country",
    "source",
    "edition",
    *PROVENANCE_COLUMNS,
)

#: T5 variables and their units (see the module docstring for why quantities are in t).
T5_VARIABLES: dict[str, str] = {
    "Primary_prod": "t",
    "Secondary_prod": "t",
    "Apparent_Consumption": "t",
    "Net_Import_Reliance": "%",
    "Leading_country_prod": "t",
    "World_total_prod": "t",
    "Leading_source_precent_world": "%",
}
#: T5 note column that goes with each variable.
T5_NOTES: dict[str, str] = {
    "Primary_prod": "Prod_notes",
    "Secondary_prod": "Prod_notes",
    "Apparent_Consumption": "Consumption_Notes",
    "Net_Import_Reliance": "Import_source_notes",
    "World_total_prod": "World_prod_notes",
}
_T5_NAMES: dict[str, str] = {
    n.lower(): n
    for n in (
        "Source",
        "Year",
        "Critical_mineral",
        "Prod_notes",
        "Consumption_Notes",
        "Primary_import_source",
        "Import_source_notes",
        "Leading_source_country",
        "World_prod_notes",
        *T5_VARIABLES,
    )
}
_T5_NAMES.update(
    {
        "apparent_consuption": "Apparent_Consumption",
        "contsumption_notes": "Consumption_Notes",
        "leading_source_percent_world": "Leading_source_precent_world",
        # MCS 2026 (T7) names the period: Primary_import_sources_2021-24
        "primary_import_sources_2021-24": "Primary_import_source",
    }
)

_LABELS: dict[str, str] = {
    " ".join(label.lower().split()): m.id for m in MINERALS for label in m.usgs_labels
}
#: Labels whose head names a USGS commodity in another word order.
_LABEL_ALIASES: dict[str, str] = {"diamond (industrial)": "industrial_diamond"}
_KNOWN_IDS = frozenset(MINERAL_IDS) | frozenset(USGS_CODES.values())

_NIR_COL = re.compile(r"^net_import_reliance_pct_(\d{4})$", re.IGNORECASE)
_SOURCES_COL = re.compile(r"^major_import_sources_(\d{4})_(\d{2,4})$", re.IGNORECASE)
_T5_YEAR = re.compile(r"^(\d{4})(?:[_ ](estimated|est|e))?$", re.IGNORECASE)
_EDITION = re.compile(r"mcs(\d{4})", re.IGNORECASE)
#: What may follow a comma inside one country name ("Korea, Republic of", "Bahamas, The").
_QUALIFIER = re.compile(
    r"^(the|north|south|((democratic|islamic|united|federated|people's|plurinational|"
    r"bolivarian)\s+)*(republic|state|states|kingdom)(\s+of(\s+the)?)?)$",
    re.IGNORECASE,
)


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _snake(text: str) -> str:
    return "_".join(re.findall(r"[a-z0-9]+", text.lower()))


def mineral_for_label(label: str) -> str:
    """A critmin mineral id for a USGS commodity label; never fails.

    Tries the catalogue's ``usgs_labels`` (case-insensitively) on the whole label, on the part
    before the first comma and on the part before a parenthesis; then a snake_case id of those
    parts that is a known id (catalogue or :data:`~critmin.data.catalogue.USGS_CODES`); else
    the snake_case id of the part before the first comma.

    Examples
    --------
    >>> mineral_for_label("RARE EARTHS, compounds and metals, including lanthanides")
    'rare_earths'
    >>> mineral_for_label("GALLIUM, metal"), mineral_for_label("Aluminum (bauxite)")
    ('gallium', 'bauxite')
    >>> mineral_for_label("Zirconium (ores and concentrates)"), mineral_for_label("Cerium")
    ('zirconium', 'cerium')
    >>> mineral_for_label("STONE (DIMENSION)"), mineral_for_label("NEPHELINE SYENITE")
    ('stone_dimension', 'nepheline_syenite')
    """
    full = _norm(label)
    head = full.split(",")[0].strip()
    bare = head.split("(")[0].strip()
    for candidate in (full, head, bare):
        if candidate in _LABELS:
            return _LABELS[candidate]
        if candidate in _LABEL_ALIASES:
            return _LABEL_ALIASES[candidate]
    for candidate in (_snake(head), _snake(bare)):
        if candidate in _KNOWN_IDS:
            return candidate
    return _snake(head) or _snake(full) or "unknown"


def split_sources(text: str) -> list[str]:
    """Split a comma-separated list of country names, keeping names with a comma whole.

    Examples
    --------
    >>> split_sources("China, Korea, Republic of, Belgium, Atlantis")
    ['China', 'Korea, Republic of', 'Belgium', 'Atlantis']
    >>> split_sources("Congo (Kinshasa),  India, China3 ")
    ['Congo (Kinshasa)', 'India', 'China3']
    """
    parts = [p.strip() for p in text.split(",")]
    parts = [p for p in parts if p]
    out: list[str] = []
    i = 0
    while i < len(parts):
        if i + 1 < len(parts):
            joined = f"{parts[i]}, {parts[i + 1]}"
            whole = resolve(joined)
            if _QUALIFIER.match(parts[i + 1]) and whole is not None and whole.kind == "country":
                out.append(joined)
                i += 2
                continue
        out.append(parts[i])
        i += 1
    return out


def _country(
    rel: str, line: int, field: str, name: str, problems: list[Problem], notes: list[str]
) -> str | None:
    entity = resolve(name)
    if entity is None:
        problems.append(Problem(rel, line, field, "a country name critmin can resolve", name))
        return None
    if entity.iso3 is None:
        notes.append(f"{rel}, row {line}, {field}: aggregate {name!r} has no ISO3 code; left out")
        return None
    return entity.iso3


def _edition(path: Path, rel: str, source_cells: list[str]) -> int:
    m = _EDITION.search(path.name)
    if m:
        return int(m[1])
    for s in source_cells:
        m = _EDITION.search(s)
        if m:
            return int(m[1])
    raise fail(rel, None, None, "an edition in the file name (MCS2024_...) or Source column")


def _header_index(header: list[str]) -> dict[str, int]:
    return {h.replace("\ufeff", "").strip().lower(): j for j, h in enumerate(header)}


def _at(cells: list[str], j: int | None) -> str:
    if j is None:
        return ""
    return cells[j] if j < len(cells) else ""


def _rows(records: list[tuple[int, list[str]]]) -> list[tuple[int, list[str]]]:
    return [(n, c) for n, c in records[1:] if any(x.strip() for x in c)]


def _percent_problem(cell: Cell, what: str) -> str | None:
    for v in (cell.value, cell.low, cell.high):
        if not math.isnan(v) and (v < 0 or v > 100):
            return f"a {what} between 0 and 100 % (E marks a net exporter)"
    return None


def _frame(rows: list[dict[str, object]], columns: tuple[str, ...]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(columns))
    for col in ("year", "edition", "row"):
        if col in df:
            df[col] = df[col].astype("int64")
    for col in ("value", "low", "high"):
        if col in df:
            df[col] = df[col].astype("float64")
    return df


def read_net_import_reliance(path: Path, root: Path) -> pd.DataFrame:
    """Read ``MCS20xx_Fig2_Net_Import_Reliance.csv`` into the ``import_reliance`` table.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`IMPORT_RELIANCE_COLUMNS`: mineral, commodity, year, value, unit
        (``%``), status, low, high, import_sources (ISO3 joined by ``;``), sources_period
        (``2019-2022``), source, edition, file, row, column (the NIR column), cell.
        ``attrs["notes"]`` lists aggregates left out of the import sources.

    Raises
    ------
    DataError
        Naming file, row and field: missing columns, a cell that is not a figure, NIR outside
        0-100, an import source that is not a known country.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = Path(d) / "MCS2024_Fig2_Net_Import_Reliance.csv"
    ...     _ = p.write_text(
    ...         "Source,Import_Share_Order,Commodity,Net_Import_Reliance_pct_2023,"
    ...         "Major_Import_Sources_2019_2022\\n"
    ...         'MCS2024,5,GALLIUM,100,"Japan, China, Korea, Republic of"\\n'
    ...         "MCS2024,45,GERMANIUM,>50,Belgium\\n"
    ...     )
    ...     df = read_net_import_reliance(p, Path(d))
    >>> df[["mineral", "year", "value", "status", "low", "import_sources", "sources_period"]]
         mineral  year  value  status   low import_sources sources_period
    0    gallium  2023  100.0  reported   NaN    JPN;CHN;KOR      2019-2022
    1  germanium  2023    NaN     bound  50.0            BEL      2019-2022
    """
    rel, records = read_csv_records(path, root)
    header = records[0][1]
    idx = _header_index(header)
    names = [h.replace("\ufeff", "").strip() for h in header]
    nir_j = next((j for j, n in enumerate(names) if _NIR_COL.match(n)), None)
    src_j = next((j for j, n in enumerate(names) if _SOURCES_COL.match(n)), None)
    com_j = idx.get("commodity")
    problems: list[Problem] = []
    if com_j is None:
        problems.append(Problem(rel, 1, "Commodity", "a 'Commodity' column", ",".join(names)))
    if nir_j is None:
        problems.append(
            Problem(
                rel,
                1,
                "Net_Import_Reliance_pct_<year>",
                "a net-import-reliance column named with its year",
                ",".join(names),
            )
        )
    if problems:
        raise DataError(problems)
    assert com_j is not None and nir_j is not None
    nir_match = _NIR_COL.match(names[nir_j])
    year = int(nir_match[1]) if nir_match else 0
    period = None
    if src_j is not None:
        m = _SOURCES_COL.match(names[src_j])
        period = f"{m[1]}-{m[2]}" if m else None
    data = _rows(records)
    edition = _edition(path, rel, [_at(c, idx.get("source")) for _, c in data])
    notes: list[str] = []
    out: list[dict[str, object]] = []
    for line, cells in data:
        commodity = " ".join(_at(cells, com_j).split())
        if not commodity:
            problems.append(Problem(rel, line, names[com_j], "a commodity label"))
            continue
        text = _at(cells, nir_j)
        try:
            c = parse_cell(text)
        except CellError:
            problems.append(
                Problem(rel, line, names[nir_j], "a percentage, >50, <25, E or W", text)
            )
            continue
        bad = _percent_problem(c, "net import reliance")
        if bad:
            problems.append(Problem(rel, line, names[nir_j], bad, text))
            continue
        codes: list[str] = []
        if src_j is not None:
            for name in split_sources(_at(cells, src_j)):
                iso3 = _country(rel, line, names[src_j], name, problems, notes)
                if iso3 is not None and iso3 not in codes:
                    codes.append(iso3)
        out.append(
            {
                "mineral": mineral_for_label(commodity),
                "commodity": commodity,
                "year": year,
                "value": c.value,
                "unit": "%",
                "status": c.status,
                "low": c.low,
                "high": c.high,
                "import_sources": ";".join(codes) if codes else None,
                "sources_period": period,
                "source": f"USGS MCS {edition}",
                "edition": edition,
                "file": rel,
                "row": line,
                "column": names[nir_j],
                "cell": text,
            }
        )
    if problems:
        raise DataError(problems)
    df = _frame(out, IMPORT_RELIANCE_COLUMNS)
    check(df, "import_reliance", where=rel)
    df.attrs["notes"] = notes
    return df


def read_critical_salient(path: Path, root: Path) -> pd.DataFrame:
    """Read ``MCS20xx_T5_Critical_Minerals_Salient.csv`` into a tidy long table.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CRITICAL_SALIENT_COLUMNS`: mineral, commodity, year, variable (one of
        :data:`T5_VARIABLES`), value, unit (``t`` or ``%``), status, low, high, note (the
        source's note on the figure), primary_import_source and leading_source_country
        (ISO3, or None), source, edition, file, row, column, cell.

    Raises
    ------
    DataError
        Naming file, row and field, for every problem of the file at once.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = Path(d) / "MCS2024_T5_Critical_Minerals_Salient.csv"
    ...     _ = p.write_text(
    ...         "Source,Year,Critical_mineral,Primary_prod,Secondary_prod,Prod_notes,"
    ...         "Apparent_Consuption,Contsumption_Notes,Net_Import_Reliance,"
    ...         "Primary_import_source,Import_source_notes,Leading_source_country,"
    ...         "Leading_country_prod,World_total_prod,World_prod_notes,"
    ...         "Leading_source_precent_world\\n"
    ...         "MCS2024,2023_estimated,Antimony,0,4000,,22000,,82,China,,China,"
    ...         "40000,83000,,48\\n"
    ...     )
    ...     df = read_critical_salient(p, Path(d))
    >>> df.loc[df.variable == "Leading_source_precent_world",
    ...        ["mineral", "year", "value", "unit", "status", "leading_source_country"]]
        mineral  year  value unit     status leading_source_country
    6  antimony  2023   48.0    %  estimated                    CHN
    """
    rel, records = read_csv_records(path, root)
    header = records[0][1]
    names = [h.replace("\ufeff", "").strip() for h in header]
    col: dict[str, int] = {}
    for j, n in enumerate(names):
        canonical = _T5_NAMES.get(n.lower())
        if canonical and canonical not in col:
            col[canonical] = j
    problems: list[Problem] = []
    required = ("Year", "Critical_mineral", "Primary_import_source", "Leading_source_country")
    for name in (*required, *T5_VARIABLES):
        if name not in col:
            problems.append(Problem(rel, 1, name, f"a {name!r} column", ",".join(names)))
    if problems:
        raise DataError(problems)
    data = _rows(records)
    edition = _edition(path, rel, [_at(c, col.get("Source")) for _, c in data])
    notes: list[str] = []
    out: list[dict[str, object]] = []
    for line, cells in data:
        year_text = _at(cells, col["Year"]).strip()
        m = _T5_YEAR.match(year_text)
        if not m:
            problems.append(
                Problem(rel, line, names[col["Year"]], "a year such as 2023_estimated", year_text)
            )
            continue
        year, estimated = int(m[1]), m[2] is not None
        commodity = " ".join(_at(cells, col["Critical_mineral"]).split())
        if not commodity:
            problems.append(Problem(rel, line, names[col["Critical_mineral"]], "a mineral name"))
            continue
        countries: dict[str, str | None] = {}
        for key in ("Primary_import_source", "Leading_source_country"):
            name = _at(cells, col[key]).strip()
            if name.upper() in ("", "NA", "W"):
                countries[key] = None
            else:
                countries[key] = _country(rel, line, names[col[key]], name, problems, notes)
        for variable, unit in T5_VARIABLES.items():
            j = col[variable]
            text = _at(cells, j)
            try:
                c = parse_cell(text, estimated=estimated)
            except CellError:
                problems.append(Problem(rel, line, names[j], "a number, W, NA, E or a bound", text))
                continue
            if unit == "%":
                bad = _percent_problem(c, "percentage")
            else:
                negative = any(not math.isnan(v) and v < 0 for v in (c.value, c.low, c.high))
                bad = "a non-negative quantity" if negative else None
            if bad:
                problems.append(Problem(rel, line, names[j], bad, text))
                continue
            note_col = T5_NOTES.get(variable)
            note = " ".join(_at(cells, col.get(note_col) if note_col else None).split())
            out.append(
                {
                    "mineral": mineral_for_label(commodity),
                    "commodity": commodity,
                    "year": year,
                    "variable": variable,
                    "value": c.value,
                    "unit": unit,
                    "status": c.status,
                    "low": c.low,
                    "high": c.high,
                    "note": note or None,
                    "primary_import_source": countries["Primary_import_source"],
                    "leading_source_country": countries["Leading_source_country"],
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
    df = _frame(out, CRITICAL_SALIENT_COLUMNS)
    df.attrs["notes"] = notes
    return df


def read_end_uses(path: Path, root: Path) -> pd.DataFrame:
    """Read ``MCS20xx_T4_Critical_Minerals_End_Use.csv`` into the ``end_uses`` table.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`END_USES_COLUMNS`: mineral, commodity, applications, source, edition,
        file, row, column (``Primary Applications``), cell.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = Path(d) / "MCS2025_T4_Critical_Minerals_End_Use.csv"
    ...     _ = p.write_text(
    ...         "Source,Critical Mineral,Primary Applications,Category_Note\\r\\n"
    ...         'MCS2025,Gallium,Integrated circuits and optical devices.,\\r\\n'
    ...     )
    ...     read_end_uses(p, Path(d))[["mineral", "applications", "edition", "row"]]
       mineral                              applications  edition  row
    0  gallium  Integrated circuits and optical devices.     2025    2
    """
    rel, records = read_csv_records(path, root)
    header = records[0][1]
    names = [h.replace("\ufeff", "").strip() for h in header]
    flat = {re.sub(r"[\s_]+", " ", n.lower()): j for j, n in enumerate(names)}
    problems: list[Problem] = []
    for key, label in (
        ("critical mineral", "Critical Mineral"),
        ("primary applications", "Primary Applications"),
    ):
        if key not in flat:
            problems.append(Problem(rel, 1, label, f"a {label!r} column", ",".join(names)))
    if problems:
        raise DataError(problems)
    min_j, app_j = flat["critical mineral"], flat["primary applications"]
    data = _rows(records)
    edition = _edition(path, rel, [_at(c, flat.get("source")) for _, c in data])
    out: list[dict[str, object]] = []
    for line, cells in data:
        commodity = " ".join(_at(cells, min_j).split())
        text = _at(cells, app_j)
        applications = " ".join(text.split())
        if not commodity:
            problems.append(Problem(rel, line, names[min_j], "a mineral name"))
            continue
        if not applications:
            problems.append(Problem(rel, line, names[app_j], "the primary applications"))
            continue
        out.append(
            {
                "mineral": mineral_for_label(commodity),
                "commodity": commodity,
                "applications": applications,
                "source": f"USGS MCS {edition}",
                "edition": edition,
                "file": rel,
                "row": line,
                "column": names[app_j],
                "cell": text,
            }
        )
    if problems:
        raise DataError(problems)
    df = _frame(out, END_USES_COLUMNS)
    check(df, "end_uses", where=rel)
    return df


def import_trends(root: Path, edition: int) -> dict[str, pd.DataFrame]:
    """Read the trend tables of one edition from ``usgs-mcs<edition>-trends``.

    Returns
    -------
    dict
        Always the keys ``import_reliance``, ``critical_salient`` and ``end_uses``; a table
        whose file the edition lacks (T5 before 2024) is an empty frame with the right
        columns and ``attrs["missing"] = True``.

    Raises
    ------
    DataError
        When the folder is missing, or a file has bad content.
    """
    folder = root / f"usgs-mcs{edition}-trends"
    if not folder.is_dir():
        raise fail(relative_name(folder, root), None, None, "a folder of USGS MCS trend tables")
    files = {p.name.lower(): p for p in folder.iterdir()}
    readers = (
        ("import_reliance", "fig2_net_import_reliance", read_net_import_reliance),
        ("critical_salient", "t5_critical_minerals_salient", read_critical_salient),
        ("end_uses", "t4_critical_minerals_end_use", read_end_uses),
    )
    columns = {
        "import_reliance": IMPORT_RELIANCE_COLUMNS,
        "critical_salient": CRITICAL_SALIENT_COLUMNS,
        "end_uses": END_USES_COLUMNS,
    }
    out: dict[str, pd.DataFrame] = {}
    for key, stem, reader in readers:
        path = files.get(f"mcs{edition}_{stem}.csv")
        if path is None:
            empty = _frame([], columns[key])
            empty.attrs["missing"] = True
            log.info("%s: no %s table in %s", edition, key, folder)
            out[key] = empty
            continue
        out[key] = reader(path, root)
    return out
