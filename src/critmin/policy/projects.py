"""The project pipeline: sourced critical-mineral projects, US funding actions and lead times.

Two curated reference tables ship with critmin (``critmin/data/reference``; their columns,
coverage and every citation are described in ``projects_SOURCES.md`` beside them):

* ``projects.csv``: 66 critical-mineral projects in the US (51) and partner countries, with
  capacity, status, permitting and production dates, capital cost and confidence;
* ``us_funding.csv``: 81 US government funding and support actions, 2020–2025.

Both are read strictly: a bad row raises :class:`~critmin.data.errors.DataError` naming the
file, the 1-based line and the field, with every problem of the file at once.

Lead times (REFERENCE §7) used by :func:`expected_start`:

* permitting per country, ``permitting.csv`` beside this module (REFERENCE §7.2): USA 7–10
  years, Australia 1–2, Canada ~2 (a single figure), EU member states 27 months for
  extraction under the CRMA; any other country has insufficient data;
* building a mine or plant once permitted: 2–5 years, central 3 (REFERENCE §7.3, tagged
  [MEMORY – unverified] there, so confidence L).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeAlias

import pandas as pd

from critmin.data.catalogue import MINERAL_IDS
from critmin.data.countries import known_iso3
from critmin.data.errors import DataError, Problem
from critmin.data.files import read_csv_rows

#: Project statuses documented in projects_SOURCES.md.
STATUSES = (
    "operating", "commissioning", "construction", "permitted", "permitting", "feasibility",
    "stalled", "closed", "unverified",
)  # fmt: skip
#: Statuses whose start :func:`expected_start` may model from permit dates when no first
#: production date is reported (``permitted`` included: a permit date makes it computable).
NOT_STARTED = ("permitting", "feasibility", "permitted")
#: Stage names of projects.csv → critmin stage names.
STAGE_NAMES = {
    "mine": "mine",
    "concentrate": "concentrate",
    "refining/separation": "refine",
    "metal": "metal",
    "component": "component",
    "recycling": "recycling",
}
STAGES = tuple(dict.fromkeys(STAGE_NAMES.values()))
CONFIDENCE = ("H", "M", "L")
#: Years from permit to first production (low, central, high): REFERENCE §7.3 "~2–5 years to
#: build" a refinery or separation plant, [MEMORY – unverified]; central 3 is our choice.
CONSTRUCTION_YEARS = (2.0, 3.0, 5.0)
CONSTRUCTION_CONFIDENCE = "L"

#: Mineral names of the reference tables that are not simply a catalogue id.
MINERAL_NAMES: dict[str, tuple[str, ...]] = {
    "rare earths": ("rare_earths",),
    "rare earth": ("rare_earths",),
    "rare earth elements": ("rare_earths",),
    "platinum group metals": ("platinum", "palladium"),
    "pgm": ("platinum", "palladium"),
    "aluminum": ("aluminium",),
}

PROJECT_COLUMNS = (
    "project_id", "name", "operator", "country_iso3", "state_region", "minerals", "stage",
    "capacity_value", "capacity_unit", "capacity_source", "status", "status_as_of",
    "status_source", "date_permit_applied", "date_permit_granted", "date_construction_start",
    "date_first_production", "first_production_is_expected", "capex_usd", "capex_year",
    "confidence",
)  # fmt: skip
FUNDING_COLUMNS_IN = (
    "action_id", "date", "agency", "program_authority", "instrument", "recipient", "project_id",
    "minerals", "amount_usd", "amount_qualifier", "action_status", "purpose", "source",
)  # fmt: skip
DATE_FIELDS = (
    "date_permit_applied", "date_permit_granted", "date_construction_start",
    "date_first_production",
)  # fmt: skip

#: Columns of ``critmin projects --format json|csv`` (docs/cli-json.md).
PIPELINE_COLUMNS = (
    "project_id", "name", "operator", "country", "minerals", "stages", "capacity_value",
    "capacity_low", "capacity_high", "capacity_unit", "status", "status_as_of",
    "date_first_production", "first_production_expected", "expected_start",
    "expected_start_expedited", "start_basis", "capex_usd", "capex_year", "confidence",
)  # fmt: skip
#: Columns of ``critmin projects --funding --format json|csv`` (docs/cli-json.md).
FUNDING_COLUMNS = (
    "action_id", "year", "date", "agency", "program_authority", "instrument", "recipient",
    "project_id", "minerals", "amount_usd", "amount_qualifier", "action_status", "purpose",
    "source",
)  # fmt: skip

_NUM = r"\d+(?:\.\d+)?"
_NUMBER = re.compile(rf"^({_NUM})$")
_RANGE = re.compile(rf"^({_NUM})\s*-\s*({_NUM})$")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_PARTIAL = r"\d{4}(?:-\d{2}(?:-\d{2})?)?"
_FUNDING_DATE = re.compile(rf"^({_PARTIAL})(?:/{_PARTIAL})?(?: \(.*\))?$")
_PROJECT_ID = re.compile(r"^P\d{3}$")
_ACTION_ID = re.compile(r"^F\d{3}$")


def reference_path(name: str) -> Path:
    """A reference table shipped with critmin (``critmin/data/reference/NAME``).

    Examples
    --------
    >>> reference_path("projects.csv").name
    'projects.csv'
    """
    return Path(str(resources.files("critmin.data") / "reference" / name))


def permitting_path() -> Path:
    """The permitting-duration table shipped beside this module."""
    return Path(str(resources.files("critmin.policy") / "permitting.csv"))


# --------------------------------------------------------------------------------------------
# Minerals and numbers


def _split_top(text: str, sep: str = ";") -> list[str]:
    """Split ``text`` at ``sep`` outside parentheses."""
    parts: list[str] = []
    cur: list[str] = []
    depth = 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(depth - 1, 0)
        if ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def mineral_ids(text: str) -> tuple[str, ...]:
    """The critmin mineral ids named in a ``minerals`` cell of the reference tables.

    Items are separated by ``;`` (outside parentheses); parenthesised detail is dropped
    ("graphite (natural)" → ``graphite``); "rare earths" → ``rare_earths``; "platinum group
    metals" → ``platinum`` and ``palladium``; "X and Y" names both. Names that are not in
    :data:`critmin.data.catalogue.MINERAL_IDS` (uranium, scandium, hafnium, zirconium, coal,
    cadmium, "others" ...) are dropped: the raw text stays in ``minerals_text``.

    Examples
    --------
    >>> mineral_ids("rare earths (NdPr, Ce, La)")
    ('rare_earths',)
    >>> mineral_ids("rare earths (NdPr; Dy and Tb planned); uranium")
    ('rare_earths',)
    >>> mineral_ids("copper; nickel; cobalt; platinum group metals")
    ('copper', 'nickel', 'cobalt', 'platinum', 'palladium')
    >>> mineral_ids("lithium; boron")
    ('lithium', 'boron')
    >>> mineral_ids("critical minerals and rare earths")
    ('rare_earths',)
    """
    out: list[str] = []
    for item in _split_top(text):
        base = item
        while True:
            stripped = re.sub(r"\([^()]*\)", " ", base)
            if stripped == base:
                break
            base = stripped
        for part in re.split(r"\band\b", base):
            name = " ".join(part.lower().split())
            ids = MINERAL_NAMES.get(name)
            if ids is None:
                key = name.replace(" ", "_")
                ids = (key,) if key in MINERAL_IDS else ()
            out.extend(i for i in ids if i not in out)
    return tuple(out)


def _amount(text: str) -> tuple[float, float, float] | None:
    """``"40000"`` → (40000, 40000, 40000); ``"850-1000"`` → (925, 850, 1000); ``""`` → None."""
    if not text:
        return None
    m = _NUMBER.match(text)
    if m:
        v = float(m.group(1))
        return v, v, v
    m = _RANGE.match(text)
    if m:
        lo, hi = float(m.group(1)), float(m.group(2))
        if lo <= hi:
            return (lo + hi) / 2, lo, hi
    raise ValueError(text)


def _date_year(text: str) -> int | None:
    """Year of a partial ISO date (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``); ValueError if bad."""
    if not text:
        return None
    m = _DATE.match(text)
    if not m:
        raise ValueError(text)
    month, day = m.group(2), m.group(3)
    if month is not None and not 1 <= int(month) <= 12:
        raise ValueError(text)
    if day is not None and not 1 <= int(day) <= 31:
        raise ValueError(text)
    return int(m.group(1))


# --------------------------------------------------------------------------------------------
# Reading


def _records(path: Path, required: tuple[str, ...]) -> tuple[str, list[tuple[int, dict[str, str]]]]:
    """The file's label and its data rows as ``(line, {column: stripped text})``."""
    return read_csv_rows(path, required, exact=False)


