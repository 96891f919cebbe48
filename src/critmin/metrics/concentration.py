"""Production shares and concentration of one mineral at one stage.

Shares are taken of the sum of every entity the source lists except its world total —
countries plus "Other countries" — so they sum to one and no aggregate is counted as a
country (docs/decisions/0003-shares-denominator.md). The source's own world total (often
rounded, sometimes excluding withheld US output) is reported beside it for comparison.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from critmin.data.dataset import Dataset


def shares(rows: pd.DataFrame) -> pd.DataFrame:
    """Add a ``share`` column (0–1) to the country and "other" rows of one mineral-stage-year.

    Parameters
    ----------
    rows
        ``production`` rows of one mineral, stage, measure, year and source.

    Returns
    -------
    pandas.DataFrame
        Countries and "other" aggregates (world rows dropped), largest first, with ``share``
        NaN where the value is not a number (withheld, missing, bound).

    Examples
    --------
    >>> rows = pd.DataFrame({"entity": ["China", "Japan", "Other countries", "World total"],
    ...     "entity_kind": ["country", "country", "other", "world"],
    ...     "country": ["CHN", "JPN", None, None], "value": [600.0, 3.0, np.nan, 610.0]})
    >>> shares(rows)[["entity", "share"]].round(4).values.tolist()
    [['China', 0.995], ['Japan', 0.005], ['Other countries', nan]]
    """
    parts = rows[rows["entity_kind"].isin(["country", "other"])].copy()
    total = parts["value"].sum(min_count=1)
    parts["share"] = parts["value"] / total if total and total > 0 else np.nan
    parts = parts.sort_values(["share", "entity"], ascending=[False, True], na_position="last")
    return parts.reset_index(drop=True)


def world_total(rows: pd.DataFrame) -> float:
    """The world total as the source reports it (NaN when it reports none)."""
    w = rows.loc[rows["entity_kind"] == "world", "value"].dropna()
    return float(w.iloc[0]) if len(w) else float("nan")


def world_note(rows: pd.DataFrame) -> str | None:
    """The source's note on its world total (why it gives none, what it excludes), if any."""
    w = rows.loc[rows["entity_kind"] == "world", "note"].dropna()
    return str(w.iloc[0]) if len(w) else None


def table_basis(rows: pd.DataFrame) -> str:
    """What the figures of one supply table count, saying so when countries differ.

    One basis when every row shares it; otherwise the world row's basis when it names the
    mixture (boron), else ``"mixed bases: ..."`` listing each (docs/decisions/0017).

    Examples
    --------
    >>> rows = pd.DataFrame({"entity_kind": ["country", "country"],
    ...     "basis": ["ulexite, gross weight", "B2O3 content"]})
    >>> table_basis(rows)
    'mixed bases: ulexite, gross weight; B2O3 content'
    """
    bases = list(dict.fromkeys(rows["basis"].dropna().astype(str)))
    if len(bases) <= 1:
        return bases[0] if bases else "not stated"
    w = rows.loc[rows["entity_kind"] == "world", "basis"].dropna().astype(str)
    if len(w) and w.iloc[0].startswith("mixed"):
        return str(w.iloc[0])
    parts = rows.loc[rows["entity_kind"] != "world", "basis"].dropna().astype(str)
    return "mixed bases: " + "; ".join(dict.fromkeys(parts))


def hhi_fraction(share: pd.Series) -> float:
    """Herfindahl-Hirschman index on the 0–1 scale from shares as fractions.

    Examples
    --------
    >>> hhi_fraction(pd.Series([0.5, 0.5]))
    0.5
    """
    s = share.dropna().to_numpy(dtype=float)
    return float(np.sum(s**2))


def hhi_points(share: pd.Series) -> float:
    """HHI on the 0–10,000 scale of competition authorities (shares in percent, squared).

    Examples
    --------
    >>> hhi_points(pd.Series([0.5, 0.5]))
    5000.0
    """
    return hhi_fraction(share) * 10_000.0


def top_producer(rows_with_shares: pd.DataFrame) -> tuple[str | None, float]:
    """ISO3 and share of the largest country (aggregates never count).

    Examples
    --------
    >>> df = pd.DataFrame({"entity_kind": ["other", "country"], "country": [None, "COD"],
    ...     "share": [0.8, 0.2]})
    >>> top_producer(df)
    ('COD', 0.2)
    """
    c = rows_with_shares[
        (rows_with_shares["entity_kind"] == "country") & rows_with_shares["share"].notna()
    ]
    if c.empty:
        return None, float("nan")
    i = int(c["share"].to_numpy().argmax())
    return str(c["country"].iloc[i]), float(c["share"].iloc[i])


