"""What a disruption would do: check a scenario, run it, summarise what it touches."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr

from critmin.analysis.errors import QueryError
from critmin.data.dataset import Dataset, load
from critmin.data.errors import DataError, Problem
from critmin.data.yamlfile import Lines, line_of, parse_yaml, read_yaml
from critmin.policy.plan import Plan, load_plan, plan_from_text
from critmin.sim.scenario import Scenario, load_scenario, scenario_from_text

Keep = Literal["all", "summary", "reduced", "stats"]


def _source(path: Path | None, text: str | None, file: str | None) -> tuple[str, Lines]:
    if (path is None) == (text is None):
        raise ValueError("give a path or a text, not both")
    if path is not None:
        return file or str(path), read_yaml(Path(path))[1]
    return file or "scenario", parse_yaml(str(text), file or "scenario")[1]


def check_scenario(
    path: Path | str | None = None,
    *,
    text: str | None = None,
    file: str | None = None,
    deep: bool = True,
    ds: Dataset | None = None,
) -> Scenario:
    """Parse and check a scenario file (``path``) or YAML ``text``: every problem with its
    line and field, the data-level ones included.

    ``deep`` also compiles the scenario against the dataset, which finds what only the data
    can tell (a country that does not produce that mineral at that stage, a mineral without a
    market). ``file`` names the text in problems.

    Raises
    ------
    DataError
        Malformed YAML, unknown or misspelt fields, out-of-range values, contradictory events,
        and with ``deep`` every problem the data reveal, each with its line.

    Examples
    --------
    >>> check_scenario(text="name: t\\nhorizon: {start: 2025, end: 2027}\\n").name
    't'
    >>> check_scenario(text="name: t\\nhorizon: {start: 2025, end: 2027}\\nevents:\\n"
    ...     "  - {type: outage, country: JPN, mineral: cobalt, stage: mine, start: 2026,\\n"
    ...     "     duration_years: 1, capacity_loss: 0.3}\\n")
    Traceback (most recent call last):
    ...
    critmin.data.errors.DataError: scenario, row 4, field 'events.0.country': ...
    """
    p = Path(path) if path is not None else None
    name = file or (str(p) if p is not None else "scenario")
    sc = load_scenario(p) if p is not None else scenario_from_text(str(text), name)
    if deep:
        from critmin.sim.inputs import prepare

        try:
            prepare(sc, ds if ds is not None else load(), name)
        except DataError as e:
            _, lines = _source(p, text, name)
            # The data-level problems name fields like "events.0.stage": give them lines too.
            raise DataError([_with_line(q, lines) for q in e.problems]) from e
    return sc


def _with_line(p: Problem, lines: Lines) -> Problem:
    if p.row is not None or not p.field:
        return p
    parts = tuple(int(x) if x.isdigit() else x for x in str(p.field).split("."))
    return Problem(p.file, line_of(lines, parts), p.field, p.expected, p.got)


def check_plan(
    path: Path | str | None = None, *, text: str | None = None, file: str | None = None
) -> Plan:
    """Parse and check a plan file or YAML text (every problem with its line and field)."""
    if path is not None:
        return load_plan(path)
    return plan_from_text(str(text), file or "plan")


def _range(v: object) -> str:
    """A sampled parameter as "low / central / high", a fixed one as itself."""
    if isinstance(v, dict) and {"low", "central", "high"} <= set(v):
        return " / ".join(f"{float(v[k]):g}" for k in ("low", "central", "high"))
    if isinstance(v, list | tuple):
        return ", ".join(str(x).replace("_", " ") for x in v)
    return "" if v is None else str(v)


def scenario_assumptions(
    scenarios: Sequence[Scenario], counts: Sequence[int] | None = None
) -> pd.DataFrame:
    """One row per event of each scenario: what, who, when, how long, how much (``counts``:
    the samples each runs; default the scenario's own).

    Examples
    --------
    >>> from critmin.sim import library
    >>> sc = library.load("drc-cobalt-outage")
    >>> scenario_assumptions([sc], [100]).iloc[0][["event", "country", "starts", "share"]].tolist()
    ['outage', 'COD', '2027', 'capacity lost 0.1 / 0.25 / 0.5']
    """
    rows = []
    ns = list(counts) if counts is not None else [sc.samples for sc in scenarios]
    for sc, n in zip(scenarios, ns, strict=True):
        for e in sc.events:
            d = e.model_dump(exclude_none=True)
            kind = d.get("type", "")
            share = ""
            if "share" in d:
                share = f"withheld {_range(d['share'])}"
            elif "capacity_loss" in d:
                share = f"capacity lost {_range(d['capacity_loss'])}"
            if kind == "default_hazards":
                who = f"every producer with >= {float(d.get('min_share', 0)):.0%} of a stage"
                when = "any year (fitted yearly hazard)"
                lasts = "fitted"
                share = f"fitted measures, scale {d.get('scale', 1)}"
            else:
                who = _range(d.get("country") or d.get("countries") or d.get("route"))
                start = d.get("start")
                when = str(getattr(start, "year", start) or "")
                lasts = f"{float(d['duration_years']):g} y" if "duration_years" in d else ""
            rows.append({
                "scenario": sc.name, "horizon": f"{sc.horizon.start}–{sc.horizon.end}",
                "bloc": sc.bloc, "samples": n, "event": kind.replace("_", " "),
                "country": who, "minerals": _range(d.get("minerals") or d.get("mineral") or "all"),
                "stage": d.get("stage", ""), "starts": when, "lasts": lasts, "share": share,
            })  # fmt: skip
    return pd.DataFrame(rows)


def minerals_named(scenario: Scenario, ds: Dataset | None = None) -> list[str]:
    """The minerals a scenario's events act on, before it runs (its restrictions, outages,
    logistics, demand surges, stock changes and stocks, default hazards expanded).

    Examples
    --------
    >>> sc = check_scenario(text="name: t\\nhorizon: {start: 2025, end: 2027}\\nevents:\\n"
    ...     "  - {type: outage, country: COD, mineral: cobalt, stage: mine, start: 2026,\\n"
    ...     "     duration_years: 1, capacity_loss: 0.3}\\n")
    >>> minerals_named(sc)
    ['cobalt']
    """
    from critmin.sim.inputs import prepare

    mi = prepare(scenario, ds if ds is not None else load())
    hit: set[int] = {int(mi.slot_mineral[e.slot]) for e in mi.effects}
    for _, js, _, _ in mi.surge:
        hit.update(int(j) for j in np.asarray(js).ravel())
    for arr in (mi.forced_release, mi.purchase, mi.front_run):
        hit.update(int(j) for j in np.flatnonzero(np.asarray(arr).any(axis=0)))
    names = {mi.minerals[j] for j in hit}
    names.update(m for m, t in scenario.stocks.items() if t > 0 and m in mi.minerals)
    return sorted(names)


def run_simulation(
    scenario: Scenario | Path | str,
    *,
    samples: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    out: Path | None = None,
    keep: Keep = "all",
    progress: Callable[[int, int], None] | None = None,
    ds: Dataset | None = None,
    threshold: float = 0.05,
) -> xr.Dataset:
    """Run the Monte Carlo market model on a scenario (object or file); ``samples`` and
    ``seed`` default to the scenario's own; ``threshold`` is the shortfall share counted by
    ``keep="stats"`` (whose result carries only the summary statistics)."""
    from critmin.sim.runner import simulate

    source = str(scenario) if not isinstance(scenario, Scenario) else "scenario"
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    try:
        return simulate(sc, ds if ds is not None else load(), samples=samples, seed=seed,
                        workers=workers, scheduler=scheduler, out=out, keep=keep,
                        progress=progress, source=source, threshold=threshold)  # fmt: skip
    except ConnectionError as e:  # an unreachable --scheduler
        raise QueryError(str(e), "invalid", "scheduler") from None
    except DataError as e:
        if isinstance(scenario, Scenario):
            raise
        # The data-level problems (a mineral critmin cannot simulate, a country with no
        # capacity) name fields like "events.0.mineral": give them the file's lines.
        _, lines = _source(Path(scenario), None, source)
        raise DataError([_with_line(q, lines) for q in e.problems]) from e


def simulation_summary(
    result: xr.Dataset, threshold: float | None = None, *, touched_only: bool = True
) -> pd.DataFrame:
    """Per mineral, each sample's worst year: shortfall and price statistics.

    ``touched_only`` keeps the minerals the scenario visibly moves
    (:func:`critmin.sim.summary.touched`); ``threshold`` defaults to the summary's own.
    """
    from critmin.sim.summary import summary, touched

    df = summary(result) if threshold is None else summary(result, threshold)
    return df[touched(df)].reset_index(drop=True) if touched_only else df


def minerals_touched(result: xr.Dataset) -> list[str]:
    """The minerals a simulation result visibly moves, worst mean shortfall first."""
    return simulation_summary(result)["mineral"].tolist()


def simulation_by_year(
    result: xr.Dataset, minerals: list[str] | None = None, *, touched_only: bool = True
) -> pd.DataFrame:
    """Fan-chart rows (year × mineral: mean, P5, P50, P95 of shortfall and price index)."""
    from critmin.sim.summary import by_year

    if minerals is None and touched_only:
        minerals = simulation_summary(result)["mineral"].tolist()
        if not minerals:
            return by_year(result).iloc[0:0]
    return by_year(result, minerals)


@dataclass(frozen=True)
class AiAtRisk:
    """AI hardware output at risk in the worst year: the central allocation rule with the
    two bounding rules (:mod:`critmin.sim.ai_allocation`, docs/decisions/0033).

    ``binding`` has one row per mineral an AI component uses: AI's mean worst-year
    shortfall of it under each rule and how often it decides the central figure.
    """

    central: float
    low: float  # AI buyers served first (priority)
    high: float  # every use short by the same share (pro rata; the measure before 0033)
    binding: pd.DataFrame
    basis: str

    def keys(self) -> dict[str, float]:
        """The stable JSON keys (``ai_output_at_risk`` keeps its pre-0033 meaning, pro rata)."""
        return {
            "ai_output_at_risk": self.high,
            "ai_output_at_risk_central": self.central,
            "ai_output_at_risk_low": self.low,
            "ai_output_at_risk_high": self.high,
        }

    def binding_minerals(self, rule: str = "central") -> list[str]:
        """Minerals that decide the figure under ``rule`` in some samples, most often first."""
        b = self.binding
        if b.empty:
            return []
        col = f"ai_shortfall_{rule}"
        hit = b[b[col] > 1e-6]
        return hit["mineral"].astype(str).tolist()


def ai_at_risk(result: xr.Dataset) -> AiAtRisk:
    """Expected AI hardware output at risk in the worst year of a simulation result, under
    the central allocation rule with its bounds, and the inputs that decide it.

    Examples
    --------
    >>> r = run_simulation(check_scenario(text="name: t\\nhorizon: {start: 2026, end: 2027}\\n"
    ...     "minerals: [gallium]\\nevents:\\n  - {type: export_restriction, country: CHN,"
    ...     " minerals: [gallium], stage: refine, start: 2026, share: 1.0}\\n"), samples=20)
    >>> x = ai_at_risk(r)
    >>> x.low <= x.central <= x.high, x.high > 0.1
    (True, True)
    """
    from critmin.sim.ai_allocation import CONTRACT_SHARE_SOURCE
    from critmin.sim.summary import ai_at_risk_by_rule, ai_binding

    v = ai_at_risk_by_rule(result)
    basis = (
        f"AI's share of the bloc's demand: {result.attrs.get('ai_share_basis', 'not recorded')}; "
        f"central rule κ: {CONTRACT_SHARE_SOURCE}"
    )
    return AiAtRisk(v["central"], v["priority"], v["pro_rata"], ai_binding(result), basis)
