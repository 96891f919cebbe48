"""What a shortfall costs the bloc: the consequence-based objectives plans are judged on.

Four measures, each shown separately for every plan (and any of them can be the optimiser's
objective, a weight in it or a constraint on it):

``ai_output_usd``
    *AI hardware output at risk*, USD over the horizon: the value of the bloc's AI data-centre
    build-out that cannot be completed because an input is short. A data centre needs every
    component (accelerators, servers, networking, power and cooling), so each year the scarcest
    input decides (the Leontief rule of the simulator's AI output): value at risk in year t =
    ``V_t × max_m s_AI[t, m]`` over the minerals an AI component uses, ``s_AI`` AI's share of
    the bloc's shortfall by an allocation rule (:mod:`critmin.sim.ai_allocation`; default the
    central rule, the priority and pro-rata rules its bounds; decision 0033). ``V_t`` = new
    facility MW in year t (the demand scenario's build-out: new IT MW × PUE) × the capital cost
    of AI data centres per MW (McKinsey, *The cost of compute: a $7 trillion race to scale data
    centers*, 28 Apr 2025: US$5.2 trillion for the 125 GW of AI capacity added 2025–2030 =
    US$41.6 million per MW) × the bloc's share of data-centre electricity use (IEA, *Energy
    and AI*, 2025: United States 183 TWh, Europe 68 TWh of 415 TWh in 2024;
    ``ai_buildout.csv`` BLD-013, BLD-017, BLD-001). A bloc with neither the United States nor
    an EU member has no sourced share: the measure is "insufficient data" for it.
``economic_loss_usd``
    *Economic loss to the bloc*: value added of the consuming industries exposed through the
    mineral's end uses (the spirit of USGS's 2025 economic-impact method). critmin's data have
    neither end-use shares by industry nor the industries' value added per tonne of input, so
    this measure is "insufficient data" (:data:`ECONOMIC_LOSS_MISSING` says what would supply
    it); nothing is invented in its place.
``unmet_cost_usd``
    *Cost of unmet demand at the market price*: tonnes left unmet × the latest USGS price
    (2024–2025, MCS 2026 edition where it gives one; magnet rare earths at their oxide prices;
    :func:`critmin.policy.costs.current_prices`). Minerals without a USD-per-tonne price (the
    rare-earth aggregate, helium, boron, beryllium, niobium) are left out and listed.
``co2e_t``
    Cradle-to-gate greenhouse-gas emissions of the supply a plan adds (t CO2e; Nuss & Eckelman
    2014, ``footprints.csv``). Water intensities are not sourced for most minerals and are not
    used.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from critmin.sim.ai_allocation import (
    DC_TWH_2024,
    DEFAULT_RULE,
    EU27,
    RULES,
    ai_share,
    ai_shortfall,
    bloc_dc_share,
    coefficient,
    kappa,
)
from critmin.sim.inputs import MarketInputs

__all__ = [
    "AI_CAPEX_SOURCE",
    "AI_CAPEX_USD_PER_MW",
    "DC_TWH_2024",
    "EU27",
    "AiValue",
    "ai_output_usd",
    "ai_value",
    "bloc_dc_share",
    "canonical",
    "parse_weights",
]

#: The objectives, in the order every output shows them.
OBJECTIVES: tuple[str, ...] = ("ai_output_usd", "economic_loss_usd", "unmet_cost_usd", "co2e_t")
#: Short names accepted on the command line.
ALIASES: dict[str, str] = {
    "ai": "ai_output_usd",
    "ai_output": "ai_output_usd",
    "economic": "economic_loss_usd",
    "economic_loss": "economic_loss_usd",
    "unmet": "unmet_cost_usd",
    "unmet_cost": "unmet_cost_usd",
    "co2e": "co2e_t",
    "co2": "co2e_t",
}
#: Objectives the optimiser can use (economic loss has no data).
OPTIMISABLE: tuple[str, ...] = ("ai_output_usd", "unmet_cost_usd", "co2e_t")
UNITS: dict[str, str] = {
    "ai_output_usd": "USD",
    "economic_loss_usd": "USD",
    "unmet_cost_usd": "USD",
    "co2e_t": "t CO2e",
}

#: McKinsey (28 Apr 2025): US$5.2 trillion of AI data-centre capex for 125 GW added 2025-2030.
AI_CAPEX_USD_PER_MW = 5.2e12 / 125_000.0
AI_CAPEX_SOURCE = (
    "McKinsey & Company, 'The cost of compute: A $7 trillion race to scale data centers' "
    "(28 Apr 2025): US$5.2 trillion for AI workloads, 125 GW added 2025-2030 "
    "(ai_buildout.csv BLD-064/BLD-065) = US$41.6 million per MW of facility capacity"
)
ECONOMIC_LOSS_MISSING = (
    "insufficient data: needs each mineral's end-use shares by consuming industry (USGS) and "
    "those industries' value added per tonne of input (e.g. BEA GDP by industry); critmin "
    "has neither"
)


def canonical(name: str) -> str:
    """The objective's full name from a full or short name.

    Raises
    ------
    ValueError
        An unknown objective.

    Examples
    --------
    >>> canonical("ai"), canonical("co2e_t")
    ('ai_output_usd', 'co2e_t')
    """
    key = name.strip().lower()
    if key in OBJECTIVES:
        return key
    if key in ALIASES:
        return ALIASES[key]
    raise ValueError(
        f"unknown objective {name!r}: one of {', '.join(OBJECTIVES)} "
        f"(or {', '.join(sorted(ALIASES))})"
    )


def parse_weights(text: str) -> dict[str, float]:
    """``"ai"`` or ``"ai:1,unmet:0.5"`` → weights per objective.

    Raises
    ------
    ValueError
        An unknown or unoptimisable objective, or a weight that is not a number ≥ 0.

    Examples
    --------
    >>> parse_weights("ai:1,unmet:0.5")
    {'ai_output_usd': 1.0, 'unmet_cost_usd': 0.5}
    """
    out: dict[str, float] = {}
    for part in (p for p in text.split(",") if p.strip()):
        name, _, w = part.partition(":")
        key = canonical(name)
        if key not in OPTIMISABLE:
            raise ValueError(f"{key} cannot be optimised ({ECONOMIC_LOSS_MISSING})")
        try:
            val = float(w) if w.strip() else 1.0
        except ValueError:
            raise ValueError(f"weight of {key}: a number, not {w!r}") from None
        if not val >= 0 or val != val:
            raise ValueError(f"weight of {key}: a number ≥ 0, not {w!r}")
        out[key] = out.get(key, 0.0) + val
    if not out or not any(out.values()):
        raise ValueError("an objective with a positive weight, e.g. 'ai' or 'ai:1,unmet:1'")
    return out


@dataclass(frozen=True)
class AiValue:
    """The value of the bloc's AI build-out per year, how it was derived, and the rule that
    allocates a shortfall between AI and other uses (:mod:`critmin.sim.ai_allocation`)."""

    usd: np.ndarray  # (T,) USD of AI hardware the bloc builds each year; NaN if unknown
    minerals: tuple[str, ...]  # minerals an AI component uses
    bloc_share: float
    note: str
    rule: str = "pro_rata"
    #: (T, len(minerals)) AI's share of the bloc's demand of each AI mineral (all 1: pro rata).
    share: np.ndarray | None = None

    def coef(self) -> np.ndarray:
        """(T, len(minerals)) ``c`` of the rule: AI's shortfall = max(0, 1 − c (1 − s))."""
        if self.share is None:
            return np.ones((len(self.usd), len(self.minerals)))
        return coefficient(self.share, kappa(self.rule))


