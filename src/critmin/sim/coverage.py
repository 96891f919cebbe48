"""Which catalogue minerals the market model simulates, at which stages, and how in tonnes.

The engine works on country shares of a stage's world output and on tonnes. A catalogue
mineral is simulated at each of its catalogue stages (mine, refine) for which the dataset
holds production by country in a unit critmin can convert to tonnes: a mass unit, or a gas
volume with a stated density (:data:`GAS_DENSITY`, applied here, in the simulator's inputs,
never written back to the dataset). A catalogue stage without such data is left out (the
mineral is simulated on the others, and the market inputs' provenance says so); a mineral
with no such stage is not simulated, and a scenario naming it is refused with the reason
(:func:`unsimulated`). Nothing here is a list of minerals: a mineral added to the catalogue
is simulated as soon as its production data are in the dataset.

Examples
--------
>>> import critmin
>>> ds = critmin.load()
>>> simulated_stages(ds, "tin"), simulated_stages(ds, "copper")
(('mine',), ('mine', 'refine'))
>>> round(tonnes_per("helium", "million m3")[0], 2)  # t per million m³ at 15 °C, 1 atm
169.28
"""

from __future__ import annotations

from dataclasses import dataclass

from critmin.data.catalogue import MINERAL_IDS
from critmin.data.catalogue import mineral as catalogue_mineral
from critmin.data.dataset import Dataset
from critmin.data.units import UNITS, factor, registry

STAGES = ("mine", "refine")

#: Molar gas constant, J/(mol·K) (CODATA 2018, exact since the 2019 SI).
GAS_CONSTANT = 8.314462618


@dataclass(frozen=True)
class GasDensity:
    """A gas's density at the conditions its volumes are reported at, and where that is from."""

    kg_per_m3: float
    basis: str


def ideal_gas_density(molar_mass_g: float, kpa: float, celsius: float) -> float:
    """Density of an ideal gas, kg/m³: ``p × M / (R × T)``.

    Examples
    --------
    >>> round(ideal_gas_density(4.002602, 101.325, 0.0), 4)  # helium at 0 °C, 1 atm
    0.1786
    """
    return kpa * 1e3 * molar_mass_g * 1e-3 / (GAS_CONSTANT * (celsius + 273.15))


_HE = ideal_gas_density(4.002602, 101.325, 15.0)

#: Gases the catalogue reports by volume: the density that turns the reported volume into
#: tonnes. Helium: USGS Mineral Commodity Summaries report helium in "million cubic meters of
#: contained helium gas" (the data releases' unit, e.g. MCS2026_Commodities_Data.csv), which
#: the MCS helium chapter's footnote defines as measured at 101.325 kPa absolute and 15 °C
#: (where it also gives 27.737 m³ = 1 Mcf at 70 °F and 14.7 psia, consistent with that basis).
#: The footnote is in the chapter (PDF), not in the CSV data releases critmin reads. Ideal gas
#: at those conditions with M = 4.002602 g/mol (IUPAC) gives 0.16928 kg/m³; helium's
#: compressibility there (Z ≈ 1.0005) is neglected. At 0 °C it would be 0.1786 kg/m³ (5.5 %
#: more): the conditions matter, not the gas.
GAS_DENSITY: dict[str, GasDensity] = {
    "helium": GasDensity(
        _HE,
        f"helium gas at 101.325 kPa and 15 °C (the basis of USGS MCS helium volumes, MCS helium "
        f"chapter footnote 1): ideal gas, M = 4.002602 g/mol, {_HE:.5f} kg/m³",
    ),
}


def tonnes_per(mineral: str, unit: str) -> tuple[float, str] | None:
    """Tonnes per one ``unit`` of the mineral, and the conversion's basis ("" for a mass unit);
    ``None`` when the unit cannot be turned into tonnes.

    Examples
    --------
    >>> tonnes_per("gallium", "kg")
    (0.001, '')
    >>> tonnes_per("tin", "million m3") is None
    True
    """
    try:
        return factor(unit, "t"), ""
    except ValueError:
        pass
    gas = GAS_DENSITY.get(mineral)
    if gas is None or unit not in UNITS:
        return None
    try:
        m3 = float(registry().Quantity(UNITS[unit]).to("meter**3").magnitude)
    except Exception:  # pint raises several types for "not a volume"
        return None
    t = m3 * gas.kg_per_m3 / 1000.0
    return t, f"{unit} → t: × {t:,.2f} t per {unit} ({gas.basis})"


def _usable(ds: Dataset, mineral: str, stage: str) -> tuple[bool, str]:
    """Whether the stage has production data convertible to tonnes, and if not, why."""
    rows = ds.supply(mineral, stage)
    if rows.empty:
        return False, f"no production data at the {stage} stage"
    unit = str(rows["unit"].iloc[0])
    if tonnes_per(mineral, unit) is None:
        return False, (f"{stage}-stage production is reported in {unit!r}, with no stated "
                       "conversion to tonnes")  # fmt: skip
    return True, ""


def catalogue_stages(mineral: str) -> tuple[str, ...]:
    """The mineral's stages in the catalogue (mine, refine), in that order."""
    basis = catalogue_mineral(mineral).basis
    return tuple(st for st in STAGES if st in basis)


def simulated_stages(ds: Dataset, mineral: str) -> tuple[str, ...]:
    """The mineral's catalogue stages that have production data convertible to tonnes."""
    out: tuple[str, ...] = ds.memo(
        ("sim.stages", mineral),
        lambda: tuple(st for st in catalogue_stages(mineral) if _usable(ds, mineral, st)[0]),
    )
    return out


def simulated_minerals(ds: Dataset) -> tuple[str, ...]:
    """The catalogue minerals the engine can run (in catalogue order): those with at least one
    stage of production data convertible to tonnes."""
    return tuple(m for m in MINERAL_IDS if simulated_stages(ds, m))


def unsimulated(ds: Dataset) -> dict[str, str]:
    """Each catalogue mineral the engine cannot run, and why (the missing figure).

    Examples
    --------
    >>> import critmin
    >>> "tin" in unsimulated(critmin.load())  # simulated at its mine stage
    False
    """
    out = {}
    for m in MINERAL_IDS:
        if not simulated_stages(ds, m):
            out[m] = "; ".join(_usable(ds, m, st)[1] for st in catalogue_stages(m))
    return out


def coverage_notes(ds: Dataset, minerals: tuple[str, ...]) -> dict[str, str]:
    """Provenance of the coverage: stages left out and unit conversions, per mineral.

    Keys ``stages.<mineral>`` (a catalogue stage without data, so the mineral runs on the
    others) and ``units.<mineral>`` (a conversion to tonnes that needs a factor).
    """
    notes: dict[str, str] = {}
    for m in minerals:
        have = simulated_stages(ds, m)
        missing = [st for st in catalogue_stages(m) if st not in have]
        if missing:
            why = "; ".join(_usable(ds, m, st)[1] for st in missing)
            notes[f"stages.{m}"] = f"simulated at the {' and '.join(have)} stage only: {why}"
        for st in have:
            rows = ds.supply(m, st)
            conv = tonnes_per(m, str(rows["unit"].iloc[0]))
            if conv is not None and conv[1]:
                notes[f"units.{m}"] = f"{st} stage: {conv[1]}"
    return notes