class _Checker:
    """Collects the problems of one row."""

    def __init__(self, label: str, line: int, row: dict[str, str], problems: list[Problem]):
        self.label, self.line, self.row, self.problems = label, line, row, problems

    def bad(self, fld: str, expected: str) -> None:
        self.problems.append(Problem(self.label, self.line, fld, expected, self.row[fld]))

    def amount(self, fld: str) -> tuple[float, float, float] | None:
        try:
            return _amount(self.row[fld])
        except ValueError:
            self.bad(fld, "a number, a range low-high, or nothing")
            return None

    def year(self, fld: str) -> int | None:
        try:
            return _date_year(self.row[fld])
        except ValueError:
            self.bad(fld, "a date YYYY, YYYY-MM or YYYY-MM-DD, or nothing")
            return None

    def one_of(self, fld: str, allowed: Iterable[str]) -> None:
        allowed = tuple(allowed)
        if self.row[fld] not in allowed:
            self.bad(fld, f"one of {', '.join(allowed)}")


def _citations(*texts: str) -> str:
    out: list[str] = []
    for t in texts:
        out.extend(c.strip() for c in t.split(" | ") if c.strip() and c.strip() not in out)
    return " | ".join(out)


def _na(v: float | int | None) -> Any:
    return pd.NA if v is None else v


