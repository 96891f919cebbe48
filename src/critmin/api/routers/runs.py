"""``/api/runs``: simulation runs in the background, their progress and results."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import threading
from collections.abc import AsyncIterator
from typing import Annotated, Any

from cachetools import LRUCache
from fastapi import APIRouter, Depends, HTTPException, Path, Query
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import ValidationError

from critmin.api.deps import Services, not_found, services
from critmin.api.parsing import BodyDataError, parse_scenario
from critmin.api.schemas import Rows, Run, RunAccepted, RunIn
from critmin.api.worker import data_version
from critmin.data.errors import DataError
from critmin.store import TERMINAL, NotFoundError, ResultUnavailableError

router = APIRouter(prefix="/runs", tags=["runs"])
RunId = Annotated[str, Path(max_length=64)]
Svc = Annotated[Services, Depends(services)]
#: The most samples a run of each kind may ask for over HTTP (the LP grows with samples).
MAX_SAMPLES = {"simulate": 200_000, "evaluate": 2000, "optimize": 500}
#: Seconds between server-sent progress events.
EVENT_INTERVAL = 0.5


def submit(
    svc: Services,
    kind: str,
    params: dict[str, Any],
    scenario_yaml: str,
    samples: int | None,
    seed: int | None,
    field: str = "scenario_yaml",
    max_samples: int | None = None,
) -> RunAccepted:
    """Validate the scenario, record the run as queued and hand it to the workers.

    Validating parses the YAML and compiles the scenario against the dataset: CPU work that
    must never run on the event loop. Callers are sync routes (FastAPI runs them in its
    threadpool) or worker threads; called on the loop, this raises instead of stalling every
    other request.
    """
    off_the_event_loop("submit")
    try:
        sc = parse_scenario(scenario_yaml)
    except DataError as e:
        raise BodyDataError(e, field) from e
    seed = sc.seed if seed is None else seed
    # The default sample count is the scenario's own (as on the command line); an endpoint's
    # cap applies to it as to a count given in the body.
    samples = sc.samples if samples is None else samples
    if max_samples is not None and samples > max_samples:
        raise HTTPException(422, [{"loc": ["body", "samples"], "type": "value_error",
                                   "msg": f"samples: at most {max_samples} for this endpoint; "
                                   f"the scenario asks for {samples}: give samples"}])  # fmt: skip
    run = svc.store.create_run(
        kind, {**params, "samples": samples, "seed": seed, "scenario": sc.name},
        scenario_yaml=scenario_yaml, seed=seed, samples=samples, data_version=data_version(),
    )  # fmt: skip
    svc.runs.submit(run)
    return RunAccepted(id=run["id"], status=run["status"])


def off_the_event_loop(what: str) -> None:
    """Raise :class:`RuntimeError` when called from a thread running an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise RuntimeError(
        f"{what} does heavy work: call it from a sync route or a worker thread, "
        "not on the event loop"
    )


def scenario_text(svc: Services, scenario_id: str | None, scenario_yaml: str | None) -> str:
    """The YAML of a saved scenario, or the text given."""
    if scenario_yaml is not None:
        return scenario_yaml
    assert scenario_id is not None
    try:
        text: str = svc.store.get_scenario(scenario_id)["yaml"]
    except NotFoundError as e:
        raise HTTPException(404, f"scenario_id: no scenario with id {scenario_id!r}") from e
    return text


def _get(svc: Services, run_id: str) -> dict[str, Any]:
    try:
        return svc.store.get_run(run_id)
    except NotFoundError as e:
        raise not_found("run", run_id) from e


def _out(run: dict[str, Any]) -> Run:
    elapsed = None
    if run["started"]:
        end = run["finished"] or dt.datetime.now(dt.UTC).isoformat()
        elapsed = dt.datetime.fromisoformat(end) - dt.datetime.fromisoformat(run["started"])
        elapsed = round(elapsed.total_seconds(), 3)  # type: ignore[assignment]
    return Run.model_validate({**run, "elapsed_s": elapsed, "files": sorted(run["files"] or [])})


def _unavailable(run_id: str, e: NotFoundError | ResultUnavailableError) -> HTTPException:
    """404 for no such run, 409 for a run not complete, 410 for a missing or altered file."""
    if isinstance(e, NotFoundError):
        return not_found("run", run_id)
    return HTTPException(409 if e.reason == "not complete" else 410, e.message)


