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

import numpy as np

from critmin.sim.inputs import Draws, MarketInputs

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

#: Tolerance for "no shock": availability below 1 − EPS or demand above 1 + EPS.
EPS = 1e-9


def slot_availability(mi: MarketInputs, dr: Draws) -> tuple[np.ndarray, np.ndarray]:
    """Share of each slot's capacity left ``(n, T, S)`` (losses combine multiplicatively) and
    each slot's own-use share ``(n, S)`` (the largest ``1 − exports_share`` of the
    restrictions on it)."""
    T, _ = mi.shape
    a = np.ones((dr.n, T, len(mi.slot_share)))
    own = np.zeros((dr.n, len(mi.slot_share)))
    for x in mi.effects:
        mag = dr.magnitude[:, x.event][:, None]
        if x.kind == "restriction":
            xs = dr.exports[:, x.event]
            own[:, x.slot] = np.maximum(own[:, x.slot], 1.0 - xs)
            loss = mag * xs[:, None] * x.target_factor * x.fraction[None, :]
        elif x.kind == "outage":
            loss = mag * x.fraction[None, :]
        elif x.kind == "logistics":
            loss = np.minimum(1.0, mag * x.fraction[None, :] + x.delay[None, :])
        else:  # stochastic
            loss = mag * dr.stochastic[:, x.event, :]
        a[:, :, x.slot] *= 1.0 - loss
    return a, own


def availability(mi: MarketInputs, dr: Draws) -> np.ndarray:
    """Ã ``(n, T, M)``: stage bottleneck, by-product links and recycling applied."""
    M = len(mi.minerals)
    left, own = slot_availability(mi, dr)
    lost = 1.0 - left
    stages = []
    for k in (0, 1):
        w = np.zeros((len(mi.slot_share), M))
        on = mi.slot_stage == k
        w[np.flatnonzero(on), mi.slot_mineral[on]] = mi.slot_share[on]
        # The open market excludes a restricting country's own use: O = 1 − Σ share × own.
        open_market = 1.0 - own @ w
        stages.append(np.maximum(0.0, 1.0 - (lost @ w) / open_market[:, None, :]))
    a = np.minimum(stages[0], stages[1])
    for h, (b, g, _) in enumerate(mi.hosts):
        host = dr.host_share[:, h][:, None]
        a[:, :, b] = np.minimum(a[:, :, b], 1.0 - host * (1.0 - a[:, :, g]))
    r = dr.params["recycling_input_rate"][:, None, :]
    return (1.0 - r) * a + r


def demand_factor(mi: MarketInputs, dr: Draws) -> np.ndarray:
    """F ``(n, T, M)``: the product of demand surges in force."""
    T, M = mi.shape
    f = np.ones((dr.n, T, M))
    for e, js, frac, _ in mi.surge:
        if len(js):
            f[:, :, js] *= (1.0 + (dr.magnitude[:, e][:, None] - 1.0) * frac[None, :])[:, :, None]
    return f


def clear(
    a: np.ndarray,
    fe: np.ndarray,
    es: np.ndarray,
    ed: np.ndarray,
    cap: np.ndarray,
    pmax: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Constant-elasticity clearing: (price index, rationed share of demand met).

    Examples
    --------
    >>> one = np.ones(1)
    >>> p, r = clear(0.9 * one, one, 0.1 * one, -0.1 * one, 1.1 * one, 10 * one)
    >>> round(float(p[0]), 4), float(r[0])  # (1/0.9)^(1/0.2)
    (1.6935, 1.0)
    >>> p, r = clear(0.0 * one, one, 0.1 * one, -0.1 * one, 1.1 * one, 10 * one)
    >>> float(p[0]), float(r[0])
    (10.0, 0.0)
    """
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        p0 = (fe / a) ** (1.0 / (es - ed))
        over = p0**es > cap
        p0 = np.where(over, (a * cap / fe) ** (1.0 / ed), p0)
    p = np.clip(p0, 1.0 / pmax, pmax)
    dem = fe * p**ed
    traded = np.minimum(a * np.minimum(p**es, cap), dem)
    return p, traded / dem


def run_block(mi: MarketInputs, dr: Draws) -> dict[str, np.ndarray]:
    """Simulate one block of samples; arrays ``(n, T, M)`` and ``ai_output`` ``(n, T, J)``."""
    T, M = mi.shape
    n = dr.n
    p = dr.params
    a_all = availability(mi, dr)
    f_all = demand_factor(mi, dr)
    out = {k: np.empty((n, T, M)) for k in OUTPUTS}
    phi = mi.bloc_share[None, :]
    trigger = mi.scenario.release_trigger
    tau = np.zeros((n, M))
    stock = np.broadcast_to(mi.stock0, (n, M)).copy()
    for t in range(T):
        a, f = a_all[:, t, :], f_all[:, t, :]
        world = mi.world_t[t][None, :]
        shocked = (a < 1.0 - EPS) | (f > 1.0 + EPS)
        tau = np.where(shocked, tau + 1.0, 0.0)
        lag = np.maximum(tau - 1.0, 0.0)
        w = np.minimum(1.0, lag / p["adjustment_years"])
        es = (
            p["elasticity_supply_short"]
            + (p["elasticity_supply_long"] - p["elasticity_supply_short"]) * w
        )
        ed = (
            p["elasticity_demand_short"]
            + (p["elasticity_demand_long"] - p["elasticity_demand_short"]) * w
        )
        cap = 1.0 + p["spare_capacity"] + p["ramp_rate"] * lag
        fe = f + mi.purchase[t][None, :] / world
        price, ration = clear(a, fe, es, ed, cap, p["price_cap"])
        take = price**ed * ration
        need = phi * f * world
        got = np.minimum(need, phi * f * take * world)
        bought = mi.purchase[t][None, :] * take
        gap = need - got
        want = np.where(gap > trigger * need, gap, 0.0)
        forced = np.minimum(mi.forced_release[t][None, :], gap)
        release = np.minimum(stock, np.maximum(want, forced))
        unmet = need - got - release
        stock = stock - release + bought + mi.front_run[t][None, :] * phi * world
        out["supply"][:, t] = got
        out["demand"][:, t] = need
        out["stock_release"][:, t] = release
        out["unmet"][:, t] = unmet
        out["shortfall"][:, t] = np.divide(unmet, need, out=np.zeros_like(unmet), where=need > 0)
        out["price_index"][:, t] = price
        out["stock"][:, t] = stock
        out["available"][:, t] = a
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
