"""Plan files: a list of policy levers, each with its mineral, country, dollars and start year.

Example (``examples/plan-partners-11.6bn.yaml``)::

    name: Partner and domestic investment, $11.6 billion
    items:
      - {lever: partner_investment, minerals: [rare_earths], country: AUS, usd: 3.2e9, start: 2026}
      - {lever: mine, minerals: [nickel, lithium], country: USA, usd: 4.1e9, start: 2026}

Levers:

- ``mine``, ``refine``, ``partner_investment``: new capacity (dollars ÷ the sourced capital
  cost per tonne of annual capacity, or ``quantity_t`` directly) in ``country`` at ``stage``,
  online after the country's permitting and the build time, ramped up; partner capacity is
  discounted by the country's restriction hazard. Dollars for several minerals are split
  evenly.
- ``recycling``: secondary capacity (t/yr), bounded by what AI hardware retires.
- ``stockpile``: tonnes bought at the baseline price (``usd`` ÷ USD/t) in ``start``.
- ``infrastructure``: cuts the capacity loss and delay of logistics events on ``route`` by
  ``loss_reduction``.
- ``substitution``: R&D that cuts the mineral's AI demand by ``demand_cut`` after
  ``lag_years``, with ``probability`` of success.
- ``expedited_permitting``: the pipeline projects of the minerals (and ``country``) come
  online earlier (permitting halved), adding their capacity in the years gained.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from critmin.data.errors import DataError, Problem
from critmin.data.yamlfile import Lines, parse_yaml, read_yaml, validate_model
from critmin.sim.scenario import Fraction, Strict, _country, _minerals

LEVERS = (
    "mine",
    "refine",
    "partner_investment",
    "recycling",
    "stockpile",
    "infrastructure",
    "substitution",
    "expedited_permitting",
)
Lever = Literal[
    "mine",
    "refine",
    "partner_investment",
    "recycling",
    "stockpile",
    "infrastructure",
    "substitution",
    "expedited_permitting",
]


class PlanItem(Strict):
    """One lever applied to some minerals."""

    lever: Lever
    minerals: list[str]
    country: str | None = None
    stage: Literal["mine", "refine"] | None = None
    # Bounded so that a typo (1e300) is an error, not a 100 % shortfall reported as ok.
    usd: Annotated[float, Field(ge=0, le=1e13)] | None = None
    quantity_t: Annotated[float, Field(ge=0, le=1e10)] | None = Field(
        default=None, description="capacity (t/yr) or stock (t) instead of dollars"
    )
    start: Annotated[int, Field(ge=1990, le=2100)]
    route: str | None = None
    loss_reduction: Fraction | None = None
    demand_cut: Fraction | None = None
    probability: Fraction | None = None
    lag_years: Annotated[int, Field(ge=0, le=50)] = 0
    source: str | None = None

    @field_validator("minerals", mode="before")
    @classmethod
    def _one_or_list(cls, v: object) -> object:
        return [v] if isinstance(v, str) else v

    _m = field_validator("minerals")(_minerals)

    @field_validator("country")
    @classmethod
    def _iso3(cls, v: str | None) -> str | None:
        return v if v is None else _country(v)

    @model_validator(mode="after")
    def _fields_for_lever(self) -> PlanItem:
        need: dict[str, tuple[str, ...]] = {
            "partner_investment": ("country",),
            "infrastructure": ("loss_reduction",),
            "substitution": ("demand_cut", "probability"),
        }
        missing = [f for f in need.get(self.lever, ()) if getattr(self, f) is None]
        if missing:
            raise ValueError(f"a {self.lever} item needs {', '.join(missing)}")
        if self.lever not in ("infrastructure", "expedited_permitting", "substitution") and (
            self.usd is None and self.quantity_t is None
        ):
            raise ValueError(f"a {self.lever} item needs usd or quantity_t")
        if self.lever == "partner_investment" and self.country == "USA":
            raise ValueError("partner_investment is outside the United States: use mine or refine")
        return self

    @property
    def cost_usd(self) -> float:
        """What the item costs (0 when only a quantity is given)."""
        return float(self.usd or 0.0)


class Plan(Strict):
    """A policy plan (the input of ``critmin plan evaluate``)."""

    name: str = Field(min_length=1)
    description: str | None = None
    items: list[PlanItem] = Field(min_length=1)

    @property
    def total_usd(self) -> float:
        return sum(i.cost_usd for i in self.items)


def load_plan(path: str | Path) -> Plan:
    """Read and validate a plan file; every problem is reported with its line and field.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "p.yaml"
    >>> _ = p.write_text("name: t\\nitems:\\n  - {lever: mine, minerals: copper, "
    ...     "country: USA, usd: 1.0e9, start: 2026}\\n")
    >>> load_plan(p).total_usd
    1000000000.0
    >>> _ = p.write_text("name: t\\nitems:\\n  - {lever: magic, minerals: copper, start: 2026}\\n")
    >>> load_plan(p)
    Traceback (most recent call last):
    ...
    critmin.data.errors.DataError: ...
    """
    path = Path(path)
    data, lines = read_yaml(path)
    return _plan(data, lines, str(path))


#: The example plan shipped with critmin (a copy for users to read is in ``examples/``).
EXAMPLE_PLAN = "plan-partners-11.6bn.yaml"


def example_plan_path() -> Path:
    """The shipped example plan: $11.6 billion across partner and domestic levers.

    Examples
    --------
    >>> load_plan(example_plan_path()).total_usd
    11600000000.0
    """
    from importlib import resources

    # Installed from a wheel the package is a plain folder, so the resource is a real file.
    return Path(str(resources.files("critmin.policy") / "plans" / EXAMPLE_PLAN))


def plan_from_text(text: str, file: str = "plan") -> Plan:
    """Validate a plan given as YAML text, as :func:`load_plan` validates a file.

    Examples
    --------
    >>> plan_from_text("name: t\\nitems:\\n  - {lever: stockpile, minerals: gallium, "
    ...     "usd: 5.0e6, start: 2026}\\n").total_usd
    5000000.0
    """
    data, lines = parse_yaml(text, file)
    return _plan(data, lines, file)


def _plan(data: object, lines: Lines, file: str) -> Plan:
    if not isinstance(data, dict):
        raise DataError([Problem(file, 1, "(document)", "a mapping", type(data).__name__)])
    return validate_model(Plan, data, file, lines)
