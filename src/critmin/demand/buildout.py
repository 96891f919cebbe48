"""Data-centre build-out scenarios: electricity anchors → installed IT capacity → new MW.

A :class:`Scenario` holds published electricity anchor points (total facility TWh per year)
and the two conversion parameters:

* facility capacity ``GW = TWh / (8.76 × LF)`` with the IEA fleet load factor LF = 0.48
  (IEA 2026 Annex A: 48–50 % across cases and years; ai_SOURCES derived rule 1);
* IT capacity = facility capacity / PUE, with the IEA (2026) Base PUE path 1.38 (2025) →
  1.29 (2030), linear between and flat outside. PUE is an energy ratio; using it for capacity
  assumes IT and overhead load peak together (cross-check: IEA 2030 Base IT-only 732 TWh of
  950 TWh = 1.30).

Between anchors the electricity path is a monotone cubic (PCHIP, Fritsch–Carlson) in
log(TWh): each segment keeps its published average growth (IEA describes Base as ~15 %/yr over
2024–2030, BLD-010) but the growth rate changes smoothly at interior anchors, so new capacity
has no saw-tooth at 2030; at the end anchors the growth rate is the adjacent segment's average.
After the last anchor that growth rate is held (``extrapolation="hold_growth"``) or the level is
held (``"flat"``); before the first anchor the first segment's rate is held backwards.
New capacity is ``max(0, IT(t) − IT(t−1))``: first fill of new data centres only. Replacement
of servers at end of life belongs to the stock model (``critmin.demand.stock``), not here.

Examples
--------
>>> s = scenario("iea2025-base")
>>> cp = capacity_path(s, [2024, 2030])
>>> cp[["year", "twh", "status"]].values.tolist()
[[2024, 415.0, 'sourced'], [2030, 945.0, 'sourced']]
>>> round(float(cp.facility_gw.iloc[1]), 1)
224.7
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from critmin.data.errors import DataError, Problem
from critmin.data.yamlfile import Lines, read_yaml, validate_model
from critmin.demand.years import DEFAULT_YEARS

#: Hours in a year / 1000: TWh per GW-year.
TWH_PER_GW_YEAR = 8.76
#: The packaged built-in scenarios.
SCENARIOS_PATH = Path(__file__).with_name("scenarios.yaml")


class Scenario(BaseModel):
    """A build-out scenario: electricity anchors and the facility → IT conversion.

    Examples
    --------
    >>> s = Scenario(name="toy", series="test", source="made up", twh={2024: 100, 2030: 200})
    >>> s.load_factor, s.pue
    (0.48, {2025: 1.38, 2030: 1.29})
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    series: str = Field(min_length=1)
    source: str = Field(min_length=1)
    #: Total facility electricity (TWh/yr) by year: the published anchor points.
    twh: dict[int, float] = Field(min_length=1)
    #: Fleet load factor (average / installed capacity), IEA 2026 Annex A (BLD-049).
    load_factor: float = Field(0.48, gt=0, le=1)
    #: PUE by year (linear between, flat outside): IEA 2026 Base (BLD-047, BLD-048).
    pue: dict[int, float] = Field(default_factory=lambda: {2025: 1.38, 2030: 1.29}, min_length=1)
    #: Between anchors: ``pchip`` = monotone cubic in log(TWh) (smooth growth rate, no kink at
    #: anchors), ``geometric`` = constant growth per segment, ``linear`` = straight line.
    interpolation: Literal["pchip", "geometric", "linear"] = "pchip"
    extrapolation: Literal["hold_growth", "flat"] = "hold_growth"
    notes: str = ""

    @field_validator("twh")
    @classmethod
    def _twh_non_negative(cls, v: dict[int, float]) -> dict[int, float]:
        for y, x in v.items():
            if not math.isfinite(x) or x < 0:
                raise ValueError(f"TWh for {y} must be a finite non-negative number, got {x}")
        return dict(sorted(v.items()))

    @field_validator("pue")
    @classmethod
    def _pue_at_least_one(cls, v: dict[int, float]) -> dict[int, float]:
        for y, x in v.items():
            if not math.isfinite(x) or x < 1:
                raise ValueError(f"PUE for {y} must be >= 1, got {x}")
        return dict(sorted(v.items()))


def _rate(a: float, b: float, years: int) -> float | None:
    """Annual growth factor from a to b over ``years`` (None when not defined)."""
    if a <= 0 or b <= 0 or years <= 0:
        return None
    return float((b / a) ** (1.0 / years))


