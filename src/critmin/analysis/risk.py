"""How exposed is the US (or a bloc): supply risk per mineral by method."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from critmin.analysis.errors import QueryError
from critmin.data.dataset import Dataset, load

RISK_STAGES = ("mine", "refine", "bottleneck")


@dataclass(frozen=True)
class RiskTable:
    """One row per mineral under one method, and the title that says what it is."""

    method: str
    title: str
    frame: pd.DataFrame


def supply_risk(
    method: str = "composite",
    *,
    importer: str | Sequence[str] = "USA",
    year: int | Sequence[int] | None = None,
    stage: str = "bottleneck",
    source: str | None = None,
    as_of: dt.date | None = None,
    weights: str | Mapping[str, float] | None = None,
    ranges: bool = False,
    regions_file: Path | None = None,
    gpr_data: Path | None = None,
    ds: Dataset | None = None,
) -> RiskTable:
    """Supply-risk scores per mineral by ``method`` (hhi, geopolrisk, eu, usgs, composite).

    ``weights`` re-weights the composite's components (``"concentration=2,china=1"`` or a
    mapping; unnamed components keep weight 1). Results that depend only on the embedded
    data are computed once per dataset.

    With ``method="geopolrisk"``, ``importer`` and ``year`` may be lists: the whole grid in
    one pass, one block of rows per (importer, year), equal to the single calls'
    tables one after the other.

    Raises
    ------
    QueryError
        An unknown method, stage, importer or weight.

    Examples
    --------
    >>> t = supply_risk("hhi", stage="refine")
    >>> bool(t.frame["hhi"].dropna().between(0, 1).all())
    True
    """
    from critmin.metrics import methods
    from critmin.metrics.composite import parse_weights

    if method not in methods.METHODS:
        raise QueryError(
            f"unknown method {method!r}; methods: {', '.join(methods.METHODS)}", "invalid", "method"
        )
    if stage not in RISK_STAGES:
        raise QueryError(
            f"stage must be mine, refine or bottleneck, not {stage!r}", "invalid", "stage"
        )
    try:
        w = parse_weights(weights) if weights is not None else None
    except ValueError as e:
        raise QueryError(str(e), "invalid", "weights") from e
    ds = ds if ds is not None else load()
    as_of = as_of or dt.date.today()
    imp: str | list[str] = importer if isinstance(importer, str) else list(importer)
    yrs: int | list[int] | None = year if year is None or isinstance(year, int) else list(year)

    def compute() -> tuple[pd.DataFrame, str]:
        return methods.run(ds, method, importer=imp, year=yrs, stage=stage, source=source,
                           as_of=as_of, weights=w, ranges=ranges, regions_file=regions_file,
                           gpr_data=gpr_data)  # fmt: skip

    try:
        if regions_file is None and gpr_data is None:
            key = ("analysis.risk", method, str(imp), str(yrs), stage, source, as_of,
                   tuple(sorted(w.items())) if w else None, ranges)  # fmt: skip
            frame, title = ds.stored(key, compute)
        else:
            frame, title = compute()
    except KeyError as e:
        # An unknown importer or region is a bad option (422), not a missing resource.
        raise QueryError(str(e.args[0] if e.args else e), "invalid", "importer") from e
    except ValueError as e:
        raise QueryError(str(e.args[0] if e.args else e), "invalid") from e
    return RiskTable(method, title, frame.copy())