def stage_concentration(rows: pd.DataFrame) -> dict[str, object]:
    """Concentration of one mineral-stage-year from its ``production`` rows (one source).

    HHI is summed over countries only: "Other countries" is many small producers, so it is
    taken as fragmented (``hhi``, a lower bound); ``hhi_upper`` counts it as one producer.
    Shares are of countries plus "Other countries" (docs/decisions/0003).

    Examples
    --------
    >>> rows = pd.DataFrame({"entity": ["China", "Japan", "Other countries", "World"],
    ...     "entity_kind": ["country", "country", "other", "world"],
    ...     "country": ["CHN", "JPN", None, None], "value": [90.0, 5.0, 5.0, 100.0]})
    >>> c = stage_concentration(rows)
    >>> (c["hhi"], c["hhi_upper"], c["top1"], c["china_share"])
    (0.8125, 0.815, 'CHN', 0.9)
    """
    kinds = rows["entity_kind"].tolist()
    values = rows["value"].tolist()
    isos = rows["country"].tolist()
    total = sum(v for k, v in zip(kinds, values, strict=True)
                if k in ("country", "other") and v == v)  # fmt: skip
    by_country: dict[str, float] = {}
    withheld: list[str] = []
    other_share = 0.0
    has_other = False
    for k, v, iso in zip(kinds, values, isos, strict=True):
        if k == "other":
            has_other = True
            other_share += v / total if v == v and total > 0 else 0.0
        elif k == "country":
            if v != v:
                withheld.append(str(iso))
            elif total > 0:
                # A country can have several rows (helium: US extraction and Cliffside Field
                # releases): concentration is of countries, so their shares are summed.
                by_country[str(iso)] = by_country.get(str(iso), 0.0) + v / total
    ranked = sorted(by_country.items(), key=lambda kv: (-kv[1], kv[0]))
    c_share = pd.Series([v for _, v in ranked], dtype=float)
    top1, top1_share = ranked[0] if ranked else (None, float("nan"))
    if "CHN" in by_country:
        china_share = by_country["CHN"]
    elif not has_other and "CHN" not in withheld:
        china_share = 0.0  # every producer is listed and China is not among them
    else:
        china_share = float("nan")  # China may sit inside "Other countries"
    hhi_up = hhi_fraction(c_share) + other_share**2
    notes = []
    if withheld:
        notes.append("withheld or missing: " + ",".join(sorted(withheld)))
    if china_share != china_share:
        notes.append("China not listed separately")
    return {
        "n_countries": len(by_country),
        "hhi": round(hhi_fraction(c_share), 12),
        "hhi_points": round(hhi_points(c_share), 8),
        "hhi_upper": round(hhi_up, 12),
        "top1": top1,
        "top1_share": top1_share,
        "top3_share": float(c_share.head(3).sum()) if len(c_share) else float("nan"),
        "china_share": china_share,
        "notes": "; ".join(notes),
    }


def concentration_table(
    ds: Dataset,
    minerals: list[str] | None = None,
    year: int | None = None,
    source: str | None = None,
) -> pd.DataFrame:
    """Shares, HHI (0–1 and 0–10,000), top-1/top-3 and China share per mineral and stage.

    One row per (mineral, stage); a stage without data is a row saying "insufficient data".
    ``year`` and ``source`` select as :meth:`critmin.data.dataset.Dataset.supply` does.
    """
    from critmin.data.catalogue import MINERAL_IDS, mineral

    out = []
    for m in minerals or list(MINERAL_IDS):
        for stage in ("mine", "refine"):
            rec: dict[str, object] = {"mineral": m, "stage": stage}
            if stage not in mineral(m).basis:
                # e.g. gallium has no mine stage of its own (a by-product of alumina)
                rec["notes"] = "no such stage for this mineral in the catalogue"
                out.append(rec)
                continue
            rows = ds.supply(m, stage, year, source=source)
            if rows.empty:
                rec["notes"] = "insufficient data"
            else:
                rec["year"] = int(rows["year"].iloc[0])
                rec["source"] = str(rows["source"].iloc[0])
                rec["basis"] = table_basis(rows)
                rec.update(stage_concentration(rows))
            out.append(rec)
    cols = ["mineral", "stage", "year", "source", "basis", "n_countries", "hhi", "hhi_points",
            "hhi_upper", "top1", "top1_share", "top3_share", "china_share", "notes"]  # fmt: skip
    df = pd.DataFrame(out, columns=cols)
    df["year"] = df["year"].astype("Int64")
    df["n_countries"] = df["n_countries"].astype("Int64")
    return df


def bottleneck(table: pd.DataFrame) -> pd.DataFrame:
    """Per mineral: the more concentrated stage, its HHI, and the gap between the stages.

    ``gap`` is HHI(refine) − HHI(mine): positive when refining is the tighter stage (cobalt:
    DRC mining, Chinese refining). ``leaders_differ`` flags a different top country per stage.
    HHI compares shares, not tonnages, but the two stages may count different things (rare
    earths: all REO mined, USGS, against the four magnet rare earths refined, IEA): the
    ``basis_mine`` and ``basis_refine`` columns say what each stage counts (when the table
    has a ``basis`` column), so the comparison is never read as one quantity.

    Examples
    --------
    >>> t = pd.DataFrame({"mineral": ["cobalt", "cobalt"], "stage": ["mine", "refine"],
    ...     "hhi": [0.55, 0.60], "top1": ["COD", "CHN"]})
    >>> bottleneck(t)[["mineral", "bottleneck", "gap", "leaders_differ"]].values.tolist()
    [['cobalt', 'refine', 0.05, True]]
    """
    rows = []
    for m, g in table.groupby("mineral", sort=False):
        by = g.set_index("stage")
        hm = float(by["hhi"].get("mine", float("nan")))
        hr = float(by["hhi"].get("refine", float("nan")))
        have = {s: h for s, h in (("mine", hm), ("refine", hr)) if h == h}
        stage = max(have, key=lambda s: have[s]) if have else None
        tm, tr = by["top1"].get("mine"), by["top1"].get("refine")
        rec: dict[str, object] = {
            "mineral": m,
            "bottleneck": stage,
            "hhi": have.get(stage, float("nan")) if stage else float("nan"),
            "gap": round(hr - hm, 12) if len(have) == 2 else float("nan"),
            "leaders_differ": bool(isinstance(tm, str) and isinstance(tr, str) and tm != tr),
        }
        if "basis" in by.columns:
            bm, br = by["basis"].get("mine"), by["basis"].get("refine")
            rec["basis_mine"] = bm if isinstance(bm, str) else None
            rec["basis_refine"] = br if isinstance(br, str) else None
        rows.append(rec)
    return pd.DataFrame(rows)
