"""Compiled kernels of the market engine: one pass per sample, state kept in registers.

:func:`critmin.sim.engine.run_block` compiles a scenario's structure once into a
:class:`Plan` (plain arrays) and hands it, with a block's draws, to :func:`run_samples`: for
each sample it builds the availability and demand of every year and mineral in a few small
buffers, then runs each mineral's years in one loop — the market's own state (adjustment
clock, commercial stocks, restocking), the clearing of a shocked year, the bloc's stock rule
and a second clearing when the bloc releases — and writes the outputs. The equations are
those of docs/model.md, operation for operation those of the NumPy engine this replaced
(decision 0035); :mod:`critmin.sim.reference` is the oracle the tests hold it against.

Why compiled loops: the NumPy engine made dozens of full ``(sample, year, mineral)``
temporaries per block, and on a machine whose memory bandwidth is the limit two threads (or
two Dask workers) ran hardly faster than one. Here a sample's working set (a few ``(T, M)``
buffers) stays in the CPU's caches, and the kernels release the GIL, so threads scale.

The kernels are compiled by Numba on first use and cached on disk (``cache=True``): beside
this file when its folder is writable, else in the user's cache folder (Numba's rules;
``NUMBA_CACHE_DIR`` overrides). Importing this module imports Numba (about 0.25 s): the
engine imports it only when it runs.

Examples
--------
>>> p, take = clear(0.9, 1.0, 0.1, -0.1, 1.1, 10.0, FAR, 0.0, FAR, 0.0)
>>> round(p, 4), round(take, 4)  # (1/0.9)^(1/0.2); 1.6935^-0.1
(1.6935, 0.9487)
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba
import numpy as np

#: Tolerance for "no shock": availability below 1 − EPS or demand off 1 by more than EPS.
EPS = 1e-9
#: Stand-in for an infinite kink (a supply curve with zero elasticity never reaches its
#: capacity ceiling): beyond any price the bounds allow (e^50).
FAR = 50.0
#: The smallest demand a market may be left with (state releases larger than the whole
#: demand): a stand-in for zero that keeps the logarithms finite.
FE_MIN = 1e-6

#: Effect kinds as the kernels number them.
KINDS = ("restriction", "outage", "logistics", "stochastic")

# Numba's options for every kernel: compiled once and cached on disk, the GIL released (the
# runner's threads run blocks side by side), and NumPy's floating-point semantics (a division
# by zero gives inf or nan, as the NumPy engine did, instead of raising).
jit = numba.njit(cache=True, nogil=True, error_model="numpy")


class Params(NamedTuple):
    """A block's market parameters, each ``(n, M)`` (:func:`critmin.sim.inputs.draw`)."""

    elasticity_supply_short: np.ndarray
    elasticity_supply_long: np.ndarray
    elasticity_demand_short: np.ndarray
    elasticity_demand_long: np.ndarray
    adjustment_years: np.ndarray
    spare_capacity: np.ndarray
    ramp_rate: np.ndarray
    price_cap: np.ndarray
    recycling_input_rate: np.ndarray
    precautionary_buying: np.ndarray
    substitution_threshold: np.ndarray
    elasticity_substitution: np.ndarray
    value_in_use: np.ndarray
    elasticity_destruction: np.ndarray
    inventory_cover: np.ndarray
    inventory_release: np.ndarray
    inventory_rebuild: np.ndarray
    market_balance: np.ndarray


