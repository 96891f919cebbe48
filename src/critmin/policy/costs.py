"""Sourced capital costs of supply levers, lead times and USGS prices.

Three tables ship beside this module; ``COSTS.md`` next to them gives every figure's source,
the arithmetic of every derived figure and what is missing:

* ``lever_costs.csv``: capital cost per tonne of annual capacity (``USD per t/yr``, in the
  catalogue's basis for the stage) of a new mine, a processing plant or a recycling plant, with
  a low / central / high range, the dollar year, the source, the derivation and a confidence;
* ``lead_times.csv``: years of permitting, construction, ramp-up and discovery to production,
  per country (ISO3, ``EU27`` for the EU member states, ``*`` for any country) and stage;
* ``prices.csv``: one USGS price per simulated mineral, converted to USD per tonne of the
  catalogue's basis.

Nothing is filled in where the sources give nothing: a mineral, stage or lever without a
sourced figure has no row. Each loader validates the whole file and raises
:class:`~critmin.data.errors.DataError` listing every problem with its file, line and field.

Examples
--------
>>> costs = load_lever_costs()
>>> row = costs[(costs.mineral == "copper") & (costs.stage == "mine")].iloc[0]
>>> float(row.low), float(row.central), float(row.high), row.confidence
(11023.0, 16000.0, 22046.0, 'M')
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from critmin.data.catalogue import MINERAL_IDS, mineral
from critmin.data.countries import known_iso3
from critmin.data.errors import DataError, Problem
from critmin.data.files import read_csv_rows

#: The packaged tables.
LEVER_COSTS_PATH = Path(__file__).with_name("lever_costs.csv")
LEAD_TIMES_PATH = Path(__file__).with_name("lead_times.csv")
PRICES_PATH = Path(__file__).with_name("prices.csv")

#: Columns of each table, in order.
LEVER_COST_COLUMNS: tuple[str, ...] = (
    "mineral", "stage", "lever", "low", "central", "high", "unit", "year", "basis", "source",
    "derivation", "confidence",
)  # fmt: skip
LEAD_TIME_COLUMNS: tuple[str, ...] = (
    "country", "stage", "phase", "low", "central", "high", "unit", "source", "confidence", "note",
)  # fmt: skip
PRICE_COLUMNS: tuple[str, ...] = (
    "mineral", "usd_per_t", "year", "variable", "unit_reported", "value_reported", "conversion",
    "source", "note",
)  # fmt: skip

#: Stages a lever can add capacity to: the catalogue's two, plus recycling.
STAGES: tuple[str, ...] = ("mine", "refine", "recycle")
#: Lever → the stage whose capacity it adds (new mine, processing plant, recycling plant).
LEVERS: dict[str, str] = {"mine": "mine", "refine": "refine", "recycle": "recycle"}
#: Phases of a lead time.
PHASES: tuple[str, ...] = (
    "discovery-to-production", "feasibility-to-construction", "permitting", "construction",
    "ramp-up",
)  # fmt: skip
CONFIDENCE: tuple[str, ...] = ("H", "M", "L")
#: Country codes beyond ISO3: any country, and the 27 EU member states (CRMA time limits).
COUNTRY_GROUPS: dict[str, str] = {"*": "any country", "EU27": "the 27 EU member states"}
COST_UNIT = "USD per t/yr"
TIME_UNIT = "years"

_YEAR_SPAN = re.compile(r"^(\d{4})(?:-(\d{4}))?$")


def load_lever_costs(path: str | Path | None = None) -> pd.DataFrame:
    """Capital cost per tonne of annual capacity of each sourced lever.

    Parameters
    ----------
    path
        A table with the columns of :data:`LEVER_COST_COLUMNS`; default the packaged
        ``lever_costs.csv``.

    Returns
    -------
    pandas.DataFrame
        One row per (mineral, stage, lever). ``low``, ``central`` and ``high`` are floats in
        USD per t/yr of the mineral in the catalogue's basis for the stage (``basis`` says
        which); ``low`` or ``high`` is NaN where no range was sourced. ``year`` is the dollar
        year or span (``"2017-2019"``), nominal.

    Raises
    ------
    DataError
        Every problem of the file at once, each naming the line and the field: a mineral not
        in the catalogue, a stage or lever not known or not matching, a stage the mineral does
        not have, a missing or non-positive central, low > central or central > high, another
        unit than ``USD per t/yr``, a bad year, an empty source or derivation, a confidence
        other than H/M/L, or a (mineral, stage, lever) given twice.

    Examples
    --------
    >>> costs = load_lever_costs()
    >>> li = costs.set_index(["mineral", "stage"]).loc[("lithium", "refine")]
    >>> round(li.central), li.basis
    (157206, 'Li content of the LiOH.H2O output')
    >>> bool((costs.low.fillna(0) <= costs.central).all())
    True
    """
    return _cached(_path(path, LEVER_COSTS_PATH), "lever_costs")


def load_lead_times(path: str | Path | None = None) -> pd.DataFrame:
    """Years of permitting, construction, ramp-up and discovery to production.

    Parameters
    ----------
    path
        A table with the columns of :data:`LEAD_TIME_COLUMNS`; default the packaged
        ``lead_times.csv``.

    Returns
    -------
    pandas.DataFrame
        One row per (country, stage, phase): ``country`` is an ISO3 code, ``EU27`` or ``*``
        (any country), ``phase`` one of :data:`PHASES`; ``central`` is always given,
        ``low`` / ``high`` are NaN where no range was sourced; all in years.

    Raises
    ------
    DataError
        Every problem of the file at once, each naming the line and the field: an unknown
        country, stage or phase, a missing or non-positive central, low > central or
        central > high, another unit than ``years``, an empty source, a bad confidence, or a
        (country, stage, phase) given twice.

    Examples
    --------
    >>> lt = load_lead_times()
    >>> usa = lt[(lt.country == "USA") & (lt.phase == "permitting")].iloc[0]
    >>> float(usa.low), float(usa.central), float(usa.high), usa.stage
    (7.0, 8.5, 10.0, 'mine')
    >>> float(lt[(lt.country == "*") & (lt.phase == "construction")
    ...          & (lt.stage == "refine")].central.iloc[0])
    3.6
    """
    return _cached(_path(path, LEAD_TIMES_PATH), "lead_times")


def current_prices(ds: Any = None) -> pd.DataFrame:
    """Each mineral's latest USGS price from the dataset's price table (every edition, the
    newest per year: MCS 2026 gives 2025 estimates), as :func:`load_prices` returns them.

    Plan evaluation and the optimiser value unmet demand at these prices. Computed once per
    dataset.

    Examples
    --------
    >>> p = current_prices().set_index("mineral")
    >>> int(p.loc["lithium", "year"]), int(p.loc["neodymium", "year"])
    (2025, 2025)
    """
    from critmin.data.dataset import load
    from critmin.data.prices import price_table

    d = ds if ds is not None else load()
    frame: pd.DataFrame = d.memo(
        ("policy.current_prices",), lambda: load_prices(table=price_table(d))
    )
    return frame


def load_prices(
    path: str | Path | None = None, *, table: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One USGS price per mineral, in USD per tonne of the catalogue's basis.

    Parameters
    ----------
    path
        A table with the columns of :data:`PRICE_COLUMNS`; default the packaged
        ``prices.csv``.
    table
        A price table of :func:`critmin.data.prices.price_table` (every USGS edition of a
        dataset, newest edition per year). When given, ``path`` is ignored and each catalogue
        mineral's latest year with a USD-per-tonne price is taken from it, in the same
        columns (so new editions and the magnet rare-earth oxides flow into plan evaluation).

    Returns
    -------
    pandas.DataFrame
        One row per mineral: ``usd_per_t`` (float), ``year`` (int), the USGS ``variable``
        with the value and unit as reported, the ``conversion`` arithmetic, the ``source``
        (edition and provenance) and a ``note`` saying what the price is of.

    Raises
    ------
    DataError
        Every problem of the file at once, each naming the line and the field: a mineral not
        in the catalogue or given twice, a missing or non-positive price or reported value, a
        year that is not a four-digit year, or an empty variable, unit, conversion or source.

    Examples
    --------
    >>> p = load_prices().set_index("mineral")
    >>> float(p.loc["gallium", "usd_per_t"]), int(p.loc["gallium", "year"])
    (290000.0, 2023)
    >>> "rare_earths" in p.index
    False
    >>> from critmin.data.dataset import load
    >>> from critmin.data.prices import price_table
    >>> q = load_prices(table=price_table(load())).set_index("mineral")
    >>> float(q.loc["neodymium", "usd_per_t"]), int(q.loc["neodymium", "year"])
    (73000.0, 2025)
    """
    if table is not None:
        return prices_from_table(table)
    return _cached(_path(path, PRICES_PATH), "prices")


