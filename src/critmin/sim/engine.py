"""The market engine: one block of samples, all minerals, year by year.

Implements docs/model.md for a block of samples and returns arrays of shape ``(sample, year,
mineral)``. The scenario's structure (effects on slots, by-product links, demand shifts,
stock rules) is compiled once into plain arrays (:func:`plan`, kept per compiled scenario);
the block runs in the compiled kernels of :mod:`critmin.sim.kernels`, one pass per sample
with the year-to-year state (adjustment clock, commercial and bloc stocks) kept in
registers (decision 0035). :mod:`critmin.sim.reference` is the plain-loop oracle the tests
hold this against.

Examples
--------
>>> import numpy as np, critmin
>>> from critmin.sim.scenario import Scenario
>>> from critmin.sim.inputs import prepare, draw
>>> s = Scenario.model_validate({"name": "t", "horizon": {"start": 2026, "end": 2028},
...     "minerals": ["gallium"], "events": [{"type": "export_restriction",
...     "country": "CHN", "minerals": ["gallium"], "stage": "refine",
...     "start": 2027, "share": 0.5}]})
>>> mi = prepare(s, critmin.load())
>>> out = run_block(mi, draw(mi, np.random.default_rng(1), 4))
>>> out["price_index"][:, 0, 0].tolist()  # before the restriction the market is balanced
[1.0, 1.0, 1.0, 1.0]
>>> bool((out["price_index"][:, 1, 0] > 1.5).all())
True
"""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING

import numpy as np

from critmin.sim.ai_allocation import RULES, ai_minerals, ai_share, coefficient, kappa
from critmin.sim.inputs import Draws, MarketInputs

if TYPE_CHECKING:
    from critmin.sim import kernels

OUTPUTS = (
    "supply",
    "demand",
    "stock_release",
    "unmet",
    "shortfall",
    "price_index",
    "stock",
    "available",
)

#: Effect kinds in the kernels' numbering (:data:`critmin.sim.kernels.KINDS`).
KINDS = ("restriction", "outage", "logistics", "stochastic")


def _partial_minerals(mi: MarketInputs) -> set[int]:
    """Minerals with an in-force share of their own: a restriction or outage in force for
    part of a year, and the by-products of such a mineral."""
    partial: set[int] = set()
    for x in mi.effects:
        if x.kind in ("restriction", "outage") and ((x.fraction > 0) & (x.fraction < 1)).any():
            partial.add(int(mi.slot_mineral[x.slot]))
    for b, g, _ in mi.hosts:
        if g in partial:
            partial.add(b)
    return partial


def in_force(mi: MarketInputs, dr: Draws) -> np.ndarray | None:
    """The in-force share of each year ``f`` ``(n, T, M)`` of the supply effects on each
    mineral (docs/model.md §1a): the largest ``fraction[t]`` of its restrictions and outages;
    1 in a year a logistics or stochastic effect removes anything (their losses are annual
    averages); a by-product takes its host's when larger; 1 where nothing is in force.

    ``None`` when no restriction or outage is in force for part of a year (``f = 1``
    everywhere): only minerals such an effect reaches (or their by-products) are computed.
    """
    T, M = mi.shape
    partial = _partial_minerals(mi)
    if not partial:
        return None
    # The hosts of those by-products too (their share of the year passes to the by-product).
    need = partial | {g for b, g, _ in mi.hosts if b in partial}
    f = np.zeros((M, dr.n, T))
    for x in mi.effects:
        m = int(mi.slot_mineral[x.slot])
        if m not in need:
            continue
        if x.kind in ("restriction", "outage"):
            fx = np.broadcast_to(x.fraction[None, :], (dr.n, T))
        elif x.kind == "logistics":
            fx = np.broadcast_to(((x.fraction > 0) | (x.delay > 0))[None, :], (dr.n, T))
        else:  # stochastic
            fx = dr.magnitude[:, x.event][:, None] * dr.stochastic[:, x.event, :] > 0
        np.maximum(f[m], fx, out=f[m])
    for b, g, _ in mi.hosts:
        if b in partial:
            np.maximum(f[b], f[g], out=f[b])
    out = np.ones((dr.n, T, M))
    for m in partial:
        out[:, :, m] = np.where(f[m] > 0, f[m], 1.0)
    return out


