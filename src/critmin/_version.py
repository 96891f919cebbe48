"""critmin's version, in a module of its own so that any layer can read it.

It imports nothing: the data layer records it in the dataset's manifest without importing the
top-level package (which imports the data layer).
"""

__version__ = "0.1.0"
