"""Where the real raw releases are: ../shared beside the project (always present in CI).

The rule for a missing folder (skip, or fail under ``CI=true``) lives in ``tests/conftest.py``.
"""

from __future__ import annotations

from tests.conftest import RAW, REFERENCE, SHARED, raw_root

__all__ = ["RAW", "REFERENCE", "SHARED", "raw_root"]
