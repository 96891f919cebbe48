"""The BACI trade table, read pruned: the rows of some importers and years, and world totals.

The embedded trade table has 1.26 M rows; a question about one importer needs a few
thousand. :func:`trade_rows` reads only those (the columns GeoPolRisk needs, the rows of the
asked importers and years), from a copy of the table sorted by importer with small row groups
kept in the on-disk cache (:mod:`critmin.data.cache`) so Parquet statistics skip the other
importers' row groups; rows come back in the table's own order, so sums over them are
bit-identical to sums over the whole table filtered in memory. :func:`world_trade` gives the
per-HS-code, per-year world totals (also cached). (docs/decisions/0027-lazy-reads-cache-reduce.md)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from critmin.data.cache import cached_file, cached_frame

if TYPE_CHECKING:
    from critmin.data.dataset import Dataset

#: Columns of the trade table a computation on flows needs (no provenance).
TRADE_COLUMNS = [
    "year",
    "exporter",
    "importer",
    "exporter_code",
    "importer_code",
    "hs",
    "value",
    "quantity",
]
#: Prefix of the key of a BACI country without ISO3 (aggregates such as "Europe EFTA, nes").
BACI_KEY = "BACI"
#: Rows per row group of the cached copy sorted by importer (small: pruning is by group).
ROW_GROUP = 8192


def country_key(iso: pd.Series, code: pd.Series) -> pd.Series:
    """ISO3, or ``BACI<code>`` for BACI countries without one.

    Examples
    --------
    >>> country_key(pd.Series(["USA", None]), pd.Series([842, 697])).tolist()
    ['USA', 'BACI697']
    """
    fallback = BACI_KEY + code.astype("int64").astype(str)
    return iso.astype(object).where(iso.notna(), fallback)


#: Passes over the sorted order when the copy is built: each pass holds a quarter of it.
_PASSES = 4


def _write_sorted(src: Path, dest: Path) -> None:
    # All in Arrow and lean: a user's first GeoPolRisk question must stay under 300 MB
    # (≈ 550 MB when the table, its sorted copy and a pandas frame were all held). The sort
    # order comes from the two key columns; then, a quarter of the order at a time, each
    # column is read alone and its rows in that quarter taken and written, so no more than
    # one column and a quarter of the sorted copy are held (each column is read 4 times:
    # ≈ 1 s more than holding it all, once per dataset).
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    ids = pq.read_table(src, columns=["importer", "importer_code"])
    code = pc.cast(ids["importer_code"], pa.string())
    key = pc.coalesce(
        ids["importer"].cast(pa.string()), pc.binary_join_element_wise(BACI_KEY, code, "")
    )
    del ids, code
    # A stable sort on the key alone: ties keep the table's order (``_pos`` ascending).
    order = pc.sort_indices(key)
    schema = pq.read_schema(src)
    out = pa.schema(
        [schema.field(c) for c in TRADE_COLUMNS]
        + [pa.field("_key", pa.string()), pa.field("_pos", pa.int64())],
        metadata=schema.metadata,
    )
    n = len(order)
    # Pass boundaries on row-group multiples: the copy's row groups are those of one write.
    step = -(-n // (_PASSES * ROW_GROUP)) * ROW_GROUP
    pool = pa.default_memory_pool()
    with pq.ParquetWriter(dest, out, compression="zstd") as w:
        for lo in range(0, n, step):
            idx = order.slice(lo, step)
            part = []
            for c in TRADE_COLUMNS:
                part.append(pq.read_table(src, columns=[c]).column(c).take(idx))
                pool.release_unused()
            part += [key.take(idx), idx.cast(pa.int64())]
            w.write_table(pa.table(part, schema=out), row_group_size=ROW_GROUP)
            del part
    pool.release_unused()


def trade_rows(
    ds: Dataset, importers: Sequence[str] | None = None, years: Sequence[int] | None = None
) -> pd.DataFrame:
    """Trade rows (:data:`TRADE_COLUMNS`) of some importers (ISO3 or ``BACI<code>`` keys)
    and years, in the table's row order; all of them when both are None.

    Examples
    --------
    >>> from critmin.data.dataset import load
    >>> t = trade_rows(load(), ["USA", "JPN"], [2019])
    >>> sorted(set(t.importer)), sorted(set(t.year))
    (['JPN', 'USA'], [2019])
    """
    path = ds.path / "trade.parquet"
    if "trade" in ds._cache or importers is None:
        where: dict[str, list[object]] = {}
        if years is not None:
            where["year"] = [int(y) for y in years]
        df = ds.read("trade", TRADE_COLUMNS, where or None)
        if importers is not None:
            df = df[country_key(df["importer"], df["importer_code"]).isin(list(importers))]
        return df.reset_index(drop=True)
    import pyarrow.parquet as pq

    sorted_copy = cached_file("trade-by-importer", [path], lambda p: _write_sorted(path, p))
    if sorted_copy is None:  # no cache: scan the table with the filter
        df = ds.read("trade", TRADE_COLUMNS, {"year": [int(y) for y in years]} if years else None)
        keep = country_key(df["importer"], df["importer_code"]).isin(list(importers))
        return df[keep].reset_index(drop=True)
    filters: list[tuple[str, str, object]] = [("_key", "in", list(importers))]
    if years is not None:
        filters.append(("year", "in", [int(y) for y in years]))
    t = pq.read_table(sorted_copy, filters=filters)
    df = t.to_pandas().sort_values("_pos", kind="stable")
    return df[TRADE_COLUMNS].reset_index(drop=True)


def world_trade(ds: Dataset) -> pd.DataFrame:
    """World totals per HS code and year: ``hs, year, quantity`` (t, no figure → 0 t).

    Examples
    --------
    >>> from critmin.data.dataset import load
    >>> w = world_trade(load())
    >>> list(w.columns), bool((w.quantity >= 0).all())
    (['hs', 'year', 'quantity'], True)
    """
    path = ds.path / "trade.parquet"

    def compute() -> pd.DataFrame:
        if "trade" in ds._cache:  # the table is in memory already: sum it there
            t = ds.read("trade", ["hs", "year", "quantity"])
            t = t.assign(quantity=t["quantity"].fillna(0.0))
            out = t.groupby(["hs", "year"], as_index=False, sort=True)[["quantity"]].sum()
            return out.reset_index(drop=True)
        # In Arrow, batch by batch (HS codes as a dictionary): the three columns of 1.26 M
        # rows are never held whole, nor as a pandas frame (≈ 100 MB more at a user's first
        # GeoPolRisk question). The totals only say where trade exists (> 0), so summing
        # partial sums is exact enough.
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        parts = []
        f = pq.ParquetFile(path, read_dictionary=["hs"])
        for batch in f.iter_batches(batch_size=1 << 17, columns=["hs", "year", "quantity"]):
            q = pc.fill_null(batch.column("quantity"), 0.0)
            q = pc.if_else(pc.is_nan(q), 0.0, q)
            t = pa.table({"hs": batch.column("hs").cast(pa.string()), "year": batch.column("year"),
                          "quantity": q})  # fmt: skip
            parts.append(t.group_by(["hs", "year"]).aggregate([("quantity", "sum")]))
        g = pa.concat_tables(parts).group_by(["hs", "year"]).aggregate([("quantity_sum", "sum")])
        g = pa.table({"hs": g["hs"], "year": g["year"], "quantity": g["quantity_sum_sum"]}).sort_by(
            [("hs", "ascending"), ("year", "ascending")]
        )
        pa.default_memory_pool().release_unused()
        return g.to_pandas()

    return cached_frame("trade-world", [path], compute, version="2")