def run_block(mi: MarketInputs, dr: Draws, part_year: bool = True) -> dict[str, np.ndarray]:
    """Simulate one block of samples; arrays ``(n, T, M)`` and ``ai_output`` ``(n, T, J)``.

    Per sample: availability, the in-force share of each year, the market balance and demand
    shifts come first; then each mineral's years run in one loop carrying the market's own
    state (adjustment clock, commercial stocks, restocking), clearing every shocked year, and
    applying the bloc's stock rule, whose release, taken off the bloc's demand on the market,
    clears that market again (docs/model.md §5). ``part_year=False`` clears every shocked year
    as a whole (the model before issue 16: an annual-average loss, adjustment clock in whole
    years); with the issue-16 parameters set to their neutral values
    (:data:`critmin.sim.calibration.PREVIOUS_MODEL`) it reproduces that model, which
    ``critmin validate`` reports beside the current one.

    Samples are independent of each other: a sample's results do not depend on which other
    samples share its block.
    """
    from critmin.sim import kernels

    T, M = mi.shape
    n, J = dr.n, len(mi.components)
    out = kernels.Outputs._make([*(np.empty((n, T, M)) for _ in OUTPUTS), np.empty((n, T, J))])
    kernels.run_samples(plan(mi), kernel_draws(dr, M), part_year, out, reductions(0, M, J),
                        kernels.Years32(*(np.empty((0, T, M), np.float32),) * 2), 0.0)  # fmt: skip
    return out._asdict()


def run_reduced(
    mi: MarketInputs, dr: Draws, threshold: float, years: bool = False, part_year: bool = True
) -> dict[str, np.ndarray]:
    """Simulate one block of samples and return only its per-sample reductions (those of
    :func:`critmin.sim.runner.per_sample`, ``threshold`` for the years to recover), and
    with ``years`` the shortfall and price index ``(n, T, M)`` as float32.

    The same numbers as :func:`run_block` followed by ``per_sample`` (the same compiled
    arithmetic), without ever making the block's year arrays: each sample is reduced while
    its years are in the CPU's caches (decision 0035).
    """
    from critmin.sim import kernels

    T, M = mi.shape
    n, J = dr.n, len(mi.components)
    none = kernels.Outputs._make([*(np.empty((0, T, M)) for _ in OUTPUTS), np.empty((0, T, J))])
    red = reductions(n, M, J)
    y = n if years else 0
    keep = kernels.Years32(np.empty((y, T, M), np.float32), np.empty((y, T, M), np.float32))
    kernels.run_samples(plan(mi), kernel_draws(dr, M), part_year, none, red, keep, threshold)
    res = red._asdict()
    if years:
        res.update(keep._asdict())
    return res


def reductions(n: int, M: int, J: int) -> kernels.Reductions:
    """Empty arrays for the per-sample reductions of ``n`` samples."""
    from critmin.sim import kernels

    rows = [np.empty((n, M)) for _ in range(6)]
    return kernels.Reductions._make([*rows, np.empty((n, J)), np.empty((n, M, len(RULES)))])


