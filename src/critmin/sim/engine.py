"""The vectorised market engine: one block of samples, all minerals, year by year.

Implements docs/model.md on arrays of shape ``(sample, year, mineral)``: everything that does
not depend on the previous year (capacity availability, bottlenecks, by-products, recycling,
demand surges) is computed for all years at once; the year loop carries only the state that
does (years in shock, stocks). :mod:`critmin.sim.reference` is the plain-loop oracle the
tests hold this against.

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

from dataclasses import dataclass

import numpy as np

from critmin.sim.inputs import Draws, Effect, MarketInputs

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

#: Tolerance for "no shock": availability below 1 − EPS or demand off 1 by more than EPS.
EPS = 1e-9


def effect_loss(x: Effect, dr: Draws) -> np.ndarray:
    """The share ``ℓ`` ``(n, T)`` of its slot's capacity that effect ``x`` removes (§1)."""
    mag = dr.magnitude[:, x.event][:, None]
    if x.kind == "restriction":
        xs = dr.exports[:, x.event]
        return mag * xs[:, None] * x.target_factor * x.fraction[None, :]
    if x.kind == "outage":
        return mag * x.fraction[None, :]
    if x.kind == "logistics":
        return np.minimum(1.0, (mag * x.fraction[None, :] + x.delay[None, :]) * x.loss_scale)
    return mag * dr.stochastic[:, x.event, :]


def slot_availability(mi: MarketInputs, dr: Draws) -> tuple[np.ndarray, np.ndarray]:
    """Share of each slot's capacity left ``(S, n, T)`` (losses combine multiplicatively) and
    each slot's own-use share ``(S, n, T)`` (the largest ``1 − exports_share`` of the
    restrictions on it in force that year). The engine itself works slot by slot
    (:func:`availability`); this whole-array form is for inspection and tests."""
    T, _ = mi.shape
    a = np.ones((len(mi.slot_share), dr.n, T))
    own = np.zeros((len(mi.slot_share), dr.n, T))
    for x in mi.effects:
        if x.kind == "restriction":
            xs = dr.exports[:, x.event]
            own[x.slot] = np.maximum(own[x.slot], (1.0 - xs)[:, None] * (x.fraction > 0)[None, :])
        a[x.slot] *= 1.0 - effect_loss(x, dr)
    return a, own


def in_force(mi: MarketInputs, dr: Draws) -> np.ndarray | None:
    """The in-force share of each year ``f`` ``(n, T, M)`` of the supply effects on each
    mineral (docs/model.md §1a): the largest ``fraction[t]`` of its restrictions and outages;
    1 in a year a logistics or stochastic effect removes anything (their losses are annual
    averages); a by-product takes its host's when larger; 1 where nothing is in force.

    ``None`` when no restriction or outage is in force for part of a year (``f = 1``
    everywhere): only minerals such an effect reaches (or their by-products) are computed.
    """
    T, M = mi.shape
    partial: set[int] = set()
    for x in mi.effects:
        if x.kind in ("restriction", "outage") and ((x.fraction > 0) & (x.fraction < 1)).any():
            partial.add(int(mi.slot_mineral[x.slot]))
    for b, g, _ in mi.hosts:
        if g in partial:
            partial.add(b)
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


