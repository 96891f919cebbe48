"""One entry point for any supported raw file: detect its kind, import it, write it.

This is what ``critmin data import`` and ``critmin data validate`` run, so a user can point
critmin at next year's USGS release (or a new WGI or IEA workbook) file by file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from critmin.data.errors import DataError, Problem

Importer = Callable[[Path, Path], dict[str, pd.DataFrame]]


def _world(p: Path, root: Path) -> dict[str, pd.DataFrame]:
    from critmin.data.usgs_world import read_world

    return {"production": read_world(p, root)}


def _salient(p: Path, root: Path) -> dict[str, pd.DataFrame]:
    from critmin.data.usgs_salient import read_salient

    return {"salient": read_salient(p, root)}


def _nir(p: Path, root: Path) -> dict[str, pd.DataFrame]:
    from critmin.data.usgs_trends import read_net_import_reliance

    return {"import_reliance": read_net_import_reliance(p, root)}


def _t5(p: Path, root: Path) -> dict[str, pd.DataFrame]:
    from critmin.data.usgs_trends import read_critical_salient

    return {"critical_salient": read_critical_salient(p, root)}


def _t4(p: Path, root: Path) -> dict[str, pd.DataFrame]:
    from critmin.data.usgs_trends import read_end_uses

    return {"end_uses": read_end_uses(p, root)}


def _mcs_long(p: Path, root: Path) -> dict[str, pd.DataFrame]:
    from critmin.data.usgs_mcs2026 import read_long

    return read_long(p, root)


def _fig3(p: Path, root: Path) -> dict[str, pd.DataFrame]:
    from critmin.data.usgs_mcs2026 import read_import_sources

    return {"import_sources": read_import_sources(p, root)}


def _wgi(p: Path, root: Path) -> dict[str, pd.DataFrame]:
    from critmin.data.wgi import read_wgi

    return {"wgi": read_wgi(p, root)}


def _iea(p: Path, root: Path) -> dict[str, pd.DataFrame]:
    from critmin.data.iea import read_iea_demand, read_iea_supply

    out = dict(read_iea_supply(p, root))
    out["demand_outlook"] = read_iea_demand(p, root)
    return out


def _sqlite(p: Path, root: Path) -> dict[str, pd.DataFrame]:
    from critmin.data.geopolrisk_db import read_baci, read_hs_codes, read_world_mining_data

    if "baci" in p.name.lower():
        return {"trade": read_baci(p, root)}
    return {"production": read_world_mining_data(p, root), "hs_codes": read_hs_codes(p, root)}


def _has_shares(path: Path) -> bool:
    # Fig. 3 of 2023 and 2024 is a map (countries by commodity count), not import shares.
    if not path.is_file():
        return True
    with path.open(encoding="utf-8-sig", errors="replace") as fh:
        return "percent" in fh.readline().lower()


def detect(path: Path) -> Importer:
    """The importer for a raw file, from its name and extension.

    Examples
    --------
    >>> detect(Path("mcs2025-lithi_world.csv")).__name__
    '_world'
    >>> detect(Path("MCS2025_Fig2_Net_Import_Reliance.csv")).__name__
    '_nir'
    >>> detect(Path("MCS2026_Commodities_Data.csv")).__name__
    '_mcs_long'
    """
    name = path.name.lower()
    if name.endswith("_commodities_data.csv"):
        return _mcs_long
    if "major_import_sources" in name and _has_shares(path):
        return _fig3
    if name.endswith("_world.csv"):
        return _world
    if name.endswith("_salient.csv") and "critical_minerals" not in name:
        return _salient
    if "net_import_reliance" in name:
        return _nir
    if "critical_minerals_salient" in name:
        return _t5
    if "critical_minerals_end_use" in name:
        return _t4
    if name.endswith(".xlsx") and ("wgi" in name or "governance" in name):
        return _wgi
    if name.endswith(".xlsx") and ("cm_data_explorer" in name or "critical" in name):
        return _iea
    if name.endswith((".db", ".sqlite", ".sqlite3")):
        return _sqlite
    raise DataError(
        [
            Problem(
                str(path),
                None,
                None,
                "a supported raw file: USGS *_world.csv, *_salient.csv, "
                "MCS*_Commodities_Data.csv, MCS*_Fig2_*, MCS*_Fig3_*, "
                "MCS*_T4_*/T5_*, a WGI or IEA Critical Minerals xlsx, a WMD or BACI SQLite db",
            )
        ]
    )


def import_file(path: Path) -> dict[str, pd.DataFrame]:
    """Import one raw file; provenance paths are relative to the file's grandparent folder."""
    if not path.is_file():
        raise DataError([Problem(str(path), None, None, "an existing file")])
    path = path.resolve()
    return detect(path)(path, path.parent.parent)


def validate_path(path: Path) -> list[tuple[str, str, int, str]]:
    """Import a file or every supported file of a folder; never writes anything.

    Returns
    -------
    list of (file, status, rows, problem)
        ``status`` is ``ok`` or ``error``; one line per problem for failing files.
    """
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    out: list[tuple[str, str, int, str]] = []
    for f in files:
        try:
            detect(f)
        except DataError:
            if path.is_dir():
                continue  # folders hold notes and metadata files too
        try:
            tables = import_file(f)
            out.append((str(f), "ok", sum(len(t) for t in tables.values()), ""))
        except DataError as e:
            out.extend((str(f), "error", 0, str(p)) for p in e.problems)
    if not out:
        out.append((str(path), "error", 0, "no supported raw file found"))
    return out


def table_paths(names: list[str], out: Path) -> dict[str, Path]:
    """Where :func:`write_tables` puts each table: ``out`` itself for a single table, else
    ``<stem>.<table><suffix>`` beside it (a file that feeds several tables loses none).

    Examples
    --------
    >>> table_paths(["production"], Path("x.csv"))
    {'production': PosixPath('x.csv')}
    >>> [p.name for p in table_paths(["production", "salient"], Path("d/mcs.parquet")).values()]
    ['mcs.production.parquet', 'mcs.salient.parquet']
    """
    if len(names) == 1:
        return {names[0]: out}
    return {n: out.with_name(f"{out.stem}.{n}{out.suffix}") for n in names}


def write_tables(tables: dict[str, pd.DataFrame], out: Path) -> dict[str, Path]:
    """Write every table to .csv or .parquet (:func:`table_paths`) all or nothing: each goes
    to a temporary file first, and the files are renamed into place only once all are
    written."""
    if out.suffix not in (".csv", ".parquet"):
        raise DataError(
            [Problem(str(out), None, None, "an output file ending in .csv or .parquet")]
        )
    paths = table_paths(list(tables), out)
    out.parent.mkdir(parents=True, exist_ok=True)
    done: list[tuple[str, Path]] = []
    try:
        for name, df in tables.items():
            fd, tmp = tempfile.mkstemp(prefix=f".{paths[name].name}.", dir=out.parent)
            os.close(fd)
            done.append((tmp, paths[name]))
            if out.suffix == ".csv":
                df.to_csv(tmp, index=False)
            else:
                df.to_parquet(tmp, index=False)
        for tmp, target in done:
            os.replace(tmp, target)
    except BaseException:
        for tmp, _ in done:
            Path(tmp).unlink(missing_ok=True)
        raise
    return paths


def write_table(df: pd.DataFrame, out: Path) -> None:
    """Write a table to .csv or .parquet atomically (temporary file, then rename)."""
    write_tables({"table": df}, out)
