"""The export-restriction record (issue 14): one answer on every face, and its use-case rules.

``critmin restrictions --format json``, ``GET /api/restrictions`` and
:func:`critmin.analysis.restrictions.export_restrictions` give identical records, filtered
the same way; the summary by country as well.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from critmin.analysis import QueryError, records
from critmin.analysis.restrictions import (
    RECORD_COLUMNS,
    export_restrictions,
    restrictions_summary,
)
from critmin.api import Settings, create_app
from critmin.cli.main import app as cli

runner = CliRunner()
AS_OF = "2026-01-01"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("store"), workers=0))
    with TestClient(app) as c:
        yield c


def cli_json(*args: str) -> Any:
    res = runner.invoke(cli, ["restrictions", *args, "--format", "json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"country": "CHN"},
        {"mineral": "gallium"},
        {"measure": "ban", "country": "IDN"},
        {"country": "COD", "mineral": "cobalt"},
    ],
)
def test_the_record_is_one_answer(api: TestClient, query: dict[str, str]) -> None:
    py = records(export_restrictions(as_of=AS_OF, **query))
    args = [a for k, v in query.items() for a in (f"--{k}", v)]
    assert py == cli_json(*args, "--as-of", AS_OF)
    assert py == api.get("/api/restrictions", params={**query, "as_of": AS_OF}).json()
    assert py and all(list(r) == RECORD_COLUMNS for r in py)


def test_the_summary_is_one_answer(api: TestClient) -> None:
    py = records(restrictions_summary("country", as_of=AS_OF))
    assert py == cli_json("--by", "country", "--as-of", AS_OF)
    assert py == api.get("/api/restrictions", params={"by": "country", "as_of": AS_OF}).json()
    # Every measure is counted once, in exactly one status.
    assert sum(r["measures"] for r in py) == len(export_restrictions(as_of=AS_OF))
    statuses = ("in force", "suspended", "announced", "not yet", "lifted")
    assert all(r["measures"] == sum(r[s] for s in statuses) for r in py)


def test_unknown_names_are_404_on_the_api_and_exit_2_on_the_cli(api: TestClient) -> None:
    for params, field in (({"country": "XXX"}, "country"), ({"mineral": "kryptonite"},
                                                           "mineral")):  # fmt: skip
        res = api.get("/api/restrictions", params=params)
        assert res.status_code == 404 and res.json()["field"] == field
        k, v = next(iter(params.items()))
        out = runner.invoke(cli, ["restrictions", f"--{k}", v])
        assert out.exit_code == 2 and "unknown" in out.output and "Traceback" not in out.output
    assert api.get("/api/restrictions", params={"measure": "embargo"}).status_code == 422


def test_newest_first_with_statuses_on_the_date() -> None:
    df = export_restrictions(as_of=AS_OF)
    key = df["effective"].map(lambda d: d + "-01" if len(d) == 7 else d)
    assert key.is_monotonic_decreasing
    status = df.set_index("id")["status"]
    assert status["CN-2024-US"] == "suspended"  # until 27 Nov 2026
    assert status["CN-2023-GaGe"] == "in force"
    assert status["CN-2010-JPN"] == "lifted"
    assert status["ZW-2026-Li-conc"] == "announced"
    later = export_restrictions(country="CHN", as_of="2026-12-01").set_index("id")["status"]
    assert later["CN-2024-US"] == "in force"
    assert (export_restrictions(as_of="2009-01-01")["status"] == "not yet").sum() > 10


def test_filters_and_errors() -> None:
    # a measure on several minerals is listed under each; any case of ISO3
    ga = export_restrictions(mineral="germanium", as_of=AS_OF)
    assert set(ga["id"]) >= {"CN-2023-GaGe", "CN-2024-US"}
    assert export_restrictions(country="chn", as_of=AS_OF).equals(
        export_restrictions(country="CHN", as_of=AS_OF)
    )
    assert export_restrictions(country="USA", as_of=AS_OF).empty  # known, no measures
    for kw, kind in (
        ({"country": "ZZZ"}, "unknown"),
        ({"mineral": "kryptonite"}, "unknown"),
        ({"measure": "embargo"}, "invalid"),
        ({"as_of": "2026-02-30"}, "invalid"),
    ):
        with pytest.raises(QueryError) as e:
            export_restrictions(**kw)  # type: ignore[arg-type]
        assert e.value.kind == kind
    with pytest.raises(QueryError):
        restrictions_summary("mineral")


def test_the_table_fits_a_terminal() -> None:
    res = runner.invoke(cli, ["restrictions", "--as-of", AS_OF], env={"COLUMNS": "120"})
    assert res.exit_code == 0, res.output
    assert max(len(line) for line in res.stdout.splitlines()) <= 120
    assert "2026-11-27" in res.stdout and "ban on" in res.stdout  # status and target folded
    header = next(line for line in res.stdout.splitlines() if "id" in line and "status" in line)
    assert "scope" not in header and "note" not in header
    csv = runner.invoke(cli, ["restrictions", "--country", "MYS", "--format", "csv"])
    assert csv.stdout.splitlines()[0] == ",".join(RECORD_COLUMNS)
