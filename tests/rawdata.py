"""Where the real raw releases are: ../shared beside the project (always present in CI)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
RAW = SHARED / "data" / "raw"
REFERENCE = SHARED / "data" / "reference"


def raw_root() -> Path:
    """The raw-data folder; skips outside CI when it is absent, fails in CI."""
    if RAW.is_dir():
        return RAW
    if os.environ.get("CI") == "true":
        pytest.fail(f"{RAW} is missing: CI must have ../shared/data/raw")
    pytest.skip("../shared/data/raw is not present (only CI is guaranteed to have it)")
