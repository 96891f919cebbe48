"""Which export restrictions are in force on a given date."""

from __future__ import annotations

import datetime as dt

import pandas as pd


def _date(text: object, *, end: bool = False) -> dt.date | None:
    """A table date (``YYYY-MM-DD`` or ``YYYY-MM``); a month means its first (or last) day."""
    if not isinstance(text, str) or not text:
        return None
    parts = [int(p) for p in text.split("-")]
    if len(parts) == 2:
        if end:
            nxt = dt.date(parts[0] + parts[1] // 12, parts[1] % 12 + 1, 1)
            return nxt - dt.timedelta(days=1)
        return dt.date(parts[0], parts[1], 1)
    return dt.date(parts[0], parts[1], parts[2])


def status_on(restrictions: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Each restriction's status on a date: ``not yet``, ``announced``, ``in force``, ``suspended``
    or ``lifted``.

    A measure is ``lifted`` from its ``lifted`` date on (checked before any suspension). A
    suspension runs from ``suspended_from`` up to and including ``suspended_until``; with no
    end date it lasts until the table says otherwise. A measure with no ``announced`` date is
    taken as announced when it took effect, so it is ``not yet`` (never ``announced``) before
    ``effective``. A month-only date means the first day of that month (the last day for
    ``suspended_until``).

    Examples
    --------
    >>> from critmin import load
    >>> r = status_on(load().restrictions, dt.date(2026, 1, 1))
    >>> r.set_index("id").loc["CN-2024-US", "status"]
    'suspended'
    >>> status_on(load().restrictions, dt.date(2026, 11, 28)).set_index("id").loc[
    ...     "CN-2024-US", "status"]
    'in force'
    """
    out = restrictions.copy()
    status = []
    for r in out.to_dict(orient="records"):
        effective = _date(r["effective"])
        announced = _date(r["announced"]) or effective
        lifted = _date(r.get("lifted"))
        s_from, s_until = _date(r["suspended_from"]), _date(r["suspended_until"], end=True)
        if announced and as_of < announced:
            status.append("not yet")
        elif effective and as_of < effective:
            status.append("announced")
        elif lifted and lifted <= as_of:
            status.append("lifted")
        elif s_from and as_of >= s_from and (s_until is None or as_of <= s_until):
            status.append("suspended")
        else:
            status.append("in force")
    out["status"] = status
    return out


def in_force(restrictions: pd.DataFrame, mineral: str, as_of: dt.date) -> pd.DataFrame:
    """Restrictions covering ``mineral`` that are in force on ``as_of``."""
    r = status_on(restrictions, as_of)
    covers = r["minerals"].str.split(";").map(lambda ms: mineral in ms)
    return r[covers & (r["status"] == "in force")]