def prices_from_table(table: pd.DataFrame) -> pd.DataFrame:
    """The latest USD-per-tonne price of each catalogue mineral of a price table.

    Returns the columns of :data:`PRICE_COLUMNS`; minerals with no sourced price have no row
    (as in ``prices.csv``).
    """
    from critmin.data.prices import latest_prices

    latest = latest_prices(table)
    latest = latest[latest["mineral"].isin(MINERAL_IDS)]
    out = pd.DataFrame(
        {
            "mineral": latest["mineral"],
            "usd_per_t": latest["usd_per_t"].astype(float),
            "year": latest["year"].astype(int),
            "variable": latest["variable"],
            "unit_reported": latest["unit"],
            "value_reported": latest["value"].astype(float),
            "conversion": latest["conversion"],
            "source": latest["source"] + " (" + latest["status"].astype(str) + ")",
            "note": latest["product"] + "; per " + latest["basis"],
        }
    )
    return out[list(PRICE_COLUMNS)].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Reading and checking


def _path(path: str | Path | None, default: Path) -> Path:
    return default if path is None else Path(path)


def _cached(path: Path, kind: str) -> pd.DataFrame:
    """A fresh copy of the validated table (cached per file and modification time)."""
    stamp = path.stat().st_mtime_ns if path.exists() else -1
    return _load(str(path.resolve()), stamp, kind).copy()


