"""Who bears a shortfall: the bloc's unmet demand split between AI hardware and other uses.

The simulator gives, per sample, year and mineral, the bloc's shortfall share ``s`` (unmet ÷
the bloc's demand). How much of it reaches AI hardware depends on how the bloc's reduced
supply is allocated among its users — which the market model does not say. Three rules bound
and centre the answer (docs/model.md §6, docs/decisions/0033-ai-shortfall-allocation.md):

``pro_rata`` (the upper bound; critmin's only rule before decision 0033)
    every use, AI included, is short by the same share: ``s_AI = s``.
``priority`` (the lower bound)
    AI buyers are served first — they pay a value in use far above the mineral's price (a
    few grams of gallium or germanium in equipment worth tens of thousands of dollars) and
    outbid every other use: ``s_AI = max(0, 1 − (1 − s) / a)``, ``a`` = AI's share of the
    bloc's demand for the mineral that year.
``central``
    a share ``κ`` of the bloc's supply reaches users in proportion to their demand whatever
    their value in use (long-term contracts, cut pro rata under force majeure and
    allocation clauses; no time to re-route), the rest goes to the highest bidder:
    AI receives ``κ (1 − s) a + (1 − κ)(1 − s)`` at most ``a``, so
    ``s_AI = max(0, 1 − (1 − s)(κ + (1 − κ) / a))``. ``κ = 1`` is pro rata, ``κ = 0``
    priority. :data:`CONTRACT_SHARE` holds κ (an ASSUMPTION with its range).

All three are ``max(0, 1 − c (1 − s))`` with ``c = κ + (1 − κ)/a ≥ 1``: linear in ``s``
above a threshold, so the optimiser's LP can use any of them (:func:`coefficient`).

AI's share ``a`` of the bloc's demand (:func:`ai_share`) = the bloc's AI demand ÷ its total
demand = (world AI data-centre demand, central, from the demand model's intensities ×
build-out: ``MarketInputs.ai_t``) × (the bloc's share of data-centre electricity use, IEA
*Energy and AI* 2025: :func:`bloc_dc_share`) ÷ (the bloc's demand share φ × world demand:
``MarketInputs.bloc_share × MarketInputs.world_t``), at most 1. A bloc with neither the
United States nor an EU member has no sourced data-centre share: AI's share of world demand
is used instead (``ai_t ÷ world_t``), and the basis says so; so is it for a mineral whose φ
is known not to measure the bloc's demand (:data:`DEMAND_SHARE_UNRELIABLE`: tin).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from critmin.sim.inputs import MarketInputs

#: The allocation rules, from the lower bound to the upper bound (the order of every output).
RULES: tuple[str, ...] = ("priority", "central", "pro_rata")
#: The rule the headline figures and the optimiser's AI objective use by default (decision 0033).
DEFAULT_RULE = "central"

#: κ of the central rule: the share of the bloc's supply of a mineral that reaches its users
#: pro rata, whatever their value in use. ASSUMPTION, central 0.75, range 0.5–1.0: "most minor
#: metals are sold through long-term contracts that can last from one to five years" (Quest
#: Metals, *Minor metals pricing*, https://questmetals.com/blog/minor-metals-pricing; a
#: qualitative statement: "most" gives the low end 0.5), and contract deliveries are cut pro
#: rata in a shortage (force majeure / allocation clauses; not a sourced share). No published
#: share of contracted volumes by mineral was found. The result hardly depends on κ below
#: ~0.9 because AI's share of demand is small (docs/decisions/0033).
CONTRACT_SHARE: dict[str, float] = {"low": 0.5, "central": 0.75, "high": 1.0}
CONTRACT_SHARE_SOURCE = (
    "ASSUMPTION 0.5-0.75-1.0: 'most minor metals are sold through long-term contracts that can "
    "last from one to five years' (Quest Metals, Minor metals pricing, "
    "https://questmetals.com/blog/minor-metals-pricing; qualitative), delivered pro rata in a "
    "shortage (force majeure and allocation clauses); no sourced share by mineral"
)

#: IEA Energy and AI (2025), data-centre electricity 2024, TWh (ai_buildout.csv BLD-001,
#: BLD-013, BLD-017).
DC_TWH_2024 = {"world": 415.0, "USA": 183.0, "Europe": 68.0}
EU27 = (
    "AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC", "HUN",
    "IRL", "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN", "ESP",
    "SWE",
)  # fmt: skip


#: Minerals whose demand share φ is known not to measure the bloc's demand, so AI's share of
#: the bloc's demand falls back to its share of world demand. Tin: φ counts HS 2609 (ores and
#: concentrates) only, not refined tin (HS 8001), "which is nearly all of what a country
#: without tin mines imports" (critmin/metrics/geopolrisk_coverage.csv; docs/model.md): the
#: OECD's φ is 0.5 %, which would make AI 74–87 % of its tin demand.
DEMAND_SHARE_UNRELIABLE: dict[str, str] = {
    "tin": "the bloc's tin demand share counts ores only (HS 2609), not refined tin (HS 8001)",
}


def kappa(rule: str) -> float:
    """κ of a rule: the share of supply allocated pro rata.

    Raises
    ------
    ValueError
        An unknown rule.

    Examples
    --------
    >>> kappa("priority"), kappa("central"), kappa("pro_rata")
    (0.0, 0.75, 1.0)
    """
    if rule == "priority":
        return 0.0
    if rule == "central":
        return CONTRACT_SHARE["central"]
    if rule == "pro_rata":
        return 1.0
    raise ValueError(f"unknown AI allocation rule {rule!r}: one of {', '.join(RULES)}")


#: The optimiser's default: the central rule, unless it leaves nothing to buy down.
AUTO = "auto"
#: Why ``auto`` optimised the upper bound (:func:`optimiser_rule`).
FALLBACK_WHY = (
    "auto: under the central rule the scenario leaves AI hardware no input short, so there "
    "is nothing to buy down; the upper bound (every use short alike) is optimised instead"
)
#: What the optimiser accepts: the rules and :data:`AUTO`.
OPTIMISER_RULES: tuple[str, ...] = (*RULES, AUTO)


def optimiser_rule(requested: str, central_at_risk: float) -> tuple[str, str]:
    """The rule the optimiser's AI objective uses, and why (decision 0033).

    ``auto`` takes the central rule unless the scenario puts no AI hardware output at risk
    under it (``central_at_risk``, the no-plan expectation): then there is nothing for the
    money to buy down, an LP on the central rule would spend nothing, and the upper bound
    (pro rata) shows what the money would protect if AI buyers could not outbid other uses.

    Examples
    --------
    >>> optimiser_rule("auto", 0.02)[0], optimiser_rule("auto", 0.0)[0]
    ('central', 'pro_rata')
    >>> optimiser_rule("priority", 0.0)[0]
    'priority'
    """
    if requested != AUTO:
        kappa(requested)  # an unknown rule fails here
        return requested, "chosen"
    if central_at_risk > 1e-6:
        return "central", "auto: the central rule puts AI hardware output at risk"
    return "pro_rata", FALLBACK_WHY


def bloc_dc_share(members: tuple[str, ...]) -> tuple[float, str]:
    """The bloc's share of data-centre electricity use (IEA 2024), and what it counts.

    Examples
    --------
    >>> round(bloc_dc_share(("USA",))[0], 3), round(bloc_dc_share(("USA", "DEU"))[0], 3)
    (0.441, 0.605)
    >>> bloc_dc_share(("JPN",))[0]
    nan
    """
    share, parts = 0.0, []
    if "USA" in members:
        share += DC_TWH_2024["USA"] / DC_TWH_2024["world"]
        parts.append("United States 183")
    if any(m in EU27 for m in members):
        share += DC_TWH_2024["Europe"] / DC_TWH_2024["world"]
        parts.append("Europe 68")
    if not parts:
        return float("nan"), "no sourced data-centre share for this bloc"
    other = [m for m in members if m != "USA" and m not in EU27 and m not in ("GBR", "NOR", "CHE")]
    tail = f"; {len(other)} other members not counted (a lower bound)" if other else ""
    return share, f"IEA Energy and AI 2025: {' + '.join(parts)} of 415 TWh (2024){tail}"


def ai_share(mi: MarketInputs) -> tuple[np.ndarray, str]:
    """AI's share ``a[t, m]`` of the bloc's demand for each mineral, and its basis (text).

    Examples
    --------
    >>> import critmin
    >>> from critmin.sim.scenario import Scenario
    >>> from critmin.sim.inputs import prepare
    >>> s = Scenario.model_validate({"name": "t", "horizon": {"start": 2026, "end": 2027},
    ...     "bloc": "USA", "minerals": ["gallium", "palladium"]})
    >>> a, why = ai_share(prepare(s, critmin.load()))
    >>> bool(((a > 0) & (a < 0.2)).all()), why.startswith("AI data-centre demand")
    (True, True)
    """
    dc, why = bloc_dc_share(mi.scenario.bloc_members())
    world = np.asarray(mi.world_t, dtype=float)
    ai = np.asarray(mi.ai_t, dtype=float)
    if np.isfinite(dc):
        bloc = mi.bloc_share[None, :] * world
        basis = (
            "AI data-centre demand (demand model, central) × the bloc's data-centre share "
            f"{dc:.3f} ({why}) ÷ the bloc's demand (its import share × world demand)"
        )
        a = np.divide(ai * dc, bloc, out=np.zeros_like(ai), where=bloc > 0)
        off = [j for j, m in enumerate(mi.minerals) if m in DEMAND_SHARE_UNRELIABLE]
        if off:
            w = world[:, off]
            a[:, off] = np.divide(ai[:, off], w, out=np.zeros_like(w), where=w > 0)
            bad = DEMAND_SHARE_UNRELIABLE
            basis += "; " + "; ".join(
                f"{mi.minerals[j]}: AI's share of world demand ({bad[mi.minerals[j]]})" for j in off
            )
    else:
        basis = (
            "AI data-centre demand ÷ world demand (the demand model's AI share of world "
            f"demand: {why}, so the bloc is assumed to match the world)"
        )
        a = np.divide(ai, world, out=np.zeros_like(ai), where=world > 0)
    return np.clip(a, 0.0, 1.0), basis


def coefficient(a: np.ndarray, k: float) -> np.ndarray:
    """``c = κ + (1 − κ)/a`` (∞ where ``a = 0`` and ``κ < 1``): ``s_AI = max(0, 1 − c (1 − s))``.

    Examples
    --------
    >>> coefficient(np.array([0.5, 1.0, 0.0]), 0.0).tolist()
    [2.0, 1.0, inf]
    >>> coefficient(np.array([0.5, 0.0]), 1.0).tolist()
    [1.0, 1.0]
    """
    a = np.asarray(a, dtype=float)
    if k >= 1.0:
        return np.ones_like(a)
    with np.errstate(divide="ignore"):
        return np.where(a > 0, k + (1.0 - k) / np.where(a > 0, a, 1.0), np.inf)


def ai_shortfall(shortfall: np.ndarray, a: np.ndarray, rule: str) -> np.ndarray:
    """AI hardware's shortfall share of each mineral under ``rule`` (same shape as
    ``shortfall``; ``a`` broadcasts against it: ``(T, M)`` for ``(n, T, M)``).

    Examples
    --------
    Half the bloc's gallium is missing and AI is a tenth of its demand:

    >>> s, a = np.array([0.5]), np.array([0.1])
    >>> [round(float(ai_shortfall(s, a, r)[0]), 3) for r in RULES]
    [0.0, 0.0, 0.5]
    >>> round(float(ai_shortfall(np.array([0.95]), a, "priority")[0]), 3)
    0.5
    """
    s = np.clip(np.asarray(shortfall, dtype=float), 0.0, 1.0)
    k = kappa(rule)
    if k >= 1.0:
        return s
    c = coefficient(np.broadcast_to(a, s.shape), k)
    met = 1.0 - s
    with np.errstate(invalid="ignore"):
        # c = ∞ (AI uses none of the bloc's demand): short only when nothing is left.
        out = np.where(np.isinf(c), np.where(met <= 0.0, 1.0, 0.0), 1.0 - c * met)
    return np.clip(out, 0.0, 1.0)


def ai_minerals(mi: MarketInputs) -> np.ndarray:
    """(M,) bool: some AI component uses the mineral."""
    return np.asarray(np.asarray(mi.component_uses, dtype=bool).any(axis=0))


def ai_shortfall_peak(mi: MarketInputs, shortfall: np.ndarray) -> np.ndarray:
    """Per sample, mineral and rule (:data:`RULES`): AI's worst-year shortfall of the mineral
    (0 for a mineral no AI component uses). Shape ``(n, M, len(RULES))``.

    The AI hardware output at risk of a sample (the scarcest input of the worst component in
    the worst year) is its maximum over minerals: every mineral an AI component uses decides
    that component's output when it is the scarcest.
    """
    n, _, M = shortfall.shape
    used = ai_minerals(mi)
    out = np.zeros((n, M, len(RULES)))
    if not used.any():
        return out
    a, _ = ai_share(mi)
    sub = shortfall[:, :, used]
    for r, rule in enumerate(RULES):
        out[:, used, r] = ai_shortfall(sub, a[None, :, used], rule).max(axis=1)
    return out
