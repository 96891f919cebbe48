"""Background execution of runs: a small thread pool writing progress into the store.

Threads, not processes: the simulation engine is numpy-bound (it releases the GIL in its
heavy loops), the embedded dataset and its caches are shared instead of reloaded per worker,
cancellation is cooperative through the progress callback, and a killed server leaves no
orphaned worker processes that could finish a run after a restart declared it failed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any

from critmin.analysis.frames import records
from critmin.data.errors import DataError
from critmin.store import Store

log = logging.getLogger("critmin.api")


class CancelledError(Exception):
    """Raised inside a run when it was cancelled."""


@cache
def data_version() -> str:
    """Short SHA-256 of the embedded dataset's manifest (what a run's numbers derive from)."""
    from importlib.resources import files

    try:
        raw = (files("critmin.data") / "embedded" / "manifest.json").read_bytes()
    except FileNotFoundError:  # pragma: no cover - a broken install
        return "unknown"
    return hashlib.sha256(raw).hexdigest()[:16]


class RunManager:
    """Runs submitted runs in the background and records their state in the store.

    Parameters
    ----------
    store
        Where runs and their results are recorded.
    workers
        Threads running runs; 0 records runs as ``queued`` without running them.
    """

    def __init__(self, store: Store, workers: int = 1) -> None:
        self.store = store
        self.workers = workers
        self.pool = ThreadPoolExecutor(max_workers=workers) if workers > 0 else None
        self._cancel: dict[str, threading.Event] = {}

    def submit(self, run: dict[str, Any]) -> None:
        """Queue a run created in the store."""
        self._cancel[run["id"]] = threading.Event()
        if self.pool is not None:
            self.pool.submit(self._execute, run["id"])

    def cancel(self, run_id: str) -> bool:
        """Cancel a queued or running run; False when it had already finished."""
        ok = self.store.cancel_run(run_id)
        ev = self._cancel.get(run_id)
        if ev is not None:
            ev.set()
        return ok

    def shutdown(self) -> None:
        """Stop accepting runs; unfinished runs are recorded as interrupted."""
        for run_id, ev in list(self._cancel.items()):
            ev.set()
            self.store.fail_run(run_id, "interrupted (server stopped)")
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)

    def _execute(self, run_id: str) -> None:
        store = self.store
        if not store.start_run(run_id):
            return
        ev = self._cancel.get(run_id, threading.Event())
        try:
            run = store.get_run(run_id)
            if run["kind"] == "simulate":
                name, files = self._simulate(run, ev)
            elif run["kind"] == "evaluate":
                name, files = self._evaluate(run)
            else:
                name, files = self._optimize(run)
            if ev.is_set():
                raise CancelledError
            store.complete_run(run_id, f"runs/{run_id}/{name}", files[name], files)
        except CancelledError:
            store.cancel_run(run_id)
        except DataError as e:
            store.fail_run(run_id, str(e))
        except Exception as e:  # a failed run is recorded, never lost
            log.exception("run %s failed", run_id)
            store.fail_run(run_id, f"{type(e).__name__}: {e}")
        finally:
            self._cancel.pop(run_id, None)

    def _write_json(self, run_id: str, name: str, obj: Any) -> str:
        tmp = self.store.temp_path(run_id, name)
        tmp.write_text(json.dumps(obj, allow_nan=False, default=str), "utf-8")
        return self.store.publish(run_id, name)

    def _simulate(self, run: dict[str, Any], ev: threading.Event) -> tuple[str, dict[str, str]]:
        from critmin.analysis.scenarios import (
            ai_at_risk,
            check_scenario,
            run_simulation,
            simulation_by_year,
            simulation_summary,
        )

        run_id = run["id"]
        sc = check_scenario(text=run["scenario_yaml"], deep=False)
        store = self.store

        def progress(done: int, total: int) -> None:
            if ev.is_set():
                raise CancelledError
            # The last share is writing the files and the summary.
            store.set_progress(run_id, 0.95 * done / max(total, 1))

        tmp = store.temp_path(run_id, "result.nc")
        result = run_simulation(
            sc, samples=run["samples"], seed=run["seed"], keep="summary", progress=progress,
            out=tmp,
        )  # fmt: skip
        if ev.is_set():
            raise CancelledError
        body = {
            "run": run_id,
            "scenario": sc.name,
            "samples": int(result.sizes["sample"]),
            "seed": run["seed"],
            # records() already writes missing and non-finite values as None.
            "summary": records(simulation_summary(result, touched_only=False)),
            # The minerals the scenario visibly moves (the CLI's and the brief's rule).
            "touched": simulation_summary(result)["mineral"].tolist(),
            "by_year": records(simulation_by_year(result, touched_only=False)),
            # AI hardware output at risk: central rule with its bounds (decision 0033).
            "ai_output_at_risk": ai_at_risk_body(ai_at_risk(result)),
        }
        result.close()
        files = {"result.nc": store.publish(run_id, "result.nc")}
        files["summary.json"] = self._write_json(run_id, "summary.json", body)
        return "result.nc", files

    def _evaluate(self, run: dict[str, Any]) -> tuple[str, dict[str, str]]:
        from critmin.analysis.plans import evaluate_plan
        from critmin.analysis.scenarios import check_plan, check_scenario

        p = run["params"]
        sc = check_scenario(text=run["scenario_yaml"], deep=False)
        plan = check_plan(text=p["plan_yaml"])
        ev = evaluate_plan(plan, sc, samples=run["samples"], seed=run["seed"])
        body = {"run": run["id"], "plan": plan.name, "scenario": sc.name,
                "table": records(ev.table), "items": records(ev.items),
                "consequences": records(ev.consequences)}  # fmt: skip
        return "result.json", {"result.json": self._write_json(run["id"], "result.json", body)}

    def _optimize(self, run: dict[str, Any]) -> tuple[str, dict[str, str]]:
        from critmin.analysis.plans import optimisation_record, optimise_budget
        from critmin.analysis.scenarios import check_plan, check_scenario

        p = run["params"]
        sc = check_scenario(text=run["scenario_yaml"], deep=False)
        compare = check_plan(text=p["compare_plan_yaml"]) if p.get("compare_plan_yaml") else None
        axes = p.get("pareto_axes")
        res = optimise_budget(p["budget"], sc, samples=run["samples"], seed=run["seed"],
                              compare=compare, objective=p.get("objective"),
                              limits=p.get("limits"), pareto=int(p.get("pareto") or 0),
                              pareto_axes=tuple(axes.split(",")) if axes else None,
                              ai_rule=p.get("ai_rule") or "auto")  # fmt: skip
        body = {"run": run["id"], "budget": p["budget"], **optimisation_record(res, compare)}
        return "result.json", {"result.json": self._write_json(run["id"], "result.json", body)}


def ai_at_risk_body(ai: Any) -> dict[str, Any]:
    """The JSON of :class:`critmin.analysis.scenarios.AiAtRisk` (``GET /api/runs/{id}/ai``):
    ``central``, ``low`` (AI served first), ``high`` (pro rata), ``binding`` (per AI mineral:
    AI's mean worst-year shortfall under each rule and how often it decides the central
    figure) and ``basis``; non-finite values are null."""
    from critmin.analysis.frames import records

    def num(x: float) -> float | None:
        return float(x) if x == x and abs(x) != float("inf") else None

    return {"central": num(ai.central), "low": num(ai.low), "high": num(ai.high),
            "binding": records(ai.binding), "basis": ai.basis}  # fmt: skip
