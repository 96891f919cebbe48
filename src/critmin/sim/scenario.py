"""Disruption scenario files: what could go wrong, for whom, over which years.

A scenario is a YAML mapping validated here once, with the line and field of every error,
before any simulation work starts (the flodym way: validate at the boundary, run plain arrays
inside). This module is the input contract of the market engine (issue 5); it holds no
market maths.

Example (``examples/china-gallium-germanium-2023.yaml``)::

    name: China gallium and germanium licensing, 2023
    horizon: {start: 2023, end: 2030}
    bloc: USA
    samples: 1000
    seed: 2023
    events:
      - type: export_restriction
        country: CHN
        minerals: [gallium, germanium]
        stage: refine
        start: 2023-08-01
        duration_years: 2
        share: {low: 0.5, central: 0.8, high: 1.0}
        leakage: {low: 0.0, central: 0.1, high: 0.3}
        front_running: {months: 1, pulse: 0.3}
        source: MOFCOM/GAC announcement of 3 Jul 2023 (REFERENCE §5.5)

Event types: ``export_restriction`` (a ban or licensing regime by a country at a stage,
partial via ``share``, with leakage through third countries and front-running before the
effective date), ``outage`` (capacity lost in a country), ``logistics`` (a route's capacity
loss and delay), ``demand_surge``, ``stock_release`` / ``stock_purchase``, and
``stochastic_restriction`` (a hazard rate per year with a duration and magnitude range).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from critmin.data.catalogue import MINERAL_IDS
from critmin.data.countries import known_iso3
from critmin.data.errors import DataError, Problem
from critmin.data.regions import builtin_regions
from critmin.data.yamlfile import Lines, line_of, parse_yaml, read_yaml, validate_model

Fraction = Annotated[float, Field(ge=0.0, le=1.0)]


class Strict(BaseModel):
    """Unknown keys are errors: a misspelt field must not be silently ignored."""

    model_config = ConfigDict(extra="forbid")


class Range(Strict):
    """A parameter with uncertainty: low ≤ central ≤ high."""

    low: float
    central: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not self.low <= self.central <= self.high:
            raise ValueError("expected low <= central <= high")
        return self


class FractionRange(Range):
    """A :class:`Range` of fractions (0–1)."""

    @model_validator(mode="after")
    def _in_unit(self) -> FractionRange:
        if self.low < 0.0 or self.high > 1.0:
            raise ValueError("expected fractions between 0 and 1")
        return self


def _as_range(v: object) -> object:
    """A bare number stands for a range without uncertainty."""
    if isinstance(v, int | float) and not isinstance(v, bool):
        return {"low": v, "central": v, "high": v}
    return v


def _minerals(v: list[str]) -> list[str]:
    bad = [m for m in v if m not in MINERAL_IDS]
    if bad:
        raise ValueError(f"unknown minerals {bad}; known: {', '.join(MINERAL_IDS)}")
    if len(set(v)) != len(v):
        raise ValueError("a mineral is listed twice")
    return v


def _country(v: str) -> str:
    if v not in known_iso3():
        raise ValueError(f"unknown country {v!r}: expected an ISO 3166 alpha-3 code")
    return v


class Timed(Strict):
    """When an event starts (a date or a year) and how long it lasts."""

    start: dt.date | int
    duration_years: Annotated[float, Field(gt=0)] | None = None
    end: dt.date | int | None = None

    @field_validator("start", "end", mode="before")
    @classmethod
    def _year_or_date(cls, v: object) -> object:
        if isinstance(v, int) and not 1900 <= v <= 2100:
            raise ValueError("expected a year between 1900 and 2100 or a date YYYY-MM-DD")
        return v

    @model_validator(mode="after")
    def _one_end(self) -> Timed:
        if self.duration_years is not None and self.end is not None:
            raise ValueError("give duration_years or end, not both")
        if self.end is not None and self.start_date > _date(self.end, end=True):
            raise ValueError("end is before start")
        return self

    @property
    def start_date(self) -> dt.date:
        return _date(self.start)

    @property
    def end_date(self) -> dt.date:
        """Last day in force (the horizon's end when the event has no end)."""
        if self.end is not None:
            return _date(self.end, end=True)
        if self.duration_years is not None:
            # Whole years by the calendar (15 Sep 2024 + 3 years ends 14 Sep 2027), the rest
            # in days of an average year.
            whole = int(self.duration_years)
            s = self.start_date
            try:
                e = s.replace(year=s.year + whole)
            except ValueError:  # 29 February
                e = s.replace(year=s.year + whole, day=28)
            rest = round((self.duration_years - whole) * 365.25)
            return e + dt.timedelta(days=rest - 1)
        return dt.date(2100, 12, 31)


def _date(v: dt.date | int, *, end: bool = False) -> dt.date:
    if isinstance(v, dt.date):
        return v
    return dt.date(v, 12, 31) if end else dt.date(v, 1, 1)


class FrontRunning(Strict):
    """Buying ahead of an announced restriction: extra exports before the effective date."""

    months: Annotated[int, Field(ge=0, le=24)]
    pulse: Fraction  # extra exports in that window, as a share of normal exports


class ExportRestriction(Timed):
    type: Literal["export_restriction"]
    country: str
    minerals: list[str]
    stage: Literal["mine", "refine"]
    share: FractionRange = Field(description="share of exports withheld (1 = full ban)")
    leakage: FractionRange = FractionRange(low=0.0, central=0.0, high=0.0)
    exports_share: FractionRange = Field(
        default=FractionRange(low=1.0, central=1.0, high=1.0),
        description="share of the country's output it exports in normal times; the rest is "
        "its own use, which leaves the open market the bloc buys in",
    )
    target: Literal["bloc", "all"] | list[str] = Field(
        default="all", description="who is cut off: all importers, the bloc, or listed ISO3"
    )
    announced: dt.date | None = None
    front_running: FrontRunning | None = None
    source: str | None = None

    _range = field_validator("share", "leakage", "exports_share", mode="before")(_as_range)
    _c = field_validator("country")(_country)
    _m = field_validator("minerals")(_minerals)

    @field_validator("exports_share")
    @classmethod
    def _some_exports(cls, v: FractionRange) -> FractionRange:
        if v.low <= 0:
            raise ValueError("exports_share must be above 0")
        return v

    @field_validator("target")
    @classmethod
    def _target(cls, v: str | list[str]) -> str | list[str]:
        if isinstance(v, list):
            if not v:
                raise ValueError("an empty target list")
            return [_country(c) for c in v]
        return v

    @model_validator(mode="after")
    def _announced_first(self) -> ExportRestriction:
        if self.announced is not None and self.announced > self.start_date:
            raise ValueError("announced is after start")
        return self


class Outage(Timed):
    type: Literal["outage"]
    country: str
    mineral: str
    stage: Literal["mine", "refine"]
    capacity_loss: FractionRange
    source: str | None = None

    _range = field_validator("capacity_loss", mode="before")(_as_range)
    _c = field_validator("country")(_country)

    @field_validator("mineral")
    @classmethod
    def _mineral(cls, v: str) -> str:
        return _minerals([v])[0]


class Logistics(Timed):
    type: Literal["logistics"]
    route: str = Field(min_length=1)
    minerals: list[str]
    countries: list[str] = Field(min_length=1, description="exporters whose flows use the route")
    capacity_loss: FractionRange
    delay_days: Annotated[float, Field(ge=0)] = 0.0
    source: str | None = None

    _range = field_validator("capacity_loss", mode="before")(_as_range)
    _m = field_validator("minerals")(_minerals)

    @field_validator("countries")
    @classmethod
    def _countries(cls, v: list[str]) -> list[str]:
        return [_country(c) for c in v]


class DemandSurge(Timed):
    type: Literal["demand_surge"]
    minerals: list[str]
    factor: Range = Field(description="multiplier on demand (1.2 = +20 %)")
    source: str | None = None

    _range = field_validator("factor", mode="before")(_as_range)
    _m = field_validator("minerals")(_minerals)

    @field_validator("factor")
    @classmethod
    def _positive(cls, v: Range) -> Range:
        if v.low <= 0:
            raise ValueError("a demand factor must be positive")
        return v


class StockChange(Strict):
    type: Literal["stock_release", "stock_purchase"]
    mineral: str
    year: Annotated[int, Field(ge=1900, le=2100)]
    amount_t: Annotated[float, Field(gt=0)]
    holder: str = "bloc"
    source: str | None = None

    @field_validator("mineral")
    @classmethod
    def _mineral(cls, v: str) -> str:
        return _minerals([v])[0]


class StochasticRestriction(Strict):
    """Restrictions that may happen: an annual probability, a duration and a magnitude."""

    type: Literal["stochastic_restriction"]
    country: str
    minerals: list[str]
    stage: Literal["mine", "refine"]
    annual_probability: Fraction
    duration_years: Range
    share: FractionRange
    source: str | None = None

    _range = field_validator("duration_years", "share", mode="before")(_as_range)
    _c = field_validator("country")(_country)
    _m = field_validator("minerals")(_minerals)

    @field_validator("duration_years")
    @classmethod
    def _positive(cls, v: Range) -> Range:
        if v.low <= 0:
            raise ValueError("durations must be positive")
        return v


class DefaultHazards(Strict):
    """The documented default hazard model (:mod:`critmin.sim.hazard`), optionally scaled.

    Expands into one :class:`StochasticRestriction` per producing country (share at least
    ``min_share`` at the mineral's last stage) and mineral.
    """

    type: Literal["default_hazards"]
    scale: Annotated[float, Field(ge=0.0, le=100.0)] = 1.0
    min_share: Fraction = 0.1
    minerals: list[str] | None = None
    countries: list[str] | None = None

    _m = field_validator("minerals")(lambda v: v if v is None else _minerals(v))

    @field_validator("countries")
    @classmethod
    def _countries(cls, v: list[str] | None) -> list[str] | None:
        return v if v is None else [_country(c) for c in v]


Event = Annotated[
    ExportRestriction
    | Outage
    | Logistics
    | DemandSurge
    | StockChange
    | StochasticRestriction
    | DefaultHazards,
    Field(discriminator="type"),
]

#: Market parameters a scenario may override (per mineral or ``"*"``), see params.csv.
PARAMETERS = (
    "elasticity_supply_short",
    "elasticity_supply_long",
    "elasticity_demand_short",
    "elasticity_demand_long",
    "adjustment_years",
    "spare_capacity",
    "ramp_rate",
    "price_cap",
    "recycling_input_rate",
)


class Horizon(Strict):
    start: Annotated[int, Field(ge=1990, le=2100)]
    end: Annotated[int, Field(ge=1990, le=2100)]

    @model_validator(mode="after")
    def _ordered(self) -> Horizon:
        if self.end < self.start:
            raise ValueError("horizon end is before its start")
        if self.end - self.start > 60:
            raise ValueError("a horizon of more than 60 years is not supported")
        return self


class Scenario(Strict):
    """A disruption scenario (the input of ``critmin simulate``)."""

    name: str = Field(min_length=1)
    description: str | None = None
    horizon: Horizon
    bloc: str | list[str] = Field(
        default="OECD",
        description="importing bloc: an ISO3 code, a region name or a list of ISO3 codes",
    )
    demand_scenario: str = "base"
    samples: Annotated[int, Field(ge=1, le=10_000_000)] = 1000
    seed: Annotated[int, Field(ge=0)] = 0
    events: list[Event] = Field(default_factory=list)
    minerals: list[str] | None = Field(
        default=None, description="minerals to simulate (default: every mineral with data)"
    )
    parameters: dict[str, dict[str, Range]] = Field(
        default_factory=dict,
        description="market parameter overrides: mineral (or '*') -> parameter -> range",
    )
    stocks: dict[str, Annotated[float, Field(ge=0)]] = Field(
        default_factory=dict, description="the bloc's stock at the start, tonnes per mineral"
    )
    release_trigger: Fraction = Field(
        default=0.02, description="stocks are released when the bloc's gap exceeds this share"
    )

    _mins = field_validator("minerals")(lambda v: v if v is None else _minerals(v))

    @field_validator("stocks")
    @classmethod
    def _stock_minerals(cls, v: dict[str, float]) -> dict[str, float]:
        _minerals(list(v))
        return v

    @field_validator("parameters", mode="before")
    @classmethod
    def _params(cls, v: object) -> object:
        if not isinstance(v, dict):
            return v
        out: dict[object, object] = {}
        for mineral, params in v.items():
            if mineral != "*":
                _minerals([str(mineral)])
            if not isinstance(params, dict):
                out[mineral] = params
                continue
            bad = [k for k in params if k not in PARAMETERS]
            if bad:
                raise ValueError(f"unknown parameters {bad} for {mineral}; known: "
                                 f"{', '.join(PARAMETERS)}")  # fmt: skip
            out[mineral] = {k: _as_range(x) for k, x in params.items()}
        return out

    @field_validator("bloc")
    @classmethod
    def _bloc(cls, v: str | list[str]) -> str | list[str]:
        if isinstance(v, list):
            if not v:
                raise ValueError("an empty bloc")
            for c in v:
                _country(c)
            return v
        regions = {k.lower() for k in builtin_regions()}
        if v.lower() not in regions and v not in known_iso3():
            raise ValueError(f"unknown bloc {v!r}: an ISO3 code, a list, or one of "
                             f"{sorted(builtin_regions())}")  # fmt: skip
        return v

    def bloc_members(self) -> tuple[str, ...]:
        """The bloc as ISO3 codes."""
        if isinstance(self.bloc, list):
            return tuple(sorted(set(self.bloc)))
        for name, members in builtin_regions().items():
            if name.lower() == self.bloc.lower():
                return members
        return (self.bloc,)


def contradictions(s: Scenario) -> list[tuple[int, str, str]]:
    """Events that contradict each other: (event index, field, why).

    Two export restrictions by the same country on the same mineral and stage may not
    overlap in time (say which one holds); a stock release and a purchase of the same mineral
    by the same holder may not fall in the same year; an event may not lie wholly outside
    the horizon.
    """
    out: list[tuple[int, str, str]] = []
    restr = [(i, e) for i, e in enumerate(s.events) if isinstance(e, ExportRestriction)]
    for a, (i, e) in enumerate(restr):
        for j, f in restr[a + 1 :]:
            same = e.country == f.country and e.stage == f.stage
            shared = sorted(set(e.minerals) & set(f.minerals))
            overlap = e.start_date <= f.end_date and f.start_date <= e.end_date
            if same and shared and overlap:
                out.append((j, "start", f"overlaps event {i} (same country, stage and "
                            f"minerals {shared}): merge them or end one first"))  # fmt: skip
    stock = [(i, e) for i, e in enumerate(s.events) if isinstance(e, StockChange)]
    for a, (i, sa) in enumerate(stock):
        for j, sb in stock[a + 1 :]:
            key_a, key_b = (sa.mineral, sa.year, sa.holder), (sb.mineral, sb.year, sb.holder)
            if key_a == key_b and sa.type != sb.type:
                out.append((j, "type", f"a {sb.type} and a {sa.type} (event {i}) of "
                            f"{sa.mineral} by {sa.holder} in {sa.year}"))  # fmt: skip
    h0, h1 = dt.date(s.horizon.start, 1, 1), dt.date(s.horizon.end, 12, 31)
    for i, ev in enumerate(s.events):
        if isinstance(ev, Timed) and (ev.end_date < h0 or ev.start_date > h1):
            out.append((i, "start", f"the event lies outside the horizon "
                        f"{s.horizon.start}-{s.horizon.end}"))  # fmt: skip
        if isinstance(ev, StockChange) and not s.horizon.start <= ev.year <= s.horizon.end:
            out.append((i, "year", "the year lies outside the horizon"))
    return out


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; every problem is reported with its line and field.

    Raises
    ------
    DataError
        Malformed YAML, a document that is not a mapping, unknown or misspelt fields, an unknown
        mineral or country, a negative duration, a probability above 1, contradictory events.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "s.yaml"
    >>> _ = p.write_text("name: t\\nhorizon: {start: 2025, end: 2030}\\nevents:\\n"
    ...     "  - {type: outage, country: COD, mineral: cobalt, stage: mine, start: 2026,\\n"
    ...     "     duration_years: 1, capacity_loss: 0.3}\\n")
    >>> s = load_scenario(p); s.events[0].capacity_loss.central, s.bloc_members()[:2]
    (0.3, ('AUS', 'AUT'))
    >>> _ = p.write_text("name: t\\nhorizon: {start: 2025, end: 2030}\\nevents:\\n"
    ...     "  - {type: outage, country: COD, mineral: kryptonite, stage: mine, start: 2026,\\n"
    ...     "     duration_years: 1, capacity_loss: 0.3}\\n")
    >>> load_scenario(p)
    Traceback (most recent call last):
    ...
    critmin.data.errors.DataError: ...s.yaml, row 4, field 'events.0.outage.mineral': ...
    """
    p = Path(path)
    data, lines = read_yaml(p)
    return _scenario(data, lines, str(p))


def scenario_from_text(text: str, file: str = "scenario") -> Scenario:
    """Validate a scenario given as YAML text, as :func:`load_scenario` validates a file.

    Examples
    --------
    >>> scenario_from_text("name: t\\nhorizon: {start: 2025, end: 2027}\\n").name
    't'
    >>> scenario_from_text("name: t\\nhorizon: {start: 2025, end: 2027}\\nsampels: 3\\n")
    Traceback (most recent call last):
    ...
    critmin.data.errors.DataError: scenario, row 3, field 'sampels': ...
    """
    data, lines = parse_yaml(text, file)
    return _scenario(data, lines, file)


def _scenario(data: object, lines: Lines, file: str) -> Scenario:
    if not isinstance(data, dict):
        raise DataError([Problem(file, 1, None, "a YAML mapping with name, horizon, events",
                                 type(data).__name__)])  # fmt: skip
    scenario = validate_model(Scenario, data, file, lines)
    bad = contradictions(scenario)
    if bad:
        raise DataError(
            [Problem(file, line_of(lines, ("events", i, field)), f"events.{i}.{field}",
                     "events that do not contradict each other", why)
             for i, field, why in bad]
        )  # fmt: skip
    return scenario
