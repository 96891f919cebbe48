"""critmin: the security of the critical-mineral supply chains that AI hardware depends on.

The public entry point for notebooks is :func:`load`, which returns the embedded default
dataset (built from the real USGS, World Bank, IEA, World Mining Data and BACI releases).
"""

from typing import TYPE_CHECKING, Any

from critmin._version import __version__

if TYPE_CHECKING:
    from critmin.data.dataset import Dataset, load

__all__ = ["Dataset", "__version__", "load"]


def __getattr__(name: str) -> Any:
    # Loaded on first use: ``critmin --version`` and the CLI's start need no pandas.
    if name in ("Dataset", "load"):
        from critmin.data import dataset

        value = getattr(dataset, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'critmin' has no attribute {name!r}")
