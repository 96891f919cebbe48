"""Geopolitical alignment between countries: UN General Assembly ideal points.

The table ``reference/unga_alignment.csv`` (package data) holds, per country and year
2005–2024, the final-passage ideal point of Bailey, Strezhnev and Voeten (July 2025 release,
``idealpointfp``) and its distance to the United States' and to China's ideal point the same
year. It is derived from the raw release by :func:`alignment_from_raw` (regenerate with
``critmin hazard alignment --raw <folder>``) and read by :func:`load_alignment`.

Source: Erik Voeten, Anton Strezhnev and Michael Bailey, "United Nations General Assembly
Voting Data", Harvard Dataverse, https://doi.org/10.7910/DVN/LEJUQZ, file
``IdealpointsJuly2025.dta`` (July 2025 release); method: Bailey, Strezhnev and Voeten (2017),
"Estimating dynamic state preferences from United Nations voting data", *Journal of Conflict
Resolution* 61 (2): 430–456; raw votes: Fjelstul, Hug and Kilby (2025), UNGA-DM.
The distance between two countries is the absolute difference of their ideal points (the
``IdealPointDistance`` of the authors' dyadic file).
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

import pandas as pd

RAW_FILE = "IdealpointsJuly2025.dta"
YEARS = (2005, 2024)
SOURCE = (
    "Bailey, Strezhnev and Voeten, UNGA ideal points, July 2025 release "
    "(IdealpointsJuly2025.dta, idealpointfp), https://doi.org/10.7910/DVN/LEJUQZ"
)
COLUMNS = ["country", "year", "ideal_point", "dist_usa", "dist_chn"]


def alignment_from_raw(raw_dir: str | Path, years: tuple[int, int] = YEARS) -> pd.DataFrame:
    """The alignment table from the raw release folder (``unga-voting/``).

    Countries are the release's ``iso3c`` codes; rows without one, or without an ideal point,
    are dropped. ``dist_usa`` / ``dist_chn`` are missing in a year the USA or China has none.
    """
    raw = pd.read_stata(Path(raw_dir) / RAW_FILE)
    raw = raw[raw["year"].between(*years) & raw["iso3c"].notna() & (raw["iso3c"] != "")]
    df = pd.DataFrame(
        {
            "country": raw["iso3c"].astype(str),
            "year": raw["year"].astype(int),
            "ideal_point": raw["idealpointfp"].astype(float),
        }
    ).dropna(subset=["ideal_point"])
    ref = df.pivot_table(index="year", columns="country", values="ideal_point")
    df["dist_usa"] = (df["ideal_point"] - df["year"].map(ref["USA"])).abs()
    df["dist_chn"] = (df["ideal_point"] - df["year"].map(ref["CHN"])).abs()
    df = df.sort_values(["country", "year"]).reset_index(drop=True)
    return df[COLUMNS].round({"ideal_point": 4, "dist_usa": 4, "dist_chn": 4})


@functools.cache
def load_alignment() -> pd.DataFrame:
    """The shipped alignment table (country, year, ideal point, distance to USA and China).

    Examples
    --------
    >>> a = load_alignment().set_index(["country", "year"])
    >>> float(a.loc[("USA", 2024), "dist_usa"]), float(a.loc[("CHN", 2024), "dist_chn"])
    (0.0, 0.0)
    >>> bool(a.loc[("CHN", 2024), "dist_usa"] > a.loc[("AUS", 2024), "dist_usa"])
    True
    """
    path = resources.files("critmin.data").joinpath("reference/unga_alignment.csv")
    with path.open("r", encoding="utf-8") as f:
        return pd.read_csv(f, dtype={"country": str})


def ideal_points(year: int) -> pd.Series:
    """Each country's ideal point in ``year`` (its latest earlier year when it has none)."""
    a = load_alignment()
    a = a[a["year"] <= year].sort_values("year")
    return a.groupby("country")["ideal_point"].last()
