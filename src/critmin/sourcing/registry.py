"""One registry of smelters across supplier reports, and the lists smelters are checked against.

Examples
--------
>>> normalise_name("Yunnan Tin Co., Ltd."), normalise_name("PT Timah Tbk")
('yunnan tin', 'timah')
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd

from critmin.data.errors import DataError, Problem
from critmin.sourcing.templates import METALS, resolve_country

#: The covered countries shipped with critmin (Dodd-Frank §1502, DRC and adjoining countries).
COVERED_COUNTRIES = Path(__file__).resolve().parent / "data" / "covered_countries.csv"

_SUFFIXES = {
    "co", "ltd", "inc", "sa", "gmbh", "llc", "corp", "corporation", "company", "limited", "plc",
    "ag", "bv", "nv", "pte", "pty", "srl", "spa", "jsc", "ojsc", "ooo", "kg", "ab", "oy", "sdn",
    "bhd", "tbk", "pt", "sas", "sarl", "kk", "the", "group", "incorporated",
}  # fmt: skip
STATUSES = ("conformant", "active", "non-conformant")


def normalise_name(name: str) -> str:
    """A smelter name without case, punctuation or corporate suffixes."""
    t = name.casefold().replace(".", "")
    t = re.sub(r"[^\w\s]", " ", t)
    return " ".join(w for w in t.split() if w not in _SUFFIXES)


def smelter_keys(smelters: pd.DataFrame) -> pd.Series:
    """The registry key of each smelter row: its id, else its normalised name and country."""
    keys = []
    for sid, name, country, f, r in zip(smelters["smelter_id"], smelters["smelter_name"],
                                        smelters["country"], smelters["file"], smelters["row"],
                                        strict=True):  # fmt: skip
        if sid:
            keys.append(str(sid))
        elif normalise_name(str(name)):
            keys.append(f"name:{normalise_name(str(name))}|{country or '?'}")
        else:
            keys.append(f"row:{f}:{r}")  # nothing to match on: a smelter of its own
    return pd.Series(keys, index=smelters.index, dtype=object)


def _distinct(values: pd.Series) -> list[str]:
    seen: dict[str, str] = {}
    for v in values:
        s = str(v).strip()
        if s and s.casefold() not in seen:
            seen[s.casefold()] = s
    return list(seen.values())


def smelter_registry(smelters: pd.DataFrame) -> pd.DataFrame:
    """Deduplicate smelters across suppliers; disagreeing reports are listed in ``conflicts``."""
    cols = ["key", "smelter_id", "smelter_name", "country", "metals", "suppliers", "reports",
            "conflicts"]  # fmt: skip
    if smelters.empty:
        return pd.DataFrame(columns=cols)
    df = smelters.assign(key=smelter_keys(smelters))
    out = []
    for key, g in df.groupby("key", sort=True):
        names = [n for n in g["smelter_name"].astype(str).str.strip() if n]
        countries = [c for c in g["country"].astype(str) if c]
        conflicts = []
        if len(dn := _distinct(g["smelter_name"])) > 1:
            conflicts.append("names: " + " | ".join(dn))
        if len(dc := _distinct(g["country"].where(g["country"] != "", g["country_text"]))) > 1:
            conflicts.append("countries: " + " | ".join(dc))
        out.append({
            "key": key, "smelter_id": g["smelter_id"].iloc[0],
            "smelter_name": pd.Series(names).mode().iloc[0] if names else "",
            "country": pd.Series(countries).mode().iloc[0] if countries else "",
            "metals": ", ".join(sorted(set(g["metal"]))), "suppliers": g["supplier"].nunique(),
            "reports": len(g), "conflicts": "; ".join(conflicts),
        })  # fmt: skip
    return pd.DataFrame(out, columns=cols)


def _read_csv(path: str | Path, required: list[str]) -> tuple[str, list[dict[str, str]]]:
    f = str(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip().lower() for h in reader.fieldnames or []]
            rows = [{k.strip().lower(): (v or "").strip() for k, v in r.items() if k}
                    for r in reader]  # fmt: skip
    except FileNotFoundError as e:
        raise DataError([Problem(f, None, None, "an existing CSV file", "no such file")]) from e
    except (UnicodeDecodeError, csv.Error) as e:
        raise DataError([Problem(f, None, None, "a UTF-8 CSV file", str(e))]) from e
    missing = [c for c in required if c not in header]
    if missing:
        raise DataError([Problem(f, 1, c, f"a column {c!r}", ", ".join(header)) for c in missing])
    return f, rows


def load_conformant(path: str | Path) -> pd.DataFrame:
    """A list of smelter audit statuses: CSV ``smelter_id, metal, status``.

    ``status`` is ``conformant``, ``active`` (audit under way) or ``non-conformant``.
    """
    f, rows = _read_csv(path, ["smelter_id", "metal", "status"])
    problems = []
    for i, r in enumerate(rows, start=2):
        if not r["smelter_id"]:
            problems.append(Problem(f, i, "smelter_id", "a smelter id (CID…)", ""))
        if r["metal"].lower() not in METALS:
            problems.append(Problem(f, i, "metal", f"one of {', '.join(METALS)}", r["metal"]))
        if r["status"].lower() not in STATUSES:
            problems.append(Problem(f, i, "status", " | ".join(STATUSES), r["status"]))
    if problems:
        raise DataError(problems)
    return pd.DataFrame({
        "smelter_id": [r["smelter_id"].upper() for r in rows],
        "metal": [r["metal"].lower() for r in rows],
        "status": [r["status"].lower() for r in rows],
    })  # fmt: skip


def load_concern(path: str | Path) -> pd.DataFrame:
    """Entities of concern: CSV with ``smelter_id`` or ``name`` (or both), ``country``, ``reason``.

    A row needs an id or a name, and a reason; ``country`` (name or ISO3) may be empty.
    """
    f, rows = _read_csv(path, ["country", "reason"])
    if rows and not ({"smelter_id", "name"} & set(rows[0])):
        raise DataError([Problem(f, 1, "smelter_id", "a column 'smelter_id' or 'name'", "")])
    problems, out = [], []
    for i, r in enumerate(rows, start=2):
        sid, name = r.get("smelter_id", "").upper(), r.get("name", "")
        if not sid and not name:
            problems.append(Problem(f, i, "smelter_id", "a smelter id or a name", ""))
        country = resolve_country(r["country"]) if r["country"] else ""
        if country is None:
            problems.append(Problem(f, i, "country", "a country name or ISO3 code", r["country"]))
        if not r["reason"]:
            problems.append(Problem(f, i, "reason", "a reason", ""))
        out.append({"smelter_id": sid, "name": normalise_name(name), "country": country or "",
                    "reason": r["reason"]})  # fmt: skip
    if problems:
        raise DataError(problems)
    return pd.DataFrame(out, columns=["smelter_id", "name", "country", "reason"])


def load_covered(path: str | Path | None = None) -> frozenset[str]:
    """Covered countries (CSV ``iso3, name, source``); default: the shipped Dodd-Frank list.

    >>> sorted(load_covered())[:3]
    ['AGO', 'BDI', 'CAF']
    """
    f, rows = _read_csv(path or COVERED_COUNTRIES, ["iso3"])
    problems, out = [], []
    for i, r in enumerate(rows, start=2):
        iso3 = resolve_country(r["iso3"])
        if iso3 is None:
            problems.append(Problem(f, i, "iso3", "an ISO3 country code", r["iso3"]))
        else:
            out.append(iso3)
    if problems:
        raise DataError(problems)
    return frozenset(out)