def availability(mi: MarketInputs, dr: Draws) -> np.ndarray:
    """Ã ``(n, T, M)``: stage bottleneck, by-product links and recycling applied.

    Only the minerals some event reaches (directly or through a by-product host) are
    computed; the others stay at exactly 1. Slot by slot, with one ``(n, T)`` buffer: no
    ``(slot, sample, year)`` array is made (the arithmetic is that of
    :func:`slot_availability`, operation for operation).
    """
    T, M = mi.shape
    n = dr.n
    on_slot: list[list[Effect]] = [[] for _ in range(len(mi.slot_share))]
    for x in mi.effects:
        on_slot[x.slot].append(x)
    a = np.ones((M, n, T))  # mineral-major while building: each mineral's slice contiguous
    left = np.empty((n, T))
    touched: set[int] = set()
    for k in (0, 1):
        cut: dict[int, np.ndarray] = {}
        market: dict[int, np.ndarray | float] = {}
        for i in np.flatnonzero(mi.slot_stage == k):
            m, share = int(mi.slot_mineral[i]), mi.slot_share[i]
            left.fill(1.0)
            own = None
            for x in on_slot[i]:
                if x.kind == "restriction":
                    xs = (1.0 - dr.exports[:, x.event])[:, None] * (x.fraction > 0)[None, :]
                    own = xs if own is None else np.maximum(own, xs)
                left *= 1.0 - effect_loss(x, dr)
            c = share * (1.0 - left)
            cut[m] = c if m not in cut else cut[m] + c
            if own is not None:
                # The open market excludes a restricting country's own use: O = 1 − Σ share × own.
                market[m] = market.get(m, 1.0) - share * own
        for m, c in cut.items():
            mk = market.get(m)
            stage = np.maximum(0.0, 1.0 - (c if mk is None else c / mk), out=c)
            np.minimum(a[m], stage, out=a[m])  # the stage bottleneck
            touched.add(m)
    for h, (b, g, _) in enumerate(mi.hosts):
        if g in touched:
            host = dr.host_share[:, h][:, None]
            np.minimum(a[b], 1.0 - host * (1.0 - a[g]), out=a[b])
            touched.add(b)
    r = dr.params["recycling_input_rate"]
    for m in touched:
        rm = r[:, m][:, None]
        a[m] = (1.0 - rm) * a[m] + rm
    return np.ascontiguousarray(a.transpose(1, 2, 0))


def balanced(a: np.ndarray, f: np.ndarray | float, s: np.ndarray | float) -> np.ndarray:
    """Ã after the baseline market balance ``s`` (docs/model.md §1b; decision 0034).

    ``s`` is the surplus of supply over demand at the base price as a share of demand (the
    surplus going to stocks; negative: a deficit met from stocks). The loss of the months in
    force, ``(1 − Ã)/f`` of the supply, is ``(1 + s)`` times that in demand units; a surplus
    absorbs it first: ``Ã_on = min(1, 1 + max(s, 0) − (1 + s)(1 − Ã)/f)`` (at least 0), and
    the year's ``Ã = 1 − f (1 − Ã_on)``. ``s = 0`` leaves ``Ã`` as it is; ``Ã = 1`` stays 1.

    Examples
    --------
    >>> a = np.array([1.0, 0.9, 0.8, 0.5])
    >>> balanced(a, 1.0, 0.15).round(4).tolist()  # a 10 % loss is absorbed, 20 % is not
    [1.0, 1.0, 0.92, 0.575]
    >>> balanced(a, 1.0, 0.0).tolist() == a.tolist()
    True
    >>> balanced(np.array([0.95]), 0.5, 0.15).round(4).tolist()  # 10 % for half a year
    [1.0]
    """
    loss_on = (1.0 - a) / f
    a_on = np.minimum(1.0, 1.0 + np.maximum(s, 0.0) - (1.0 + s) * loss_on)
    np.maximum(a_on, 0.0, out=a_on)
    return 1.0 - f * (1.0 - a_on)


def demand_factor(mi: MarketInputs, dr: Draws) -> np.ndarray:
    """F ``(n, T, M)``: the product of demand surges in force and of successful demand cuts."""
    T, M = mi.shape
    f = np.ones((dr.n, T, M))
    for e, js, frac, _ in mi.surge:
        if len(js):
            f[:, :, js] *= (1.0 + (dr.magnitude[:, e][:, None] - 1.0) * frac[None, :])[:, :, None]
    for k, (m, cut, _) in enumerate(mi.demand_cuts):
        assert dr.success is not None
        f[:, :, m] *= 1.0 - cut[None, :] * dr.success[:, k][:, None]
    return f


#: Stand-in for an infinite kink (a supply curve with zero elasticity never reaches its
#: capacity ceiling): beyond any price the bounds allow (e^50).
FAR = 50.0


