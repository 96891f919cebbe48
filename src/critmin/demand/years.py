"""The build-out's default years, in a module of its own: the CLI and the use-case layer name
them without importing the scenario models (pydantic, YAML) when an answer is read from the
on-disk cache (decision 0027).

Examples
--------
>>> DEFAULT_YEARS[0], DEFAULT_YEARS[-1]
(2025, 2040)
"""

from __future__ import annotations

#: Years the build-out tables cover by default (first and last are the CLI's --from/--to).
DEFAULT_YEARS: tuple[int, ...] = tuple(range(2025, 2041))