def _pchip_log(xs: list[int], vs: list[float], i: int, x: float) -> float:
    """Monotone cubic Hermite interpolation of log(vs) on segment ``i`` at ``x``.

    Interior slopes: weighted harmonic mean of the adjacent secants (Fritsch–Carlson, as
    scipy's PchipInterpolator), zero where the secants change sign; end slopes: the adjacent
    secant (so holding the last segment's growth continues the path smoothly).
    """
    ly = [math.log(v) for v in vs]
    h = [xs[k + 1] - xs[k] for k in range(len(xs) - 1)]
    d = [(ly[k + 1] - ly[k]) / h[k] for k in range(len(h))]
    m = [d[0], *[0.0] * (len(xs) - 2), d[-1]]
    for k in range(1, len(xs) - 1):
        if d[k - 1] * d[k] > 0:
            w1, w2 = 2 * h[k] + h[k - 1], h[k] + 2 * h[k - 1]
            m[k] = (w1 + w2) / (w1 / d[k - 1] + w2 / d[k])
    if ly[i] == ly[i + 1] and m[i] == 0 and m[i + 1] == 0:
        return float(vs[i])
    t = (x - xs[i]) / h[i]
    y = (
        (2 * t**3 - 3 * t**2 + 1) * ly[i]
        + (t**3 - 2 * t**2 + t) * h[i] * m[i]
        + (-2 * t**3 + 3 * t**2) * ly[i + 1]
        + (t**3 - t**2) * h[i] * m[i + 1]
    )
    return math.exp(y)


def twh_at(s: Scenario, year: int) -> tuple[float, str]:
    """Electricity (TWh) of a scenario in one year, and its status.

    ``sourced`` at an anchor, ``interpolated`` between anchors, ``extrapolated`` outside.

    Examples
    --------
    >>> s = scenario("iea2025-base")
    >>> v, st = twh_at(s, 2027); round(v, 1), st
    (658.7, 'interpolated')
    """
    ys = sorted(s.twh)
    if year in s.twh:
        return float(s.twh[year]), "sourced"
    if len(ys) == 1:
        return float(s.twh[ys[0]]), "extrapolated"
    if ys[0] < year < ys[-1]:
        i = int(np.searchsorted(ys, year)) - 1
        if s.interpolation == "pchip" and all(s.twh[y] > 0 for y in ys):
            # a flat segment between flat neighbours stays exactly flat
            return _pchip_log(ys, [s.twh[y] for y in ys], i, year), "interpolated"
        y0, y1 = ys[i], ys[i + 1]
        v0, v1 = s.twh[y0], s.twh[y1]
        if v0 == v1 and s.interpolation != "pchip":
            return float(v0), "interpolated"
        g = _rate(v0, v1, y1 - y0) if s.interpolation == "geometric" else None
        if g is None:
            return v0 + (v1 - v0) * (year - y0) / (y1 - y0), "interpolated"
        return v0 * g ** (year - y0), "interpolated"
    if s.extrapolation == "flat":
        return float(s.twh[ys[-1] if year > ys[-1] else ys[0]]), "extrapolated"
    if year > ys[-1]:
        y0, y1 = ys[-2], ys[-1]
        g = _rate(s.twh[y0], s.twh[y1], y1 - y0)
        return (s.twh[y1] * g ** (year - y1) if g else float(s.twh[y1])), "extrapolated"
    y0, y1 = ys[0], ys[1]
    g = _rate(s.twh[y0], s.twh[y1], y1 - y0)
    return (s.twh[y0] / g ** (y0 - year) if g else float(s.twh[y0])), "extrapolated"


def pue_at(s: Scenario, year: int) -> float:
    """PUE in one year: linear between the scenario's PUE points, flat outside.

    Examples
    --------
    >>> pue_at(scenario("iea2025-base"), 2024), round(pue_at(scenario("iea2025-base"), 2028), 3)
    (1.38, 1.326)
    """
    ys = sorted(s.pue)
    return float(np.interp(year, ys, [s.pue[y] for y in ys]))


def _it_gw(s: Scenario, year: int) -> tuple[float, float, float, float, str]:
    twh, status = twh_at(s, year)
    fac = twh / (TWH_PER_GW_YEAR * s.load_factor)
    pue = pue_at(s, year)
    return twh, fac, pue, fac / pue, status


