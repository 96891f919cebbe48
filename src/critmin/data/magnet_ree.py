"""Magnet rare-earth elements (Nd, Pr, Dy, Tb, Sm) as minerals: country rows derived by a model.

No source gives mined or refined tonnes of each rare-earth element by country, so the rows of
``neodymium``, ``praseodymium``, ``dysprosium``, ``terbium`` and ``samarium`` are **modelled**
(status ``modelled``, with a low-high range), each from sourced inputs:

Mine stage
    element oxide mined in a country = the country's mined REO (the dataset's ``rare_earths``
    mine rows, USGS MCS or World Mining Data) × the element's share of total REO in the
    country's deposits. The shares are those of USGS Minerals Yearbook 2022 Table 2 (element
    distribution in the source mineral of each deposit); each country is assigned deposits
    with a source in ``reference/ree_country_deposits.csv`` (China: a quota-weighted mix of
    Bayan Obo, Sichuan/Shandong bastnaesite and ion-adsorption clays; Myanmar: ion-adsorption
    clays; United States: Mountain Pass; Australia: Mount Weld; India: Manavalakurichi
    monazite; Russia: Revda loparite). The range spans the deposits of the same type.
    Countries with no sourced deposit type (Thailand, Vietnam, Madagascar, Malaysia, Brazil,
    Burundi, Nigeria, "Other countries") get no central value (status ``missing``) and a range
    spanning every deposit of Table 2. Units: t of element oxide (Table 2 is in % of REO).

Refine stage (Nd, Pr, Dy, Tb only; the IEA aggregate excludes Sm)
    the IEA Critical Minerals Data Explorer gives refined *magnet* rare earths (Nd+Pr+Dy+Tb)
    by country. Each non-Chinese refiner separates the elements of its own feed, and only
    those it is sourced to separate (``reference/ree_refining.csv``: Lynas Malaysia and MP
    Materials separated NdPr only until 2025); China refines the balance of the world's
    feed: world element = IEA world total × the element's share of the modelled world mined
    magnet rare earths, China = world − the others. Dy and Tb refining is then (almost) all
    Chinese, as Benchmark Mineral Intelligence reports (99.9% of heavy rare-earth separation).

Rows keep the source and edition of the rows they were derived from, with the model named
in the source (``"USGS MCS 2024 × MYB 2022 T2 (critmin model)"``), so that source preference
works on them as on the rows they come from; their provenance points at the REO (or IEA)
cell they scale. ``docs``: ``reference/magnet_ree_SOURCES.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from critmin.data.schema import PROVENANCE_COLUMNS, TABLES
from critmin.data.usgs_myb_ree import load_deposits

REFERENCE_DIR = Path(__file__).with_name("reference")
COUNTRY_DEPOSITS_PATH = REFERENCE_DIR / "ree_country_deposits.csv"
REFINING_PATH = REFERENCE_DIR / "ree_refining.csv"

#: Catalogue mineral id → element symbol.
ELEMENT_OF: dict[str, str] = {
    "neodymium": "Nd",
    "praseodymium": "Pr",
    "dysprosium": "Dy",
    "terbium": "Tb",
    "samarium": "Sm",
}
#: Oxide each element is counted as (the form its USGS price and Table 2 share refer to).
OXIDE_OF: dict[str, str] = {
    "Nd": "Nd2O3",
    "Pr": "Pr6O11",
    "Dy": "Dy2O3",
    "Tb": "Tb4O7",
    "Sm": "Sm2O3",
}
#: The IEA's "magnet rare earth elements".
MAGNET_REE: tuple[str, ...] = ("Nd", "Pr", "Dy", "Tb")
MODEL = "critmin model"


@dataclass(frozen=True)
class Share:
    """An element's share of a country's REO (fractions, not percent), with its range."""

    central: float
    low: float
    high: float
    note: str = ""


def _key(location: str) -> str:
    """The deposit name Table 2 starts its location with ('Bayan Obo', 'Mount Weld ...')."""
    return location.split(",")[0].strip()


def deposit_table(deposits: pd.DataFrame | None = None) -> pd.DataFrame:
    """Table 2 as fractions: index deposit key, columns element symbols (NaN where NA).

    Examples
    --------
    >>> t = deposit_table()
    >>> float(t.loc["Bayan Obo", "Nd"]), float(t.loc["Mountain Pass", "Pr"])
    (0.185, 0.042)
    """
    d = load_deposits() if deposits is None else deposits
    d = d.assign(key=d["location"].map(_key))
    return d.pivot_table(index="key", columns="element", values="share_pct", sort=False) / 100.0


def _resolve(table: pd.DataFrame, names: list[str]) -> list[str]:
    """Table 2 deposit keys for names given by their start ('Mount Weld')."""
    out = []
    for n in names:
        hit = [k for k in table.index if str(k).startswith(n)]
        if len(hit) != 1:
            raise KeyError(f"deposit {n!r} matches {hit} in USGS MYB 2022 T2")
        out.append(str(hit[0]))
    return out


def _group(table: pd.DataFrame, central: list[str], span: list[str], el: str) -> Share:
    central, span = _resolve(table, central), _resolve(table, span)
    vals = table.loc[central, el].dropna() if el in table else pd.Series(dtype=float)
    rng = table.loc[list(dict.fromkeys(span + central)), el].dropna()
    if len(vals):
        c = float(vals.mean())
        return Share(c, float(min(rng.min(), c)), float(max(rng.max(), c)))
    if len(rng):  # NA at the deposit itself: the type's mean, from 0 (NA may mean trace)
        return Share(
            float(rng.mean()),
            0.0,
            float(rng.max()),
            f"{el} NA in T2 for {', '.join(central)}: mean of {', '.join(rng.index)}, low 0",
        )
    return Share(math.nan, math.nan, math.nan, f"{el} NA in T2 for {', '.join(central)}")


def element_shares(country: str, reo: float, table: pd.DataFrame | None = None) -> dict[str, Share]:
    """Each magnet element's share of a country's mined REO (central, low, high), by symbol.

    Returns an empty dict for a country without a sourced deposit assignment.

    Examples
    --------
    >>> s = element_shares("USA", 43000.0)
    >>> round(s["Nd"].central, 3), round(s["Nd"].low, 3), round(s["Nd"].high, 3)
    (0.117, 0.109, 0.185)
    >>> chn = element_shares("CHN", 240000.0)
    >>> round(chn["Dy"].central, 4) > round(s["Dy"].central, 4)
    True
    """
    table = deposit_table() if table is None else table
    assign = country_deposits()
    rows = assign[assign["country"] == country]
    if rows.empty or not (reo > 0):
        return {}
    fixed = rows[rows["weight_kind"] == "tonnes"]
    rel = rows[rows["weight_kind"] == "relative"]
    weights: list[float] = []
    taken = 0.0
    for w in fixed["weight"]:
        t = min(float(w), reo - taken)
        weights.append(t / reo)
        taken += t
    rest = 1.0 - taken / reo
    total_rel = float(rel["weight"].sum())
    weights += [rest * float(w) / total_rel for w in rel["weight"]]
    ordered = pd.concat([fixed, rel])
    out: dict[str, Share] = {}
    for el in ELEMENT_OF.values():
        c = lo = hi = 0.0
        notes: list[str] = []
        for w, (_, r) in zip(weights, ordered.iterrows(), strict=True):
            g = _group(table, r["central_deposits"].split(";"), r["range_deposits"].split(";"), el)
            if g.note:
                notes.append(g.note)
            c, lo, hi = c + w * g.central, lo + w * g.low, hi + w * g.high
        out[el] = Share(c, lo, hi, "; ".join(notes))
    return out


def country_deposits(path: Path = COUNTRY_DEPOSITS_PATH) -> pd.DataFrame:
    """The sourced deposit assignment of each country (``ree_country_deposits.csv``)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False).astype({"weight": float})


