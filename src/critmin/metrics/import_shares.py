"""US import sources with their shares: one reading of ``import_sources`` for every face.

From 2026 the USGS publishes the shares of the major US import sources (period 2021–24), in
two places of the same release: the ``Import Sources`` section of the long file (one series
per product, e.g. germanium metal, germanium dioxide and their combined total) and Fig. 3
(one series per commodity, the chapter's headline mix). critmin keeps both rows
(``import_sources``); the methods and the profile read them here, so that the same shares are
never counted twice:

* the **newest edition** that has shares for the mineral;
* **one source file**: Fig. 3 where it lists the mineral, else the long file;
* for one mix (the EU method's sourcing term) **one series** with a share: the Fig. 3 series
  (the commodity of the US net import reliance, Fig. 2), else in the long file a series naming
  the mineral, then a total ("Total", "Combined total", "All"), then the first listed. For the
  refine stage an ore or concentrate series is passed over when another exists (titanium: the
  sponge of the long file, not the concentrates of Fig. 3) and a metal series is preferred
  (magnesium metal, not compounds).

Examples
--------
>>> from critmin.data.dataset import load
>>> s = us_import_shares(load(), "gallium")
>>> s.label, round(float(s.shares["CAN"]), 2), round(s.other, 2)
('import shares 2021-24, USGS MCS 2026 (Fig. 3)', 0.28, 0.16)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from critmin.data.dataset import Dataset

_ORE = re.compile(r"\bores?\b|concentrate", re.IGNORECASE)
_TOTAL = re.compile(r"^(combined )?total\b|^all\b", re.IGNORECASE)


def _file(prov: str) -> str:
    return prov.split("#", 1)[0]


def _file_label(path: str) -> str:
    return "Fig. 3" if "fig3" in path.lower() else "long file, Import Sources"


@dataclass(frozen=True)
class ImportShares:
    """One series of US import shares of a mineral.

    ``shares`` maps ISO3 → fraction of US imports (countries only); ``other`` is the share of
    "Other countries" (several countries: never one supplier); ``rows`` are the table's rows of
    the series (entities in the order the USGS lists them).
    """

    mineral: str
    commodity: str
    product: str | None
    period: str
    edition: int
    source: str
    file: str
    shares: pd.Series
    other: float
    rows: pd.DataFrame

    @property
    def label(self) -> str:
        """``import shares 2021-24, USGS MCS 2026 (Fig. 3)``: the basis, for notes."""
        return f"import shares {self.period}, {self.source} ({_file_label(self.file)})"

    def describe(self) -> str:
        """The series and its shares in one line (``CAN 28%, JPN 22%, …, other 16%``)."""
        what = self.commodity + (f", {self.product}" if self.product else "")
        parts = [f"{c} {v:.0%}" for c, v in self.shares.items()]
        if self.other > 0:
            parts.append(f"other {self.other:.0%}")
        return f"{what}: {', '.join(parts)}"


def import_share_rows(ds: Dataset, mineral: str) -> pd.DataFrame:
    """The ``import_sources`` rows of one mineral from one file of the newest edition.

    Fig. 3 is taken where it lists the mineral, else the long file (every series of it).
    A ``file`` column is added. Empty when the mineral has no shares.

    Examples
    --------
    >>> from critmin.data.dataset import load
    >>> import_share_rows(load(), "lithium")[["entity", "share"]].values.tolist()
    [['Chile', 0.54], ['Argentina', 0.43], ['Other', 0.03]]
    """
    im = ds.import_sources
    rows = im[im["mineral"] == mineral]
    if rows.empty:
        return rows.assign(file=pd.Series(dtype=str))
    rows = rows[rows["edition"] == rows["edition"].max()]
    rows = rows.assign(file=rows["prov"].map(_file))
    fig3 = rows[rows["file"].str.lower().str.contains("fig3")]
    return fig3 if not fig3.empty else rows[~rows.index.isin(fig3.index)]


def _series(rows: pd.DataFrame) -> list[pd.DataFrame]:
    keys = rows[["commodity", "product"]].fillna("").apply(tuple, axis=1)
    return [rows[keys == k] for k in dict.fromkeys(keys)]


def _text(s: pd.DataFrame) -> str:
    return f"{s['commodity'].iloc[0]} {s['product'].fillna('').iloc[0]}"


def _rank(s: pd.DataFrame, mineral: str, stage: str | None) -> tuple[int, int, int, int]:
    text = _text(s).lower()
    fig3 = 0 if "fig3" in str(s["file"].iloc[0]).lower() else 1
    names = 0 if mineral.replace("_", " ")[:5].lower() in text else 1
    total = 0 if _TOTAL.match(str(s["product"].fillna("").iloc[0]).strip()) else 1
    metal = 0 if stage == "refine" and "metal" in text else 1  # magnesium: metal, not compounds
    return fig3, names, total, metal


def us_import_shares(ds: Dataset, mineral: str, stage: str | None = None) -> ImportShares | None:
    """The US import mix of a mineral (one series; see the module docstring); None if none.

    Parameters
    ----------
    ds
        A critmin dataset.
    mineral
        Catalogue mineral id.
    stage
        ``"refine"`` passes over ore and concentrate series when another exists.

    Examples
    --------
    >>> from critmin.data.dataset import load
    >>> us_import_shares(load(), "germanium").describe()
    'Germanium: BEL 41%, CHN 23%, CAN 17%, DEU 14%, other 5%'
    >>> us_import_shares(load(), "titanium", "refine").commodity
    'Titanium Sponge Metal'
    >>> us_import_shares(load(), "dysprosium") is None
    True
    """
    im = ds.import_sources
    rows = im[im["mineral"] == mineral]
    if rows.empty:
        return None
    rows = rows[rows["edition"] == rows["edition"].max()]
    rows = rows.assign(file=rows["prov"].map(_file))
    cands = [s for s in _series(rows) if s["share"].notna().any()]
    if not cands:
        return None
    if stage == "refine" and any(not _ORE.search(_text(s)) for s in cands):
        cands = [s for s in cands if not _ORE.search(_text(s))]
    best = min(enumerate(cands), key=lambda t: (*_rank(t[1], mineral, stage), t[0]))[1]
    countries = best[(best["entity_kind"] == "country") & best["share"].notna()]
    shares = countries.groupby("country", sort=False)["share"].sum()
    other = float(best.loc[best["entity_kind"] != "country", "share"].sum())
    r = best.iloc[0]
    product = r["product"] if isinstance(r["product"], str) and r["product"] else None
    return ImportShares(mineral, str(r["commodity"]), product, str(r["period"]),
                        int(r["edition"]), str(r["source"]), str(r["file"]), shares, other,
                        best.reset_index(drop=True))  # fmt: skip
