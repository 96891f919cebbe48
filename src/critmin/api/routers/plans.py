"""``/api/plans``: saved policy plans, their evaluation and the budget optimiser."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException

from critmin.api.deps import Services, services
from critmin.api.parsing import BodyDataError, parse_plan
from critmin.api.routers.docs import crud
from critmin.api.routers.runs import MAX_SAMPLES, scenario_text, submit
from critmin.api.schemas import EvaluateIn, ItemsIn, OptimizeIn, Rows, RunAccepted
from critmin.data.errors import DataError
from critmin.store import NotFoundError

router = APIRouter(prefix="/plans", tags=["plans"])
Svc = Annotated[Services, Depends(services)]


def _plan_text(svc: Services, plan_id: str | None, plan_yaml: str | None, field: str) -> str:
    if plan_yaml is None:
        assert plan_id is not None
        try:
            plan_yaml = str(svc.store.get_plan(plan_id)["yaml"])
        except NotFoundError as e:
            raise HTTPException(404, f"plan_id: no plan with id {plan_id!r}") from e
    try:
        parse_plan(plan_yaml)
    except DataError as e:
        raise BodyDataError(e, field) from e
    return plan_yaml


@router.get("/example")
def example_plan() -> dict[str, str]:
    """The example plan shipped with critmin (the one the brief compares), as YAML."""
    from critmin.policy.plan import example_plan_path, load_plan

    path = example_plan_path()
    return {"name": load_plan(path).name, "yaml": path.read_text("utf-8")}


@router.post("/evaluate", status_code=202, response_model=RunAccepted)
def evaluate(body: EvaluateIn, svc: Svc) -> RunAccepted:
    """Evaluate a plan against a scenario in the background (a run of kind ``evaluate``)."""
    plan = _plan_text(svc, body.plan_id, body.plan_yaml, "plan_yaml")
    if body.scenario_id is None and body.scenario_yaml is None:
        from critmin.sim import library

        text = library.text(library.STANDARD)  # the standard risk scenario, as on the CLI
    else:
        text = scenario_text(svc, body.scenario_id, body.scenario_yaml)
    return submit(svc, "evaluate", {"plan_yaml": plan}, text, body.samples, body.seed,
                  max_samples=MAX_SAMPLES["evaluate"])  # fmt: skip


@router.post("/items", response_model=Rows)
def items(body: ItemsIn, svc: Svc) -> list[dict[str, Any]]:
    """Two plans item by item: USD per lever, mineral and country in plan A (``usd_a``) and
    plan B (``usd_b``) — :func:`critmin.analysis.plans.plan_items`, the brief's table."""
    from critmin.analysis.frames import records
    from critmin.analysis.plans import plan_items

    a = parse_plan(_plan_text(svc, body.plan_a_id, body.plan_a_yaml, "plan_a_yaml"))
    b = parse_plan(_plan_text(svc, body.plan_b_id, body.plan_b_yaml, "plan_b_yaml"))
    return records(plan_items(a, b))


@router.post("/optimize", status_code=202, response_model=RunAccepted)
def optimize(body: OptimizeIn, svc: Svc) -> RunAccepted:
    """Allocate a budget across levers in the background (a run of kind ``optimize``)."""
    text = body.scenario_yaml
    if text is None:
        from critmin.sim import library

        text = library.text(library.STANDARD)
    params: dict[str, object] = {"budget": body.budget, "objective": body.objective,
                                 "limits": body.limits, "pareto": body.pareto,
                                 "pareto_axes": body.pareto_axes,
                                 "ai_rule": body.ai_rule}  # fmt: skip
    if body.compare_plan_yaml is not None:
        params["compare_plan_yaml"] = _plan_text(svc, None, body.compare_plan_yaml,
                                                 "compare_plan_yaml")  # fmt: skip
    return submit(svc, "optimize", params, text, body.samples, body.seed,
                  max_samples=MAX_SAMPLES["optimize"])  # fmt: skip


crud(router, "plan", parse_plan)