@lru_cache(maxsize=32)
def _load(path: str, stamp: int, kind: str) -> pd.DataFrame:
    readers: dict[str, Callable[[Path], pd.DataFrame]] = {
        "lever_costs": _read_lever_costs,
        "lead_times": _read_lead_times,
        "prices": _read_prices,
    }
    return readers[kind](Path(path))


def _records(path: Path, columns: tuple[str, ...]) -> tuple[str, list[tuple[int, dict[str, str]]]]:
    """The file's label and its data rows as ``(line, {column: stripped text})``."""
    return read_csv_rows(path, columns, exact=True)


class _Row:
    """Checks the fields of one row and collects its problems."""

    def __init__(self, label: str, line: int, row: dict[str, str], problems: list[Problem]):
        self.label, self.line, self.row, self.problems = label, line, row, problems

    def bad(self, fld: str, expected: str) -> None:
        self.problems.append(Problem(self.label, self.line, fld, expected, self.row[fld]))

    def one_of(self, fld: str, allowed: Iterable[str]) -> str | None:
        allowed = tuple(allowed)
        if self.row[fld] in allowed:
            return self.row[fld]
        self.bad(fld, f"one of {', '.join(allowed)}")
        return None

    def text(self, fld: str, what: str) -> None:
        if not self.row[fld]:
            self.bad(fld, what)

    def number(self, fld: str, *, required: bool) -> float | None:
        """A positive finite number; ``None`` when empty (a problem if ``required``)."""
        text = self.row[fld]
        if not text:
            if required:
                self.bad(fld, "a positive number")
            return None
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value <= 0:
            self.bad(fld, "a positive number (digits, '.' as decimal point, no separators)")
            return None
        return value

    def range(self) -> tuple[float | None, float | None, float | None]:
        """low, central (required), high with low ≤ central ≤ high."""
        low = self.number("low", required=False)
        central = self.number("central", required=True)
        high = self.number("high", required=False)
        if central is not None:
            if low is not None and low > central:
                self.bad("low", f"a number at most central ({central:g})")
            if high is not None and high < central:
                self.bad("high", f"a number at least central ({central:g})")
        elif low is not None and high is not None and low > high:
            self.bad("low", f"a number at most high ({high:g})")
        return low, central, high

    def unique(self, key: tuple[str, ...], seen: dict[tuple[str, ...], int], fld: str) -> None:
        if key in seen:
            self.bad(fld, f"a ({', '.join(key)}) not given before (line {seen[key]})")
        else:
            seen[key] = self.line


def _nan(v: float | None) -> float:
    return math.nan if v is None else v


def _frame(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(columns))
    return df.reset_index(drop=True)


