"""The FastAPI application: routes under ``/v1``, problem+json errors, request logging."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg
import structlog
from fastapi import FastAPI, Request, Response
from temporalio.client import Client

from api import appraisals, roster
from api.auth import TokenVerifier
from api.gateway import CommandGateway
from api.problems import (
    ProblemDocument,
    install_problem_handlers,
    problem_response,
    unavailable,
)
from store.appraisals import AppraisalReadModel
from store.event_log import EventLog

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


_ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"model": ProblemDocument, "description": text,
             "content": {"application/problem+json": {}}}
    for status, text in (
        (401, "No or invalid bearer token"),
        (403, "Your role or relation may not do this"),
        (404, "Unknown, or not in your scope"),
        (409, "Not allowed in the appraisal's current phase"),
        (422, "The request breaks a rule; errors[] names each field"),
        (503, "A dependency is down; nothing changed; retry after Retry-After seconds"),
    )
}


_DATABASE_DOWN: tuple[type[Exception], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.InterfaceError,
    ConnectionError,
    TimeoutError,
)
"""Errors that mean PostgreSQL cannot be reached: a 503, never a 500."""


def create_app(services: Services) -> FastAPI:
    """The API over ``services``."""
    app = FastAPI(
        title="Kinerja",
        version="0.1.0",
        description=DESCRIPTION,
        responses=_ERROR_RESPONSES,
    )
    app.state.pool = services.pool
    app.state.token_verifier = services.token_verifier
    app.state.read_model = AppraisalReadModel(services.pool)
    app.state.event_log = EventLog(services.pool)
    app.state.gateway = CommandGateway(services.temporal, services.task_queue)
    install_problem_handlers(app)

    async def _database_down(request: Request, exc: Exception) -> Response:
        log.warning("database unavailable", error=str(exc))
        return problem_response(request, unavailable("the database"))

    for error in _DATABASE_DOWN:
        app.add_exception_handler(error, _database_down)
    app.include_router(appraisals.router)
    app.include_router(roster.router)

    @app.middleware("http")
    async def _request_context(request: Request,
                               call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        try:
            response = await call_next(request)
        finally:
            structlog.contextvars.unbind_contextvars("request_id")
        response.headers["X-Request-Id"] = request_id
        log.info("request", method=request.method, path=request.url.path,
                 status=response.status_code,
                 ms=round((time.perf_counter() - started) * 1000, 1), request_id=request_id)
        return response

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
