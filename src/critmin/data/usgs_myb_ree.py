"""The USGS Minerals Yearbook 2022 rare-earth tables: deposit compositions and oxide prices.

``usgs_myb2022_rare_earths_tables.xlsx`` (advance data release, posted 19 March 2025) holds,
among others:

* **Table 2**, "Rare earth contents of selected source minerals": the percentage of total
  rare-earth oxide (REO) that each element makes up in the source mineral of a named deposit
  (bastnaesite at Bayan Obo and Mountain Pass, monazite at Mount Weld, rare-earth laterite, i.e.
  ion-adsorption clay, at Xunwu, Xinfeng and Longnan ...), each with the publication it comes
  from in a footnote. It is the basis for splitting mined REO into elements
  (:mod:`critmin.data.magnet_ree`).
* **Table 3**, "Average rare-earth oxide prices", 2021 and 2022, in dollars per kilogram of
  oxide with its purity (Argus Metals International, free on board China; scandium from
  Stanford Materials).

:func:`read_deposits` and :func:`read_oxide_prices` turn them into tidy tables; the package
ships both as ``data/reference/ree_deposits.csv`` and ``ree_oxide_prices.csv`` (written by
:func:`write_reference`, and checked against the workbook by the tests) so that the dataset
and the price table work on a machine without the raw files.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pandas as pd

from critmin.data.cells import parse_cell
from critmin.data.errors import DataError, Problem

#: Path of the workbook under the raw folder.
MYB_2022 = "usgs-rare-earths-historical/usgs_myb2022_rare_earths_tables.xlsx"
SOURCE = "USGS Minerals Yearbook 2022, Rare earths (advance data tables, posted 2025-03-19)"
EDITION = 2022

#: Element symbols of Table 2, in its column order.
ELEMENTS = ("La", "Ce", "Pr", "Nd", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Y")
#: Table 3 product names → element symbol.
OXIDE_PRODUCTS = {
    "scandium": "Sc", "yttrium": "Y", "lanthanum": "La", "cerium": "Ce", "praseodymium": "Pr",
    "neodymium": "Nd", "samarium": "Sm", "europium": "Eu", "gadolinium": "Gd", "terbium": "Tb",
    "dysprosium": "Dy",
}  # fmt: skip

DEPOSIT_COLUMNS = (
    "deposit_type", "country", "location", "element", "share_pct", "low_pct", "high_pct", "status",
    "unit", "reference", "source", "edition", "file", "row", "column", "cell",
)  # fmt: skip
PRICE_COLUMNS = (
    "product", "element", "purity_pct", "year", "value", "unit", "basis", "price_source", "source",
    "edition", "file", "row", "column", "cell",
)  # fmt: skip

_FOOTNOTE = re.compile(r"^(\d+)(Source: .*)$")
_TRAIL_DIGITS = re.compile(r"[\d, ]+$")


def _sheet(path: Path, name: str) -> list[tuple[Any, ...]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, data_only=True, read_only=True)
    except (OSError, KeyError, ValueError) as exc:
        raise DataError(
            [Problem(str(path), None, None, "the MYB 2022 workbook", str(exc))]
        ) from exc
    if name not in wb.sheetnames:
        raise DataError([Problem(str(path), None, name, f"a sheet {name!r}")])
    return [tuple(r) for r in wb[name].iter_rows(values_only=True)]


def _label(path: Path, root: Path | None) -> str:
    from critmin.data.files import file_label

    return file_label(path, root)


def _text(v: object) -> str:
    return "" if v is None else str(v).strip()


def read_deposits(path: Path, root: Path | None = None) -> pd.DataFrame:
    """Table 2: the share of each element in the total REO of each deposit's source mineral.

    One row per (deposit, element). ``share_pct`` is the percentage as printed; ``NA`` cells
    are kept with status ``missing`` (NaN), bounds such as ``<1.09`` with status ``bound`` and
    ``high_pct``. ``deposit_type`` repeats the primary source mineral over "Do." rows, ``country``
    over "do." rows; ``reference`` is the footnoted publication the row comes from.

    Examples
    --------
    The packaged copy (:func:`load_deposits`) is this function's output:

    >>> t2 = load_deposits()
    >>> float(t2[t2.location.str.startswith("Bayan Obo") & (t2.element == "Nd")].share_pct.iloc[0])
    18.5
    """
    rows = _sheet(path, "T2")
    label = _label(path, root)
    notes: dict[str, str] = {}
    for r in rows:
        m = _FOOTNOTE.match(_text(r[0]))
        if m:
            notes[m.group(1)] = m.group(2).removeprefix("Source: ").strip()
    header = next((i for i, r in enumerate(rows) if _text(r[0]) == "Primary Source"), None)
    if header is None:
        raise DataError([Problem(label, None, "T2", "a header row starting 'Primary Source'")])
    cols = {_text(v): j for j, v in enumerate(rows[header]) if _text(v) in ELEMENTS}
    if set(cols) != set(ELEMENTS):
        raise DataError([Problem(label, header + 1, "T2", f"columns {', '.join(ELEMENTS)}")])
    out: list[dict[str, Any]] = []
    dtype = country = ""
    i = header + 1
    while i < len(rows):
        r = rows[i]
        first = _text(r[0])
        if first.startswith("Do., do."):
            break
        loc = _text(r[4])
        if not loc or (first == "" and all(r[j] is None for j in cols.values())):
            i += 1
            continue
        dtype = dtype if first == "Do." else first
        country = country if _text(r[2]) == "do." else _text(r[2])
        # The location continues on the next line(s) (no figures there); the last part carries
        # the footnote digit(s) of the reference.
        parts = [loc]
        k = i + 1
        while (
            k < len(rows) and _text(rows[k][4]) and all(rows[k][j] is None for j in cols.values())
        ):
            parts.append(_text(rows[k][4]))
            k += 1
        full = " ".join(parts)
        digits = _TRAIL_DIGITS.search(full)
        refs = re.findall(r"\d+", digits.group(0)) if digits else []
        place = _TRAIL_DIGITS.sub("", full).strip()
        reference = "; ".join(notes.get(d, "") for d in refs if d in notes)
        for sym, j in cols.items():
            raw = r[j]
            cell = parse_cell(raw)
            value = cell.value
            status = cell.status
            low = high = math.nan
            if status == "bound":
                high = cell.high if not math.isnan(cell.high) else cell.low
                low = 0.0
            out.append(
                {
                    "deposit_type": dtype, "country": country, "location": place, "element": sym,
                    "share_pct": value, "low_pct": low, "high_pct": high, "status": status,
                    "unit": "% of total REO", "reference": reference, "source": SOURCE,
                    "edition": EDITION, "file": label, "row": i + 1,
                    "column": sym, "cell": _text(raw),
                }
            )  # fmt: skip
        i = k
    if not out:
        raise DataError([Problem(label, None, "T2", "deposit rows under the header")])
    return pd.DataFrame(out, columns=list(DEPOSIT_COLUMNS))


def read_oxide_prices(path: Path, root: Path | None = None) -> pd.DataFrame:
    """Table 3: average rare-earth oxide prices, in USD per kg of oxide, by year.

    Examples
    --------
    >>> t3 = load_oxide_prices()
    >>> float(t3[(t3.element == "Dy") & (t3.year == 2022)].value.iloc[0])
    382.0
    """
    rows = _sheet(path, "T3")
    label = _label(path, root)
    header = next((i for i, r in enumerate(rows) if _text(r[0]) == "Product (oxide)"), None)
    if header is None:
        raise DataError([Problem(label, None, "T3", "a header row 'Product (oxide)'")])
    years = {
        j: int(_text(v)) for j, v in enumerate(rows[header]) if re.fullmatch(r"\d{4}", _text(v))
    }
    purity_col = next(j for j, v in enumerate(rows[header]) if _text(v) == "(percent)")
    notes: dict[str, str] = {}
    for r in rows[header + 1 :]:
        m = re.match(r"^(\d)(.*)$", _text(r[0]))
        if m and not re.search(r"\d,", _text(r[0])[:3]):
            notes[m.group(1)] = m.group(2).strip()
    out: list[dict[str, Any]] = []
    for i in range(header + 1, len(rows)):
        r = rows[i]
        name = _text(r[0])
        m = re.match(r"^([A-Za-z]+)([\d, ]*)$", name)
        if not m or m.group(1).lower() not in OXIDE_PRODUCTS:
            continue
        refs = re.findall(r"\d", m.group(2))
        basis = "; ".join(
            notes[d].rstrip(".") for d in refs if d in notes and not notes[d].startswith("Source")
        )
        price_source = next((notes[d] for d in refs if notes.get(d, "").startswith("Source")), "")
        for j, year in years.items():
            cell = parse_cell(r[j])
            out.append(
                {
                    "product": f"{m.group(1)} oxide", "element": OXIDE_PRODUCTS[m.group(1).lower()],
                    "purity_pct": _purity(r[purity_col]), "year": year,
                    "value": cell.value, "unit": "USD/kg", "basis": basis,
                    "price_source": price_source.removeprefix("Source: ").rstrip("."),
                    "source": SOURCE, "edition": EDITION, "file": label, "row": i + 1,
                    "column": str(year), "cell": _text(r[j]),
                }
            )  # fmt: skip
    if not out:
        raise DataError([Problem(label, None, "T3", "oxide price rows")])
    return pd.DataFrame(out, columns=list(PRICE_COLUMNS))


def _purity(v: object) -> float:
    return float(str(v)) if v is not None and _text(v) else math.nan


#: The packaged copies of Tables 2 and 3.
REFERENCE_DIR = Path(__file__).with_name("reference")
DEPOSITS_PATH = REFERENCE_DIR / "ree_deposits.csv"
OXIDE_PRICES_PATH = REFERENCE_DIR / "ree_oxide_prices.csv"


def write_reference(raw: Path, out: Path = REFERENCE_DIR) -> list[Path]:
    """(Re)write the packaged copies of Tables 2 and 3 from the raw folder."""
    path = raw / MYB_2022
    written = []
    for df, name in (
        (read_deposits(path, raw), DEPOSITS_PATH.name),
        (read_oxide_prices(path, raw), OXIDE_PRICES_PATH.name),
    ):
        p = out / name
        df.to_csv(p, index=False, lineterminator="\n")
        written.append(p)
    return written


def load_deposits(path: Path = DEPOSITS_PATH) -> pd.DataFrame:
    """The packaged Table 2 (see :func:`read_deposits`)."""
    return pd.read_csv(path, dtype={"cell": str}, keep_default_na=False, na_values=[""])


def load_oxide_prices(path: Path = OXIDE_PRICES_PATH) -> pd.DataFrame:
    """The packaged Table 3 (see :func:`read_oxide_prices`)."""
    return pd.read_csv(path, dtype={"cell": str}, keep_default_na=False, na_values=[""])
