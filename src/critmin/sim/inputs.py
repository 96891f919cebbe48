"""From a scenario and the dataset to the plain arrays the market engine runs on.

Two phases, both pure with respect to their arguments:

- :func:`prepare` (once per scenario): baseline capacity shares by country and stage from the
  dataset, the world demand path, the bloc's share of demand, market parameter ranges, and
  every event compiled to the country "slots" it touches and its in-force fraction per year.
- :func:`draw` (once per block of samples, from that block's own random generator): the
  uncertain parameters and event magnitudes of each sample, and the timing of stochastic
  events. Draws are made in a fixed order, so a block's numbers depend only on its seed.

The engine (:mod:`critmin.sim.engine`) and the reference implementation
(:mod:`critmin.sim.reference`) both take ``(MarketInputs, Draws)``.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from critmin.data.dataset import Dataset
from critmin.data.errors import DataError, Problem
from critmin.demand.bom import load_intensities
from critmin.demand.demand import ai_demand, world_context
from critmin.metrics.concentration import shares, table_basis
from critmin.sim.coverage import (
    coverage_notes,
    simulated_minerals,
    simulated_stages,
    tonnes_per,
    unsimulated,
)
from critmin.sim.events.base import Build, Effect, Expansion
from critmin.sim.events.registry import SPECS, spec_of
from critmin.sim.parameters import (
    PARAMS_CSV,
    mineral_class,
    parameter_names,
    parameter_rows,
    posterior,
)
from critmin.sim.sampling import triangular
from critmin.sim.scenario import Scenario
from critmin.sim.schema import EventModel, Range

# Re-exported: these lived here before the event modules and the parameter table had theirs.
__all__ = [
    "FIRST_DRAWN",
    "PARAMS_CSV",
    "Draws",
    "Effect",
    "MarketInputs",
    "ParamRange",
    "draw",
    "mineral_rng",
    "parameter_table",
    "prepare",
    "simulated_minerals",
    "triangular",
]

STAGES = ("mine", "refine")

#: The minerals the engine simulated before tin and helium joined (issue 14), in catalogue
#: order. Their draws keep the layout they had — first, from the block's generator — so a
#: seed's results for them do not change as minerals join the simulation. Every other mineral
#: draws from a stream of its own (:func:`mineral_rng`), so its numbers do not depend on which
#: other minerals run either. Never edit this tuple: append nothing, remove nothing.
FIRST_DRAWN: tuple[str, ...] = (
    "lithium", "cobalt", "nickel", "rare_earths", "tantalum", "gallium", "germanium", "copper",
    "graphite", "silicon", "tungsten", "antimony", "indium", "platinum", "palladium", "silver",
    "aluminium", "bauxite", "manganese", "fluorspar", "arsenic", "tellurium", "niobium",
    "molybdenum", "zinc", "gold", "bismuth", "selenium", "vanadium", "chromium", "magnesium",
    "titanium", "beryllium", "rhenium", "boron", "lead",
)  # fmt: skip


@dataclass(frozen=True)
class ParamRange:
    """One market parameter per mineral: arrays of low, central, high and where it came from."""

    low: np.ndarray
    central: np.ndarray
    high: np.ndarray
    source: tuple[str, ...]
    kind: tuple[str, ...]


@dataclass(frozen=True)
class MarketInputs:
    """Everything deterministic about a simulation (shapes: T years, M minerals, S slots)."""

    scenario: Scenario
    minerals: tuple[str, ...]
    years: np.ndarray  # (T,)
    world_t: np.ndarray  # (T, M) baseline world demand = capacity path, tonnes
    ai_t: np.ndarray  # (T, M) AI data-centre demand (central), tonnes
    bloc_share: np.ndarray  # (M,) the bloc's share of world demand
    bloc_share_basis: tuple[str, ...]
    stage_present: np.ndarray  # (2, M) bool: the mineral has data for the stage
    slot_mineral: np.ndarray  # (S,) int
    slot_stage: np.ndarray  # (S,) int 0 mine, 1 refine
    slot_country: tuple[str, ...]
    slot_share: np.ndarray  # (S,) the country's share of world capacity at that stage
    params: dict[str, ParamRange]
    hosts: tuple[tuple[int, int, Range], ...]  # (by-product idx, host idx, host share)
    effects: tuple[Effect, ...]
    events: tuple[EventModel, ...]  # compiled events (default hazards expanded), by Effect.event
    surge: tuple[tuple[int, np.ndarray, np.ndarray, Range], ...]  # (event, minerals, f[T], factor)
    stock0: np.ndarray  # (M,) tonnes
    forced_release: np.ndarray  # (T, M) tonnes: stock_release events
    purchase: np.ndarray  # (T, M) tonnes: stock_purchase events
    front_run: np.ndarray  # (T, M) share of world demand bought ahead by the bloc, × pulse
    front_run_events: tuple[tuple[int, int, int, float], ...]  # (event, t, m, pulse share)
    components: tuple[str, ...]
    component_uses: np.ndarray  # (J, M) bool: the component needs the mineral
    provenance: dict[str, str] = field(default_factory=dict)
    #: What a historical scenario (``data_year``) could not have as of its year.
    warnings: tuple[str, ...] = ()
    #: Policy levers (critmin.policy): supply dedicated to the bloc, tonnes a year (T, M) —
    #: its own and partners' new capacity and recycling — and demand cuts from substitution
    #: R&D: (mineral, share of demand cut per year (T,), probability of success).
    dedicated: np.ndarray | None = None
    demand_cuts: tuple[tuple[int, np.ndarray, float], ...] = ()
    #: Per compiled event, the mineral column whose own random stream draws it (an expanded
    #: default hazard of a mineral outside :data:`FIRST_DRAWN`), or −1: the block's stream.
    event_stream: tuple[int, ...] = ()
    #: State stockpiles (docs/model.md §2b): (event, mineral column, coefficient (T,)); the
    #: event's drawn magnitude × the coefficient is its purchase (+) or release (−) as a
    #: share of the baseline world demand of each year.
    state: tuple[tuple[int, int, np.ndarray], ...] = ()

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.years), len(self.minerals)


@dataclass(frozen=True)
class Draws:
    """The random part of one block of ``n`` samples."""

    n: int
    params: dict[str, np.ndarray]  # name -> (n, M)
    host_share: np.ndarray  # (n, H)
    magnitude: np.ndarray  # (n, E) per compiled event: share×(1−leak) / loss / surge factor
    exports: np.ndarray  # (n, E) exports share of restrictions (1 for other events)
    stochastic: np.ndarray  # (n, E, T) in-force fraction of stochastic events (0 elsewhere)
    success: np.ndarray | None = None  # (n, K) 1 where substitution R&D k succeeded

    def samples(self, lo: int, hi: int) -> Draws:
        """The draws of samples ``lo`` to ``hi`` (samples are independent of each other)."""
        return Draws(
            n=hi - lo,
            params={k: v[lo:hi] for k, v in self.params.items()},
            host_share=self.host_share[lo:hi],
            magnitude=self.magnitude[lo:hi],
            exports=self.exports[lo:hi],
            stochastic=self.stochastic[lo:hi],
            success=None if self.success is None else self.success[lo:hi],
        )


# --------------------------------------------------------------------------------------------
# parameters


def _param_table() -> tuple[tuple[str, str, float, float, float, str, str], ...]:
    return parameter_rows()


def parameter_table() -> pd.DataFrame:
    """The default market parameters (``params.csv``): mineral, parameter, range, source.

    Examples
    --------
    >>> t = parameter_table()
    >>> t[(t.mineral == "copper") & (t.parameter == "elasticity_demand_long")].central.item()
    -0.5
    """
    cols = ["mineral", "parameter", "low", "central", "high", "source", "kind"]
    return pd.DataFrame(list(_param_table()), columns=cols)


def _params(
    minerals: tuple[str, ...], overrides: dict[str, dict[str, Range]]
) -> dict[str, ParamRange]:
    """Each parameter per mineral; names and bounds were checked when the scenario (its
    overrides) and the table (its rows) were read."""
    table = _param_table()
    out: dict[str, ParamRange] = {}
    for name in parameter_names():
        lo, ce, hi, src, kind = [], [], [], [], []
        for m in minerals:
            cls = f"class:{mineral_class(m)}"
            cands = [r for r in table if r[1] == name and r[0] in (m, cls, "*")]
            # The mineral's own row beats its class's row, which beats the default row; a
            # scenario override beats all three.
            row = sorted(cands, key=lambda r: (r[0] == "*", r[0] == cls))[0]
            vals, source, k = (row[2], row[3], row[4]), row[5], row[6]
            for key in (m, "*"):
                if key in overrides and name in overrides[key]:
                    r = overrides[key][name]
                    vals, source, k = (r.low, r.central, r.high), "scenario file", "scenario"
                    break
            lo.append(vals[0])
            ce.append(vals[1])
            hi.append(vals[2])
            src.append(source)
            kind.append(k)
        out[name] = ParamRange(np.array(lo), np.array(ce), np.array(hi), tuple(src), tuple(kind))
    return out


def _hosts(minerals: tuple[str, ...]) -> tuple[tuple[int, int, Range], ...]:
    idx = {m: i for i, m in enumerate(minerals)}
    out = []
    for m, name, lo, ce, hi, _src, _kind in _param_table():
        if name.startswith("host:") and m in idx and name[5:] in idx:
            out.append((idx[m], idx[name[5:]], Range(low=lo, central=ce, high=hi)))
    return tuple(out)


# --------------------------------------------------------------------------------------------
# baseline from the dataset


def _stage_shares(
    ds: Dataset, mineral: str, stage: str, year: int | None = None
) -> tuple[pd.Series, float, str]:
    """Country shares (ISO3 → share; "other" rows dropped), world output in tonnes, source;
    of ``year`` (the latest year when None; empty when the dataset has no figures then)."""
    s, total, src = ds.memo(("sim.stage_shares", mineral, stage, year),
                            lambda: _stage_shares_uncached(ds, mineral, stage, year))  # fmt: skip
    return s.copy(), total, src


def _stage_shares_uncached(
    ds: Dataset, mineral: str, stage: str, year: int | None = None
) -> tuple[pd.Series, float, str]:
    rows = ds.supply(mineral, stage, year)
    if rows.empty:
        return pd.Series(dtype=float), float("nan"), ""
    sh = shares(rows)
    conv = tonnes_per(mineral, str(rows["unit"].iloc[0]))
    # Called only for stages simulated_stages keeps, whose unit converts to tonnes.
    assert conv is not None
    total = float(sh["value"].sum(min_count=1)) * conv[0]
    countries = sh[sh["entity_kind"] == "country"].dropna(subset=["share"])
    s = countries.groupby("country")["share"].sum()
    src = f"{rows['source'].iloc[0]} ({int(rows['year'].iloc[0])}; {table_basis(rows)})"
    return s, total, src


def _bloc_share(ds: Dataset, members: tuple[str, ...], mineral: str) -> tuple[float, str]:
    """The bloc's share of world imports by value (BACI, latest year) as its demand share.

    The share of world imports is the exposure GeoPolRisk uses for an importer; where the
    mineral has no HS code in the map, the bloc's share of world imports of all mapped
    minerals stands in (both documented in docs/model.md).
    """
    trade = _trade_latest(ds)
    codes = set(ds.hs_codes.loc[ds.hs_codes["mineral"] == mineral, "hs"].astype(str))
    sub = trade[trade["hs"].isin(codes)] if codes else trade
    basis = "BACI import value share" if codes else "BACI import value share, all minerals"
    total = float(sub["value"].sum())
    if total <= 0:
        sub, basis = trade, "BACI import value share, all minerals"
        total = float(sub["value"].sum())
    mine = float(sub.loc[sub["importer"].isin(members), "value"].sum())
    year = int(trade["year"].max())
    return min(1.0, mine / total), f"{basis} ({year})"


def _trade_latest(ds: Dataset) -> pd.DataFrame:
    def latest() -> pd.DataFrame:
        t = ds.trade
        out = t[t["year"] == t["year"].max()][["year", "importer", "hs", "value"]].copy()
        out["hs"] = out["hs"].astype(str)
        return out

    result: pd.DataFrame = ds.memo(("sim.trade_latest",), latest)
    return result


def _world_path(
    ds: Dataset, minerals: tuple[str, ...], years: np.ndarray, demand: str
) -> tuple[np.ndarray, np.ndarray, dict[str, str]]:
    """World demand path and AI demand (T, M) from the AI-demand issue's world context."""
    key = ("sim.world_path", minerals, tuple(int(y) for y in years), demand)
    w, a, b = ds.memo(key, lambda: _world_path_uncached(ds, minerals, years, demand))
    return w.copy(), a.copy(), dict(b)