def capacity_path(scenario: Scenario, years: Iterable[int] | None = None) -> pd.DataFrame:
    """Electricity, facility and IT capacity and new IT capacity per year.

    Parameters
    ----------
    scenario
        The scenario.
    years
        Years to report (default 2025–2040).

    Returns
    -------
    pandas.DataFrame
        year, twh, facility_gw, pue, it_gw, new_it_mw (= max(0, IT(t) − IT(t−1)) × 1000),
        status (sourced / interpolated / extrapolated: of the electricity figure).

    Examples
    --------
    >>> cp = capacity_path(scenario("iea2025-base"), [2030])
    >>> round(float(cp.it_gw.iloc[0]), 1), round(float(cp.new_it_mw.iloc[0]))
    (174.2, 17251)
    """
    recs = []
    for y in sorted({int(y) for y in (DEFAULT_YEARS if years is None else years)}):
        twh, fac, pue, it, status = _it_gw(scenario, y)
        prev = _it_gw(scenario, y - 1)[3]
        recs.append(
            {
                "year": y,
                "twh": twh,
                "facility_gw": fac,
                "pue": pue,
                "it_gw": it,
                "new_it_mw": max(0.0, it - prev) * 1000.0,
                "status": status,
            }
        )
    cols = ["year", "twh", "facility_gw", "pue", "it_gw", "new_it_mw", "status"]
    return pd.DataFrame(recs, columns=cols)


# ------------------------------------------------------------------------------ YAML input


def _parse_yaml(path: Path) -> tuple[Any, Lines]:
    return read_yaml(path)


def _validate(data: Any, file: str, lines: Lines, prefix: tuple[Any, ...] = ()) -> Scenario:
    return validate_model(Scenario, data, file, lines, prefix)


def load_scenario(path: str | Path) -> Scenario:
    """Read one scenario from a YAML mapping (``yaml.safe_load``).

    Raises
    ------
    DataError
        Malformed YAML (with its line) or fields that fail validation (line and field).

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "s.yaml")
    >>> _ = open(p, "w").write("name: x\\nseries: y\\nsource: z\\ntwh: {2024: 1, 2030: 2}\\n")
    >>> load_scenario(p).twh
    {2024: 1.0, 2030: 2.0}
    """
    p = Path(path)
    data, lines = _parse_yaml(p)
    return _validate(data, str(p), lines)


def load_scenarios(path: str | Path | None = None) -> dict[str, Scenario]:
    """Read a YAML list of scenarios (default: the packaged built-ins) keyed by name."""
    p = Path(path) if path is not None else SCENARIOS_PATH
    data, lines = _parse_yaml(p)
    if not isinstance(data, list):
        raise DataError([Problem(str(p), 1, None, "a YAML list of scenarios")])
    out: dict[str, Scenario] = {}
    for i, d in enumerate(data):
        s = _validate(d, str(p), lines, (i,))
        if s.name in out:
            raise DataError([Problem(str(p), lines.get((i, "name")), "name", "a unique name")])
        out[s.name] = s
    return out


#: The built-in scenarios by name (IEA Energy and AI 2025 and Key Questions 2026 cases).
SCENARIOS: dict[str, Scenario] = load_scenarios()

#: Short names → built-in names.
ALIASES: dict[str, str] = {
    "base": "iea2025-base",
    "lift-off": "iea2025-lift-off",
    "high-efficiency": "iea2025-high-efficiency",
    "headwinds": "iea2025-headwinds",
}


def scenario(name: str) -> Scenario:
    """A built-in scenario by name (or alias ``base``, ``lift-off``, ``high-efficiency``,
    ``headwinds`` for the IEA 2025 cases).

    Examples
    --------
    >>> scenario("base").name
    'iea2025-base'
    """
    key = ALIASES.get(name.lower(), name.lower())
    if key not in SCENARIOS:
        raise KeyError(f"unknown scenario {name!r}; built-in: {', '.join(SCENARIOS)}")
    return SCENARIOS[key]


# ------------------------------------------------------------------ installed base before 2025

#: Last historical year: the 2024 fleet is the installed base the projections start from.
BASE_YEAR = 2024
#: First year of the modelled history (grid connections live ~35 years, so vintages back to
#: 1990 still retire after 2025).
HISTORY_START = 1990
#: IEA (2025) Energy and AI: data-centre electricity grew ~12 %/yr since 2017 (BLD-009).
HISTORY_GROWTH = 1.12
HISTORY_GROWTH_FROM = 2017
#: World installed data-centre capacity 2005, 21.4 GW facility (IEA data via Visual
#: Capitalist, BLD-057).
CAPACITY_2005_GW = 21.4
#: Fleet PUE history: Uptime Institute survey 2007 2.5 (BLD-098), 2014 1.65 (BLD-099); the
#: scenario's own PUE in BASE_YEAR (IEA 2026, BLD-047); linear between, flat before 2007.
PUE_HISTORY: dict[int, float] = {2007: 2.5, 2014: 1.65}


