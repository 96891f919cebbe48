"""The EU 2017 criticality method (guidelines doi 10.2873/769526; the 2020 and 2023 EU lists).

Supply risk per stage (extraction = ``mine``, processing = ``refine``)::

    HHI_WGI,t = Σ_c S_c² · WGI_c · t_c                      (S_c fraction, WGI_c on 0–10)
    SR = [HHI_GS · IR/2 + HHI_sourcing · (1 − IR/2)] · (1 − EoL_RIR) · SI_SR

with the global-supply-only or sourcing-only form when one term is missing, the material's
SR the larger of the stage SRs (the bottleneck), and a material critical when SR ≥ 1.0 and
EI ≥ 2.8 (REFERENCE §2.1). The pure functions (:func:`hhi_wgi_t`, :func:`supply_risk`,
:func:`economic_importance`, :func:`is_critical`) carry the maths; :func:`eu_assessment`
applies them to critmin's data and says, row by row, which inputs are proxies or the method's
neutral defaults (docs/decisions/0007-eu-and-usgs-style.md).

Examples
--------
>>> h = hhi_wgi_t({"CHN": 0.98, "ROW": 0.02}, {"CHN": 6.0, "ROW": 3.0})
>>> round(h.value, 4)
5.7636
>>> round(supply_risk(h.value, 5.0, ir=0.98, eol_rir=0.0, si_sr=0.98), 4)
5.2667
>>> is_critical(3.9, 3.7), is_critical(0.1, 4.0), is_critical(2.0, float("nan"))
(True, False, None)
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from critmin.data.catalogue import MINERALS, Mineral
from critmin.data.dataset import Dataset
from critmin.data.errors import DataError, Problem
from critmin.metrics.concentration import shares as stage_shares
from critmin.metrics.governance import eu_weights
from critmin.metrics.import_reliance import ImportReliance, us_import_reliance
from critmin.metrics.import_shares import us_import_shares

#: Stages of the EU method as critmin names them (extraction, processing).
STAGES: tuple[str, ...] = ("mine", "refine")
#: EU thresholds (REFERENCE §2.1): critical if SR ≥ 1.0 and EI ≥ 2.8.
SR_THRESHOLD = 1.0
EI_THRESHOLD = 2.8
#: The method's neutral defaults for an input that is not sourced.
DEFAULT_T = 1.0
DEFAULT_EOL_RIR = 0.0
DEFAULT_SI_SR = 1.0
#: HHI_WGI weight for a country absent from the WGI when no other weight is given (mid-scale).
DEFAULT_WGI = 5.0

EI_MISSING = "insufficient data: EI needs end-use shares by NACE sector and value added"
PARAMETER_COLUMNS = ("parameter", "mineral", "stage", "country", "value", "source", "proxy")
PARAMETER_KINDS = ("t", "eol_rir", "si_sr")

Sourcing = Literal["import_shares", "gs_only", "equal_shares"]
Numbers = Mapping[str, float] | pd.Series


# --------------------------------------------------------------------------------------------
# Pure functions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HhiWgi:
    """A governance- and trade-weighted concentration with the countries whose WGI was imputed.

    ``float(h)`` gives the value.
    """

    value: float
    imputed: tuple[str, ...] = ()
    impute_value: float | None = None

    def __float__(self) -> float:
        return self.value


def _as_series(values: Numbers, name: str) -> pd.Series:
    s = values.astype(float) if isinstance(values, pd.Series) else pd.Series(dict(values))
    s = s.astype(float)
    if not s.index.is_unique:
        dup = sorted({str(c) for c in s.index[s.index.duplicated()]})
        raise ValueError(f"{name}: each country once; repeated: {', '.join(dup)}")
    return s


def hhi_wgi_t(
    shares: Numbers, wgi: Numbers, t: Numbers | None = None, *, impute: float | None = None
) -> HhiWgi:
    """``Σ_c S_c² · WGI_c · t_c``, the EU governance- and trade-weighted HHI.

    Parameters
    ----------
    shares
        Share of each supplier as a fraction (0–1, summing to at most 1); NaN shares (withheld
        figures) are left out.
    wgi
        EU governance weight per supplier on 0–10 (10 = worst), e.g. from
        :func:`critmin.metrics.governance.eu_weights`.
    t
        Trade parameter per supplier; a supplier without one gets the neutral ``t = 1``.
    impute
        Weight for a supplier missing from ``wgi``; by default the median of ``wgi`` (as
        :func:`~critmin.metrics.governance.eu_weights` does), or 5.0 when ``wgi`` is empty.
        Imputed suppliers are listed in the result, never silently NaN.

    Returns
    -------
    HhiWgi
        The value (between 0 and ``max(WGI·t)``) and the suppliers whose weight was imputed.

    Examples
    --------
    >>> round(hhi_wgi_t({"CHN": 0.98, "ROW": 0.02}, {"CHN": 6.0, "ROW": 3.0}).value, 4)  # §2.5
    5.7636
    >>> h = hhi_wgi_t({"CHN": 0.5, "XXX": 0.5}, {"CHN": 6.0, "USA": 2.0}, {"CHN": 1.1})
    >>> round(h.value, 3), h.imputed, h.impute_value
    (2.65, ('XXX',), 4.0)
    """
    s = _as_series(shares, "shares").dropna()
    if (s < 0).any():
        raise ValueError("shares must be fractions ≥ 0")
    if float(s.sum()) > 1.0 + 1e-9:
        raise ValueError(f"shares must sum to at most 1 (fractions, not percent); got {s.sum():g}")
    w = _as_series(wgi, "wgi")
    if impute is None:
        impute = float(np.nanmedian(w.to_numpy())) if w.notna().any() else DEFAULT_WGI
    ws = w.reindex(s.index)
    imputed = tuple(sorted(str(c) for c in ws.index[ws.isna()]))
    ws = ws.fillna(impute)
    if t is None:
        ts = pd.Series(DEFAULT_T, index=s.index)
    else:
        ts = _as_series(t, "t").reindex(s.index).fillna(DEFAULT_T)
        if (ts < 0).any():
            raise ValueError("trade parameters t must be ≥ 0")
    value = float((s.pow(2) * ws * ts).sum())
    return HhiWgi(value, imputed, impute if imputed else None)


def _missing(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _fraction(x: float, name: str) -> float:
    x = float(x)
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"{name} must be a fraction in [0, 1]; got {x:g}")
    return x


def supply_risk(
    hhi_gs: float | None,
    hhi_sourcing: float | None,
    ir: float | None,
    eol_rir: float = DEFAULT_EOL_RIR,
    si_sr: float = DEFAULT_SI_SR,
) -> float:
    """EU supply risk of one stage.

    ``SR = [HHI_GS · IR/2 + HHI_sourcing · (1 − IR/2)] · (1 − EoL_RIR) · SI_SR``. When only
    one of the two HHI terms exists (None or NaN for the other), that term alone is used — the
    "GSonly"/"EUonly" cases of the 2023 tables — and IR is then not needed.

    Parameters
    ----------
    hhi_gs, hhi_sourcing
        :func:`hhi_wgi_t` of global supply and of the importer's actual sourcing.
    ir
        Import reliance as a fraction (0–1); required only when both terms are given.
    eol_rir
        End-of-life recycling input rate, fraction 0–1 (neutral default 0).
    si_sr
        Substitution index for supply risk, 0–1 (neutral default 1 = no substitute).

    Returns
    -------
    float
        The supply risk; NaN when neither HHI term exists.

    Raises
    ------
    ValueError
        For both terms without an IR, or IR, EoL-RIR or SI_SR outside [0, 1].

    Examples
    --------
    >>> round(supply_risk(5.7636, 5.0, 0.98, 0.0, 0.98), 4)  # REFERENCE §2.5
    5.2667
    >>> supply_risk(2.0, None, None, 0.5, 1.0)  # global supply only
    1.0
    """
    eol = _fraction(eol_rir, "eol_rir")
    si = _fraction(si_sr, "si_sr")
    gs_missing, src_missing = _missing(hhi_gs), _missing(hhi_sourcing)
    if gs_missing and src_missing:
        return float("nan")
    if src_missing:
        core = float(hhi_gs)  # type: ignore[arg-type]
    elif gs_missing:
        core = float(hhi_sourcing)  # type: ignore[arg-type]
    else:
        if _missing(ir):
            raise ValueError("ir is required when both the GS and the sourcing term are given")
        f = _fraction(ir, "ir")  # type: ignore[arg-type]
        core = float(hhi_gs) * f / 2.0 + float(hhi_sourcing) * (1.0 - f / 2.0)  # type: ignore[arg-type]
    return core * (1.0 - eol) * si


def economic_importance(
    shares_by_sector: Mapping[str, float], value_added: Mapping[str, float], si_ei: float
) -> float:
    """EU economic importance ``EI = 10 · Σ_s(A_s · Q_s) / max_s(Q_s) · SI_EI``.

    This is the normaliser of the teaching-app implementation (REFERENCE §2.1, scaling step
    of confidence M): some descriptions divide by ΣQ instead of max Q. It is pending a check
    against §3 of the guidelines PDF (doi 10.2873/769526); do not quote results as the EU's.

    Parameters
    ----------
    shares_by_sector
        ``A_s``: share (0–1) of the raw material's end use in NACE Rev.2 2-digit sector ``s``.
    value_added
        ``Q_s``: value added of every NACE 2-digit sector considered; the largest of them is
        the normaliser, so include all sectors, not only the material's.
    si_ei
        Substitution index for EI (0–1, 1 = no substitute).

    Examples
    --------
    >>> round(economic_importance({"C26": 0.6, "C27": 0.4},
    ...                           {"C26": 80.0, "C27": 50.0, "C29": 100.0}, 0.9), 3)
    6.12
    """
    si = _fraction(si_ei, "si_ei")
    if not value_added:
        raise ValueError("value_added must list at least one sector")
    missing = sorted(set(shares_by_sector) - set(value_added))
    if missing:
        raise ValueError(f"no value added for sector(s) {', '.join(missing)}")
    qmax = max(float(v) for v in value_added.values())
    if qmax <= 0:
        raise ValueError("the largest sector value added must be positive")
    total = sum(_fraction(a, f"share of {s}") * float(value_added[s])
                for s, a in shares_by_sector.items())  # fmt: skip
    return 10.0 * total / qmax * si


def is_critical(
    sr: float | None,
    ei: float | None,
    *,
    sr_threshold: float = SR_THRESHOLD,
    ei_threshold: float = EI_THRESHOLD,
) -> bool | None:
    """EU classification: critical if SR ≥ 1.0 and EI ≥ 2.8; None when SR or EI is unknown.

    Copper (SR 0.1) and nickel (SR 0.5) fall below the SR threshold in the 2023 assessment
    and are therefore not critical by the thresholds, yet the Critical Raw Materials Act
    (Regulation (EU) 2024/1252) lists them as *strategic* raw materials (REFERENCE §2.1).

    Examples
    --------
    >>> is_critical(1.8, 3.4), is_critical(0.5, 5.7), is_critical(None, 3.0)
    (True, False, None)
    """
    if _missing(sr) or _missing(ei):
        return None
    return bool(float(sr) >= sr_threshold and float(ei) >= ei_threshold)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sourced:
    """A parameter value with where it comes from (and, if it is a proxy, why)."""

    value: float
    source: str
    proxy: str = ""


@dataclass(frozen=True)
class EIInputs:
    """What :func:`economic_importance` needs for one mineral (critmin ships none)."""

    shares_by_sector: Mapping[str, float]
    value_added: Mapping[str, float]
    si_ei: float
    source: str


@dataclass(frozen=True)
class EUParameters:
    """Parameters of :func:`eu_assessment`.

    Attributes
    ----------
    trade
        ``(mineral, stage, ISO3) → t``; stage ``"*"`` applies to every stage. Countries not
        listed get ``t = 1``.
    eol_rir, si_sr
        Per mineral; not listed → 0 and 1 (the method's neutral defaults).
    ei_inputs
        Per mineral; not listed → EI unknown (NaN), never invented.
    sourcing
        ``"import_shares"`` (default): for importer USA the sourcing mix is US domestic
        ``1 − IR`` plus ``IR`` split by the USGS import shares of the source countries
        (:func:`~critmin.metrics.import_shares.us_import_shares`, 2021–24 from MCS 2026);
        where no shares exist, IR is unknown or the US is a net exporter, the stage falls back
        to the global-supply form (stated in ``sourcing`` and ``notes``). ``"gs_only"``: the
        sourcing term is left out. ``"equal_shares"``: a PROXY mix with ``IR`` split equally
        over the USGS major import sources (the pre-2026 releases give their order only).
    """

    trade: Mapping[tuple[str, str, str], Sourced] = field(default_factory=dict)
    eol_rir: Mapping[str, Sourced] = field(default_factory=dict)
    si_sr: Mapping[str, Sourced] = field(default_factory=dict)
    ei_inputs: Mapping[str, EIInputs] = field(default_factory=dict)
    sourcing: Sourcing = "import_shares"

    def with_trade(
        self, mineral: str, stage: str, country: str, t: float, source: str = "user override"
    ) -> EUParameters:
        """A copy with one trade parameter set (stage ``"*"`` = every stage).

        Examples
        --------
        >>> p = EUParameters().with_trade("gallium", "refine", "CHN", 1.5)
        >>> p.trade_for("gallium", "refine")[0]
        {'CHN': 1.5}
        """
        if t < 0 or not math.isfinite(t):
            raise ValueError(f"t must be a finite number ≥ 0; got {t}")
        trade = dict(self.trade)
        trade[(mineral, stage, country.upper())] = Sourced(float(t), source)
        return replace(self, trade=trade)

    def trade_for(self, mineral: str, stage: str) -> tuple[dict[str, float], list[str]]:
        """``{ISO3: t}`` of one mineral and stage (a stage-specific value beats ``"*"``)."""
        out: dict[str, float] = {}
        src: list[str] = []
        for want in ("*", stage):
            for (m, s, c), v in self.trade.items():
                if m == mineral and s == want:
                    out[c] = v.value
                    src.append(v.source)
        return out, src


def default_parameters_path() -> Path:
    """The parameter table shipped with critmin (``critmin/metrics/eu_parameters.csv``)."""
    return Path(str(resources.files("critmin.metrics") / "eu_parameters.csv"))


def load_parameters(
    path: str | Path | None = None, sourcing: Sourcing = "import_shares"
) -> EUParameters:
    """Read an EU parameter table: columns parameter, mineral, stage, country, value, source.

    ``parameter`` is ``t`` (needs an ISO3 ``country``, value ≥ 0), ``eol_rir`` or ``si_sr``
    (fractions 0–1, no country); ``stage`` is mine, refine or ``*``; ``source`` is required;
    an optional ``proxy`` column says why a value is a stand-in.

    Raises
    ------
    DataError
        Naming file, row (header = row 1) and field of every problem found.

    Examples
    --------
    >>> p = load_parameters()
    >>> p.trade_for("cobalt", "mine")[0], p.eol_rir["cobalt"].value
    ({'COD': 1.1}, 0.22)
    """
    p = Path(path) if path is not None else default_parameters_path()
    name = str(p)
    try:
        df = pd.read_csv(p, dtype=str, keep_default_na=False)
    except FileNotFoundError as e:
        raise DataError([Problem(name, None, None, "an EU parameter CSV file")]) from e
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        raise DataError([Problem(name, None, None, "a readable CSV file", str(e))]) from e
    missing = [c for c in PARAMETER_COLUMNS[:-1] if c not in df.columns]
    if missing:
        raise DataError([Problem(name, 1, c, "this column in the header") for c in missing])
    ids = {m.id for m in MINERALS}
    problems: list[Problem] = []
    trade: dict[tuple[str, str, str], Sourced] = {}
    eol: dict[str, Sourced] = {}
    si: dict[str, Sourced] = {}
    seen: set[tuple[str, str, str, str]] = set()
    for i, rec in enumerate(df.to_dict(orient="records")):
        row = i + 2
        r = {k: str(v).strip() for k, v in rec.items()}
        n0 = len(problems)
        kind, mid, stage, country = r["parameter"], r["mineral"], r["stage"], r["country"]
        if kind not in PARAMETER_KINDS:
            problems.append(Problem(name, row, "parameter", "one of t, eol_rir, si_sr", kind))
        if mid not in ids:
            problems.append(Problem(name, row, "mineral", "a catalogue mineral id", mid))
        if stage not in (*STAGES, "*"):
            problems.append(Problem(name, row, "stage", "mine, refine or *", stage))
        if kind == "t" and not re.fullmatch(r"[A-Z]{3}", country):
            problems.append(Problem(name, row, "country", "an ISO3 code for t", country))
        if kind in ("eol_rir", "si_sr") and country:
            problems.append(Problem(name, row, "country", f"no country for {kind}", country))
        if not r["source"]:
            problems.append(Problem(name, row, "source", "the source of the value", ""))
        try:
            value = float(r["value"])
            ok = math.isfinite(value)
        except ValueError:
            value, ok = float("nan"), False
        if not ok:
            problems.append(Problem(name, row, "value", "a number", r["value"]))
        elif kind == "t" and value < 0:
            problems.append(Problem(name, row, "value", "t ≥ 0", r["value"]))
        elif kind in ("eol_rir", "si_sr") and not 0 <= value <= 1:
            problems.append(Problem(name, row, "value", "a fraction in [0, 1]", r["value"]))
        key = (kind, mid, stage, country)
        if key in seen:
            problems.append(Problem(name, row, None, "one row per parameter, mineral, stage, "
                                    "country", "a repeated row"))  # fmt: skip
        seen.add(key)
        if len(problems) > n0:
            continue
        val = Sourced(value, r["source"], r.get("proxy", ""))
        if kind == "t":
            trade[(mid, stage, country)] = val
        elif kind == "eol_rir":
            eol[mid] = val
        else:
            si[mid] = val
    if problems:
        raise DataError(problems)
    return EUParameters(trade=trade, eol_rir=eol, si_sr=si, sourcing=sourcing)


# --------------------------------------------------------------------------------------------
# critmin data: US import reliance, stage inputs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StageSupply:
    """Country shares of one mineral and stage as the methods use them."""

    shares: pd.Series  # ISO3 → fraction of the listed total
    year: int
    source: str
    other_share: float  # "Other countries"/"Rest of world" aggregates, left out of the sum
    withheld: tuple[str, ...]  # entities without a number


def stage_supply(
    ds: Dataset, mineral: str, stage: str, year: int | None = None
) -> StageSupply | None:
    """Country shares of one stage from :meth:`Dataset.supply`; None when there are no data.

    Aggregates ("Other countries") are not countries: their share is reported, not summed
    (their square would count many small producers as one).
    """
    rows = ds.supply(mineral, stage, year)
    if rows.empty:
        return None
    sh = stage_shares(rows)
    countries = sh[(sh["entity_kind"] == "country") & sh["share"].notna() & sh["country"].notna()]
    s = countries.groupby("country")["share"].sum()
    other = float(sh.loc[sh["entity_kind"] == "other", "share"].sum())
    withheld = tuple(sorted(str(e) for e in sh.loc[sh["share"].isna(), "entity"]))
    return StageSupply(s, int(rows["year"].iloc[0]), str(rows["source"].iloc[0]), other, withheld)


def wgi_year_for(ds: Dataset, year: int) -> int:
    """Newest WGI year ≤ ``year`` (the oldest WGI year if ``year`` precedes them all)."""
    years = sorted(int(y) for y in ds.wgi["year"].unique())
    older = [y for y in years if y <= year]
    return older[-1] if older else years[0]


# --------------------------------------------------------------------------------------------
# Orchestrator
# --------------------------------------------------------------------------------------------

RESULT_COLUMNS = [
    "mineral", "importer", "year", "sr_mine", "sr_refine", "sr", "stage_used", "ei", "critical",
    "ir", "ir_text", "ir_year", "sourcing", "hhi_wgi_mine", "hhi_wgi_refine", "mine_year",
    "refine_year", "wgi_year", "mine_source", "refine_source", "eol_rir", "si_sr", "proxies",
    "defaults_used", "notes", "source", "ir_source",
]  # fmt: skip


def _join(items: list[str]) -> str:
    seen: list[str] = []
    for i in items:
        if i and i not in seen:
            seen.append(i)
    return "; ".join(seen)


def _assess(
    ds: Dataset,
    m: Mineral,
    importer: str,
    year: int | None,
    stage: str,
    params: EUParameters,
    weights: dict[int, pd.Series],
) -> dict[str, object]:
    proxies: list[str] = []
    defaults: list[str] = []
    notes: list[str] = []
    rec: dict[str, object] = {"mineral": m.id, "importer": importer}

    eol = params.eol_rir.get(m.id)
    si = params.si_sr.get(m.id)
    eol_v = eol.value if eol else DEFAULT_EOL_RIR
    si_v = si.value if si else DEFAULT_SI_SR
    if eol is None:
        defaults.append("EoL_RIR=0 (not sourced)")
    elif eol.proxy:
        proxies.append(f"EoL_RIR: {eol.proxy}")
    if si is None:
        defaults.append("SI_SR=1 (not sourced)")
    elif si.proxy:
        proxies.append(f"SI_SR: {si.proxy}")
    rec["eol_rir"], rec["si_sr"] = eol_v, si_v

    sr: dict[str, float] = {}
    irs: dict[str, ImportReliance] = {}
    wgi_years: list[int] = []
    sourcing_used: list[str] = []
    for st in STAGES:
        rec[f"sr_{st}"] = rec[f"hhi_wgi_{st}"] = float("nan")
        rec[f"{st}_year"] = rec[f"{st}_source"] = None
        if st not in m.basis:
            continue
        sup = stage_supply(ds, m.id, st, year)
        if sup is None:
            notes.append(f"{st}: no production data" + (f" for {year}" if year else ""))
            continue
        rec[f"{st}_year"], rec[f"{st}_source"] = sup.year, sup.source
        wy = wgi_year_for(ds, sup.year)
        wgi_years.append(wy)
        if wy != sup.year:
            proxies.append(f"WGI {wy} for {st} production {sup.year} (newest WGI year)")
        if wy not in weights:
            weights[wy] = eu_weights(ds.wgi, wy).weight
        t, _ = params.trade_for(m.id, st)
        if t:
            listed = ", ".join(f"{c} {v:g}" for c, v in sorted(t.items()))
            defaults.append(f"t=1 except {listed} ({st})")
        else:
            defaults.append(f"t=1 for all countries ({st})")
        gs = hhi_wgi_t(sup.shares, weights[wy], t)
        if gs.imputed:
            proxies.append(f"WGI imputed (median {gs.impute_value:.2f}) for "
                           f"{', '.join(gs.imputed)} ({st})")  # fmt: skip
        if sup.other_share > 0:
            notes.append(f"{st}: aggregates ('other', {sup.other_share:.1%}) left out of HHI")
        if sup.withheld:
            notes.append(f"{st}: no figure for {', '.join(sup.withheld)}")
        rec[f"hhi_wgi_{st}"] = gs.value

        src_hhi: float | None = None
        ir_val: float | None = None
        if importer == "USA":
            ir = us_import_reliance(ds, m.id, year, st)
            irs[st] = ir
            ir_val = ir.value
            if ir.bound:
                proxies.append(f"IR: USGS bound '{ir.text}' used as {ir.value:.2f} ({st})")
            if params.sourcing == "import_shares":
                src_hhi = _share_sourcing(ds, m.id, st, ir, weights[wy], t, proxies, notes,
                                          sourcing_used)  # fmt: skip
            elif params.sourcing == "equal_shares":
                if ir.value is None:
                    notes.append(f"{st}: US NIR unknown → global supply only")
                elif ir.value > 0 and not ir.sources:
                    notes.append(f"{st}: no USGS import sources listed → global supply only")
                else:
                    mix: dict[str, float] = {}
                    for c in ir.sources:
                        mix[c] = mix.get(c, 0.0) + ir.value / len(ir.sources)
                    mix["USA"] = mix.get("USA", 0.0) + 1.0 - ir.value
                    src = hhi_wgi_t(mix, weights[wy], t)
                    src_hhi = src.value
                    sourcing_used.append(st)
                    proxies.append(
                        f"sourcing: equal shares over USGS major import sources "
                        f"({';'.join(ir.sources) or 'none'}, no shares published) plus US "
                        f"domestic {1 - ir.value:.2f} ({st})"
                    )
        sr[st] = supply_risk(gs.value, src_hhi, ir_val, eol_v, si_v)
        rec[f"sr_{st}"] = sr[st]

    if importer != "USA":
        notes.append(f"IR of {importer} unknown in critmin's data → global supply only")
    if params.sourcing == "gs_only":
        rec["sourcing"] = "GS only (sourcing term left out)"
    elif params.sourcing == "import_shares":
        by_basis: dict[str, list[str]] = {}
        for u in sourcing_used:
            basis, _, st_used = u.rpartition(": ")
            by_basis.setdefault(basis, []).append(st_used)
        rec["sourcing"] = ("; ".join(f"{b}: {','.join(sts)}" for b, sts in by_basis.items())
                           if by_basis else "GS only (fallback, see notes)")  # fmt: skip
    else:
        rec["sourcing"] = ("US equal-share proxy: " + ",".join(sourcing_used)
                           if sourcing_used else "GS only (no sourcing data)")  # fmt: skip

    finite = {k: v for k, v in sr.items() if not math.isnan(v)}
    if stage == "bottleneck":
        used = max(finite, key=lambda k: finite[k]) if finite else None
    else:
        used = stage if stage in finite else None
        if used is None:
            notes.append(f"no {stage} supply risk")
    rec["stage_used"] = used
    rec["sr"] = finite[used] if used else float("nan")
    rec["year"] = year if year is not None else (rec[f"{used}_year"] if used else None)
    rec["source"] = rec[f"{used}_source"] if used else None
    rec["wgi_year"] = max(wgi_years) if wgi_years else None

    ir_used = irs.get(used) if used else None
    if ir_used is None and irs:
        ir_used = next(iter(irs.values()))
    if ir_used is not None:
        rec["ir"] = ir_used.value if ir_used.value is not None else float("nan")
        rec["ir_text"], rec["ir_year"] = ir_used.text, ir_used.year
        rec["ir_source"] = ir_used.source
        notes.append(ir_used.describe())
        if params.sourcing == "gs_only" or not sourcing_used:
            notes.append("IR reported; the GS-only form does not use it")
    else:
        rec["ir"], rec["ir_text"], rec["ir_year"] = float("nan"), None, None
        rec["ir_source"] = None

    ei_in = params.ei_inputs.get(m.id)
    if ei_in is None:
        rec["ei"] = float("nan")
        notes.append(EI_MISSING)
    else:
        rec["ei"] = economic_importance(ei_in.shares_by_sector, ei_in.value_added, ei_in.si_ei)
        notes.append(f"EI from {ei_in.source} (normaliser max Q_s, unverified)")
    rec["critical"] = is_critical(float(rec["sr"]), float(rec["ei"]))  # type: ignore[arg-type]
    rec["proxies"], rec["defaults_used"], rec["notes"] = (
        _join(proxies), _join(defaults), _join(notes))  # fmt: skip
    return rec


def _share_sourcing(
    ds: Dataset,
    mineral: str,
    stage: str,
    ir: ImportReliance,
    wgi: pd.Series,
    t: Mapping[str, float],
    proxies: list[str],
    notes: list[str],
    used: list[str],
) -> float | None:
    """HHI_WGI,t of the US sourcing mix from the USGS import shares; None → GS-only fallback.

    The mix is US domestic ``1 − IR`` plus ``IR · share_c`` per import source (REFERENCE
    §2.1: domestic production and import partners). "Other countries" are several
    suppliers: left out of the sum like the aggregates of global supply (noted).
    """
    shares = us_import_shares(ds, mineral, stage)
    if shares is None:
        notes.append(f"{stage}: no US import shares → global supply only (fallback)")
        return None
    if ir.value is None:
        notes.append(f"{stage}: US NIR unknown → global supply only (fallback)")
        return None
    if ir.value == 0:
        # Domestic supply alone would score the US as a single-country monopoly (SR ≈ WGI_USA):
        # an artefact of the method outside its EU-27 setting (decision 0007).
        notes.append(f"{stage}: US net exporter → global supply only (fallback; import "
                     "shares not used)")  # fmt: skip
        return None
    mix: dict[str, float] = {str(c): ir.value * float(v) for c, v in shares.shares.items()}
    mix["USA"] = mix.get("USA", 0.0) + 1.0 - ir.value
    src = hhi_wgi_t(mix, wgi, t)
    if src.imputed:
        proxies.append(f"WGI imputed (median) for {', '.join(src.imputed)} (sourcing, {stage})")
    used.append(f"{shares.label}: {stage}")
    note = (f"{stage} sourcing: US domestic {1 - ir.value:.2f} + imports {ir.value:.2f} × "
            f"{shares.label}: {shares.describe()}")  # fmt: skip
    if shares.other > 0:
        note += " ('other' left out of HHI)"
    notes.append(note)
    return src.value


def eu_assessment(
    ds: Dataset,
    importer: str = "USA",
    year: int | None = None,
    stage: str = "bottleneck",
    params: EUParameters | None = None,
) -> pd.DataFrame:
    """EU 2017-method supply risk (and EI where its inputs exist) of every catalogue mineral.

    Parameters
    ----------
    ds
        A critmin dataset (:func:`critmin.load`).
    importer
        ISO3 of the importing economy. For ``"USA"`` IR is critmin's US net import reliance;
        for others it is unknown and SR is the global-supply form (stated in ``notes``).
    year
        Production year; None takes the newest year of each stage's preferred source.
    stage
        ``"bottleneck"`` (the larger stage SR, as the EU reports), ``"mine"`` or ``"refine"``.
    params
        :class:`EUParameters`; by default :func:`load_parameters` (the shipped table,
        ``sourcing="import_shares"``).

    Returns
    -------
    pandas.DataFrame
        One row per catalogue mineral with :data:`RESULT_COLUMNS`; ``critical`` is None when
        EI is unknown (always, with critmin's own data). ``proxies`` and ``defaults_used``
        list every stand-in and neutral default the row rests on.

    Examples
    --------
    >>> from critmin.data.dataset import load
    >>> df = eu_assessment(load())
    >>> df.set_index("mineral").loc["gallium", ["stage_used", "critical"]].tolist()
    ['refine', None]
    """
    if stage not in ("bottleneck", *STAGES):
        raise ValueError(f"stage must be bottleneck, mine or refine; got {stage!r}")
    params = params if params is not None else load_parameters()
    importer = importer.upper()
    weights: dict[int, pd.Series] = {}
    rows = [_assess(ds, m, importer, year, stage, params, weights) for m in MINERALS]
    df = pd.DataFrame(rows, columns=RESULT_COLUMNS)
    for c in ("year", "ir_year", "mine_year", "refine_year", "wgi_year"):
        df[c] = df[c].astype("Int64")
    df["critical"] = df["critical"].astype(object)
    return df
