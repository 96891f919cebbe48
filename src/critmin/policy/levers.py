"""What each plan item does to the market model: plan items → changes of ``MarketInputs``.

Capacity levers add *supply dedicated to the bloc* (t/yr, ``MarketInputs.dedicated``): new
capacity = dollars ÷ the sourced capital cost per tonne of annual capacity
(``lever_costs.csv``), online after the country's permitting and the build time
(``lead_times.csv``), ramped up linearly; a partner country's capacity is discounted by the
share of time the fitted hazard model expects it to be restricting exports to the bloc.
Stockpiles buy tonnes at the USGS price (``prices.csv``). An item the data cannot cost (no
sourced capital cost, no price) has no effect and says so (``status = "insufficient data"``):
nothing is invented to fill the gap; give ``quantity_t`` to evaluate it anyway.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from critmin.data.dataset import Dataset
from critmin.data.errors import DataError, Problem
from critmin.policy import costs
from critmin.policy.plan import Plan, PlanItem
from critmin.sim import hazard
from critmin.sim.coverage import unsimulated
from critmin.sim.inputs import MarketInputs
from critmin.sim.scenario import Logistics

#: Countries whose capacity the bloc owns outright (no hazard discount).
DOMESTIC = ("USA",)
#: A stockpile buys at most this share of a year's world output per year: what the market can
#: supply without moving the price. A declared policy assumption (decision 0024), not a sourced
#: figure; a larger purchase is spread over the following years.
STOCK_MARKET_SHARE = 0.05


@dataclass(frozen=True)
class ItemEffect:
    """One plan item on one mineral: what it buys and when."""

    item: int
    lever: str
    mineral: str
    country: str | None
    usd: float
    quantity_t: float  # t/yr of capacity, or t of stock
    online: float | None  # first year at full capacity (capacity levers)
    dedicated: np.ndarray  # (T,) t/yr of supply dedicated to the bloc
    availability: float  # share of time the capacity is not restricted (partner hazard)
    status: str  # "ok" or "insufficient data"
    note: str
    purchases: np.ndarray | None = None  # (T,) t of stock bought each year (stockpiles)


def _central(df: pd.DataFrame, **eq: str) -> tuple[float, str] | None:
    sub = df
    for k, v in eq.items():
        sub = sub[sub[k] == v]
    if sub.empty:
        return None
    row = sub.iloc[0]
    return float(row["central"]), str(row.get("source", ""))


def capex(mineral: str, stage: str, lever: str) -> tuple[float, str] | None:
    """Sourced capital cost (USD per t/yr) of ``lever`` for ``mineral`` at ``stage``."""
    return _central(costs.load_lever_costs(), mineral=mineral, stage=stage, lever=lever)


def lead_years(country: str | None, stage: str) -> tuple[float, float, float, list[str]]:
    """(permitting, construction, ramp-up) years and notes on what had no data."""
    lt = costs.load_lead_times()
    notes = []

    def phase(name: str, c: str | None) -> float:
        for cc in (c, "*"):
            if cc is None:
                continue
            for st in (stage, "*"):
                hit = lt[(lt["country"] == cc) & (lt["phase"] == name) & (lt["stage"] == st)]
                if not hit.empty:
                    if cc == "*" and c not in (None, "*") and name == "permitting":
                        notes.append(f"permitting time of {c}: no data, the '*' figure used")
                    return float(hit["central"].iloc[0])
        notes.append(f"{name} time: no data, taken as 0")
        return 0.0

    return phase("permitting", country), phase("construction", None), phase("ramp-up", None), notes


def ramp(years: np.ndarray, start: float, ramp_years: float) -> np.ndarray:
    """Share of capacity online each year: 0 before ``start``, linear to 1 over the ramp.

    Examples
    --------
    >>> ramp(np.arange(2030, 2035), 2031.0, 2.0).tolist()
    [0.0, 0.5, 1.0, 1.0, 1.0]
    """
    if ramp_years <= 0:
        return (years >= start).astype(float)
    return np.clip((years - start + 1.0) / ramp_years, 0.0, 1.0)


def availability(
    ds: Dataset, country: str | None, members: tuple[str, ...] = (), mineral: str | None = None
) -> float:
    """Share of time a partner's capacity is not withheld from the bloc under the fitted
    hazard model (:func:`critmin.sim.hazard.partner_availability`: the country's fitted
    hazard for the mineral, its measure mix, durations and withheld shares, aimed by
    alignment with the bloc's ``members``); 1 for domestic capacity."""
    if country is None or country in DOMESTIC:
        return 1.0
    return hazard.partner_availability(ds, country, members, mineral)


def _stage(item: PlanItem, mineral: str, mi: MarketInputs) -> str:
    if item.stage is not None:
        return item.stage
    if item.lever == "mine":
        return "mine"
    lc = costs.load_lever_costs()
    have = lc[(lc["mineral"] == mineral) & (lc["lever"].isin(["mine", "refine"]))]
    # Partner investment and refine go to the last stage the data can cost, else the
    # mineral's last stage the model simulates (tin: mine, its smelters have no data).
    for st in ("refine", "mine"):
        if (have["stage"] == st).any():
            return st
    j = mi.minerals.index(mineral)
    return "refine" if mi.stage_present[1, j] else "mine"


def item_effects(
    plan: Plan, mi: MarketInputs, ds: Dataset, source: str = "plan"
) -> list[ItemEffect]:
    """The effect of every plan item on every one of its minerals, over the horizon.

    Raises
    ------
    DataError
        An item starting outside the scenario's horizon.
    """
    years = mi.years
    problems = []
    for i, it in enumerate(plan.items):
        if not years[0] <= it.start <= years[-1]:
            problems.append(
                Problem(
                    source,
                    None,
                    f"items.{i}.start",
                    f"a year in the horizon {years[0]}-{years[-1]}",
                    str(it.start),
                )
            )
    if problems:
        raise DataError(problems)
    out = []
    for i, it in enumerate(plan.items):
        share_usd = it.cost_usd / len(it.minerals)
        share_q = None if it.quantity_t is None else it.quantity_t / len(it.minerals)
        for m in it.minerals:
            out.append(_effect(i, it, m, share_usd, share_q, mi, ds))
    return out


def _no_data(base: dict[str, Any], zero: np.ndarray, note: str) -> ItemEffect:
    """An item the data cannot evaluate: no effect, and the reason."""
    return ItemEffect(
        **base,
        quantity_t=0.0,
        online=None,
        dedicated=zero,
        availability=1.0,
        status="insufficient data",
        note=note,
    )


def _effect(
    i: int, it: PlanItem, m: str, usd: float, qty: float | None, mi: MarketInputs, ds: Dataset
) -> ItemEffect:
    T = len(mi.years)
    zero = np.zeros(T)
    base: dict[str, Any] = dict(item=i, lever=it.lever, mineral=m, country=it.country, usd=usd)
    if m not in mi.minerals:
        why = unsimulated(ds).get(m, "left out by the scenario's minerals list")
        return _no_data(base, zero, f"{m} is not simulated ({why})")
    if it.lever in ("mine", "refine", "partner_investment", "recycling"):
        stage = "recycle" if it.lever == "recycling" else _stage(it, m, mi)
        lever = "recycle" if it.lever == "recycling" else ("mine" if stage == "mine" else "refine")
        cost = capex(m, stage, lever)
        if qty is None and cost is None:
            why = _missing_capex(m, stage, lever, _uncosted_projects(m, stage))
            return _no_data(base, zero, why)
        cap = qty if qty is not None else usd / cost[0]  # type: ignore[index]
        country = it.country or "USA"
        permit, build, up, notes = lead_years(
            country if it.lever != "recycling" else None, stage if stage != "recycle" else "refine"
        )
        online = it.start + permit + build
        share = ramp(mi.years.astype(float), online, up)
        avail = (
            availability(ds, country, mi.scenario.bloc_members(), m)
            if it.lever != "recycling"
            else 1.0
        )
        dedicated = cap * share * avail
        if it.lever == "recycling":
            dedicated = np.minimum(dedicated, _recoverable(mi, m))
            notes.append("bounded by the metal AI hardware retires (the stock model)")
        src = f"capex {cost[0]:,.0f} USD per t/yr ({cost[1]})" if cost else "quantity given"
        return ItemEffect(
            **base,
            quantity_t=cap,
            online=online + up - 1,
            dedicated=dedicated,
            availability=avail,
            status="ok",
            note="; ".join([src, f"online {online:.1f}", *notes]),
        )
    if it.lever == "stockpile":
        price = _price(m)
        if qty is None and price is None:
            return _no_data(base, zero, f"no USGS price for {m}: give quantity_t")
        tonnes = qty if qty is not None else usd / price[0]  # type: ignore[index]
        note = f"{tonnes:,.0f} t at {price[0]:,.0f} USD/t" if price else "quantity given"
        buys, spread = _spread_purchase(tonnes, mi, m, it.start)
        return ItemEffect(
            **base,
            quantity_t=tonnes,
            online=float(it.start),
            dedicated=zero,
            availability=1.0,
            status="ok",
            note=note + spread,
            purchases=buys,
        )
    if it.lever == "expedited_permitting":
        gained, note = _expedited(mi, it, m)
        status = "ok" if gained.any() else "insufficient data"
        return ItemEffect(
            **base,
            quantity_t=float(gained.max()),
            online=None,
            dedicated=gained,
            availability=1.0,
            status=status,
            note=note,
        )
    return ItemEffect(
        **base,
        quantity_t=0.0,
        online=float(it.start),
        dedicated=zero,
        availability=1.0,
        status="ok",
        note=it.lever,
    )


def _spread_purchase(tonnes: float, mi: MarketInputs, m: str, start: int) -> tuple[np.ndarray, str]:
    """Tonnes bought each year: at most :data:`STOCK_MARKET_SHARE` of the year's world output,
    from the start year on; what the horizon cannot absorb is never bought (and said so)."""
    j = mi.minerals.index(m)
    t0 = int(np.flatnonzero(mi.years == start)[0])
    cap = STOCK_MARKET_SHARE * mi.world_t[:, j]
    buys = np.zeros(len(mi.years))
    left = tonnes
    for t in range(t0, len(mi.years)):
        buys[t] = min(left, cap[t]) if cap[t] > 0 else left
        left -= buys[t]
        if left <= 1e-9:
            break
    if buys[t0] >= tonnes - 1e-9:
        return buys, ""
    last = int(mi.years[np.flatnonzero(buys)[-1]])
    note = (
        f"; market limit {STOCK_MARKET_SHARE:.0%} of world output a year "
        f"({cap[t0]:,.0f} t in {start}): bought {start}-{last}"
    )
    if left > 1e-9:
        note += f", {left:,.0f} t not bought within the horizon"
    return buys, note


def _missing_capex(mineral: str, stage: str, lever: str, uncosted: list[str]) -> str:
    """What an uncosted capacity item lacks, and what would supply it.

    Examples
    --------
    >>> print(_missing_capex("tin", "mine", "mine", ["P057 Renison tin mine"]))
    ... # doctest: +NORMALIZE_WHITESPACE
    no sourced capital cost per t/yr of tin capacity at the mine stage (lever_costs.csv has
    no tin/mine/mine row): a mine project's capital cost and annual capacity in t of tin
    would supply it (projects.csv lists P057 Renison tin mine without a capital cost); or
    give quantity_t to evaluate it
    """
    what = {"mine": "a mine", "refine": "a refinery or smelter", "recycle": "a recycling plant"}
    known = f" (projects.csv lists {'; '.join(uncosted)} without a capital cost)" * bool(uncosted)
    return (
        f"no sourced capital cost per t/yr of {mineral} capacity at the {stage} stage "
        f"(lever_costs.csv has no {mineral}/{stage}/{lever} row): {what.get(lever, 'a')} "
        f"project's capital cost and annual capacity in t of {mineral} would supply it{known}; "
        "or give quantity_t to evaluate it"
    )


def _uncosted_projects(mineral: str, stage: str) -> list[str]:
    """Pipeline projects of the mineral at the stage that give no capital cost."""
    from critmin.policy.projects import pipeline

    df = pipeline(mineral=mineral)
    out = []
    for _, p in df.iterrows():
        if stage in tuple(p["stages"]) and p["capex_usd"] != p["capex_usd"]:
            cap, unit = p["capacity_value"], str(p["capacity_unit"])
            # A capacity in t of another product (lithium concentrate for tantalum) is no help.
            ours = cap == cap and mineral.replace("_", " ") in unit
            size = f", {cap:,.0f} {unit}," if ours else ""
            out.append(f"{p['project_id']} {p['name']}{size}")
    return out


def _price(m: str) -> tuple[float, str] | None:
    p = costs.current_prices()
    hit = p[p["mineral"] == m]
    if hit.empty:
        return None
    return float(hit["usd_per_t"].iloc[0]), str(hit["source"].iloc[0])


def _recoverable(mi: MarketInputs, m: str) -> np.ndarray:
    """Metal in AI hardware retiring each year (t), from the AI-demand stock model."""
    from critmin.demand.summary import end_of_life

    years = [int(y) for y in mi.years if 2024 <= y <= 2050]
    if not years:
        return np.zeros(len(mi.years))
    eol = end_of_life(mi.scenario.demand_scenario, range(min(years), max(years) + 1))
    sub = eol[eol["mineral"] == m].set_index("year")["recoverable"]
    return np.array([float(sub.get(int(y), 0.0)) for y in mi.years])


def apply_plan(mi: MarketInputs, plan: Plan, effects: list[ItemEffect]) -> MarketInputs:
    """The market inputs with the plan's levers in place."""
    T, M = mi.shape
    idx = {m: j for j, m in enumerate(mi.minerals)}
    dedicated = np.zeros((T, M)) if mi.dedicated is None else mi.dedicated.copy()
    stock0 = mi.stock0.copy()
    purchase = mi.purchase.copy()
    cuts = list(mi.demand_cuts)
    effects_by_event = list(mi.effects)
    for ef in effects:
        if ef.status != "ok" or ef.mineral not in idx:
            continue
        j = idx[ef.mineral]
        it = plan.items[ef.item]
        dedicated[:, j] += ef.dedicated
        if ef.lever == "stockpile":
            t = int(np.flatnonzero(mi.years == it.start)[0])
            buys = ef.purchases
            if buys is None:
                buys = np.zeros(T)
                buys[t] = ef.quantity_t
            stock0[j] += buys[0]
            purchase[1:, j] += buys[1:]
        elif ef.lever == "substitution":
            share = np.divide(
                mi.ai_t[:, j], mi.world_t[:, j], out=np.zeros(T), where=mi.world_t[:, j] > 0
            )
            on = (mi.years >= it.start + it.lag_years).astype(float)
            cuts.append((j, float(it.demand_cut or 0.0) * share * on, float(it.probability or 0.0)))
        elif ef.lever == "infrastructure":
            scale = 1.0 - float(it.loss_reduction or 0.0)
            for k, x in enumerate(effects_by_event):
                ev = mi.events[x.event]
                if (
                    x.kind == "logistics"
                    and isinstance(ev, Logistics)
                    and (it.route is None or ev.route == it.route)
                    and int(mi.slot_mineral[x.slot]) == j
                ):
                    effects_by_event[k] = dataclasses.replace(x, loss_scale=x.loss_scale * scale)
    return dataclasses.replace(
        mi,
        dedicated=dedicated,
        stock0=stock0,
        purchase=purchase,
        demand_cuts=tuple(cuts),
        effects=tuple(effects_by_event),
    )


def _expedited(mi: MarketInputs, it: PlanItem, mineral: str) -> tuple[np.ndarray, str]:
    """Capacity of pipeline projects in the years expedited permitting gains (t/yr).

    Only projects whose capacity is reported in tonnes of the mineral itself (``t/yr`` with
    the mineral's name or "contained") count: product tonnages (lithium carbonate, magnets)
    are not converted here.
    """
    import re

    from critmin.policy.projects import pipeline

    out = np.zeros(len(mi.years))
    df = pipeline(mineral=mineral, country=it.country)
    used, skipped = [], []
    name = mineral.replace("_", " ")
    for _, p in df.iterrows():
        a, b = p["expected_start_expedited"], p["expected_start"]
        if not (a == a and b == b) or a >= b:
            continue
        unit = str(p["capacity_unit"] or "")
        cap = p["capacity_value"]
        if cap != cap or not re.match(rf"^t/yr\b.*\b({re.escape(name)}|contained)", unit):
            skipped.append(str(p["project_id"]))
            continue
        out += float(cap) * ((mi.years >= a) & (mi.years < b))
        used.append(str(p["project_id"]))
    note = f"projects gaining years: {', '.join(used) or 'none'}" + (
        f"; without a capacity in t of {mineral}: {', '.join(skipped)}" if skipped else ""
    )
    return out, note
