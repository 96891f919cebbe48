"""Which levers buy resilience: evaluate a plan, optimise a budget (standard scenario by
default)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from critmin.analysis.errors import QueryError
from critmin.data.dataset import Dataset, load

if TYPE_CHECKING:
    # Imported where used: ``critmin projects`` must not load the simulator (decision 0027).
    from critmin.policy.evaluate import Evaluation
    from critmin.policy.plan import Plan
    from critmin.policy.portfolio import Result
    from critmin.sim.scenario import Scenario


def check_plan(
    path: Path | str | None = None, *, text: str | None = None, file: str | None = None
) -> Plan:
    """Parse and check a plan (:func:`critmin.analysis.scenarios.check_plan`, imported when
    used so that this module stays light)."""
    from critmin.analysis.scenarios import check_plan as check

    return check(path, text=text, file=file)


def standard_scenario() -> Scenario:
    """The standard risk scenario every plan is judged against (shipped with critmin)."""
    from critmin.sim import library

    return library.load(library.STANDARD)


def _scenario(scenario: Scenario | Path | str | None) -> Scenario:
    from critmin.sim.scenario import Scenario, load_scenario

    if scenario is None:
        return standard_scenario()
    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


def evaluate_plan(
    plan: Plan | Path | str,
    scenario: Scenario | Path | str | None = None,
    *,
    samples: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    ds: Dataset | None = None,
) -> Evaluation:
    """A plan through the simulator against its baseline, on the same samples.

    ``scenario`` defaults to the standard risk scenario; ``samples`` and ``seed`` to the
    scenario's.
    """
    from critmin.policy.evaluate import evaluate
    from critmin.policy.plan import Plan

    source = str(plan) if not isinstance(plan, Plan) else "plan"
    p = plan if isinstance(plan, Plan) else check_plan(plan)
    return evaluate(p, _scenario(scenario), ds if ds is not None else load(),
                    samples=samples, seed=seed, workers=workers, source=source)  # fmt: skip


def optimise_budget(
    budget: float,
    scenario: Scenario | Path | str | None = None,
    *,
    samples: int | None = None,
    seed: int | None = None,
    alpha: float = 0.95,
    lam: float = 0.0,
    compare: Plan | Path | str | None = None,
    pareto: int = 0,
    partners: tuple[str, ...] = ("AUS", "CAN"),
    out_plan: Path | None = None,
    objective: dict[str, float] | str | None = None,
    limits: dict[str, float] | None = None,
    pareto_axes: tuple[str, str] | None = None,
    market_share: float | None = None,
    ai_rule: str | None = None,
) -> Result:
    """The allocation of ``budget`` (USD) across levers that minimises the weighted objective
    (default: AI hardware output at risk, :mod:`critmin.policy.objectives`) on the scenario
    (default: the standard one) under ``limits``; both it and ``compare`` are scored on every
    objective, and ``Result.scenario`` names the scenario they were scored against.
    ``ai_rule`` allocates a shortfall between AI and other uses in the optimiser's AI objective
    (default ``auto``: the central rule, or the pro-rata bound when the central rule leaves no
    AI output at risk; :func:`critmin.sim.ai_allocation.optimiser_rule`, decision 0033)."""
    from critmin.policy.levers import STOCK_MARKET_SHARE
    from critmin.policy.portfolio import optimise_and_compare

    share = STOCK_MARKET_SHARE if market_share is None else market_share
    return optimise_and_compare(budget, _scenario(scenario), samples=samples, seed=seed,
                                alpha=alpha, lam=lam, compare=compare, pareto=pareto,
                                partners=partners, out_plan=out_plan, objective=objective,
                                limits=limits, pareto_axes=pareto_axes,
                                market_share=share,
                                **({"ai_rule": ai_rule} if ai_rule else {}))  # fmt: skip


#: The columns of :func:`plan_items` (docs/cli-json.md).
ITEM_COLUMNS = ["lever", "mineral", "country", "usd_a", "usd_b"]


def _spend(plan: Plan | pd.DataFrame) -> dict[tuple[str, str, str], float]:
    """USD by (lever, mineral, country) of a plan, or of an allocation frame."""
    out: dict[tuple[str, str, str], float] = {}
    if isinstance(plan, pd.DataFrame):
        for lv, m, c, usd in zip(plan["lever"], plan["mineral"], plan["country"], plan["usd"],
                                 strict=True):  # fmt: skip
            k = (str(lv), str(m), c if isinstance(c, str) else "")
            out[k] = out.get(k, 0.0) + float(usd)
        return out
    for it in plan.items:
        ms = list(it.minerals) or ["(all)"]
        for m in ms:
            # An item naming several minerals is split evenly among them: the plan file
            # gives one amount per item, and nothing says how it divides.
            k = (it.lever, m, it.country or "")
            out[k] = out.get(k, 0.0) + float(it.cost_usd) / len(ms)
    return out


def plan_items(a: Plan | pd.DataFrame, b: Plan | pd.DataFrame) -> pd.DataFrame:
    """Two plans item by item: one row per lever, mineral and country, the USD each puts
    there (``usd_a``, ``usd_b``; 0 where a plan puts nothing), sorted by lever, mineral,
    country.

    Each side is a :class:`~critmin.policy.plan.Plan` (an item naming several minerals is
    split evenly among them) or an allocation frame (``lever``, ``mineral``, ``country``,
    ``usd``) as the optimiser returns it. The brief's "two plans item by item" table, the
    optimiser's result (``items``) and ``POST /api/plans/items`` are this table.

    Examples
    --------
    >>> from critmin.policy.plan import Plan
    >>> p = Plan.model_validate({"name": "p", "items": [{"lever": "stockpile",
    ...     "minerals": ["gallium", "germanium"], "usd": 2e6, "start": 2026}]})
    >>> alloc = pd.DataFrame({"lever": ["stockpile"], "mineral": ["gallium"],
    ...                       "country": [None], "usd": [5e5]})
    >>> plan_items(p, alloc)[["mineral", "usd_a", "usd_b"]].values.tolist()
    [['gallium', 1000000.0, 500000.0], ['germanium', 1000000.0, 0.0]]
    """
    sa, sb = _spend(a), _spend(b)
    keys = sorted(set(sa) | set(sb))
    return pd.DataFrame(
        [(lv, m, c, sa.get((lv, m, c), 0.0), sb.get((lv, m, c), 0.0)) for lv, m, c in keys],
        columns=ITEM_COLUMNS,
    )


def optimisation_record(res: Result, compare: Plan | None) -> dict[str, object]:
    """The optimiser's result as JSON (``critmin plan optimize --format json`` and the API's
    optimize run): :meth:`~critmin.policy.portfolio.Result.as_json` and, with a compared
    plan, ``items`` — :func:`plan_items` of the compared plan (a) and the optimised
    allocation (b)."""
    from critmin.analysis.frames import json_safe, records

    body = res.as_json()
    alloc = res.allocation[res.allocation["usd"] >= 1.0]
    body["items"] = records(plan_items(compare, alloc)) if compare is not None else []
    body["items_plans"] = [compare.name if compare is not None else None, "optimised"]
    out: dict[str, object] = json_safe(body)
    return out


def project_pipeline(
    mineral: str | None = None,
    country: str | None = None,
    status: str | None = None,
    project: str | None = None,
    *,
    funding: bool = False,
) -> pd.DataFrame:
    """Critical-mineral projects (capacity, status, expected start), or with ``funding`` the
    US funding actions (of the selected projects when a filter is given). Every column is
    kept; :data:`critmin.policy.projects.PIPELINE_COLUMNS` and ``FUNDING_COLUMNS`` are the
    documented ones.

    Raises
    ------
    QueryError
        An unknown project id, mineral, country or status.
    """
    key = ("analysis.projects", mineral, country, status, project, funding)
    frame: pd.DataFrame = load().stored(
        key, lambda: _project_pipeline(mineral, country, status, project, funding)
    )
    return frame.copy()


def _project_pipeline(
    mineral: str | None, country: str | None, status: str | None, project: str | None,
    funding: bool,
) -> pd.DataFrame:  # fmt: skip
    from critmin.policy import projects as pj

    try:
        df = pj.pipeline(mineral, country, status)
    except ValueError as e:
        raise QueryError(str(e), "invalid") from e
    if project is not None:
        known = set(pj.load_projects()["project_id"])
        if project.upper() not in known:
            raise QueryError(f"unknown project {project!r} (ids are {min(known)} … "
                             f"{max(known)})", "unknown", "project")  # fmt: skip
        df = df[df["project_id"] == project.upper()].reset_index(drop=True)
    if funding:
        selected = country is not None or status is not None or project is not None
        actions = pj.funding(mineral, list(df["project_id"]) if selected else None)
        return actions
    return df