def _world_path_uncached(
    ds: Dataset, minerals: tuple[str, ...], years: np.ndarray, demand: str
) -> tuple[np.ndarray, np.ndarray, dict[str, str]]:
    ai_years = [int(y) for y in years if 2024 <= y <= 2050]
    world = np.full((len(years), len(minerals)), np.nan)
    ai = np.zeros((len(years), len(minerals)))
    basis: dict[str, str] = {}
    if ai_years:
        da = ai_demand(demand, years=ai_years)
        have = [m for m in minerals if m in set(da["mineral"].to_numpy().tolist())]
        ctx = world_context(ds, da.sel(mineral=have)) if have else pd.DataFrame()
        for _, r in ctx.iterrows():
            t = int(np.flatnonzero(years == r["year"])[0])
            j = minerals.index(str(r["mineral"]))
            world[t, j] = r["world_t"]
            ai[t, j] = r["ai_central_t"]
            basis[str(r["mineral"])] = str(r["world_basis"])
    for j, m in enumerate(minerals):
        col = pd.Series(world[:, j], index=years)
        if col.notna().any():
            world[:, j] = col.bfill().ffill().to_numpy()
        else:
            last = simulated_stages(ds, m)[-1]
            _, total, src = _stage_shares(ds, m, last)
            world[:, j] = total
            basis[m] = f"world {last} production {src}, held flat"
            conv = coverage_notes(ds, (m,)).get(f"units.{m}")
            if conv:
                basis[m] += f"; in t: {conv}"
    return world, ai, basis