class Plan(NamedTuple):
    """A scenario's structure as the kernels read it (built once per compiled scenario by
    :func:`critmin.sim.engine.plan`). ``T`` years, ``M`` minerals, ``X`` effects, ``S``
    slots, ``H`` by-product links, ``J`` AI components."""

    # §1 effects on slots, slots in the order the stage bottleneck sums them
    eff_event: np.ndarray  # (X,) int: the compiled event
    eff_kind: np.ndarray  # (X,) int: index in KINDS
    eff_mineral: np.ndarray  # (X,) int: the mineral of its slot
    eff_target: np.ndarray  # (X,) target_factor
    eff_scale: np.ndarray  # (X,) loss_scale
    eff_fraction: np.ndarray  # (X, T) share of the year in force
    eff_delay: np.ndarray  # (X, T) one-off logistics loss
    stage_ptr: np.ndarray  # (3,) slots of stage k: slot_order[stage_ptr[k]:stage_ptr[k+1]]
    slot_order: np.ndarray  # (S,) int
    slot_mineral: np.ndarray  # (S,) int, by position in slot_order
    slot_share: np.ndarray  # (S,) by position in slot_order
    slot_ptr: np.ndarray  # (S + 1,) effects of the q-th slot: slot_eff[slot_ptr[q]:...]
    slot_eff: np.ndarray  # effect indices, in the order of MarketInputs.effects
    host_b: np.ndarray  # (H,) int by-product
    host_g: np.ndarray  # (H,) int host
    host_apply: np.ndarray  # (H,) bool: the host is reached by some slot (or link before)
    touched: np.ndarray  # (M,) bool: recycling applies (some slot or link reaches it)
    # §1a the in-force share of the year
    part_any: bool  # some restriction or outage is in force for part of a year
    part_mineral: np.ndarray  # (M,) bool: its in-force share is computed
    part_need: np.ndarray  # (M,) bool: its effects' in-force shares are gathered
    part_host: np.ndarray  # (H,) bool: the link passes the host's share to the by-product
    # §2 demand
    base: np.ndarray  # (T, M) the bloc's baseline need: bloc share × world demand
    world: np.ndarray  # (T, M) baseline world demand
    has_purchase: bool
    purchase_share: np.ndarray  # (T, M) purchase / world demand
    purchase: np.ndarray  # (T, M) tonnes
    has_dedicated: bool
    dedicated: np.ndarray  # (T, M) tonnes
    has_state: bool
    state_event: np.ndarray  # (Z,) int
    state_mineral: np.ndarray  # (Z,) int
    state_coef: np.ndarray  # (Z, T)
    surge_event: np.ndarray  # (U,) int
    surge_fraction: np.ndarray  # (U, T)
    surge_ptr: np.ndarray  # (U + 1,) minerals of surge u: surge_mineral[surge_ptr[u]:...]
    surge_mineral: np.ndarray  # int
    cut_mineral: np.ndarray  # (K,) int: demand cuts (substitution R&D)
    cut_share: np.ndarray  # (K, T)
    # §5 the bloc's stock
    stocked: np.ndarray  # (M,) bool: the stock rule runs
    stock0: np.ndarray  # (M,) tonnes
    forced_release: np.ndarray  # (T, M) tonnes
    inflow: np.ndarray  # (T, M) tonnes: front-running pulses
    trigger: float
    zero_need: bool  # some mineral may have no need (a zero share or world demand)
    # §6 AI hardware
    comp_ptr: np.ndarray  # (J + 1,) minerals of component j: comp_mineral[comp_ptr[j]:...]
    comp_mineral: np.ndarray  # int
    ai_used: np.ndarray  # (M,) bool: some component uses it
    ai_pro_rata: np.ndarray  # (R,) bool: the rule's κ is 1 (AI short as the bloc)
    ai_coef: np.ndarray  # (R, T, M) c = κ + (1 − κ)/a (inf where a = 0)


class Draws(NamedTuple):
    """A block's draws as the kernels read them (:class:`critmin.sim.inputs.Draws`)."""

    magnitude: np.ndarray  # (n, E)
    exports: np.ndarray  # (n, E)
    stochastic: np.ndarray  # flat: element (s, e, t) at s·stride[0] + e·stride[1] + t·stride[2]
    stride: np.ndarray  # (3,) int, in elements
    host_share: np.ndarray  # (n, H)
    success: np.ndarray  # (n, K)
    params: Params


class Reductions(NamedTuple):
    """Per-sample reductions over the years, ``(n, M)``; ``ai_output_min`` ``(n, J)``,
    ``ai_shortfall_peak`` ``(n, M, R)`` (:func:`critmin.sim.runner.per_sample`)."""

    shortfall_peak: np.ndarray
    shortfall_horizon: np.ndarray
    price_peak: np.ndarray
    unmet_total: np.ndarray
    release_total: np.ndarray
    years_to_recover: np.ndarray
    ai_output_min: np.ndarray
    ai_shortfall_peak: np.ndarray


class Years32(NamedTuple):
    """The year arrays a summary keeps, as float32 ``(n, T, M)``."""

    shortfall: np.ndarray
    price_index: np.ndarray


class Outputs(NamedTuple):
    """The kernel's outputs, ``(n, T, M)`` and ``ai_output`` ``(n, T, J)``."""

    supply: np.ndarray
    demand: np.ndarray
    stock_release: np.ndarray
    unmet: np.ndarray
    shortfall: np.ndarray
    price_index: np.ndarray
    stock: np.ndarray
    available: np.ndarray
    ai_output: np.ndarray