def _read_projects(path: Path) -> pd.DataFrame:
    label, rows = _records(path, PROJECT_COLUMNS)
    iso3 = known_iso3()
    problems: list[Problem] = []
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for line, r in rows:
        ck = _Checker(label, line, r, problems)
        pid = r["project_id"]
        if not _PROJECT_ID.match(pid):
            ck.bad("project_id", "an id P### (P and three digits)")
        elif pid in seen:
            ck.bad("project_id", "a project id not used on an earlier row")
        seen.add(pid)
        if not r["name"]:
            ck.bad("name", "the project's name")
        if r["country_iso3"] not in iso3:
            ck.bad("country_iso3", "an ISO3 country code (e.g. USA, AUS, CAN)")
        minerals = mineral_ids(r["minerals"])
        if not minerals:
            ck.bad("minerals", "at least one mineral critmin knows (e.g. lithium, rare earths)")
        stage_items = [s.strip() for s in r["stage"].split(";") if s.strip()]
        if not stage_items or any(s not in STAGE_NAMES for s in stage_items):
            ck.bad("stage", f"stages joined by ';' among {', '.join(STAGE_NAMES)}")
        stages = tuple(dict.fromkeys(STAGE_NAMES[s] for s in stage_items if s in STAGE_NAMES))
        capacity = ck.amount("capacity_value")
        if capacity is not None and not r["capacity_unit"]:
            ck.bad("capacity_unit", "the unit of capacity_value")
        ck.one_of("status", STATUSES)
        if not _DATE.match(r["status_as_of"]):
            ck.bad("status_as_of", "a date YYYY, YYYY-MM or YYYY-MM-DD")
        years = {f: ck.year(f) for f in DATE_FIELDS}
        flag = r["first_production_is_expected"]
        if r["date_first_production"] and flag not in ("yes", "no"):
            ck.bad("first_production_is_expected", "yes or no (a first production date is given)")
        elif not r["date_first_production"] and flag:
            ck.bad("first_production_is_expected", "nothing (no first production date is given)")
        capex = ck.amount("capex_usd")
        capex_year = None
        if r["capex_year"]:
            if re.fullmatch(r"\d{4}", r["capex_year"]):
                capex_year = int(r["capex_year"])
            else:
                ck.bad("capex_year", "a year YYYY, or nothing")
        ck.one_of("confidence", CONFIDENCE)
        rec: dict[str, Any] = {
            "project_id": pid,
            "name": r["name"],
            "operator": r["operator"],
            "country": r["country_iso3"],
            "state_region": r["state_region"],
            "minerals": minerals,
            "minerals_text": r["minerals"],
            "stages": stages,
            "capacity_value": capacity[0] if capacity else float("nan"),
            "capacity_low": capacity[1] if capacity else float("nan"),
            "capacity_high": capacity[2] if capacity else float("nan"),
            "capacity_unit": r["capacity_unit"] or None,
            "status": r["status"],
            "status_as_of": r["status_as_of"],
        }
        for f in DATE_FIELDS:
            rec[f] = _na(years[f])
            rec[f"{f}_text"] = r[f] or None
        rec.update(
            {
                "first_production_expected": {"yes": True, "no": False}.get(flag, pd.NA),
                "capex_usd": capex[0] if capex else float("nan"),
                "capex_usd_low": capex[1] if capex else float("nan"),
                "capex_usd_high": capex[2] if capex else float("nan"),
                "capex_year": _na(capex_year),
                "confidence": r["confidence"],
                "sources": _citations(r["capacity_source"], r["status_source"]),
            }
        )
        out.append(rec)
    if problems:
        raise DataError(problems)
    df = pd.DataFrame(out)
    for f in (*DATE_FIELDS, "capex_year"):
        df[f] = df[f].astype("Int64")
    df["first_production_expected"] = df["first_production_expected"].astype("boolean")
    return df