# --------------------------------------------------------------------------------------------
# prepare


def prepare(scenario: Scenario, ds: Dataset, source: str = "scenario") -> MarketInputs:
    """Compile a validated scenario against the dataset.

    Raises
    ------
    DataError
        The scenario (its ``minerals``, an event, its ``stocks``) names a mineral critmin
        cannot simulate (:func:`critmin.sim.coverage.unsimulated`: the missing figure) or one
        its own ``minerals`` list leaves out; an event names a stage the mineral has no data
        for, or a country with no capacity at that stage (nothing to cut): all before any
        sampling.

    Examples
    --------
    >>> import critmin
    >>> from critmin.sim.scenario import Scenario
    >>> s = Scenario.model_validate({"name": "t", "horizon": {"start": 2026, "end": 2028},
    ...     "minerals": ["gallium"], "events": [{"type": "export_restriction",
    ...     "country": "CHN", "minerals": ["gallium"], "stage": "refine",
    ...     "start": 2027, "share": 1.0}]})
    >>> mi = prepare(s, critmin.load())
    >>> mi.slot_country, round(float(mi.slot_share[0]), 3), mi.effects[0].fraction.tolist()
    (('CHN',), 0.99, [0.0, 1.0, 1.0])
    """
    ds_minerals = simulated_minerals(ds)
    minerals = ds_minerals
    if scenario.minerals is not None:
        minerals = tuple(m for m in ds_minerals if m in scenario.minerals)
    problems = _mineral_problems(scenario, ds, minerals, source)
    if problems:
        raise DataError(problems)
    idx = {m: i for i, m in enumerate(minerals)}
    years = np.arange(scenario.horizon.start, scenario.horizon.end + 1)
    M = len(minerals)

    stage_shares: dict[tuple[int, int], pd.Series] = {}
    present = np.zeros((2, M), dtype=bool)
    notes: dict[str, str] = {}
    warnings: list[str] = []
    year = scenario.data_year
    for j, m in enumerate(minerals):
        for k, st in enumerate(STAGES):
            if st in simulated_stages(ds, m):
                s = pd.Series(dtype=float)
                if year is not None:
                    s, _, src = _stage_shares(ds, m, st, year)
                    if s.empty:
                        _, _, latest = _stage_shares(ds, m, st)
                        warnings.append(f"data_year {year}: no production figures of {m} at "
                                        f"the {st} stage that year; the shares of {latest} "
                                        "are used")  # fmt: skip
                    else:
                        notes[f"shares.{m}.{st}"] = src
                if s.empty:
                    s, _, _ = _stage_shares(ds, m, st)
                stage_shares[(j, k)] = s
                present[k, j] = True
    if year is not None:
        warnings.append(f"data_year {year}: the bloc's demand shares (trade), the world demand "
                        "path and the market parameters are the dataset's latest, not "
                        f"{year}'s")  # fmt: skip

    expansion = Expansion(
        ds,
        minerals,
        stage_shares,
        scenario.bloc_members(),
        lambda who, m: _bloc_share(ds, who, m)[0],
    )
    events, fields, expanded = _expand(scenario, expansion)
    stream = tuple(_stream(ev, x, idx) for ev, x in zip(events, expanded, strict=True))
    members = scenario.bloc_members()
    bloc, bloc_basis = zip(*(_bloc_share(ds, members, m) for m in minerals), strict=True)
    bloc_share = np.array(bloc, dtype=float)

    # Every event writes its effects, demand factors and stock movements through its type's
    # compile step (critmin.sim.events), in event order: slots are numbered in that order.
    b = Build(
        scenario=scenario,
        source=source,
        years=years,
        index=idx,
        present=present,
        stage_shares=stage_shares,
        members=members,
        bloc_share=bloc_share,
        demand_share=lambda who, m: _bloc_share(ds, who, m)[0],
        fields=fields,
    )
    for e, ev in enumerate(events):
        compile_ = spec_of(ev).compile
        if compile_ is not None:
            compile_(ev, e, b)
    if b.problems:
        raise DataError(b.problems)
    stock0 = b.stock0
    for m, v in scenario.stocks.items():
        if m in idx:
            stock0[idx[m]] = v
    slots = b.slots

    world, ai, basis = _world_path(ds, minerals, years, scenario.demand_scenario)
    keys = sorted(slots, key=slots.__getitem__)
    intens = load_intensities()
    comps = tuple(sorted(set(intens["component"])))
    uses = np.zeros((len(comps), M), dtype=bool)
    for _, r in intens.iterrows():
        if r["mineral"] in idx:
            uses[comps.index(r["component"]), idx[r["mineral"]]] = True
    return MarketInputs(
        scenario=scenario,
        minerals=minerals,
        years=years,
        world_t=world,
        ai_t=ai,
        bloc_share=bloc_share,
        bloc_share_basis=tuple(bloc_basis),
        stage_present=present,
        slot_mineral=np.array([k[0] for k in keys], dtype=int),
        slot_stage=np.array([k[1] for k in keys], dtype=int),
        slot_country=tuple(k[2] for k in keys),
        slot_share=np.array([float(stage_shares[(k[0], k[1])][k[2]]) for k in keys]),
        params=_params(minerals, scenario.parameters),
        hosts=_hosts(minerals),
        effects=tuple(b.effects),
        events=tuple(events),
        surge=tuple(b.surge),
        stock0=stock0,
        forced_release=b.forced,
        purchase=b.purchase,
        front_run=b.front,
        front_run_events=tuple(b.front_events),
        components=comps,
        component_uses=uses,
        provenance={f"world_t.{m}": b for m, b in basis.items()}
        | coverage_notes(ds, minerals)
        | notes,
        warnings=tuple(warnings),
        event_stream=stream,
        # Tonnes a year become shares of each year's baseline world demand.
        state=tuple((e, j, c / world[:, j] if tonnes else c) for e, j, c, tonnes in b.state),
    )


