"""US import shares (MCS 2026): one file, one series; the EU sourcing term; the profile."""

from __future__ import annotations

import math

import critmin
from critmin.data.usgs_mcs2026 import SALIENT_NAMES
from critmin.metrics.eu import EUParameters, eu_assessment
from critmin.metrics.import_shares import import_share_rows, us_import_shares
from critmin.metrics.profile import profile


def test_one_file_never_both() -> None:
    ds = critmin.load()
    rows = import_share_rows(ds, "cobalt")
    assert rows["file"].nunique() == 1
    assert rows["file"].iloc[0].endswith("Fig3_Major_Import_Sources.csv")
    assert math.isclose(rows["share"].sum(), 1.0)
    # Only the long file lists molybdenum: every series of it, still one file.
    assert import_share_rows(ds, "molybdenum")["file"].str.contains("Commodities_Data").all()


def test_series_choice() -> None:
    ds = critmin.load()
    g = us_import_shares(ds, "gallium")
    assert g is not None and dict(g.shares.round(2)) == {
        "CAN": 0.28,
        "JPN": 0.22,
        "CHN": 0.18,
        "DEU": 0.16,
    }
    assert math.isclose(g.other, 0.16) and g.period == "2021-24" and g.edition == 2026
    ti = us_import_shares(ds, "titanium", "refine")
    assert ti is not None and "Sponge" in ti.commodity
    assert us_import_shares(ds, "neodymium") is None


def test_eu_sourcing_uses_shares_and_says_so() -> None:
    ds = critmin.load()
    new = eu_assessment(ds).set_index("mineral")
    old = eu_assessment(ds, params=EUParameters(sourcing="gs_only")).set_index("mineral")
    g = new.loc["gallium"]
    assert g["sourcing"].startswith("import shares 2021-24, USGS MCS 2026")
    assert "CAN 28%" in g["notes"]
    # IR = 1: SR = (HHI_GS/2 + HHI_sourcing/2)·(1 − EoL)·SI, below the GS-only value.
    assert g["sr"] < old.loc["gallium", "sr"]
    # A net exporter falls back to global supply only, and says why.
    b = new.loc["boron"]
    assert b["sourcing"].startswith("GS only (fallback")
    assert "net exporter → global supply only" in b["notes"]
    assert b["sr"] == old.loc["boron", "sr"]


def test_salient_names_line_up() -> None:
    assert SALIENT_NAMES[("gallium", "Imports_Gallium arsenide wafers (gross weight)")] == (
        "Imports_GaAs"
    )
    sal = critmin.load().salient
    ga = sal[(sal["mineral"] == "gallium") & (sal["variable"] == "Imports_GaAs")]
    assert {2022, 2024, 2026} <= set(ga["edition"])
    assert not (sal["variable"] == "USprod_Mineral concentrates").any()


def test_profile_import_sources_section() -> None:
    p = profile(critmin.load(), "gallium")
    sec = p[p["section"] == "US import sources 2021\u201324"]
    assert sec["item"].tolist()[0] == "Canada (28%)"
    assert (sec["source"] == "USGS MCS 2026 (Fig. 3)").all() and (sec["year"] == 2024).all()
    nir = p[p["section"] == "US net import reliance"]
    assert nir["item"].str.contains("CHN;DEU;JPN;UKR").any()  # older years keep the text line
    sal = p[p["section"] == "US salient statistics"]
    assert not sal.duplicated(["item", "year"]).any()
    assert not sal["item"].str.startswith("Imports_Gallium arsenide").any()


def test_rows_state_year_and_edition() -> None:
    from critmin.analysis import supply_risk
    from critmin.analysis.demand import ai_demand_table
    from critmin.metrics.overview import overview

    ds = critmin.load()
    for method, keys in {
        "composite": ("year", "source"),
        "eu": ("year", "source", "ir_year", "ir_source"),
        "usgs": ("year", "source", "te_year", "te_source"),
        "geopolrisk": ("year", "source"),
        "hhi": ("year", "source"),
    }.items():
        f = supply_risk(method, ds=ds).frame.set_index("mineral")
        for k in keys:
            assert k in f.columns, (method, k)
        if method != "geopolrisk":
            assert str(f.loc["cobalt", "source"]).startswith(("USGS", "IEA")), method
    ov = overview(ds).set_index("mineral")
    assert ov.loc["cobalt", "net_import_reliance_source"] == "USGS MCS 2026"
    assert ov.loc["cobalt", "us_production_source"] == "USGS MCS 2026"
    ctx = ai_demand_table(view="context", ds=ds).frame.set_index("mineral")
    assert {"data_year", "edition"} <= set(ctx.columns)
    pd_row = ctx.loc["palladium"].iloc[0]
    assert pd_row["data_year"] == 2025 and pd_row["edition"] == "USGS MCS 2026"