@lru_cache(maxsize=1)
def _shipped_projects() -> pd.DataFrame:
    return _read_projects(reference_path("projects.csv"))


def load_projects(path: Path | str | None = None) -> pd.DataFrame:
    """Read and validate a projects table (default: the one shipped with critmin).

    One row per project with columns ``project_id, name, operator, country`` (ISO3),
    ``state_region``, ``minerals`` (tuple of critmin mineral ids, see :func:`mineral_ids`),
    ``minerals_text`` (as written), ``stages`` (tuple among mine, concentrate, refine — the
    table's "refining/separation" —, metal, component, recycling), ``capacity_value``
    (the midpoint of a range), ``capacity_low``, ``capacity_high`` (equal to the value when a
    single figure is given), ``capacity_unit`` (as reported: units differ between projects),
    ``status``, ``status_as_of``, the year (nullable int) of ``date_permit_applied``,
    ``date_permit_granted``, ``date_construction_start`` and ``date_first_production`` with
    the text as written in ``<column>_text``, ``first_production_expected`` (nullable
    boolean: True for a target, False when production happened, NA without a date),
    ``capex_usd`` (midpoint of a range; NaN when not reported in or converted to USD),
    ``capex_usd_low``, ``capex_usd_high``, ``capex_year``, ``confidence`` (H, M, L) and
    ``sources`` (the citations of capacity and status).

    Raises
    ------
    DataError
        Naming file, line and field of every bad cell: an unknown status, stage or
        confidence, an unknown ISO3 code, a capacity or capex that is not a number or range,
        a malformed date, a duplicate id, no known mineral, a missing column.

    Examples
    --------
    >>> df = load_projects()
    >>> len(df), int((df["country"] == "USA").sum())
    (66, 51)
    >>> p = df.set_index("project_id").loc["P001"]
    >>> p["name"], p["country"], p["minerals"], p["stages"]
    ('Thacker Pass', 'USA', ('lithium',), ('mine', 'refine'))
    >>> float(p["capacity_value"]), float(p["capex_usd"]), int(p["date_first_production"])
    (40000.0, 2930000000.0, 2027)
    """
    if path is None:
        return _shipped_projects().copy()
    return _read_projects(Path(path))


