"""Where a company's reported smelters are, and which red flags its suppliers' reports raise."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from critmin.sourcing.registry import load_covered, normalise_name, smelter_keys

INSUFFICIENT = "insufficient data"


def _per_key(smelters: pd.DataFrame) -> pd.DataFrame:
    """One row per (registry key, metal): country, mine countries, id, volume."""
    df = smelters.assign(key=smelter_keys(smelters))
    rows = []
    for (key, metal), g in df.groupby(["key", "metal"], sort=True):
        countries = [c for c in g["country"] if c]
        mines = {m for v in g["mine_country"] for m in str(v).split(";") if m}
        vol = g["volume_t"].dropna()
        rows.append({
            "key": key, "metal": metal, "smelter_id": g["smelter_id"].iloc[0],
            "name": normalise_name(str(g["smelter_name"].iloc[0])),
            "country": pd.Series(countries).mode().iloc[0] if countries else "",
            "mines": mines, "volume_t": vol.sum() if len(vol) else float("nan"),
        })  # fmt: skip
    return pd.DataFrame(rows, columns=["key", "metal", "smelter_id", "name", "country", "mines",
                                       "volume_t"])  # fmt: skip


def country_shares(smelters: pd.DataFrame, metal: str, *, weighted: bool = False) -> pd.Series:
    """Share of a metal's distinct smelters (or of their volumes) by country; '' is unknown."""
    k = _per_key(smelters)
    k = k[k["metal"] == metal]
    if weighted:
        k = k[k["volume_t"].notna()]
        total = k["volume_t"].sum()
        if not len(k) or total <= 0:
            return pd.Series(dtype=float)
        return (k.groupby("country")["volume_t"].sum() / total).sort_values(ascending=False)
    if not len(k):
        return pd.Series(dtype=float)
    return k["country"].value_counts(normalize=True)


def _top(shares: pd.Series, n: int = 5) -> str:
    return ", ".join(f"{c or 'unknown'} {s:.0%}" for c, s in shares.head(n).items())


def _flags(k: pd.DataFrame, conformant: pd.DataFrame | None, concern: pd.DataFrame | None,
           covered: frozenset[str]) -> pd.DataFrame:  # fmt: skip
    k = k.copy()
    k["unknown"] = k["smelter_id"] == ""
    k["covered"] = [c in covered or bool(m & covered) for c, m in zip(k["country"], k["mines"],
                                                                       strict=True)]  # fmt: skip
    if conformant is not None:
        status = {(s, m): st for s, m, st in conformant[["smelter_id", "metal", "status"]].values}
        st = [status.get((s, m), "") for s, m in zip(k["smelter_id"], k["metal"], strict=True)]
        k["conformant"] = [s == "conformant" for s in st]
        k["non_conformant"] = [s == "non-conformant" for s in st]
    if concern is not None:
        ids = set(concern["smelter_id"]) - {""}
        names = [(n, c) for n, c in zip(concern["name"], concern["country"], strict=True) if n]
        k["concern"] = [
            bool(s and s in ids) or any(n == nm and (not c or c == cc) for nm, c in names)
            for s, n, cc in zip(k["smelter_id"], k["name"], k["country"], strict=True)
        ]
    return k