def _file(svc: Services, run_id: str, name: str) -> Any:
    try:
        return svc.store.result_file(run_id, name)
    except (NotFoundError, ResultUnavailableError) as e:
        raise _unavailable(run_id, e) from e


#: Parsed result JSON by (run id, file name, SHA-256 of the bytes) -- only ever filled with
#: content the store verified against the run's recorded hash. A complete run's files never
#: change, so the hash of the bytes on disk finding an entry proves they are what was
#: verified; an altered file (even with its old size and mtime) misses and goes back through
#: the store's checks. Bounded: evicted entries are just re-read.
_VERIFIED: LRUCache[tuple[str, str, str], Any] = LRUCache(maxsize=256)
#: Handlers run in a threadpool and LRUCache reorders itself on every read.
_VERIFIED_LOCK = threading.Lock()


def _cached(svc: Services, run_id: str, name: str) -> Any | None:
    """The parsed result file when its bytes on disk hash to verified content, else None.

    Reading and hashing a result JSON costs well under a millisecond and saves the database
    round trip and the parse; anything unexpected is a miss, handled by :func:`_json`.
    """
    try:
        raw = svc.store.result_path(run_id, name).read_bytes()
    except (OSError, NotFoundError, ValueError):
        return None
    key = (run_id, name, hashlib.sha256(raw).hexdigest())
    with _VERIFIED_LOCK:
        return _VERIFIED.get(key)


def _json(svc: Services, run_id: str, name: str) -> Any:
    hit = _cached(svc, run_id, name)
    if hit is not None:
        return hit
    try:
        raw = svc.store.result_bytes(run_id, name)
    except (NotFoundError, ResultUnavailableError) as e:
        raise _unavailable(run_id, e) from e
    parsed = json.loads(raw)
    with _VERIFIED_LOCK:
        _VERIFIED[(run_id, name, hashlib.sha256(raw).hexdigest())] = parsed
    return parsed


@router.post("", status_code=202, response_model=RunAccepted)
def create_run(body: RunIn, svc: Svc) -> RunAccepted:
    """Start a simulation of a saved scenario (``scenario_id``) or of ``scenario_yaml``."""
    text = scenario_text(svc, body.scenario_id, body.scenario_yaml)
    params = {"scenario_id": body.scenario_id} if body.scenario_id else {}
    return submit(svc, "simulate", params, text, body.samples, body.seed,
                  max_samples=MAX_SAMPLES["simulate"])  # fmt: skip


@router.get("", response_model=list[Run])
def list_runs(svc: Svc, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[Run]:
    """Recent runs, newest first."""
    return [_out_or_unreadable(r) for r in svc.store.list_runs(limit)]


def _out_or_unreadable(run: dict[str, Any]) -> Run:
    """A listed run; one whose stored row is damaged is shown ``unreadable``, not a 500."""
    try:
        return _out(run)
    except (ValueError, TypeError, KeyError, ValidationError) as e:
        return Run(id=str(run.get("id", "")), kind=str(run.get("kind", "")),
                   status="unreadable", progress=0.0, params={}, seed=None, samples=None,
                   data_version=None, created=str(run.get("created") or ""), started=None,
                   finished=None, elapsed_s=None,
                   error=f"the stored row cannot be read: {str(e).splitlines()[0]}")  # fmt: skip


@router.get("/{run_id}", response_model=Run)
def get_run(run_id: RunId, svc: Svc) -> Run:
    """A run's status, progress (0–1), timings and error."""
    return _out(_get(svc, run_id))


@router.get("/{run_id}/events", response_class=StreamingResponse)
async def events(run_id: RunId, svc: Svc) -> StreamingResponse:
    """Server-sent events: ``progress`` about every 0.5 s, then ``done`` with the final state."""
    _get(svc, run_id)

    async def stream() -> AsyncIterator[str]:
        while True:
            run = await asyncio.to_thread(svc.store.get_run, run_id)
            # The elapsed time travels with the progress: a page following the events must
            # not keep showing the elapsed time of its first look.
            data = json.dumps({"progress": run["progress"], "status": run["status"],
                               "elapsed_s": _out(run).elapsed_s})  # fmt: skip
            if run["status"] in TERMINAL:
                final = {"progress": run["progress"], "status": run["status"],
                         "error": run["error"], "elapsed_s": _out(run).elapsed_s}  # fmt: skip
                yield f"event: done\ndata: {json.dumps(final)}\n\n"
                return
            yield f"event: progress\ndata: {data}\n\n"
            await asyncio.sleep(EVENT_INTERVAL)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)