def load_funding(
    path: Path | str | None = None, *, projects_path: Path | str | None = None
) -> pd.DataFrame:
    """Read and validate a US funding-actions table (default: the one shipped with critmin).

    One row per action with ``action_id``, ``year`` (nullable int, the year the ``date``
    text starts with), ``date`` (as written: a partial ISO date, a span ``A/B`` or a date
    with a note in parentheses), ``agency, program_authority, instrument, recipient``,
    ``project_id`` (a project of ``projects_path``, default the shipped projects; None when
    the action maps to no listed project), ``minerals`` (tuple of critmin ids, possibly
    empty for "multiple critical minerals"), ``minerals_text``, ``amount_usd`` (nominal,
    NaN when undisclosed), ``amount_qualifier, action_status, purpose, source, notes``.

    Raises
    ------
    DataError
        For a bad id, date or amount, or a project id that is not in the projects table.

    Examples
    --------
    >>> f = load_funding()
    >>> len(f)
    81
    >>> a = f.set_index("action_id").loc["F001"]
    >>> a["project_id"] in set(load_projects()["project_id"])
    True
    """
    if path is None and projects_path is None:
        return _shipped_funding().copy()
    ids = frozenset(load_projects(projects_path)["project_id"])
    return _read_funding(Path(path) if path is not None else reference_path("us_funding.csv"), ids)


@lru_cache(maxsize=1)
def _shipped_funding() -> pd.DataFrame:
    ids = frozenset(_shipped_projects()["project_id"])
    return _read_funding(reference_path("us_funding.csv"), ids)


def _read_funding(path: Path, project_ids: frozenset[str]) -> pd.DataFrame:
    label, rows = _records(path, FUNDING_COLUMNS_IN)
    problems: list[Problem] = []
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for line, r in rows:
        ck = _Checker(label, line, r, problems)
        aid = r["action_id"]
        if not _ACTION_ID.match(aid):
            ck.bad("action_id", "an id F### (F and three digits)")
        elif aid in seen:
            ck.bad("action_id", "an action id not used on an earlier row")
        seen.add(aid)
        year: int | None = None
        if r["date"]:
            m = _FUNDING_DATE.match(r["date"])
            if m is None:
                ck.bad("date", "a date YYYY[-MM[-DD]], a span A/B or a date with a (note)")
            else:
                year = int(m.group(1)[:4])
        if r["project_id"] and r["project_id"] not in project_ids:
            ck.bad("project_id", "a project_id of projects.csv, or nothing")
        amount = None
        if r["amount_usd"]:
            m = _NUMBER.match(r["amount_usd"])
            if m is None:
                ck.bad("amount_usd", "a number of US dollars, or nothing")
            else:
                amount = float(m.group(1))
        out.append(
            {
                "action_id": aid,
                "year": _na(year),
                "date": r["date"] or None,
                "agency": r["agency"],
                "program_authority": r["program_authority"],
                "instrument": r["instrument"],
                "recipient": r["recipient"],
                "project_id": r["project_id"] or None,
                "minerals": mineral_ids(r["minerals"]),
                "minerals_text": r["minerals"],
                "amount_usd": float("nan") if amount is None else amount,
                "amount_qualifier": r["amount_qualifier"] or None,
                "action_status": r["action_status"],
                "purpose": r["purpose"],
                "source": r["source"],
                "notes": r.get("notes") or None,
            }
        )
    if problems:
        raise DataError(problems)
    df = pd.DataFrame(out)
    df["year"] = df["year"].astype("Int64")
    return df


