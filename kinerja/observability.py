"""Observability of the processes: OpenTelemetry tracing (OTLP, when
``KINERJA_OTLP_ENDPOINT`` is set), the Temporal SDK's Prometheus metrics (worker), and
the ``/metrics``, ``/healthz`` and ``/readyz`` port of the worker and the sealer.

Each serving command calls :func:`configure_observability` first (before any Temporal
client connects: the SDK's runtime, which exports its metrics, is chosen then), and runs
its work inside :func:`serving_metrics`. The API serves the same paths on its own port
(``api.observability``).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

import asyncpg
import structlog
import uvicorn
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from temporalio.client import Client, Interceptor
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from kinerja.settings import Settings
from telemetry.health import readiness
from telemetry.metrics import DatabaseCollector
from telemetry.tracing import tracer_provider, use_tracer_provider

log = structlog.get_logger("kinerja.observability")

Role = Literal["api", "worker", "sealer", "dev"]

_sdk_metrics_url: str | None = None


# ------------------------------------------------------------------------------ tracing


def configure_tracing(settings: Settings, role: Role) -> TracerProvider | None:
    """Spans exported over OTLP/HTTP to ``settings.otlp_endpoint`` (batched), with the
    service name ``kinerja-<role>``; nothing when it is unset."""
    if not settings.otlp_endpoint:
        return None
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    provider = TracerProvider(resource=Resource.create(
        {"service.name": f"{settings.otel_service_name}-{role}"}))
    endpoint = settings.otlp_endpoint.rstrip("/")
    if not endpoint.endswith("/v1/traces"):
        endpoint += "/v1/traces"
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    trace.set_tracer_provider(provider)
    use_tracer_provider(provider)
    log.info("tracing on", endpoint=endpoint)
    return provider


def temporal_interceptors() -> list[Interceptor]:
    """Temporal's OpenTelemetry interceptor when tracing is on (client calls, workflow
    updates and activities become spans of the caller's trace); else none."""
    provider = tracer_provider()
    if provider is None:
        return []
    from temporalio.contrib.opentelemetry import TracingInterceptor

    return [TracingInterceptor(provider.get_tracer("kinerja"))]


# ----------------------------------------------------------------- Temporal SDK metrics


def free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def sdk_metrics_runtime(bind_address: str | None = None) -> tuple[Runtime, str]:
    """A Temporal SDK runtime whose own Prometheus exporter (worker and client metrics:
    task slots, poll and schedule-to-start latencies, sticky cache...) listens on
    ``bind_address`` (default: a free loopback port), and that exporter's URL."""
    address = bind_address or f"127.0.0.1:{free_loopback_port()}"
    runtime = Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(
        bind_address=address, counters_total_suffix=True)))  # as prometheus-client names
    return runtime, f"http://{address}/metrics"


def use_sdk_metrics(url: str | None) -> None:
    """Append the SDK exporter at ``url`` to the worker port's ``/metrics`` (None: not)."""
    global _sdk_metrics_url
    _sdk_metrics_url = url


def configure_sdk_metrics(bind_address: str | None = None) -> str:
    """:func:`sdk_metrics_runtime` made the SDK's default runtime, so every client of the
    process uses it, and its metrics appended to the worker port's ``/metrics``. Must run
    before any client connects. Returns the exporter's URL."""
    runtime, url = sdk_metrics_runtime(bind_address)
    Runtime.set_default(runtime, error_if_already_set=False)
    use_sdk_metrics(url)
    return url


def configure_observability(role: Role, settings: Settings) -> None:
    """At the start of a serving command: tracing when configured; for a worker with a
    metrics port, the SDK's Prometheus exporter."""
    configure_tracing(settings, role)
    if role == "worker" and settings.worker_metrics_port is not None:
        configure_sdk_metrics()


def _sdk_metrics() -> bytes:
    if _sdk_metrics_url is None:
        return b""
    try:
        with urllib.request.urlopen(_sdk_metrics_url, timeout=2) as answer:
            return bytes(answer.read())
    except OSError as error:
        log.warning("Temporal SDK metrics unreadable", error=str(error))
        return b""


# ------------------------------------------------------ the metrics port of worker/sealer


def metrics_app(*, pool: asyncpg.Pool | None = None, temporal: Client | None = None,
                collector: DatabaseCollector | None = None, sdk_metrics: bool = False
                ) -> Starlette:
    """``/metrics`` (process metrics, the database gauges of ``collector``, the Temporal
    SDK's when ``sdk_metrics``), ``/healthz`` and ``/readyz`` (``pool``, ``temporal``)."""
    database = CollectorRegistry(auto_describe=False)
    if collector is not None:
        database.register(collector)

    async def metrics(request: Request) -> Response:
        if collector is not None:
            await collector.refresh()
        body = generate_latest(REGISTRY) + generate_latest(database)
        if sdk_metrics:
            body += await asyncio.to_thread(_sdk_metrics)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> JSONResponse:
        result = await readiness(pool, temporal)
        return JSONResponse(result.document(), status_code=200 if result.ready else 503)

    return Starlette(routes=[Route("/metrics", metrics), Route("/healthz", healthz),
                             Route("/readyz", readyz)])


@asynccontextmanager
async def serving_metrics(role: Role, settings: Settings, *, pool: asyncpg.Pool | None = None,
                          database_url: str | None = None, temporal: Client | None = None
                          ) -> AsyncIterator[int | None]:
    """The worker's or sealer's metrics port (``KINERJA_WORKER_METRICS_PORT``,
    ``KINERJA_SEALER_METRICS_PORT``) for the duration of the block; nothing when unset.
    Yields the port. ``database_url``: a small pool of its own for the checks (the
    sealer's connection is its own)."""
    from kinerja.devstack import bind_port
    from store.database import create_pool

    port = settings.worker_metrics_port if role == "worker" else settings.sealer_metrics_port
    if port is None:
        yield None
        return
    setting = f"KINERJA_{role.upper()}_METRICS_PORT"
    with contextlib.ExitStack() as sockets:
        sock = sockets.enter_context(bind_port(settings.metrics_host, port, setting,
                                               host_setting="KINERJA_METRICS_HOST"))
        own_pool = None
        if pool is None and database_url is not None:
            own_pool = await create_pool(database_url, role=settings.database_role,
                                         min_size=1, max_size=2)
            pool = own_pool
        collector = DatabaseCollector(pool, refresh_seconds=settings.metrics_refresh_seconds,
                                      cycles=False) if role == "sealer" and pool else None
        app = metrics_app(pool=pool, temporal=temporal, collector=collector,
                          sdk_metrics=role == "worker" and _sdk_metrics_url is not None)
        server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False,
                                               lifespan="off"))
        server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started and not serving.done():  # noqa: ASYNC110
            await asyncio.sleep(0.02)  # uvicorn offers no event for "started"
        if serving.done():
            await serving  # raises why it could not start
        log.info("metrics port", role=role, port=sock.getsockname()[1])
        try:
            yield int(sock.getsockname()[1])
        finally:
            server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await serving
            if own_pool is not None:
                await own_pool.close()