@lru_cache(maxsize=16)
def _facility_mw(demand_scenario: str, years: tuple[int, ...]) -> tuple[float, ...]:
    from critmin.demand import buildout

    cp = buildout.capacity_path(buildout.scenario(demand_scenario), years)
    return tuple((cp["new_it_mw"] * cp["pue"]).astype(float))


def ai_value(mi: MarketInputs, rule: str = DEFAULT_RULE) -> AiValue:
    """USD of AI hardware the bloc builds each year of the horizon (see the module's text),
    with the allocation ``rule`` (:data:`critmin.sim.ai_allocation.RULES`; default the central
    one, decision 0033) that says how much of a mineral's shortfall reaches AI hardware."""
    if rule not in RULES:
        raise ValueError(f"unknown AI allocation rule {rule!r}: one of {', '.join(RULES)}")
    years = tuple(int(y) for y in mi.years)
    mw = np.array(_facility_mw(mi.scenario.demand_scenario, years))
    share, why = bloc_dc_share(mi.scenario.bloc_members())
    used = [bool(mi.component_uses[:, j].any()) for j in range(len(mi.minerals))]
    minerals = tuple(m for m, u in zip(mi.minerals, used, strict=True) if u)
    a, _ = ai_share(mi)
    a_ai = a[:, np.flatnonzero(used)]
    note = (
        f"new facility MW of demand scenario {mi.scenario.demand_scenario!r} × "
        f"{AI_CAPEX_USD_PER_MW / 1e6:.1f} M USD/MW ({AI_CAPEX_SOURCE}) × bloc share "
        f"{share:.3f} ({why}); AI's shortfall by the {rule.replace('_', ' ')} rule "
        "(docs/decisions/0033)"
    )
    return AiValue(mw * AI_CAPEX_USD_PER_MW * share, minerals, share, note, rule, a_ai)


def ai_output_usd(shortfall: np.ndarray, mi: MarketInputs, value: AiValue) -> np.ndarray:
    """Per sample: Σ_t V_t × AI's worst shortfall among its inputs in year t (USD), AI's
    shortfall of each mineral by the value's allocation rule.

    ``shortfall`` is (sample, year, mineral) in the order of ``mi.minerals``.
    """
    idx = [mi.minerals.index(m) for m in value.minerals]
    if not idx:
        return np.zeros(shortfall.shape[0])
    sub = np.clip(shortfall[:, :, idx], 0.0, 1.0)
    if value.share is not None and value.rule != "pro_rata":
        sub = ai_shortfall(sub, value.share[None, : sub.shape[1], :], value.rule)
    worst = sub.max(axis=2)
    out: np.ndarray = (worst * value.usd[None, :]).sum(axis=1)
    return out