# --------------------------------------------------------------------------------------------
# Lead times


@lru_cache(maxsize=1)
def _permitting_table() -> dict[str, tuple[float, float, float]]:
    label = "permitting.csv"
    out: dict[str, tuple[float, float, float]] = {}
    with permitting_path().open(encoding="utf-8", newline="") as fh:
        for i, r in enumerate(csv.DictReader(fh), start=2):
            per = {"years": 1.0, "months": 1 / 12}.get(r["unit"])
            if per is None:
                raise DataError([Problem(label, i, "unit", "years or months", r["unit"])])
            lo, mid, hi = (float(r[c]) * per for c in ("low", "central", "high"))
            out[r["country"]] = (lo, mid, hi)
    return out


@lru_cache(maxsize=1)
def _eu27() -> frozenset[str]:
    from critmin.data.regions import builtin_regions

    return frozenset(builtin_regions()["EU27"])


def permitting_years(country: str) -> tuple[float, float, float] | None:
    """Years to obtain the permits of a mine: (low, central, high), or None (insufficient data).

    From ``permitting.csv`` (REFERENCE §7.2, confidence M): USA 7–10 years (central 8.5, the
    midpoint); Australia 1–2 (1.5); Canada "~2 years", a single figure, so (2, 2, 2); the 27
    EU member states (and ``EU27`` itself) 27 months = 2.25 years, the CRMA's time limit for
    the extraction permits of strategic projects (a statutory limit, not an observed
    average). Every other country: None.

    Examples
    --------
    >>> permitting_years("USA")
    (7.0, 8.5, 10.0)
    >>> permitting_years("can")
    (2.0, 2.0, 2.0)
    >>> permitting_years("DEU")
    (2.25, 2.25, 2.25)
    >>> permitting_years("BRA") is None
    True
    """
    code = country.strip().upper()
    table = _permitting_table()
    if code in table:
        return table[code]
    if code in _eu27() and "EU27" in table:
        return table["EU27"]
    return None


Project: TypeAlias = str | Mapping[str, Any] | pd.Series


def _lookup(project: Project) -> Mapping[str, Any] | pd.Series:
    if not isinstance(project, str):
        return project
    df = _shipped_projects()
    hit = df[df["project_id"] == project]
    if hit.empty:
        raise KeyError(f"unknown project {project!r}")
    return hit.iloc[0]


def _int(v: Any) -> int | None:
    return None if v is None or pd.isna(v) else int(v)


def start_with_basis(project: Project, expedite_years: float = 0.0) -> tuple[float | None, str]:
    """:func:`expected_start` together with how it was obtained.

    The basis is ``reported`` (the table's date_first_production), ``permit granted + build``,
    ``permit applied + permitting + build`` or ``insufficient data``.
    """
    if expedite_years < 0:
        raise ValueError(f"expedite_years must not be negative, not {expedite_years}")
    p = _lookup(project)
    reported = _int(p["date_first_production"])
    if reported is not None:
        return float(reported), "reported"
    if p["status"] not in NOT_STARTED:
        return None, "insufficient data"
    build = CONSTRUCTION_YEARS[1]
    granted = _int(p["date_permit_granted"])
    if granted is not None:
        return granted + build, "permit granted + build"
    applied = _int(p["date_permit_applied"])
    perm = permitting_years(str(p["country"]))
    if applied is None or perm is None:
        return None, "insufficient data"
    # Still waiting at status_as_of: the permit comes no earlier than that year.
    as_of = int(str(p["status_as_of"])[:4])
    permit = max(applied + max(perm[1] - expedite_years, 0.0), float(as_of))
    return permit + build, "permit applied + permitting + build"


