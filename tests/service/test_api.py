"""The API through FastAPI's TestClient: happy paths, 4xx naming the field, the token rule."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from critmin.api import Settings, create_app
from tests.conftest import DEADLINE
from tests.service.conftest import PLAN, SMALL, wait

CORPUS = Path(__file__).parents[1] / "corpus" / "scenarios"


def test_health_and_index(client: TestClient) -> None:
    h = client.get("/api/health").json()
    assert h["status"] == "ok" and h["version"] and h["data_version"]
    assert client.get("/").status_code == 200
    js = client.get("/static-vendor/plotly.min.js")
    assert js.status_code == 200 and "max-age" in js.headers["cache-control"]


def test_minerals_and_supply(client: TestClient) -> None:
    rows = client.get("/api/minerals").json()
    assert any(r["mineral"] == "gallium" for r in rows)
    sup = client.get("/api/minerals/gallium/supply", params={"stage": "refine"})
    assert sup.status_code == 200
    chn = [r for r in sup.json() if r["country"] == "CHN"]
    assert chn and 0.5 < chn[0]["share"] <= 1.0
    # The rows of `critmin supply --format json` (tests/test_faces.py checks they are equal).
    assert {"country", "entity", "value", "unit", "share", "status", "source", "year",
            "stage", "measure", "basis"} <= set(chn[0])  # fmt: skip


def test_supply_errors_name_the_field(client: TestClient) -> None:
    r = client.get("/api/minerals/kryptonite/supply")
    assert r.status_code == 404 and "kryptonite" in r.json()["detail"]
    r = client.get("/api/minerals/gallium/supply", params={"stage": "smelt"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "stage"]


def test_risk_and_demand(client: TestClient) -> None:
    assert len(client.get("/api/risk", params={"method": "hhi"}).json()) > 10
    assert client.get("/api/risk", params={"method": "nope"}).status_code == 422
    d = client.get("/api/demand", params={"start": 2025, "end": 2027, "by": "mineral"})
    assert d.status_code == 200 and {r["year"] for r in d.json()} == {2025, 2026, 2027}
    assert client.get("/api/demand", params={"scenario": "zzz"}).status_code == 422
    assert client.get("/api/demand", params={"start": 2030, "end": 2025}).status_code == 422


def test_scenario_crud_and_validate(client: TestClient) -> None:
    r = client.post("/api/scenarios", json={"name": "small", "yaml": SMALL})
    assert r.status_code == 201
    sid = r.json()["id"]
    assert [s["id"] for s in client.get("/api/scenarios").json()] == [sid]
    assert client.get(f"/api/scenarios/{sid}").json()["yaml"] == SMALL
    r = client.put(f"/api/scenarios/{sid}", json={"name": "renamed", "yaml": SMALL})
    assert r.status_code == 200 and r.json()["name"] == "renamed"
    v = client.post("/api/scenarios/validate", json={"yaml": SMALL}).json()
    # The minerals its events act on: germanium is simulated but nothing restricts it.
    assert v["valid"] and v["minerals_touched"] == ["gallium"]
    assert client.delete(f"/api/scenarios/{sid}").status_code == 204
    assert client.get(f"/api/scenarios/{sid}").status_code == 404


@pytest.mark.parametrize(
    ("file", "field"),
    [("unknown-mineral.yaml", "events.0.outage.mineral"), ("misspelt-field.yaml", "sampels"),
     ("share-over-one.yaml", "events.0.export_restriction.share"),
     ("malformed-yaml.yaml", None)],
)  # fmt: skip
def test_invalid_scenario_names_field_and_line(
    client: TestClient, file: str, field: str | None
) -> None:
    text = (CORPUS / file).read_text()
    r = client.post("/api/scenarios", json={"name": "x", "yaml": text})
    assert r.status_code == 422
    d = r.json()["detail"][0]
    assert d["field"] == field and d["line"] is not None and d["loc"][:2] == ["body", "yaml"]
    v = client.post("/api/scenarios/validate", json={"yaml": text}).json()
    assert not v["valid"] and v["problems"][0]["field"] == field


def test_run_lifecycle(client: TestClient) -> None:
    r = client.post("/api/runs", json={"scenario_yaml": SMALL, "samples": 100, "seed": 1})
    assert r.status_code == 202
    rid = r.json()["id"]
    run = wait(client, rid)
    assert run["status"] == "complete", run
    assert run["progress"] == 1.0 and run["elapsed_s"] is not None
    summ = client.get(f"/api/runs/{rid}/summary").json()
    assert {s["mineral"] for s in summ} == {"gallium", "germanium"}
    fan = client.get(f"/api/runs/{rid}/by-year", params={"mineral": "gallium"}).json()
    assert [f["year"] for f in fan] == [2025, 2026, 2027]
    assert client.get(f"/api/runs/{rid}/by-year", params={"mineral": "tin"}).status_code == 404
    ev = client.get(f"/api/runs/{rid}/events")
    assert ev.headers["content-type"].startswith("text/event-stream")
    assert "event: done" in ev.text
    nc = client.get(f"/api/runs/{rid}/result")
    assert nc.status_code == 200 and nc.content[:4] == b"\x89HDF"
    assert rid in [x["id"] for x in client.get("/api/runs").json()]
    assert client.post(f"/api/runs/{rid}/cancel").status_code == 409


def test_saved_scenario_run_and_cancel(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, workers=0))  # runs stay queued
    with TestClient(app) as c:
        sid = c.post("/api/scenarios", json={"name": "s", "yaml": SMALL}).json()["id"]
        rid = c.post("/api/runs", json={"scenario_id": sid, "samples": 100}).json()["id"]
        assert c.get(f"/api/runs/{rid}/summary").status_code == 409
        assert c.post(f"/api/runs/{rid}/cancel").json()["status"] == "cancelled"
        assert c.get(f"/api/runs/{rid}/summary").status_code == 409


def test_run_errors_name_the_field(client: TestClient) -> None:
    r = client.post("/api/runs", json={"scenario_yaml": SMALL, "samples": -5})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "samples"]
    r = client.post("/api/runs", json={"scenario_yaml": SMALL, "samples": 300_000})
    assert r.status_code == 422
    r = client.post("/api/runs", json={"samples": 10})
    assert r.status_code == 422 and "scenario_id" in r.text
    r = client.post("/api/runs", json={"scenario_id": "0" * 32})
    assert r.status_code == 404 and "scenario_id" in r.text
    bad = (CORPUS / "stage-without-data.yaml").read_text()
    r = client.post("/api/runs", json={"scenario_yaml": bad})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "events.0.stage"
    assert client.get("/api/runs/nope").status_code == 404


@pytest.mark.parametrize(
    ("route", "body", "field"),
    [
        ("/api/runs", {"scenario_yaml": SMALL, "samples": True}, "samples"),
        ("/api/runs", {"scenario_yaml": SMALL, "seed": "7"}, "seed"),
        ("/api/plans/optimize", {"budget": 1e9, "samples": True}, "samples"),
        ("/api/plans/optimize", {"budget": "1e9"}, "budget"),
        ("/api/plans/optimize", {"budget": 1e9, "pareto": 2.0}, "pareto"),
    ],
)
def test_json_types_are_not_coerced(client: TestClient, route: str, body: dict, field: str) -> None:
    # pydantic's lax mode reads true as 1 and "7" as 7: a client that sends the wrong JSON type
    # gets a 422 naming the field, not a run with a number it never wrote.
    r = client.post(route, json=body)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", field]


def test_json_integer_is_accepted_where_a_float_is_expected(client: TestClient) -> None:
    r = client.post("/api/plans/optimize", json={"budget": 1, "samples": 1})
    assert r.status_code == 202


def test_plans_crud_evaluate_and_optimize(client: TestClient) -> None:
    pid = client.post("/api/plans", json={"name": "p", "yaml": PLAN}).json()["id"]
    assert client.get(f"/api/plans/{pid}").json()["name"] == "p"
    r = client.post("/api/plans", json={"name": "p", "yaml": "name: t\nitems: []\n"})
    assert r.status_code == 422
    r = client.post("/api/plans/evaluate",
                    json={"plan_id": pid, "scenario_yaml": SMALL, "samples": 100})  # fmt: skip
    assert r.status_code == 202
    run = wait(client, r.json()["id"])
    assert run["status"] == "complete", run
    res = client.get(f"/api/runs/{run['id']}/result").json()
    assert {t["mineral"] for t in res["table"]} >= {"gallium"}
    assert [c["objective"] for c in res["consequences"]] == [
        "ai_output_usd", "economic_loss_usd", "unmet_cost_usd", "co2e_t"]  # fmt: skip
    r = client.post("/api/plans/evaluate",
                    json={"plan_yaml": PLAN, "scenario_yaml": SMALL, "samples": 5000})  # fmt: skip
    assert r.status_code == 422
    r = client.post("/api/plans/optimize",
                    json={"budget": 1e8, "samples": 100, "scenario_yaml": SMALL})  # fmt: skip
    assert r.status_code == 202
    run = wait(client, r.json()["id"])
    assert run["status"] == "complete", run
    body = client.get(f"/api/runs/{run['id']}/result").json()
    assert "allocation" in body and body["objective"] == {"ai_output_usd": 1.0}
    assert body["scenario"] and body["objectives"]
    r = client.post("/api/plans/optimize",
                    json={"budget": 1e8, "samples": 20, "scenario_yaml": SMALL,
                          "objective": "unmet", "limits": {"co2e": 1e5}, "pareto": 3,
                          "pareto_axes": "unmet,co2e"})  # fmt: skip
    assert r.status_code == 202
    run = wait(client, r.json()["id"])
    assert run["status"] == "complete", run
    body = client.get(f"/api/runs/{run['id']}/result").json()
    assert body["objective"] == {"unmet_cost_usd": 1.0} and len(body["pareto"]) == 3
    for bad in ({"objective": "economic"}, {"objective": "gdp"}, {"limits": {"gdp": 1}},
                {"pareto_axes": "ai,ai"}):  # fmt: skip
        r = client.post("/api/plans/optimize", json={"budget": 1e8, **bad})
        assert r.status_code == 422, bad
    r = client.post("/api/plans/optimize", json={"budget": -1, "scenario_yaml": SMALL})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "budget"]
    assert client.delete(f"/api/plans/{pid}").status_code == 204


def test_oversize_body_is_413(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, workers=0, max_body=1000))
    with TestClient(app) as c:
        r = c.post("/api/scenarios/validate", json={"yaml": "x" * 5000})
        assert r.status_code == 413


def test_token_required_off_loopback(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, workers=0, host="0.0.0.0", token="s3cret"))
    body = {"name": "s", "yaml": SMALL}
    with TestClient(app) as c:
        assert c.post("/api/scenarios", json=body).status_code == 401
        bad = {"Authorization": "Bearer wrong"}
        assert c.post("/api/scenarios", json=body, headers=bad).status_code == 403
        ok = {"Authorization": "Bearer s3cret"}
        assert c.post("/api/scenarios", json=body, headers=ok).status_code == 201
        assert c.get("/api/scenarios").status_code == 200
        assert c.get("/api/health").status_code == 200
    with pytest.raises(ValueError, match="CRITMIN_TOKEN"):
        create_app(Settings(data_dir=tmp_path, host="0.0.0.0"))


def test_serve_refuses_public_host_without_token(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    if os.environ.get("PYTHONPATH"):  # the tree under test, not another install
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    p = subprocess.run(
        [sys.executable, "-m", "critmin", "serve", "--host", "0.0.0.0", "--data-dir",
         str(tmp_path)], capture_output=True, text=True, env=env, timeout=DEADLINE,
    )  # fmt: skip
    assert p.returncode != 0
    assert "CRITMIN_TOKEN" in p.stderr and "loopback" in p.stderr


def test_library_names_scenarios_with_their_assumptions_and_the_example_plan(
    client: TestClient,
) -> None:
    lib = client.get("/api/scenarios/library").json()
    assert lib[0]["standard"] and lib[0]["name"] == "standard-2026"
    drc = next(s for s in lib if s["name"] == "drc-cobalt-outage")
    (event,) = drc["assumptions"]
    assert (event["event"], event["country"], event["minerals"], event["starts"]) == (
        "outage", "COD", "cobalt", "2027")  # fmt: skip
    assert event["share"] == "capacity lost 0.1 / 0.25 / 0.5" and event["lasts"] == "1 y"
    ex = client.get("/api/plans/example").json()
    assert ex["name"].startswith("Partners and domestic supply") and "items:" in ex["yaml"]


def test_summary_touched_only_and_events_carry_the_elapsed_time(client: TestClient) -> None:
    run = client.post("/api/runs", json={"scenario_yaml": SMALL, "samples": 50}).json()
    done = wait(client, run["id"])
    assert done["status"] == "complete" and done["elapsed_s"] > 0
    every = client.get(f"/api/runs/{run['id']}/summary").json()
    moved = client.get(f"/api/runs/{run['id']}/summary?touched=true").json()
    assert [r["mineral"] for r in moved] == ["gallium"]
    assert len(every) > len(moved)
    with client.stream("GET", f"/api/runs/{run['id']}/events") as resp:
        body = "".join(resp.iter_text())
    assert "event: done" in body and '"elapsed_s": ' in body
