"""Importing regions: named groups of countries (the EU, the G7, a user's own bloc).

Built-in groups come from country_converter's membership table (EU27, G7, OECD, G20 as coco
defines them). A user adds their own in a YAML file mapping a name to ISO3 codes::

    us_and_partners: [USA, CAN, AUS, JPN, KOR, GBR]

Region names are case-insensitive; an unknown code is an error naming the file and region.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, RootModel, ValidationError, field_validator

from critmin.data.countries import _converter, known_iso3
from critmin.data.errors import DataError, Problem

BUILTIN_GROUPS = ("EU27", "G7", "OECD", "G20")


def builtin_regions() -> dict[str, tuple[str, ...]]:
    """The built-in regions, from country_converter's membership columns.

    Examples
    --------
    >>> builtin_regions()["G7"]
    ('CAN', 'DEU', 'FRA', 'GBR', 'ITA', 'JPN', 'USA')
    >>> len(builtin_regions()["EU27"])
    27
    """
    data = _converter().data
    out = {}
    for g in BUILTIN_GROUPS:
        members = data.loc[data[g].notna() & (data[g].astype(str) != ""), "ISO3"]
        out[g] = tuple(sorted(str(m) for m in members))
    return out


class _Regions(RootModel[dict[str, list[str]]]):
    @field_validator("root")
    @classmethod
    def _codes(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for name, members in v.items():
            if not members:
                raise ValueError(f"region {name!r} has no members")
            bad = [m for m in members if m not in known_iso3()]
            if bad:
                raise ValueError(f"region {name!r}: unknown ISO3 codes {bad}")
        return v


class Region(BaseModel):
    """An importer: one country or a group whose internal trade is not imports."""

    name: str
    members: tuple[str, ...]


def load_regions(path: Path) -> dict[str, tuple[str, ...]]:
    """Read user regions from YAML (safe loader), validated."""
    from critmin.data.yamlfile import read_yaml

    raw, _ = read_yaml(path)  # the one safe reader (alias, depth, duplicate-key budgets)
    try:
        regions = _Regions.model_validate(raw)
    except ValidationError as exc:
        raise DataError(
            [Problem(str(path), None, ".".join(map(str, e["loc"])) or None,
                     "region name: [ISO3, ...]", e["msg"]) for e in exc.errors()]
        ) from exc  # fmt: skip
    builtin = {g.lower(): g for g in builtin_regions()}
    clash = [k for k in regions.root if k.lower() in builtin or k.upper() in known_iso3()]
    if clash:
        # A user group named like a built-in one (OECD) or a country would silently replace
        # it in every result: refuse, naming it.
        raise DataError([Problem(str(path), None, k, "a region name other than the built-in "
                                 f"ones ({', '.join(sorted(builtin.values()))}) and ISO3 codes",
                                 k) for k in clash])  # fmt: skip
    return {k: tuple(sorted(set(v))) for k, v in regions.root.items()}


def resolve_importer(name: str, user_regions: dict[str, tuple[str, ...]] | None = None) -> Region:
    """An ISO3 code or a region name → :class:`Region`.

    Examples
    --------
    >>> resolve_importer("usa")
    Region(name='USA', members=('USA',))
    >>> resolve_importer("g7").members[:2]
    ('CAN', 'DEU')
    """
    key = name.strip()
    groups = {**builtin_regions(), **(user_regions or {})}
    for g, members in groups.items():
        if g.lower() == key.lower():
            return Region(name=g, members=members)
    if key.upper() in known_iso3():
        return Region(name=key.upper(), members=(key.upper(),))
    raise KeyError(
        f"unknown importer {name!r}: give an ISO3 code or a region ({', '.join(sorted(groups))})"
    )