def exposure(
    smelters: pd.DataFrame,
    conformant: pd.DataFrame | None = None,
    concern: pd.DataFrame | None = None,
    covered: frozenset[str] | None = None,
    metal: str | None = None,
) -> pd.DataFrame:
    """Per metal: how many distinct smelters, where they are, and what share raises a flag.

    Shares are of distinct smelters (registry keys). ``conformant_share`` and ``concern_share``
    are NaN (null in JSON) when no list is given, and ``status`` says so (``"ok"`` otherwise):
    a figure that is not a number is never a string in a number's column.
    """
    covered = load_covered() if covered is None else covered
    k = _flags(_per_key(smelters), conformant, concern, covered)
    missing = [why for why, lst in (("no list of conformant smelters (--conformant)", conformant),
                                    ("no list of smelters of concern (--concern)", concern))
               if lst is None]  # fmt: skip
    status = f"{INSUFFICIENT}: {'; '.join(missing)}" if missing else "ok"
    nan = float("nan")
    out = []
    for m, g in k.groupby("metal", sort=True):
        if metal is not None and m != metal:
            continue
        n = len(g)
        out.append({
            "metal": m, "smelters": n,
            "countries": _top(country_shares(smelters, str(m))),
            "countries_by_volume": _top(country_shares(smelters, str(m), weighted=True)),
            "china_share": float((g["country"] == "CHN").mean()),
            "covered_share": float(g["covered"].mean()),
            "conformant_share": float(g["conformant"].mean()) if conformant is not None
            else nan,
            "concern_share": float(g["concern"].mean()) if concern is not None else nan,
            "unknown_share": float(g["unknown"].mean()),
            "status": status,
        })  # fmt: skip
    return pd.DataFrame(out, columns=["metal", "smelters", "countries", "countries_by_volume",
                                      "china_share", "covered_share", "conformant_share",
                                      "concern_share", "unknown_share", "status"])  # fmt: skip


def due_diligence(
    smelters: pd.DataFrame,
    conformant: pd.DataFrame | None = None,
    concern: pd.DataFrame | None = None,
    covered: frozenset[str] | None = None,
) -> pd.DataFrame:
    """Per supplier × metal: counts of smelters raising each red flag, and the flags as text."""
    covered = load_covered() if covered is None else covered
    cols = ["supplier", "metal", "smelters", "unknown", "non_conformant", "covered", "concern",
            "red_flags"]  # fmt: skip
    out = []
    for (sup, m), g in smelters.groupby(["supplier", "metal"], sort=True):
        k = _flags(_per_key(g), conformant, concern, covered)
        row: dict[str, object] = {"supplier": sup, "metal": m, "smelters": len(k),
                                  "unknown": int(k["unknown"].sum()),
                                  "covered": int(k["covered"].sum())}  # fmt: skip
        row["non_conformant"] = int(k["non_conformant"].sum()) if conformant is not None else None
        row["concern"] = int(k["concern"].sum()) if concern is not None else None
        flags = [f"{row[c]} {label}" for c, label in (
            ("unknown", "unknown smelter(s)"), ("non_conformant", "non-conformant smelter(s)"),
            ("covered", "covered-country origin"), ("concern", "entity of concern"))
            if row[c]]  # fmt: skip
        row["red_flags"] = "; ".join(flags)
        out.append(row)
    return pd.DataFrame(out, columns=cols)


def touched_by(smelters: pd.DataFrame, scenario_path: str | Path) -> pd.DataFrame:
    """The smelter rows whose (country, metal) a scenario's events hit, with the events.

    ``export_restriction`` and ``outage`` hit their country's smelters of their minerals;
    ``logistics`` hits smelters in each listed country. Other events (``default_hazards``,
    demand or stock events) touch nothing specific.
    """
    from critmin.sim.scenario import ExportRestriction, Logistics, Outage, load_scenario

    sc = load_scenario(scenario_path)
    hits: dict[tuple[str, str], list[str]] = {}
    for ev in sc.events:
        if isinstance(ev, ExportRestriction):
            pairs = [(ev.country, m) for m in ev.minerals]
        elif isinstance(ev, Outage):
            pairs = [(ev.country, ev.mineral)]
        elif isinstance(ev, Logistics):
            pairs = [(c, m) for c in ev.countries for m in ev.minerals]
        else:
            continue
        label = f"{ev.type} {ev.start_date:%Y-%m}"
        for p in pairs:
            hits.setdefault(p, []).append(label)
    mask = [(c, m) in hits for c, m in zip(smelters["country"], smelters["metal"], strict=True)]
    out = smelters[mask].copy()
    out["events"] = ["; ".join(dict.fromkeys(hits[(c, m)]))
                     for c, m in zip(out["country"], out["metal"], strict=True)]  # fmt: skip
    return out.reset_index(drop=True)