def _expand(scenario: Scenario, x: Expansion) -> tuple[list[EventModel], list[str], list[bool]]:
    """Scenario events with those that stand for others (``default_hazards``) replaced by
    them; the field that names each in an error; and whether it came from an expansion."""
    out: list[EventModel] = []
    fields: list[str] = []
    expanded: list[bool] = []
    for i, ev in enumerate(scenario.events):
        expand = spec_of(ev).expand
        new = [ev] if expand is None else expand(ev, x)
        out.extend(new)
        fields.extend([f"events.{i}" if expand is None else f"events.{i} ({ev.type})"] * len(new))
        expanded.extend([expand is not None] * len(new))
    return out, fields, expanded


def named_minerals(ev: EventModel) -> list[tuple[str, str]]:
    """(field, mineral) of every mineral an event names: event types name theirs in a
    ``mineral`` field or a ``minerals`` list (``None``: every simulated mineral)."""
    out: list[tuple[str, str]] = []
    one = getattr(ev, "mineral", None)
    if isinstance(one, str):
        out.append(("mineral", one))
    many = getattr(ev, "minerals", None)
    if isinstance(many, list):
        out.extend((f"minerals.{k}", str(m)) for k, m in enumerate(many))
    return out


def _mineral_problems(
    scenario: Scenario, ds: Dataset, minerals: tuple[str, ...], source: str
) -> list[Problem]:
    """Every mineral the scenario names that the run would not simulate: one it cannot (the
    reason names the missing figure), or one its own ``minerals`` list leaves out."""
    cannot = unsimulated(ds)
    out: list[Problem] = []

    def check(fld: str, m: str, listed: bool = False) -> None:
        if m in cannot:
            why = f"a mineral critmin can simulate ({m}: {cannot[m]})"
            out.append(Problem(source, None, fld, why, m))
        elif not listed and m not in minerals:
            out.append(Problem(source, None, fld,
                               f"a mineral of the scenario's minerals list ({', '.join(minerals)})",
                               m))  # fmt: skip

    for k, m in enumerate(scenario.minerals or []):
        check(f"minerals.{k}", m, listed=True)
    for i, ev in enumerate(scenario.events):
        for fld, m in named_minerals(ev):
            check(f"events.{i}.{fld}", m)
    for m in scenario.stocks:
        check(f"stocks.{m}", m)
    return out