def history_path(s: Scenario) -> pd.DataFrame:
    """Installed IT capacity of data centres before the projection, 1990–2024.

    The level in :data:`BASE_YEAR` is the scenario's own (2024: 415 TWh for the IEA 2025
    series, BLD-001, so the history joins the projection without a step). Facility electricity
    falls back from it at the IEA's 12 %/yr of 2017–2024 (BLD-009); 2005 facility capacity is
    21.4 GW (BLD-057), geometric between 2005 and 2017 and the 2005–2017 growth held before
    2005 (modelled). IT = facility / PUE with the fleet PUE of Uptime's surveys (2.5 in 2007,
    1.65 in 2014) joined linearly to the scenario's PUE in 2024.

    Returns
    -------
    pandas.DataFrame
        year, facility_gw, pue, it_gw, new_it_mw (the 1990 row carries the whole 1990 fleet,
        so the cumulative new capacity equals the installed capacity), status (sourced /
        derived / interpolated / modelled).

    Examples
    --------
    >>> h = history_path(scenario("base")).set_index("year")
    >>> round(float(h.loc[2024, "it_gw"]), 1), round(float(h.loc[2005, "facility_gw"]), 1)
    (71.5, 21.4)
    >>> bool(abs(h.new_it_mw.sum() / 1000 - h.loc[2024, "it_gw"]) < 1e-9)
    True
    """
    fac_base = _it_gw(s, BASE_YEAR)[1]
    fac_from = fac_base / HISTORY_GROWTH ** (BASE_YEAR - HISTORY_GROWTH_FROM)
    g_early = (fac_from / CAPACITY_2005_GW) ** (1.0 / (HISTORY_GROWTH_FROM - 2005))
    pue_pts = {**PUE_HISTORY, BASE_YEAR: pue_at(s, BASE_YEAR)}
    py = sorted(pue_pts)
    recs = []
    for y in range(HISTORY_START, BASE_YEAR + 1):
        if y >= HISTORY_GROWTH_FROM:
            fac = fac_base / HISTORY_GROWTH ** (BASE_YEAR - y)
            status = "sourced" if y == BASE_YEAR else "derived"
        else:
            fac = CAPACITY_2005_GW * g_early ** (y - 2005)
            status = "sourced" if y == 2005 else "interpolated" if y > 2005 else "modelled"
        pue = float(np.interp(y, py, [pue_pts[k] for k in py]))
        recs.append({"year": y, "facility_gw": fac, "pue": pue, "it_gw": fac / pue,
                     "status": status})  # fmt: skip
    out = pd.DataFrame(recs)
    it = out["it_gw"].to_numpy()
    new = np.maximum(0.0, np.diff(it, prepend=0.0)) * 1000.0
    out.insert(4, "new_it_mw", new)
    return out


def full_path(s: Scenario, last: int, first: int = HISTORY_START) -> pd.DataFrame:
    """New IT MW per year from ``first`` to ``last``: the history to 2024, then the scenario.

    Examples
    --------
    >>> p = full_path(scenario("base"), 2030).set_index("year")
    >>> round(float(p.loc[2025, "new_it_mw"])), p.loc[2025, "status"]
    (11284, 'interpolated')
    """
    hist = history_path(s)
    hist = hist[hist["year"] >= first][["year", "new_it_mw", "status"]]
    fut = capacity_path(s, range(BASE_YEAR + 1, last + 1))[["year", "new_it_mw", "status"]]
    return pd.concat([hist, fut], ignore_index=True)


def growth_driver(s: Scenario, year: int) -> str:
    """Why a year's new capacity is what it is: the published growth of its anchor segment.

    Examples
    --------
    >>> growth_driver(scenario("base"), 2028)
    'new IT 20.2 GW; TWh anchors 2024→2030 +14.7 %/yr'
    >>> growth_driver(scenario("base"), 2033)
    'new IT 8.5 GW; TWh anchors 2030→2035 +4.9 %/yr'
    """
    ys = sorted(s.twh)
    new = float(capacity_path(s, [year])["new_it_mw"].to_numpy()[0]) / 1000.0
    if len(ys) < 2:
        return f"new IT {new:.1f} GW; one TWh anchor, level held"
    i = int(np.clip(np.searchsorted(ys, year) - 1, 0, len(ys) - 2))
    y0, y1 = ys[i], ys[i + 1]
    g = _rate(s.twh[y0], s.twh[y1], y1 - y0)
    rate = f"{(g - 1) * 100:+.1f} %/yr" if g is not None else "n/a"
    held = " (held after the last anchor)" if year > ys[-1] else ""
    return f"new IT {new:.1f} GW; TWh anchors {y0}→{y1} {rate}{held}"
