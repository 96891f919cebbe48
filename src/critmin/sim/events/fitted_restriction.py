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

import threading
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import field_validator

from critmin.sim.events.base import Build, Effect, EventSpec
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


@dataclass(frozen=True)
class _Tables:
    """The fitted cells' tables as arrays (built once per list of events, not per block)."""

    rates: np.ndarray  # (E, B)
    sigma: np.ndarray  # (B,)
    countries: np.ndarray  # (C,)
    ci: np.ndarray  # (E,) each cell's country
    mix: np.ndarray  # (E, B, K)
    withheld: np.ndarray  # (E, K, 3) low, central, high
    mean: np.ndarray  # (E, B, K)
    aim: np.ndarray  # (E, K)
    reach: np.ndarray  # (E, K)
    exposure: np.ndarray  # (E,)


_TABLES: dict[tuple[int, ...], tuple[list[FittedRestriction], _Tables]] = {}
_TABLES_LOCK = threading.Lock()  # blocks are drawn on several threads at once


def _tables(events: list[FittedRestriction]) -> _Tables:
    """The cached :class:`_Tables` of ``events`` (keyed by the objects, which the cache holds
    so that their ids stay theirs; the last few lists only)."""
    key = tuple(map(id, events))
    with _TABLES_LOCK:
        hit = _TABLES.get(key)
    if hit is None:
        countries, ci = np.unique([ev.country for ev in events], return_inverse=True)
        tables = _Tables(
            rates=np.array([ev.rates for ev in events]),
            sigma=np.asarray(events[0].sigma, dtype=float),
            countries=countries,
            ci=ci.astype(np.int64),
            mix=np.array([ev.mix for ev in events]),
            withheld=np.array([[(r.low, r.central, r.high) for r in ev.withheld] for ev in events]),
            mean=np.array([ev.mean_duration for ev in events]),
            aim=np.array([ev.aim for ev in events]),
            reach=np.array([ev.reach for ev in events]),
            exposure=np.array([ev.exposure for ev in events]),
        )
        hit = (list(events), tables)
        with _TABLES_LOCK:
            while len(_TABLES) >= 8:
                _TABLES.pop(next(iter(_TABLES)))
            _TABLES[key] = hit
    return hit[1]


def timing(rng: np.random.Generator, n: int, T: int, events: list[FittedRestriction]) -> np.ndarray:
    """Loss per year ``(T, n, E)`` of every fitted cell, drawn jointly (module docstring).

    The result is a view of an event-major ``(E, n, T)`` array (the layout the draws store).
    The random numbers are drawn in the order of the plain array code this replaced (a
    bootstrap draw per sample, the shocks ``(T, n, C)``, the start uniforms ``(T, n, E)``
    year by year, which is the same stream, then four uniforms per start), and the loops of
    :mod:`critmin.sim.draw_kernels` do its arithmetic: the same numbers.
    """
    from critmin.sim import draw_kernels  # numba loads on the first draw, not at import

    tb = _tables(events)
    E = len(events)
    B = tb.rates.shape[1]
    draw = rng.integers(B, size=n)
    z = rng.standard_normal((T, n, len(tb.countries)))
    s = tb.sigma[draw][None, :, None]
    mult = np.exp(s * z - s * s / 2.0)  # (T, n, C)
    lam = np.ascontiguousarray(tb.rates[:, draw].T)  # (n, E)
    # start = u0 < p with p = 1 − exp(−x) ≤ x, x = λ × shock: only cells with u0 below x
    # (with a margin far above expm1's rounding) can start, so p is computed for those alone.
    cand_i, cand_x, cand_u = np.empty(n * E, np.int64), np.empty(n * E), np.empty(n * E)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for t in range(T):
        u0 = rng.random((n, E))
        k = draw_kernels.candidates(u0, lam, mult[t], tb.ci, t * n * E, cand_i, cand_x,
                                    cand_u, 0)  # fmt: skip
        parts.append((cand_i[:k].copy(), cand_x[:k].copy(), cand_u[:k].copy()))
    maybe, x, u0c = (np.concatenate([p[j] for p in parts]) for j in range(3))
    idx = maybe[u0c < -np.expm1(-x)]
    t_i, s_i, e_i = (np.asarray(v, dtype=np.int64) for v in np.unravel_index(idx, (T, n, E)))
    u = rng.random((len(idx), 4))
    out = np.zeros((E, n, T))
    # Only the cells (sample, event) where some measure starts carry anything (a few per
    # cent): each start's type, share, duration and reach, and the stacking, run on those.
    draw_kernels.measures(t_i, s_i, e_i, u, np.log1p(-u[:, 2]), draw, tb.mix, tb.withheld,
                          tb.mean, tb.aim, tb.reach, tb.exposure, out)  # fmt: skip
    return out.transpose(2, 1, 0)


SPEC = EventSpec(FittedRestriction, compile=compile_, ranges=ranges, timing=timing)