def _stream(ev: EventModel, expanded: bool, idx: dict[str, int]) -> int:
    """The mineral column whose own stream draws an event (:data:`FIRST_DRAWN`), or −1.

    Only events an expansion made for one mineral outside :data:`FIRST_DRAWN` (its default
    hazards) move: those did not exist before the mineral joined. An event the scenario
    writes stays on the block's stream, where it has always been drawn.
    """
    named = {m for _, m in named_minerals(ev)}
    if expanded and len(named) == 1:
        (m,) = named
        if m not in FIRST_DRAWN and m in idx:
            return idx[m]
    return -1


# --------------------------------------------------------------------------------------------
# draws


#: The extra spawn-key word of a mineral's own stream (:func:`mineral_rng`): it keeps those
#: keys apart from any child a runner spawns from a block's seed sequence.
STREAM_KEY = 0x6D696E


def mineral_rng(rng: np.random.Generator, mineral: str) -> np.random.Generator:
    """A mineral's own random stream in a block: a child of the block's seed sequence keyed
    by the mineral's name (CRC-32). It depends on the block's seed and the mineral only, and
    drawing it takes nothing from ``rng``.

    Examples
    --------
    >>> a = mineral_rng(np.random.default_rng(7), "tin").random()
    >>> a == mineral_rng(np.random.default_rng(7), "tin").random()
    True
    >>> a == mineral_rng(np.random.default_rng(7), "helium").random()
    False
    """
    ss = rng.bit_generator.seed_seq
    if not isinstance(ss, np.random.SeedSequence):
        raise TypeError("a block's generator must be seeded from a numpy SeedSequence")
    key = (*ss.spawn_key, STREAM_KEY, zlib.crc32(mineral.encode()))
    child = np.random.SeedSequence(ss.entropy, spawn_key=key, pool_size=ss.pool_size)
    return np.random.Generator(np.random.PCG64(child))