@jit
def clear(
    a: float,
    fe: float,
    es: float,
    ed: float,
    cap: float,
    pmax: float,
    x_sub: float,
    e_sub: float,
    x_vu: float,
    e_vu: float,
) -> tuple[float, float]:
    """Clearing with a kinked demand curve: (price index, share of baseline demand bought).

    In logarithms (``x = ln P``) supply is ``ln Ã + min(εs x, ln cap)`` and demand
    ``ln Fe + εd x + ε_sub (x − x_sub)⁺ + ε_vu (x − x_vu)⁺``: above the substitution threshold
    (``x_sub``) substitution and thrifting add ``ε_sub``, above the value in use (``x_vu``)
    demand destruction adds ``ε_vu`` (docs/model.md §4). Excess demand is piecewise linear
    and decreasing in ``x``, so the root is found exactly segment by segment. The second
    value is traded / Fe: demand response and rationing at the price bound together.

    Examples
    --------
    >>> p, r = clear(0.0, 1.0, 0.1, -0.1, 1.1, 10.0, FAR, 0.0, FAR, 0.0)
    >>> p, r  # nothing available: the bound, nothing traded
    (10.0, 0.0)
    >>> p, r = clear(0.5, 1.0, 0.1, -0.1, 9.0, 1e3, math.log(2), -0.4, math.log(5), -1.0)
    >>> round(p, 3)  # 2^5 = 32 without the kinks; substitution above 2, then 5
    5.015
    """
    x_vu = max(x_vu, x_sub)
    if a == 1.0:
        ln_a = 0.0
    elif a <= 0.0:
        ln_a = -np.inf
    else:
        ln_a = math.log(a)
    ln_fe = 0.0 if fe == 1.0 else math.log(fe)
    ln_cap = math.log(cap)
    ln_pmax = math.log(pmax)
    g0 = ln_fe - ln_a  # excess demand at P = 1
    x_cap = ln_cap / es if es > 0.0 else FAR
    # Up to the first point (the substitution threshold or the capacity ceiling, whichever is
    # lower) one straight line: most markets clear there.
    x = g0 / (es - ed)
    k0 = min(x_sub, x_cap)
    far = g0 > 0.0 and x > k0
    if far:
        # Past the first point: walk the other two in order (x_sub <= x_vu already).
        lo = k0
        glo = _excess(lo, g0, ed, e_sub, x_sub, e_vu, x_vu, es, ln_cap)
        hi = max(min(x_vu, x_cap), x_sub)
        ghi = _excess(hi, g0, ed, e_sub, x_sub, e_vu, x_vu, es, ln_cap)
        if ghi > 0.0:
            lo, glo = hi, ghi
            hi = max(x_vu, x_cap)
            ghi = _excess(hi, g0, ed, e_sub, x_sub, e_vu, x_vu, es, ln_cap)
        # The root on the segment where excess demand changes sign; beyond every point
        # supply is at its ceiling and every demand term applies.
        x = lo + glo * (hi - lo) / (glo - ghi) if ghi <= 0.0 else hi - ghi / (ed + e_sub + e_vu)
    if not a > 0.0:
        x = ln_pmax
    bound = x >= ln_pmax or x <= -ln_pmax
    x = min(max(x, -ln_pmax), ln_pmax)
    ln_take = ed * x
    if far or bound:
        ln_take = ln_take + (e_sub * max(x - x_sub, 0.0) + e_vu * max(x - x_vu, 0.0))
    take = math.exp(ln_take)
    if bound:
        # At a price bound supply and demand differ: what is traded is the smaller.
        supply = a * math.exp(min(es * x, ln_cap))
        take = min(supply / fe, take)
    # Bounds applied again after exp: the logarithm may round one step past them.
    return min(max(math.exp(x), 1.0 / pmax), pmax), take


@jit
def _excess(
    v: float,
    g0: float,
    ed: float,
    e_sub: float,
    x_sub: float,
    e_vu: float,
    x_vu: float,
    es: float,
    ln_cap: float,
) -> float:
    """Excess demand in logarithms at ``x = v`` (:func:`clear`)."""
    return (g0 + ed * v + e_sub * max(v - x_sub, 0.0) + e_vu * max(v - x_vu, 0.0)
            - min(es * v, ln_cap))  # fmt: skip


