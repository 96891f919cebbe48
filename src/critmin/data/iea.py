"""Importer for the IEA Critical Minerals Data Explorer (May 2024 edition) workbook.

The workbook (``CM_Data_Explorer May 2024 (2).xlsx``) holds presentation sheets, not tables:

``2 Total supply for key minerals``
    Two side-by-side block columns (A-E mining, G-K refining), one block per mineral headed
    ``"Copper - Mining"``, ``"Lithium - Chemicals"``, ``"Graphite - Battery grade"`` ...,
    the top producing countries, ``Rest of world``, ``Total`` and a derived ``Top 3 share``;
    years 2023 (historical) and 2030, 2035, 2040 (base-case projections), in kt.
``1 Total demand for key minerals``
    One block per mineral (copper, cobalt, lithium, nickel, magnet rare earths, graphite) with
    demand by technology, ``Total clean technologies``, ``Other uses``, ``Total demand`` and a
    derived share row; a 2023 column shared by all scenarios, then 2030-2050 for STEPS, APS
    and NZE; lookup labels in columns V-W (not data).
``3.1`` / ``3.2``
    Clean-technology demand by mineral and technology, and by mineral only.
``4.1`` - ``4.6``
    Demand of one technology by mineral, in a base case and in technology cases
    (``"Wider adoption of Ga-As technology"``), some cases for one or two scenarios only.

Quirks of the 2024 file and how they are handled:

* Values were pasted as values (no formulas); ``Rest of world`` carries float noise
  (``7071.700000000003``): kept as read, the original text is in ``cell``.
* The cobalt refining total is labelled ``Total clean technologies``: it is the block total
  (the rows above sum to it), so it becomes the ``Total`` (``world``) row with a note.
* ``Top 3 share`` rows are derived (top three countries of that year over the total): kept
  out of the tables and verified against the country rows (a mismatch is a DataError).
* The share-of-clean-technologies rows of sheet 1 are derived as well and kept out.
* Sector labels are kept as written, including ``Low emissions power generation`` (cobalt)
  next to ``Other low emissions power generation`` (other minerals).
* ``PGMs (other than iridum)`` (sic) and ``PGMs`` are the same series: mineral id ``pgms``.
* The same figure appears in several sheets (sheet 1 = 3.1 = the base case of 4.x): rows
  carry ``sheet`` and ``case`` columns, so select one sheet before summing.

Units: every mass is converted from the sheet's unit (the ``(kt)`` of its title) to ``t``.
"""

from __future__ import annotations

import math
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd

from critmin.data.catalogue import MAGNET_REE_BASIS, MINERALS
from critmin.data.countries import resolve
from critmin.data.errors import DataError, Problem
from critmin.data.files import file_label
from critmin.data.schema import TABLES, check
from critmin.data.units import UNITS, factor
from critmin.data.wgi import iter_sheet, open_xlsx, sheet_names

SOURCE = "IEA Critical Minerals Data Explorer 2024"
EDITION = 2024
FOLDER = "iea-critical-minerals-2024"
PATTERN = "CM_Data_Explorer*.xlsx"
#: The last historical year of the edition; later years are projections.
BASE_YEAR = 2023
UNIT = "t"

SUPPLY_SHEET = "2 Total supply for key minerals"
TOTAL_DEMAND_SHEET = "1 Total demand for key minerals"
BY_TECH_SHEET = "3.1 Cleantech demand by tech"
BY_MINERAL_SHEET = "3.2 Cleantech demand by mineral"
#: Technology sheets → the technology's label in sheet 1.
TECH_SHEETS: dict[str, str] = {
    "4.1 Solar PV": "Solar PV",
    "4.2 Wind": "Wind",
    "4.3 EV": "Electric vehicles",
    "4.4 Battery storage": "Grid battery storage",
    "4.5 Electricity networks": "Electricity networks",
    "4.6 Hydrogen": "Hydrogen technologies",
}
DEMAND_SHEETS = (TOTAL_DEMAND_SHEET, BY_TECH_SHEET, BY_MINERAL_SHEET, *TECH_SHEETS)

