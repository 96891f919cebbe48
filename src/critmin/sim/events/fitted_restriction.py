"""``fitted_restriction``: a country × mineral cell of the fitted hazard model.

Written by ``default_hazards`` (not meant for scenario files, though it validates like any
event). Each sample takes one bootstrap draw of the fit (the same for every cell) and a
common shock per country and year (the same for the country's minerals); a new measure
starts in year t with probability ``1 − exp(−λ_b × exp(σ_b z_ct − σ_b²/2))``, is of a type
drawn from the country group's mix, withholds a triangular share of the type, lasts an
exponential duration with the type's mean, and reaches the bloc by the type's aim factor;
the loss is that share of the part of the cell's output the country exports (``exposure``).
Measures stack: a new one in force with an earlier one keeps the larger loss and the later
end. The in-force array this
timing returns is the loss itself (the event's magnitude is 1): docs/model.md §10.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import field_validator

from critmin.sim.events.base import Build, Effect, EventSpec
from critmin.sim.sampling import triangular
from critmin.sim.schema import EventModel, FractionRange, Stage, _country, _minerals

ONE = FractionRange(low=1.0, central=1.0, high=1.0)


class FittedRestriction(EventModel):
    """One cell of the fitted hazard model, with its bootstrap draws (see module docstring)."""

    type: Literal["fitted_restriction"]
    country: str
    minerals: list[str]
    stage: Stage
    #: Annual hazard λ per bootstrap draw.
    rates: tuple[float, ...]
    #: Common-shock sd per draw.
    sigma: tuple[float, ...]
    #: Measure-type probabilities per draw (draw × type, :data:`MEASURES` order).
    mix: tuple[tuple[float, ...], ...]
    #: Mean duration in years per draw and type.
    mean_duration: tuple[tuple[float, ...], ...]
    #: Withheld share per type.
    withheld: tuple[FractionRange, ...]
    #: Probability that a measure of each type reaches the bloc.
    aim: tuple[float, ...]
    #: Share of the country's output a measure reaching the bloc withholds from its market,
    #: per type (1, or the targeted-ban factor for bans aimed at importers).
    reach: tuple[float, ...]
    #: Share of the cell's output a measure can withhold from the world market: the part
    #: the country exports (ore it does not refine itself; 0 where a ban already holds),
    #: docs/model.md §10.
    exposure: float = 1.0
    source: str | None = None

    _c = field_validator("country")(_country)
    _m = field_validator("minerals")(_minerals)


def compile_(ev: FittedRestriction, e: int, b: Build) -> None:
    """A ``stochastic`` effect on the country's slot of the mineral (timing drawn later)."""
    for _m, j, k, _share in b.producing(e, ev.minerals, ev.stage, ev.country):
        b.effects.append(Effect(e, b.slot(j, k, ev.country), "stochastic", b.zero, b.zero))


def ranges(ev: FittedRestriction) -> tuple[FractionRange, ...]:
    """A magnitude of 1: the loss is in the timing."""
    return (ONE,)


def timing(rng: np.random.Generator, n: int, T: int, events: list[FittedRestriction]) -> np.ndarray:
    """Loss per year ``(T, n, E)`` of every fitted cell, drawn jointly (module docstring)."""
    E = len(events)
    rates = np.array([ev.rates for ev in events])  # (E, B)
    B = rates.shape[1]
    sigma = np.asarray(events[0].sigma)
    countries, ci = np.unique([ev.country for ev in events], return_inverse=True)
    draw = rng.integers(B, size=n)
    z = rng.standard_normal((T, n, len(countries)))
    s = sigma[draw][None, :, None]
    mult = np.exp(s * z - s * s / 2.0)[:, :, ci]  # (T, n, E)
    lam = rates[:, draw].T  # (n, E)
    x = np.multiply(lam[None, :, :], mult, out=mult)
    u0 = rng.random((T, n, E))
    # start = u0 < p with p = 1 − exp(−x) ≤ x: only cells with u0 below x (with a margin far
    # above expm1's rounding) can start, so p is computed for those alone (same outcomes).
    maybe = np.flatnonzero(u0 < x * (1.0 + 1e-12))
    start = np.zeros((T, n, E), dtype=bool)
    start.ravel()[maybe] = u0.ravel()[maybe] < -np.expm1(-x.ravel()[maybe])
    idx = np.flatnonzero(start)
    _, s_i, e_i = np.unravel_index(idx, (T, n, E))
    u = rng.random((len(idx), 4))
    mix = np.array([ev.mix for ev in events])  # (E, B, K)
    K = mix.shape[2]
    cum = np.cumsum(mix[e_i, draw[s_i]], axis=1)
    kind = np.minimum((u[:, :1] > cum).sum(axis=1), K - 1)
    wh = np.array([[(r.low, r.central, r.high) for r in ev.withheld] for ev in events])
    lo, mo, hi = (wh[e_i, kind, j] for j in range(3))
    share = triangular(u[:, 1], lo, mo, hi)
    mean = np.array([ev.mean_duration for ev in events])[e_i, draw[s_i], kind]
    dur = -mean * np.log1p(-u[:, 2])
    aim = np.array([ev.aim for ev in events])[e_i, kind]
    reach = np.array([ev.reach for ev in events])[e_i, kind]
    exposure = np.array([ev.exposure for ev in events])[e_i]
    loss = share * reach * exposure * (u[:, 3] < aim)
    out = np.zeros((T, n, E))
    # Only the cells (sample, event) where some measure starts carry anything: run the
    # year-by-year stacking on those alone (a few per cent of the cells; same numbers).
    cell = s_i * E + e_i
    cells, col = np.unique(cell, return_inverse=True)
    if not len(cells):
        return out
    C = len(cells)
    t_i = idx // (n * E)
    new_loss = np.zeros((T, C))
    new_dur = np.zeros((T, C))
    started = np.zeros((T, C), dtype=bool)
    new_loss[t_i, col] = loss
    new_dur[t_i, col] = dur
    started[t_i, col] = True
    flat = out.reshape(T, n * E)
    remaining = np.zeros(C)
    current = np.zeros(C)
    for t in range(T):
        st = started[t]
        fresh = st & (remaining <= 0)
        current = np.where(fresh, new_loss[t], np.where(st, np.maximum(current, new_loss[t]),
                                                        current))  # fmt: skip
        remaining = np.where(st, np.maximum(remaining, new_dur[t]), remaining)
        flat[t, cells] = np.clip(remaining, 0.0, 1.0) * current
        remaining = np.maximum(remaining - 1.0, 0.0)
        current = np.where(remaining > 0, current, 0.0)
    return out


SPEC = EventSpec(FittedRestriction, compile=compile_, ranges=ranges, timing=timing)
