"""Benchmark: every risk method for every mineral, stage, importer and year in the dataset.

Times, on the embedded dataset:

* concentration (HHI both scales, top-1/3, China share) for every catalogue mineral, both
  stages and every USGS data year;
* GeoPolRisk for every mineral with HS codes × 38 OECD importers × every trade year
  2018–2024 (the years with World Mining Data production), in one vectorised call;
* the EU 2017 method and the USGS-style approximation for every data year;
* the composite score (default options) and its ranges across alternatives.

The GeoPolRisk comparison with geopolrisk-py's own loop is ``benchmarks/bench_geopolrisk.py``.
Run: ``.venv/bin/python benchmarks/bench_methods.py``.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

import critmin
from critmin.data.regions import builtin_regions
from critmin.metrics.composite import CompositeOptions, composite
from critmin.metrics.concentration import concentration_table
from critmin.metrics.eu import eu_assessment
from critmin.metrics.geopolrisk import GprInputs, geopolrisk
from critmin.metrics.uncertainty import score_ranges
from critmin.metrics.usgs_style import usgs_style_risk


def timed(label: str, fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    out = fn()
    s = time.perf_counter() - t0
    n = len(out) if hasattr(out, "__len__") else 0
    print(f"  {label:<62} {s:7.2f} s  ({n} rows)")
    return s


def main() -> None:
    ds = critmin.load()
    ds.production, ds.trade, ds.wgi  # noqa: B018 - load the tables outside the timings
    usgs = ds.production[ds.production["source"].str.startswith("USGS")]
    years = sorted(int(y) for y in usgs.loc[usgs["value"].notna(), "year"].unique())
    oecd = list(builtin_regions()["OECD"])
    as_of = dt.date(2026, 11, 27)
    print(f"critmin {critmin.__version__}: every method on the embedded dataset")
    total = 0.0

    def conc_all() -> list[object]:
        return [concentration_table(ds, year=y) for y in years]

    total += timed(f"concentration, 38 minerals x 2 stages x {len(years)} years", conc_all)
    inputs = GprInputs.from_dataset(ds)
    gpr_years = list(range(2018, 2025))
    total += timed(
        f"GeoPolRisk, all minerals x {len(oecd)} OECD importers x {len(gpr_years)} years",
        lambda: geopolrisk(inputs, importers=oecd, years=gpr_years),
    )
    total += timed(f"EU 2017 SR (USA), 38 minerals x {len(years)} years",
                   lambda: [eu_assessment(ds, year=y) for y in years])  # fmt: skip
    total += timed(f"USGS-style, 38 minerals x {len(years)} years",
                   lambda: [usgs_style_risk(ds, year=y) for y in years])  # fmt: skip
    total += timed("composite, 38 minerals",
                   lambda: composite(ds, CompositeOptions(as_of=as_of)))  # fmt: skip
    total += timed("composite ranges (8 alternatives)",
                   lambda: score_ranges(ds, CompositeOptions(as_of=as_of)))  # fmt: skip
    print(f"  {'all methods':<62} {total:7.2f} s")


if __name__ == "__main__":
    main()
