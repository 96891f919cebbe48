"""Building blocks of the scenario schema: strict models, ranges, minerals, countries, timing.

Shared by every event module (:mod:`critmin.sim.events`), the scenario itself
(:mod:`critmin.sim.scenario`, which re-exports them) and plan files (:mod:`critmin.policy.plan`).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from critmin.data.catalogue import MINERAL_IDS
from critmin.data.countries import known_iso3

Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
Stage = Literal["mine", "refine"]
STAGES: tuple[Stage, ...] = ("mine", "refine")


class Strict(BaseModel):
    """Unknown keys are errors: a misspelt field must not be silently ignored."""

    # Infinity and NaN are never a valid figure (`.inf` in YAML is a float like any other).
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


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
    """A bare number stands for a range without uncertainty.

    Examples
    --------
    >>> _as_range(0.3)
    {'low': 0.3, 'central': 0.3, 'high': 0.3}
    """
    if isinstance(v, int | float) and not isinstance(v, bool):
        return {"low": v, "central": v, "high": v}
    return v


def _minerals(v: list[str]) -> list[str]:
    if not v:
        raise ValueError("at least one mineral")
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


class EventModel(Strict):
    """What every scenario event has: a ``type`` (each event module declares it as a literal)."""

    if TYPE_CHECKING:
        # Declared for type checkers only: a pydantic field here would come first in every
        # event's fields and change the order of a saved scenario's JSON.
        type: str


class Timed(EventModel):
    """When an event starts (a date or a year) and how long it lasts."""

    start: dt.date | int
    duration_years: Annotated[float, Field(gt=0, le=200)] | None = None
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
