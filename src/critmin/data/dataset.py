"""The embedded default dataset: loading it and picking the figures a question needs.

The dataset is a folder of Parquet tables plus ``manifest.json`` (what was built from which
raw files, with their SHA-256). :func:`load` reads the copy shipped inside the package, or
a folder given by argument or by the ``CRITMIN_DATA`` environment variable.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from critmin.data.errors import DataError, Problem

if TYPE_CHECKING:
    import xarray as xr

#: Tables of a built dataset, in the order the build writes them.
TABLE_NAMES = (
    "minerals",
    "production",
    "salient",
    "import_reliance",
    "import_sources",
    "critical_salient",
    "end_uses",
    "ai_uses",
    "wgi",
    "supply_outlook",
    "demand_outlook",
    "trade",
    "hs_codes",
    "restrictions",
    "provenance",
    "quality",
)

#: Preference among sources when several give the same mineral, stage and year: the
#: USGS (newest edition first) is the reference for country production; the IEA covers the
#: refining stage the USGS does not; World Mining Data fills what is left.
SOURCE_PREFERENCE = ("USGS MCS", "IEA", "World Mining Data")


def default_dir() -> Path:
    """The dataset folder shipped with the package (or ``$CRITMIN_DATA`` when set)."""
    env = os.environ.get("CRITMIN_DATA")
    if env:
        return Path(env)
    return Path(str(resources.files("critmin.data") / "embedded"))


@dataclass
class Dataset:
    """A built critmin dataset: tables loaded lazily from a folder of Parquet files.

    Attributes are the tables of :data:`TABLE_NAMES` as pandas DataFrames, e.g.
    ``ds.production`` or ``ds.wgi``; ``ds.manifest`` says what they were built from.
    """

    path: Path
    _cache: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    _supply_cache: dict[tuple[object, ...], pd.DataFrame] = field(default_factory=dict, repr=False)
    _derived: dict[tuple[object, ...], Any] = field(default_factory=dict, repr=False)

    def memo(self, key: tuple[object, ...], compute: Callable[[], Any]) -> Any:
        """A value derived from this dataset, computed once (higher layers cache here so
        the cache lives and dies with the data it was computed from)."""
        if key not in self._derived:
            self._derived[key] = compute()
        return self._derived[key]

    def stored(self, key: tuple[object, ...], compute: Callable[[], Any]) -> Any:
        """:meth:`memo`, and kept on disk across processes, keyed by the dataset's files'
        SHA-256, ``key`` and critmin's code (:func:`critmin.data.cache.cached_value`): the
        next command asking the same question reads the answer instead of computing it.
        ``key`` holds plain values only (no paths of user files)."""
        from critmin.data.cache import cached_value

        def from_disk() -> Any:
            return cached_value("result", key, self.files, compute)

        return self.memo(key, from_disk)

    @cached_property
    def files(self) -> list[Path]:
        """The files of the dataset (manifest and tables): what its hash covers."""
        return [self.path / "manifest.json", *sorted(self.path.glob("*.parquet"))]

    @cached_property
    def manifest(self) -> dict[str, Any]:
        """The build manifest: raw files with SHA-256, row counts, critmin version."""
        p = self.path / "manifest.json"
        if not p.exists():
            raise DataError(
                [Problem(str(p), None, None, "a built critmin dataset (manifest.json)")]
            )
        data: dict[str, Any] = json.loads(p.read_text("utf-8"))
        return data

    def table(self, name: str) -> pd.DataFrame:
        """One table by name (a copy-free cached DataFrame)."""
        if name not in TABLE_NAMES:
            raise KeyError(f"unknown table {name!r}; tables: {', '.join(TABLE_NAMES)}")
        if name not in self._cache:
            p = self.path / f"{name}.parquet"
            if not p.exists():
                raise DataError([Problem(str(p), None, None, f"the {name} table of the dataset")])
            self._cache[name] = pd.read_parquet(p)
        return self._cache[name]

    def read(
        self,
        name: str,
        columns: list[str] | None = None,
        where: dict[str, list[object]] | None = None,
    ) -> pd.DataFrame:
        """Some rows and columns of one table, read with predicate pushdown.

        ``where`` maps a column to the values to keep (``isin``); only the named ``columns``
        are decoded and only matching rows materialised, so a question about one importer
        never loads the 1.26 M-row trade table whole. A table already in memory is filtered
        there. Same dtypes as :meth:`table`.

        Examples
        --------
        >>> t = load().read("trade", ["year", "importer", "hs", "quantity"],
        ...                 {"importer": ["USA"], "year": [2020]})
        >>> sorted(set(t.importer)), sorted(set(t.year))
        (['USA'], [2020])
        >>> len(t) == int(((load().trade.importer == "USA") & (load().trade.year == 2020)).sum())
        True
        """
        if name not in TABLE_NAMES:
            raise KeyError(f"unknown table {name!r}; tables: {', '.join(TABLE_NAMES)}")
        if name in self._cache:
            df = self._cache[name]
            mask = pd.Series(True, index=df.index)
            for col, values in (where or {}).items():
                mask &= df[col].isin(values)
            return df.loc[mask, columns or list(df.columns)].reset_index(drop=True)
        p = self.path / f"{name}.parquet"
        if not p.exists():
            raise DataError([Problem(str(p), None, None, f"the {name} table of the dataset")])
        import pyarrow.dataset as pads

        expr = None
        for col, values in (where or {}).items():
            e = pads.field(col).isin(list(values))
            expr = e if expr is None else expr & e
        tbl = pads.dataset(p, format="parquet").to_table(columns=columns, filter=expr)
        return tbl.to_pandas()

    def __getattr__(self, name: str) -> pd.DataFrame:
        if name in TABLE_NAMES:
            return self.table(name)
        raise AttributeError(name)

    @cached_property
    def _by_key(self) -> dict[tuple[str, str, str], pd.DataFrame]:
        # supply() is called for every mineral and stage by every method: group once.
        keys = ["mineral", "stage", "measure"]
        return {(str(k[0]), str(k[1]), str(k[2])): g for k, g in self.production.groupby(keys)}

    def wgi_array(self, value: str = "estimate") -> xr.DataArray:
        """The governance indicators as a labelled array (country × year × indicator).

        Examples
        --------
        >>> da = load().wgi_array()
        >>> da.dims
        ('country', 'year', 'indicator')
        >>> round(float(da.sel(country="CHN", year=2023, indicator="pv")), 4)
        -0.5131
        """
        import xarray as xr  # only here: importing xarray costs a command's start-up

        wgi = self.wgi.set_index(["country", "year", "indicator"])[value]
        return xr.DataArray.from_series(wgi).rename(f"wgi_{value}")

    def supply(
        self,
        mineral: str,
        stage: str,
        year: int | None = None,
        *,
        measure: str = "production",
        source: str | None = None,
    ) -> pd.DataFrame:
        key = (mineral, stage, year, measure, source)
        if key not in self._supply_cache:
            self._supply_cache[key] = self._supply(mineral, stage, year, measure, source)
        return self._supply_cache[key].copy()

    def _supply(
        self, mineral: str, stage: str, year: int | None, measure: str, source: str | None
    ) -> pd.DataFrame:
        """Country rows (and aggregates) of one mineral, stage and year from one source.

        Several sources may cover the same figures. Unless ``source`` names one (a prefix
        such as ``"USGS MCS 2023"`` or ``"World Mining Data"``), the first of
        :data:`SOURCE_PREFERENCE` that has a number for at least one country that year wins,
        the newest edition first. ``year=None`` takes the latest year of the preferred source
        among those whose newest year is within one year of the newest of all
        (docs/decisions/0004-source-preference.md).

        Returns
        -------
        pandas.DataFrame
            The ``production`` rows (countries, "other" and "world" aggregates), with the
            chosen ``source``; empty when nothing covers the request.
        """
        rows = self._by_key.get((mineral, stage, measure), self.production.iloc[0:0])
        # Plain Python over a few hundred rows: much faster than chained pandas filters,
        # and supply() is called for every mineral and stage by every method.
        recs = list(
            zip(
                rows["source"].tolist(),
                rows["year"].tolist(),
                rows["entity_kind"].tolist(),
                rows["value"].isna().tolist(),
                rows["product"].tolist(),
                rows["edition"].tolist(),
                strict=True,
            )
        )
        ok = [not source or r[0].startswith(source) for r in recs]
        numeric = [
            r for r, keep in zip(recs, ok, strict=True) if keep and r[2] == "country" and not r[3]
        ]
        if not numeric:
            return rows.iloc[0:0]
        if year is None:
            # Sources whose newest year is within a year of the newest of all, then the
            # preferred one among them, then its latest year: the USGS 2023 figures beat World
            # Mining Data's 2024 ones, but USGS 2021 germanium does not beat WMD 2024.
            latest: dict[str, int] = {}
            for r in numeric:
                latest[r[0]] = max(latest.get(r[0], r[1]), r[1])
            newest = max(latest.values())
            src, _ = _preferred([r for r in numeric if latest[r[0]] >= newest - 1])
            year = latest[src]
        cands = [r for r in numeric if r[1] == year]
        if not cands:
            return rows.iloc[0:0]
        src, product = _preferred(cands)
        idx = [
            i
            for i, (r, keep) in enumerate(zip(recs, ok, strict=True))
            if keep and r[1] == year and r[0] == src and (product is None or r[4] == product)
        ]
        return rows.iloc[idx].reset_index(drop=True)


def _preferred(cands: list[tuple[Any, ...]]) -> tuple[str, str | None]:
    """(source, product) among candidate rows (source, year, kind, isna, product, edition)."""
    for prefix in SOURCE_PREFERENCE:
        hit = [r for r in cands if r[0].startswith(prefix)]
        if hit:
            src = sorted(hit, key=lambda r: (-r[5], r[0]))[0][0]
            products = Counter(r[4] for r in hit if r[0] == src)
            # Several products of one mineral and stage in one file (e.g. talc variants):
            # take the one covering the most countries.
            product = products.most_common(1)[0][0] if len(products) > 1 else None
            return src, product
    return str(cands[0][0]), None


def load(path: str | Path | None = None) -> Dataset:
    """Load a built critmin dataset (by default the embedded one).

    Examples
    --------
    >>> ds = load()
    >>> sorted(ds.production.columns)[:4]
    ['basis', 'country', 'edition', 'entity']
    >>> china = ds.supply("gallium", "refine", 2023, source="USGS MCS 2024")
    >>> float(china.loc[china.country == "CHN", "value"].iloc[0])
    600000.0
    """
    p = Path(path) if path is not None else default_dir()
    if path is None and _DEFAULT:
        # The embedded dataset is read-only: one shared object keeps every derived cache.
        return _DEFAULT[0]
    if not p.is_dir():
        raise DataError(
            [Problem(str(p), None, None, "a dataset folder built by `critmin data build`")]
        )
    ds = Dataset(p)
    _ = ds.manifest  # fail early on a folder that is not a dataset
    if path is None:
        _DEFAULT.append(ds)
    return ds


_DEFAULT: list[Dataset] = []
