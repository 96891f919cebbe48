"""Names of a package resolved from their home module on first use (decision 0027).

Like ``_version``, it imports nothing of critmin, so any layer may use it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_names(package: str, home: dict[str, str], scope: dict[str, Any]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: ``name`` comes from
    ``package.<home[name]>``, imported on first use and kept in ``scope`` (the package's
    globals) so later lookups are plain.

    Examples
    --------
    >>> scope: dict[str, Any] = {}
    >>> get = lazy_names("json", {"JSONDecoder": "decoder"}, scope)
    >>> get("JSONDecoder") is importlib.import_module("json.decoder").JSONDecoder
    True
    >>> "JSONDecoder" in scope
    True
    >>> get("nothing")
    Traceback (most recent call last):
    ...
    AttributeError: module 'json' has no attribute 'nothing'
    """

    def get(name: str) -> Any:
        if name in home:
            value = getattr(importlib.import_module(f"{package}.{home[name]}"), name)
            scope[name] = value
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return get
