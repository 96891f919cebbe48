"""Worked example 1: a profile of gallium, from the embedded dataset.

Run from the repository root:

    .venv/bin/python docs/examples/mineral_profile.py

It walks through the questions a first look at one mineral asks: where is it mined and
refined, how concentrated is each stage, how much of it is Chinese, how exposed is AI hardware
on it (the composite score, component by component), and how much of it the AI build-out
needs next to world supply.
"""

from __future__ import annotations

import critmin
from critmin.demand.demand import ai_demand
from critmin.metrics.concentration import (
    bottleneck,
    concentration_table,
    hhi_points,
    shares,
    stage_concentration,
)
from critmin.metrics.methods import run

MINERAL = "gallium"


def main() -> dict[str, float]:
    """Print the profile and return its key figures (the docs tests check them)."""
    # 1. The embedded dataset: pandas DataFrames built from USGS, IEA, World Mining Data, WGI
    #    and BACI releases. No network and no ../shared folder are needed.
    ds = critmin.load()
    figures: dict[str, float] = {}
    world_t: dict[str, float] = {}  # the stage's total output in tonnes

    # 2. Supply by stage. `ds.supply` answers "production of X at stage S" from ONE source
    #    (the preferred one, docs/decisions/0004), with every country's figure, its status
    #    (reported, estimated, withheld ...) and a provenance key back to the raw file.
    print(f"== {MINERAL}: who produces it ==")
    for stage in ("mine", "refine"):
        rows = ds.supply(MINERAL, stage)
        if rows.empty:
            # Gallium is a by-product: it is recovered from alumina (Bayer liquor) and zinc
            # refining, so no source reports a "gallium mine" stage by country.
            print(f"{stage:>6}: no country data (a by-product: see the refine stage)")
            continue
        # `shares` drops the world-total row and adds a 0-1 share of the sum of the countries
        # plus "Other countries" (docs/decisions/0003).
        table = shares(rows)
        year, source = int(rows["year"].iloc[0]), rows["source"].iloc[0]
        print(f"{stage:>6}: {source}, {year}, unit {rows['unit'].iloc[0]}")
        for r in table.head(4).itertuples():
            print(f"        {r.entity:<22} {r.value:>12,.0f}  {r.share:6.1%}")

        # 3. Concentration of the stage: HHI on 0-1 (GeoPolRisk's scale) and on 0-10,000
        #    (competition authorities: above 1,800 is "highly concentrated"), top producer
        #    and China's share.
        c = stage_concentration(rows)
        points = hhi_points(table.loc[table["entity_kind"] == "country", "share"])
        print(
            f"        HHI {c['hhi']:.3f} (= {points:,.0f} points), "
            f"top {c['top1']} {c['top1_share']:.1%}, China {c['china_share']:.1%}"
        )
        figures[f"{stage}_hhi"] = float(c["hhi"])
        figures[f"{stage}_china_share"] = float(c["china_share"])
        to_t = {"t": 1.0, "kg": 1e-3}[rows["unit"].iloc[0]]
        world_t[stage] = float(table["value"].sum()) * to_t

    # For contrast, a mineral whose two stages are led by different countries. The stage
    # bottleneck is the more concentrated stage; `gap` = HHI(refine) - HHI(mine).
    both = concentration_table(ds, [MINERAL, "cobalt"])
    print("\n== stage bottleneck ==")
    for r in both.itertuples():
        if r.hhi == r.hhi:  # skip the stage gallium does not have (NaN)
            print(f"  {r.mineral:<8} {r.stage:<6} HHI {r.hhi:.3f}  top {r.top1} {r.top1_share:.0%}")
    for r in bottleneck(both).itertuples():
        print(f"  {r.mineral:<8} bottleneck: {r.bottleneck} (leaders differ: {r.leaders_differ})")

    # 4. The composite AI-exposure score (docs/decisions/0008): six 0-1 components, each
    #    shown, averaged over those with data. `run` is what `critmin risk` calls.
    scores, title = run(ds, "composite")
    row = scores.set_index("mineral").loc[MINERAL]
    print(f"\n== {title} ==")
    print(f"rank {int(row['rank'])} of {len(scores)}, score {row['score']:.3f}")
    for comp in (
        "concentration",
        "governance",
        "china",
        "import_reliance",
        "restrictions",
        "ai_components",
    ):
        print(f"  {comp:<16} {row[comp]:.3f}")
    figures["composite_score"] = float(row["score"])
    figures["composite_rank"] = float(row["rank"])

    # 5. AI demand (docs/decisions/0009): new data-centre IT capacity (IEA Energy and AI,
    #    Base case) times material intensity per MW, in tonnes, with a low/central/high
    #    range of intensities. Summed over the components that contain gallium.
    demand = ai_demand("base", years=[2025, 2030, 2035, 2040])
    ga = demand.sel(mineral=MINERAL).sum("component").to_pandas()
    world = world_t["refine"]
    print(f"\n== AI demand for {MINERAL}, t/yr ({demand.attrs['scenario']}) ==")
    print(f"  beside world primary refining of {world:,.0f} t (held flat)")
    for year, r in ga.iterrows():
        print(
            f"  {year}: low {r['low']:.3f}  central {r['central']:.3f}  high {r['high']:.2f}"
            f"  ({r['central'] / world:.2%} of world output, central)"
        )
    figures["ai_demand_2030_central_t"] = float(ga.loc[2030, "central"])
    return figures


if __name__ == "__main__":
    main()
