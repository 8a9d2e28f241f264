"""The FastAPI application: routes under ``/v1``, problem+json errors, request logging."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import structlog
from fastapi import Depends, FastAPI, Request, Response
from jinja2 import TemplateNotFound
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.client import Client
from temporalio.converter import PayloadCodec

from api import (
    appraisals,
    codec,
    cycle_documents,
    cycles,
    evidence,
    indicator_health,
    inspection,
    notifications,
    public,
    roster,
    settings,
)
from api.auth import TokenVerifier
from api.edge import EdgeGuard, EdgeLimits, refuse_control_characters, request_id_of, send_problem
from api.inspection import AuditSettings
from api.observability import install_observability
from api.problems import (
    PROBLEM_MEDIA_TYPE,
    Problem,
    ProblemDocument,
    install_problem_handlers,
    problem_of,
    problem_response,
    unavailable,
)
from services.bootstrap import bootstrap
from services.errors import Unavailable
from web import WebSettings
from web import install as install_web

log = structlog.get_logger("kinerja.api")

DESCRIPTION = """
Performance appraisal of Indonesian civil servants (ASN), PermenPAN-RB 6/2022.

Every command is recorded as events in a tamper-evident log and applied by the
appraisal's durable workflow. Send a bearer token (`kinerja token`) with every
request, and an `Idempotency-Key` with every command so that a retry is safe.
Errors are RFC 9457 problem documents: `errors[].field` names what to fix.
"""


@dataclass
class Services:
    """What the routes need; built once by ``kinerja dev`` / ``kinerja api`` or by tests."""

    pool: asyncpg.Pool
    temporal: Client
    token_verifier: TokenVerifier
    task_queue: str
    audit: AuditSettings | None = None
    """The checkpoint public key and log file the inspection routes verify with."""
    limits: EdgeLimits = field(default_factory=EdgeLimits)
    """Body and header sizes the API accepts."""
    metrics_refresh_seconds: float | None = None
    """How stale /metrics' database gauges may be (None: the default, 15 s)."""
    payload_codec: PayloadCodec | None = None
    """The Temporal payload encryption, for the codec endpoint (None: not encrypted)."""
    codec_origins: frozenset[str] = frozenset()
    """Origins (Temporal's UI) allowed to call the codec endpoint from a browser."""
    web: WebSettings = field(default_factory=WebSettings)
    """The pages under ``/`` (web.install); without a session secret, none."""
    document_zip_dir: Path | None = None
    """Where the worker builds ZIPs of documents (None: ``.data/zips``)."""


_ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"model": ProblemDocument, "description": text,
             "content": {"application/problem+json": {}}}
    for status, text in (
        (400, "The body could not be read (not UTF-8, not the declared format)"),
        (401, "No or invalid bearer token"),
        (403, "Your role or relation may not do this"),
        (404, "Unknown, or not in your scope"),
        (409, "Not allowed in the appraisal's current phase"),
        (413, "The request body is larger than its limit; it was not read"),
        (422, "The request breaks a rule; errors[] names each field"),
        (431, "Too many request headers, or too large"),
        (503, "A dependency is down; nothing changed; retry after Retry-After seconds"),
    )
}


_DATABASE_DOWN: tuple[type[Exception], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,  # a pooled connection the server dropped, reused
    asyncpg.exceptions.OperatorInterventionError,  # the server shutting down (57P0x)
    OSError,
    TimeoutError,
)
"""Errors that mean PostgreSQL cannot be reached: a 503, never a 500. ``OSError`` covers
every way a connection fails before PostgreSQL answers: refused or reset over TCP, and over
a Unix socket ``FileNotFoundError`` (no socket: the server is down) or ``PermissionError``."""


