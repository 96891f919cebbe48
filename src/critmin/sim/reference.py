"""The reference implementation of the market model: the test oracle for the fast engine.

The equations of ``docs/model.md``, written for clarity rather than speed: plain Python loops
over one sample at a time, one year at a time and one mineral at a time, on Python floats and
the :mod:`math` module. NumPy is used only to allocate and fill the output arrays. The fast,
vectorised :mod:`critmin.sim.engine` must return the same numbers (to rounding); the tests in
``tests/sim/test_oracle.py`` hold it against this module, so this module must never import
the engine.

Where ``docs/model.md`` leaves room for reading, this module takes the following choices:

- By-product links are applied one after the other in the order of ``mi.hosts``, each link
  reading the host's availability as it stands at that point (after the stage bottleneck and
  after any earlier link that changed the host), and before recycling.
- An availability ``Ã ≤ 0`` is treated as ``Ã = 0``: the price is the cap and nothing is traded
  (``A_k`` is clipped at 0 by §1, so this is only a guard).
- Powers that overflow a float are taken as ``inf`` (what NumPy gives), so a near-total loss
  clears at the price cap instead of raising :class:`OverflowError`.

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
>>> sorted(out)  # doctest: +NORMALIZE_WHITESPACE
['ai_output', 'available', 'demand', 'price_index', 'shortfall', 'stock',
 'stock_release', 'supply', 'unmet']
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from critmin.sim.inputs import Draws, Effect, MarketInputs

#: Outputs of shape (sample, year, mineral); ``ai_output`` is (sample, year, component).
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

#: A market is in shock when Ã < 1 − SHOCK_TOL or |Fe − 1| > SHOCK_TOL (docs/model.md §3).
SHOCK_TOL = 1e-9

MINE, REFINE = 0, 1

#: Stand-in for the capacity point of a supply with zero elasticity (never reached).
FAR = 50.0

#: The smallest demand a market may be left with by state releases (§2b): keeps ln finite.
FE_MIN = 1e-6


def run_block(mi: MarketInputs, dr: Draws) -> dict[str, np.ndarray]:
    """Simulate one block of samples, one sample, year and mineral at a time.

    Parameters
    ----------
    mi
        The deterministic inputs from :func:`critmin.sim.inputs.prepare`.
    dr
        One block of random draws from :func:`critmin.sim.inputs.draw`.

    Returns
    -------
    dict[str, numpy.ndarray]
        ``supply``, ``demand``, ``stock_release``, ``unmet``, ``shortfall``, ``price_index``,
        ``stock`` and ``available``, each of shape ``(n, T, M)``, and ``ai_output`` of shape
        ``(n, T, J)`` (J = number of AI components).
    """
    n = dr.n
    n_years = len(mi.years)
    n_minerals = len(mi.minerals)
    n_components = len(mi.components)
    out = {key: np.zeros((n, n_years, n_minerals), dtype=np.float64) for key in OUTPUTS}
    out["ai_output"] = np.ones((n, n_years, n_components), dtype=np.float64)
    trigger = float(mi.scenario.release_trigger)

    for s in range(n):
        # State carried from year to year: the bloc's stock and the years in shock (τ).
        stock = [float(mi.stock0[m]) for m in range(n_minerals)]
        # In-force years of the current run of shocked years (the adjustment clock, §3).
        elapsed = [0.0] * n_minerals
        # The commercial holders' stock (§2a), full at the start.
        held = [float(dr.params["inventory_cover"][s, m]) for m in range(n_minerals)]
        for t in range(n_years):
            available = availability(mi, dr, s, t)
            forced_share = in_force_share(mi, dr, s, t)
            surge = demand_factor(mi, dr, s, t)
            state = state_stockpiles(mi, dr, s, t)
            shortfall = [0.0] * n_minerals
            for m in range(n_minerals):
                a = available[m]
                bal = dr.params.get("market_balance")
                s_bal = 0.0 if bal is None else float(bal[s, m])
                if s_bal != 0.0:
                    # §1b a baseline surplus absorbs the loss of the months in force first.
                    f_in = forced_share[m] if forced_share[m] > 0.0 else 1.0
                    loss_on = (1.0 - a) / f_in
                    a_on = min(1.0, 1.0 + max(s_bal, 0.0) - (1.0 + s_bal) * loss_on)
                    a = 1.0 - f_in * (1.0 - max(a_on, 0.0))
                f = surge[m]
                world = float(mi.world_t[t, m])
                purchase = float(mi.purchase[t, m])
                phi = float(mi.bloc_share[m])
                need = phi * f * world
                # Supply dedicated to the bloc (policy levers) covers its need first.
                dedicated = 0.0 if mi.dedicated is None else float(mi.dedicated[t, m])
                dd = min(dedicated, need)
                fe = f + purchase_share(purchase, world) - (dd / world if dd else 0.0)
                if state[m] != 0.0:
                    # §2b state stockpiles buy on and sell into the world market.
                    fe = max(fe + state[m], FE_MIN)
                p = {name: float(values[s, m]) for name, values in dr.params.items()}

                # §2a restocking: once no supply is lost, holders buy back what they drew.
                lossy = a < 1.0 - SHOCK_TOL
                cover = p["inventory_cover"]
                restock = 0.0
                if not lossy:
                    restock = max(0.0, min(cover - held[m], p["inventory_rebuild"] * cover))
                    fe += restock

                # §1a the share of the year in force: a demand shock counts the whole year.
                demand_shocked = abs(fe - 1.0) > SHOCK_TOL
                share = forced_share[m]
                if demand_shocked or share <= 0.0:
                    share = 1.0
                # §3 adjustment state, then the elasticities and supply ceiling it implies.
                shocked = lossy or demand_shocked
                if shocked:
                    lag = elapsed[m]
                    elapsed[m] += share
                    # §2a holders cover part of the loss while their stock lasts.
                    want = p["inventory_release"] * min(share, 1.0 - a)
                    released = min(held[m], want)
                else:
                    lag = 0.0
                    elapsed[m] = 0.0
                    released = 0.0
                held[m] = held[m] - released + restock
                es, ed, cap = adjusted(dr, s, m, lag)

                # §4 clearing; step 0: a market not in shock clears at the baseline.
                market = (a, share, fe, released, es, ed, cap, p)
                price, take = clear_year(*market, 0.0) if shocked else (1.0, 1.0)
                take = min(1.0, take)

                # §5 the bloc, its stock and the mass balance. The gap before any release:
                gap = (need - dd) * (1.0 - take)
                want = gap if gap > trigger * need else 0.0
                forced = min(float(mi.forced_release[t, m]), gap)
                release = min(stock[m], max(want, forced))
                if release > 0.0:
                    # The bloc buys that much less on the market: it clears again.
                    price, take = clear_year(*market, release / (world * share))
                    take = min(1.0, take)
                # The rest of the need on the open market is bought: demand response and
                # rationing.
                got = dd + (need - dd - release) * take
                bought = purchase * take
                unmet = need - got - release
                shortfall[m] = unmet / need if need != 0.0 else 0.0
                stock[m] = stock[m] - release + bought + float(mi.front_run[t, m]) * phi * world

                out["supply"][s, t, m] = got
                out["demand"][s, t, m] = need
                out["stock_release"][s, t, m] = release
                out["unmet"][s, t, m] = unmet
                out["shortfall"][s, t, m] = shortfall[m]
                out["price_index"][s, t, m] = price
                out["stock"][s, t, m] = stock[m]
                out["available"][s, t, m] = a

            # §6 AI hardware: the scarcest mineral a component needs decides its output.
            for j in range(n_components):
                met = [1.0 - shortfall[m] for m in range(n_minerals) if mi.component_uses[j, m]]
                out["ai_output"][s, t, j] = min(met) if met else 1.0
    return out


def clear_year(
    a: float,
    share: float,
    fe: float,
    released: float,
    es: float,
    ed: float,
    cap: float,
    p: dict[str, float],
    cut: float,
) -> tuple[float, float]:
    """§4 a shocked market's year: ``(P, take)``; the months in force (``share``) clear at the
    full-rate availability with precautionary buying and the commercial release, ``cut`` taken
    off their demand (the bloc's release, §5); the rest of the year is at the baseline."""
    a_on = max(0.0, 1.0 - (1.0 - a) / share)
    fe_on = fe + p["precautionary_buying"] * (1.0 - a_on)
    if cut > 0.0:
        fe_on = max(fe_on - cut, FE_MIN)
    a_on += released / share
    curve = Demand(
        ed,
        math.log(p["substitution_threshold"]),
        p["elasticity_substitution"],
        math.log(p["value_in_use"]),
        p["elasticity_destruction"],
    )
    p_on, take_on = clear(a_on, fe_on, es, cap, p["price_cap"], curve)
    return share * p_on + (1.0 - share), share * take_on + (1.0 - share)


# --------------------------------------------------------------------------------------------
# §1 capacity available to the open market


def effect_loss(x: Effect, dr: Draws, s: int, t: int) -> float:
    """The share ``ℓ`` of its slot's capacity that effect ``x`` removes in year ``t``."""
    mag = float(dr.magnitude[s, x.event])
    if x.kind == "restriction":
        exported = float(dr.exports[s, x.event])
        return mag * exported * float(x.target_factor) * float(x.fraction[t])
    if x.kind == "outage":
        return mag * float(x.fraction[t])
    if x.kind == "logistics":
        return min(1.0, (mag * float(x.fraction[t]) + float(x.delay[t])) * float(x.loss_scale))
    if x.kind == "stochastic":
        return mag * float(dr.stochastic[s, x.event, t])
    raise ValueError(f"unknown effect kind {x.kind!r}")


def slot_availability(mi: MarketInputs, dr: Draws, s: int, t: int) -> list[float]:
    """``a_i``: the share of each slot's capacity left, the product of ``1 − ℓ`` over effects."""
    a = [1.0] * len(mi.slot_share)
    for x in mi.effects:
        a[x.slot] *= 1.0 - effect_loss(x, dr, s, t)
    return a


def slot_own_use(mi: MarketInputs, dr: Draws, s: int, t: int) -> list[float]:
    """``own_i``: the largest ``1 − exports`` over the restrictions on each slot in force in
    year ``t`` (0 when none): a country's own use leaves the open market only while it
    restricts exports."""
    own = [0.0] * len(mi.slot_share)
    for x in mi.effects:
        if x.kind == "restriction" and float(x.fraction[t]) > 0.0:
            own[x.slot] = max(own[x.slot], 1.0 - float(dr.exports[s, x.event]))
    return own


def stage_availability(
    mi: MarketInputs, slot_a: list[float], own: list[float], m: int, k: int
) -> float:
    """``A_k`` of mineral ``m``: ``max(0, 1 − Σ share_i (1 − a_i) / O_k)`` over its slots at
    stage ``k``, with the open market ``O_k = 1 − Σ share_i own_i``."""
    if not mi.stage_present[k, m]:
        return 1.0
    lost = 0.0
    own_use = 0.0
    for i in range(len(mi.slot_share)):
        if int(mi.slot_mineral[i]) == m and int(mi.slot_stage[i]) == k:
            share = float(mi.slot_share[i])
            lost += share * (1.0 - slot_a[i])
            own_use += share * own[i]
    open_market = 1.0 - own_use
    return max(0.0, 1.0 - lost / open_market)


def availability(mi: MarketInputs, dr: Draws, s: int, t: int) -> list[float]:
    """``Ã`` per mineral: bottleneck, then by-product links in order, then recycling."""
    n_minerals = len(mi.minerals)
    slot_a = slot_availability(mi, dr, s, t)
    own = slot_own_use(mi, dr, s, t)
    a = []
    for m in range(n_minerals):
        a_mine = stage_availability(mi, slot_a, own, m, MINE)
        a_refine = stage_availability(mi, slot_a, own, m, REFINE)
        a.append(min(a_mine, a_refine))
    for h, (b, g, _share) in enumerate(mi.hosts):
        host = float(dr.host_share[s, h])
        a[b] = min(a[b], 1.0 - host * (1.0 - a[g]))
    out = []
    for m in range(n_minerals):
        r = float(dr.params["recycling_input_rate"][s, m])
        out.append((1.0 - r) * a[m] + r)
    return out


def in_force_share(mi: MarketInputs, dr: Draws, s: int, t: int) -> list[float]:
    """``f`` per mineral (§1a): the largest in-force share of year ``t`` of the restrictions and
    outages on it, 1 if a logistics or stochastic effect removes anything that year, a host's
    share for a by-product when larger; 0 when nothing is in force."""
    f = [0.0] * len(mi.minerals)
    for x in mi.effects:
        m = int(mi.slot_mineral[x.slot])
        if x.kind in ("restriction", "outage"):
            fx = float(x.fraction[t])
        elif x.kind == "logistics":
            fx = 1.0 if float(x.fraction[t]) > 0.0 or float(x.delay[t]) > 0.0 else 0.0
        else:
            loss = float(dr.magnitude[s, x.event]) * float(dr.stochastic[s, x.event, t])
            fx = 1.0 if loss > 0.0 else 0.0
        f[m] = max(f[m], fx)
    for b, g, _share in mi.hosts:
        f[b] = max(f[b], f[g])
    return f


# --------------------------------------------------------------------------------------------
# §2 demand, §3 adjustment state


def demand_factor(mi: MarketInputs, dr: Draws, s: int, t: int) -> list[float]:
    """``F`` per mineral: the product of ``1 + (mag − 1) × fraction[t]`` over surges naming it."""
    f = [1.0] * len(mi.minerals)
    for e, minerals, fraction, _factor in mi.surge:
        mag = float(dr.magnitude[s, e])
        for m in minerals:
            f[int(m)] *= 1.0 + (mag - 1.0) * float(fraction[t])
    for k, (m, cut, _probability) in enumerate(mi.demand_cuts):
        assert dr.success is not None
        f[int(m)] *= 1.0 - float(cut[t]) * float(dr.success[s, k])
    return f


def state_stockpiles(mi: MarketInputs, dr: Draws, s: int, t: int) -> list[float]:
    """§2b per mineral: the sum over state stockpile events of magnitude × coefficient (the
    purchase, + , or release, −, as a share of the year's baseline world demand)."""
    out = [0.0] * len(mi.minerals)
    for e, m, coef in mi.state:
        out[int(m)] += float(dr.magnitude[s, e]) * float(coef[t])
    return out


def purchase_share(purchase: float, world: float) -> float:
    """``B = purchase / world_t``: stock purchases as a share of baseline world demand."""
    if purchase == 0.0:
        return 0.0
    return purchase / world


def adjusted(dr: Draws, s: int, m: int, lag: float) -> tuple[float, float, float]:
    """Elasticities ``(εs, εd)`` and supply ceiling ``cap`` after ``lag`` in-force years (§3)."""
    p = {name: float(values[s, m]) for name, values in dr.params.items()}
    w = min(1.0, lag / p["adjustment_years"])
    es = (
        p["elasticity_supply_short"]
        + (p["elasticity_supply_long"] - p["elasticity_supply_short"]) * w
    )
    ed = (
        p["elasticity_demand_short"]
        + (p["elasticity_demand_long"] - p["elasticity_demand_short"]) * w
    )
    cap = 1.0 + p["spare_capacity"] + p["ramp_rate"] * lag
    return es, ed, cap


# --------------------------------------------------------------------------------------------
# §4 clearing


def power(base: float, exponent: float) -> float:
    """``base ** exponent`` with ``inf`` instead of :class:`OverflowError` (as NumPy does)."""
    try:
        return math.pow(base, exponent)
    except OverflowError:
        return math.inf


@dataclass(frozen=True)
class Demand:
    """The demand curve of §4 in logarithms: slope ``ed`` up to the substitution threshold
    ``x_sub`` (= ln P), ``ed + e_sub`` above it, and ``e_vu`` more above the value in use
    ``x_vu`` (never below ``x_sub``)."""

    ed: float
    x_sub: float
    e_sub: float
    x_vu: float
    e_vu: float

    def log_share(self, x: float) -> float:
        """ln of demand at ``x = ln P`` over baseline demand."""
        x_vu = max(self.x_vu, self.x_sub)
        return self.ed * x + self.e_sub * max(x - self.x_sub, 0.0) + self.e_vu * max(x - x_vu, 0.0)


def clear(
    a: float, fe: float, es: float, cap: float, p_max: float, demand: Demand
) -> tuple[float, float]:
    """Clear one market in shock (§4): ``(P, take)``, take = traded / Fe.

    Excess demand in logarithms, ``E(x) = ln Fe + demand.log_share(x) − ln Ã − min(εs x,
    ln cap)``, falls with ``x``; it is linear between the points where a term changes slope
    (the substitution threshold, the value in use, the price at which supply reaches its
    ceiling), so the root is found by walking those points in order and interpolating on the
    piece where ``E`` changes sign.

    Examples
    --------
    >>> flat = Demand(-0.1, 50.0, 0.0, 50.0, 0.0)
    >>> p, r = clear(0.9, 1.0, 0.1, 1.1, 10.0, flat)
    >>> round(p, 4), round(r, 4)  # (1/0.9)^(1/0.2)
    (1.6935, 0.9487)
    >>> clear(0.0, 1.0, 0.1, 1.1, 10.0, flat)
    (10.0, 0.0)
    """
    p_min = 1.0 / p_max
    if a <= 0.0:
        # Nothing available: the price is the bound.
        x = math.inf
    else:
        ln_fe, ln_a, ln_cap = math.log(fe), math.log(a), math.log(cap)

        def excess(x: float) -> float:
            return ln_fe + demand.log_share(x) - ln_a - min(es * x, ln_cap)

        e0 = excess(0.0)
        if e0 <= 0.0:
            # At or below the baseline price no kink applies: one straight line.
            x = e0 / (es - demand.ed)
        else:
            x_cap = ln_cap / es if es > 0.0 else FAR
            points = sorted([demand.x_sub, max(demand.x_vu, demand.x_sub), x_cap])
            lo, e_lo = 0.0, e0
            x = math.nan
            for hi in points:
                e_hi = excess(hi)
                if e_hi <= 0.0:
                    x = lo + e_lo * (hi - lo) / (e_lo - e_hi)
                    break
                lo, e_lo = hi, e_hi
            if math.isnan(x):
                # Past every point: supply at its ceiling, every demand term in force.
                x = lo - e_lo / (demand.ed + demand.e_sub + demand.e_vu)
    price = min(max(power(math.e, x) if x != math.inf else math.inf, p_min), p_max)
    x = math.log(price)
    # What is traded: the smaller of supply and demand at that price.
    want = fe * power(math.e, demand.log_share(x))
    supply = max(a, 0.0) * min(power(price, es), cap)
    traded = min(supply, want)
    return price, traded / fe