#: Scenario headings of the demand sheets → critmin scenario codes.
SCENARIOS: dict[str, str] = {
    "stated policies scenario": "STEPS",
    "announced pledges scenario": "APS",
    "net zero emissions by 2050 scenario": "NZE",
}

#: Stage words of the supply block headings ("Copper - Mining") → critmin stage.
SUPPLY_STAGES: dict[str, str] = {
    "mining": "mine",
    "mining (natural)": "mine",
    "refining": "refine",
    "chemicals": "refine",
    "battery grade": "refine",
}

#: What the supply figures count, per (mineral, stage). Lithium: the workbook states Li
#: content (not LCE); magnet rare earths: Nd, Pr, Dy and Tb only, and the workbook does not
#: say oxide or metal, so the catalogue's REO (all rare earths) basis does not apply.
SUPPLY_BASIS: dict[tuple[str, str], str] = {
    ("copper", "mine"): "Cu content",
    ("copper", "refine"): "refined Cu",
    ("cobalt", "mine"): "Co content",
    ("cobalt", "refine"): "Co content",
    ("lithium", "mine"): "Li content",
    ("lithium", "refine"): "Li content",
    ("nickel", "mine"): "Ni content",
    ("nickel", "refine"): "Ni content",
    ("graphite", "mine"): "natural graphite, gross weight",
    ("graphite", "refine"): "battery-grade graphite (natural and synthetic)",
    ("rare_earths", "mine"): MAGNET_REE_BASIS,
    ("rare_earths", "refine"): MAGNET_REE_BASIS,
}

#: Notes attached to supply rows, per (mineral, stage).
SUPPLY_NOTES: dict[tuple[str, str], str] = {
    ("lithium", "refine"): "IEA block 'Lithium - Chemicals': refined lithium chemicals, Li content",
    ("graphite", "mine"): "IEA block 'Graphite - Mining (natural)': natural graphite only",
    ("graphite", "refine"): "IEA block 'Graphite - Battery grade': includes synthetic graphite",
    ("rare_earths", "mine"): "magnet rare earths (Nd, Pr, Dy, Tb); oxide/metal basis not stated",
    ("rare_earths", "refine"): "magnet rare earths (Nd, Pr, Dy, Tb); oxide/metal basis not stated",
}

#: Source mineral labels that are not a catalogue name → mineral id.
MINERAL_ALIASES: dict[str, str] = {
    "graphite (all grades: natural and synthetic)": "graphite",
    "battery-grade graphite": "graphite",
    "magnet rare earth elements": "rare_earths",
    "pgms": "pgms",
    "pgms (other than iridum)": "pgms",
    "pgms (other than iridium)": "pgms",
    "total rare earth elements": "rare_earth_elements",
    "total": "all_minerals",
}

#: Demand notes per source mineral label (from the sheet-1 footnote).
DEMAND_NOTES: dict[str, str] = {
    "lithium": "Li content, not lithium carbonate equivalent",
    "magnet rare earth elements": "praseodymium, neodymium, terbium and dysprosium",
    "graphite (all grades: natural and synthetic)": "all grades of mined and synthetic graphite",
    "battery-grade graphite": "battery-grade graphite only",
}

#: Allowed difference between a sheet's top-3 share and the share from its country rows.
TOP3_TOLERANCE = 0.0005
#: Allowed difference (t) between listed countries + Rest of world and the Total of a block.
SUM_TOLERANCE_T = 500.0

_BLOCK = re.compile(r"^(?P<mineral>.+?)\s+-\s+(?P<stage>.+)$")
_TITLE_UNIT = re.compile(r"\((?P<unit>[^()]+)\)\s*$")

Grid = dict[int, tuple[object, ...]]


def col_letter(index: int) -> str:
    """Spreadsheet column letter of a 0-based column index.

    Examples
    --------
    >>> col_letter(0), col_letter(6), col_letter(26)
    ('A', 'G', 'AA')
    """
    n, out = index + 1, ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def snake(label: str) -> str:
    """A snake_case id of a label.

    Examples
    --------
    >>> snake("PGMs (other than iridum)")
    'pgms_other_than_iridum'
    """
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")


