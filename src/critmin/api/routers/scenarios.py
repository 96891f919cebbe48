"""``/api/scenarios``: saved disruption scenarios, the shipped library and live validation."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path

from critmin.analysis.scenarios import minerals_named
from critmin.api.parsing import parse_scenario, problems_list
from critmin.api.routers.docs import crud
from critmin.api.schemas import ValidateIn, Validation
from critmin.data.errors import DataError

router = APIRouter(prefix="/scenarios", tags=["scenarios"])


@router.post("/validate", response_model=Validation)
def validate(body: ValidateIn) -> Validation:
    """Check a scenario's YAML without saving it: every problem with its line and field, and
    the minerals its events act on (default hazards expanded)."""
    try:
        sc = parse_scenario(body.yaml)
        touched = minerals_named(sc)
    except DataError as e:
        return Validation.model_validate({"valid": False, "problems": problems_list(e)})
    return Validation(valid=True, problems=[], name=sc.name, minerals_touched=touched)


@router.get("/library")
def library() -> list[dict[str, Any]]:
    """The scenarios shipped with critmin (the standard risk scenario first), by name, with
    their assumptions (one row per event: who, when, how long, how much)."""
    from critmin.analysis.frames import records
    from critmin.analysis.scenarios import scenario_assumptions
    from critmin.sim import library as lib

    names = sorted(lib.names(), key=lambda n: (n != lib.STANDARD, n))
    out = []
    for n in names:
        sc = lib.load(n)
        out.append({"name": n, "title": sc.name, "description": sc.description,
                    "standard": n == lib.STANDARD,
                    "horizon": [sc.horizon.start, sc.horizon.end], "bloc": sc.bloc,
                    "samples": sc.samples,
                    "assumptions": records(scenario_assumptions([sc]))})  # fmt: skip
    return out


@router.get("/library/{name}")
def library_scenario(name: Annotated[str, Path(max_length=64)]) -> dict[str, Any]:
    """One shipped scenario's YAML text."""
    from critmin.sim import library as lib

    if name not in lib.names():
        raise HTTPException(404, f"no shipped scenario {name!r}; known: {', '.join(lib.names())}")
    return {"name": name, "yaml": lib.text(name)}


crud(router, "scenario", parse_scenario)
