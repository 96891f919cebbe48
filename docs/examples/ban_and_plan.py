"""Worked example 2: China's 2023 gallium and germanium controls, and a small plan against them.

Run from the repository root:

    .venv/bin/python docs/examples/ban_and_plan.py

It simulates the scenario file ``examples/china-gallium-germanium-2023.yaml`` (China's export
licensing of August 2023 and its December 2024 ban on sales to the United States), prints what
the OECD bloc loses, then evaluates a small plan on the same samples: a 5 million USD gallium
stockpile bought in 2023 and germanium refining capacity in the United States.
"""

from __future__ import annotations

from pathlib import Path

from critmin.policy.evaluate import evaluate
from critmin.policy.plan import Plan
from critmin.sim.runner import simulate
from critmin.sim.summary import summary

ROOT = Path(__file__).resolve().parents[2]  # the repository root
SCENARIO = ROOT / "examples" / "china-gallium-germanium-2023.yaml"
SAMPLES = 2000


def main() -> dict[str, float]:
    """Print the simulation and the plan comparison; return key figures for the docs tests."""
    # 1. Simulate. The scenario file says what happens (two export_restriction events, each
    #    with a low/central/high range for the share withheld, leakage through third
    #    countries and China's exported share); the market model (docs/model.md) turns it into
    #    shortfall, prices and stock releases for every mineral, sample and year. The result is
    #    an xarray Dataset; the seed comes from the file, so the run is reproducible.
    result = simulate(SCENARIO, samples=SAMPLES)
    print(f"{result.attrs.get('scenario', SCENARIO.name)}: {SAMPLES} samples")

    # 2. Summarise: one row per mineral, each sample's worst year. shortfall = the unmet share
    #    of the bloc's demand; price index = 1 at baseline; CVaR95 = mean of the worst 5 %.
    table = summary(result)
    touched = table[table["mineral"].isin(["gallium", "germanium"])]
    cols = [
        "mineral",
        "shortfall_mean",
        "shortfall_p95",
        "shortfall_cvar95",
        "price_index_p50",
        "years_to_recover_mean",
        "unmet_t_mean",
    ]
    print(touched[cols].to_string(index=False, float_format=lambda v: f"{v:.3f}"))

    # 3. A plan is a list of levers (docs/scenarios.md#plan-files). Here it is built in Python;
    #    the same mapping in a YAML file works with `critmin plan evaluate FILE --scenario ...`.
    #    - stockpile: tonnes bought at the baseline USGS price (usd / USD per t) in `start`,
    #      released when the bloc's gap exceeds the scenario's release_trigger;
    #    - refine: new capacity = usd / the sourced capital cost per t/yr, online after the
    #      country's permitting and the build time, then ramped up.
    plan = Plan.model_validate(
        {
            "name": "Gallium stock and US germanium refining",
            "items": [
                {"lever": "stockpile", "minerals": ["gallium"], "usd": 5.0e6, "start": 2023},
                {
                    "lever": "refine",
                    "minerals": ["germanium"],
                    "country": "USA",
                    "usd": 50.0e6,
                    "start": 2023,
                },
            ],
        }
    )

    # 4. Evaluate: the baseline and the plan run on the SAME samples (same seed, same draws),
    #    so the difference is the plan's effect and not sampling noise.
    ev = evaluate(plan, SCENARIO, samples=SAMPLES)
    print(f"\nPlan: {plan.name}, {plan.total_usd / 1e6:,.0f} million USD")
    print(
        ev.items[
            ["lever", "mineral", "country", "usd", "quantity_t", "online", "status"]
        ].to_string(index=False)
    )
    comp = ev.table.set_index("mineral").loc[["gallium", "germanium"]]
    print("\nbaseline -> plan (worst year per sample; unmet t over the horizon)")
    for m, r in comp.iterrows():
        print(
            f"  {m:<10} shortfall {r.shortfall_mean_base:6.1%} -> {r.shortfall_mean_plan:6.1%}"
            f"   P95 {r.shortfall_p95_base:6.1%} -> {r.shortfall_p95_plan:6.1%}"
            f"   unmet {r.unmet_t_base:7.1f} t -> {r.unmet_t_plan:7.1f} t"
        )

    # 5. Read the result. The stockpile is bought before the ban and released into the gap,
    #    so gallium's unmet tonnes fall. The germanium plant cannot help during the ban:
    #    permitting and construction put it online only in 2027 (the `online` column), after
    #    the restrictions of this scenario have ended (November 2025). Lead times matter. It
    #    only eases the years after, when holders rebuild the stocks they drew.
    online = ev.items.set_index("mineral").at["germanium", "online"]
    print(f"\n  the germanium plant is online from {online:.1f}; the controls end in 2025")

    ga, ge = comp.loc["gallium"], comp.loc["germanium"]
    return {
        "gallium_shortfall_mean": float(
            touched.set_index("mineral").at["gallium", "shortfall_mean"]
        ),
        "gallium_unmet_t_base": float(ga.unmet_t_base),
        "gallium_unmet_t_plan": float(ga.unmet_t_plan),
        "germanium_unmet_t_base": float(ge.unmet_t_base),
        "germanium_unmet_t_plan": float(ge.unmet_t_plan),
    }


if __name__ == "__main__":
    main()