@jit
def balanced(a: float, f: float, s: float) -> float:
    """Ã after the baseline market balance ``s`` (docs/model.md §1b; decision 0034).

    ``s`` is the surplus of supply over demand at the base price as a share of demand (the
    surplus going to stocks; negative: a deficit met from stocks). The loss of the months in
    force, ``(1 − Ã)/f`` of the supply, is ``(1 + s)`` times that in demand units; a surplus
    absorbs it first: ``Ã_on = min(1, 1 + max(s, 0) − (1 + s)(1 − Ã)/f)`` (at least 0), and
    the year's ``Ã = 1 − f (1 − Ã_on)``. ``Ã = 1`` stays 1.

    Examples
    --------
    >>> [round(balanced(a, 1.0, 0.15), 4) for a in (1.0, 0.9, 0.8, 0.5)]  # 10 % absorbed
    [1.0, 1.0, 0.92, 0.575]
    >>> round(balanced(0.95, 0.5, 0.15), 4)  # 10 % for half a year
    1.0
    """
    loss_on = (1.0 - a) / f
    a_on = min(1.0, 1.0 + max(s, 0.0) - (1.0 + s) * loss_on)
    return 1.0 - f * (1.0 - max(a_on, 0.0))


@jit
def _solve(
    a: float,
    fe: float,
    fk: float,
    lag: float,
    release: float,
    cut: float,
    has_cut: bool,
    es_s: float,
    es_l: float,
    ed_s: float,
    ed_l: float,
    adjust: float,
    spare: float,
    ramp: float,
    precaution: float,
    pmax: float,
    x_sub: float,
    e_sub: float,
    x_vu: float,
    e_vu: float,
) -> tuple[float, float]:
    """A shocked year's price and share bought (docs/model.md §2–§4): the months in force
    (share ``fk``) clear at the full-rate loss, with precautionary buying, the commercial
    release and the bloc's release ``cut`` (when ``has_cut``) taken off their demand; the
    rest of the year is at the baseline. Scalars only (no arrays cross the call)."""
    w = min(1.0, lag / adjust)
    es = es_s + (es_l - es_s) * w
    ed = ed_s + (ed_l - ed_s) * w
    cap = 1.0 + spare + ramp * lag
    # Availability at the full rate during the months in force (§1a), and precautionary
    # buying in proportion to that loss (§2).
    a_on = max(0.0, 1.0 - (1.0 - a) / fk)
    fe_on = fe + precaution * (1.0 - a_on)
    if has_cut:
        fe_on = max(fe_on - cut, FE_MIN)
    # Commercial stocks released during the months in force (§2a).
    a_on += release / fk
    p, t = clear(a_on, fe_on, es, ed, cap, pmax, x_sub, e_sub, x_vu, e_vu)
    # The year's average: the in-force months at the cleared price, the rest at baseline.
    return fk * p + (1.0 - fk), fk * t + (1.0 - fk)


