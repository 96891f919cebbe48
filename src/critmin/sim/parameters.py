"""The market parameter table (``params.csv``): names, bounds, descriptions and default ranges.

One file says everything about a market parameter. The ``"*"`` row of a parameter defines it:
its default range for every mineral, its unit, the bounds (``min``, ``max``) any value must
stay within, and what it means; a mineral's own row replaces the default range for that
mineral. A ``class:<name>`` row (``by_product``, ``main_product``, ``bulk_metal``; see
:data:`MINERAL_CLASS`) sits between the two: it gives every mineral of the class its range
unless the mineral has its own row. ``host:<mineral>`` rows are by-product host shares (not
overridable by a scenario).
The file is read once per process; its own rows are checked against their bounds on reading,
and a scenario's overrides are checked against the same bounds when the scenario is
validated (:class:`critmin.sim.scenario.Scenario`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from critmin.data.errors import DataError, Problem

PARAMS_CSV = Path(__file__).with_name("params.csv")

#: Market classes (issue 16): by-products (recovered from a host's ores, so their own price
#: barely moves their supply, and a small share of the cost of what they go into), bulk
#: metals (large exchange-traded markets with close substitutes at the margin) and main
#: products (the rest, the default). Sources: market_params.csv ``byproduct_status`` (gallium,
#: germanium, indium, cobalt), USGS MCS chapters (tellurium, selenium, bismuth, rhenium,
#: arsenic: recovered from copper, lead, molybdenum and gold residues).
CLASSES = ("main_product", "by_product", "bulk_metal")
MINERAL_CLASS: dict[str, str] = {
    **{m: "by_product" for m in ("gallium", "germanium", "indium", "tellurium", "cobalt",
                                 "selenium", "bismuth", "rhenium", "arsenic")},
    **{m: "bulk_metal" for m in ("copper", "nickel", "aluminium", "bauxite", "zinc", "lead",
                                 "manganese", "chromium", "silicon")},
}  # fmt: skip


def mineral_class(mineral: str) -> str:
    """The market class of a mineral (``main_product`` unless listed in :data:`MINERAL_CLASS`).

    Examples
    --------
    >>> mineral_class("gallium"), mineral_class("nickel"), mineral_class("antimony")
    ('by_product', 'bulk_metal', 'main_product')
    """
    return MINERAL_CLASS.get(mineral, "main_product")


#: A row of the table: mineral, parameter, low, central, high, source, kind.
Row = tuple[str, str, float, float, float, str, str]


@dataclass(frozen=True)
class ParameterDef:
    """A market parameter a scenario may override: its bounds, unit and meaning."""

    name: str
    min: float
    max: float
    unit: str
    description: str


@cache
def _read() -> tuple[tuple[Row, ...], dict[str, ParameterDef]]:
    """Rows and definitions, checked: every value within its parameter's bounds."""
    with PARAMS_CSV.open(encoding="utf-8", newline="") as fh:
        raw = list(csv.DictReader(fh))
    file = str(PARAMS_CSV)
    defs: dict[str, ParameterDef] = {}
    rows: list[Row] = []
    problems: list[Problem] = []
    for line, r in enumerate(raw, start=2):
        row: Row = (r["mineral"], r["parameter"], float(r["low"]), float(r["central"]),
                    float(r["high"]), r["source"], r["kind"])  # fmt: skip
        rows.append(row)
        if r["mineral"] == "*":
            if not (r["min"] and r["max"] and r["description"]):
                problems.append(Problem(file, line, "min", "min, max and description on the "
                                        "'*' row that defines a parameter"))  # fmt: skip
                continue
            defs[r["parameter"]] = ParameterDef(
                r["parameter"], float(r["min"]), float(r["max"]), r["unit"], r["description"]
            )
    for line, (m, name, lo, ce, hi, _, _) in enumerate(rows, start=2):
        d = defs.get(name)
        bounds = (0.0, 1.0) if name.startswith("host:") else None if d is None else (d.min, d.max)
        if bounds is None:
            problems.append(Problem(file, line, "parameter", "a parameter with a '*' row", name))
        elif not bounds[0] <= lo <= ce <= hi <= bounds[1]:
            want = f"{bounds[0]} <= low <= central <= high <= {bounds[1]} for {name} of {m}"
            problems.append(Problem(file, line, "low", want, f"{lo}, {ce}, {hi}"))
    if problems:
        raise DataError(problems)
    return tuple(rows), defs


def parameter_rows() -> tuple[Row, ...]:
    """Every row of the table (mineral, parameter, low, central, high, source, kind)."""
    return _read()[0]


def parameter_definitions() -> dict[str, ParameterDef]:
    """The parameters a scenario may override, in the table's order.

    The order is the order the simulator draws them in: reordering the ``"*"`` rows would
    change every result of a given seed.

    Examples
    --------
    >>> d = parameter_definitions()["price_cap"]
    >>> d.min, d.max, d.unit
    (1.0, 1000.0, 'price index')
    """
    return _read()[1]


def parameter_names() -> tuple[str, ...]:
    """Names of the parameters a scenario may override (see :func:`parameter_definitions`).

    Examples
    --------
    >>> parameter_names()[:2]
    ('elasticity_supply_short', 'elasticity_supply_long')
    """
    return tuple(parameter_definitions())


POSTERIOR_CSV = Path(__file__).with_name("posterior.csv")


@cache
def posterior() -> dict[str, tuple[tuple[str, ...], tuple[tuple[float, ...], ...]]]:
    """The fitted market parameters (``posterior.csv``, written by ``critmin validate
    --refit``; docs/decisions/0023): per class, the parameter names and the accepted draws.

    Empty when the file is absent (the priors of ``params.csv`` then apply).

    Examples
    --------
    >>> post = posterior()
    >>> sorted(post) == sorted(CLASSES) if post else True
    True
    """
    if not POSTERIOR_CSV.exists():
        return {}
    with POSTERIOR_CSV.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    defs = parameter_definitions()
    out: dict[str, tuple[tuple[str, ...], tuple[tuple[float, ...], ...]]] = {}
    problems: list[Problem] = []
    for cls in CLASSES:
        mine = [r for r in rows if r["class"] == cls]
        names = tuple(k for k in (mine[0] if mine else {}) if k in defs)
        draws = []
        for line, r in enumerate(rows, start=2):
            if r["class"] != cls:
                continue
            vals = tuple(float(r[k]) for k in names)
            for k, v in zip(names, vals, strict=True):
                if not defs[k].min <= v <= defs[k].max:
                    want = f"{defs[k].min} <= value <= {defs[k].max}"
                    problems.append(Problem(str(POSTERIOR_CSV), line, k, want, str(v)))
            draws.append(vals)
        if draws:
            out[cls] = (names, tuple(draws))
    if problems:
        raise DataError(problems)
    return out