class RequestContext:
    """ASGI middleware: a request id bound to every log line of the request and echoed in
    the response (``X-Request-Id``: the client's when it is 1-128 characters of
    ``[A-Za-z0-9._-]``, else made up), and one log line per request with its status and
    duration. Outermost of the app's middleware, so that every response carries the id:
    an exception no handler took is answered here (500 problem+json) rather than by
    Starlette's error middleware, which is outside it and would also close the connection.

    Plain ASGI rather than ``@app.middleware("http")``, which runs each request in
    its own task and streams the response through a queue.
    """

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        started = time.perf_counter()
        status = 500
        responded = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                status = message["status"]
                responded = True
                message["headers"] = [*message.get("headers", []),
                                      (b"x-request-id", request_id.encode("latin-1"))]
            await send(message)

        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self._app(scope, receive, send_with_id)
        except Exception:
            if responded:
                raise
            log.exception("unexpected error", path=scope["path"])
            await send_problem(
                scope, send_with_id, 500, "internal", "Internal error",
                "something failed on our side; nothing you sent was lost or applied twice")
        finally:
            structlog.contextvars.unbind_contextvars("request_id")
            log.info("request", method=scope["method"], path=scope["path"], status=status,
                     ms=round((time.perf_counter() - started) * 1000, 1),
                     request_id=request_id)


def _document_problems_as_problem_json(app: FastAPI) -> None:
    """Error responses are ``application/problem+json`` only: FastAPI documents a response
    ``model`` as ``application/json``; move that schema to the problem media type, so the
    document says what is sent (and a client or fuzzer can check error bodies against it)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = build()
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if status[:1] in "45" and PROBLEM_MEDIA_TYPE in content \
                            and "application/json" in content:
                        content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(services: Services) -> FastAPI:
    """The API over ``services``."""
    app = FastAPI(
        title="Kinerja",
        version="0.1.0",
        description=DESCRIPTION,
        responses=_ERROR_RESPONSES,
        dependencies=[Depends(refuse_control_characters)],
    )
    audit = services.audit or AuditSettings()
    app.state.token_verifier = services.token_verifier
    app.state.audit_settings = audit
    app.state.kinerja = bootstrap(
        services.pool, services.temporal, services.task_queue,
        public_key=audit.public_key, checkpoint_log=audit.checkpoint_log,
        unsealed_warning_seconds=audit.unsealed_warning_seconds,
        evidence_max_bytes=services.limits.max_evidence_bytes,
        staff_survey_secret=services.web.session_secret if services.web else None,
        document_zip_dir=services.document_zip_dir)
    install_problem_handlers(app)

    async def _database_down(request: Request, exc: Exception) -> Response:
        if isinstance(exc, TemplateNotFound):  # an OSError too, but a bug of ours
            log.error("page template missing", template=str(exc), path=request.url.path)
            return problem_response(request, Problem(
                500, "internal", "Internal error", "a page of ours is missing"))
        log.warning("database unavailable", error=str(exc))
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return problem_response(request, unavailable("the database"))
        # A command may have been recorded before the database went away (its answer
        # reads the read model after the events are stored): do not say it was not.
        return problem_response(request, problem_of(
            Unavailable("the database", outcome_unknown=True)))

    for error in _DATABASE_DOWN:
        app.add_exception_handler(error, _database_down)
    app.include_router(appraisals.router)
    app.include_router(evidence.router)
    app.include_router(cycles.router)
    app.include_router(cycle_documents.router)
    app.include_router(inspection.router)
    app.include_router(roster.router)
    app.include_router(notifications.router)
    app.include_router(public.router)
    app.include_router(indicator_health.router)
    app.include_router(settings.router)
    from api import staff_survey  # its own line: the staff survey's routes

    app.include_router(staff_survey.router)
    app.state.payload_codec = services.payload_codec
    app.state.codec_origins = services.codec_origins
    app.include_router(codec.router)
    install_web(app, services.web)

    app.add_middleware(EdgeGuard, limits=services.limits)
    app.add_middleware(RequestContext)  # added last: the outermost

    _document_problems_as_problem_json(app)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    install_observability(app, services.pool, services.temporal,
                          refresh_seconds=services.metrics_refresh_seconds)
    return app
