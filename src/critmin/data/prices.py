"""USGS prices of every catalogue mineral and rare-earth oxide, year by year, in USD per tonne.

:func:`price_table` reads the price rows of the dataset's ``salient`` table (USGS Mineral
Commodity Summaries, every edition the dataset holds) and the USGS Minerals Yearbook 2022
rare-earth oxide prices (Table 3, packaged as ``reference/ree_oxide_prices.csv``). For each
mineral it follows one named series (:data:`SERIES`: the product, the unit basis, and the
conversion to USD per tonne of the catalogue's basis) and, for each year, takes the value of
the **newest edition** that reports it (a later edition revises earlier years: MCS 2024 gives
neodymium oxide 98 USD/kg for 2021 where MCS 2022 gave 49).

The variable names differ between releases (``Price_Nd2O3`` in the 2022–2025 data releases;
"Price, average, dollars per kilogram: Neodymium oxide, 99.5% minimum" in the 2026 one), so a
series is found by a pattern that matches both. A mineral without a sourced series appears
once, with status ``no sourced price`` and the reason, never with a filler value.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from critmin.data.catalogue import MINERAL_IDS
from critmin.data.units import factor
from critmin.data.usgs_myb_ree import OXIDE_PRICES_PATH, load_oxide_prices

if TYPE_CHECKING:
    from critmin.data.dataset import Dataset

#: Columns of :func:`price_table`.
COLUMNS: tuple[str, ...] = (
    "mineral", "product", "year", "value", "unit", "basis", "usd_per_t", "source", "edition",
    "status", "variable", "conversion",
)  # fmt: skip
NO_PRICE = "no sourced price"
YEARS = range(2017, 2026)

# Stoichiometric mass fractions (IUPAC 2021 atomic weights), as in critmin.data.units.
_LI_IN_LI2CO3 = 2 * 6.94 / 73.89
_TA_IN_TA2O5 = 2 * 180.948 / 441.89
_AS_IN_AS2O3 = 2 * 74.922 / 197.84
_V_IN_V2O5 = 2 * 50.942 / 181.879
_W_PER_MTU_WO3_KG = 10 * 183.84 / 231.837  # kg W in 1 metric ton unit (10 kg) of WO3


@dataclass(frozen=True)
class Series:
    """One USGS price series and how it converts to USD per tonne of the catalogue basis."""

    mineral: str
    product: str
    pattern: str  # searched (case-insensitive) in the salient ``variable``
    basis: str  # what one tonne of ``usd_per_t`` counts
    salient: tuple[str, ...] = ()  # salient ``mineral`` ids holding it (default: mineral)
    #: USD per t of basis = USD per t of the reported unit × ``mult``.
    mult: float = 1.0
    #: When the reported unit label is not the real unit: USD/t of basis = value × this.
    per_t: float | None = None
    conversion: str = ""
    myb: str | None = None  # element symbol of MYB 2022 Table 3
    #: Reported units accepted (empty: any); excludes an edition whose unit label is doubtful.
    units: tuple[str, ...] = ()


_REO = ("rare_earths",)


def _ree(mid: str, sym: str, oxide: str, words: str) -> Series:
    return Series(
        mid, f"{oxide} (rare-earth oxide), FOB China", rf"{words}", f"t {oxide}",
        (*_REO, mid), conversion="per kg of oxide x 1,000", myb=sym,
    )  # fmt: skip


#: The series followed for each mineral (first match in this order wins within an edition).
SERIES: tuple[Series, ...] = (
    Series("lithium", "battery-grade lithium carbonate", r"^price$|lithium carbonate",
           "t Li content", mult=1 / _LI_IN_LI2CO3,
           conversion="per t Li2CO3 / 0.187847 t Li per t Li2CO3 (stoichiometric)"),
    Series("cobalt", "cobalt, LME", r"lme|london metal exchange", "t Co content"),
    Series("nickel", "nickel, LME cash", r"^price(_lme)?$|lme.*per metric ton",
           "t Ni content"),
    Series("tantalum", "tantalite, per kg Ta2O5", r"ta2o5|tantalum oxide", "t Ta content",
           mult=1 / _TA_IN_TA2O5,
           conversion="per t Ta2O5 / 0.818973 t Ta per t Ta2O5 (stoichiometric)"),
    Series("tin", "tin, LME", r"lme|london metal exchange", "t Sn content"),
    # MCS 2026 prices gallium as the unit value of US imports (365 USD/kg in 2023, against
    # 290 low-purity and 450 high-purity in MCS 2024): another product, so the series ends in
    # 2023 rather than joining the two.
    Series("gallium", "gallium, low-purity", r"low.purity", "t Ga"),
    Series("germanium", "germanium metal", r"^price_metal$|germanium metal|zone.refined",
           "t Ge"),
    Series("copper", "copper, LME grade A cash", r"lme|london metal exchange", "t Cu"),
    Series("graphite", "natural flake graphite", r"flake", "t gross weight (flake)"),
    Series("silicon", "silicon metal", r"^price_si$|silicon metal", "t Si metal"),
    Series("tungsten", "tungsten concentrate, per mtu WO3",
           r"wo3|tungsten concentrate|tungsten trioxide",
           "t W content", per_t=1000 / _W_PER_MTU_WO3_KG,
           conversion="USD per mtu WO3 (labelled USD/t in MCS 2022-2024, USD/mtu in MCS 2026) "
           "/ 7.9297 kg W x 1,000"),
    Series("antimony", "antimony metal", r"^price_metal$|antimony metal|^price, metal, average",
           "t Sb"),
    Series("indium", "indium, Rotterdam", r"rotterdam", "t In"),
    Series("platinum", "platinum", r"platinum", "t Pt"),
    Series("palladium", "palladium", r"palladium", "t Pd", ("platinum", "palladium")),
    Series("silver", "silver bullion", r"bullion|silver", "t Ag"),
    Series("aluminium", "aluminium ingot", r"ingot|aluminum.*market|midwest", "t Al"),
    Series("bauxite", "alumina", r"alumina", "t alumina"),
    Series("manganese", "manganese ore 44% Mn, CIF China, per dmtu",
           r"cn_cif|cif.*china|freight, china",
           "t Mn contained in ore", per_t=100.0,
           conversion="USD per dry metric ton unit (10 kg Mn; labelled USD/t) x 100"),
    Series("fluorspar", "acid-grade fluorspar", r"acid", "t gross weight (acidspar)"),
    Series("arsenic", "arsenic metal, US", r"mtl_us|arsenic metal|metal.*u\.s\. warehouse",
           "t As2O3 equivalent",
           mult=_AS_IN_AS2O3, units=("USD/lb",),
           conversion="per t As x 0.757400 t As per t As2O3 (stoichiometric); the MCS 2024 "
           "series in 'USD/kg' (2.0 for 2022 against 1.8 USD/lb in MCS 2023) is not used"),
    Series("tellurium", "tellurium, Europe", r"europe", "t Te"),
    Series("molybdenum", "molybdenum, average value",
           r"^price$|molybdic oxide|molybdenum|^price, average, dollars per kilogram$",
           "t Mo content"),
    Series("zinc", "zinc, LME", r"lme|london metal exchange", "t Zn"),
    Series("gold", "gold", r"^price$|gold|^price, dollars per troy ounce$", "t Au"),
    Series("bismuth", "bismuth, annual average",
           r"^price(_average)?$|bismuth|^price, average, dollars per pound$", "t Bi"),
    Series("selenium", "selenium, Europe", r"europe", "t Se"),
    Series("vanadium", "vanadium pentoxide", r"v2o5|vanadium pentoxide", "t V content",
           mult=1 / _V_IN_V2O5,
           conversion="per t V2O5 / 0.560175 t V per t V2O5 (stoichiometric)"),
    Series("chromium", "chromite ore", r"^price_ore$|chromite", "t chromite, gross weight"),
    Series("magnesium", "magnesium metal, Europe", r"european|europe", "t Mg metal"),
    Series("titanium", "titanium sponge", r"sponge", "t Ti sponge"),
    Series("rhenium", "rhenium metal", r"^price_metal$|rhenium metal|metal, 99.99", "t Re"),
    Series("lead", "lead, LME", r"lme|london metal exchange", "t Pb"),
    _ree("neodymium", "Nd", "Nd2O3", r"nd2o3|(?<![-\w])neodymium oxide"),
    # Not after "neodymium-" (NdPr oxide); after "Price_" yes (MCS 2026: "Praseodymium oxide,
    # 99.99% minimum", 2021 93 and 2022 128 USD/kg, the MYB 2022 T3 figures of the 99.5 % one).
    _ree("praseodymium", "Pr", "Pr6O11", r"pr6o11|(?<![-a-z])praseodymium oxide"),
    _ree("dysprosium", "Dy", "Dy2O3", r"dy2o3|dysprosium oxide"),
    _ree("terbium", "Tb", "Tb4O7", r"tbo2|tb4o7|terbium oxide"),
    _ree("samarium", "Sm", "Sm2O3", r"sm2o3|samarium oxide"),
    _ree("lanthanum_oxide", "La", "La2O3", r"la2o3|lanthanum oxide"),
    _ree("cerium_oxide", "Ce", "CeO2", r"ceo2|cerium oxide"),
    _ree("europium_oxide", "Eu", "Eu2O3", r"eu2o3|europium oxide"),
    _ree("gadolinium_oxide", "Gd", "Gd2O3", r"gd2o3|gadolinium oxide"),
    Series("yttrium_oxide", "Y2O3 (rare-earth oxide)", r"(?<![a-z])y2o3|yttrium oxide", "t Y2O3",
           (*_REO, "yttrium"), conversion="per kg of oxide x 1,000", myb="Y"),
    Series("ndpr_oxide", "neodymium-praseodymium (NdPr) oxide, FOB China",
           r"ndpr|neodymium-praseodymium", "t NdPr oxide", _REO,
           conversion="per kg of oxide x 1,000"),
    Series("mischmetal", "mischmetal (65% Ce, 35% La)", r"mischmetal", "t mischmetal", _REO),
)  # fmt: skip

#: Catalogue minerals with no series, and why.
NO_SERIES: dict[str, str] = {
    "rare_earths": "no USGS price of mixed REO in 2017-2025; see the element oxides",
    "helium": "the salient helium rows carry no price",
    "niobium": "the USGS 'Price' variable does not name its product (ferroniobium or Nb)",
    "beryllium": "USGS prices a beryllium-copper master alloy, not Be content",
    "boron": "USGS prices borates CIF without a grade matching the catalogue basis",
}


def _candidates(salient: pd.DataFrame) -> pd.DataFrame:
    """Price rows of the salient table plus MYB 2022 Table 3, in one frame."""
    s = salient[salient["category"] == "price"]
    cols = ["mineral", "year", "variable", "value", "unit", "status", "source", "edition"]
    s = s[cols].copy()
    myb = load_oxide_prices(OXIDE_PRICES_PATH)
    m = pd.DataFrame(
        {
            "mineral": "myb:" + myb["element"],
            "year": myb["year"],
            "variable": myb["product"] + " " + myb["purity_pct"].map("{:g}%".format) + ", "
            + myb["basis"] + " (" + myb["price_source"] + ")",
            "value": myb["value"],
            "unit": myb["unit"],
            "status": "reported",
            "source": "USGS MYB 2022 T3",
            "edition": myb["edition"],
        }
    )  # fmt: skip
    return pd.concat([s, m], ignore_index=True)


#: Unit words of releases that spell units out (MCS 2026) → critmin unit strings.
UNIT_WORDS: dict[str, str] = {
    "dollars per kilogram": "USD/kg", "dollars per metric ton": "USD/t",
    "dollars per pound": "USD/lb", "cents per pound": "USc/lb",
    "dollars per troy ounce": "USD/troy oz", "dollars per gram": "USD/g",
}  # fmt: skip


def _usd_per_t(series: Series, value: float, unit: str) -> tuple[float, str]:
    unit = UNIT_WORDS.get(unit.strip().lower(), unit)
    if math.isnan(value):
        return math.nan, "no number"
    if series.per_t is not None:
        return value * series.per_t, series.conversion
    try:
        f = factor(unit, "USD/t")
    except ValueError:
        return math.nan, f"unit {unit!r} not convertible to USD/t"
    how = f"{unit} x {f:,.4f} = USD/t" + (f"; {series.conversion}" if series.conversion else "")
    return value * f * series.mult, how


def price_table(ds: Dataset, years: range = YEARS) -> pd.DataFrame:
    """USGS prices of every catalogue mineral and rare-earth oxide, per year, newest edition.

    Parameters
    ----------
    ds
        A dataset; its ``salient`` table may hold any number of MCS editions.
    years
        Data years kept (default 2017-2025).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`. One row per (mineral, year) with a sourced price: ``value``
        and ``unit`` as reported, ``usd_per_t`` converted to USD per tonne of ``basis`` (NaN
        where the unit does not convert), ``source`` and ``edition`` of the newest edition
        reporting that year, ``status`` (reported / estimated), the ``variable`` matched and
        the ``conversion``. A catalogue mineral without a price has one row with status
        ``no sourced price`` and the reason in ``conversion``.

    Examples
    --------
    >>> from critmin.data.dataset import load
    >>> t = price_table(load())
    >>> nd = t[(t.mineral == "neodymium") & (t.year == 2021)].iloc[0]
    >>> float(nd.value), nd.unit, nd.source, float(nd.usd_per_t)
    (98.0, 'USD/kg', 'USGS MCS 2026', 98000.0)
    >>> t[t.mineral == "helium"].status.tolist()
    ['no sourced price']
    """
    cand = _candidates(ds.salient)
    cand = cand[cand["year"].isin(list(years))]
    rows: list[dict[str, object]] = []
    for s in SERIES:
        holders = set(s.salient or (s.mineral,))
        if "rare_earths" in holders:  # e.g. a separate "rare earths (heavy)" id of MCS 2026
            holders |= {m for m in cand["mineral"].unique() if str(m).startswith("rare_earths")}
        rx = re.compile(s.pattern, re.IGNORECASE)
        hit = cand["variable"].map(lambda v, rx=rx: bool(rx.search(str(v))))
        sub = cand[cand["mineral"].isin(holders) & hit]
        if s.myb:
            sub = pd.concat([sub, cand[cand["mineral"] == f"myb:{s.myb}"]])
        sub = sub[sub["value"].notna()]
        if s.units:
            sub = sub[sub["unit"].map(lambda u: UNIT_WORDS.get(str(u).lower(), u)).isin(s.units)]
        if sub.empty:
            rows.append(_none(s.mineral, s.product, "no row of the dataset matches the series"))
            continue
        for year, g in sub.groupby("year"):
            newest = g[g["edition"] == g["edition"].max()]
            if newest["source"].nunique() > 1:  # MCS beats MYB of the same edition year
                newest = newest[newest["source"].str.startswith("USGS MCS")]
            r = newest.iloc[0]
            usd, how = _usd_per_t(s, float(r["value"]), str(r["unit"]))
            rows.append(
                {
                    "mineral": s.mineral, "product": s.product, "year": int(str(year)),
                    "value": float(r["value"]), "unit": r["unit"], "basis": s.basis,
                    "usd_per_t": usd, "source": r["source"], "edition": int(r["edition"]),
                    "status": r["status"], "variable": r["variable"], "conversion": how,
                }
            )  # fmt: skip
    covered = {s.mineral for s in SERIES}
    for mid in MINERAL_IDS:
        if mid not in covered:
            rows.append(_none(mid, "", NO_SERIES.get(mid, "no USGS price series in the dataset")))
    out = pd.DataFrame(rows, columns=list(COLUMNS))
    out["year"] = out["year"].astype("Int64")
    out["edition"] = out["edition"].astype("Int64")
    return out.sort_values(["mineral", "year"], kind="stable").reset_index(drop=True)


def _none(mid: str, product: str, why: str) -> dict[str, object]:
    return {
        "mineral": mid, "product": product, "year": pd.NA, "value": math.nan, "unit": "",
        "basis": "", "usd_per_t": math.nan, "source": "", "edition": pd.NA,
        "status": NO_PRICE, "variable": "", "conversion": why,
    }  # fmt: skip


def latest_prices(table: pd.DataFrame) -> pd.DataFrame:
    """The latest year with a USD-per-tonne price of each mineral of a :func:`price_table`."""
    ok = table[table["usd_per_t"].notna()]
    return ok.sort_values(["mineral", "year"]).groupby("mineral", as_index=False).tail(1)
