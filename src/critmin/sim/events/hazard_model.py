"""The default hazard model: how likely a producing country is to restrict exports, per year.

Base rate (from the record, not assumed): the distinct minerals China put under export
control in 2023–2025 (the dataset's ``restrictions`` table) divided by the mineral-years at
risk (3 years × the catalogue minerals of which China produces at least ``min_share`` at the
last stage). Other countries: the base rate scaled by their GeoPolRisk political-instability
weight relative to China's, ``w_c / w_CHN`` with ``w = clip((2.5 − PV) / 5, 0, 1)`` (WGI
political stability, latest year). This relative scaling is an assumption: the record holds
only China's controls. Duration: triangular 1–2–5 years (an assumption: the Dec 2024 US ban
was suspended after 11 months; the 2023 licensing regimes are still in force). Share
withheld: triangular 0.5–0.7–0.97, from the observed export drops after the 2023 gallium
(−69 %) and 2024 antimony (−97 %) controls (REFERENCE §5.6). ``scale`` multiplies every
probability (a user's own view); the whole model is replaced by writing
``stochastic_restriction`` events instead.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pandas as pd

from critmin.data.catalogue import MINERAL_IDS
from critmin.data.catalogue import mineral as catalogue_mineral
from critmin.data.dataset import Dataset
from critmin.metrics.governance import gpr_weight
from critmin.sim.events.stochastic_restriction import StochasticRestriction
from critmin.sim.schema import FractionRange, Range


class DefaultHazards(Protocol):
    """What the model reads of a ``default_hazards`` event (a protocol, so this module and
    the event's own module do not import each other)."""

    @property
    def minerals(self) -> list[str] | None: ...
    @property
    def countries(self) -> list[str] | None: ...
    @property
    def min_share(self) -> float: ...
    @property
    def scale(self) -> float: ...


def last_stage(mineral: str) -> str:
    """The mineral's last stage with a basis in the catalogue (refine if it has one)."""
    return "refine" if "refine" in catalogue_mineral(mineral).basis else "mine"


RECORD_YEARS = (2023, 2025)
DURATION = Range(low=1.0, central=2.0, high=5.0)
SHARE = FractionRange(low=0.5, central=0.7, high=0.97)
SOURCE = "critmin default hazard model (docs/model.md; REFERENCE §5.5-5.6)"


def base_rate(ds: Dataset, min_share: float = 0.1) -> tuple[float, int, int]:
    """China's observed restriction rate per mineral-year (cached per dataset)."""
    result: tuple[float, int, int] = ds.memo(("sim.base_rate", min_share),
                                             lambda: _base_rate(ds, min_share))  # fmt: skip
    return result


def _base_rate(ds: Dataset, min_share: float = 0.1) -> tuple[float, int, int]:
    """China's observed restriction rate per mineral-year: (rate, restricted, at risk).

    Examples
    --------
    >>> import critmin
    >>> rate, restricted, at_risk = base_rate(critmin.load())
    >>> restricted, 0.0 < rate < 1.0  # dysprosium and terbium named by the Apr 2025 licensing
    (13, True)
    """
    r = ds.restrictions
    r = r[r["country"] == "CHN"]
    years = pd.to_numeric(r["announced"].astype(str).str[:4], errors="coerce")
    r = r[years.between(*RECORD_YEARS)]
    restricted = {m for ms in r["minerals"] for m in str(ms).split(";") if m}
    at_risk = 0
    for m in MINERAL_IDS:
        stage = last_stage(m)
        rows = ds.supply(m, stage)
        if rows.empty:
            continue
        tot = rows.loc[rows["entity_kind"].isin(["country", "other"]), "value"].sum()
        chn = rows.loc[rows["country"] == "CHN", "value"].sum()
        if tot > 0 and chn / tot >= min_share:
            at_risk += 1
    n_years = RECORD_YEARS[1] - RECORD_YEARS[0] + 1
    restricted_here = len(restricted)
    return restricted_here / (n_years * max(at_risk, 1)), restricted_here, at_risk


def _pv_weights(ds: Dataset) -> pd.Series:
    wgi = ds.wgi[ds.wgi["indicator"] == "pv"]
    latest = wgi[wgi["year"] == wgi["year"].max()].set_index("country")["estimate"]
    return pd.Series(gpr_weight(latest.to_numpy()), index=latest.index)


def hazard_cells(
    ev: DefaultHazards,
    minerals: tuple[str, ...],
    stage_shares: dict[tuple[int, int], pd.Series],
) -> list[tuple[str, str, str, float]]:
    """(mineral, stage, country, share) of every cell a hazard model covers: each mineral at
    the last stage it is simulated at (tin: mine, its smelters have no data), each country
    holding at least ``min_share`` of it, within the event's minerals and countries."""
    out = []
    for j, m in enumerate(minerals):
        if ev.minerals is not None and m not in ev.minerals:
            continue
        k = 1 if (j, 1) in stage_shares else 0
        sh = stage_shares.get((j, k), pd.Series(dtype=float))
        for c, share in sh.sort_index().items():
            if share < ev.min_share or (ev.countries is not None and c not in ev.countries):
                continue
            out.append((m, ("mine", "refine")[k], str(c), float(share)))
    return out


def default_restrictions(
    ev: DefaultHazards,
    ds: Dataset,
    minerals: tuple[str, ...],
    stage_shares: dict[tuple[int, int], pd.Series],
) -> list[StochasticRestriction]:
    """The stochastic restrictions the default model stands for (one per country × mineral)."""
    rate, _, _ = base_rate(ds, ev.min_share)
    w = _pv_weights(ds)
    w_chn = float(w.get("CHN", np.nan))
    out = []
    for m, stage, c, _share in hazard_cells(ev, minerals, stage_shares):
        wc = float(w.get(c, np.nan))
        rel = wc / w_chn if wc == wc and w_chn > 0 else 1.0  # no WGI: China's rate
        p = float(min(1.0, rate * ev.scale * rel))
        if p <= 0:
            continue
        out.append(
            StochasticRestriction(
                type="stochastic_restriction",
                country=str(c),
                minerals=[m],
                stage=stage,  # type: ignore[arg-type]
                annual_probability=p,
                duration_years=DURATION,
                share=SHARE,
                source=SOURCE,
            )
        )
    return out
