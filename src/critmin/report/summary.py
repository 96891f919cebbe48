"""The brief's page one: findings, recommended actions and "what changed", computed from the
brief's own tables, and the machine-readable summary (``brief.json``) every brief writes.

Nothing here is prose written in advance: every sentence is filled from the model's results
(the tables :func:`critmin.report.brief.build` collects), and an action appears only when the
rule that derives it holds on those results. Each finding and action names the section of the
brief that supports it (its anchor).

``brief.json`` (schema ``critmin-brief/1``, documented in docs/decisions/0025) holds the
edition date, the data sources and their row counts, the scores and ranks with their ranges,
each scenario's results, both plans' costs, the findings and the actions. ``critmin brief
--since OLD/brief.json`` compares it with the new edition (:func:`changes`).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from critmin.analysis.frames import json_safe
from critmin.data.errors import DataError, Problem

SCHEMA = "critmin-brief/1"
#: Score and share differences below these are rounding, not change (the page shows 2 digits
#: of a score and whole percentage points).
SCORE_STEP = 0.005
SHARE_STEP = 0.005


@dataclass(frozen=True)
class Point:
    """One finding or action: its headline, its sentence and the section that supports it."""

    title: str
    text: str
    section: str


def _name(m: object) -> str:
    return str(m).replace("_", " ")


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _bn(x: float) -> str:
    return f"{x / 1e9:,.1f} billion USD"


def standard_key(tables: dict[str, pd.DataFrame]) -> str | None:
    """The key of the standard scenario's results among the brief's scenarios (or the first)."""
    risk = tables.get("scenarios_ai_output_at_risk")
    if risk is None or risk.empty:
        return None
    std = risk[risk.get("standard", pd.Series(False, index=risk.index)).astype(bool)]
    return str((std if len(std) else risk)["key"].iloc[0])


def _plan_row(comp: pd.DataFrame | None, optimised: bool) -> pd.Series | None:
    if comp is None or comp.empty:
        return None
    is_opt = comp["plan"].astype(str).str.lower().str.startswith("optimised")
    sub = comp[is_opt] if optimised else comp[~is_opt]
    return sub.iloc[0] if len(sub) else None


def _avoided(row: pd.Series | None) -> tuple[float, float] | None:
    """AI hardware output at risk a plan avoids, the optimiser's default objective
    (docs/decisions/0024): (fresh samples, in sample), USD."""
    if row is None:
        return None
    rule = str(row.get("ai_rule", "central"))
    k = "ai_output_usd" if rule == "central" else f"ai_output_usd_{rule}"
    try:
        fresh = float(row[f"{k}:base_oos"]) - float(row[f"{k}:plan_oos"])
        inside = float(row[f"{k}:base"]) - float(row[f"{k}:plan"])
    except (KeyError, TypeError, ValueError):
        return None
    if not (math.isfinite(fresh) and math.isfinite(inside)):
        return None
    return fresh, inside


def _pct1(x: float) -> str:
    """A share as a percentage with one decimal below 10 % (2.4%, 43%)."""
    return f"{100 * x:.1f}%" if abs(x) < 0.1 else _pct(x)


def _ai_range(risk: pd.Series) -> str:
    """ "2.4% (range 1.9–43%)": AI output at risk, central with its bounds (decision 0033);
    the pro-rata figure alone for a table written before the allocation rules."""
    hi = float(risk.get("ai_output_at_risk_high", risk["ai_output_at_risk"]))
    c, lo = (
        float(risk.get("ai_output_at_risk_central", math.nan)),
        float(risk.get("ai_output_at_risk_low", math.nan)),
    )
    if not (math.isfinite(c) and math.isfinite(lo)):
        return f"up to {_pct1(hi)}"
    return f"{_pct1(c)} (range {_pct1(lo)}–{_pct1(hi)})"


def _ai_why(risk: pd.Series) -> str:
    """The sentence that says where the range comes from and which inputs decide it."""
    if not math.isfinite(float(risk.get("ai_output_at_risk_central", math.nan))):
        return ""
    bind = str(risk.get("ai_binding_central", "") or "").replace("_", " ")
    lead = (
        f"Central: most supply reaches users pro rata under contracts and AI buyers outbid "
        f"other uses for the rest; only {bind} then leaves AI hardware short"
        if bind
        else "Central: most supply reaches users pro rata under contracts and AI buyers "
        "outbid other uses for the rest, which covers AI's small share of demand"
    )
    return (
        lead + f"; {_pct1(float(risk['ai_output_at_risk_high']))} if every use were short "
        "by the same share, "
        f"{_pct1(float(risk['ai_output_at_risk_low']))} if AI were served first (decision 0033)."
    )


def findings(tables: dict[str, pd.DataFrame]) -> list[Point]:
    """The five findings that matter most, each with its numbers and range, and a sixth on
    the company's products when the brief has a company view (:func:`company_finding`)."""
    out: list[Point] = []
    head = tables["headline"].sort_values("rank")
    top = head.head(3)
    parts = []
    for _, r in top.iterrows():
        rng = ""
        if pd.notna(r.get("score_low")) and pd.notna(r.get("score_high")):
            rng = f", range {float(r['score_low']):.2f}–{float(r['score_high']):.2f}"
        parts.append(f"{_name(r['mineral'])} {float(r['score']):.2f}{rng} (led by {r['why']})")
    out.append(
        Point(
            f"AI hardware is most exposed on {', '.join(_name(m) for m in top['mineral'])}",
            "Composite AI-exposure score (0–1): " + "; ".join(parts) + ".",
            "headline",
        )
    )
    conc = tables.get("concentration")
    if conc is not None and len(conc):
        ranked = head.head(8)["mineral"].tolist()
        ref = conc[(conc["stage"] == "refine") & conc["mineral"].isin(ranked)].dropna(
            subset=["china_share"]
        )
        high = ref[ref["china_share"] >= 0.8].sort_values("china_share", ascending=False)
        if len(ref):
            lst = ", ".join(f"{_name(m)} {_pct(s)}" for m, s in zip(high["mineral"],
                            high["china_share"], strict=True))  # fmt: skip
            out.append(
                Point(
                    f"China refines at least 80% of {len(high)} of the {len(ref)} most exposed "
                    "minerals with refining data",
                    (
                        f"China's share of world refining: {lst}."
                        if lst
                        else "No top-exposed mineral has China at 80% or more of refining."
                    ),
                    "concentration",
                )
            )
    key = standard_key(tables)
    if key is not None:
        risk: pd.Series = tables["scenarios_ai_output_at_risk"].set_index("key").loc[key]  # type: ignore[assignment]
        hit = tables.get(f"scenario_{key}_summary", pd.DataFrame())
        worst = ", ".join(
            f"{_name(r['mineral'])} {_pct(r['shortfall_mean'])} (P95 {_pct(r['shortfall_p95'])})"
            for _, r in hit.head(3).iterrows()
        )
        out.append(
            Point(
                f"The standard risk scenario puts {_ai_range(risk)} of AI hardware output at "
                "risk in its worst year",
                f"'{risk['scenario']}' ({int(risk['samples']):,} samples): "
                f"{len(hit)} minerals are short in some samples; the worst years leave, on "
                "average, "
                + (worst or "no demand")
                + " of the bloc's demand unmet. "
                + _ai_why(risk),
                "disruptions",
            )
        )
    ctx = tables.get("ai_demand_context")
    if ctx is not None and len(ctx):
        last = ctx[ctx["year"] == ctx["year"].max()].nlargest(1, "ai_share_central")
        if len(last):
            r = last.iloc[0]
            out.append(
                Point(
                    f"AI data centres reach {100 * float(r['ai_share_central']):.1f}% of world "
                    f"{_name(r['mineral'])} demand by {int(r['year'])}",
                    f"{float(r['ai_central_t']):,.0f} t a year (range "
                    f"{float(r['ai_low_t']):,.0f}–{float(r['ai_high_t']):,.0f} t; "
                    f"{100 * float(r['ai_share_low']):.1f}–{100 * float(r['ai_share_high']):.1f}%"
                    f" of world demand of {float(r['world_t']):,.0f} t).",
                    "demand",
                )
            )
    comp = tables.get("plan_comparison")
    ex, opt = _plan_row(comp, False), _plan_row(comp, True)
    a_ex, a_opt = _avoided(ex), _avoided(opt)
    if ex is not None and opt is not None and a_ex is not None and a_opt is not None:
        alloc = tables.get("plan_allocation", pd.DataFrame())
        buys = ", ".join(
            f"{r['lever'].replace('_', ' ')} {_name(r['mineral'])}"
            + (f" ({r['country']})" if isinstance(r.get("country"), str) else "")
            + f" {_bn(float(r['usd']))}"
            for _, r in alloc.nlargest(3, "usd").iterrows()
        )
        items = tables.get("plan_items", pd.DataFrame())
        example = ""
        if len(items) > 3:
            col = items.columns[3]  # "example: <plan name>"
            top = items.nlargest(3, col)
            example = ", ".join(
                f"{r['lever']} {r['mineral']}"
                + (f" ({r['country']})" if isinstance(r["country"], str) and r["country"] else "")
                + f" {float(r[col]):,.1f} billion USD"
                for _, r in top.iterrows()
            )  # fmt: skip
        rule = str(ex.get("ai_rule", "central"))
        bound = (
            ""
            if rule == "central"
            else " Counted by the upper-bound rule (every use short alike): under the central "
            "rule neither plan changes AI output at risk, which is zero (decision 0033)."
        )
        out.append(
            Point(
                f"For the same {_bn(float(ex['spent_usd']))}, the optimised plan avoids "
                f"{_bn(a_opt[0])} of AI hardware output at risk against {_bn(a_ex[0])} for the "
                "example plan" + ("" if rule == "central" else " (upper bound)"),
                f"Value of AI hardware the bloc could not build, avoided over the horizon on "
                f"fresh samples (in sample: "
                f"{_bn(a_opt[1])} and {_bn(a_ex[1])}). The example plan '{ex['plan']}' puts "
                f"most into {example or 'its items'}; the optimised plan into "
                f"{buys or 'nothing'}." + bound,
                "plans",
            )
        )
    company = company_finding(tables)
    if company is not None:
        out.append(company)
    return out


