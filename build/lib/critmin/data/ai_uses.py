"""Which AI-hardware components need which mineral, from the sourced ``ai_bom.csv`` table.

A component counts as a use of a mineral when a row of ``ai_bom.csv`` (shared reference data,
each row with its source) names the mineral in its ``material`` label. Totals, counts and
specifications (``power (spec)``, ``HBM stacks (count)``) are not uses and are skipped.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from critmin.data.catalogue import MINERALS
from critmin.data.errors import DataError, Problem

_NOT_A_USE = re.compile(
    r"\((spec|count|share|cable count|cable length)\)|total mass|metals \(total\)"
)


def read_ai_uses(path: Path) -> pd.DataFrame:
    """One row per (mineral, component) with the ``ai_bom.csv`` row ids that support it.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "ai_bom.csv"
    >>> _ = p.write_text("id,component,material,source\\n"
    ...     "BOM-1,optical transceivers,germanium,S1\\nBOM-2,CPU,power (spec),S2\\n")
    >>> read_ai_uses(p)[["mineral", "component", "bom_ids"]].values.tolist()
    [['germanium', 'optical transceivers', 'BOM-1']]
    """
    try:
        bom = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataError([Problem(str(path), None, None, "a readable CSV", str(exc))]) from exc
    for col in ("id", "component", "material", "source"):
        if col not in bom.columns:
            raise DataError([Problem(str(path), 1, col, "a column of ai_bom.csv")])
    rows: list[dict[str, str]] = []
    for m in MINERALS:
        words = [re.compile(rf"\b{re.escape(w)}\b", re.IGNORECASE) for w in m.ai_words]
        hit = bom[
            bom["material"].map(
                lambda s, words=words: not _NOT_A_USE.search(s) and any(w.search(s) for w in words)
            )
        ]
        for comp, grp in hit.groupby("component", sort=True):
            rows.append(
                {
                    "mineral": m.id,
                    "component": str(comp),
                    "bom_ids": ";".join(sorted(grp["id"])),
                    "source": "critmin ai_bom.csv (each row cites its publication)",
                }
            )
    return pd.DataFrame(rows, columns=["mineral", "component", "bom_ids", "source"])