@jit
def run_samples(
    pl: Plan,
    dr: Draws,
    part_year: bool,
    out: Outputs,
    red: Reductions,
    years32: Years32,
    threshold: float,
) -> None:
    """Simulate the samples of ``dr``: into ``out`` (every element written) unless its arrays
    have no samples; the per-sample reductions into ``red`` (:func:`reduce_sample`, with
    ``threshold`` for the years to recover) unless it has none; the shortfall and price index
    as float32 into ``years32`` unless it has none. A sample's year arrays live only in
    small buffers (``(T, M)``, in the CPU's caches) until then.

    Per sample: availability (§1: effects on slots, the stage bottleneck, by-product links,
    recycling), the in-force share (§1a), the market balance (§1b), demand (§2, §2b); then
    per mineral one loop over the years: the market's state (§2a, §3), the clearing of a
    shocked year (§4), the bloc's stock rule and its second clearing (§5); last, AI
    hardware (§6).
    """
    # Every array taken out of its tuple once: an attribute read inside a loop would count
    # a reference up and down at each pass.
    magnitude, exports, stochastic = dr.magnitude, dr.exports, dr.stochastic
    s_s, s_e, s_t = dr.stride[0], dr.stride[1], dr.stride[2]
    host_share, success, pr = dr.host_share, dr.success, dr.params
    eff_event, eff_kind, eff_target = pl.eff_event, pl.eff_kind, pl.eff_target
    eff_scale, eff_fraction, eff_delay = pl.eff_scale, pl.eff_fraction, pl.eff_delay
    stage_ptr, slot_mineral, slot_share = pl.stage_ptr, pl.slot_mineral, pl.slot_share
    slot_ptr, slot_eff = pl.slot_ptr, pl.slot_eff
    host_b, host_g, host_apply, touched = pl.host_b, pl.host_g, pl.host_apply, pl.touched
    part_mineral, part_need, part_host = pl.part_mineral, pl.part_need, pl.part_host
    base, world, purchase_share, purchase = pl.base, pl.world, pl.purchase_share, pl.purchase
    dedicated, has_purchase, has_dedicated = pl.dedicated, pl.has_purchase, pl.has_dedicated
    state_event, state_mineral, state_coef = pl.state_event, pl.state_mineral, pl.state_coef
    surge_event, surge_fraction = pl.surge_event, pl.surge_fraction
    surge_ptr, surge_mineral = pl.surge_ptr, pl.surge_mineral
    cut_mineral, cut_share = pl.cut_mineral, pl.cut_share
    stocked, stock0, forced_release, inflow = pl.stocked, pl.stock0, pl.forced_release, pl.inflow
    trigger, zero_need = pl.trigger, pl.zero_need
    comp_ptr, comp_mineral = pl.comp_ptr, pl.comp_mineral
    recycling, balance = pr.recycling_input_rate, pr.market_balance
    p_cover, p_release, p_rebuild = pr.inventory_cover, pr.inventory_release, pr.inventory_rebuild
    p_es_s, p_es_l = pr.elasticity_supply_short, pr.elasticity_supply_long
    p_ed_s, p_ed_l = pr.elasticity_demand_short, pr.elasticity_demand_long
    p_adjust, p_spare, p_ramp = pr.adjustment_years, pr.spare_capacity, pr.ramp_rate
    p_precaution, p_cap = pr.precautionary_buying, pr.price_cap
    p_sub, p_e_sub = pr.substitution_threshold, pr.elasticity_substitution
    p_vu, p_e_vu = pr.value_in_use, pr.elasticity_destruction
    o_supply, o_demand, o_release = out.supply, out.demand, out.stock_release
    o_unmet, o_shortfall, o_price = out.unmet, out.shortfall, out.price_index
    o_stock, o_available, o_ai = out.stock, out.available, out.ai_output
    r_sf, r_horizon, r_price = red.shortfall_peak, red.shortfall_horizon, red.price_peak
    r_unmet, r_release, r_years = red.unmet_total, red.release_total, red.years_to_recover
    r_ai_min, r_ai_peak = red.ai_output_min, red.ai_shortfall_peak
    y_shortfall, y_price = years32.shortfall, years32.price_index
    full = o_supply.shape[0] > 0
    reduce = r_sf.shape[0] > 0
    short32 = y_shortfall.shape[0] > 0

    n = magnitude.shape[0]
    T, M = world.shape
    H = host_b.shape[0]
    a = np.empty((T, M))
    fp = np.ones((T, M))  # the in-force share of each year (1: the whole year)
    fb = np.zeros((T, M))  # the largest in-force share of the effects gathered so far
    fe = np.empty((T, M))
    need = np.empty((T, M))
    flow = np.empty((T, M))
    cut = np.empty((T, M))
    market = np.empty((T, M))
    left = np.empty(T)
    own = np.empty(T)
    # One sample's outputs (need and a are its demand and availability).
    w_supply = np.empty((T, M))
    w_release = np.empty((T, M))
    w_unmet = np.empty((T, M))
    w_shortfall = np.empty((T, M))
    w_price = np.empty((T, M))
    w_stock = np.empty((T, M))
    w_ai = np.empty((T, comp_ptr.shape[0] - 1))
    use_fp = part_year and pl.part_any
    for s in range(n):
        # §1 availability and §1a the in-force share: each slot's effects, a year at a time.
        a[:, :] = 1.0
        if use_fp:
            fb[:, :] = 0.0
        for k in range(2):
            cut[:, :] = 0.0
            market[:, :] = 1.0  # the open market: 1 − Σ share × own use
            for q in range(stage_ptr[k], stage_ptr[k + 1]):
                m = slot_mineral[q]
                gather = use_fp and part_need[m]
                left[:] = 1.0
                own[:] = 0.0
                for r in range(slot_ptr[q], slot_ptr[q + 1]):
                    x = slot_eff[r]
                    e = eff_event[x]
                    kind = eff_kind[x]
                    mag = magnitude[s, e]
                    if kind == 0:  # restriction
                        xs = exports[s, e]
                        mxt = mag * xs * eff_target[x]
                        for t in range(T):
                            fr = eff_fraction[x, t]
                            if fr > 0.0:
                                own[t] = max(own[t], 1.0 - xs)
                            left[t] *= 1.0 - mxt * fr
                            if gather:
                                fb[t, m] = max(fb[t, m], fr)
                    elif kind == 1:  # outage
                        for t in range(T):
                            fr = eff_fraction[x, t]
                            left[t] *= 1.0 - mag * fr
                            if gather:
                                fb[t, m] = max(fb[t, m], fr)
                    elif kind == 2:  # logistics
                        scale = eff_scale[x]
                        for t in range(T):
                            fr = eff_fraction[x, t]
                            dl = eff_delay[x, t]
                            left[t] *= 1.0 - min(1.0, (mag * fr + dl) * scale)
                            if gather:
                                fb[t, m] = max(fb[t, m], 1.0 if fr > 0.0 or dl > 0.0 else 0.0)
                    else:  # stochastic
                        at = s * s_s + e * s_e
                        for t in range(T):
                            loss = mag * stochastic[at + t * s_t]
                            left[t] *= 1.0 - loss
                            if gather:
                                fb[t, m] = max(fb[t, m], 1.0 if loss > 0.0 else 0.0)
                sh = slot_share[q]
                for t in range(T):
                    cut[t, m] += sh * (1.0 - left[t])
                    market[t, m] -= sh * own[t]
            for t in range(T):
                for m in range(M):
                    # The stage bottleneck (the open market excludes restricting countries'
                    # own use).
                    a[t, m] = min(a[t, m], max(0.0, 1.0 - cut[t, m] / market[t, m]))
        for t in range(T):
            for h in range(H):
                b, g = host_b[h], host_g[h]
                if host_apply[h]:
                    a[t, b] = min(a[t, b], 1.0 - host_share[s, h] * (1.0 - a[t, g]))
                if use_fp and part_host[h]:
                    fb[t, b] = max(fb[t, b], fb[t, g])
            for m in range(M):
                if touched[m]:
                    rr = recycling[s, m]
                    a[t, m] = (1.0 - rr) * a[t, m] + rr
                if use_fp and part_mineral[m]:
                    fp[t, m] = fb[t, m] if fb[t, m] > 0.0 else 1.0
        # §1b the baseline market balance: a surplus going to stocks absorbs a loss first.
        for m in range(M):
            sb = balance[s, m]
            if sb != 0.0:
                for t in range(T):
                    a[t, m] = balanced(a[t, m], fp[t, m], sb)
        # §2 demand: surges, demand cuts, purchases, dedicated supply, state stockpiles.
        fe[:, :] = 1.0
        for u in range(surge_event.shape[0]):
            mag = magnitude[s, surge_event[u]]
            for t in range(T):
                fac = 1.0 + (mag - 1.0) * surge_fraction[u, t]
                for q in range(surge_ptr[u], surge_ptr[u + 1]):
                    fe[t, surge_mineral[q]] *= fac
        for k in range(cut_mineral.shape[0]):
            m = cut_mineral[k]
            for t in range(T):
                fe[t, m] *= 1.0 - cut_share[k, t] * success[s, k]
        for t in range(T):
            for m in range(M):
                f = fe[t, m]
                nd = base[t, m] * f
                need[t, m] = nd
                if has_purchase:
                    f = f + purchase_share[t, m]
                if has_dedicated:
                    f = f - min(dedicated[t, m], nd) / world[t, m]
                fe[t, m] = f
        if pl.has_state:
            # State stockpiles buy on (+) and sell into (−) the world market (§2b).
            flow[:, :] = 0.0
            for z in range(state_event.shape[0]):
                mag = magnitude[s, state_event[z]]
                m = state_mineral[z]
                for t in range(T):
                    flow[t, m] += mag * state_coef[z, t]
            for t in range(T):
                for m in range(M):
                    fe[t, m] = max(fe[t, m] + flow[t, m], FE_MIN)
        # Each mineral's years in one loop: the market's state carried from year to year
        # (§2a, §3), the clearing of each shocked year (§4), the bloc's stock rule and, when
        # it releases, the second clearing (§5).
        for m in range(M):
            cover = p_cover[s, m]
            share = p_release[s, m]
            rebuild = p_rebuild[s, m] * cover
            es_s, es_l, ed_s, ed_l = p_es_s[s, m], p_es_l[s, m], p_ed_s[s, m], p_ed_l[s, m]
            adjust, spare, ramp = p_adjust[s, m], p_spare[s, m], p_ramp[s, m]
            precaution, pmax = p_precaution[s, m], p_cap[s, m]
            e_sub, e_vu = p_e_sub[s, m], p_e_vu[s, m]
            x_sub = x_vu = 0.0
            logs = False
            level = cover  # the commercial holders' stock
            clock = 0.0  # in-force years of the current run of shocked years
            bloc = stock0[m]  # the bloc's stock
            for t in range(T):
                at = a[t, m]
                lossy = at < 1.0 - EPS
                # Restocking while no supply is lost: buy back what was drawn, at most
                # `rebuild` a year.
                rs = 0.0 if lossy else max(min(cover - level, rebuild), 0.0)
                fet = fe[t, m] + rs
                demand = abs(fet - 1.0) > EPS
                shocked = lossy or demand
                # A market shocked on the demand side counts the whole year.
                ft = fp[t, m] if use_fp and not demand else 1.0
                lag = clock if shocked else 0.0
                clock = clock + ft if shocked else 0.0
                # Holders cover `share` of the loss of the months in force while their stock
                # lasts.
                rel = min(level, min(1.0 - at, ft) * share) if shocked else 0.0
                level = level - rel + rs
                price = take = 1.0
                if shocked:
                    if not logs:
                        x_sub = math.log(p_sub[s, m])
                        x_vu = math.log(p_vu[s, m])
                        logs = True
                    price, take = _solve(at, fet, ft, lag, rel, 0.0, False, es_s, es_l, ed_s,
                                         ed_l, adjust, spare, ramp, precaution, pmax, x_sub,
                                         e_sub, x_vu, e_vu)  # fmt: skip
                    take = min(take, 1.0)  # the bloc never buys more than it needs
                nd = need[t, m]
                dd = min(dedicated[t, m], nd) if has_dedicated else 0.0
                mkt = nd - dd if has_dedicated else nd  # the bloc's need on the open market
                if stocked[m]:
                    g = mkt * (1.0 - take)  # the gap before any release
                    want = g if g > trigger * nd else 0.0
                    br = min(bloc, max(want, min(forced_release[t, m], g)))
                    if br > 0.0:
                        # The release covers part of the bloc's need, so the bloc buys that
                        # much less on the market during the months in force: the market
                        # clears again.
                        c = br / (world[t, m] * ft)
                        price, take = _solve(at, fet, ft, lag, rel, c, True, es_s, es_l, ed_s,
                                             ed_l, adjust, spare, ramp, precaution, pmax,
                                             x_sub, e_sub, x_vu, e_vu)  # fmt: skip
                        take = min(take, 1.0)
                    left_ = mkt - br  # what the bloc still buys on the market
                    bloc = bloc - br + purchase[t, m] * take + inflow[t, m]
                    got = left_ * take + dd if has_dedicated else left_ * take
                    unmet = left_ - left_ * take
                    w_release[t, m] = br
                    w_shortfall[t, m] = unmet / nd if nd > 0.0 else 0.0
                else:
                    if has_dedicated:
                        got = dd + mkt * take
                        unmet = nd - got
                        w_shortfall[t, m] = unmet / nd if nd > 0.0 else 0.0
                    else:
                        got = mkt * take
                        sf = 1.0 - take
                        if zero_need and nd <= 0.0:
                            sf = 0.0
                        unmet = nd * sf
                        w_shortfall[t, m] = sf
                    w_release[t, m] = 0.0
                w_supply[t, m] = got
                w_unmet[t, m] = unmet
                w_price[t, m] = price
                w_stock[t, m] = bloc
        # §6 AI hardware: the scarcest input decides each component's output.
        for j in range(comp_ptr.shape[0] - 1):
            lo, hi = comp_ptr[j], comp_ptr[j + 1]
            for t in range(T):
                v = np.inf if hi > lo else 1.0
                for q in range(lo, hi):
                    v = min(v, 1.0 - w_shortfall[t, comp_mineral[q]])
                w_ai[t, j] = v
        if full:
            o_demand[s] = need
            o_available[s] = a
            o_supply[s] = w_supply
            o_release[s] = w_release
            o_unmet[s] = w_unmet
            o_shortfall[s] = w_shortfall
            o_price[s] = w_price
            o_stock[s] = w_stock
            o_ai[s] = w_ai
        if reduce:
            reduce_sample(pl.ai_used, pl.ai_pro_rata, pl.ai_coef, w_shortfall, need, w_unmet,
                          w_price, w_release, w_ai, threshold, s, r_sf, r_horizon, r_price,
                          r_unmet, r_release, r_years, r_ai_min, r_ai_peak)  # fmt: skip
        if short32:
            for t in range(T):
                for m in range(M):
                    y_shortfall[s, t, m] = np.float32(w_shortfall[t, m])
                    y_price[s, t, m] = np.float32(w_price[t, m])