@router.get("/{run_id}/summary", response_model=Rows)
def run_summary(
    run_id: RunId,
    svc: Svc,
    touched: Annotated[bool, Query(description="only the minerals the scenario moves")] = False,
) -> list[dict[str, Any]]:
    """Per-mineral summary of a complete simulation (409 while it is not complete); with
    ``touched=true`` only the minerals the run visibly moves (``analysis.minerals_touched``)."""
    hit = _cached(svc, run_id, "summary.json")
    if hit is not None:  # no database round trip for a result already verified
        cached: list[dict[str, Any]] = hit["summary"]
        return _touched(hit, cached) if touched else cached
    run = _get(svc, run_id)
    if run["kind"] != "simulate":
        raise HTTPException(409, f"run {run_id} is a {run['kind']} run: see its /result")
    full = _json(svc, run_id, "summary.json")
    rows: list[dict[str, Any]] = full["summary"]
    return _touched(full, rows) if touched else rows


def _touched(full: dict[str, Any], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keep = set(full.get("touched") or [])
    return [r for r in rows if r.get("mineral") in keep]


@router.get("/{run_id}/ai", response_model=dict[str, Any])
def run_ai_at_risk(run_id: RunId, svc: Svc) -> dict[str, Any]:
    """AI hardware output at risk in the worst year of a complete simulation: the central
    allocation rule with its bounds (``low``: AI buyers served first; ``high``: every use short
    by the same share) and the inputs that decide it (docs/decisions/0033). A run made before
    the rules existed answers 404."""
    run = _get(svc, run_id)
    if run["kind"] != "simulate":
        raise HTTPException(409, f"run {run_id} is a {run['kind']} run: see its /result")
    body = _json(svc, run_id, "summary.json").get("ai_output_at_risk")
    if body is None:
        raise HTTPException(404, f"run {run_id} was made before AI allocation rules existed")
    out: dict[str, Any] = body
    return out


@router.get("/{run_id}/by-year", response_model=Rows)
def run_by_year(
    run_id: RunId,
    svc: Svc,
    mineral: Annotated[list[str] | None, Query(max_length=100)] = None,
) -> list[dict[str, Any]]:
    """Fan-chart rows (year × mineral: shortfall and price index mean, P5, P50, P95)."""
    run = _get(svc, run_id)
    if run["kind"] != "simulate":
        raise HTTPException(409, f"run {run_id} is a {run['kind']} run: see its /result")
    rows: list[dict[str, Any]] = _json(svc, run_id, "summary.json")["by_year"]
    if mineral:
        known = {r["mineral"] for r in rows}
        bad = [m for m in mineral if m not in known]
        if bad:
            raise HTTPException(
                404, f"mineral: {bad} not in this run; it has {', '.join(sorted(known))}"
            )
        rows = [r for r in rows if r["mineral"] in mineral]
    return rows


@router.get("/{run_id}/result")
def run_result(run_id: RunId, svc: Svc) -> Any:
    """The JSON result of an evaluate or optimize run; a simulation's NetCDF file."""
    run = _get(svc, run_id)
    if run["kind"] == "simulate":
        path = _file(svc, run_id, "result.nc")
        return FileResponse(path, media_type="application/x-netcdf",
                            filename=f"critmin-run-{run_id}.nc")  # fmt: skip
    return _json(svc, run_id, "result.json")


@router.post("/{run_id}/cancel", response_model=Run)
def cancel(run_id: RunId, svc: Svc) -> Run:
    """Cancel a queued or running run (409 when it has already finished)."""
    run = _get(svc, run_id)
    if not svc.runs.cancel(run_id):
        raise HTTPException(409, f"run {run_id} is already {run['status']}")
    return _out(_get(svc, run_id))