def refiners(path: Path = REFINING_PATH) -> pd.DataFrame:
    """Feed and separated elements of each non-Chinese refiner (``ree_refining.csv``)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _bounds_all(table: pd.DataFrame, el: str) -> tuple[float, float]:
    col = table[el].dropna() if el in table else pd.Series(dtype=float)
    return (float(col.min()), float(col.max())) if len(col) else (math.nan, math.nan)


def mine_rows(production: pd.DataFrame, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Modelled mine-stage rows of each magnet element from the REO mine rows.

    ``production`` is the production table with provenance columns (as the build holds it);
    the result has the same columns. Only country and "other" rows with a number are split.
    """
    table = deposit_table() if table is None else table
    reo = production[
        (production["mineral"] == "rare_earths")
        & (production["stage"] == "mine")
        & (production["measure"] == "production")
        & (production["basis"] == "REO")
        & (production["entity_kind"].isin(["country", "other"]))
        & production["value"].notna()
    ]
    cache: dict[tuple[str, float], dict[str, Share]] = {}
    out: list[dict[str, object]] = []
    records: list[dict[str, object]] = [
        {str(k): v for k, v in rec.items()} for rec in reo.to_dict("records")
    ]
    for r in records:
        value = float(str(r["value"]))
        iso = r["country"] if isinstance(r["country"], str) else ""
        key = (iso, value)
        if key not in cache:
            cache[key] = element_shares(iso, value, table) if iso else {}
        shares = cache[key]
        for mid, el in ELEMENT_OF.items():
            base = {**r, "mineral": mid, "basis": OXIDE_OF[el], "unit": "t"}
            base["source"] = f"{r['source']} × MYB 2022 T2 ({MODEL})"
            base["product"] = f"{OXIDE_OF[el]} in mined REO (modelled: REO × T2 share)"
            s = shares.get(el)
            if s is not None and not math.isnan(s.central):
                base.update(
                    value=value * s.central, low=value * s.low, high=value * s.high,
                    status="modelled",
                    note=(f"{value:g} t REO × {s.central:.4%} {el} (range {s.low:.4%}-"
                          f"{s.high:.4%}; ree_country_deposits.csv, USGS MYB 2022 T2)"
                          + (f"; {s.note}" if s.note else "")),
                )  # fmt: skip
            else:
                lo, hi = _bounds_all(table, el)
                why = s.note if s is not None else "no sourced deposit type for this entity"
                base.update(
                    value=math.nan, low=value * lo, high=value * hi, status="missing",
                    note=f"{why}; range spans every deposit of USGS MYB 2022 T2",
                )  # fmt: skip
            out.append(base)
    return pd.DataFrame(out, columns=production.columns)