@jit
def reduce_sample(
    ai_used: np.ndarray,
    pro_rata: np.ndarray,
    coef: np.ndarray,
    shortfall: np.ndarray,
    demand: np.ndarray,
    unmet: np.ndarray,
    price: np.ndarray,
    release: np.ndarray,
    ai_output: np.ndarray,
    threshold: float,
    s: int,
    r_sf: np.ndarray,
    r_horizon: np.ndarray,
    r_price: np.ndarray,
    r_unmet: np.ndarray,
    r_release: np.ndarray,
    r_years: np.ndarray,
    r_ai_min: np.ndarray,
    r_ai_peak: np.ndarray,
) -> None:
    """The reductions of one sample's year arrays ``(T, M)`` into row ``s`` of each ``r_``
    array: worst year, horizon totals (summed year by year), years to recover (short by more
    than ``threshold`` until the first year that is not, or to the horizon's end) and AI's
    worst-year shortfall under each allocation rule (decision 0033; ``coef`` ``(R, T, M)``,
    :func:`critmin.sim.ai_allocation.coefficient`)."""
    T, M = shortfall.shape
    R = pro_rata.shape[0]
    for m in range(M):
        sf_max = -np.inf
        p_max = -np.inf
        need = 0.0
        lost = 0.0
        rel = 0.0
        first = -1
        end = T
        for t in range(T):
            sf = shortfall[t, m]
            sf_max = max(sf_max, sf)
            p_max = max(p_max, price[t, m])
            need += demand[t, m]
            lost += unmet[t, m]
            rel += release[t, m]
            if sf > threshold:
                if first < 0:
                    first = t
            elif first >= 0 and end == T:
                end = t
        r_sf[s, m] = sf_max
        r_price[s, m] = p_max
        r_unmet[s, m] = lost
        r_horizon[s, m] = lost / need if need > 0.0 else 0.0
        r_release[s, m] = rel
        r_years[s, m] = float(end - first) if first >= 0 else 0.0
        for r in range(R):
            worst = 0.0
            # Never short (every shortfall <= 0): AI is short of nothing under any rule.
            if ai_used[m] and sf_max > 0.0:
                for t in range(T):
                    v = min(max(shortfall[t, m], 0.0), 1.0)
                    if not pro_rata[r]:
                        c = coef[r, t, m]
                        met = 1.0 - v
                        if c == np.inf:
                            # AI uses none of the bloc's demand: short only when nothing is
                            # left.
                            v = 1.0 if met <= 0.0 else 0.0
                        else:
                            v = min(max(1.0 - c * met, 0.0), 1.0)
                    worst = max(worst, v)
            r_ai_peak[s, m, r] = worst
    for j in range(ai_output.shape[1]):
        v = np.inf
        for t in range(T):
            v = min(v, ai_output[t, j])
        r_ai_min[s, j] = v


@jit
def reduce_samples(
    pl: Plan,
    shortfall: np.ndarray,
    demand: np.ndarray,
    unmet: np.ndarray,
    price: np.ndarray,
    release: np.ndarray,
    ai_output: np.ndarray,
    threshold: float,
    red: Reductions,
) -> None:
    """:func:`reduce_sample` for every sample of full year arrays ``(n, T, M)``: the same
    arithmetic, so the same numbers as :func:`run_samples` reducing as it goes."""
    for s in range(shortfall.shape[0]):
        reduce_sample(pl.ai_used, pl.ai_pro_rata, pl.ai_coef, shortfall[s], demand[s],
                      unmet[s], price[s], release[s], ai_output[s], threshold, s,
                      red.shortfall_peak, red.shortfall_horizon, red.price_peak,
                      red.unmet_total, red.release_total, red.years_to_recover,
                      red.ai_output_min, red.ai_shortfall_peak)  # fmt: skip