def clear(
    a: np.ndarray,
    fe: np.ndarray,
    es: np.ndarray,
    ed: np.ndarray,
    cap: np.ndarray,
    pmax: np.ndarray,
    x_sub: np.ndarray | None = None,
    e_sub: np.ndarray | None = None,
    x_vu: np.ndarray | None = None,
    e_vu: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Clearing with a kinked demand curve: (price index, share of baseline demand bought).

    In logarithms (``x = ln P``) supply is ``ln Ã + min(εs x, ln cap)`` and demand
    ``ln Fe + εd x + ε_sub (x − x_sub)⁺ + ε_vu (x − x_vu)⁺``: above the substitution threshold
    (``x_sub``) substitution and thrifting add ``ε_sub``, above the value in use (``x_vu``)
    demand destruction adds ``ε_vu`` (docs/model.md §4). Excess demand is piecewise linear
    and decreasing in ``x``, so the root is found exactly segment by segment. The second
    value is traded / Fe: demand response and rationing at the price bound together.

    Examples
    --------
    >>> one = np.ones(1)
    >>> p, r = clear(0.9 * one, one, 0.1 * one, -0.1 * one, 1.1 * one, 10 * one)
    >>> round(float(p[0]), 4), round(float(r[0]), 4)  # (1/0.9)^(1/0.2); 1.6935^-0.1
    (1.6935, 0.9487)
    >>> p, r = clear(0.0 * one, one, 0.1 * one, -0.1 * one, 1.1 * one, 10 * one)
    >>> float(p[0]), float(r[0])  # nothing available: the bound, nothing traded
    (10.0, 0.0)
    >>> p, r = clear(0.5 * one, one, 0.1 * one, -0.1 * one, 9 * one, 1e3 * one,
    ...              np.log(2) * one, -0.4 * one, np.log(5) * one, -1.0 * one)
    >>> round(float(p[0]), 3)  # 2^5 = 32 without the kinks; substitution above 2, then 5
    5.015
    """
    z = np.zeros_like(a)
    x_sub = z + FAR if x_sub is None else x_sub
    x_vu = z + FAR if x_vu is None else np.maximum(x_vu, x_sub)
    e_sub = z if e_sub is None else e_sub
    e_vu = z if e_vu is None else e_vu
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ln_a = np.log(a, out=z.copy(), where=a != 1.0)
        ln_a[a <= 0.0] = -np.inf
        ln_fe = np.log(fe, out=z.copy(), where=fe != 1.0)
        ln_cap = np.log(cap)
        ln_pmax = np.log(pmax)
        g0 = ln_fe - ln_a  # excess demand at P = 1
        x_cap = np.where(es > 0, ln_cap / es, FAR)
        # Up to the first point (the substitution threshold or the capacity ceiling, whichever
        # is lower) one straight line: most markets clear there.
        x = g0 / (es - ed)
        k0 = np.minimum(x_sub, x_cap)
        far = (g0 > 0) & (x > k0)
        i = np.flatnonzero(far)
        if len(i):
            # Past the first point: walk the other two in order (x_sub <= x_vu already).
            g0i, edi, esi, lci = g0[i], ed[i], es[i], ln_cap[i]
            xsi, xvi, esbi, evui, xci = x_sub[i], x_vu[i], e_sub[i], e_vu[i], x_cap[i]

            def excess(v: np.ndarray) -> np.ndarray:
                return (g0i + edi * v + esbi * np.maximum(v - xsi, 0.0)
                        + evui * np.maximum(v - xvi, 0.0) - np.minimum(esi * v, lci))  # fmt: skip

            lo = k0[i]
            glo = excess(lo)
            xi = np.full(len(i), np.nan)
            done = np.zeros(len(i), dtype=bool)
            for hi in (np.maximum(np.minimum(xvi, xci), xsi), np.maximum(xvi, xci)):
                ghi = excess(hi)
                hit = ~done & (ghi <= 0)
                xi = np.where(hit, lo + glo * (hi - lo) / (glo - ghi), xi)
                done |= hit
                lo, glo = hi, ghi
            # Beyond every point supply is at its ceiling and every demand term applies.
            x[i] = np.where(done, xi, lo - glo / (edi + esbi + evui))
        x = np.where(a > 0, x, ln_pmax)
        bound = (x >= ln_pmax) | (x <= -ln_pmax)
        x = np.clip(x, -ln_pmax, ln_pmax)
        ln_take = ed * x
        j = np.flatnonzero(far | bound)
        if len(j):
            xj = x[j]
            ln_take[j] += (e_sub[j] * np.maximum(xj - x_sub[j], 0.0)
                           + e_vu[j] * np.maximum(xj - x_vu[j], 0.0))  # fmt: skip
        take = np.exp(ln_take)
    if bound.any():
        # At a price bound supply and demand differ: what is traded is the smaller.
        i = np.flatnonzero(bound)
        supply = a[i] * np.exp(np.minimum(es[i] * x[i], ln_cap[i]))
        take[i] = np.minimum(supply / fe[i], take[i])
    # Bounds applied again after exp: the logarithm may round one step past them.
    return np.clip(np.exp(x), 1.0 / pmax, pmax), take


def state_flow(mi: MarketInputs, dr: Draws) -> np.ndarray | None:
    """State stockpiles' purchases (+) and releases (−) ``(n, T, M)`` as shares of the
    baseline world demand (docs/model.md §2b); ``None`` when the scenario has none."""
    if not mi.state:
        return None
    T, M = mi.shape
    out = np.zeros((dr.n, T, M))
    for e, m, coef in mi.state:
        out[:, :, m] += dr.magnitude[:, e][:, None] * coef[None, :]
    return out


#: The smallest demand a market may be left with (state releases larger than the whole
#: demand): a stand-in for zero that keeps the logarithms finite (the price then sits at
#: its lower bound).
FE_MIN = 1e-6


@dataclass(frozen=True)
class MarketState:
    """The shocked cells of a block and their state (:func:`market_state`), each array
    aligned with ``k``, the flat indices of the shocked ``(sample, year, mineral)`` cells."""

    k: np.ndarray
    lag: np.ndarray
    f: np.ndarray
    release: np.ndarray
    restock: np.ndarray | None


def market_state(
    a: np.ndarray,
    fe: np.ndarray,
    f_part: np.ndarray | None,
    dr: Draws,
    demand_cols: np.ndarray | None = None,
) -> MarketState:
    """One scan over the years of everything that carries from one year to the next in the
    market (docs/model.md §2a, §3): the commercial holders' stock level, their restocking
    demand once a loss is over, the shock state and the adjustment clock.

    Only the (sample, mineral) pairs some shock reaches go through the scan, as vectors (a
    few hundred operations on contiguous arrays, whatever the number of minerals). For each
    shocked cell: the clock (in-force years of the current run of shocked years before the
    year), the share of the year in force, the commercial release and the restocking demand
    (shares of a year's baseline demand; ``restock`` is ``None`` when nothing restocks).
    ``demand_cols``: the only minerals whose ``fe`` may differ from 1 (all when ``None``).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> dr = SimpleNamespace(params={"inventory_cover": np.full((1, 1), 0.15),
    ...     "inventory_release": np.full((1, 1), 0.5), "inventory_rebuild": np.full((1, 1), 0.5)})
    >>> a = np.array([0.8, 0.8, 0.8, 1.0, 1.0, 1.0]).reshape(1, 6, 1)
    >>> st = market_state(a, np.ones((1, 6, 1)), None, dr)
    >>> st.k.tolist()  # the shocked years: the loss, then two years of restocking
    [0, 1, 2, 3, 4]
    >>> st.release.round(3).tolist()  # 0.1 wanted a year, 0.15 in stock
    [0.1, 0.05, 0.0, 0.0, 0.0]
    >>> st.restock.round(3).tolist()  # rebuilt at 0.075 a year once the loss is over
    [0.0, 0.0, 0.0, 0.075, 0.075]
    >>> st.lag.tolist()  # the clock runs through the restocking years
    [0.0, 1.0, 2.0, 3.0, 4.0]
    """
    _, T, M = a.shape
    cols_d = np.arange(M) if demand_cols is None else demand_cols
    demand = np.abs(fe[:, :, cols_d] - 1.0) > EPS  # (n, T, len(cols_d))
    pairs = a.min(axis=1) < 1.0 - EPS  # (n, M): some year with a supply loss
    pairs[:, cols_d] |= demand.any(axis=1)
    ps, pm = np.nonzero(pairs)
    K = len(ps)
    empty = np.zeros(0)
    if not K:
        return MarketState(np.zeros(0, dtype=np.intp), empty, empty, empty, None)
    cover = dr.params["inventory_cover"][ps, pm]
    share = dr.params["inventory_release"][ps, pm]
    rebuild = dr.params["inventory_rebuild"][ps, pm] * cover
    restocks = bool((rebuild > 0).any())
    # Year-major copies of the pairs' series: each year's slice is one contiguous vector.
    a_k = np.ascontiguousarray(a[ps, :, pm].T)  # (T, K)
    lossy_k = a_k < 1.0 - EPS
    demand_k = np.zeros((T, K), dtype=bool)
    col_of = np.full(M, -1)
    col_of[cols_d] = np.arange(len(cols_d))
    d = col_of[pm] >= 0
    if d.any():
        demand_k[:, d] = demand[ps[d], :, col_of[pm[d]]].T
    fe_k = np.ascontiguousarray(fe[ps, :, pm].T) if restocks else None
    fp_k = None if f_part is None else np.ascontiguousarray(f_part[ps, :, pm].T)
    lag_k = np.empty((T, K))
    f_k = np.empty((T, K)) if fp_k is not None else None
    rel_k = np.empty((T, K))
    rs_k = np.zeros((T, K)) if restocks else None
    sh_k = np.empty((T, K), dtype=bool)
    level = cover.copy()
    clock = np.zeros(K)
    want = np.empty(K)
    for t in range(T):
        lo = lossy_k[t]
        de = demand_k[t]
        if rs_k is not None:
            assert fe_k is not None
            # Restocking while no supply is lost: buy back what was drawn, at most `rebuild`.
            rs = rs_k[t]
            np.subtract(cover, level, out=rs)
            np.minimum(rs, rebuild, out=rs)
            np.maximum(rs, 0.0, out=rs)
            rs[lo] = 0.0
            de = np.abs(fe_k[t] + rs - 1.0) > EPS
        sh = np.logical_or(lo, de, out=sh_k[t])
        ft: np.ndarray | float = 1.0
        if f_k is not None:
            assert fp_k is not None
            fkt = f_k[t]
            np.copyto(fkt, fp_k[t])
            fkt[de] = 1.0  # a market shocked on the demand side counts the whole year
            ft = fkt
        np.multiply(clock, sh, out=lag_k[t])
        clock += ft
        clock *= sh
        # Holders cover `share` of the loss of the months in force while their stock lasts.
        np.subtract(1.0, a_k[t], out=want)
        np.minimum(want, ft, out=want)
        want *= share
        r = rel_k[t]
        np.minimum(level, want, out=r)
        r *= sh
        level -= r
        if rs_k is not None:
            level += rs_k[t]
    tt, j = np.nonzero(sh_k)
    k = ps[j] * (T * M) + tt * M + pm[j]
    return MarketState(
        k,
        lag_k[tt, j],
        np.ones(len(k)) if f_k is None else f_k[tt, j],
        rel_k[tt, j],
        None if rs_k is None else rs_k[tt, j],
    )


def run_block(mi: MarketInputs, dr: Draws, part_year: bool = True) -> dict[str, np.ndarray]:
    """Simulate one block of samples; arrays ``(n, T, M)`` and ``ai_output`` ``(n, T, J)``.

    Availability, demand shifts and the market's own state (clock, commercial stocks,
    restocking: :func:`market_state`, one scan over the years) come first; then every shocked
    cell clears at once; last, the bloc's stock rule runs year by year for the minerals that
    can hold a stock, and a year's release, taken off the bloc's demand on the market, clears
    that market again (docs/model.md §5). ``part_year=False`` clears every shocked year as a
    whole (the model before issue 16: an annual-average loss, adjustment clock in whole
    years); with the issue-16 parameters set to their neutral values
    (:data:`critmin.sim.calibration.PREVIOUS_MODEL`) it reproduces that model, which
    ``critmin validate`` reports beside the current one.
    """
    T, M = mi.shape
    n = dr.n
    a = availability(mi, dr)
    f = demand_factor(mi, dr)
    world = mi.world_t[None, :, :]
    phi = mi.bloc_share[None, None, :]
    need = phi * world * f
    fe = f
    if mi.purchase.any():
        fe = fe + mi.purchase[None, :, :] / world
    dd = None
    if mi.dedicated is not None and mi.dedicated.any():
        # Supply dedicated to the bloc covers its need first and leaves the open market.
        dd = np.minimum(mi.dedicated[None, :, :], need)
        fe = fe - dd / world
    flow = state_flow(mi, dr)
    if flow is not None:
        # State stockpiles buy on (+) and sell into (−) the world market (§2b).
        fe = np.maximum(fe + flow, FE_MIN)
    # §1a in-force share of the year: supply effects in force part of a year clear at their
    # full rate for that part; a market shocked on the demand side counts the whole year.
    f_part = in_force(mi, dr) if part_year else None
    # §1b the baseline market balance: a surplus going to stocks absorbs a loss first.
    bal = dr.params.get("market_balance")
    if bal is not None:
        for mb in np.flatnonzero((bal != 0.0).any(axis=0)):
            fm = 1.0 if f_part is None else f_part[:, :, mb]
            a[:, :, mb] = balanced(a[:, :, mb], fm, bal[:, mb][:, None])
    # The minerals whose demand may be off its baseline (everything else has Fe = 1).
    moved = np.zeros(M, dtype=bool)
    for _, js, _, _ in mi.surge:
        moved[js] = True
    for m, _, _ in mi.demand_cuts:
        moved[m] = True
    for _, m, _ in mi.state:
        moved[m] = True
    moved |= mi.purchase.any(0)
    if dd is not None:
        moved |= mi.dedicated.any(0)  # type: ignore[union-attr]
    ms = market_state(a, fe, f_part, dr, np.flatnonzero(moved))
    price = np.ones((n, T, M))
    take = np.ones((n, T, M))  # the share of demand bought (demand response × rationing)
    fe_flat = fe.ravel()
    a_flat = a.ravel()

    def solve(i: np.ndarray, cut: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The year's price and share bought of the shocked cells ``ms.k[i]``, with ``cut``
        taken off the demand of the months in force (the bloc's stock release)."""
        k = ms.k[i]
        s_ = k // (T * M)
        m_ = k % M
        flat = s_ * M + m_

        def par(name: str) -> np.ndarray:
            return dr.params[name].ravel()[flat]

        lag = ms.lag[i]
        fk = ms.f[i]
        w = np.minimum(1.0, lag / par("adjustment_years"))
        es_s, ed_s = par("elasticity_supply_short"), par("elasticity_demand_short")
        es = es_s + (par("elasticity_supply_long") - es_s) * w
        ed = ed_s + (par("elasticity_demand_long") - ed_s) * w
        cap = 1.0 + par("spare_capacity") + par("ramp_rate") * lag
        # Availability at the full rate during the months in force (§1a), and precautionary
        # buying in proportion to that loss (§2); holders restocking after a loss (§2a).
        a_on = np.maximum(0.0, 1.0 - (1.0 - a_flat[k]) / fk)
        fe_k = fe_flat[k] if ms.restock is None else fe_flat[k] + ms.restock[i]
        fe_on = fe_k + par("precautionary_buying") * (1.0 - a_on)
        if cut is not None:
            fe_on = np.maximum(fe_on - cut, FE_MIN)
        # Commercial stocks released during the months in force (§2a).
        a_on += ms.release[i] / fk
        pk, tk = clear(a_on, fe_on, es, ed, cap, par("price_cap"),
                       np.log(par("substitution_threshold")), par("elasticity_substitution"),
                       np.log(par("value_in_use")), par("elasticity_destruction"))  # fmt: skip
        # The year's average: the in-force months at the cleared price, the rest at baseline.
        return fk * pk + (1.0 - fk), fk * tk + (1.0 - fk)

    # Unshocked markets clear at the baseline (P = 1, all demand met): solve only the rest.
    if len(ms.k):
        pk, tk = solve(np.arange(len(ms.k)))
        price.ravel()[ms.k] = pk
        take.ravel()[ms.k] = np.minimum(tk, 1.0)  # the bloc never buys more than it needs
    mkt = need if dd is None else need - dd  # the bloc's need on the open market
    got = mkt * take if dd is None else dd + mkt * take
    release = np.zeros((n, T, M))
    # Shortfall without a division: unmet / need = 1 − take where nothing is released.
    if dd is None:
        shortfall = 1.0 - take
        if not (mi.bloc_share > 0).all() or not (mi.world_t > 0).all():
            shortfall[need <= 0] = 0.0
        unmet = need * shortfall
    else:
        unmet = need - got
        shortfall = np.divide(unmet, need, out=np.zeros_like(unmet), where=need > 0)
    inflow_fr = mi.front_run * mi.bloc_share[None, :] * mi.world_t  # (T, M)
    # Stocks: only minerals with a stock, a purchase, a forced release or front-running.
    stocked = np.flatnonzero(
        (mi.stock0 > 0) | mi.purchase.any(0) | mi.forced_release.any(0) | inflow_fr.any(0)
    )
    if not len(stocked):
        # Nothing can be held: the stock is its start (0 or a given tonnage) every year.
        stock = np.broadcast_to(mi.stock0[None, None, :], (n, T, M))
    else:
        stock = np.empty((n, T, M))
        stock[...] = mi.stock0[None, None, :]
        trigger = mi.scenario.release_trigger
        # Where each shocked cell's state sits in `ms` (a release happens only where shocked).
        where = np.full(n * T * M, -1, dtype=np.intp)
        where[ms.k] = np.arange(len(ms.k))
        level = np.broadcast_to(mi.stock0[stocked], (n, len(stocked))).copy()
        for t in range(T):
            mk, nd = mkt[:, t, stocked], need[:, t, stocked]
            g = mk * (1.0 - take[:, t, stocked])  # the gap before any release
            want = np.where(g > trigger * nd, g, 0.0)
            forced = np.minimum(mi.forced_release[t, stocked][None, :], g)
            rel = np.minimum(level, np.maximum(want, forced))
            i_s, i_m = np.nonzero(rel > 0)
            if len(i_s):
                # The release covers part of the bloc's need, so the bloc buys that much
                # less on the market during the months in force: the market clears again.
                kk = i_s * (T * M) + t * M + stocked[i_m]
                ii = where[kk]
                cut = rel[i_s, i_m] / (mi.world_t[t, stocked[i_m]] * ms.f[ii])
                pk, tk = solve(ii, cut)
                price.ravel()[kk] = pk
                take.ravel()[kk] = np.minimum(tk, 1.0)
            tt = take[:, t, stocked]
            left = mk - rel  # what the bloc still buys on the market
            bought = mi.purchase[t, stocked][None, :] * tt
            level = level - rel + bought + inflow_fr[t, stocked][None, :]
            release[:, t, stocked] = rel
            stock[:, t, stocked] = level
            got_t = left * tt
            if dd is not None:
                got_t = got_t + dd[:, t, stocked]
            got[:, t, stocked] = got_t
            unmet[:, t, stocked] = left - left * tt
        u = unmet[:, :, stocked]
        nd = need[:, :, stocked]
        shortfall[:, :, stocked] = np.divide(u, nd, out=np.zeros_like(u), where=nd > 0)
    out = {
        "supply": got,
        "demand": need,
        "stock_release": release,
        "unmet": unmet,
        "shortfall": shortfall,
        "price_index": price,
        "stock": stock,
        "available": a,
        "ai_output": np.empty(0),
    }
    out["ai_output"] = ai_output(mi, out["shortfall"])
    return out


def ai_output(mi: MarketInputs, shortfall: np.ndarray) -> np.ndarray:
    """Share of each AI component's output the shortfalls allow: the scarcest input decides."""
    n, T, _ = shortfall.shape
    res = np.ones((n, T, len(mi.components)))
    met = 1.0 - shortfall
    for j in range(len(mi.components)):
        used = np.flatnonzero(mi.component_uses[j])
        if len(used):
            res[:, :, j] = met[:, :, used].min(axis=2)
    return res
