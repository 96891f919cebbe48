"""Country names as the sources write them → ISO 3166 alpha-3, with aggregates kept apart.

USGS glues footnote markers to names ("Russiae", "Other countries4", "New Caledonia11",
"Korea, Republic ofe"): digits are footnote numbers and a trailing ``e`` marks an estimate.
A trailing ``e`` is only taken as a footnote when the name without it is a known country name
and the name with it is not (so "Ukraine", "Chile" and "Mozambique" stay whole).

country_converter does the matching. Its table is loaded with ``keep_default_na=False``
because pandas reads Namibia's ISO2 code "NA" as missing (see docs/decisions/0002).
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    import country_converter as coco

#: Source spellings that country_converter's regexes do not know, or would get wrong.
ALIASES: dict[str, str] = {
    "congo (kinshasa)": "COD",
    "congo (brazzaville)": "COG",
    "burma": "MMR",
    "korea, republic of": "KOR",
    "korea, north": "PRK",
    "korea, south": "KOR",
    "republic of korea": "KOR",
    "united states": "USA",
    "russia": "RUS",
    "turkey": "TUR",
    "türkiye": "TUR",
    "laos": "LAO",
    "kosovo": "XKX",
    "taiwan": "TWN",
    "macau": "MAC",
    "hong kong": "HKG",
    "czechia": "CZE",
    "czech republic": "CZE",
    "eswatini": "SWZ",
    "swaziland": "SWZ",
    "ivory coast": "CIV",
    "côte d'ivoire": "CIV",
    "cote d'ivoire": "CIV",
    "north macedonia": "MKD",
    "macedonia": "MKD",
    "vietnam": "VNM",
    "viet nam": "VNM",
}

#: World Bank / BACI codes that differ from ISO3 (WGI uses these).
WB_CODES: dict[str, str] = {
    "ZAR": "COD",
    "ROM": "ROU",
    "TMP": "TLS",
    "ADO": "AND",
    "WBG": "PSE",
    "KSV": "XKX",
    "ANT": "ANT",
}

_WORLD = re.compile(r"^(world|world total|total)\b", re.IGNORECASE)
_OTHER = re.compile(
    r"^(other|others|rest of (the )?world|row\b|all other|unspecified|undistributed)",
    re.IGNORECASE,
)
_REGION = re.compile(
    r"^(european union|eu\b|eu-?27|eu-?28|africa|asia|europe|oceania|north america|"
    r"south america|latin america|middle east|opec|oecd|cis|former soviet|asean)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Entity:
    """What a name in a source stands for.

    ``kind`` is ``country``, ``other`` ("Other countries"), ``world`` (a world total) or
    ``region`` (an aggregate such as the EU). ``iso3`` is set for countries only.
    ``estimated`` is True when the name carried the USGS estimate footnote ``e``.
    """

    name: str
    kind: str
    iso3: str | None
    estimated: bool = False
    footnote: str = ""


@lru_cache(maxsize=1)
def _converter() -> coco.CountryConverter:
    # Imported here: it reads its version from the installed metadata (about 30 ms), and a
    # command answered from the cache never converts a name (decision 0037).
    import country_converter as coco

    # coco logs "not found" warnings for every aggregate: we report those ourselves.
    logging.getLogger("country_converter").setLevel(logging.ERROR)
    path = os.path.join(os.path.dirname(coco.__file__), "country_data.tsv")
    table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, na_values=[""])
    return coco.CountryConverter(country_data=table[table["obsolete"].isna()])


@lru_cache(maxsize=1)
def _exact_names() -> dict[str, str]:
    cc = _converter()
    data = cc.data
    names: dict[str, str] = {}
    for col in ("name_short", "name_official"):
        for name, iso3 in zip(data[col], data["ISO3"], strict=True):
            if isinstance(name, str) and isinstance(iso3, str):
                names[name.lower()] = iso3
    for iso3 in data["ISO3"]:
        if isinstance(iso3, str):
            names[iso3.lower()] = iso3
    names.update(ALIASES)
    return names


@lru_cache(maxsize=1)
def known_iso3() -> frozenset[str]:
    """All ISO3 codes critmin accepts (country_converter's current ones plus Kosovo)."""
    codes = {c for c in _converter().data["ISO3"] if isinstance(c, str)}
    return frozenset(codes | {"XKX"})


def _regex_iso3(name: str) -> str | None:
    out = _converter().convert(name, to="ISO3", not_found=None)
    # Trap: with not_found=None country_converter hands back the input string.
    if isinstance(out, str) and out != name and len(out) == 3 and out.isupper():
        return out
    return None


def _clean(name: str) -> str:
    return " ".join(name.replace("\u00a0", " ").replace("\ufeff", "").split())


@lru_cache(maxsize=4096)
def resolve(name: str) -> Entity | None:
    """Resolve a source's name to an :class:`Entity`, or ``None`` when it does not map.

    Examples
    --------
    >>> resolve("Congo (Kinshasa)").iso3, resolve("Burma").iso3
    ('COD', 'MMR')
    >>> e = resolve("Russiae"); (e.iso3, e.estimated)
    ('RUS', True)
    >>> resolve("Ukraine").iso3, resolve("Ukraine").estimated
    ('UKR', False)
    >>> resolve("Other countries4").kind, resolve("World total (rounded)").kind
    ('other', 'world')
    >>> resolve("New Caledonia11").iso3
    'NCL'
    >>> resolve("United States (includes Puerto Rico)").iso3
    'USA'
    >>> resolve("United States and Canada").kind
    'region'
    >>> resolve("Atlantis") is None
    True
    """
    text = _clean(name)
    if not text:
        return None
    m = re.match(r"^(.*?\D)\s*(\d+)$", text)
    footnote = ""
    if m:
        text, footnote = m.group(1).strip(), m.group(2)
    for pattern, kind in ((_WORLD, "world"), (_OTHER, "other"), (_REGION, "region")):
        if pattern.match(text):
            return Entity(text, kind, None, footnote=footnote)
    exact = _exact_names()
    low = text.lower()
    if low in exact:
        return Entity(text, "country", exact[low], footnote=footnote)
    if low.endswith("e") and low[:-1].rstrip() in exact:
        return Entity(text[:-1].rstrip(), "country", exact[low[:-1].rstrip()], True, footnote)
    paren = re.match(r"^(.*\S)\s*\(([^()]*)\)$", text)
    if paren:
        # "United States (includes Puerto Rico)", "New Caledonia (overseas territory of France)"
        inner = resolve(paren.group(1))
        if inner is not None and inner.kind == "country":
            return Entity(text, "country", inner.iso3, inner.estimated, footnote or paren.group(2))
    if " and " in low:
        parts = [resolve(p) for p in re.split(r"\s+and\s+|,\s*", text) if p.strip()]
        if parts and all(p is not None and p.kind == "country" for p in parts):
            # A joint figure such as "United States and Canada" is an aggregate, not a country.
            return Entity(text, "region", None, footnote=footnote)
    iso3 = _regex_iso3(text)
    if iso3 is not None:
        return Entity(text, "country", iso3, footnote=footnote)
    return None


def iso3_from_code(code: str) -> str | None:
    """Map an ISO3 or World Bank three-letter code to ISO3 (``ZAR`` → ``COD``)."""
    c = code.strip().upper()
    c = WB_CODES.get(c, c)
    return c if c in known_iso3() else None


def country_name(iso3: str) -> str:
    """Short English name of an ISO3 code (``COD`` → ``DR Congo``)."""
    out = _converter().convert(iso3, src="ISO3", to="name_short", not_found=None)
    return out if isinstance(out, str) else iso3