def _rule_note(tables: dict[str, pd.DataFrame]) -> str:
    """ " (upper bound: ...)" when the plan section optimised the pro-rata bound (0033)."""
    comp = tables.get("plan_comparison")
    if comp is None or comp.empty or "ai_rule" not in comp:
        return ""
    rule = str(comp["ai_rule"].iloc[0])
    if rule == "central":
        return ""
    return (" counted by the upper-bound rule (every use short alike; under the central rule "
            "AI's inputs are never short in the standard scenario)")  # fmt: skip


def company_finding(tables: dict[str, pd.DataFrame]) -> Point | None:
    """The company view on page one (only when the brief has one, ``--bom/--plan``): the
    product most short in the standard scenario (or the first the brief runs), units short
    with the P5–P95 range, and the input that binds."""
    at = tables.get("company_at_risk")
    key = standard_key(tables)
    if at is None or at.empty or key is None:
        return None
    part = at[at["key"] == key]
    if part.empty:
        return None
    risk = tables["scenarios_ai_output_at_risk"].set_index("key").loc[key]
    where = ("the standard risk scenario" if bool(risk.get("standard", False))
             else f"'{risk['scenario']}'")  # fmt: skip
    worst = part.sort_values("share_short_mean", ascending=False).iloc[0]
    if float(worst["units_short_mean"]) <= 0:
        return Point(
            f"Company view: no unit of the company's products is short in {where}",
            f"{len(part)} products, {float(part['units_planned'].sum()):,.0f} planned units "
            f"over {worst['years']}; units short P95: 0.",
            "company",
        )
    others = part[(part["product"] != worst["product"]) & (part["units_short_mean"] > 0)]
    return Point(
        f"Company view: {worst['product']} is {100 * float(worst['share_short_mean']):.1f}% "
        f"short of its planned units in {where}",
        f"{float(worst['units_short_mean']):,.0f} of {float(worst['units_planned']):,.0f} "
        f"planned units over {worst['years']} cannot be built on average (P5–P95 "
        f"{float(worst['units_short_p5']):,.0f}–{float(worst['units_short_p95']):,.0f}), bound "
        f"by {_name(worst['binding_mineral'])} in {100 * float(worst['binding_share']):.0f}% "
        "of the years short; "
        + (f"{len(others)} other product(s) short too." if len(others)
           else "no other product is short.")
        + " Assumes the company suffers the bloc's average shortfall of each input.",
        "company",
    )  # fmt: skip


