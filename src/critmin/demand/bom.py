"""The bill of materials of AI data centres as data, and company-mode bills of materials.

:file:`intensities.csv` (next to this module) holds one row per (component, mineral): the mass
of the mineral per MW of IT load installed (basis ``MW_IT``), with a low / central / high range,
a status (``sourced`` a published figure, ``derived`` arithmetic on published figures,
``modelled`` our assumption with a wide range), the citation (``ai_bom.csv`` row ids) and the
arithmetic. :func:`load_intensities` validates the whole file before returning anything.

Company mode reads a firm's own bill of materials (:func:`read_company_bom`: product,
component, mineral, intensity, unit per product unit) and production plan
(:func:`read_production_plan`: product, year, units), and turns them into tonnes of mineral
(:func:`company_demand`) beside the supply concentration of each mineral
(:func:`company_exposure`). Every bad input raises a
:class:`~critmin.data.errors.DataError` naming file, row, field and what was expected
(docs/decisions/0009-ai-demand.md).

Examples
--------
>>> df = load_intensities()
>>> row = df[(df.component == "dc_electrical") & (df.mineral == "copper")].iloc[0]
>>> float(row.central_t), row.status
(27.0, 'sourced')
>>> per_mw_factor("kg/MW")
0.001
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml

from critmin.data.catalogue import MINERAL_IDS
from critmin.data.errors import DataError, Problem
from critmin.data.units import factor
from critmin.data.yamlfile import compose_checked

if TYPE_CHECKING:
    from critmin.data.dataset import Dataset

#: The packaged intensities table.
INTENSITIES_PATH = Path(__file__).with_name("intensities.csv")

#: Columns of the intensities table, in order.
INTENSITY_COLUMNS: tuple[str, ...] = (
    "component",
    "mineral",
    "basis",
    "unit",
    "low",
    "central",
    "high",
    "status",
    "source",
    "derivation",
    "notes",
)

#: Component ids of the intensities table → what they cover.
COMPONENTS: dict[str, str] = {
    "accelerator_hbm": "accelerator package and HBM (logic dies, interposer, memory, TIM)",
    "server_boards": "server boards (motherboards, RAM/CPU and drive boards, solder, capacitors)",
    "network_cables": "networking cables (NVLink and other copper cabling)",
    "optical_transceivers": "optical transceivers (lasers, photodetectors, attributable fibre)",
    "power_conversion": "power conversion (PSUs, GaN/SiC stages, rack busbars)",
    "rack_batteries_ups": "rack batteries / UPS (battery backup units, Li-ion cells)",
    "cooling": "cooling (heat sinks, cold plates, CDUs, chillers)",
    "fans_pumps_drives": "fans, pumps and drives (NdFeB magnets)",
    "dc_electrical": "data-centre electrical systems (switchgear, cabling, distribution)",
    "grid_connection": "grid connection (transformers)",
}

STATUSES: tuple[str, ...] = ("sourced", "derived", "modelled")
CASES: tuple[str, ...] = ("low", "central", "high")
BASES: tuple[str, ...] = ("MW_IT",)

#: Denominators of per-capacity units → MW per denominator unit.
_PER_CAPACITY: dict[str, float] = {"MW": 1.0, "GW": 1000.0, "kW": 0.001}
#: Denominators of per-product units.
_PER_UNIT: tuple[str, ...] = ("unit", "units", "pc", "piece")

BOM_COLUMNS: tuple[str, ...] = ("product", "component", "mineral", "intensity", "unit")
PLAN_COLUMNS: tuple[str, ...] = ("product", "year", "units")


def _split_unit(unit: str) -> tuple[str, str]:
    num, sep, den = unit.partition("/")
    if not sep or not num.strip() or not den.strip():
        raise ValueError(f"expected a unit 'mass/denominator', got {unit!r}")
    return num.strip(), den.strip()


def per_mw_factor(unit: str) -> float:
    """Multiplier from ``unit`` (mass per capacity, e.g. ``kg/MW``) to t/MW.

    The mass part is converted with :func:`critmin.data.units.factor`; the denominator is one
    of MW, GW or kW. critmin's unit vocabulary is not extended: the mapping is local.

    Raises
    ------
    ValueError
        When the unit is not mass per MW, GW or kW.

    Examples
    --------
    >>> per_mw_factor("t/MW"), per_mw_factor("t/GW"), per_mw_factor("g/kW")
    (1.0, 0.001, 0.001)
    """
    num, den = _split_unit(unit)
    if den not in _PER_CAPACITY:
        raise ValueError(f"unknown capacity denominator {den!r}; expected one of MW, GW, kW")
    return factor(num, "t") / _PER_CAPACITY[den]


def per_unit_factor(unit: str) -> float:
    """Multiplier from ``unit`` (mass per product unit, e.g. ``g/unit``) to t per unit.

    Examples
    --------
    >>> per_unit_factor("kg/unit"), per_unit_factor("t/unit")
    (0.001, 1.0)
    """
    num, den = _split_unit(unit)
    if den not in _PER_UNIT:
        raise ValueError(f"unknown denominator {den!r}; expected one of {', '.join(_PER_UNIT)}")
    return factor(num, "t")


def _number(text: object) -> float | None:
    """A finite float, or None when ``text`` is not one."""
    if isinstance(text, bool):
        return None
    try:
        v = float(str(text).strip())
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def _read_csv(path: Path) -> tuple[pd.DataFrame, list[int]]:
    """Rows of a CSV file as strings, and the physical line each record starts on.

    Blank lines are skipped and a quoted cell may span lines, so a record's position in the
    table is not its line in the file; errors must name the line a user finds in an editor.
    """
    file = str(path)
    rows: list[list[str]] = []
    lines: list[int] = []
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            start = 1
            for rec in reader:
                if any(cell.strip() for cell in rec):
                    rows.append(rec)
                    lines.append(start)
                start = reader.line_num + 1  # the next record starts after this one's last line
    except FileNotFoundError as exc:
        raise DataError([Problem(file, None, None, "an existing file")]) from exc
    except IsADirectoryError as exc:
        raise DataError([Problem(file, None, None, "a CSV file", "a directory")]) from exc
    except (csv.Error, UnicodeDecodeError) as exc:
        raise DataError([Problem(file, None, None, "a UTF-8 CSV file", str(exc))]) from exc
    if not rows:
        raise DataError([Problem(file, None, None, "a CSV file with a header row", "empty")])
    header = [h.strip() for h in rows[0]]
    twice = sorted({h for h in header if header.count(h) > 1})
    if twice:
        raise DataError([Problem(file, lines[0], h, "each column once in the header", "twice")
                         for h in twice])  # fmt: skip
    problems = [
        Problem(file, ln, None, f"at most {len(header)} fields (the header's)", str(len(r)))
        for r, ln in zip(rows[1:], lines[1:], strict=True)
        if len(r) > len(header)
    ]
    if problems:
        raise DataError(problems)
    body = [r + [""] * (len(header) - len(r)) for r in rows[1:]]
    return pd.DataFrame(body, columns=header, dtype=str), lines[1:]


def _missing_columns(df: pd.DataFrame, need: tuple[str, ...], file: str) -> list[Problem]:
    return [Problem(file, 1, c, "this column in the header") for c in need if c not in df.columns]


def load_intensities(path: str | Path | None = None) -> pd.DataFrame:
    """Read and validate the intensities table (default: the packaged one).

    Every row is checked before anything is returned: known mineral id, basis ``MW_IT``,
    a unit that converts to t/MW, non-negative finite low / central / high with
    low ≤ central ≤ high, a known status, a source, and no duplicate (component, mineral).

    Parameters
    ----------
    path
        A CSV file with the columns of :data:`INTENSITY_COLUMNS`.

    Returns
    -------
    pandas.DataFrame
        The file's columns (low, central, high as floats in the file's unit) plus
        ``low_t``, ``central_t``, ``high_t`` in t per MW of IT load.

    Raises
    ------
    DataError
        With one :class:`~critmin.data.errors.Problem` per bad field (file, CSV line, field).

    Examples
    --------
    >>> df = load_intensities()
    >>> sorted(df.status.unique())
    ['derived', 'modelled', 'sourced']
    >>> bool((df.low_t <= df.central_t).all() and (df.central_t <= df.high_t).all())
    True
    """
    p = Path(path) if path is not None else INTENSITIES_PATH
    file = str(p)
    raw, lines = _read_csv(p)
    problems = _missing_columns(raw, INTENSITY_COLUMNS, file)
    if problems:
        raise DataError(problems)
    seen: dict[tuple[str, str], int] = {}
    out: list[dict[str, Any]] = []
    for rec, line in zip(raw.to_dict("records"), lines, strict=True):
        start = len(problems)
        comp = str(rec["component"]).strip()
        mid = str(rec["mineral"]).strip()
        if not comp:
            problems.append(Problem(file, line, "component", "a component name", comp))
        if mid not in MINERAL_IDS:
            problems.append(Problem(file, line, "mineral", "a critmin mineral id", mid))
        if rec["basis"] not in BASES:
            problems.append(Problem(file, line, "basis", "MW_IT", rec["basis"]))
        unit = str(rec["unit"]).strip()
        try:
            f = per_mw_factor(unit)
        except ValueError:
            f = float("nan")
            problems.append(
                Problem(file, line, "unit", "a mass per capacity unit (t/MW, kg/MW, ...)", unit)
            )
        vals: dict[str, float] = {}
        for case in CASES:
            v = _number(rec[case])
            if v is None:
                problems.append(Problem(file, line, case, "a finite number", rec[case]))
            elif v < 0:
                problems.append(Problem(file, line, case, "a non-negative intensity", rec[case]))
            else:
                vals[case] = v
        if len(vals) == 3:
            if vals["low"] > vals["central"]:
                problems.append(
                    Problem(file, line, "low", "low <= central", f"{vals['low']} > central")
                )
            if vals["central"] > vals["high"]:
                problems.append(
                    Problem(file, line, "high", "central <= high", f"{vals['high']} < central")
                )
        if rec["status"] not in STATUSES:
            problems.append(Problem(file, line, "status", " | ".join(STATUSES), rec["status"]))
        if not str(rec["source"]).strip():
            problems.append(Problem(file, line, "source", "a citation (or 'none: ...')"))
        key = (comp, mid)
        if key in seen:
            problems.append(
                Problem(
                    file,
                    line,
                    "mineral",
                    f"one row per (component, mineral); {key} is already on line {seen[key]}",
                    mid,
                )
            )
        else:
            seen[key] = line
        if len(problems) == start:
            row: dict[str, Any] = {c: rec[c] for c in INTENSITY_COLUMNS}
            row.update(component=comp, mineral=mid, unit=unit, **vals)
            for case in CASES:
                row[f"{case}_t"] = vals[case] * f
            out.append(row)
    if problems:
        raise DataError(problems)
    cols = [*INTENSITY_COLUMNS, "low_t", "central_t", "high_t"]
    return pd.DataFrame(out, columns=cols)


# --------------------------------------------------------------------------- company mode


def _read_records(path: Path, need: tuple[str, ...]) -> tuple[list[dict[str, Any]], list[int]]:
    """Rows of a CSV or YAML file as dicts, with the line each starts on."""
    file = str(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            text = path.read_text("utf-8")
        except FileNotFoundError as exc:
            raise DataError([Problem(file, None, None, "an existing file")]) from exc
        # The one safe reader of critmin's YAML: alias, depth and duplicate-key budgets.
        data, node = compose_checked(text, file)
        if isinstance(data, dict) and len(data) == 1:
            # {bom: [...]} or {plan: [...]}: unwrap the single top-level key
            key = next(iter(data))
            data = data[key]
            if isinstance(node, yaml.MappingNode):
                node = node.value[0][1]
        if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
            raise DataError([Problem(file, 1, None, "a YAML list of mappings (one per row)")])
        lines = (
            [n.start_mark.line + 1 for n in node.value]
            if isinstance(node, yaml.SequenceNode)
            else list(range(1, len(data) + 1))
        )
        keys = set().union(*(d.keys() for d in data)) if data else set()
        missing = [c for c in need if c not in keys]
        if missing:
            raise DataError([Problem(file, None, c, "this key in every row") for c in missing])
        problems = [
            Problem(file, ln, c, "this key")
            for d, ln in zip(data, lines, strict=True)
            for c in need
            if c not in d
        ]
        if problems:
            raise DataError(problems)
        return [dict(d) for d in data], lines
    raw, lines = _read_csv(path)
    problems = _missing_columns(raw, need, file)
    if problems:
        raise DataError(problems)
    recs: list[dict[str, Any]] = [{str(k): v for k, v in r.items()} for r in raw.to_dict("records")]
    return recs, lines


def read_company_bom(path: str | Path) -> pd.DataFrame:
    """Read a company bill of materials (CSV or YAML).

    Columns / keys: ``product``, ``component``, ``mineral`` (critmin id), ``intensity`` (mass
    of mineral per unit of product), ``unit`` (``kg/unit``, ``g/unit``, ``t/unit``, ...).

    Returns
    -------
    pandas.DataFrame
        product, component, mineral, intensity, unit, intensity_t (t per product unit).

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp(); p = os.path.join(d, "bom.csv")
    >>> _ = open(p, "w").write("product,component,mineral,intensity,unit\\n"
    ...                        "srv,board,gold,0.5,g/unit\\n")
    >>> read_company_bom(p)[["product", "mineral", "intensity_t"]].values.tolist()
    [['srv', 'gold', 5e-07]]
    """
    p = Path(path)
    file = str(p)
    recs, lines = _read_records(p, BOM_COLUMNS)
    problems: list[Problem] = []
    seen: dict[tuple[str, str, str], int] = {}
    out = []
    for rec, line in zip(recs, lines, strict=True):
        start = len(problems)
        prod, comp = str(rec["product"]).strip(), str(rec["component"]).strip()
        mid = str(rec["mineral"]).strip()
        if not prod:
            problems.append(Problem(file, line, "product", "a product name"))
        if not comp:
            problems.append(Problem(file, line, "component", "a component name"))
        if mid not in MINERAL_IDS:
            problems.append(Problem(file, line, "mineral", "a critmin mineral id", mid))
        v = _number(rec["intensity"])
        if v is None or v < 0:
            problems.append(
                Problem(file, line, "intensity", "a non-negative number", rec["intensity"])
            )
        unit = str(rec["unit"]).strip()
        try:
            f = per_unit_factor(unit)
        except ValueError:
            f = float("nan")
            problems.append(
                Problem(file, line, "unit", "a mass per product unit (kg/unit, g/unit)", unit)
            )
        key = (prod, comp, mid)
        if key in seen:
            problems.append(
                Problem(
                    file,
                    line,
                    "component",
                    f"one row per (product, component, mineral); already on line {seen[key]}",
                    comp,
                )
            )
        else:
            seen[key] = line
        if len(problems) == start and v is not None:
            out.append(
                {
                    "product": prod,
                    "component": comp,
                    "mineral": mid,
                    "intensity": v,
                    "unit": unit,
                    "intensity_t": v * f,
                }
            )
    if problems:
        raise DataError(problems)
    return pd.DataFrame(out, columns=[*BOM_COLUMNS, "intensity_t"])


def read_production_plan(path: str | Path) -> pd.DataFrame:
    """Read a production plan (CSV or YAML): ``product``, ``year``, ``units``.

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp(); p = os.path.join(d, "plan.yaml")
    >>> _ = open(p, "w").write("- {product: srv, year: 2030, units: 1000}\\n")
    >>> read_production_plan(p).values.tolist()
    [['srv', 2030, 1000.0]]
    """
    p = Path(path)
    file = str(p)
    recs, lines = _read_records(p, PLAN_COLUMNS)
    problems: list[Problem] = []
    seen: dict[tuple[str, int], int] = {}
    out = []
    for rec, line in zip(recs, lines, strict=True):
        start = len(problems)
        prod = str(rec["product"]).strip()
        if not prod:
            problems.append(Problem(file, line, "product", "a product name"))
        y = _number(rec["year"])
        if y is None or y != int(y) or not 1900 <= y <= 2200:
            problems.append(Problem(file, line, "year", "a year (integer)", rec["year"]))
        u = _number(rec["units"])
        if u is None or u < 0:
            problems.append(Problem(file, line, "units", "a non-negative number", rec["units"]))
        if y is not None and y == int(y):
            key = (prod, int(y))
            if key in seen:
                problems.append(
                    Problem(file, line, "year", f"one row per (product, year); line {seen[key]}")
                )
            else:
                seen[key] = line
        if len(problems) == start and y is not None and u is not None:
            out.append({"product": prod, "year": int(y), "units": u})
    if problems:
        raise DataError(problems)
    return pd.DataFrame(out, columns=list(PLAN_COLUMNS))


def company_demand(bom: pd.DataFrame, plan: pd.DataFrame) -> pd.DataFrame:
    """Tonnes of each mineral the plan needs: product, mineral, year, demand_t.

    Raises
    ------
    DataError
        When the plan names a product the bill of materials does not cover.

    Examples
    --------
    >>> bom = pd.DataFrame({"product": ["srv"] * 2, "component": ["a", "b"],
    ...     "mineral": ["gold", "gold"], "intensity": [1.0, 2.0], "unit": ["g/unit"] * 2,
    ...     "intensity_t": [1e-6, 2e-6]})
    >>> plan = pd.DataFrame({"product": ["srv"], "year": [2030], "units": [1e6]})
    >>> company_demand(bom, plan).values.tolist()
    [['srv', 'gold', 2030, 3.0]]
    """
    missing = sorted(set(plan["product"]) - set(bom["product"]))
    if missing:
        raise DataError(
            [
                Problem("production plan", None, "product", "a product of the BOM", p)
                for p in missing
            ]
        )
    m = plan.merge(bom, on="product")
    m["demand_t"] = m["units"] * m["intensity_t"]
    out = m.groupby(["product", "mineral", "year"], as_index=False, sort=True)["demand_t"].sum()
    out["year"] = out["year"].astype(int)
    return pd.DataFrame(out[["product", "mineral", "year", "demand_t"]])


def _top_producers(ds: Dataset, mineral: str, stage: str | None, n: int = 3) -> str:
    from critmin.metrics.concentration import shares

    if not stage:
        return ""
    rows = shares(ds.supply(mineral, stage))
    rows = rows[rows["entity_kind"] == "country"].head(n)
    return ", ".join(f"{e} {s:.0%}" for e, s in zip(rows["entity"], rows["share"], strict=True))


def company_exposure(bom: pd.DataFrame, plan: pd.DataFrame, ds: Dataset) -> pd.DataFrame:
    """Per product and mineral: demand over the plan and the mineral's supply concentration.

    Columns: product, mineral, demand_t (sum over the plan's years), first_year, last_year,
    bottleneck (the more concentrated stage, from
    :func:`critmin.metrics.concentration.bottleneck`), hhi, top_producers (top three
    countries at that stage with shares), china_share (of that stage), data_year.
    """
    from critmin.metrics.concentration import bottleneck, concentration_table

    dem = company_demand(bom, plan)
    agg = dem.groupby(["product", "mineral"], as_index=False).agg(
        demand_t=("demand_t", "sum"), first_year=("year", "min"), last_year=("year", "max")
    )
    minerals = sorted(agg["mineral"].unique())
    table = concentration_table(ds, minerals=minerals)
    bn = bottleneck(table)
    recs = []
    for _, b in bn.iterrows():
        stage = b["bottleneck"]
        st = table[(table["mineral"] == b["mineral"]) & (table["stage"] == stage)]
        recs.append(
            {
                "mineral": b["mineral"],
                "bottleneck": stage,
                "hhi": b["hhi"],
                "top_producers": _top_producers(ds, str(b["mineral"]), stage),
                "china_share": float(st["china_share"].iloc[0]) if len(st) else float("nan"),
                "data_year": st["year"].iloc[0] if len(st) else pd.NA,
            }
        )
    conc = pd.DataFrame(recs)
    out = agg.merge(conc, on="mineral", how="left")
    return out.sort_values(["product", "demand_t"], ascending=[True, False]).reset_index(drop=True)
