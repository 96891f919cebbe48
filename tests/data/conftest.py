"""Fixtures of the data-layer tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from critmin.data.build import build
from tests.rawdata import REFERENCE, raw_root


@pytest.fixture(scope="session")
def rebuilt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dataset built once per session from the real raw releases by the working tree's
    importers (the folder). The rebuild test checks it equals the committed dataset; the
    supply-property tests read it (one build instead of two: ≈ 5 s of the suite)."""
    out = tmp_path_factory.mktemp("rebuilt") / "dataset"
    report = build(raw_root(), out, REFERENCE if REFERENCE.is_dir() else None)
    return Path(report.out)