def _catalogue_ids() -> dict[str, str]:
    out: dict[str, str] = {}
    for m in MINERALS:
        out[m.id] = m.id
        out[m.name.lower()] = m.id
        if m.iea:
            out[m.iea.lower()] = m.id
    return out


_CATALOGUE = _catalogue_ids()


def mineral_id(label: str) -> str:
    """The critmin mineral id of an IEA mineral label (snake_case when not catalogued).

    Examples
    --------
    >>> mineral_id("Copper"), mineral_id("Magnet rare earth elements")
    ('copper', 'rare_earths')
    >>> mineral_id("Battery-grade graphite"), mineral_id("Neodymium")
    ('graphite', 'neodymium')
    >>> mineral_id("PGMs (other than iridum)"), mineral_id("Total")
    ('pgms', 'all_minerals')
    """
    key = " ".join(label.split()).lower()
    if key in MINERAL_ALIASES:
        return MINERAL_ALIASES[key]
    return _CATALOGUE.get(key) or snake(key)


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _cell(grid: Grid, row: int, col: int) -> object:
    rec = grid.get(row, ())
    v = rec[col] if col < len(rec) else None
    if isinstance(v, str) and not v.strip():
        return None
    return v


def _year(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and float(value).is_integer() and 1990 <= value <= 2100:
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*(19|20)\d\d\s*", value):
        return int(value)
    return None


@dataclass(frozen=True)
class _Ctx:
    label: str
    sheet: str

    def where(self, row: int, col: int) -> str:
        return f"{self.sheet}!{col_letter(col)}{row}"

    def error(self, row: int | None, fld: str | None, expected: str, got: object = "") -> DataError:
        return DataError([Problem(self.label, row, fld, expected, _text(got))])


def _figure(ctx: _Ctx, grid: Grid, row: int, col: int) -> float | None:
    """A number cell as float; None when empty; DataError naming sheet!cell for text."""
    v = _cell(grid, row, col)
    if v is None:
        return None
    if isinstance(v, bool):
        raise ctx.error(row, ctx.where(row, col), "a number", v)
    if isinstance(v, int | float):
        return float(v)
    try:
        return float(str(v).strip().replace(",", ""))
    except ValueError:
        raise ctx.error(row, ctx.where(row, col), "a number", v) from None


def read_sheets(path: Path, root: Path, wanted: tuple[str, ...]) -> tuple[str, dict[str, Grid]]:
    """The provenance label of a workbook and the cells of the wanted sheets.

    Raises
    ------
    DataError
        When the file is not a workbook or a wanted sheet is missing (naming every
        missing sheet and the sheets expected).
    """
    label = file_label(path, root)
    zf = open_xlsx(path, label)
    try:
        parts = sheet_names(zf)
        missing = [s for s in wanted if s not in parts]
        if missing:
            raise DataError(
                [
                    Problem(
                        label,
                        None,
                        None,
                        f"a sheet {s!r} (expected sheets: {', '.join(repr(w) for w in wanted)})",
                        f"sheets {list(parts)}",
                    )
                    for s in missing
                ]
            )
        grids = {s: dict(iter_sheet(zf, parts[s])) for s in wanted}
    except (ElementTree.ParseError, KeyError, IndexError, ValueError, zipfile.BadZipFile) as exc:
        raise DataError(
            [Problem(label, None, None, "a well-formed .xlsx workbook", f"{exc!r}")]
        ) from exc
    finally:
        zf.close()
    return label, grids


def _sheet_unit(ctx: _Ctx, grid: Grid) -> tuple[str, float]:
    """The unit named at the end of the sheet title, e.g. ``... (kt)``, and its factor to t."""
    for row in sorted(grid)[:5]:
        title = _text(_cell(grid, row, 0))
        m = _TITLE_UNIT.search(title)
        if m and m["unit"].strip() in UNITS:
            unit = m["unit"].strip()
            return unit, factor(unit, UNIT)
    raise ctx.error(None, ctx.sheet, "a title ending with a unit such as '(kt)' in rows 1-5")


def _year_header(ctx: _Ctx, grid: Grid) -> tuple[int, dict[int, int]]:
    """The row holding the year headings and its {column: year}."""
    for row in sorted(grid):
        if row > 15:
            break
        years = {c: y for c, v in enumerate(grid[row]) if (y := _year(v)) is not None}
        if len(years) >= 2:
            return row, years
    raise ctx.error(
        None, ctx.sheet, "a header row of years (2023, 2030 ...) within rows 1-15", "none found"
    )


# --------------------------------------------------------------------------- supply


def read_iea_top3(path: Path, root: Path) -> pd.DataFrame:
    """The ``Top 3 share`` rows of the supply sheet, as published (derived values).

    Columns ``mineral, stage, year, share, file, row, column, cell``.
    """
    return _read_supply(path, root)[2]


def read_iea_supply(path: Path, root: Path) -> dict[str, pd.DataFrame]:
    """Read the supply sheet into ``production`` (2023) and ``supply_outlook`` (2030-2040).

    Parameters
    ----------
    path
        The Data Explorer workbook.
    root
        The raw-data root; ``file`` in the provenance is relative to it.

    Returns
    -------
    dict
        ``{"production": ..., "supply_outlook": ...}``: every country, ``Rest of world``
        (``other``) and ``Total`` (``world``) row of every block, in t. Production rows have
        status ``reported``; outlook rows ``modelled`` with scenario ``Base case``. Both carry
        ``product`` (the block heading as written), ``basis`` and ``note``, and provenance.
        ``Top 3 share`` rows are left out and verified (see :func:`read_iea_top3`).

    Raises
    ------
    DataError
        Missing sheet, a year header or block heading not where expected, an unknown
        mineral, stage or country label, text in a number cell (naming ``sheet!cell``), or a
        top-3 share that the country rows do not reproduce.
    """
    production, outlook, _ = _read_supply(path, root)
    return {"production": production, "supply_outlook": outlook}


def _read_supply(path: Path, root: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    label, grids = read_sheets(path, root, (SUPPLY_SHEET,))
    ctx = _Ctx(label, SUPPLY_SHEET)
    grid = grids[SUPPLY_SHEET]
    _, to_t = _sheet_unit(ctx, grid)
    title = " ".join(_text(_cell(grid, r, 0)) for r in sorted(grid)[:5]).lower()
    if "base case" not in title:
        raise ctx.error(None, ctx.sheet, "a title naming the 'base case'", title)
    hdr, years = _year_header(ctx, grid)
    # Consecutive year columns form one block column; its labels sit just left of it.
    groups: list[list[int]] = []
    for c in sorted(years):
        if groups and c == groups[-1][-1] + 1:
            groups[-1].append(c)
        else:
            groups.append([c])
    rows: list[dict[str, object]] = []
    top3: list[dict[str, object]] = []
    for cols in groups:
        lab = cols[0] - 1
        if lab < 0:
            raise ctx.error(hdr, ctx.where(hdr, cols[0]), "a label column left of the years")
        block: tuple[str, str, str] | None = None  # mineral, stage, heading
        for row in range(hdr + 1, max(grid) + 1):
            name = _cell(grid, row, lab)
            filled = [c for c in cols if _cell(grid, row, c) is not None]
            if name is None:
                if filled:
                    raise ctx.error(
                        row, ctx.where(row, lab), "a row label next to figures", "empty"
                    )
                if all(_cell(grid, row, c) is None for c in range(len(grid.get(row, ())))):
                    block = None  # a wholly blank row ends the blocks of both columns
                continue
            text = " ".join(str(name).split())
            m = _BLOCK.match(text)
            if m and not filled:
                block = _supply_block(ctx, row, lab, m["mineral"], m["stage"], text)
                continue
            if block is None:
                if filled:
                    raise ctx.error(
                        row, ctx.where(row, lab), "a block heading such as 'Copper - Mining'", text
                    )
                continue  # a note below the blocks
            mid, stage, _ = block
            if text.lower().startswith("top 3 share"):
                for c in cols:
                    share = _figure(ctx, grid, row, c)
                    top3.append(
                        _prov(
                            label,
                            ctx,
                            grid,
                            row,
                            c,
                            mineral=mid,
                            stage=stage,
                            year=years[c],
                            share=share if share is not None else math.nan,
                        )
                    )
                continue
            rows.extend(_supply_rows(ctx, grid, row, lab, cols, years, block, text, to_t))
    if not rows:
        raise ctx.error(hdr + 1, ctx.sheet, "supply blocks below the year header", "none")
    df = pd.DataFrame(rows)
    df["unit"] = UNIT
    df["low"] = math.nan
    df["high"] = math.nan
    df["source"] = SOURCE
    df["edition"] = EDITION
    df["status"] = ["reported" if y <= BASE_YEAR else "modelled" for y in df["year"]]
    inside = _reconcile(ctx, df)
    tops = pd.DataFrame(top3, columns=["mineral", "stage", "year", "share", *_PROV])
    tops = _verify_top3(ctx, df, tops, inside)
    hist = df["year"] <= BASE_YEAR
    production = df[hist].assign(measure="production")
    production = production[list(_PRODUCTION_COLUMNS)].reset_index(drop=True)
    outlook = df[~hist].assign(scenario="Base case")
    outlook_note = "IEA base case: operating and announced projects weighted by their probability"
    outlook["note"] = [
        f"{n}; {outlook_note}" if isinstance(n, str) else outlook_note for n in outlook["note"]
    ]
    outlook = outlook[list(_OUTLOOK_COLUMNS)].reset_index(drop=True)
    check(production, "production", where=label)
    check(outlook, "supply_outlook", where=label)
    return production, outlook, tops


_PROV = ("file", "row", "column", "cell")
_PRODUCTION_COLUMNS = (*(c.name for c in TABLES["production"]), *_PROV)
_OUTLOOK_COLUMNS = (
    "mineral",
    "stage",
    "scenario",
    "entity",
    "entity_kind",
    "country",
    "year",
    "value",
    "unit",
    "status",
    "low",
    "high",
    "source",
    "edition",
    "product",
    "basis",
    "note",
    *_PROV,
)


def _prov(label: str, ctx: _Ctx, grid: Grid, row: int, col: int, **kw: object) -> dict[str, object]:
    v = _cell(grid, row, col)
    return {
        **kw,
        "file": label,
        "row": row,
        "column": f"{ctx.sheet}!{col_letter(col)}",
        "cell": "" if v is None else str(v),
    }


def _supply_block(
    ctx: _Ctx, row: int, col: int, mineral_label: str, stage_label: str, heading: str
) -> tuple[str, str, str]:
    mid = mineral_id(mineral_label)
    stage = SUPPLY_STAGES.get(stage_label.strip().lower())
    if stage is None:
        raise ctx.error(
            row, ctx.where(row, col), f"a stage word, one of {sorted(SUPPLY_STAGES)}", heading
        )
    if (mid, stage) not in SUPPLY_BASIS:
        known = sorted({m for m, _ in SUPPLY_BASIS})
        raise ctx.error(row, ctx.where(row, col), f"a mineral of the IEA supply sheet {known}")
    return mid, stage, heading


def _supply_rows(
    ctx: _Ctx,
    grid: Grid,
    row: int,
    lab: int,
    cols: list[int],
    years: dict[int, int],
    block: tuple[str, str, str],
    name: str,
    to_t: float,
) -> list[dict[str, object]]:
    mid, stage, heading = block
    ent = resolve(name)
    if ent is None or ent.kind == "region":
        raise ctx.error(
            row, ctx.where(row, lab), "a country name, 'Rest of world' or 'Total'", name
        )
    notes = [SUPPLY_NOTES.get((mid, stage), "")]
    entity = ent.name
    if ent.kind == "world" and ent.name.lower() != "total":
        notes.append(f"the sheet labels this block total {name!r}; it is the sum of the block")
        entity = "Total"
    note = "; ".join(n for n in notes if n) or None
    out = []
    for c in cols:
        v = _figure(ctx, grid, row, c)
        out.append(
            _prov(
                ctx.label,
                ctx,
                grid,
                row,
                c,
                mineral=mid,
                stage=stage,
                product=heading,
                basis=SUPPLY_BASIS[(mid, stage)],
                entity=entity,
                entity_kind=ent.kind,
                country=ent.iso3,
                year=years[c],
                value=v * to_t if v is not None else math.nan,
                note=note,
            )
        )
    return out


def _reconcile(ctx: _Ctx, df: pd.DataFrame) -> dict[tuple[str, str], str]:
    """Check that listed countries + ``Rest of world`` = ``Total`` in every block and year.

    In four blocks of the 2024 sheet (nickel mining and refining, both graphite blocks) the
    sixth listed country is also inside ``Rest of world``: the rows exceed the total by
    exactly that country's figure in every year. ``Rest of world`` is then set to ``Total``
    minus the listed countries (status ``modelled``; the published figure stays in ``cell``
    and the note says why). Returns {(mineral, stage): the double-counted country}. Any
    other mismatch is a DataError naming the ``Rest of world`` cells.
    """
    inside: dict[tuple[str, str], str] = {}
    problems: list[Problem] = []
    for (mid, stage), blk in df.groupby(["mineral", "stage"], sort=False):
        excess: dict[int, float] = {}
        for year, g in blk.groupby("year"):
            total = g.loc[g["entity_kind"] == "world", "value"]
            if len(total) != 1:
                last = int(g["row"].max())
                problems.append(
                    Problem(ctx.label, last, ctx.sheet, f"one Total row per block ({mid} {stage})")
                )
                continue
            listed = g.loc[g["entity_kind"] != "world", "value"].sum()
            excess[int(str(year))] = float(listed - total.iloc[0])
        tol = SUM_TOLERANCE_T
        if all(abs(e) <= tol for e in excess.values()):
            continue
        countries = blk[blk["entity_kind"] == "country"]
        found = None
        for name, g in countries.groupby("entity", sort=False):
            by_year = dict(zip(g["year"], g["value"], strict=True))
            if all(abs(by_year.get(y, math.nan) - e) <= tol for y, e in excess.items()):
                found = str(name)
        rest = blk[blk["entity_kind"] == "other"]
        if found is None or rest.empty:
            for r in rest.itertuples():
                e = excess.get(int(str(r.year)), 0.0)
                problems.append(
                    Problem(
                        ctx.label,
                        int(str(r.row)),
                        f"{r.column}{r.row}",
                        "listed countries + Rest of world = Total (within 0.5 kt)",
                        f"{r.cell} (off by {e / 1000:.1f} kt)",
                    )
                )
            continue
        inside[(str(mid), str(stage))] = found
        for idx in rest.index:
            y = int(str(df.at[idx, "year"]))
            sub = float(countries.loc[countries["entity"] == found].set_index("year")["value"][y])
            note = (
                f"published Rest of world ({df.at[idx, 'cell']!s} kt) also contains {found}, "
                "which the sheet lists; set to Total minus the listed countries"
            )
            old_note = df.at[idx, "note"]
            df.at[idx, "note"] = f"{old_note}; {note}" if isinstance(old_note, str) else note
            if sub != 0:
                df.at[idx, "value"] = float(str(df.at[idx, "value"])) - sub
                df.at[idx, "status"] = "modelled"
    if problems:
        raise DataError(problems)
    return inside


def _verify_top3(
    ctx: _Ctx, df: pd.DataFrame, tops: pd.DataFrame, inside: dict[tuple[str, str], str]
) -> pd.DataFrame:
    """Check every published top-3 share against the country rows of its block and year.

    The share is accepted when it equals the three largest listed countries over the
    ``Total``, or, in a block where a country is double-counted (see :func:`_reconcile`),
    the three largest of the other countries (how the sheet computed graphite battery grade
    2023). Returns ``tops`` with ``computed`` and ``rule`` columns.
    """
    problems: list[Problem] = []
    computed: list[float] = []
    rules: list[str] = []
    countries = df[df["entity_kind"] == "country"]
    totals = df[df["entity_kind"] == "world"].set_index(["mineral", "stage", "year"])["value"]
    for t in tops.itertuples(index=False):
        sel = countries[
            (countries["mineral"] == t.mineral)
            & (countries["stage"] == t.stage)
            & (countries["year"] == t.year)
        ]
        total = float(totals.get((t.mineral, t.stage, t.year), math.nan))
        share = float(str(t.share))
        value = float(sel["value"].nlargest(3).sum() / total) if total else math.nan
        rule = "top 3 listed countries / Total"
        extra = inside.get((str(t.mineral), str(t.stage)))
        if not abs(value - share) <= TOP3_TOLERANCE and extra is not None:
            alt = sel.loc[sel["entity"] != extra, "value"].nlargest(3).sum() / total
            if abs(alt - share) <= TOP3_TOLERANCE:
                value = float(alt)
                rule = f"top 3 listed countries other than {extra} / Total"
        computed.append(value)
        rules.append(rule)
        if not abs(value - share) <= TOP3_TOLERANCE:
            problems.append(
                Problem(
                    ctx.label,
                    int(str(t.row)),
                    f"{t.column}{t.row}",
                    f"the top-3 share of the country rows ({value:.4f})",
                    str(t.cell),
                )
            )
    if problems:
        raise DataError(problems)
    return tops.assign(computed=computed, rule=rules)


# --------------------------------------------------------------------------- demand


def read_iea_demand(path: Path, root: Path) -> pd.DataFrame:
    """Read the demand sheets (1, 3.1, 3.2, 4.1-4.6) into the ``demand_outlook`` table.

    Parameters
    ----------
    path
        The Data Explorer workbook.
    root
        The raw-data root; ``file`` in the provenance is relative to it.

    Returns
    -------
    pandas.DataFrame
        ``mineral, scenario, sector, year, value, unit, status, low, high, source, edition``
        plus ``product`` (the source's mineral label), ``case`` (the technology case of the
        4.x sheets, ``Base case`` elsewhere), ``sheet``, ``note`` and provenance. Values in t.
        ``sector`` is the source's label; ``total`` for sheet 1's ``Total demand``;
        ``Total clean technologies`` for the clean-technology totals of sheets 3.x; the 4.x
        technology for their rows. The 2023 column, shared by all scenarios, is repeated
        under STEPS, APS and NZE with status ``reported``; projections are ``modelled``.
        Unique key: (sheet, case, mineral, product, scenario, sector, year).

    Raises
    ------
    DataError
        A missing sheet, a header that moved (years or scenario names not found), an
        unknown scenario name, a data row outside any block, or text in a number cell.
    """
    label, grids = read_sheets(path, root, DEMAND_SHEETS)
    rows: list[dict[str, object]] = []
    for sheet in DEMAND_SHEETS:
        rows.extend(_demand_sheet(_Ctx(label, sheet), grids[sheet]))
    df = pd.DataFrame(rows)
    df["unit"] = UNIT
    df["low"] = math.nan
    df["high"] = math.nan
    df["source"] = SOURCE
    df["edition"] = EDITION
    df = df[list(_DEMAND_COLUMNS)]
    check(df, "demand_outlook", where=label)
    return df


_DEMAND_COLUMNS = (
    "mineral",
    "scenario",
    "sector",
    "year",
    "value",
    "unit",
    "status",
    "low",
    "high",
    "source",
    "edition",
    "product",
    "case",
    "sheet",
    "note",
    *_PROV,
)


def _scenario_columns(
    ctx: _Ctx, grid: Grid, hdr: int, years: dict[int, int]
) -> dict[int, list[str]]:
    """{year column: scenarios}; a year left of the first scenario heading is shared by all."""
    starts: dict[int, str] = {}
    for row in range(hdr - 1, max(hdr - 4, 0), -1):
        for c, v in enumerate(grid.get(row, ())):
            t = _text(v)
            if not t:
                continue
            code = SCENARIOS.get(" ".join(t.split()).lower())
            if code is None:
                raise ctx.error(
                    row, ctx.where(row, c), f"a scenario name, one of {sorted(SCENARIOS)}", t
                )
            starts[c] = code
        if starts:
            break
    if not starts:
        raise ctx.error(
            hdr - 1, ctx.sheet, f"scenario names in the rows above the year header (row {hdr})"
        )
    every = list(dict.fromkeys(starts[c] for c in sorted(starts)))
    out: dict[int, list[str]] = {}
    for c in years:
        left = [s for s in starts if s <= c]
        out[c] = [starts[max(left)]] if left else every
    return out


def _demand_sheet(ctx: _Ctx, grid: Grid) -> list[dict[str, object]]:
    _, to_t = _sheet_unit(ctx, grid)
    hdr, years = _year_header(ctx, grid)
    scen = _scenario_columns(ctx, grid, hdr, years)
    cols = sorted(years)
    tech = TECH_SHEETS.get(ctx.sheet)
    grouped = ctx.sheet != BY_MINERAL_SHEET
    group: str | None = None
    out: list[dict[str, object]] = []
    for row in range(hdr + 1, max(grid) + 1):
        name = _cell(grid, row, 0)
        filled = [c for c in cols if _cell(grid, row, c) is not None]
        if name is None:
            if filled:
                raise ctx.error(row, ctx.where(row, 0), "a row label next to figures", "empty")
            group = None
            continue
        text = " ".join(str(name).split())
        low = text.lower()
        if not filled:
            if low.startswith(("note", "source")):
                continue
            if not grouped:
                raise ctx.error(row, ctx.where(row, 0), "a mineral row with figures", text)
            group = text
            continue
        if low.startswith("share of"):
            continue  # derived ratio (clean technologies / total demand): not a mass
        if grouped and group is None:
            raise ctx.error(
                row, ctx.where(row, 0), "a block heading (mineral or case) above this row", text
            )
        case = "Base case"
        if tech is not None:
            case, product, sector = str(group), text, tech
        elif ctx.sheet == TOTAL_DEMAND_SHEET:
            product, sector = str(group), ("total" if low == "total demand" else text)
        elif ctx.sheet == BY_TECH_SHEET:
            product = str(group)
            sector = "Total clean technologies" if low.startswith("total") else text
        else:
            product, sector = text, "Total clean technologies"
        mineral = "all_minerals" if tech is not None and low.startswith("total") else None
        mid = mineral or mineral_id(product)
        base_note = DEMAND_NOTES.get(product.lower())
        # The shared base-year column goes to the scenarios this row has projections for
        # (a technology case may cover one or two scenarios only), else to all of them.
        own = {s for c in filled if len(scen[c]) == 1 for s in scen[c]}
        for c in filled:
            v = _figure(ctx, grid, row, c)
            year = years[c]
            shared = len(scen[c]) > 1
            targets = [s for s in scen[c] if s in own] if shared and own else scen[c]
            note = "; ".join(
                n
                for n in (
                    base_note,
                    "base year: one column shared by all scenarios" if shared else "",
                )
                if n
            )
            for s in targets:
                out.append(
                    _prov(
                        ctx.label,
                        ctx,
                        grid,
                        row,
                        c,
                        mineral=mid,
                        scenario=s,
                        sector=sector,
                        year=year,
                        value=(v if v is not None else math.nan) * to_t,
                        status="reported" if year <= BASE_YEAR else "modelled",
                        product=product,
                        case=case,
                        sheet=ctx.sheet,
                        note=note or None,
                    )
                )
    return out


# --------------------------------------------------------------------------- locate


def find_iea_workbook(root: Path) -> Path:
    """The Data Explorer workbook in the standard folder of the raw-data root."""
    folder = root / FOLDER
    found = sorted(folder.glob(PATTERN)) if folder.is_dir() else []
    if len(found) != 1:
        raise DataError(
            [
                Problem(
                    f"{FOLDER}/{PATTERN}",
                    None,
                    None,
                    "exactly one IEA Critical Minerals Data Explorer workbook",
                    f"{len(found)} found",
                )
            ]
        )
    return found[0]


def import_iea(root: Path) -> dict[str, pd.DataFrame]:
    """Read the IEA workbook of the raw-data root: production, supply and demand outlooks.

    Returns ``{"production", "supply_outlook", "demand_outlook"}``.
    """
    path = find_iea_workbook(root)
    out = read_iea_supply(path, root)
    out["demand_outlook"] = read_iea_demand(path, root)
    return out
