"""critmin: the security of the critical-mineral supply chains that AI hardware depends on.

The public entry point for notebooks is :func:`load`, which returns the embedded default
dataset (built from the real USGS, World Bank, IEA, World Mining Data and BACI releases).
"""

from critmin._version import __version__
from critmin.data.dataset import Dataset, load

__all__ = ["Dataset", "__version__", "load"]