def actions(tables: dict[str, pd.DataFrame]) -> list[Point]:
    """Recommended actions, each derived by a stated rule from the model's results."""
    out: list[Point] = []
    alloc = tables.get("plan_allocation", pd.DataFrame())
    funded = set(alloc["mineral"]) if len(alloc) else set()
    key = standard_key(tables)
    hit = tables.get(f"scenario_{key}_summary", pd.DataFrame()) if key else pd.DataFrame()
    # Rule 1: the optimiser's largest allocations are the best use of money it can see.
    if len(alloc):
        big = alloc.nlargest(3, "usd")
        lst = "; ".join(
            f"{r['lever'].replace('_', ' ')} of {_name(r['mineral'])}"
            + (f" in {r['country']}" if isinstance(r.get("country"), str) else "")
            + f" ({_bn(float(r['usd']))})"
            for _, r in big.iterrows()
        )
        mv = float(big["marginal_value"].iloc[0])
        out.append(
            Point(
                "Fund first what the optimiser funds most",
                f"{lst}. At the optimum each extra USD on a funded lever avoids {mv:.2f} USD "
                "of AI hardware output at risk" + _rule_note(tables) + ".",
                "plans",
            )
        )
    # Rule 2: a mineral badly short in the standard scenario that the optimiser leaves unfunded
    # (it protects AI hardware output less per dollar) needs a decision on other grounds.
    if len(hit):
        blind = hit[(hit["shortfall_mean"] >= 0.1) & ~hit["mineral"].isin(funded)].head(3)
        if len(blind):
            lst = ", ".join(f"{_name(m)} ({_pct(s)})" for m, s in zip(blind["mineral"],
                            blind["shortfall_mean"], strict=True))  # fmt: skip
            out.append(
                Point(
                    "Decide on stocks or partner supply for minerals the optimiser leaves unfunded",
                    f"Short by 10% or more of demand in the standard scenario's worst year "
                    f"yet unfunded: {lst}. The optimiser funds what protects AI hardware output "
                    "most; these minerals need a decision on other grounds (their other uses, "
                    "allies' needs).",
                    "disruptions",
                )
            )
    # Rule 3: reallocate when the optimised plan avoids clearly more than the example plan.
    comp = tables.get("plan_comparison")
    a_ex, a_opt = _avoided(_plan_row(comp, False)), _avoided(_plan_row(comp, True))
    if a_ex is not None and a_opt is not None and a_opt[0] > a_ex[0] * 1.1 + 1e8:
        out.append(
            Point(
                "Reallocate the example plan's budget",
                f"The optimised plan avoids {_bn(a_opt[0] - a_ex[0])} more of AI hardware "
                "output at risk "
                "for the same money on fresh samples; see the item-by-item comparison.",
                "plans",
            )
        )
    # Rule 4: diversify refining where one country holds 90% or more of a top-exposed mineral.
    conc = tables.get("concentration")
    if conc is not None and len(conc):
        top = tables["headline"].sort_values("rank").head(8)["mineral"].tolist()
        narrow = conc[(conc["stage"] == "refine") & conc["mineral"].isin(top)
                      & (conc["top1_share"] >= 0.9)]  # fmt: skip
        if len(narrow):
            lst = ", ".join(f"{_name(m)} ({c} {_pct(s)})" for m, c, s in zip(narrow["mineral"],
                            narrow["top1"], narrow["top1_share"], strict=True))  # fmt: skip
            out.append(
                Point(
                    "Build refining outside the dominant country",
                    f"One country refines 90% or more of: {lst}.",
                    "concentration",
                )
            )
    return out


