"""Production shares and concentration of one mineral at one stage.

Shares are taken of the sum of every entity the source lists except its world total —
countries plus "Other countries" — so they sum to one and no aggregate is counted as a
country (docs/decisions/0003-shares-denominator.md). The source's own world total (often
rounded, sometimes excluding withheld US output) is reported beside it for comparison.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


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
