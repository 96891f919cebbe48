"""An installed critmin works anywhere (issue 13): build the wheel, install it into a fresh
virtual environment and run the console script from an empty folder, far from the repository.

The fresh environment gets critmin from the wheel only. Its third-party packages come from the
development environment through a ``.pth`` line, so the test needs no index and no reinstall;
a plain path line in a ``.pth`` file is added to ``sys.path`` but the ``.pth`` files inside that
folder are not processed, so the development environment's editable critmin (a ``.pth`` naming
the source tree) stays out — ``test_critmin_comes_from_the_wheel`` checks it does.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


@dataclass(frozen=True)
class Installed:
    """A fresh virtual environment with critmin installed from its wheel."""

    venv: Path
    wheel: Path

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def critmin(self) -> Path:
        return self.venv / "bin" / "critmin"


def _cannot(why: str) -> None:
    # The one skip-or-fail rule (tests/conftest.py): CI must prove the wheel works.
    require("a wheel build", False, why)


def _run(cmd: list[str | Path], **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(c) for c in cmd], capture_output=True, text=True, timeout=300, check=False, **kw
    )


def _clean_env() -> dict[str, str]:
    # PYTHONPATH (a developer's tree) or a CRITMIN_* setting would reach past the wheel.
    drop = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
    return {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("CRITMIN_")}


def _build_wheel(out: Path) -> Path:
    """Build the wheel from a copy of the project: a build in the tree writes build/ and
    *.egg-info there, and a stale build/lib would put files deleted since into the wheel."""
    src = out / "project"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    for lic in ROOT.glob("LICEN[CS]E*"):
        shutil.copy2(lic, src / lic.name)
    shutil.copytree(
        ROOT / "src", src / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    dist = out / "dist"
    # With build isolation pip installs the build requirements of pyproject.toml (setuptools
    # >= 77 for the SPDX licence string, wheel) from the configured index; the development
    # environment's own setuptools may be older.
    proc = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", dist, src],
        env=_clean_env(),
    )
    wheels = sorted(dist.glob("critmin-*.whl"))
    if proc.returncode != 0 or not wheels:
        _cannot(
            "cannot build the wheel: `pip wheel` needs pip in the development environment and "
            "the build requirements of pyproject.toml (setuptools>=77, wheel) from a package "
            f"index; it said:\n{(proc.stderr or proc.stdout)[-2000:]}"
        )
    return wheels[0]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    tmp = tmp_path_factory.mktemp("wheel")
    if _run([sys.executable, "-m", "pip", "--version"]).returncode != 0:
        _cannot(f"cannot build the wheel: no pip in {sys.executable}")
    wheel = _build_wheel(tmp)
    venv = tmp / "venv"
    # Without pip: ensurepip would cost seconds; the development pip installs into the fresh
    # environment through its --python option instead.
    made = _run([sys.executable, "-m", "venv", "--without-pip", venv])
    assert made.returncode == 0, made.stderr
    env = _clean_env()
    inst = _run(
        [sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install",
         "--no-deps", "--no-index", "--quiet", wheel],
        env=env,
    )  # fmt: skip
    assert inst.returncode == 0, inst.stderr
    fresh = _run(
        [
            venv / "bin" / "python",
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        ],
        env=env,
    )
    assert fresh.returncode == 0, fresh.stderr
    dev = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    Path(fresh.stdout.strip(), "critmin-dev-dependencies.pth").write_text(
        "".join(f"{p}\n" for p in dev), encoding="utf-8"
    )
    return Installed(venv, wheel)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """An empty folder to run in; home and the data folder are beside it, not in it."""
    for name in ("cwd", "home", "data"):
        (tmp_path / name).mkdir()
    return tmp_path / "cwd"


def _env(workdir: Path) -> dict[str, str]:
    env = _clean_env()
    env["HOME"] = str(workdir.parent / "home")
    env["CRITMIN_DATA_DIR"] = str(workdir.parent / "data")
    return env


def test_critmin_comes_from_the_wheel(installed: Installed, workdir: Path) -> None:
    code = "import critmin; from critmin.sim import library; print(critmin.__file__); " + (
        "print(','.join(library.names())); print(library.path(library.STANDARD))"
    )
    proc = _run([installed.python, "-c", code], cwd=workdir, env=_env(workdir))
    assert proc.returncode == 0, proc.stderr
    where, names, standard = proc.stdout.splitlines()
    assert Path(where).is_relative_to(installed.venv), where
    assert not Path(where).is_relative_to(ROOT), where
    assert names.split(",") == [
        "china-controls",
        "drc-cobalt-outage",
        "logistics-corridor",
        "standard-2026",
    ]
    assert Path(standard).is_relative_to(installed.venv)
    assert Path(standard).read_bytes() == (EXAMPLES / "standard-2026.yaml").read_bytes()


def test_simulate_a_scenario_file(installed: Installed, workdir: Path) -> None:
    shutil.copy2(EXAMPLES / "china-gallium-germanium-2023.yaml", workdir / "example.yaml")
    proc = _run(
        [installed.critmin, "simulate", "example.yaml", "--samples", "200", "--format", "json"],
        cwd=workdir,
        env=_env(workdir),
    )
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert {r["mineral"] for r in rows} >= {"gallium", "germanium"}
    assert all(r["samples"] == 200 for r in rows)
    assert all(0.0 <= r["shortfall_mean"] <= 1.0 for r in rows)


def test_evaluate_a_plan_on_the_packaged_standard_scenario(
    installed: Installed, workdir: Path
) -> None:
    shutil.copy2(EXAMPLES / "plan-partners-11.6bn.yaml", workdir / "plan.yaml")
    proc = _run(
        # No --scenario: the standard scenario must come from the package.
        [installed.critmin, "plan", "evaluate", "plan.yaml", "--samples", "50", "--format", "json"],
        cwd=workdir,
        env=_env(workdir),
    )
    assert proc.returncode == 0, proc.stderr
    rows = {r["mineral"]: r for r in json.loads(proc.stdout)}
    assert rows["cobalt"]["cost_usd"] > 0
    assert rows["total"]["cost_usd"] > 0
    assert "shortfall_mean_plan" in rows["cobalt"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read())


def test_serve_answers(installed: Installed, workdir: Path) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}/api"
    log = workdir.parent / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [str(installed.critmin), "serve", "--port", str(port)],
            cwd=workdir,
            env=_env(workdir),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        # Poll until the service answers: start-up time varies with the machine's load.
        deadline = time.monotonic() + 120
        while True:
            if server.poll() is not None:
                pytest.fail(f"critmin serve exited with {server.returncode}:\n{log.read_text()}")
            try:
                health = _get(f"{base}/health")
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    pytest.fail(f"critmin serve did not answer in 120 s:\n{log.read_text()}")
                time.sleep(0.2)
        assert health["status"] == "ok"
        minerals = _get(f"{base}/minerals")
        assert isinstance(minerals, list) and minerals
        assert {"lithium", "gallium"} <= {m["mineral"] for m in minerals}
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
