"""A real multi-process Dask cluster for the simulator's tests: ``dask scheduler`` and
``dask worker`` started as subprocesses, as a user would start them (not a LocalCluster).

The scheduler listens on a free port (``--port 0``) and writes its address to a scheduler
file when it is ready; the fixture polls for that file and then waits for the workers with
``Client.wait_for_workers`` (states, never sleeps), within :data:`tests.conftest.DEADLINE`.
The ``dask`` command comes from the environment that runs the tests (:func:`require`: never
skipped under ``CI=true``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import critmin
from tests.conftest import DEADLINE, POLL, require

#: Worker processes of the test cluster (one thread each, like the benchmark's).
WORKERS = 2


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM (a clean shutdown), then SIGKILL if it does not end in time."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def dask_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The address (``tcp://127.0.0.1:PORT``) of a scheduler with :data:`WORKERS` workers."""
    dask = Path(sys.executable).with_name("dask")
    require(str(dask), dask.is_file(), "distributed's command line: pip install distributed")
    from distributed import Client

    here = tmp_path_factory.mktemp("dask-cluster")
    info = here / "scheduler.json"
    env = dict(os.environ)
    # The workers unpickle critmin's functions: they import the critmin under test.
    src = str(Path(critmin.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([src, *filter(None, [env.get("PYTHONPATH")])])
    procs: list[subprocess.Popen[bytes]] = []
    logs = []
    address: str | None = None
    try:
        log = open(here / "scheduler.log", "wb")  # noqa: SIM115 (closed below)
        logs.append(log)
        procs.append(subprocess.Popen(
            [str(dask), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
             "--scheduler-file", str(info)],
            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=here,
        ))  # fmt: skip
        end = time.monotonic() + DEADLINE
        while address is None:
            if procs[0].poll() is not None:
                pytest.fail(f"dask scheduler exited: {(here / 'scheduler.log').read_text()}")
            if time.monotonic() > end:
                pytest.fail(f"no scheduler file after {DEADLINE:g} s")
            try:
                address = json.loads(info.read_text())["address"]
            except (OSError, ValueError, KeyError):  # not written yet, or half written
                time.sleep(POLL)
        log = open(here / "workers.log", "wb")  # noqa: SIM115 (closed below)
        logs.append(log)
        procs.append(subprocess.Popen(
            [str(dask), "worker", address, "--nworkers", str(WORKERS), "--nthreads", "1",
             "--no-dashboard", "--local-directory", str(here / "work")],
            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=here,
        ))  # fmt: skip
        with Client(address, timeout=DEADLINE) as client:
            client.wait_for_workers(WORKERS, timeout=DEADLINE)
        yield address
    finally:
        if address is not None:
            try:  # the scheduler stops its workers and itself: faster than signals
                with Client(address, timeout=DEADLINE) as client:
                    client.shutdown()
            except (OSError, TimeoutError):
                pass
        for p in reversed(procs):
            _stop(p)
        for f in logs:
            f.close()
