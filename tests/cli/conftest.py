"""Shared fixtures of the CLI tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def tin_world_csv(tmp_path: Path) -> Path:
    """A small, valid USGS world-production file (MCS 2025 layout) under ``rel/``."""
    good = tmp_path / "rel" / "mcs2025-tin_world.csv"
    good.parent.mkdir()
    good.write_text(
        "Source,Country,Type,Prod_t_2023,Prod_t_est_2024\n"
        'MCS2025,China,"Mine production, tin content",68000,69000\n'
        'MCS2025,World total (rounded),"Mine production, tin content",300000,300000\n'
    )
    return good
