"""A plan through the simulator, on the same samples as its baseline.

The baseline and the plan run the same scenario with the same seed: every random draw is the
same (the plan's own draws, substitution R&D success, come after all others), so the
difference is the plan's effect, not sampling noise. Per mineral: expected and P95 worst-year
shortfall, tonnes left unmet over the horizon, P95 price index, years to recover, the cost
of what stays unmet (at the USGS price), the plan's cost and its greenhouse-gas footprint
(tonnes of primary supply it adds × the cradle-to-gate intensity, Nuss & Eckelman 2014);
and a total row with AI hardware output at risk.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from critmin.data.dataset import Dataset
from critmin.data.dataset import load as load_dataset
from critmin.policy import costs
from critmin.policy.levers import ItemEffect, apply_plan, item_effects
from critmin.policy.plan import Plan
from critmin.sim.inputs import MarketInputs
from critmin.sim.runner import simulate
from critmin.sim.scenario import Scenario, load_scenario
from critmin.sim.summary import summary

FOOTPRINTS = Path(__file__).with_name("footprints.csv")

#: Column order of :func:`evaluate`'s per-mineral table (``critmin plan evaluate`` JSON).
COLUMNS = (
    "mineral",
    "cost_usd",
    "shortfall_mean_base",
    "shortfall_mean_plan",
    "shortfall_p95_base",
    "shortfall_p95_plan",
    "unmet_t_base",
    "unmet_t_plan",
    "unmet_cost_usd_base",
    "unmet_cost_usd_plan",
    "price_index_p95_base",
    "price_index_p95_plan",
    "years_to_recover_base",
    "years_to_recover_plan",
    "ai_output_at_risk_base",
    "ai_output_at_risk_plan",
    "co2e_t",
    "status",
)


#: Columns of :attr:`Evaluation.consequences` (one row per objective).
CONSEQUENCE_COLUMNS = (
    "objective", "unit", "base", "plan", "change", "note",
    # AI output at risk under the two bounding allocation rules (decision 0033); NaN for the
    # other objectives. ``base``/``plan`` are the default (central) rule's.
    "base_low", "plan_low", "base_high", "plan_high",
)  # fmt: skip


@dataclass(frozen=True)
class Evaluation:
    """A plan's evaluation: per-mineral table, item effects, both raw results and the plan's
    consequences on every objective (:mod:`critmin.policy.objectives`)."""

    table: pd.DataFrame
    items: pd.DataFrame
    base: xr.Dataset
    plan: xr.Dataset
    consequences: pd.DataFrame = field(default_factory=pd.DataFrame)
    scenario: str = ""


@cache
def footprints() -> dict[str, tuple[float, str]]:
    """Cradle-to-gate kg CO2e per kg (central) and source per mineral (sourced rows only)."""
    with FOOTPRINTS.open(encoding="utf-8", newline="") as fh:
        return {
            r["mineral"]: (float(r["central"]), r["source"])
            for r in csv.DictReader(fh)
            if r["parameter"] == "ghg_cradle_to_gate"
        }


def prices() -> dict[str, float]:
    """USD per tonne of each mineral at its latest USGS price (:func:`costs.current_prices`)."""
    p = costs.current_prices()
    return dict(zip(p["mineral"].astype(str), p["usd_per_t"].astype(float), strict=True))


def at_risk(result: xr.Dataset) -> float:
    """Expected AI hardware output at risk (:func:`critmin.sim.summary.ai_output_at_risk`)."""
    from critmin.sim.summary import ai_output_at_risk

    return ai_output_at_risk(result)


def evaluate(
    plan: Plan,
    scenario: Scenario | str | Path,
    ds: Dataset | None = None,
    *,
    samples: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    source: str = "plan",
) -> Evaluation:
    """Run the baseline and the plan on the same samples and compare them.

    Examples
    --------
    >>> from critmin.policy.plan import Plan
    >>> p = Plan.model_validate({"name": "stock", "items": [{"lever": "stockpile",
    ...     "minerals": ["gallium"], "usd": 5.0e6, "start": 2023}]})
    >>> ev = evaluate(p, "examples/china-gallium-germanium-2023.yaml", samples=200)
    >>> row = ev.table.set_index("mineral").loc["gallium"]
    >>> bool(row.unmet_t_plan < row.unmet_t_base)
    True
    """
    ds = ds if ds is not None else load_dataset()
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    holder: dict[str, list[ItemEffect]] = {}

    def with_plan(mi: MarketInputs) -> MarketInputs:
        holder["mi"] = mi  # type: ignore[assignment]
        holder["effects"] = item_effects(plan, mi, ds, source)
        return apply_plan(mi, plan, holder["effects"])

    kw = dict(samples=samples, seed=seed, workers=workers)
    base = simulate(sc, ds, **kw)  # type: ignore[arg-type]
    res = simulate(sc, ds, transform=with_plan, **kw)  # type: ignore[arg-type]
    effects = holder["effects"]
    table = compare(base, res, plan, effects)
    mi: MarketInputs = holder["mi"]  # type: ignore[assignment]
    return Evaluation(
        table, items_table(effects), base, res, consequences(base, res, table, mi), sc.name
    )


def consequences(
    base: xr.Dataset, res: xr.Dataset, table: pd.DataFrame, mi: MarketInputs
) -> pd.DataFrame:
    """Baseline and plan on every objective (expected over samples; columns
    :data:`CONSEQUENCE_COLUMNS`)."""
    from critmin.policy import objectives as ob

    value = ob.ai_value(mi)
    low, high = ob.ai_value(mi, "priority"), ob.ai_value(mi, "pro_rata")

    def ai(r: xr.Dataset, v: ob.AiValue = value) -> float:
        sf = r["shortfall"].transpose("sample", "year", "mineral").to_numpy()
        return float(ob.ai_output_usd(sf, mi, v).mean())

    tot = table[table["mineral"] == "total"].iloc[0]
    missing = sorted(
        str(m)
        for m in mi.minerals
        if m not in prices() and float(res["unmet"].sel(mineral=m).sum()) > 0
    )
    rows = [
        ("ai_output_usd", ai(base), ai(res), value.note),
        ("economic_loss_usd", np.nan, np.nan, ob.ECONOMIC_LOSS_MISSING),
        (
            "unmet_cost_usd",
            float(tot["unmet_cost_usd_base"]),
            float(tot["unmet_cost_usd_plan"]),
            "unmet t × latest USGS price (policy.costs.current_prices)"
            + (f"; no price, left out: {', '.join(missing)}" if missing else ""),
        ),
        ("co2e_t", 0.0, float(tot["co2e_t"]), "cradle-to-gate of the added supply "
         "(footprints.csv); water: not sourced"),
    ]  # fmt: skip
    bounds = {"base_low": ai(base, low), "plan_low": ai(res, low),
              "base_high": ai(base, high), "plan_high": ai(res, high)}  # fmt: skip
    return pd.DataFrame(
        [
            {
                "objective": n,
                "unit": ob.UNITS[n],
                "base": b,
                "plan": p,
                "change": p - b,
                "note": note,
                **(bounds if n == "ai_output_usd" else {}),
            }
            for n, b, p, note in rows
        ],
        columns=list(CONSEQUENCE_COLUMNS),
    )


def items_table(effects: list[ItemEffect]) -> pd.DataFrame:
    """One row per plan item and mineral: what it buys, when, and with what caveat."""
    return pd.DataFrame(
        [
            {
                "item": e.item,
                "lever": e.lever,
                "mineral": e.mineral,
                "country": e.country,
                "usd": e.usd,
                "quantity_t": e.quantity_t,
                "online": e.online,
                "availability": e.availability,
                "dedicated_t_last_year": float(e.dedicated[-1]) if len(e.dedicated) else 0.0,
                "status": e.status,
                "note": e.note,
            }
            for e in effects
        ]
    )


def compare(
    base: xr.Dataset, res: xr.Dataset, plan: Plan, effects: list[ItemEffect]
) -> pd.DataFrame:
    """The per-mineral comparison table (columns :data:`COLUMNS`) with a ``total`` row."""
    sb, sp = summary(base).set_index("mineral"), summary(res).set_index("mineral")
    price = prices()
    fp = footprints()
    cost: dict[str, float] = {}
    co2: dict[str, float] = {}
    status: dict[str, list[str]] = {}
    for e in effects:
        cost[e.mineral] = cost.get(e.mineral, 0.0) + e.usd
        if e.status != "ok":
            status.setdefault(e.mineral, []).append(f"{e.lever}: {e.status}")
        added = float(e.dedicated.sum()) + (e.quantity_t if e.lever == "stockpile" else 0.0)
        if e.lever in ("mine", "refine", "partner_investment", "stockpile") and added > 0:
            if e.mineral in fp:
                co2[e.mineral] = co2.get(e.mineral, 0.0) + added * fp[e.mineral][0]
            else:
                status.setdefault(e.mineral, []).append("no sourced footprint")
    touched = set(cost) | set(sb.index[(sb.shortfall_mean > 0) | (sb.price_index_p95 > 1.0)])
    rows = []
    for m in sorted(touched & set(sb.index)):
        b, p = sb.loc[m], sp.loc[m]
        v = price.get(m, np.nan)
        rows.append(
            {
                "mineral": m,
                "cost_usd": cost.get(m, 0.0),
                "shortfall_mean_base": b.shortfall_mean,
                "shortfall_mean_plan": p.shortfall_mean,
                "shortfall_p95_base": b.shortfall_p95,
                "shortfall_p95_plan": p.shortfall_p95,
                "unmet_t_base": b.unmet_t_mean,
                "unmet_t_plan": p.unmet_t_mean,
                "unmet_cost_usd_base": b.unmet_t_mean * v,
                "unmet_cost_usd_plan": p.unmet_t_mean * v,
                "price_index_p95_base": b.price_index_p95,
                "price_index_p95_plan": p.price_index_p95,
                "years_to_recover_base": b.years_to_recover_mean,
                "years_to_recover_plan": p.years_to_recover_mean,
                "ai_output_at_risk_base": np.nan,
                "ai_output_at_risk_plan": np.nan,
                "co2e_t": co2.get(m, 0.0),
                "status": "; ".join(status.get(m, [])) or ("ok" if v == v else "no USGS price"),
            }
        )
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    total = {
        "mineral": "total",
        "cost_usd": plan.total_usd,
        "unmet_cost_usd_base": df["unmet_cost_usd_base"].sum(min_count=1),
        "unmet_cost_usd_plan": df["unmet_cost_usd_plan"].sum(min_count=1),
        "ai_output_at_risk_base": at_risk(base),
        "ai_output_at_risk_plan": at_risk(res),
        "co2e_t": df["co2e_t"].sum(),
        "status": "unmet cost summed over minerals with a USGS price",
    }
    return pd.concat([df, pd.DataFrame([total])], ignore_index=True)[list(COLUMNS)]