def expected_start(project: Project, expedite_years: float = 0.0) -> float | None:
    """The year a project's first production is expected, or None (insufficient data).

    * A reported ``date_first_production`` (a target or a date that happened) is returned as
      reported, whatever the status (stale targets stay as the sources give them).
    * Otherwise, for a project not yet built (status ``permitting``, ``feasibility`` or
      ``permitted``): the year its permit was granted, plus building time; or, without a
      grant, the year it applied plus the country's central permitting time
      (:func:`permitting_years`; no earlier than ``status_as_of``), plus building time.
      Building time is 3 years (REFERENCE §7.3: 2–5 years, confidence L).
    * Anything else (no dates, or a country without permitting data): None.

    ``expedite_years`` shortens the remaining permitting phase: never below zero, and it
    never moves a project already permitted nor a reported date, so expediting never delays.

    Parameters
    ----------
    project
        A project id of the shipped table, or a row of :func:`load_projects`.
    expedite_years
        Years taken off the central permitting time (0 or more).

    Examples
    --------
    >>> expected_start("P001")  # reported target
    2027.0
    >>> expected_start("P006")  # state permit granted 2024 + 3 years building
    2027.0
    >>> expected_start("P027")  # applied 2023 + 8.5 years US permitting + 3 years building
    2034.5
    >>> expected_start("P027", expedite_years=4.25)
    2030.25
    >>> expected_start("P009") is None  # feasibility, no dates
    True
    """
    return start_with_basis(project, expedite_years)[0]


