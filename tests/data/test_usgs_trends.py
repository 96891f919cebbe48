"""Tests of the USGS MCS trend-table importers (critmin.data.usgs_trends)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from critmin.data.errors import DataError
from critmin.data.schema import check
from critmin.data.usgs_trends import (
    CRITICAL_SALIENT_COLUMNS,
    T5_VARIABLES,
    import_trends,
    mineral_for_label,
    read_critical_salient,
    read_end_uses,
    read_net_import_reliance,
    split_sources,
)
from tests.rawdata import raw_root

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "usgs_trends"


@pytest.fixture(scope="module")
def raw() -> Path:
    return raw_root()


def nir_of(df: pd.DataFrame, commodity: str) -> pd.Series:
    rows = df[df["commodity"] == commodity]
    assert len(rows) == 1, rows
    return rows.iloc[0]


# --------------------------------------------------------------------------- net import reliance


def test_fig2_2024_golden_values(raw: Path) -> None:
    df = read_net_import_reliance(
        raw / "usgs-mcs2024-trends" / "MCS2024_Fig2_Net_Import_Reliance.csv", raw
    )
    assert len(df) == 63
    ga = nir_of(df, "GALLIUM")
    assert (ga["mineral"], ga["year"], ga["value"], ga["status"]) == (
        "gallium",
        2023,
        100.0,
        "reported",
    )
    assert ga["import_sources"] == "JPN;CHN;DEU;CAN"
    assert ga["sources_period"] == "2019-2022"
    assert (ga["row"], ga["column"], ga["cell"]) == (6, "Net_Import_Reliance_pct_2023", "100")
    assert ga["file"] == "usgs-mcs2024-trends/MCS2024_Fig2_Net_Import_Reliance.csv"
    ge = nir_of(df, "GERMANIUM")
    assert (ge["mineral"], ge["status"], ge["low"], ge["import_sources"]) == (
        "germanium",
        "bound",
        50.0,
        "BEL;CHN;CAN",
    )
    assert math.isnan(ge["value"])
    ree = nir_of(df, "RARE EARTHS, compounds and metals")
    assert (ree["mineral"], ree["status"], ree["low"], ree["import_sources"]) == (
        "rare_earths",
        "bound",
        95.0,
        "CHN;MYS;JPN;EST",
    )
    arsenic = nir_of(df, "ARSENIC, all forms")
    assert arsenic["mineral"] == "arsenic"
    assert nir_of(df, "INDIUM")["import_sources"] == "KOR;CAN;BEL"  # "Republic of Korea"
    assert nir_of(df, "BAUXITE")["mineral"] == "bauxite"
    assert nir_of(df, "STONE (DIMENSION)")["import_sources"] == "BRA;CHN;ITA;TUR"


def test_fig2_2023_and_2025_layouts(raw: Path) -> None:
    old = read_net_import_reliance(
        raw / "usgs-mcs2023-trends" / "MCS2023_Fig2_Net_Import_Reliance.csv", raw
    )
    assert len(old) == 65 and set(old["year"]) == {2022}
    assert set(old["sources_period"]) == {"2018-2021"}
    scandium = nir_of(old, "SCANDIUM")
    assert scandium["import_sources"] == "CHN;JPN;PHL"  # "Europe" has no ISO3 code
    assert any("Europe" in n for n in old.attrs["notes"])
    diamond = nir_of(old, "DIAMOND (INDUSTRIAL), stones")
    assert diamond["import_sources"] == "ZAF;COD;IND;SLE"
    new = read_net_import_reliance(
        raw / "usgs-mcs2025-trends" / "MCS2025_Fig2_Net_Import_Reliance.csv", raw
    )
    assert len(new) == 64 and set(new["edition"]) == {2025}
    assert nir_of(new, "GALLIUM, metal")["mineral"] == "gallium"
    assert nir_of(new, "ALUMINUM")["import_sources"] == "CAN;ARE;BHR;CHN"  # "China3"


def test_mineral_for_label_never_drops() -> None:
    assert mineral_for_label("ARSENIC, all forms") == "arsenic"
    assert mineral_for_label("GRAPHITE (NATURAL)") == "graphite"
    assert mineral_for_label("TITANIUM, sponge metal") == "titanium"
    assert mineral_for_label("DIAMOND (INDUSTRIAL), stones") == "industrial_diamond"
    assert mineral_for_label("Unobtainium, refined") == "unobtainium"


def test_split_sources_keeps_comma_names() -> None:
    assert split_sources("Korea, Republic of, China") == ["Korea, Republic of", "China"]
    assert split_sources("") == []


# --------------------------------------------------------------------------- T5


def test_t5_2024_antimony(raw: Path) -> None:
    df = read_critical_salient(
        raw / "usgs-mcs2024-trends" / "MCS2024_T5_Critical_Minerals_Salient.csv", raw
    )
    assert tuple(df.columns) == CRITICAL_SALIENT_COLUMNS
    sb = df[df["mineral"] == "antimony"].set_index("variable")
    assert set(sb.index) == set(T5_VARIABLES)
    share = sb.loc["Leading_source_precent_world"]
    assert (share["value"], share["unit"], share["status"], share["year"]) == (
        48.0,
        "%",
        "estimated",
        2023,
    )
    assert share["leading_source_country"] == "CHN"
    assert sb.loc["Apparent_Consumption", "value"] == 22000.0
    assert sb.loc["Apparent_Consumption", "column"] == "Apparent_Consuption"
    assert sb.loc["World_total_prod", "value"] == 83000.0
    assert sb.loc["World_total_prod", "unit"] == "t"
    assert sb.loc["Primary_prod", "value"] == 0.0
    lithium = df[df["mineral"] == "lithium"].set_index("variable")
    assert lithium.loc["Primary_prod", "status"] == "withheld"
    assert lithium.loc["Net_Import_Reliance", "low"] == 25.0
    zinc = df[df["mineral"] == "zinc"]
    assert zinc["leading_source_country"].isna().all()  # "NA"
    assert set(df["mineral"]) >= {"bauxite", "rare_earths", "titanium", "gallium"}


def test_t5_2025_column_order_and_spelling(raw: Path) -> None:
    df = read_critical_salient(
        raw / "usgs-mcs2025-trends" / "MCS2025_T5_Critical_Minerals_Salient.csv", raw
    )
    sb = df[df["mineral"] == "antimony"].set_index("variable")
    assert sb.loc["Leading_source_precent_world", "value"] == 60.0
    assert sb.loc["World_total_prod", "value"] == 100000.0
    assert sb.loc["Apparent_Consumption", "column"] == "Apparent_Consumption"
    be = df[df["mineral"] == "beryllium"].set_index("variable")
    assert be.loc["Net_Import_Reliance", "status"] == "net_exporter"
    assert set(be["leading_source_country"]) == {"USA"}
    indium = df[df["mineral"] == "indium"]
    assert set(indium["primary_import_source"]) == {"KOR"}  # " Republic of Korea"


# --------------------------------------------------------------------------- T4 and folder


def test_end_uses_and_import_trends(raw: Path) -> None:
    tables = import_trends(raw, 2023)
    assert set(tables) == {"import_reliance", "critical_salient", "end_uses"}
    assert tables["critical_salient"].empty and tables["critical_salient"].attrs["missing"]
    for edition in (2024, 2025):
        tables = import_trends(raw, edition)
        check(tables["import_reliance"], "import_reliance")
        uses = tables["end_uses"]
        check(uses, "end_uses")
        assert len(uses) == 50
        ga = uses[uses["mineral"] == "gallium"].iloc[0]
        assert ga["applications"] == "Integrated circuits and optical devices."
        assert set(uses["edition"]) == {edition}
        assert len(tables["critical_salient"]) == 31 * 7
    direct = read_end_uses(
        raw / "usgs-mcs2025-trends" / "MCS2025_T4_Critical_Minerals_End_Use.csv", raw
    )
    assert direct["row"].tolist() == list(range(2, 52))


# --------------------------------------------------------------------------- broken corpus


@pytest.mark.parametrize(
    ("reader", "name", "row", "field", "words"),
    [
        (
            read_net_import_reliance,
            "atlantis_MCS2024_Fig2_Net_Import_Reliance.csv",
            3,
            "Major_Import_Sources_2019_2022",
            "'Atlantis'",
        ),
        (
            read_net_import_reliance,
            "nir_over_100_MCS2024_Fig2_Net_Import_Reliance.csv",
            3,
            "Net_Import_Reliance_pct_2023",
            "between 0 and 100 %",
        ),
        (
            read_net_import_reliance,
            "text_nir_MCS2024_Fig2_Net_Import_Reliance.csv",
            2,
            "Net_Import_Reliance_pct_2023",
            "a percentage",
        ),
        (
            read_net_import_reliance,
            "no_commodity_MCS2024_Fig2_Net_Import_Reliance.csv",
            1,
            "Commodity",
            "a 'Commodity' column",
        ),
        (
            read_net_import_reliance,
            "no_year_column_MCS2024_Fig2_Net_Import_Reliance.csv",
            1,
            "Net_Import_Reliance_pct_<year>",
            "named with its year",
        ),
        (
            read_critical_salient,
            "negative_MCS2025_T5_Critical_Minerals_Salient.csv",
            2,
            "Apparent_Consumption",
            "a non-negative quantity",
        ),
        (
            read_critical_salient,
            "bad_year_MCS2025_T5_Critical_Minerals_Salient.csv",
            2,
            "Year",
            "2023_estimated",
        ),
        (
            read_critical_salient,
            "percent_over_100_MCS2025_T5_Critical_Minerals_Salient.csv",
            2,
            "Leading_source_precent_world",
            "between 0 and 100 %",
        ),
        (
            read_end_uses,
            "missing_applications_MCS2025_T4_Critical_Minerals_End_Use.csv",
            3,
            "Primary Applications",
            "the primary applications",
        ),
        (
            read_end_uses,
            "latin1_MCS2025_T4_Critical_Minerals_End_Use.csv",
            2,
            "Primary Applications",
            "UTF-8 text",
        ),
    ],
)
def test_broken_file(reader: object, name: str, row: int, field: str, words: str) -> None:
    assert callable(reader)
    with pytest.raises(DataError) as info:
        reader(CORPUS / name, CORPUS)
    err = info.value
    assert len(err.problems) == 1
    problem = err.problems[0]
    message = str(err)
    assert problem.file == name and message.startswith(name)
    assert problem.row == row and f"row {row}" in message
    assert problem.field == field and f"field {field!r}" in message
    assert words in message