@dataclass
class _Out:
    """The draw arrays being filled, part by part (the block's stream, then each mineral's)."""

    params: dict[str, np.ndarray]
    host_share: np.ndarray  # (n, H)
    magnitude: np.ndarray  # (n, E)
    exports: np.ndarray  # (n, E)
    stochastic: np.ndarray | None  # (E, n, T), allocated on first use


def draw(mi: MarketInputs, rng: np.random.Generator, n: int, fitted: bool = True) -> Draws:
    """Draw ``n`` samples' parameters and event outcomes, in a fixed order.

    The block's generator draws, for the minerals of :data:`FIRST_DRAWN` and every event not
    owned by another mineral, exactly what it drew before other minerals joined; each other
    mineral then draws its parameters, by-product shares and default hazards from its own
    stream (:func:`mineral_rng`); the substitution outcomes of a plan come last, from the
    block's generator. ``fitted=False`` keeps the priors of ``params.csv`` instead of the
    fitted posterior (the calibration itself and the previous model use it).
    """
    T, M = mi.shape
    E = len(mi.events)
    stream = mi.event_stream or (-1,) * E
    out = _Out(
        params={name: np.empty((n, M)) for name in parameter_names()},
        host_share=np.zeros((n, len(mi.hosts))),
        magnitude=np.zeros((n, E)),
        exports=np.ones((n, E)),
        stochastic=None,
    )
    later = {j for j, m in enumerate(mi.minerals) if m not in FIRST_DRAWN}
    first = [j for j in range(M) if j not in later]
    # A by-product link is drawn by the stream of its first mineral outside FIRST_DRAWN.
    owner = [b if b in later else (g if g in later else -1) for b, g, _ in mi.hosts]
    _draw_part(mi, rng, n, first, owner, stream, -1, out)
    for j in sorted(later):
        _draw_part(mi, mineral_rng(rng, mi.minerals[j]), n, [j], owner, stream, j, out)
    # The parameters added with the market model of issue 16 come from a stream of their own
    # per mineral, so every draw above is what it was before they existed.
    # Each mineral's uniforms come from its own streams; the transforms run for all minerals
    # at once (the same arithmetic, element by element).
    names = [k for k in parameter_names()
             if k not in LEGACY_PARAMETERS + LATER_PARAMETERS + BALANCE_PARAMETERS]  # fmt: skip
    u = np.empty((n, M, len(names) + 1))
    u_later = np.empty((n, M, len(LATER_PARAMETERS)))
    for j, m in enumerate(mi.minerals):
        u[:, j] = mineral_rng(rng, f"{m}{MARKET_STREAM}").random((n, len(names) + 1))
        # Added later still (restocking, decision 0028): a stream of its own again, so the
        # draws above (and the fitted posterior's rows they pick) are unchanged.
        u_later[:, j] = mineral_rng(rng, f"{m}{LATER_STREAM}").random((n, len(LATER_PARAMETERS)))
    _draw_market(mi, u, names, out.params, fitted)
    for c, name in enumerate(LATER_PARAMETERS):
        p = mi.params[name]
        out.params[name][:] = triangular(u_later[:, :, c], p.low, p.central, p.high)
    # The baseline market balance (decision 0034): its central value, drawn only for the
    # minerals whose range is not a single value, each from a stream of its own, so that a
    # scenario without one draws exactly what it drew before the parameter existed.
    for name in BALANCE_PARAMETERS:
        p = mi.params[name]
        out.params[name][:] = p.central[None, :]
        for jb in np.flatnonzero(p.low < p.high):
            u1 = mineral_rng(rng, f"{mi.minerals[jb]}{BALANCE_STREAM}").random(n)
            out.params[name][:, jb] = triangular(u1, p.low[jb], p.central[jb], p.high[jb])
    # Last, so that a plan's draws leave every baseline draw unchanged (same samples).
    success = None
    if mi.demand_cuts:
        prob = np.array([p for _, _, p in mi.demand_cuts])
        success = (rng.random((n, len(prob))) < prob[None, :]).astype(float)
    stoch = out.stochastic if out.stochastic is not None else np.zeros((E, n, T))
    return Draws(
        n=n,
        params=out.params,
        host_share=out.host_share,
        magnitude=out.magnitude,
        exports=out.exports,
        # Stored event-major (E, n, T): an event's (n, T) slice, which the engine reads event
        # by event, is one contiguous block; users see (n, E, T).
        stochastic=stoch.transpose(1, 0, 2),
        success=success,
    )


