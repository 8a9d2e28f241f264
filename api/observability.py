"""The API's observability: ``/metrics`` (Prometheus), ``/readyz``, ``/healthz``, request
metrics by route template, and OpenTelemetry spans of each request when tracing is on.

``create_app`` calls :func:`install_observability` once, last; everything else is here.
"""

from __future__ import annotations

import time

import asyncpg
from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from opentelemetry.trace import TracerProvider
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.client import Client

from telemetry.health import readiness
from telemetry.metrics import HTTP_DURATION, HTTP_REQUESTS, DatabaseCollector
from telemetry.tracing import tracer_provider as process_provider

DEFAULT_REFRESH_SECONDS = 15.0
"""How stale the database gauges may be, unless the caller says (the settings'
``KINERJA_METRICS_REFRESH_SECONDS``, passed by ``kinerja api``)."""

UNMATCHED_ROUTE = "unmatched"
"""The route label of a request no route matched (a 404, or refused at the edge before
routing): never the raw path, whose values are unbounded."""

_OWN_PATHS = frozenset({"/metrics", "/healthz", "/readyz"})


class RequestMetrics:
    """ASGI middleware: each HTTP request counted by method, route template and status, and
    timed. Outermost, so that answers of the edge (413, 431) and 500s are counted too."""

    def __init__(self, app: ASGIApp, fastapi: FastAPI) -> None:
        self._app = app
        self._fastapi = fastapi

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._app(scope, receive, send_status)
        finally:
            route = self._route(scope)
            if route not in _OWN_PATHS:
                method = scope["method"]
                HTTP_REQUESTS.labels(method, route, str(status)).inc()
                HTTP_DURATION.labels(method, route).observe(time.perf_counter() - started)

    def _route(self, scope: Scope) -> str:
        route = scope.get("route")
        path = getattr(route, "path_format", None) or getattr(route, "path", None)
        if isinstance(path, str):
            return path
        for candidate in self._fastapi.router.routes:  # refused before routing: find it
            match, _ = candidate.matches(scope)
            if match is Match.FULL:
                found = getattr(candidate, "path_format", None) or getattr(candidate, "path", "")
                return str(found) or UNMATCHED_ROUTE
        return UNMATCHED_ROUTE


def install_observability(app: FastAPI, pool: asyncpg.Pool, temporal: Client, *,
                          refresh_seconds: float | None = None,
                          tracer_provider: TracerProvider | None = None) -> None:
    """Add ``/metrics``, ``/readyz`` (and ``/healthz`` if missing), the request metrics
    middleware, and, when ``tracer_provider`` is given or tracing was configured for the
    process (``telemetry.tracing``), OpenTelemetry spans.
    ``refresh_seconds``: how stale the database gauges may be (None: 15 s)."""
    if refresh_seconds is None:
        refresh_seconds = DEFAULT_REFRESH_SECONDS
    database = CollectorRegistry(auto_describe=False)
    collector = DatabaseCollector(pool, refresh_seconds=refresh_seconds)
    database.register(collector)
    app.state.database_metrics = collector

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        await collector.refresh()
        return Response(generate_latest(REGISTRY) + generate_latest(database),
                        media_type=CONTENT_TYPE_LATEST)

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        result = await readiness(pool, temporal)
        return JSONResponse(result.document(), status_code=200 if result.ready else 503,
                            headers=None if result.ready else {"Retry-After": "5"})

    if not any(getattr(route, "path", None) == "/healthz" for route in app.router.routes):
        @app.get("/healthz", include_in_schema=False)
        async def healthz() -> dict[str, str]:
            return {"status": "ok"}

    app.add_middleware(RequestMetrics, fastapi=app)

    provider = tracer_provider or process_provider()
    if provider is not None:
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        FastAPIInstrumentor.instrument_app(app, tracer_provider=provider,
                                           excluded_urls="/metrics,/healthz,/readyz")
