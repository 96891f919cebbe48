"""Property-based fuzzing of every documented route with schemathesis' full checks.

Every check runs (server errors, status codes, content types, response schemas and headers,
the ``Allow`` header of a 405, negative and positive data, ...), with two expectations stated
here rather than left to the defaults:

* a schema-violating request may be refused with 413 too (a body over ``CRITMIN_MAX_BODY``
  is refused by size before it is parsed);
* a schema-valid request may be refused with a 422 naming the field: a scenario, a plan, a
  ledger record or a workbook has rules no JSON schema expresses (end after start, mass
  balance, a mineral the data covers), and 404 for an id or name that does not exist.
"""

from __future__ import annotations

import tempfile

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from critmin.api import Settings, create_app
from tests.conftest import READ_TIMEOUT

CONFIG = SchemathesisConfig.from_dict({
    "checks": {
        "negative_data_rejection": {
            "expected-statuses": ["400", "401", "403", "404", "405", "406", "413", "422"],
        },
        "positive_data_acceptance": {"expected-statuses": ["2XX", "404", "422"]},
    },
})  # fmt: skip

# workers=0: fuzzed runs are recorded but never executed (no heavy background work).
app = create_app(Settings(data_dir=tempfile.mkdtemp(prefix="critmin-fuzz-"), workers=0,
                          ledger_key="fuzz"))  # fmt: skip
schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG)


@schema.exclude(path_regex=r".*/events$").parametrize()
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
def test_full_checks(case: schemathesis.Case) -> None:
    # schemathesis gives a request 10 s by default; a POST that validates a scenario against
    # the data can take longer on a busy machine, and slowness is not what this test checks.
    response = case.call(timeout=READ_TIMEOUT)
    case.validate_response(response)
