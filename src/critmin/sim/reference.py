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
        tau = [0] * n_minerals
        for t in range(n_years):
            available = availability(mi, dr, s, t)
            surge = demand_factor(mi, dr, s, t)
            shortfall = [0.0] * n_minerals
            for m in range(n_minerals):
                a = available[m]
                f = surge[m]
                world = float(mi.world_t[t, m])
                purchase = float(mi.purchase[t, m])
                phi = float(mi.bloc_share[m])
                need = phi * f * world
                # Supply dedicated to the bloc (policy levers) covers its need first.
                dedicated = 0.0 if mi.dedicated is None else float(mi.dedicated[t, m])
                dd = min(dedicated, need)
                fe = f + purchase_share(purchase, world) - (dd / world if dd else 0.0)

                # §3 adjustment state, then the elasticities and supply ceiling it implies.
                shocked = a < 1.0 - SHOCK_TOL or abs(fe - 1.0) > SHOCK_TOL
                tau[m] = tau[m] + 1 if shocked else 0
                lag = max(tau[m] - 1, 0)
                es, ed, cap = adjusted(dr, s, m, lag)
                p_max = float(dr.params["price_cap"][s, m])

                # §4 clearing; step 0: a market not in shock clears at the baseline.
                if shocked:
                    price, ration = clear(a, fe, es, ed, cap, p_max)
                else:
                    price, ration = 1.0, 1.0

                # §5 the bloc, its stock and the mass balance.
                # The open-market part of the need is bought at the price, rationed.
                got = dd + (need - dd) * min(1.0, power(price, ed) * ration)
                bought = purchase * power(price, ed) * ration
                gap = need - got
                want = gap if gap > trigger * need else 0.0
                forced = min(float(mi.forced_release[t, m]), gap)
                release = min(stock[m], max(want, forced))
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


def purchase_share(purchase: float, world: float) -> float:
    """``B = purchase / world_t``: stock purchases as a share of baseline world demand."""
    if purchase == 0.0:
        return 0.0
    return purchase / world


def adjusted(dr: Draws, s: int, m: int, lag: int) -> tuple[float, float, float]:
    """Elasticities ``(εs, εd)`` and supply ceiling ``cap`` after ``lag = max(τ − 1, 0)``."""
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


def clear(
    a: float, fe: float, es: float, ed: float, cap: float, p_max: float
) -> tuple[float, float]:
    """Clear one market in shock (§4 steps 1–4): ``(P, ration)``, ration = traded / demand.

    Examples
    --------
    >>> p, r = clear(0.9, 1.0, 0.1, -0.1, 1.1, 10.0)
    >>> round(p, 4), r  # (1/0.9)^(1/0.2)
    (1.6935, 1.0)
    >>> clear(0.0, 1.0, 0.1, -0.1, 1.1, 10.0)
    (10.0, 0.0)
    """
    p_min = 1.0 / p_max
    if a <= 0.0:
        # Step 1 with Ã = 0: P0 = ∞ (and step 2 keeps it ∞), so the price is the cap.
        p0 = math.inf
    else:
        # Step 1: supply meets demand below the supply ceiling.
        p0 = power(fe / a, 1.0 / (es - ed))
        # Step 2: supply at its ceiling, demand adjusts.
        if power(p0, es) > cap:
            p0 = power(a * cap / fe, 1.0 / ed)
    # Step 3.
    price = min(max(p0, p_min), p_max)
    # Step 4.
    demand = fe * power(price, ed)
    supply = max(a, 0.0) * min(power(price, es), cap)
    traded = min(supply, demand)
    return price, traded / demand
