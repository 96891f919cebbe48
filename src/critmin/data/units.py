"""Units: parsing the unit tokens of source column names and converting with pint.

Sources write units inside column names (``Prod_kt_2022``, ``Price_dkg``, ``Reserves_mt``)
and change them between editions, so every figure carries its unit as a string in critmin's
vocabulary (:data:`UNITS`) and is converted with pint. Pint traps: ``kt`` is a knot and
``ton`` a short ton, so every unit is spelled out here.

Converting between chemical bases (Li2O → Li, Ta2O5 → Ta …) needs a factor; each one is a
stoichiometric mass ratio from IUPAC standard atomic weights and is named in
:data:`BASIS_FACTORS` with that source.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pint

#: critmin unit string → pint expression.
UNITS: dict[str, str] = {
    "t": "tonne",
    "kg": "kilogram",
    "g": "gram",
    "mg": "milligram",
    "kt": "kilotonne",
    "Mt": "megatonne",
    "million m3": "1e6 * meter**3",
    "million carats": "1e6 * carat",
    "thousand carats": "1e3 * carat",
    "troy oz": "troy_ounce",
    "USD/t": "USD / tonne",
    "USD/kg": "USD / kilogram",
    "USD/g": "USD / gram",
    "USD/lb": "USD / pound",
    "USc/lb": "USc / pound",
    "USD/troy oz": "USD / troy_ounce",
    "USD/short ton": "USD / short_ton",
    "USD/flask": "USD / flask",
    # A (dry) metric ton unit is 1 % of a tonne, 10 kg, of the contained substance the price
    # names (WO3 for tungsten concentrate): USD per tonne *of that substance* = value x 100.
    "USD/mtu": "USD / (10 * kilogram)",
    "million USD": "1e6 * USD",
    "thousand USD": "1e3 * USD",
    "%": "percent",
    "count": "count",
    "kt/yr": "kilotonne / year",
    "TWh": "terawatt_hour",
}

#: Column-name unit tokens of the USGS data releases → critmin unit string.
USGS_TOKENS: dict[str, str] = {
    "t": "t",
    "kt": "kt",
    "kg": "kg",
    "g": "g",
    "mt": "Mt",  # USGS world files: Reserves_mt = million metric tons (iron ore)
    "Mt": "Mt",
    "mmt": "Mt",
    "mcm": "million m3",
    "mct": "million carats",
    "kct": "thousand carats",
    "dt": "USD/t",
    "dkg": "USD/kg",
    "dg": "USD/g",
    "dlb": "USD/lb",
    "ctslb": "USc/lb",
    "dtoz": "USD/troy oz",
    "dst": "USD/short ton",
    "df": "USD/flask",
    "mdol": "million USD",
    "pct": "%",
    "num": "count",
}


@lru_cache(maxsize=1)
def registry() -> pint.UnitRegistry:
    """The shared pint registry with currency and counting units defined."""
    ureg: pint.UnitRegistry = pint.UnitRegistry()
    ureg.define("USD = [currency]")
    ureg.define("USc = 0.01 * USD")
    ureg.define("flask = 34.5 * kilogram")  # USGS mercury flask: 76 lb = 34.5 kg
    return ureg


@lru_cache(maxsize=1024)
def factor(src: str, dst: str) -> float:
    """Multiplier that converts a value in ``src`` units to ``dst`` units.

    Raises
    ------
    ValueError
        When either unit is unknown or the two have different dimensions.

    Examples
    --------
    >>> factor("kt", "t")
    1000.0
    >>> factor("kg", "t")
    0.001
    >>> round(factor("USc/lb", "USD/t"), 3)
    22.046
    """
    if src == dst:
        return 1.0
    ureg = registry()
    for u in (src, dst):
        if u not in UNITS:
            raise ValueError(f"unknown unit {u!r}; expected one of {sorted(UNITS)}")
    try:
        target: pint.Quantity = ureg.Quantity(UNITS[dst])
        ratio = ureg.Quantity(UNITS[src]).to(target.units).magnitude / target.magnitude
        return float(ratio)
    except pint.DimensionalityError as exc:
        raise ValueError(f"cannot convert {src!r} to {dst!r}: different dimensions") from exc


def convert(values: np.ndarray, src: str, dst: str) -> np.ndarray:
    """Convert an array of values from ``src`` to ``dst`` units (NaN stays NaN)."""
    return np.asarray(values, dtype=float) * factor(src, dst)


#: (from basis, to basis) → (mass factor, source). Stoichiometric, IUPAC 2021 atomic weights.
BASIS_FACTORS: dict[tuple[str, str], tuple[float, str]] = {
    ("Li2O", "Li"): (2 * 6.94 / (2 * 6.94 + 15.999), "stoichiometric, IUPAC atomic weights"),
    ("LCE", "Li"): (2 * 6.94 / 73.89, "stoichiometric Li2CO3, IUPAC atomic weights"),
    ("Ta2O5", "Ta"): (2 * 180.948 / 441.89, "stoichiometric, IUPAC atomic weights"),
    ("Nb2O5", "Nb"): (2 * 92.906 / 265.81, "stoichiometric, IUPAC atomic weights"),
    ("TiO2", "Ti"): (47.867 / 79.865, "stoichiometric, IUPAC atomic weights"),
    ("Cr2O3", "Cr"): (2 * 51.996 / 151.99, "stoichiometric, IUPAC atomic weights"),
    ("U3O8", "U"): (3 * 238.029 / 842.08, "stoichiometric, IUPAC atomic weights"),
    ("As2O3", "As"): (2 * 74.922 / 197.84, "stoichiometric, IUPAC atomic weights"),
}


def basis_factor(src: str, dst: str) -> tuple[float, str]:
    """Mass factor and its source for converting a chemical basis (``Li2O`` → ``Li``).

    Examples
    --------
    >>> f, why = basis_factor("Li2O", "Li"); round(f, 4), why
    (0.4645, 'stoichiometric, IUPAC atomic weights')
    """
    if src == dst:
        return 1.0, "same basis"
    if (src, dst) in BASIS_FACTORS:
        return BASIS_FACTORS[(src, dst)]
    if (dst, src) in BASIS_FACTORS:
        f, why = BASIS_FACTORS[(dst, src)]
        return 1.0 / f, why
    raise ValueError(f"no sourced factor converts basis {src!r} to {dst!r}")