def _ratio(table: pd.DataFrame, keys: list[str], els: list[str]) -> dict[str, Share]:
    """Fraction of each of ``els`` among ``els`` in the feed (central: first key's mean)."""
    sub = table.loc[_resolve(table, keys), els]
    central = sub.iloc[[0]].mean()
    tot_c = float(central.sum())
    fr = sub.div(sub.sum(axis=1), axis=0)
    return {
        e: Share(float(central[e]) / tot_c, float(fr[e].min()), float(fr[e].max())) for e in els
    }


_FEED_RANGE = {
    "Mount Weld": ["Mount Weld", "Nangang", "Manavalakurichi"],
    "Mountain Pass": ["Mountain Pass", "Bayan Obo", "Dechang", "Maoniuping", "Weishan"],
}


def refine_rows(
    production: pd.DataFrame, mine: pd.DataFrame, table: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Modelled refine-stage rows of Nd, Pr, Dy and Tb from the IEA magnet-REE refining rows.

    ``mine`` are the modelled mine rows (:func:`mine_rows`): the world feed composition of a
    year is taken from the newest-edition USGS rows of that year.
    """
    table = deposit_table() if table is None else table
    iea = production[
        (production["mineral"] == "rare_earths")
        & (production["stage"] == "refine")
        & (production["measure"] == "production")
        & production["source"].str.startswith("IEA")
        & production["value"].notna()
    ]
    ref = refiners()
    out: list[dict[str, object]] = []
    for (src, yr), grp in iea.groupby(["source", "year"]):
        year = int(str(yr))
        feed = _world_feed(mine, year)
        world = grp[grp["entity_kind"] == "world"]
        if feed is None or world.empty:
            continue
        total = float(world["value"].iloc[0])
        others: dict[str, list[float]] = {e: [0.0, 0.0, 0.0] for e in MAGNET_REE}
        rows: list[tuple[dict[str, object], dict[str, Share], str]] = []
        for r in _records(grp[grp["entity_kind"] != "world"]):
            ent = r["country"] if isinstance(r["country"], str) and r["country"] else r["entity"]
            if ent == "CHN":
                continue
            spec = ref[ref["entity"] == ent]
            fr = _refiner_fractions(spec, feed, table, year)
            note = (
                f"{spec['note'].iloc[0]} Source: {spec['source'].iloc[0]}"
                if len(spec)
                else "refiner not in ree_refining.csv: feed composition assumed world feed"
            )
            v = float(str(r["value"]))
            for e in MAGNET_REE:
                s = fr[e]
                others[e] = [others[e][0] + v * s.central, others[e][1] + v * s.low,
                             others[e][2] + v * s.high]  # fmt: skip
            rows.append((r, fr, note))
        china = grp[grp["country"] == "CHN"]
        for r, fr, note in rows:
            v = float(str(r["value"]))
            for e in MAGNET_REE:
                out.append(_refine_row(r, e, v, fr[e], src, note))
        if len(china):
            r = _records(china)[0]
            for e in MAGNET_REE:
                f = feed[e]
                c = total * f.central - others[e][0]
                lo = max(0.0, total * f.low - others[e][2])
                hi = max(c, total * f.high - others[e][1])
                v = float(str(r["value"]))
                share = Share(c / v, min(lo, c) / v, hi / v)
                note = (
                    f"balance: IEA world {total:g} t × {f.central:.4%} {e} of the modelled world "
                    f"mined magnet REEs ({year}, range {f.low:.4%}-{f.high:.4%}) minus the other "
                    "refiners (ree_refining.csv)"
                )
                out.append(_refine_row(r, e, v, share, src, note))
    return pd.DataFrame(out, columns=production.columns)


def _records(df: pd.DataFrame) -> list[dict[str, object]]:
    return [{str(k): v for k, v in rec.items()} for rec in df.to_dict("records")]


def _refine_row(
    r: dict[str, object], el: str, v: float, s: Share, src: object, note: str
) -> dict[str, object]:
    mid = next(k for k, x in ELEMENT_OF.items() if x == el)
    return {
        **r, "mineral": mid, "unit": "t", "status": "modelled",
        "basis": f"{el} in separated magnet REEs (IEA basis: oxide or metal not stated)",
        "product": f"{el} share of magnet rare earth elements - Refining (modelled)",
        "source": f"{src} × MYB 2022 T2 ({MODEL})",
        "value": v * s.central, "low": v * s.low, "high": v * s.high,
        "note": f"{v:g} t magnet REEs × {s.central:.4%} {el}: {note}",
    }  # fmt: skip


def _refiner_fractions(
    spec: pd.DataFrame, feed: dict[str, Share], table: pd.DataFrame, year: int
) -> dict[str, Share]:
    if spec.empty:
        return feed
    s = spec.iloc[0]
    first, last = (int(x) for x in s["years"].split("-"))
    sep = s["separated"].split(";") if first <= year <= last else list(MAGNET_REE)
    if s["feed"] == "world":
        tot = sum(feed[e].central for e in sep)
        return {
            e: Share(feed[e].central / tot, feed[e].low / tot, feed[e].high / tot)
            if e in sep
            else Share(0.0, 0.0, feed[e].high)
            for e in MAGNET_REE
        }
    keys = _FEED_RANGE.get(s["feed"], [s["feed"]])
    ratio = _ratio(table, keys, sep)
    return {e: ratio.get(e, Share(0.0, 0.0, 0.0)) for e in MAGNET_REE}


def _world_feed(mine: pd.DataFrame, year: int) -> dict[str, Share] | None:
    """Each magnet element's share of the world's modelled mined magnet REEs in ``year``."""
    m = mine[(mine["year"] == year) & mine["source"].str.startswith("USGS MCS")]
    if m.empty:
        return None
    m = m[m["edition"] == m["edition"].max()]
    m = m[m["mineral"].map(ELEMENT_OF).isin(MAGNET_REE) & m["value"].notna()]
    by = m.assign(el=m["mineral"].map(ELEMENT_OF)).groupby("el")[["value", "low", "high"]].sum()
    tot = float(by["value"].sum())
    if not tot > 0:
        return None
    return {
        e: Share(float(by.loc[e, "value"]) / tot, float(by.loc[e, "low"]) / tot,
                 float(by.loc[e, "high"]) / tot) for e in MAGNET_REE if e in by.index
    }  # fmt: skip


def derive(production: pd.DataFrame) -> pd.DataFrame:
    """The modelled element rows (mine and refine) to append to the production table.

    Called by the build after every importer ran (``production`` holds provenance columns).
    """
    table = deposit_table()
    mine = mine_rows(production, table)
    refine = refine_rows(production, mine, table)
    out = pd.concat([mine, refine], ignore_index=True)
    cols = [c.name for c in TABLES["production"]] + [
        c for c in (*PROVENANCE_COLUMNS, "prov") if c in production.columns
    ]
    out = out[[c for c in cols if c in out.columns]]
    for c in ("value", "low", "high"):
        out[c] = out[c].astype(float)
    return out.replace({np.inf: np.nan})
