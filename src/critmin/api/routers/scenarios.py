"""``/api/scenarios``: saved disruption scenarios and live validation."""

from __future__ import annotations

from fastapi import APIRouter

from critmin.api.parsing import minerals_touched, parse_scenario, problems_list
from critmin.api.routers.docs import crud
from critmin.api.schemas import ValidateIn, Validation
from critmin.data.errors import DataError

router = APIRouter(prefix="/scenarios", tags=["scenarios"])


@router.post("/validate", response_model=Validation)
def validate(body: ValidateIn) -> Validation:
    """Check a scenario's YAML without saving it: every problem with its line and field."""
    try:
        sc = parse_scenario(body.yaml)
    except DataError as e:
        return Validation.model_validate({"valid": False, "problems": problems_list(e)})
    return Validation(valid=True, problems=[], name=sc.name, minerals_touched=minerals_touched(sc))


crud(router, "scenario", parse_scenario)