def kernel_draws(dr: Draws, M: int) -> kernels.Draws:
    """A block's draws as the kernels read them: every parameter ``(n, M)`` contiguous (the
    market balance 0 when not drawn), no substitution outcomes as an empty ``(n, 0)``."""
    from critmin.sim import kernels

    def arr(v: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(v, dtype=np.float64)

    zero = np.zeros((dr.n, M))
    params = kernels.Params(
        *(arr(dr.params[k]) if k in dr.params or k != "market_balance" else zero
          for k in kernels.Params._fields)
    )  # fmt: skip
    return kernels.Draws(
        magnitude=arr(dr.magnitude),
        exports=arr(dr.exports),
        **_flat(np.asarray(dr.stochastic, dtype=np.float64)),
        host_share=arr(dr.host_share),
        success=np.zeros((dr.n, 0)) if dr.success is None else arr(dr.success),
        params=params,
    )


def _flat(x: np.ndarray) -> dict[str, np.ndarray]:
    """``x`` as a flat read-only view of its memory and its strides in elements.

    The kernels are compiled once per array layout (contiguous or strided): the stochastic
    draws arrive as a strided view of an event-major array, or contiguous (one event, one
    sample). Passed flat they always have one type: one compilation whatever the scenario.
    """
    if x.size == 0 or any(st < 0 or st % x.itemsize for st in x.strides):
        x = np.ascontiguousarray(x)
    stride = np.array([st // x.itemsize for st in x.strides], dtype=np.int64)
    span = 1 + int(((np.array(x.shape) - 1) * stride).sum()) if x.size else 0
    flat = np.lib.stride_tricks.as_strided(x, shape=(span,), strides=(x.itemsize,),
                                           writeable=False)  # fmt: skip
    return {"stochastic": flat, "stride": stride}


_PLANS: dict[int, tuple[weakref.ref[MarketInputs], kernels.Plan]] = {}
_PLANS_LOCK = threading.Lock()


def plan(mi: MarketInputs) -> kernels.Plan:
    """The kernels' view of a compiled scenario (:class:`critmin.sim.kernels.Plan`), built on
    first use and kept while ``mi`` lives (blocks of one run share it)."""
    key = id(mi)
    with _PLANS_LOCK:
        found = _PLANS.get(key)
    if found is not None and found[0]() is mi:
        return found[1]
    built = _build_plan(mi)
    with _PLANS_LOCK:
        _PLANS[key] = (weakref.ref(mi, lambda _: _PLANS.pop(key, None)), built)
    return built


def _ints(values: list[int] | np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=np.int64).reshape(-1)


def _ptr(groups: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """CSR form of a list of index lists: (pointers, flat indices)."""
    ptr = np.zeros(len(groups) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(g) for g in groups])
    return ptr, _ints([i for g in groups for i in g])


def _rows(rows: list[np.ndarray], T: int) -> np.ndarray:
    return np.array(rows, dtype=np.float64).reshape(len(rows), T)


def _build_plan(mi: MarketInputs) -> kernels.Plan:
    from critmin.sim import kernels

    T, M = mi.shape
    eff_mineral = _ints([int(mi.slot_mineral[x.slot]) for x in mi.effects])
    # Slots in the order the stage bottleneck sums them: mine then refine, by index; each
    # slot's effects in the order of mi.effects (their losses multiply in that order).
    on_slot: list[list[int]] = [[] for _ in range(len(mi.slot_share))]
    for i, x in enumerate(mi.effects):
        on_slot[x.slot].append(i)
    order = [int(i) for k in (0, 1) for i in np.flatnonzero(mi.slot_stage == k)]
    stage_ptr = _ints([0, int((mi.slot_stage == 0).sum()), len(order)])
    slot_ptr, slot_eff = _ptr([on_slot[i] for i in order])
    # Minerals reached by some slot, then by-products of reached hosts, link by link.
    touched = np.zeros(M, dtype=bool)
    touched[_ints([int(mi.slot_mineral[i]) for i in order])] = True
    host_apply = np.zeros(len(mi.hosts), dtype=bool)
    for h, (b, g, _) in enumerate(mi.hosts):
        if touched[g]:
            host_apply[h] = True
            touched[b] = True
    # §1a which minerals have an in-force share of their own (engine.in_force, the same sets).
    partial = _partial_minerals(mi)
    need = partial | {g for b, g, _ in mi.hosts if b in partial}
    part_mineral = np.isin(np.arange(M), sorted(partial))
    part_need = np.isin(np.arange(M), sorted(need))
    part_host = np.array([b in partial for b, _, _ in mi.hosts], dtype=bool)
    world = np.asarray(mi.world_t, dtype=np.float64)
    has_purchase = bool(mi.purchase.any())
    with np.errstate(divide="ignore", invalid="ignore"):
        purchase_share = mi.purchase / world if has_purchase else np.zeros((T, M))
    has_dedicated = mi.dedicated is not None and bool(mi.dedicated.any())
    dedicated = mi.dedicated if mi.dedicated is not None and has_dedicated else np.zeros((T, M))
    inflow = mi.front_run * mi.bloc_share[None, :] * world
    stocked = (mi.stock0 > 0) | mi.purchase.any(0) | mi.forced_release.any(0) | inflow.any(0)
    surge_ptr, surge_mineral = _ptr([[int(j) for j in js] for _, js, _, _ in mi.surge])
    comp_ptr, comp_mineral = _ptr(
        [[int(m) for m in np.flatnonzero(u)] for u in np.asarray(mi.component_uses, dtype=bool)]
    )
    used = ai_minerals(mi)
    R = len(RULES)
    ai_coef = np.ones((R, T, M))
    if used.any():
        a, _ = ai_share(mi)
        for r, rule in enumerate(RULES):
            ai_coef[r] = coefficient(a, kappa(rule))
    return kernels.Plan(
        eff_event=_ints([x.event for x in mi.effects]),
        eff_kind=_ints([KINDS.index(x.kind) for x in mi.effects]),
        eff_mineral=eff_mineral,
        eff_target=np.array([x.target_factor for x in mi.effects], dtype=np.float64),
        eff_scale=np.array([x.loss_scale for x in mi.effects], dtype=np.float64),
        eff_fraction=_rows([x.fraction for x in mi.effects], T),
        eff_delay=_rows([x.delay for x in mi.effects], T),
        stage_ptr=stage_ptr,
        slot_order=_ints(order),
        slot_mineral=_ints([int(mi.slot_mineral[i]) for i in order]),
        slot_share=np.array([mi.slot_share[i] for i in order], dtype=np.float64),
        slot_ptr=slot_ptr,
        slot_eff=slot_eff,
        host_b=_ints([b for b, _, _ in mi.hosts]),
        host_g=_ints([g for _, g, _ in mi.hosts]),
        host_apply=host_apply,
        touched=touched,
        part_any=bool(partial),
        part_mineral=part_mineral,
        part_need=part_need,
        part_host=part_host,
        base=np.ascontiguousarray(mi.bloc_share[None, :] * world),
        world=np.ascontiguousarray(world),
        has_purchase=has_purchase,
        purchase_share=np.ascontiguousarray(purchase_share, dtype=np.float64),
        purchase=np.ascontiguousarray(mi.purchase, dtype=np.float64),
        has_dedicated=has_dedicated,
        dedicated=np.ascontiguousarray(dedicated, dtype=np.float64),
        has_state=bool(mi.state),
        state_event=_ints([e for e, _, _ in mi.state]),
        state_mineral=_ints([m for _, m, _ in mi.state]),
        state_coef=_rows([c for _, _, c in mi.state], T),
        surge_event=_ints([e for e, _, _, _ in mi.surge]),
        surge_fraction=_rows([f for _, _, f, _ in mi.surge], T),
        surge_ptr=surge_ptr,
        surge_mineral=surge_mineral,
        cut_mineral=_ints([m for m, _, _ in mi.demand_cuts]),
        cut_share=_rows([c for _, c, _ in mi.demand_cuts], T),
        stocked=np.ascontiguousarray(stocked, dtype=bool),
        stock0=np.ascontiguousarray(mi.stock0, dtype=np.float64),
        forced_release=np.ascontiguousarray(mi.forced_release, dtype=np.float64),
        inflow=np.ascontiguousarray(inflow, dtype=np.float64),
        trigger=float(mi.scenario.release_trigger),
        zero_need=not (mi.bloc_share > 0).all() or not (world > 0).all(),
        comp_ptr=comp_ptr,
        comp_mineral=comp_mineral,
        ai_used=np.ascontiguousarray(used, dtype=bool),
        ai_pro_rata=np.array([kappa(r) >= 1.0 for r in RULES], dtype=bool),
        ai_coef=ai_coef,
    )