def edition(tables: dict[str, pd.DataFrame], date: str) -> dict[str, Any]:
    """The machine-readable summary of one brief (``brief.json``)."""
    head = tables["headline"].sort_values("rank")
    cols = [c for c in ("mineral", "rank", "score", "score_low", "score_high") if c in head]
    risk = tables.get("scenarios_ai_output_at_risk", pd.DataFrame())
    scen = []
    for _, r in risk.iterrows():
        hit = tables.get(f"scenario_{r['key']}_summary", pd.DataFrame())
        scen.append({
            "key": r["key"], "scenario": r["scenario"], "samples": int(r["samples"]),
            "standard": bool(r.get("standard", False)),
            "ai_output_at_risk": float(r["ai_output_at_risk"]),
            **{k: float(r[k]) for k in ("ai_output_at_risk_central", "ai_output_at_risk_low",
                                        "ai_output_at_risk_high") if k in r},
            "minerals": [{"mineral": m, "shortfall_mean": float(a), "shortfall_p95": float(b)}
                         for m, a, b in zip(hit.get("mineral", []), hit.get("shortfall_mean", []),
                                            hit.get("shortfall_p95", []), strict=True)],
        })  # fmt: skip
    comp = tables.get("plan_comparison", pd.DataFrame())
    plans = []
    for _, r in comp.iterrows():
        keys = ("plan", "spent_usd", "sim_out_of_sample_unmet_cost_usd",
                "sim_out_of_sample_unmet_cost_base_usd", "ai_output_usd:plan_oos",
                "ai_output_usd:base_oos", "ai_output_usd_priority:plan_oos",
                "ai_output_usd_priority:base_oos", "ai_output_usd_pro_rata:plan_oos",
                "ai_output_usd_pro_rata:base_oos", "ai_rule")  # fmt: skip
        plans.append({k: r[k] for k in keys if k in r})
    src = tables.get("sources", pd.DataFrame())
    data = [
        {"source": s, "table": t, "rows": int(n)}
        for s, t, n in zip(src.get("source", []), src.get("table", []), src.get("rows", []),
                           strict=True)
    ]  # fmt: skip
    out = {
        "schema": SCHEMA,
        "edition": date,
        "data": data,
        "scores": head[cols].to_dict("records"),
        "scenarios": scen,
        "plans": plans,
        "findings": [asdict(p) for p in findings(tables)],
        "company": _company(tables),
        "actions": [asdict(p) for p in actions(tables)],
    }
    return json_safe(out)


