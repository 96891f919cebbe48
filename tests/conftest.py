"""Rules shared by the whole suite: optional system parts, and how long to wait under load.

Optional system parts
    Some tests need a part of the machine that an end user's install may lack: Debian's
    Chromium, the playwright package, the docs toolchain, ``../shared`` beside the project.
    :func:`require` is the one place that decides what happens then: the test is skipped with a
    message naming exactly what is missing and how to get it, except under ``CI=true``, where
    CI is guaranteed to have every part and a missing one fails the test instead of hiding it.

Waiting
    Tests never wait by sleeping a fixed time or by giving a request a short timeout: they poll
    a state (the health endpoint answering, a run's status being terminal) until
    :data:`DEADLINE` passes, and give requests known to be heavy a read timeout of
    :data:`READ_TIMEOUT`. Both hold on a busy 2-core machine shared with other jobs.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from critmin.report.brief import CHROMIUM_FLAGS

# The custody ledger's default key file lives in the user's config folder: tests (and the CLI
# subprocesses they start) get a throwaway one instead of writing into the real home.
os.environ.setdefault("XDG_CONFIG_HOME", tempfile.mkdtemp(prefix="critmin-test-config-"))

#: Seconds a test waits at most for a server to be ready or a run to finish (polling a state,
#: never sleeping blindly). Generous for loaded CI runners; ``CRITMIN_TEST_DEADLINE`` sets it.
DEADLINE = float(os.environ.get("CRITMIN_TEST_DEADLINE", "300"))
#: Read timeout of one HTTP request (submitting a run validates the scenario against the data).
READ_TIMEOUT = DEADLINE
#: Between two looks at a state that is being waited on.
POLL = 0.1

#: ``../shared`` beside the project (always present in CI); ``CRITMIN_SHARED_DIR`` points
#: elsewhere, e.g. from a git worktree that is not beside it.
SHARED = Path(
    os.environ.get("CRITMIN_SHARED_DIR") or Path(__file__).resolve().parents[1].parent / "shared"
)
RAW = SHARED / "data" / "raw"
REFERENCE = SHARED / "data" / "reference"

#: The suite keeps critmin's on-disk cache (decision 0027) in a folder of its own, never the
#: user's ~/.cache/critmin; commands run as subprocesses inherit it.
if "CRITMIN_CACHE_DIR" not in os.environ:
    import tempfile

    os.environ["CRITMIN_CACHE_DIR"] = tempfile.mkdtemp(prefix="critmin-test-cache-")

CHROMIUM = Path("/usr/bin/chromium")
#: Flags that were checked to work headless on this machine kind (docs/STACK-NOTES.md).
CHROMIUM_ARGS = list(CHROMIUM_FLAGS)
DOCS_TOOLCHAIN = ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python")


def in_ci() -> bool:
    """True under ``CI=true`` (any case), where every optional part must be present."""
    return os.environ.get("CI", "").strip().lower() == "true"


def require(part: str, available: bool, how: str) -> None:
    """Go on when ``part`` is ``available``; else skip the test, or fail it under ``CI=true``.

    Parameters
    ----------
    part
        What is missing, exactly (a path, a package, a program).
    available
        Whether it is there.
    how
        How to get it.
    """
    if available:
        return
    msg = f"{part} is missing ({how})"
    if in_ci():
        pytest.fail(f"{msg}; CI=true, where it must be present, so this is a failure")
    pytest.skip(msg)


def importable(module: str) -> bool:
    """Whether ``module`` can be imported (without importing it)."""
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a missing parent package
        return False


def raw_root() -> Path:
    """``../shared/data/raw``, the real raw releases (:func:`require` when absent)."""
    require(str(RAW), RAW.is_dir(), "the raw releases beside the project; CRITMIN_SHARED_DIR "
            "can point at a ../shared elsewhere")  # fmt: skip
    return RAW


def reference_file(name: str) -> Path:
    """A file of ``../shared/data/reference`` (:func:`require` when absent)."""
    path = REFERENCE / name
    require(str(path), path.is_file(), "the shared reference folder beside the project; "
            "CRITMIN_SHARED_DIR can point at a ../shared elsewhere")  # fmt: skip
    return path


def require_docs_toolchain() -> None:
    """The packages ``mkdocs build`` needs (:func:`require` when one is absent)."""
    missing = [m for m in DOCS_TOOLCHAIN if not importable(m)]
    require(f"the docs toolchain ({', '.join(missing)})", not missing,
            "install the dev extras: .venv/bin/pip install -e '.[dev]'")  # fmt: skip


@pytest.fixture(scope="session")
def chromium() -> str:
    """The path of Debian's Chromium (never a browser ``playwright install`` downloads)."""
    require(str(CHROMIUM), CHROMIUM.is_file(),
            "Debian's chromium package: apt-get install -y chromium")  # fmt: skip
    return str(CHROMIUM)


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Any]:
    """A headless Chromium driven by playwright's sync API (one per test module)."""
    require("the playwright Python package", importable("playwright.sync_api"),
            "install the dev extras: .venv/bin/pip install -e '.[dev]'")  # fmt: skip
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
