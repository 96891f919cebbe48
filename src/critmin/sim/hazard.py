"""The default hazard model (:mod:`critmin.sim.events.hazard_model`), under its old name.

It lives beside the ``default_hazards`` event that uses it; this module keeps
``critmin.sim.hazard`` importable for the layers above.
"""

from critmin.sim.events.hazard_model import (
    DURATION,
    RECORD_YEARS,
    SHARE,
    SOURCE,
    base_rate,
    default_restrictions,
    last_stage,
)

__all__ = [
    "DURATION",
    "RECORD_YEARS",
    "SHARE",
    "SOURCE",
    "base_rate",
    "default_restrictions",
    "last_stage",
]
