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
import math
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from critmin.data.catalogue import MINERAL_IDS
from critmin.data.countries import known_iso3
from critmin.data.errors import DataError, Problem
from critmin.data.regions import builtin_regions
from critmin.data.yamlfile import Lines, line_of, parse_yaml, read_yaml, validate_model
from critmin.sim.events.default_hazards import DefaultHazards
from critmin.sim.events.demand_surge import DemandSurge
from critmin.sim.events.export_restriction import ExportRestriction, FrontRunning
from critmin.sim.events.logistics import Logistics
from critmin.sim.events.outage import Outage
from critmin.sim.events.registry import REGISTRY, SPECS, Event
from critmin.sim.events.stochastic_restriction import StochasticRestriction
from critmin.sim.events.stock_change import StockChange
from critmin.sim.parameters import parameter_definitions, parameter_names
from critmin.sim.schema import (
    Fraction,
    FractionRange,
    Range,
    Strict,
    Timed,
    _as_range,
    _country,
    _minerals,
)

# Re-exported: the event schemas lived here before each got its module (critmin.sim.events).
__all__ = [
    "PARAMETERS",
    "DefaultHazards",
    "DemandSurge",
    "Event",
    "ExportRestriction",
    "Fraction",
    "FractionRange",
    "FrontRunning",
    "Horizon",
    "Logistics",
    "Outage",
    "Range",
    "Scenario",
    "StochasticRestriction",
    "StockChange",
    "Strict",
    "Timed",
    "contradictions",
    "load_scenario",
    "scenario_from_text",
]

#: Market parameters a scenario may override (per mineral or ``"*"``): the ``"*"`` rows of
#: params.csv, in their order (see :mod:`critmin.sim.parameters`).
PARAMETERS = parameter_names()


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
    samples: Annotated[int, Field(ge=1, le=10_000_000, strict=True)] = 1000
    seed: Annotated[int, Field(ge=0, strict=True)] = 0
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
    data_year: Annotated[int, Field(ge=1900, le=2100)] | None = Field(
        default=None,
        description="year of the countries' production shares (a historical scenario); the "
        "dataset's latest year when omitted or when it has no figures for that year (a "
        "warning names what is substituted)",
    )

    _mins = field_validator("minerals")(lambda v: v if v is None else _minerals(v))

    @field_validator("stocks")
    @classmethod
    def _stock_minerals(cls, v: dict[str, float]) -> dict[str, float]:
        if v:
            _minerals(list(v))
        return v

    @field_validator("parameters", mode="before")
    @classmethod
    def _parameter_names(cls, v: object) -> object:
        """Minerals from the catalogue and names from the parameter table (params.csv); each
        problem carries its path (``parameters.<mineral>.<name>``) so the file's line is
        found. A bare number stands for a range."""
        if not isinstance(v, dict):
            return v
        known = parameter_names()
        errors: list[InitErrorDetails] = []
        out: dict[object, object] = {}
        for mineral, params in v.items():
            if mineral != "*" and mineral not in MINERAL_IDS:
                errors.append(_error((mineral,), mineral, f"a mineral of the catalogue or "
                                     f"'*'; unknown mineral {mineral!r}; known: "
                                     f"{', '.join(MINERAL_IDS)}"))  # fmt: skip
            if not isinstance(params, dict):
                out[mineral] = params  # pydantic says what is wrong with it
                continue
            for name, x in params.items():
                if name not in known:
                    why = f"a market parameter; unknown {name!r}; known: {', '.join(known)}"
                    errors.append(_error((mineral, name), name, why))
                    continue
                # NaN or infinity: said as such (a NaN would otherwise read as out of order).
                vals = _as_range(x)
                if isinstance(vals, dict):
                    for end in ("low", "central", "high"):
                        v = vals.get(end)
                        if isinstance(v, float) and not math.isfinite(v):
                            errors.append(_error((mineral, name), v, f"{name}: a finite "
                                                 f"number; its {end} is {v}"))  # fmt: skip
                            break
            out[mineral] = {k: _as_range(x) for k, x in params.items()}
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return out

    @field_validator("parameters")
    @classmethod
    def _parameter_bounds(cls, v: dict[str, dict[str, Range]]) -> dict[str, dict[str, Range]]:
        """Every value within its parameter's bounds in the table (params.csv)."""
        defs = parameter_definitions()
        errors: list[InitErrorDetails] = []
        for mineral, params in v.items():
            for name, r in params.items():
                d = defs[name]
                for end, x in (("low", r.low), ("high", r.high)):
                    if not d.min <= x <= d.max:
                        side = "below the lower" if x < d.min else "above the upper"
                        errors.append(_error((mineral, name), x, f"{name} between {d.min} and "
                                             f"{d.max} (its bounds in params.csv); its {end} "
                                             f"{x} is {side} bound"))  # fmt: skip
                        break
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return v

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

    Each event type says which of its events contradict each other (two export restrictions
    by a country on a mineral and stage may not overlap in time; a stock release and a
    purchase of a mineral by a holder may not fall in the same year, nor outside the
    horizon); and no timed event may lie wholly outside the horizon.
    """
    out: list[tuple[int, str, str]] = []
    horizon = (s.horizon.start, s.horizon.end)
    for spec in SPECS:
        if spec.contradictions is not None:
            mine = [(i, e) for i, e in enumerate(s.events) if REGISTRY[e.type] is spec]
            out += spec.contradictions(mine, horizon)
    h0, h1 = dt.date(s.horizon.start, 1, 1), dt.date(s.horizon.end, 12, 31)
    for i, ev in enumerate(s.events):
        if isinstance(ev, Timed) and (ev.end_date < h0 or ev.start_date > h1):
            out.append((i, "start", f"the event lies outside the horizon "
                        f"{s.horizon.start}-{s.horizon.end}"))  # fmt: skip
    return out


def _error(loc: tuple[Any, ...], got: object, msg: str) -> InitErrorDetails:
    """One validation error at a path below the field being validated."""
    return InitErrorDetails(
        type=PydanticCustomError("scenario_parameter", "{msg}", {"msg": msg}),
        loc=loc,
        input=got,
    )


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
