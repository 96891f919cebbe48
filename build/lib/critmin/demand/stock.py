"""Installed base and end of life of AI hardware: an inflow-driven dynamic stock model.

Mineral mass entering use each year (per mineral and hardware component) is tracked as cohorts
that retire according to a lifetime distribution per component class (normal or Weibull,
:file:`lifetimes.csv`). The stock model is flodym's :class:`flodym.InflowDrivenDSM` (one run per
distribution family); :func:`recoverable` turns retirements into metal that could come back,
with per-mineral rates from :file:`recycling.csv`.

Timing convention (flodym's default): a cohort enters use in the middle of its year; stocks are
counted at the end of each year; a year's outflow is everything retired during that year. Mass
balance ``inflow - outflow = stock(t) - stock(t-1)`` holds exactly (stock before the first year
is zero). Lifetimes are in years and years must be consecutive integers.

Default recovery rate
---------------------
``recycling.csv`` carries, per mineral, the UNEP/IRP (2011) end-of-life recycling rate (EoL-RR)
range, the EU 2023 end-of-life recycling input rate (EoL-RIR) and, for Li/Co/Ni/Cu, the EU
Batteries Regulation recovery target. The default rate applied to retired AI hardware is the
**lower end of the UNEP EoL-RR range**, read as a combined collection × recovery figure:

* EoL-RR is what :func:`recoverable` needs — the share of metal in end-of-life products that is
  functionally recycled — and it already includes collection losses.
* The EU EoL-RIR is the share of *input* that comes from end-of-life scrap; it is diluted by
  demand growth and by primary supply, so it is not a rate to apply to outflows. It is used only
  as a lower-bound proxy where UNEP gives no EoL-RR (graphite, silicon, molybdenum, vanadium,
  magnesium).
* No sourced collection rate for data-centre hardware nor per-metal process recovery yields were
  found (only battery targets and company claims), so collection × recovery cannot be the
  default. Pass ``collection=`` and ``recovery=`` to :func:`recoverable` to use it.
* UNEP's figures cover all end uses; electronics are lower (gold: 10–15 % in electronics vs
  70–90 % in industrial uses), hence the lower end, and for gold the electronics figure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

import flodym as fd
import numpy as np
import pandas as pd
import xarray as xr
from scipy.optimize import brentq
from scipy.special import gammaln

from critmin.data.catalogue import MINERAL_IDS
from critmin.data.errors import DataError, Problem

#: Component classes of the demand layer (names must match exactly).
COMPONENTS: tuple[str, ...] = (
    "accelerator package and HBM",
    "server boards",
    "networking cables",
    "optical transceivers",
    "power conversion (GaN/SiC)",
    "rack batteries/UPS",
    "cooling",
    "fans/pumps/drives (NdFeB magnets)",
    "data-centre electrical systems",
    "grid connection (transformers)",
)

#: Component ids used by :mod:`critmin.demand.bom` (intensities table) → names above; inputs may
#: use either, outputs keep the labels given.
COMPONENT_IDS: dict[str, str] = {
    "accelerator_hbm": "accelerator package and HBM",
    "server_boards": "server boards",
    "network_cables": "networking cables",
    "optical_transceivers": "optical transceivers",
    "power_conversion": "power conversion (GaN/SiC)",
    "rack_batteries_ups": "rack batteries/UPS",
    "cooling": "cooling",
    "fans_pumps_drives": "fans/pumps/drives (NdFeB magnets)",
    "dc_electrical": "data-centre electrical systems",
    "grid_connection": "grid connection (transformers)",
}

#: Lifetime distribution families supported.
DISTRIBUTIONS: tuple[str, ...] = ("normal", "weibull")

LIFETIME_COLUMNS: tuple[str, ...] = (
    "component",
    "distribution",
    "mean_low",
    "mean_central",
    "mean_high",
    "std_central",
    "status",
    "source",
)
LIFETIME_STATUSES: tuple[str, ...] = ("sourced", "modelled")

RECYCLING_COLUMNS: tuple[str, ...] = (
    "mineral",
    "eol_rr_low",
    "eol_rr_high",
    "eol_rr_source",
    "eu_eol_rir",
    "eu_eol_rir_source",
    "recovery_target",
    "recovery_target_source",
    "default_rate",
    "default_basis",
    "status",
)
RECYCLING_STATUSES: tuple[str, ...] = ("sourced", "derived", "proxy")
#: Where the default rate comes from (the column that must then be filled and sourced).
DEFAULT_BASES: dict[str, str] = {
    "unep_eol_rr_low": "eol_rr_low",
    "unep_electronics": "eol_rr_low",
    "eu_eol_rir_proxy": "eu_eol_rir",
}

#: World e-waste documented as collected and recycled in 2022 (Global E-waste Monitor 2024,
#: ITU/UNITAR; market_params.csv): a possible ``collection=`` for :func:`recoverable`.
EWASTE_COLLECTION_WORLD = 0.223
#: Same for Europe (Global E-waste Monitor 2024 via theewastecolumn.com).
EWASTE_COLLECTION_EUROPE = 0.428

Variant = Literal["low", "central", "high"]
DIMS: tuple[str, ...] = ("year", "mineral", "component")


@dataclass(frozen=True)
class StockResult:
    """Result of :func:`stock_model`: mineral mass (t) by (year, mineral, component[, case]).

    ``stock`` is the in-use stock at the end of each year, ``outflow`` the mass retired during
    each year, ``inflow`` the input as given (aligned and filled with zeros).
    """

    stock: xr.DataArray
    outflow: xr.DataArray
    inflow: xr.DataArray

    def to_dataset(self) -> xr.Dataset:
        """The three arrays as one :class:`xarray.Dataset`.

        Examples
        --------
        >>> inflow = xr.DataArray(
        ...     [[[1.0]], [[0.0]]],
        ...     coords={"year": [2025, 2026], "mineral": ["copper"], "component": ["cooling"]},
        ...     dims=DIMS,
        ... )
        >>> sorted(stock_model(inflow).to_dataset().data_vars)
        ['inflow', 'outflow', 'stock']
        """
        return xr.Dataset({"stock": self.stock, "outflow": self.outflow, "inflow": self.inflow})


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------


def _default_path(name: str) -> Path:
    return Path(str(resources.files("critmin.demand") / name))


def _read_csv(path: str | Path | None, default: str, columns: tuple[str, ...]) -> tuple[
    pd.DataFrame, str
]:  # fmt: skip
    p = Path(path) if path is not None else _default_path(default)
    name = str(p)
    try:
        df = pd.read_csv(p, dtype=str, keep_default_na=False)
    except FileNotFoundError as e:
        raise DataError([Problem(name, None, None, "an existing CSV file")]) from e
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise DataError([Problem(name, None, None, "a readable CSV file", str(e))]) from e
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError([Problem(name, 1, c, "this column in the header") for c in missing])
    df = df.map(lambda v: str(v).strip())
    return df, name


def _number(
    problems: list[Problem], name: str, row: int, fld: str, text: str, *, optional: bool = False
) -> float | None:
    """Parse a finite number; record a problem and return None when it is not one."""
    if text == "" and optional:
        return None
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not math.isfinite(value):
        problems.append(Problem(name, row, fld, "a number", text))
        return None
    return value


def _validate_lifetimes(df: pd.DataFrame, name: str) -> pd.DataFrame:
    problems: list[Problem] = []
    out: list[dict[str, object]] = []
    seen: set[str] = set()
    for i, rec in enumerate(df.to_dict(orient="records")):
        row = i + 2
        r = {str(k): str(v).strip() for k, v in rec.items()}
        n0 = len(problems)
        comp = COMPONENT_IDS.get(r["component"], r["component"])
        r["component"] = comp
        if comp not in COMPONENTS:
            problems.append(
                Problem(name, row, "component", "one of " + "; ".join(COMPONENTS), comp)
            )
        elif comp in seen:
            problems.append(Problem(name, row, "component", "one row per component", comp))
        seen.add(comp)
        dist = r["distribution"].lower()
        if dist not in DISTRIBUTIONS:
            problems.append(
                Problem(name, row, "distribution", "normal or weibull", r["distribution"])
            )
        vals: dict[str, float | None] = {}
        for fld in ("mean_low", "mean_central", "mean_high", "std_central"):
            v = _number(problems, name, row, fld, r[fld])
            if v is not None and v <= 0:
                problems.append(Problem(name, row, fld, "a positive number of years", r[fld]))
                v = None
            vals[fld] = v
        lo, mid, hi = vals["mean_low"], vals["mean_central"], vals["mean_high"]
        if lo is not None and mid is not None and hi is not None and not lo <= mid <= hi:
            problems.append(
                Problem(
                    name,
                    row,
                    "mean_central",
                    "mean_low ≤ mean_central ≤ mean_high",
                    r["mean_central"],
                )
            )
        if r["status"] not in LIFETIME_STATUSES:
            problems.append(Problem(name, row, "status", "sourced or modelled", r["status"]))
        if not r["source"]:
            problems.append(Problem(name, row, "source", "the source of the lifetime", ""))
        if len(problems) == n0:
            out.append({**r, "distribution": dist, **vals})
    if problems:
        raise DataError(problems)
    if not out:
        raise DataError([Problem(name, None, None, "at least one lifetime row")])
    res = pd.DataFrame(out).set_index("component")
    for c in ("mean_low", "mean_central", "mean_high", "std_central"):
        res[c] = res[c].astype(float)
    return res


def load_lifetimes(path: str | Path | None = None) -> pd.DataFrame:
    """Read a lifetime table (default: the packaged :file:`lifetimes.csv`).

    Columns: component (one of :data:`COMPONENTS`, once each), distribution (normal or weibull),
    mean_low, mean_central, mean_high (years, positive, ordered), std_central (years, positive;
    for the low/high variants the spread scales with the mean), status (sourced or modelled) and
    source (required); other columns (notes) are kept.

    Returns
    -------
    pandas.DataFrame
        Indexed by component.

    Raises
    ------
    DataError
        Naming file, row (header = row 1) and field of every problem; nothing is returned
        from a partly valid file.

    Examples
    --------
    >>> lt = load_lifetimes()
    >>> row = lt.loc["accelerator package and HBM"]
    >>> row["distribution"], float(row["mean_central"]), row["status"]
    ('normal', 5.0, 'sourced')
    """
    df, name = _read_csv(path, "lifetimes.csv", LIFETIME_COLUMNS)
    return _validate_lifetimes(df, name)


def load_recycling(path: str | Path | None = None) -> pd.DataFrame:
    """Read a recycling-rate table (default: the packaged :file:`recycling.csv`).

    Rates are fractions in [0, 1]. Every filled rate needs its source column filled
    (``eol_rr_low``/``eol_rr_high`` → ``eol_rr_source``, ``eu_eol_rir`` → ``eu_eol_rir_source``,
    ``recovery_target`` → ``recovery_target_source``); ``default_rate`` is required and
    ``default_basis`` (unep_eol_rr_low, unep_electronics or eu_eol_rir_proxy) names the column
    it comes from, which must be filled. ``mineral`` is a catalogue id, once each.

    Returns
    -------
    pandas.DataFrame
        Indexed by mineral; empty rates are NaN.

    Raises
    ------
    DataError
        Naming file, row (header = row 1) and field of every problem; nothing is returned
        from a partly valid file.

    Examples
    --------
    >>> rr = load_recycling()
    >>> float(rr.loc["cobalt", "default_rate"]), float(rr.loc["gallium", "default_rate"])
    (0.68, 0.0)
    """
    df, name = _read_csv(path, "recycling.csv", RECYCLING_COLUMNS)
    problems: list[Problem] = []
    out: list[dict[str, object]] = []
    seen: set[str] = set()
    pairs = {
        "eol_rr_low": "eol_rr_source",
        "eol_rr_high": "eol_rr_source",
        "eu_eol_rir": "eu_eol_rir_source",
        "recovery_target": "recovery_target_source",
    }
    for i, rec in enumerate(df.to_dict(orient="records")):
        row = i + 2
        r = {str(k): str(v).strip() for k, v in rec.items()}
        n0 = len(problems)
        mid = r["mineral"]
        if mid not in MINERAL_IDS:
            problems.append(Problem(name, row, "mineral", "a catalogue mineral id", mid))
        elif mid in seen:
            problems.append(Problem(name, row, "mineral", "one row per mineral", mid))
        seen.add(mid)
        vals: dict[str, float] = {}
        for fld in (*pairs, "default_rate"):
            v = _number(problems, name, row, fld, r[fld], optional=fld != "default_rate")
            if v is not None and not 0 <= v <= 1:
                problems.append(Problem(name, row, fld, "a rate in [0, 1]", r[fld]))
            elif v is not None:
                vals[fld] = v
                if fld in pairs and not r[pairs[fld]]:
                    problems.append(Problem(name, row, pairs[fld], f"the source of {fld}", ""))
        if (
            "eol_rr_low" in vals
            and "eol_rr_high" in vals
            and vals["eol_rr_low"] > vals["eol_rr_high"]
        ):
            problems.append(
                Problem(name, row, "eol_rr_high", "eol_rr_low ≤ eol_rr_high", r["eol_rr_high"])
            )
        basis = r["default_basis"]
        if basis not in DEFAULT_BASES:
            problems.append(
                Problem(name, row, "default_basis", "one of " + ", ".join(DEFAULT_BASES), basis)
            )
        elif DEFAULT_BASES[basis] not in vals:
            col = DEFAULT_BASES[basis]
            problems.append(Problem(name, row, col, f"a rate (default_basis is {basis})", r[col]))
        if r["status"] not in RECYCLING_STATUSES:
            problems.append(Problem(name, row, "status", "sourced, derived or proxy", r["status"]))
        if len(problems) == n0:
            out.append({**r, **{k: vals.get(k, np.nan) for k in (*pairs, "default_rate")}})
    if problems:
        raise DataError(problems)
    if not out:
        raise DataError([Problem(name, None, None, "at least one mineral row")])
    res = pd.DataFrame(out).set_index("mineral")
    for c in (*pairs, "default_rate"):
        res[c] = res[c].astype(float)
    return res


# --------------------------------------------------------------------------------------------
# Lifetime distributions
# --------------------------------------------------------------------------------------------


def weibull_params(mean: float, std: float) -> tuple[float, float]:
    """Weibull (shape, scale) with the given mean and standard deviation.

    Solves ``Γ(1+2/k) / Γ(1+1/k)² − 1 = (std/mean)²`` for the shape ``k``; the scale is
    ``mean / Γ(1+1/k)``.

    Examples
    --------
    >>> k, lam = weibull_params(10.0, 3.0)
    >>> round(lam * math.gamma(1 + 1 / k), 9)
    10.0
    """
    if mean <= 0 or std <= 0:
        raise ValueError(f"mean and std must be positive, got {mean}, {std}")
    cv2 = (std / mean) ** 2

    def f(logk: float) -> float:
        k = math.exp(logk)
        return math.exp(gammaln(1 + 2 / k) - 2 * gammaln(1 + 1 / k)) - 1 - cv2

    logk = brentq(f, math.log(0.05), math.log(200.0), xtol=1e-14, rtol=1e-14, maxiter=500)
    k = math.exp(logk)
    return k, mean / math.exp(gammaln(1 + 1 / k))


def _lifetime_table(lifetimes: pd.DataFrame | str | Path | None) -> pd.DataFrame:
    if lifetimes is None or isinstance(lifetimes, str | Path):
        return load_lifetimes(lifetimes)
    df = lifetimes.reset_index() if "component" not in lifetimes.columns else lifetimes
    missing = [c for c in LIFETIME_COLUMNS if c not in df.columns]
    if missing:
        raise DataError([Problem("<lifetimes table>", None, c, "this column") for c in missing])
    return _validate_lifetimes(df.astype(str), "<lifetimes table>")


# --------------------------------------------------------------------------------------------
# Stock model
# --------------------------------------------------------------------------------------------


def _as_inflow(inflow: xr.DataArray | pd.DataFrame) -> xr.DataArray:
    if isinstance(inflow, pd.DataFrame):
        df = inflow.reset_index() if not set(DIMS) <= set(inflow.columns) else inflow
        keys = [c for c in (*DIMS, "case") if c in df.columns]
        if not set(DIMS) <= set(keys):
            raise ValueError(f"inflow needs columns {DIMS} (and optionally 'case')")
        rest = [c for c in df.columns if c not in keys and c != "index"]
        if len(rest) != 1:
            raise ValueError(f"inflow needs exactly one value column besides {keys}, got {rest}")
        if df.duplicated(keys).any():
            raise ValueError(f"inflow has repeated {keys} rows")
        da = df.set_index(keys)[rest[0]].astype(float).to_xarray().fillna(0.0)
    elif isinstance(inflow, xr.DataArray):
        da = inflow.astype(float)
    else:
        raise TypeError("inflow must be an xarray.DataArray or a pandas.DataFrame")
    dims = (*DIMS, "case") if "case" in da.dims else DIMS
    if set(da.dims) != set(dims):
        raise ValueError(f"inflow dims must be {DIMS} plus optional 'case', got {da.dims}")
    da = da.transpose(*dims).sortby("year")
    years = np.asarray(da["year"].values)
    if (
        years.size < 1
        or not np.all(np.equal(np.mod(years, 1), 0))
        or not np.all(np.diff(years) == 1)
    ):
        raise ValueError("inflow years must be consecutive integers")
    if not np.all(np.isfinite(da.values)):
        raise ValueError("inflow has NaN or infinite values")
    if np.any(da.values < 0):
        raise ValueError("inflow has negative values")
    unknown = [
        str(c) for c in da["component"].values if c not in COMPONENTS and c not in COMPONENT_IDS
    ]
    if unknown:
        raise ValueError(f"unknown components {unknown}; known: {list(COMPONENTS)}")
    da = da.assign_coords(year=years.astype(int))
    da.attrs = {"units": "t"}
    da.name = "inflow"
    return da


def stock_model(
    inflow: xr.DataArray | pd.DataFrame,
    lifetimes: pd.DataFrame | str | Path | None = None,
    *,
    variant: Variant = "central",
) -> StockResult:
    """In-use stock and retirements of mineral mass from annual inflows (flodym DSM).

    Parameters
    ----------
    inflow
        Mineral mass (t) entering use, dims ``(year, mineral, component[, case])``; or a long
        DataFrame with those columns (or index levels) and one value column. Years must be
        consecutive integers; missing rows of a DataFrame count as zero.
    lifetimes
        A table like :func:`load_lifetimes` returns, or a path to one; default the packaged
        :file:`lifetimes.csv`. Every component of ``inflow`` needs a row.
    variant
        Which mean lifetime to use: ``mean_low``, ``mean_central`` or ``mean_high``; the spread
        scales with the mean (constant coefficient of variation).

    Returns
    -------
    StockResult
        ``stock`` (end of year), ``outflow`` (retired in the year) and ``inflow``, in t, with
        dims ``(year, mineral, component[, case])``.

    Examples
    --------
    >>> years = list(range(2025, 2061))
    >>> q = np.zeros((len(years), 1, 1))
    >>> q[0] = 100.0  # one pulse of 100 t of gallium in accelerators
    >>> inflow = xr.DataArray(
    ...     q,
    ...     coords={"year": years, "mineral": ["gallium"],
    ...             "component": ["accelerator package and HBM"]},
    ...     dims=DIMS,
    ... )
    >>> res = stock_model(inflow)
    >>> round(float(res.outflow.sum()), 6)
    100.0
    >>> int(res.outflow.idxmax("year").item())  # mean accelerator life: 5 years
    2030
    """
    da = _as_inflow(inflow)
    table = _lifetime_table(lifetimes)
    comps = [COMPONENT_IDS.get(str(c), str(c)) for c in da["component"].values]
    lacking = [c for c in comps if c not in table.index]
    if lacking:
        raise ValueError(f"no lifetime for components {lacking}")
    mean = table[f"mean_{variant}"].astype(float)
    std = table["std_central"] * mean / table["mean_central"]

    stock = np.zeros(da.shape)
    outflow = np.zeros(da.shape)
    ci = list(da.dims).index("component")
    # flodym derives year bounds from neighbouring years and needs at least three: pad with
    # zero-inflow years at the end (later years never affect earlier ones) and trim afterwards.
    n_t = da.sizes["year"]
    pad = max(0, 3 - n_t)
    years = [int(y) for y in da["year"].values] + [
        int(da["year"].values[-1]) + i for i in range(1, pad + 1)
    ]
    for dist in DISTRIBUTIONS:
        idx = [i for i, c in enumerate(comps) if table.loc[c, "distribution"] == dist]
        if not idx:
            continue
        sub = da.isel(component=idx)
        values = np.asarray(sub.values, dtype=float)
        pad_width = [(0, pad)] + [(0, 0)] * (values.ndim - 1)
        letters = {"year": "t", "mineral": "m", "component": "c", "case": "k"}
        dim_list = [
            fd.Dimension(
                name=str(d),
                letter=letters[str(d)],
                items=years if d == "year" else list(sub[d].values),
            )
            for d in sub.dims
        ]
        dims = fd.DimensionSet(dim_list=dim_list)
        names = [comps[i] for i in idx]
        m_c = mean.loc[names].to_numpy()
        s_c = std.loc[names].to_numpy()
        if dist == "normal":
            lt: fd.LifetimeModel = fd.NormalLifetime(
                dims=dims,
                mean=fd.FlodymArray(dims=dims[("c",)], values=m_c),
                std=fd.FlodymArray(dims=dims[("c",)], values=s_c),
            )
        else:
            ks = np.array(
                [weibull_params(float(m), float(s)) for m, s in zip(m_c, s_c, strict=True)]
            )
            lt = fd.WeibullLifetime(
                dims=dims,
                weibull_shape=fd.FlodymArray(dims=dims[("c",)], values=ks[:, 0]),
                weibull_scale=fd.FlodymArray(dims=dims[("c",)], values=ks[:, 1]),
            )
        dsm = fd.InflowDrivenDSM(
            dims=dims,
            inflow=fd.StockArray(dims=dims, values=np.pad(values, pad_width)),
            lifetime_model=lt,
        )
        if np.any(values):
            dsm.compute()
            assert dsm.stock is not None and dsm.outflow is not None
            sel: list[slice | list[int]] = [slice(None)] * da.ndim
            sel[ci] = idx
            stock[tuple(sel)] = dsm.stock.values[:n_t]
            outflow[tuple(sel)] = dsm.outflow.values[:n_t]

    def wrap(values: np.ndarray, name: str) -> xr.DataArray:
        return xr.DataArray(values, coords=da.coords, dims=da.dims, name=name, attrs={"units": "t"})

    return StockResult(stock=wrap(stock, "stock"), outflow=wrap(outflow, "outflow"), inflow=da)


# --------------------------------------------------------------------------------------------
# Recovery
# --------------------------------------------------------------------------------------------

RateLike = float | Mapping[str, float] | xr.DataArray | pd.Series


def _rate_array(rate: RateLike, name: str) -> xr.DataArray | float:
    if isinstance(rate, pd.Series):
        rate = xr.DataArray(
            rate.astype(float).to_numpy(), coords={"mineral": list(rate.index)}, dims="mineral"
        )
    elif isinstance(rate, Mapping):
        rate = xr.DataArray(
            [float(v) for v in rate.values()], coords={"mineral": list(rate)}, dims="mineral"
        )
    vals = np.asarray(rate.values if isinstance(rate, xr.DataArray) else rate, dtype=float)
    if not np.all(np.isfinite(vals)) or np.any(vals < 0) or np.any(vals > 1):
        raise ValueError(f"{name} must be rates in [0, 1]")
    return rate if isinstance(rate, xr.DataArray) else float(rate)


def recoverable(
    outflow: xr.DataArray,
    rates: RateLike | pd.DataFrame | None = None,
    collection: RateLike | None = None,
    recovery: RateLike | None = None,
) -> xr.DataArray:
    """Metal (t) that could come back from retired hardware: ``outflow × rate``.

    Parameters
    ----------
    outflow
        Retirements, e.g. ``stock_model(...).outflow``; needs a ``mineral`` dim.
    rates
        Combined end-of-life rate per mineral: a float, a mapping or Series by mineral, a
        DataArray (may also vary by component or case), or a table like :func:`load_recycling`
        returns (its ``default_rate`` is used). Default: the packaged :file:`recycling.csv`
        default (lower end of UNEP/IRP 2011 EoL-RR, see the module docstring).
    collection, recovery
        Instead of ``rates``: the rate is ``collection × recovery`` (a missing factor counts as
        1). Same forms as ``rates``, e.g. ``collection=EWASTE_COLLECTION_WORLD``.

    Returns
    -------
    xarray.DataArray
        Same dims as ``outflow``. Minerals with no rate get 0 and are listed in
        ``attrs["minerals_without_rate"]``.

    Examples
    --------
    >>> out = xr.DataArray([10.0, 10.0], coords={"mineral": ["cobalt", "gallium"]}, dims="mineral")
    >>> recoverable(out).round(9).values.tolist()
    [6.8, 0.0]
    >>> recoverable(out, collection=0.5, recovery=0.9).round(9).values.tolist()
    [4.5, 4.5]
    """
    if "mineral" not in outflow.dims:
        raise ValueError("outflow needs a 'mineral' dim")
    if rates is not None and (collection is not None or recovery is not None):
        raise ValueError("give either rates or collection/recovery, not both")
    rate: xr.DataArray | float
    if collection is not None or recovery is not None:
        c = _rate_array(collection, "collection") if collection is not None else 1.0
        r = _rate_array(recovery, "recovery") if recovery is not None else 1.0
        rate = c * r
    elif rates is None or isinstance(rates, pd.DataFrame):
        table = load_recycling() if rates is None else rates
        rate = _rate_array(table["default_rate"], "rates")
    else:
        rate = _rate_array(rates, "rates")
    minerals = [str(m) for m in outflow["mineral"].values]
    without: list[str] = []
    if isinstance(rate, xr.DataArray) and "mineral" in rate.dims:
        known = {str(m) for m in rate["mineral"].values}
        without = [m for m in minerals if m not in known]
        rate = rate.reindex(mineral=minerals, fill_value=0.0)
    res = (outflow * rate).transpose(*outflow.dims, ...)
    res.name = "recoverable"
    res.attrs = {"units": outflow.attrs.get("units", "t"), "minerals_without_rate": without}
    return res
