"""US net import reliance: one reading of the USGS tables for every method and face.

The overview, the composite score, the EU 2017 and the USGS-style methods and the profile
all take the US net import reliance from :func:`us_import_reliance`, so one mineral shows one
figure everywhere: the newest year (newest edition) unless a year is asked for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from critmin.data.dataset import Dataset


@dataclass(frozen=True)
class ImportReliance:
    """US net import reliance of a mineral as used by the methods.

    ``value`` is a fraction (0–1) or None when unknown; ``text`` as the USGS writes it
    ("76", ">50", "net exporter"); ``bound`` says the value is a published bound, not a point.
    """

    value: float | None
    text: str
    year: int | None = None
    commodity: str | None = None
    sources: tuple[str, ...] = ()
    source: str | None = None
    bound: bool = False

    def describe(self) -> str:
        """One line for a result row's notes."""
        if self.value is None:
            return "US NIR: insufficient data"
        where = f"({self.commodity}, {self.year}, {self.source})"
        if self.text == "net exporter":
            return f"US net exporter {where} → IR 0"
        return f"US NIR {self.text}% {where}"


def _pick_commodity(rows: pd.DataFrame, stage: str | None) -> pd.Series:
    """One row among several commodities of a mineral (titanium: concentrates vs sponge)."""
    if len(rows) > 1 and stage is not None:
        ore = rows["commodity"].str.contains(r"CONCENTRATE|ORE", case=False, regex=True)
        pick = rows[ore] if stage == "mine" else rows[~ore]
        if not pick.empty:
            rows = pick
    return rows.sort_values("commodity").iloc[0]


def us_import_reliance(
    ds: Dataset, mineral: str, year: int | None = None, stage: str | None = None
) -> ImportReliance:
    """US net import reliance, newest year ≤ ``year``, from critmin's tables.

    The USGS trend table (``import_reliance``, with major import sources) comes first; the
    salient statistics (``NIR`` rows, which also mark net exporters) fill the minerals it
    omits. A bound (">50", "<25") gives the stated limit; a net exporter gives 0. When a
    mineral has several commodities (titanium), ``stage`` picks concentrates for ``mine``.

    Examples
    --------
    >>> from critmin.data.dataset import load
    >>> ir = us_import_reliance(load(), "molybdenum", 2023)
    >>> ir.value, ir.text
    (0.0, 'net exporter')
    """
    nir = ds.import_reliance
    rows = nir[nir["mineral"] == mineral]
    if year is not None:
        rows = rows[rows["year"] <= year]
    if not rows.empty:
        newest = rows[rows["year"] == rows["year"].max()]
        newest = newest[newest["edition"] == newest["edition"].max()]
        r = _pick_commodity(newest, stage)
        srcs = str(r["import_sources"] or "")
        sources = tuple(c for c in srcs.split(";") if c)
        base = {"year": int(r["year"]), "commodity": str(r["commodity"]),
                "sources": sources, "source": str(r["source"])}  # fmt: skip
    else:
        sal = ds.salient
        rows = sal[(sal["mineral"] == mineral) & (sal["category"] == "net_import_reliance")
                   & (sal["status"] != "missing")]  # fmt: skip
        if year is not None:
            rows = rows[rows["year"] <= year]
        if rows.empty:
            return ImportReliance(None, "insufficient data")
        rows = rows[rows["year"] == rows["year"].max()]
        rows = rows[rows["edition"] == rows["edition"].max()]
        plain = rows[rows["variable"] == "NIR"]
        r = (plain if not plain.empty else rows.sort_values("variable")).iloc[0]
        base = {"year": int(r["year"]), "commodity": f"{r['commodity']} ({r['variable']})",
                "sources": (), "source": str(r["source"])}  # fmt: skip
    status = str(r["status"])
    if status == "net_exporter":
        return ImportReliance(0.0, "net exporter", **base)  # type: ignore[arg-type]
    if status == "bound":
        low, high = float(r["low"]), float(r["high"])
        if math.isnan(high):
            text, pct = f">{low:g}", low
        else:
            text, pct = f"<{high:g}", high
        frac = min(max(pct / 100.0, 0.0), 1.0)
        return ImportReliance(frac, text, bound=True, **base)  # type: ignore[arg-type]
    v = float(r["value"])
    if math.isnan(v):
        return ImportReliance(None, status, **base)  # type: ignore[arg-type]
    return ImportReliance(min(max(v / 100.0, 0.0), 1.0), f"{v:g}", **base)  # type: ignore[arg-type]