def _company(tables: dict[str, pd.DataFrame]) -> list[dict[str, Any]]:
    """The company view's rows (empty without ``--bom/--plan``)."""
    at = tables.get("company_at_risk")
    if at is None or at.empty:
        return []
    cols = ["key", "scenario", "product", "units_planned", "units_short_mean", "units_short_p5",
            "units_short_p50", "units_short_p95", "share_short_mean", "binding_mineral",
            "binding_share", "years"]  # fmt: skip
    return [
        {str(k): v for k, v in r.items()}
        for r in at[[c for c in cols if c in at]].to_dict("records")
    ]


def read_edition(path: Path) -> dict[str, Any]:
    """A previous edition's ``brief.json``.

    Raises
    ------
    DataError
        The file is missing, not JSON, or not a critmin brief summary.
    """
    try:
        data = json.loads(Path(path).read_text("utf-8"))
    except FileNotFoundError as e:
        raise DataError([Problem(str(path), None, None, "a brief.json written by critmin brief",
                                 "no such file")]) from e  # fmt: skip
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DataError([Problem(str(path), None, None, "a brief.json written by critmin brief",
                                 f"unreadable: {e}")]) from e  # fmt: skip
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        got = data.get("schema") if isinstance(data, dict) else type(data).__name__
        raise DataError([Problem(str(path), None, "schema", f"'{SCHEMA}'", str(got))])
    return data


def _f(x: object) -> float:
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
    return v