def pipeline(
    mineral: str | None = None,
    country: str | None = None,
    status: str | Iterable[str] | None = None,
    *,
    projects: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The projects, filtered, with their expected start with and without expedited permits.

    Adds ``expected_start`` (:func:`expected_start`), ``expected_start_expedited`` — the
    "expedited permitting" case, where each project's remaining permitting time is halved
    (``expedite_years`` = half its country's central permitting time). Halving is a
    scenario assumption of critmin, not a figure from a source. — and ``start_basis``.

    Parameters
    ----------
    mineral
        Keep projects listing this critmin mineral id.
    country
        Keep projects in this ISO3 country.
    status
        Keep projects with this status (or any of these statuses).
    projects
        A table from :func:`load_projects` (default: the shipped one).

    Raises
    ------
    ValueError
        For an unknown mineral id, ISO3 code or status.

    Examples
    --------
    >>> df = pipeline(mineral="nickel", country="USA", status="permitting")
    >>> df[["project_id", "expected_start", "expected_start_expedited"]].to_dict("records")
    [{'project_id': 'P027', 'expected_start': 2034.5, 'expected_start_expedited': 2030.25}]
    >>> len(pipeline(mineral="rare_earths"))
    21
    """
    df = load_projects() if projects is None else projects.copy()
    if mineral is not None:
        if mineral not in MINERAL_IDS:
            raise ValueError(f"unknown mineral {mineral!r}; known: {', '.join(MINERAL_IDS)}")
        df = df[df["minerals"].map(lambda t: mineral in t)]
    if country is not None:
        code = country.strip().upper()
        if code not in known_iso3():
            raise ValueError(f"unknown ISO3 country code {country!r}")
        df = df[df["country"] == code]
    if status is not None:
        wanted = [status] if isinstance(status, str) else list(status)
        bad = [s for s in wanted if s not in STATUSES]
        if bad:
            raise ValueError(f"unknown status {bad[0]!r}; known: {', '.join(STATUSES)}")
        df = df[df["status"].isin(wanted)]
    df = df.reset_index(drop=True)
    starts, fast, basis = [], [], []
    for _, row in df.iterrows():
        perm = permitting_years(str(row["country"]))
        s, b = start_with_basis(row)
        f = start_with_basis(row, perm[1] / 2 if perm else 0.0)[0]
        starts.append(float("nan") if s is None else s)
        fast.append(float("nan") if f is None else f)
        basis.append(b)
    df["expected_start"] = pd.Series(starts, index=df.index, dtype="float64")
    df["expected_start_expedited"] = pd.Series(fast, index=df.index, dtype="float64")
    df["start_basis"] = pd.Series(basis, index=df.index, dtype="object")
    return df


def funding(
    mineral: str | None = None,
    project: str | Iterable[str] | None = None,
    *,
    actions: pd.DataFrame | None = None,
    projects: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """US funding actions, filtered by mineral and/or linked project.

    An action matches ``mineral`` when its own minerals or those of its linked project
    list it. ``project`` keeps the actions linked to that project id (or to any of these).

    Examples
    --------
    >>> f = funding(project="P001")
    >>> sorted(f["action_id"])
    ['F037', 'F054', 'F071']
    >>> len(funding(mineral="antimony")) >= 5
    True
    """
    df = load_funding() if actions is None else actions.copy()
    proj = load_projects() if projects is None else projects
    if mineral is not None:
        if mineral not in MINERAL_IDS:
            raise ValueError(f"unknown mineral {mineral!r}; known: {', '.join(MINERAL_IDS)}")
        by_project = dict(zip(proj["project_id"], proj["minerals"], strict=True))
        hit = [
            mineral in own or mineral in by_project.get(pid or "", ())
            for own, pid in zip(df["minerals"], df["project_id"], strict=True)
        ]
        df = df[hit]
    if project is not None:
        ids = {project} if isinstance(project, str) else set(project)
        df = df[df["project_id"].isin(ids)]
    return df.reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Views for the command line


def _joined(v: Any) -> Any:
    return "; ".join(v) if isinstance(v, tuple) else v


def flat(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with tuple cells (minerals, stages) joined by ``"; "`` (for CSV)."""
    out = df.copy()
    for c in out.columns:
        if out[c].map(lambda v: isinstance(v, tuple)).any():
            out[c] = out[c].map(_joined)
    return out


def _year_text(v: Any) -> str:
    return "—" if v is None or pd.isna(v) else f"{float(v):g}"


def _capacity_text(row: pd.Series) -> str:
    if pd.isna(row["capacity_value"]):
        return "—"
    lo, hi = float(row["capacity_low"]), float(row["capacity_high"])
    return f"{lo:,.6g}" if lo == hi else f"{lo:,.6g}–{hi:,.6g}"


def table_view(df: pd.DataFrame, kind: Literal["pipeline", "funding"]) -> pd.DataFrame:
    """Short columns for a terminal: the pipeline or the funding actions."""
    if kind == "funding":
        return pd.DataFrame(
            {
                "id": df["action_id"],
                "date": df["date"],
                "agency": df["agency"],
                "instrument": df["instrument"],
                "recipient": df["recipient"],
                "project": df["project_id"],
                "minerals": df["minerals"].map(_joined),
                "amount_usd": df["amount_usd"],
                "status": df["action_status"],
            }
        )
    first = [
        "—" if t is None else (f"{t} (expected)" if exp is True else t)
        for t, exp in zip(
            df["date_first_production_text"], df["first_production_expected"], strict=True
        )
    ]
    return pd.DataFrame(
        {
            "id": df["project_id"],
            "name": df["name"],
            "country": df["country"],
            "minerals": df["minerals"].map(_joined),
            "stages": df["stages"].map(_joined),
            "capacity": [_capacity_text(r) for _, r in df.iterrows()],
            "unit": df["capacity_unit"],
            "status": df["status"],
            "first production": first,
            "expected start": df["expected_start"].map(_year_text),
            "expedited start": df["expected_start_expedited"].map(_year_text),
            "capex_usd": df["capex_usd"],
            "confidence": df["confidence"],
        }
    )