#: Parameters drawn from the block's stream since before issue 16, in their drawing order.
LEGACY_PARAMETERS: tuple[str, ...] = (
    "elasticity_supply_short", "elasticity_supply_long", "elasticity_demand_short",
    "elasticity_demand_long", "adjustment_years", "spare_capacity", "ramp_rate", "price_cap",
    "recycling_input_rate",
)  # fmt: skip

#: Suffix of the stream key of a mineral's issue-16 market parameters (:func:`mineral_rng`).
MARKET_STREAM = "/market-16"

#: Parameters added after the fit of decision 0023, each drawn from a stream of its own per
#: mineral (:data:`LATER_STREAM`), so that adding them left every earlier draw unchanged.
LATER_PARAMETERS: tuple[str, ...] = ("inventory_rebuild",)

#: Suffix of the stream key of :data:`LATER_PARAMETERS`.
LATER_STREAM = "/market-16m"

#: The baseline market balance (decision 0034): its central value unless a range is given,
#: then drawn from a stream of its own per mineral (:data:`BALANCE_STREAM`).
BALANCE_PARAMETERS: tuple[str, ...] = ("market_balance",)

#: Suffix of the stream key of :data:`BALANCE_PARAMETERS`.
BALANCE_STREAM = "/market-balance"


def _draw_market(
    mi: MarketInputs,
    u: np.ndarray,
    names: list[str],
    params: dict[str, np.ndarray],
    fitted: bool,
) -> None:
    """The parameters ``names`` (those outside :data:`LEGACY_PARAMETERS`,
    :data:`LATER_PARAMETERS` and :data:`BALANCE_PARAMETERS`, in the table's order) of every
    mineral from its uniforms ``u[:, j]`` ``(n, M, len(names) + 1)``; the last column picks
    the posterior row."""
    for c, name in enumerate(names):
        p = mi.params[name]
        params[name][:] = triangular(u[:, :, c], p.low, p.central, p.high)
    if not fitted:
        return
    # The fitted parameters (docs/decisions/0023): one joint draw of the mineral's class
    # posterior per sample, for each parameter the scenario does not set itself.
    for cls, (names_fit, rows) in posterior().items():
        cols = np.array([j for j, m in enumerate(mi.minerals) if mineral_class(m) == cls])
        if not len(cols) or not rows:
            continue
        pick = np.minimum((u[:, cols, -1] * len(rows)).astype(int), len(rows) - 1)
        table = np.asarray(rows)[pick]  # (n, len(cols), len(names_fit))
        for c, name in enumerate(names_fit):
            own = np.array([mi.params[name].kind[j] != "scenario" for j in cols])
            if own.any():
                params[name][:, cols[own]] = table[:, own, c]


