"""The restriction record as a panel for the fitted hazard model (docs/model.md §10).

Two steps, both pure functions of the dataset:

- :func:`record_measures` reads the ``restrictions`` table (package reference data,
  ``export_restrictions.csv``) into one row per measure with its type, start year, end and
  the flags that decide whether it counts as a *new* restriction: a start date that is only
  a lower bound (``left_censored``), a measure suspended from its start (``never_in_force``),
  a measure that replaces another on the same country and mineral without tightening it
  (``continuation``, e.g. Indonesia's 2017 quotas after its 2014 ban) and technology bans
  (not a restriction on the mineral).
- :func:`panel` builds the country × mineral × year table the model is fitted on: every
  country producing a simulated mineral (any stage) is at risk every year; ``y`` counts the
  new measures starting on the cell that year; covariates are the country's WGI political
  stability and UN General Assembly distance to the USA (previous year), its share of world
  output of the mineral, and whether it restricted any mineral in the five previous years.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from critmin.data.alignment import load_alignment
from critmin.data.catalogue import mineral as catalogue_mineral
from critmin.data.dataset import Dataset
from critmin.metrics.restrictions import _date

#: The measure types the model draws, in order, mildest first (their severity).
MEASURES = ("export tax", "licensing", "quota", "ban", "ban aimed at importers")
#: First year of the record the model is fitted on.
FIRST_YEAR = 2009
#: Years of "prior restriction" memory.
MEMORY = 5
#: A country holding less than this share of world output at every stage is not at risk.
MIN_SHARE = 0.005
#: Notes that say the effective date is only a lower bound of the start.
_LOWER_BOUND = ("effective is the earliest", "effective is the month", "lower bound")


def record_measures(restrictions: pd.DataFrame) -> pd.DataFrame:
    """One row per measure: ``id, country, minerals, measure, start, end, start_year,
    counts`` and the reasons a measure does not count as new.

    ``end`` is the earlier of ``lifted`` and ``suspended_from`` (missing while in force).

    Examples
    --------
    >>> import critmin
    >>> m = record_measures(critmin.load().restrictions).set_index("id")
    >>> bool(m.loc["ID-2017-Ni-quota", "continuation"]), bool(m.loc["ID-2020-Ni", "counts"])
    (True, True)
    >>> bool(m.loc["CN-REE-quota", "left_censored"]), bool(m.loc["CD-2013-conc", "never_in_force"])
    (True, True)
    """
    rows = []
    for r in restrictions.to_dict(orient="records"):
        start = _date(r["effective"]) or _date(r["announced"])
        lifted = _date(r.get("lifted"))
        s_from = _date(r.get("suspended_from"))
        ends = [d for d in (lifted, s_from) if d is not None]
        note = str(r.get("note") or "").lower()
        rows.append(
            {
                "id": r["id"],
                "country": r["country"],
                "minerals": [m for m in str(r["minerals"]).split(";") if m],
                "stage": r["stage"],
                "measure": r["measure"],
                "target": r["target"],
                "export_share_covered": _number(r.get("export_share_covered")),
                "start": start,
                "end": min(ends) if ends else None,
                "start_year": start.year if start else None,
                "left_censored": any(k in note for k in _LOWER_BOUND),
                "never_in_force": s_from is not None and start is not None and s_from <= start,
                "technology": r["measure"] not in MEASURES,
            }
        )
    df = pd.DataFrame(rows)
    df["continuation"] = [_continues(df, i) for i in range(len(df))]
    df["counts"] = ~(df["left_censored"] | df["never_in_force"] | df["technology"]
                     | df["continuation"])  # fmt: skip
    return df


def _number(v: object) -> float:
    """A table cell as a number (NaN when empty or not numeric)."""
    try:
        return float(str(v)) if v is not None and str(v).strip() else float("nan")
    except ValueError:
        return float("nan")


def _continues(df: pd.DataFrame, i: int) -> bool:
    """Whether measure i replaces, within 31 days, an earlier measure by the same country on
    a shared mineral without being stricter than it."""
    r = df.iloc[i]
    if r["start"] is None or r["measure"] not in MEASURES:
        return False
    for _, o in df.iterrows():
        if o["id"] == r["id"] or o["country"] != r["country"] or o["end"] is None:
            continue
        if not set(o["minerals"]) & set(r["minerals"]) or o["measure"] not in MEASURES:
            continue
        if abs((r["start"] - o["end"]).days) <= 31:
            return bool(MEASURES.index(r["measure"]) <= MEASURES.index(o["measure"]))
    return False


def producer_shares(ds: Dataset, minerals: tuple[str, ...]) -> pd.DataFrame:
    """Each country's share of world output of each mineral: the larger of its mine and
    refine shares (latest year of the preferred source): ``country, mineral, share``."""
    out = []
    for m in minerals:
        best: dict[str, float] = {}
        for stage in catalogue_mineral(m).basis:
            rows = ds.supply(m, stage)
            if rows.empty:
                continue
            tot = rows.loc[rows["entity_kind"].isin(["country", "other"]), "value"].sum()
            if not tot > 0:
                continue
            c = rows[rows["entity_kind"] == "country"].groupby("country")["value"].sum() / tot
            for k, v in c.items():
                best[str(k)] = max(best.get(str(k), 0.0), float(v))
        out += [{"country": c, "mineral": m, "share": s} for c, s in best.items()]
    return pd.DataFrame(out, columns=["country", "mineral", "share"])


def country_year_covariates(ds: Dataset, countries: list[str], years: range) -> pd.DataFrame:
    """``pv`` (WGI political stability) and ``align`` (UNGA ideal-point distance to the USA)
    of each country in the year before each year, the latest earlier value when that year has
    none, the cross-country median when the country has none at all (noted ``imputed``)."""
    wgi = ds.wgi[ds.wgi["indicator"] == "pv"].pivot_table(index="year", columns="country",
                                                          values="estimate")  # fmt: skip
    al = load_alignment().pivot_table(index="year", columns="country", values="dist_usa")
    rows = []
    for name, tab in (("pv", wgi), ("align", al)):
        full = tab.reindex(range(int(tab.index.min()), max(years) + 1)).ffill()
        med = full.median(axis=1)
        for c in countries:
            col = full[c] if c in full.columns else pd.Series(np.nan, index=full.index)
            for t in years:
                v = col.get(t - 1, np.nan)
                fill = float(med.get(t - 1, np.nan))
                rows.append((c, t, name, float(v) if v == v else fill, v != v))
    df = pd.DataFrame(rows, columns=["country", "year", "var", "value", "imputed"])
    wide = df.pivot_table(index=["country", "year"], columns="var", values="value")
    imp = df.groupby(["country", "year"])["imputed"].any()
    wide["imputed"] = imp
    return wide.reset_index()


def prior_restrictions(measures: pd.DataFrame, countries: list[str], years: range) -> pd.DataFrame:
    """1 where the country had a measure starting or in force in the ``MEMORY`` years before
    the year (any mineral, any measure of the record), else 0."""
    out = []
    for c in countries:
        mc = measures[measures["country"] == c]
        for t in years:
            lo, hi = dt.date(t - MEMORY, 1, 1), dt.date(t - 1, 12, 31)
            hit = any(s is not None and s <= hi and (e is None or e >= lo)
                      for s, e in zip(mc["start"], mc["end"], strict=True))  # fmt: skip
            out.append((c, t, float(hit)))
    return pd.DataFrame(out, columns=["country", "year", "prior"])


def panel(ds: Dataset, minerals: tuple[str, ...], last_year: int) -> pd.DataFrame:
    """The fitting panel, ``FIRST_YEAR`` … ``last_year``: one row per country, mineral and
    year with ``y`` (new measures), ``y_bq`` (of which bans and quotas), ``group`` (the
    catalogue group), ``log_share``, ``pv``, ``align``, ``prior`` and ``trend``."""
    measures = record_measures(ds.restrictions)
    shares = producer_shares(ds, minerals)
    shares = shares[shares["share"] >= MIN_SHARE]
    new = measures[measures["counts"] & measures["start_year"].between(FIRST_YEAR, last_year)]
    ev = new.explode("minerals")
    ev = ev[ev["minerals"].isin(minerals)]
    # A cell with a new measure is at risk even below MIN_SHARE (its share floors at MIN_SHARE).
    extra = ev[["country", "minerals"]].rename(columns={"minerals": "mineral"}).drop_duplicates()
    cells = pd.concat([shares, extra.assign(share=np.nan)]).drop_duplicates(
        ["country", "mineral"], keep="first"
    )
    cells["share"] = cells["share"].fillna(MIN_SHARE).clip(lower=MIN_SHARE)
    years = range(FIRST_YEAR, last_year + 1)
    countries = sorted(cells["country"].unique())
    grid = cells.merge(pd.DataFrame({"year": list(years)}), how="cross")
    cov = country_year_covariates(ds, countries, years)
    prior = prior_restrictions(measures, countries, years)
    grid = grid.merge(cov, on=["country", "year"]).merge(prior, on=["country", "year"])
    bq = ev["measure"].isin(["ban", "quota", "ban aimed at importers"])
    cnt = ev.groupby(["country", "minerals", "start_year"]).size()
    cnt_bq = ev[bq].groupby(["country", "minerals", "start_year"]).size()
    key = list(zip(grid["country"], grid["mineral"], grid["year"], strict=True))
    grid["y"] = [int(cnt.get(k, 0)) for k in key]
    grid["y_bq"] = [int(cnt_bq.get(k, 0)) for k in key]
    grid["group"] = [catalogue_mineral(m).group for m in grid["mineral"]]
    grid["log_share"] = np.log(grid["share"])
    grid["trend"] = (grid["year"] - 2017) / 10.0
    return grid.sort_values(["country", "mineral", "year"]).reset_index(drop=True)
