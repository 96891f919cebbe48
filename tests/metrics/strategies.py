"""Reusable hypothesis strategies for the metrics property tests."""

from __future__ import annotations

import pandas as pd
from hypothesis import strategies as st

ISO3 = ["CHN", "USA", "AUS", "COD", "CHL", "IDN", "RUS", "JPN", "BRA", "ZAF", "CAN", "PER"]


@st.composite
def production_rows(draw: st.DrawFn, with_other: bool | None = None) -> pd.DataFrame:
    """``production`` rows of one mineral-stage-year: distinct countries, maybe an "other"."""
    n = draw(st.integers(min_value=1, max_value=len(ISO3)))
    countries = draw(st.permutations(ISO3))[:n]
    values = draw(st.lists(st.floats(min_value=0.001, max_value=1e6), min_size=n, max_size=n))
    other = draw(st.booleans()) if with_other is None else with_other
    rows = [{"entity": c, "entity_kind": "country", "country": c, "value": v}
            for c, v in zip(countries, values, strict=True)]  # fmt: skip
    if other:
        rows.append({"entity": "Other countries", "entity_kind": "other", "country": None,
                     "value": draw(st.floats(min_value=0.0, max_value=1e5))})  # fmt: skip
    total = sum(r["value"] for r in rows)
    rows.append({"entity": "World total", "entity_kind": "world", "country": None,
                 "value": total})  # fmt: skip
    return pd.DataFrame(rows)