def _draw_part(
    mi: MarketInputs,
    rng: np.random.Generator,
    n: int,
    cols: list[int],
    host_owner: list[int],
    stream: tuple[int, ...],
    part: int,
    out: _Out,
) -> None:
    """One stream's draws: the parameters of mineral columns ``cols``, then the host shares
    and event ranges (one draw), then the timing of stochastic events, of ``part``'s own."""
    T, _ = mi.shape
    E = len(mi.events)
    for name in LEGACY_PARAMETERS:
        p = mi.params[name]
        u = rng.random((n, len(cols)))
        out.params[name][:, cols] = triangular(u, p.low[cols], p.central[cols], p.high[cols])
    # Every other uncertain quantity in one draw: host shares, then each event's ranges in
    # the order its type gives them (critmin.sim.events).
    hosts = [h for h, o in enumerate(host_owner) if o == part]
    events = [e for e in range(E) if stream[e] == part]
    ranges: list[Range] = [mi.hosts[h][2] for h in hosts]
    H = len(ranges)
    columns: list[tuple[int, int, int]] = []  # (event, first column, number of columns)
    for e in events:
        rs = spec_of(mi.events[e]).ranges(mi.events[e])
        if rs:
            columns.append((e, len(ranges), len(rs)))
            ranges += rs
    lo, mo, hi = (np.array([getattr(r, k) for r in ranges]) for k in ("low", "central", "high"))
    vals = triangular(rng.random((n, len(ranges))), lo, mo, hi)
    out.host_share[:, hosts] = vals[:, :H]
    for e, c, k in columns:
        m, x = spec_of(mi.events[e]).magnitude(vals[:, c : c + k])
        out.magnitude[:, e] = m
        if x is not None:
            out.exports[:, e] = x
    # Then the timing of stochastic events, type by type in the registry's order.
    for spec in SPECS:
        if spec.timing is None:
            continue
        sel = [e for e in events if spec_of(mi.events[e]) is spec]
        if sel:
            timing = spec.timing(rng, n, T, [mi.events[e] for e in sel])
            # The timing steps write year-major (T, n, k); stored event-major (E, n, T).
            if out.stochastic is None:
                out.stochastic = np.zeros((E, n, T))
            out.stochastic[sel] = timing.transpose(2, 1, 0)
