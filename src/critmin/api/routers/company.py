"""``/api/company``: a company's BOM and production plan → units a scenario leaves unbuilt.

As ``critmin demand --bom B --plan P --scenario S`` and the brief's company view (one
function, :func:`critmin.analysis.company.company_at_risk`). Uploads go to a temporary folder
under server-made names (the client's file name is used in messages only) and are deleted
afterwards. The scenario is a shipped library scenario by name, a saved scenario by id, or
YAML text (the dashboard's builder): a request never names a file on the server. It is a
POST, so off loopback it needs the token like every write.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, UploadFile

from critmin.analysis.frames import records
from critmin.api.deps import Services, services
from critmin.api.parsing import BodyDataError, parse_scenario
from critmin.api.routers.runs import scenario_text
from critmin.data.errors import DataError

router = APIRouter(prefix="/company", tags=["company"])

#: The most samples one request may run (it runs in the request, not as a background run).
MAX_SAMPLES = 2000


@router.post("/at-risk")
def at_risk(
    bom: Annotated[UploadFile, File(description="company BOM, CSV (or YAML)")],
    plan: Annotated[UploadFile, File(description="production plan, CSV (or YAML)")],
    svc: Annotated[Services, Depends(services)],
    scenario: Annotated[str, Form(min_length=1, max_length=64)] = "standard-2026",
    scenario_id: Annotated[
        str | None, Form(pattern=r"^[0-9a-f]{32}$", description="a saved scenario")
    ] = None,
    scenario_yaml: Annotated[
        str | None, Form(min_length=1, max_length=1_000_000, description="a scenario as YAML text")
    ] = None,
    samples: Annotated[int, Form(ge=10, le=MAX_SAMPLES)] = 200,
    seed: Annotated[int | None, Form(ge=0)] = None,
) -> dict[str, Any]:
    """Per product: units short (mean, P5, P50, P95 over the plan's years), binding input.

    The scenario: ``scenario_id`` (saved) or ``scenario_yaml`` when given (at most one),
    else the library scenario ``scenario`` (default: the standard one)."""
    # A plain ``def``: FastAPI runs it in a worker thread, so the simulation never blocks
    # the event loop.
    from critmin.analysis.company import company_at_risk
    from critmin.sim import library
    from critmin.sim.scenario import Scenario

    sc: Scenario | Path
    if scenario_id is not None and scenario_yaml is not None:
        msg = "give at most one of scenario_id or scenario_yaml"
        raise HTTPException(422, [{"loc": ["body", "scenario_yaml"], "type": "value_error",
                                   "msg": msg}])  # fmt: skip
    if scenario_id is not None or scenario_yaml is not None:
        text = scenario_text(svc, scenario_id, scenario_yaml)  # 404 for an unknown id
        try:
            sc = parse_scenario(text)
        except DataError as e:
            raise BodyDataError(e, "scenario_yaml") from e
    else:
        sc = library.path(scenario)  # DataError (422) naming the shipped scenarios
    names: dict[str, str] = {}
    fields: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="critmin-upload-") as tmp:
        paths = []
        for i, f in enumerate((bom, plan)):
            suffix = Path(f.filename or "").suffix.lower()
            p = Path(tmp) / f"upload-{i}{suffix if suffix in ('.yaml', '.yml') else '.csv'}"
            p.write_bytes(f.file.read())
            names[str(p)] = Path(f.filename or f"file{i}").name
            fields[str(p)] = ("bom", "plan")[i]
            paths.append(p)
        try:
            df = company_at_risk(paths[0], paths[1], sc, samples=samples, seed=seed)
        except DataError as e:
            detail = []
            for q in e.problems:
                file = names.get(q.file, Path(q.file).name if q.file else "upload")
                # loc and type as FastAPI's own 422 items (the documented schema)
                detail.append({
                    "loc": ["body", fields.get(q.file or "", "bom")], "type": "value_error",
                    "file": file, "line": q.row, "field": q.field,
                    "msg": f"{file}: expected {q.expected}" + (f"; got {q.got!r}" if q.got else ""),
                })  # fmt: skip
            raise HTTPException(422, detail) from e
    return {
        "scenario": str(df["scenario"].iloc[0]) if len(df) else scenario,
        "samples": samples,
        "assumption": "the company suffers the bloc's average shortfall of each input mineral; "
        "the scarcest input binds (no substitution, no own stocks)",
        "products": records(df.drop(columns="scenario")),
    }