def _read_lever_costs(path: Path) -> pd.DataFrame:
    label, rows = _records(path, LEVER_COST_COLUMNS)
    problems: list[Problem] = []
    out: list[dict[str, Any]] = []
    seen: dict[tuple[str, ...], int] = {}
    for line, r in rows:
        ck = _Row(label, line, r, problems)
        m = r["mineral"] if r["mineral"] in MINERAL_IDS else None
        if m is None:
            ck.bad("mineral", "a mineral id of critmin.data.catalogue (e.g. copper, lithium)")
        stage = ck.one_of("stage", STAGES)
        lever = ck.one_of("lever", LEVERS)
        if stage and lever and LEVERS[lever] != stage:
            ck.bad("lever", f"the lever that adds {stage} capacity ({stage})")
        if m and stage in ("mine", "refine") and stage not in mineral(m).basis:
            have = ", ".join(mineral(m).basis)
            ck.bad("stage", f"a stage {m} has in the catalogue ({have}) or recycle")
        low, central, high = ck.range()
        if r["unit"] != COST_UNIT:
            ck.bad("unit", COST_UNIT)
        match = _YEAR_SPAN.match(r["year"])
        if not match or not _years_ok(match):
            ck.bad("year", "the dollar year YYYY or span YYYY-YYYY (1900-2100, in order)")
        ck.text("basis", "what one tonne counts (e.g. Cu content)")
        ck.text("source", "the source of the figure")
        ck.text("derivation", "how the figure was obtained (the arithmetic)")
        ck.one_of("confidence", CONFIDENCE)
        ck.unique((r["mineral"], r["stage"], r["lever"]), seen, "lever")
        out.append({**r, "low": _nan(low), "central": _nan(central), "high": _nan(high)})
    if problems:
        raise DataError(problems)
    return _frame(out, LEVER_COST_COLUMNS)


def _years_ok(match: re.Match[str]) -> bool:
    first = int(match.group(1))
    last = int(match.group(2)) if match.group(2) else first
    return 1900 <= first <= last <= 2100


def _read_lead_times(path: Path) -> pd.DataFrame:
    label, rows = _records(path, LEAD_TIME_COLUMNS)
    iso3 = known_iso3()
    problems: list[Problem] = []
    out: list[dict[str, Any]] = []
    seen: dict[tuple[str, ...], int] = {}
    for line, r in rows:
        ck = _Row(label, line, r, problems)
        if r["country"] not in COUNTRY_GROUPS and r["country"] not in iso3:
            ck.bad("country", "an ISO3 country code, EU27 or * (any country)")
        ck.one_of("stage", STAGES)
        ck.one_of("phase", PHASES)
        low, central, high = ck.range()
        if r["unit"] != TIME_UNIT:
            ck.bad("unit", TIME_UNIT)
        ck.text("source", "the source of the figure")
        ck.one_of("confidence", CONFIDENCE)
        ck.unique((r["country"], r["stage"], r["phase"]), seen, "phase")
        out.append({**r, "low": _nan(low), "central": _nan(central), "high": _nan(high)})
    if problems:
        raise DataError(problems)
    return _frame(out, LEAD_TIME_COLUMNS)


def _read_prices(path: Path) -> pd.DataFrame:
    label, rows = _records(path, PRICE_COLUMNS)
    problems: list[Problem] = []
    out: list[dict[str, Any]] = []
    seen: dict[tuple[str, ...], int] = {}
    for line, r in rows:
        ck = _Row(label, line, r, problems)
        if r["mineral"] not in MINERAL_IDS:
            ck.bad("mineral", "a mineral id of critmin.data.catalogue (e.g. copper, lithium)")
        ck.unique((r["mineral"],), seen, "mineral")
        usd = ck.number("usd_per_t", required=True)
        reported = ck.number("value_reported", required=True)
        year = int(r["year"]) if re.fullmatch(r"\d{4}", r["year"]) else None
        if year is None or not 1900 <= year <= 2100:
            ck.bad("year", "the data year YYYY (1900-2100)")
        ck.text("variable", "the USGS variable priced")
        ck.text("unit_reported", "the unit of value_reported")
        ck.text("conversion", "the arithmetic from value_reported to usd_per_t")
        ck.text("source", "the USGS edition and file")
        out.append({**r, "usd_per_t": _nan(usd), "value_reported": _nan(reported),
                    "year": year if year is not None else -1})  # fmt: skip
    if problems:
        raise DataError(problems)
    df = _frame(out, PRICE_COLUMNS)
    df["year"] = df["year"].astype(int)
    return df
