"""``critmin serve``: the web service and dashboard.

The CLI never imports the API package (faces are independent, docs/decisions/0016): uvicorn
builds the app from its factory, ``critmin.api.app:app_from_env``, with the settings this
command puts in the environment. The address actually bound is the one the app's token rule
uses, whatever ``CRITMIN_HOST`` said before.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from critmin.cli.common import handles_errors, refuse
from critmin.store.settings import StoreSettings, is_loopback


@handles_errors
def serve(
    host: Annotated[str, typer.Option(help="bind address (not loopback: needs CRITMIN_TOKEN)")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=0, max=65535, help="port")] = 8000,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir", help="store and results (default: $CRITMIN_DATA_DIR or ~/.critmin)"
        ),
    ] = None,
    workers: Annotated[int, typer.Option(min=1, max=2, help="background run threads")] = 1,
) -> None:
    """Run the web service and dashboard (API under /api, dashboard at /)."""
    import uvicorn

    # A bad CRITMIN_* variable is one line naming it (a DataError), before uvicorn starts.
    StoreSettings()
    if not is_loopback(host) and not os.environ.get("CRITMIN_TOKEN", "").strip():
        raise refuse(f"refusing to serve on {host}, which is not loopback, without a token: "
                     "set CRITMIN_TOKEN to a secret (writes then need 'Authorization: Bearer "
                     "<token>'), or bind to 127.0.0.1")  # fmt: skip
    os.environ["CRITMIN_HOST"] = host
    os.environ["CRITMIN_WORKERS"] = str(workers)
    if data_dir is not None:
        os.environ["CRITMIN_DATA_DIR"] = str(data_dir)
    uvicorn.run("critmin.api.app:app_from_env", factory=True, host=host, port=port,
                log_level="info")  # fmt: skip