def changes(old: dict[str, Any], new: dict[str, Any]) -> list[Point]:
    """What changed from one edition to the next: data, scores, rankings, scenario results.

    Examples
    --------
    >>> a = {"edition": "2026-01-01", "data": [], "scores": [{"mineral": "tin", "rank": 2,
    ...      "score": 0.5}], "scenarios": [], "plans": []}
    >>> b = dict(a, scores=[{"mineral": "tin", "rank": 1, "score": 0.61}])
    >>> [p.text for p in changes(a, b)]
    ['tin 0.50 → 0.61 (rank 2 → 1).']
    """
    out: list[Point] = []
    od = {(d["source"], d["table"]): d["rows"] for d in old.get("data", [])}
    nd = {(d["source"], d["table"]): d["rows"] for d in new.get("data", [])}
    data = [f"new source {s} ({t}, {nd[(s, t)]:,} rows)" for s, t in sorted(set(nd) - set(od))]
    data += [f"source {s} ({t}) dropped" for s, t in sorted(set(od) - set(nd))]
    data += [f"{s} ({t}): {od[(s, t)]:,} → {nd[(s, t)]:,} rows"
             for s, t in sorted(set(od) & set(nd))
             if od[(s, t)] != nd[(s, t)]]  # fmt: skip
    if data:
        out.append(Point("Data", "; ".join(data) + ".", "notes"))
    os_ = {d["mineral"]: d for d in old.get("scores", [])}
    moved = []
    for d in new.get("scores", []):
        o = os_.get(d["mineral"])
        if o is None:
            moved.append(f"{_name(d['mineral'])} new at rank {d['rank']}")
            continue
        ds, dr = abs(_f(d["score"]) - _f(o["score"])), d["rank"] != o["rank"]
        if ds >= SCORE_STEP or dr:
            moved.append(f"{_name(d['mineral'])} {_f(o['score']):.2f} → {_f(d['score']):.2f}"
                         + (f" (rank {o['rank']} → {d['rank']})" if dr else ""))  # fmt: skip
    if moved:
        out.append(Point("Scores and rankings", "; ".join(moved[:12]) + ".", "headline"))
    osc = {s["key"]: s for s in old.get("scenarios", [])}
    sc = []
    for s in new.get("scenarios", []):
        o = osc.get(s["key"])
        if o is None:
            sc.append(f"'{s['scenario']}' new")
            continue
        a, b = _f(o["ai_output_at_risk"]), _f(s["ai_output_at_risk"])
        if abs(a - b) >= SHARE_STEP:
            sc.append(f"'{s['scenario']}': AI output at risk (pro rata) {_pct(a)} → {_pct(b)}")
        if "ai_output_at_risk_central" in o and "ai_output_at_risk_central" in s:
            a, b = _f(o["ai_output_at_risk_central"]), _f(s["ai_output_at_risk_central"])
            if abs(a - b) >= SHARE_STEP:
                sc.append(f"'{s['scenario']}': AI output at risk (central) {_pct1(a)} → "
                          f"{_pct1(b)}")  # fmt: skip
        om = {m["mineral"]: m["shortfall_mean"] for m in o.get("minerals", [])}
        for m in s.get("minerals", [])[:5]:
            before = _f(om.get(m["mineral"], 0.0))
            if abs(_f(m["shortfall_mean"]) - before) >= SHARE_STEP * 2:
                sc.append(f"'{s['scenario']}': {_name(m['mineral'])} shortfall "
                          f"{_pct(before)} → {_pct(_f(m['shortfall_mean']))}")  # fmt: skip
    if sc:
        out.append(Point("Scenario results", "; ".join(sc[:12]) + ".", "disruptions"))
    op = {p["plan"]: p for p in old.get("plans", [])}
    pl = []
    for p in new.get("plans", []):
        o = op.get(p["plan"])
        k = "sim_out_of_sample_unmet_cost_usd"
        if o is not None and abs(_f(o.get(k)) - _f(p.get(k))) >= 1e8:
            pl.append(f"'{p['plan']}': unmet-demand cost {_bn(_f(o.get(k)))} → {_bn(_f(p.get(k)))}")
    if pl:
        out.append(Point("Plans", "; ".join(pl) + ".", "plans"))
    if not out:
        since = old.get("edition", "the last edition")
        out.append(Point("No change", "Data, scores, rankings and scenario results are "
                         f"unchanged since {since}.", "notes"))  # fmt: skip
    return out
