"""The export-restriction record: every measure with its status on a date, and a count by
country and measure type (to set beside the OECD Inventory of export restrictions).

The table is the dataset's ``restrictions`` (curated in
``critmin/data/reference/export_restrictions.csv``; sources in
``export_restrictions_SOURCES.md``); the status of a measure on a date is
:func:`critmin.metrics.restrictions.status_on`'s.

Examples
--------
>>> import datetime as dt
>>> r = export_restrictions(country="CHN", mineral="gallium", as_of=dt.date(2026, 1, 1))
>>> r[["id", "status", "measure"]].head(2).values.tolist()
[['CN-2024-US', 'suspended', 'ban aimed at importers'], ['CN-2023-GaGe', 'in force', 'licensing']]
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from critmin.analysis.errors import QueryError
from critmin.analysis.minerals import check_mineral
from critmin.data.countries import known_iso3
from critmin.data.dataset import Dataset, load
from critmin.data.restrictions import MEASURES
from critmin.metrics.restrictions import status_on

#: Statuses a measure can have on a date (:func:`critmin.metrics.restrictions.status_on`).
STATUSES = ("in force", "suspended", "announced", "not yet", "lifted")
#: The columns of the record, in order (docs/cli-json.md).
RECORD_COLUMNS = [
    "id", "status", "as_of", "country", "minerals", "stage", "measure", "target",
    "announced", "effective", "suspended_from", "suspended_until", "lifted",
    "export_share_covered", "products", "scope", "note", "source", "confidence",
]  # fmt: skip
#: The columns of the summary by country and measure type.
SUMMARY_COLUMNS = [
    "country", "measure", "measures", *STATUSES, "first_effective", "last_effective",
    "minerals", "ids", "as_of",
]  # fmt: skip
#: The groupings the summary knows.
BY = ("country",)


def _as_of(as_of: dt.date | str | None) -> dt.date:
    if as_of is None:
        return dt.date.today()
    if isinstance(as_of, dt.date):
        return as_of
    try:
        return dt.date.fromisoformat(as_of)
    except ValueError:
        raise QueryError(
            f"as-of must be a date YYYY-MM-DD, not {as_of!r}", "invalid", "as_of"
        ) from None


def _check_country(country: str) -> str:
    code = country.strip().upper()
    if code not in known_iso3():
        raise QueryError(
            f"unknown country {country!r}; give an ISO 3166 alpha-3 code such as CHN",
            "unknown",
            "country",
        )
    return code


def _sort_key(dates: pd.Series) -> pd.Series:
    """A month-only date sorts as its first day (``2023-12`` with ``2023-12-01``)."""
    return dates.fillna("").map(lambda d: d + "-01" if len(d) == 7 else d)


def export_restrictions(
    country: str | None = None,
    mineral: str | None = None,
    as_of: dt.date | str | None = None,
    measure: str | None = None,
    *,
    ds: Dataset | None = None,
) -> pd.DataFrame:
    """The export-restriction record with each measure's status on ``as_of``, newest first.

    Parameters
    ----------
    country
        ISO3 code of the restricting country (any case); ``None`` for all.
    mineral
        A mineral id; a measure covering several minerals is listed under each.
    as_of
        The date of ``status`` (``in force``, ``suspended``, ``lifted``, ``announced``,
        ``not yet``); today by default. A ``YYYY-MM-DD`` string is accepted.
    measure
        One of :data:`critmin.data.restrictions.MEASURES` (``licensing``, ``ban`` …).
    ds
        The dataset (the embedded one by default).

    Returns
    -------
    pandas.DataFrame
        :data:`RECORD_COLUMNS`, newest ``effective`` date first (then newest
        ``announced``, then id). ``export_share_covered`` is a fraction or NaN; an empty
        frame when a known country or mineral has no measure.

    Raises
    ------
    QueryError
        ``unknown`` for a country that is not an ISO3 code or a mineral critmin does not
        know; ``invalid`` for a measure type or an as-of date it cannot read.

    Examples
    --------
    >>> r = export_restrictions(mineral="cobalt", as_of="2025-07-01")
    >>> r[["id", "status"]].values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['CD-2025-Co-quota', 'not yet'], ['CD-2025-Co-ban', 'in force'], ['NA-2023', 'in force'],
     ['CD-2013-conc', 'suspended'], ['ID-2012-ore-tax', 'lifted']]
    """
    day = _as_of(as_of)
    d = _ds(ds)
    # Kept on disk (decision 0037): the next command asking the same question on the same day
    # reads the answer instead of reading the table. Errors are raised, never stored.
    key = ("analysis.restrictions", country, mineral, day.isoformat(), measure)
    frame: pd.DataFrame = d.stored(key, lambda: _export_restrictions(d, day, country, mineral,
                                                                     measure))  # fmt: skip
    return frame.copy()


def _export_restrictions(
    ds: Dataset, day: dt.date, country: str | None, mineral: str | None, measure: str | None
) -> pd.DataFrame:
    df = ds.restrictions
    if country is not None:
        df = df[df["country"] == _check_country(country)]
    if mineral is not None:
        m = check_mineral(mineral, ds)
        df = df[df["minerals"].str.split(";").map(lambda ms: m in ms)]
    if measure is not None:
        if measure not in MEASURES:
            raise QueryError(
                f"measure must be one of {', '.join(MEASURES)}; not {measure!r}",
                "invalid",
                "measure",
            )
        df = df[df["measure"] == measure]
    out = status_on(df, day)
    out["as_of"] = day.isoformat()
    out["export_share_covered"] = pd.to_numeric(out["export_share_covered"], errors="coerce")
    order = pd.DataFrame(
        {"e": _sort_key(out["effective"]), "a": _sort_key(out["announced"]), "id": out["id"]}
    ).sort_values(["e", "a", "id"], ascending=[False, False, True])
    return out.loc[order.index, RECORD_COLUMNS].reset_index(drop=True)


def restrictions_summary(
    by: str = "country",
    country: str | None = None,
    mineral: str | None = None,
    as_of: dt.date | str | None = None,
    measure: str | None = None,
    *,
    ds: Dataset | None = None,
) -> pd.DataFrame:
    """How many measures each country has taken, by measure type, and where they stand.

    One row per country and measure type of :func:`export_restrictions` (same filters): the
    number of ``measures``, how many are in each status on ``as_of``, the first and last
    ``effective`` dates, the minerals covered and the row ids — the shape of the OECD
    Inventory of export restrictions on industrial raw materials, to compare counts with.

    Raises
    ------
    QueryError
        As :func:`export_restrictions`, and ``invalid`` for a ``by`` other than ``country``.

    Examples
    --------
    >>> s = restrictions_summary(country="IDN", as_of="2026-01-01")
    >>> s[["country", "measure", "measures", "in force", "lifted"]].values.tolist()
    [['IDN', 'ban', 4, 3, 1], ['IDN', 'export tax', 2, 1, 1], ['IDN', 'quota', 2, 0, 2]]
    """
    if by not in BY:
        raise QueryError(f"by must be {' or '.join(BY)}, not {by!r}", "invalid", "by")
    rec = export_restrictions(country, mineral, as_of, measure, ds=ds)
    rows = []
    for (c, m), g in rec.groupby(["country", "measure"], sort=True):
        eff = _sort_key(g["effective"]).tolist()
        dates = g["effective"].tolist()
        row: dict[str, object] = {"country": c, "measure": m, "measures": len(g)}
        row.update({s: int((g["status"] == s).sum()) for s in STATUSES})
        minerals = sorted({x for ms in g["minerals"] for x in str(ms).split(";")})
        row.update(
            {
                "first_effective": dates[eff.index(min(eff))],
                "last_effective": dates[eff.index(max(eff))],
                "minerals": ";".join(minerals),
                "ids": ";".join(sorted(g["id"])),
                "as_of": _as_of(as_of).isoformat(),
            }
        )
        rows.append(row)
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def _ds(ds: Dataset | None) -> Dataset:
    return ds if ds is not None else load()
