"""RFC 9457 problem details: every error the API returns is ``application/problem+json``.

Validation errors name each field and the rule it breaks; a refused command
carries the domain's reason; an unavailable dependency is a 503 with
``Retry-After``. Nothing a user sends produces a 500.
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.appraisal import CommandRefused
from services.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    ServiceError,
    Unavailable,
)

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://kinerja.example/problems/"

log = structlog.get_logger(__name__)


class FieldError(BaseModel):
    """One broken rule: where (a dotted path into the body, query or header) and which rule."""

    field: str
    rule: str
    message: str


class ProblemDocument(BaseModel):
    """The body of every error response (RFC 9457)."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None
    code: str | None = None


class Problem(Exception):
    """Raise anywhere in a route to answer with a problem document."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str | None = None,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}


def not_found(what: str = "appraisal") -> Problem:
    """404 for unknown *and* out-of-scope resources alike (no existence leak)."""
    return Problem(404, "not-found", "Not found", f"no {what} with this id is visible to you")


def unavailable(service: str, retry_after_seconds: int = 5) -> Problem:
    return Problem(
        503, "unavailable", "Service unavailable",
        f"{service} is not reachable right now; nothing was changed, try again",
        headers={"Retry-After": str(retry_after_seconds)},
    )


REFUSAL_STATUS = {"forbidden": 403, "phase": 409, "invalid": 422}
"""The status of a refusal by the rules, by its code."""


def problem_of(error: ServiceError | CommandRefused) -> Problem:
    """The problem document of a use case's answer (services.errors) or of a refusal by
    the domain's rules."""
    if isinstance(error, CommandRefused):
        errors = [FieldError(field=error.field, rule=error.code, message=error.reason)] \
            if error.field else None
        return Problem(REFUSAL_STATUS.get(error.code, 409), f"command-{error.code}",
                       "Command refused", error.reason, errors=errors)
    if isinstance(error, NotFound):
        return not_found(error.what)
    if isinstance(error, Forbidden):
        return Problem(403, "forbidden", "Not allowed", error.reason)
    if isinstance(error, Invalid):
        return Problem(error.status, error.kind, error.title, error.detail,
                       errors=[FieldError(field=b.field, rule=b.rule, message=b.message)
                               for b in error.broken] or None)
    if isinstance(error, Conflict):
        return Problem(409, error.kind, error.title, error.detail)
    if isinstance(error, Unavailable):
        if error.outcome_unknown:
            return Problem(
                503, "unavailable", "Service unavailable",
                f"{error.service} did not answer; the command may or may not have been "
                "recorded: repeat it with the same Idempotency-Key to learn its result",
                headers={"Retry-After": "5"})
        return unavailable(error.service)
    return Problem(500, "internal", "Internal error", str(error))


def problem_response(request: Request, problem: Problem) -> JSONResponse:
    document = ProblemDocument(
        type=PROBLEM_BASE + problem.slug,
        title=problem.title,
        status=problem.status,
        detail=problem.detail,
        instance=str(request.url.path),
        errors=problem.errors,
        code=problem.slug,
    )
    return JSONResponse(
        document.model_dump(exclude_none=True),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=problem.headers,
    )


def _field_path(location: tuple[Any, ...]) -> str:
    parts = [str(p) for p in location if p not in ("body",)]
    # Discriminated unions add the tag as a path element; keep it, it names the variant.
    return ".".join(parts) if parts else "body"


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error with problem+json."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(request, exc)

    @app.exception_handler(ServiceError)
    async def _service(request: Request, exc: ServiceError) -> JSONResponse:
        return problem_response(request, problem_of(exc))

    @app.exception_handler(CommandRefused)
    async def _refused(request: Request, exc: CommandRefused) -> JSONResponse:
        return problem_response(request, problem_of(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            FieldError(field=_field_path(tuple(e.get("loc", ()))), rule=str(e.get("type")),
                       message=str(e.get("msg")))
            for e in exc.errors()
        ]
        return problem_response(request, Problem(
            422, "validation", "The request breaks a rule",
            "; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug = {401: "unauthenticated", 403: "forbidden", 404: "not-found",
                405: "method-not-allowed", 413: "too-large"}.get(exc.status_code, "http-error")
        headers = dict(exc.headers or {})
        if exc.status_code == 400:  # FastAPI: a body it could not decode (not UTF-8, ...)
            return problem_response(request, Problem(
                400, "malformed-body", "The request body could not be read", str(exc.detail),
                headers=headers,
                errors=[FieldError(field="body", rule="malformed", message=str(exc.detail))]))
        if exc.status_code == 413:
            return problem_response(request, Problem(
                413, slug, "Request body too large", str(exc.detail), headers=headers,
                errors=[FieldError(field="body", rule="max_bytes", message=str(exc.detail))]))
        return problem_response(request, Problem(exc.status_code, slug, str(exc.detail),
                                                 headers=headers))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", path=request.url.path)
        return problem_response(request, Problem(
            500, "internal", "Internal error",
            "something failed on our side; nothing you sent was lost or applied twice"))
