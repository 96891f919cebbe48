"""The scenario library: the scenario files shipped inside the package, found by name.

Code reaches a shipped scenario through this module, never through a path into the source
tree, so an installed critmin finds them wherever it is installed. ``examples/`` in the
repository keeps byte-identical copies for users to read and edit (a test keeps them so).

Examples
--------
>>> from critmin.sim import library
>>> library.STANDARD in library.names()
True
>>> library.load(library.STANDARD).horizon.start
2026
>>> [p.name for p in library.brief_scenarios()]
['china-controls.yaml', 'drc-cobalt-outage.yaml', 'logistics-corridor.yaml']
"""

from __future__ import annotations

import atexit
import contextlib
import functools
from importlib import resources
from pathlib import Path

from critmin.data.errors import DataError, Problem
from critmin.sim.scenario import Scenario, load_scenario

#: The standard risk scenario: plans are evaluated and optimised on it unless told otherwise.
STANDARD = "standard-2026"

#: The standard disruption scenarios of the brief, in the order its sections show them.
BRIEF = ("china-controls", "drc-cobalt-outage", "logistics-corridor")

_SUFFIX = ".yaml"

# Paths handed out by ``path`` must stay valid after it returns. ``as_file`` gives the file
# itself when the package lies on a file system (every wheel or editable install) and a
# temporary copy otherwise (a zip import); the copies live until the interpreter exits.
_extracted = contextlib.ExitStack()
atexit.register(_extracted.close)


def _root() -> resources.abc.Traversable:
    return resources.files(__name__)


def names() -> list[str]:
    """The names of the shipped scenarios (file names without ``.yaml``), sorted.

    Examples
    --------
    >>> names()
    ['china-controls', 'drc-cobalt-outage', 'logistics-corridor', 'standard-2026']
    """
    return sorted(
        f.name.removesuffix(_SUFFIX)
        for f in _root().iterdir()
        if f.is_file() and f.name.endswith(_SUFFIX)
    )


def _resource(name: str) -> resources.abc.Traversable:
    # Only a listed name is looked up: a name is never used to build an arbitrary path.
    known = names()
    if name not in known:
        raise DataError(
            [
                Problem(
                    "critmin scenario library",
                    None,
                    None,
                    f"the name of a shipped scenario, one of: {', '.join(known)}",
                    name,
                )
            ]
        )
    return _root() / f"{name}{_SUFFIX}"


@functools.cache
def path(name: str) -> Path:
    """A file path of the shipped scenario ``name``, valid while the interpreter runs.

    Raises
    ------
    DataError
        ``name`` is not a shipped scenario; the message lists the ones that are.

    Examples
    --------
    >>> path("standard-2026").name
    'standard-2026.yaml'
    >>> path("atlantis")
    Traceback (most recent call last):
    ...
    critmin.data.errors.DataError: critmin scenario library: expected the name of a shipped
    scenario, one of: china-controls, ..., standard-2026; got 'atlantis'
    """
    return _extracted.enter_context(resources.as_file(_resource(name)))


def text(name: str) -> str:
    """The YAML text of the shipped scenario ``name`` (to store it or send it as a document).

    Examples
    --------
    >>> [line for line in text("standard-2026").splitlines() if line.startswith("name:")]
    ['name: Standard risk, 2026-2040 (default hazards)']
    """
    return _resource(name).read_text(encoding="utf-8")


def load(name: str) -> Scenario:
    """The shipped scenario ``name``, read and validated by :func:`load_scenario`.

    Examples
    --------
    >>> load("drc-cobalt-outage").name
    'DRC cobalt mine outage'
    """
    return load_scenario(path(name))


def brief_scenarios() -> list[Path]:
    """The files of the scenarios the brief runs unless given others, in its order.

    Examples
    --------
    >>> len(brief_scenarios())
    3
    """
    return [path(n) for n in BRIEF]
