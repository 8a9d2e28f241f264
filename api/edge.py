"""The HTTP edge: what is refused before a route sees a request.

- control characters (NUL and the other C0 characters, DEL) in any path parameter or query
  value: a 422 naming the parameter (PostgreSQL text refuses NUL; nothing legitimate
  carries them);
- a body above its limit: 413 before it is read (``Content-Length``, or the bytes counted
  as a chunked body streams in);
- too many headers, or too many header bytes: 431;
- a request id that is not a short, safe token: replaced by one made up.

Integer parameters are bounded by the columns they end up in (``INT4_MAX``, ``INT8_MAX``).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from fastapi import Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import PROBLEM_BASE, PROBLEM_MEDIA_TYPE, FieldError, Problem, ProblemDocument

INT4_MAX = 2**31 - 1
"""The largest PostgreSQL ``integer`` (versions)."""
INT8_MAX = 2**63 - 1
"""The largest PostgreSQL ``bigint`` (sequence numbers, tree sizes, offsets)."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")


def _control_character_errors(location: str, items: Iterable[tuple[str, str]]
                              ) -> list[FieldError]:
    return [FieldError(field=f"{location}.{_CONTROL.sub('?', name)}", rule="control_character",
                       message="control characters (such as NUL) are not allowed")
            for name, value in items if _CONTROL.search(name) or _CONTROL.search(value)]


def _null_characters(value: object, path: tuple[str, ...] = ()) -> list[FieldError]:
    """The places in a parsed JSON document whose key or string value holds a NUL."""
    if isinstance(value, str):
        return [FieldError(field=".".join(path) or "body", rule="control_character",
                           message="the NUL character (\\u0000) is not allowed")
                ] if "\x00" in value else []
    if isinstance(value, dict):
        return [error for key, item in value.items()
                for error in (_null_characters(key, (*path, key.replace("\x00", "?")))
                              + _null_characters(item, (*path, key.replace("\x00", "?"))))]
    if isinstance(value, list):
        return [error for index, item in enumerate(value)
                for error in _null_characters(item, (*path, str(index)))]
    return []


def _is_json(request: Request) -> bool:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


async def refuse_control_characters(request: Request) -> None:
    """App-wide dependency: a path parameter or query parameter (name or value) with a
    control character is a 422 naming it, before any route reads it; so is a NUL in any
    key or string of a JSON body (PostgreSQL stores no NUL in text or jsonb: such a command
    was accepted and then failed to be recorded, again and again). Other control characters
    in a body (line breaks, tabs in a narrative) are text."""
    errors = [*_control_character_errors("path", request.path_params.items()),
              *_control_character_errors("query", request.query_params.multi_items())]
    if not errors and request.method in ("POST", "PUT", "PATCH") and _is_json(request):
        body = await request.body()  # FastAPI read it already: the cached bytes
        if b"\\u0000" in body:  # a NUL can only be escaped in valid JSON
            try:
                errors = _null_characters(json.loads(body))
            except ValueError:
                pass  # not JSON: FastAPI's validation names it
    if errors:
        raise Problem(422, "validation", "The request breaks a rule",
                      "; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)


def request_id_of(scope: Scope) -> str:
    """The client's ``X-Request-Id`` when it is 1-128 characters of ``[A-Za-z0-9._-]``;
    otherwise (absent, too long, anything else) one made up."""
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            text = value.decode("latin-1")
            if _REQUEST_ID.fullmatch(text):
                return text
            break
    return uuid.uuid4().hex


@dataclass(frozen=True)
class EdgeLimits:
    """Sizes the edge accepts (``KINERJA_MAX_*`` settings)."""

    max_body_bytes: int = 1024 * 1024
    """A JSON (or any other) request body."""
    max_upload_bytes: int = 20 * 1024 * 1024
    """A body of the upload routes (``upload_paths``) or any multipart body."""
    max_evidence_bytes: int = 10 * 1024 * 1024
    """An evidence file (``KINERJA_EVIDENCE_MAX_BYTES``; its multipart body counts as an
    upload)."""
    max_headers: int = 100
    max_header_bytes: int = 32 * 1024
    """Names and values of all headers together."""
    upload_paths: tuple[str, ...] = ("/v1/roster/imports",)
    upload_path_pattern: str = r"^/v1/agencies/[^/]+/roster$"

    def body_limit(self, scope: Scope) -> int:
        path: str = scope["path"]
        if path in self.upload_paths or re.match(self.upload_path_pattern, path):
            return self.max_upload_bytes
        for name, value in scope["headers"]:
            if name == b"content-type" and value.lower().startswith(b"multipart/"):
                return max(self.max_upload_bytes, self.max_evidence_bytes + 64 * 1024)
        return self.max_body_bytes


class BodyTooLarge(StarletteHTTPException):
    """Raised by the counting ``receive`` when a streamed body passes its limit; FastAPI
    lets an HTTPException through its body parsing, so it ends as a 413 problem."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the body of this request may have at most {limit} bytes")
        self.limit = limit


async def send_problem(scope: Scope, send: Send, status: int, slug: str, title: str,
                       detail: str, errors: list[FieldError] | None = None,
                       headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """A problem+json response sent from ASGI middleware (outside FastAPI's handlers)."""
    document = ProblemDocument(type=PROBLEM_BASE + slug, title=title, status=status,
                               detail=detail, instance=scope.get("path"), errors=errors,
                               code=slug)
    body = document.model_dump_json(exclude_none=True).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                            (b"content-length", str(len(body)).encode()),
                            *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


class EdgeGuard:
    """ASGI middleware: header count and size (431), body size (413) before the body is
    read: by ``Content-Length`` at once, by counting bytes as a chunked body arrives."""

    def __init__(self, app: ASGIApp, limits: EdgeLimits | None = None) -> None:
        self._app = app
        self._limits = limits or EdgeLimits()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        limits = self._limits
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        header_bytes = sum(len(name) + len(value) for name, value in headers)
        if len(headers) > limits.max_headers or header_bytes > limits.max_header_bytes:
            await send_problem(
                scope, send, 431, "headers-too-large", "Request headers too large",
                f"at most {limits.max_headers} headers of {limits.max_header_bytes} bytes "
                f"in all; this request has {len(headers)} of {header_bytes}",
                [FieldError(field="header", rule="max_headers", message="too many or too "
                            "large headers")])
            return
        limit = limits.body_limit(scope)
        declared = next((value for name, value in headers if name == b"content-length"), None)
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                length = -1
            if length < 0:
                await send_problem(scope, send, 400, "bad-request", "Bad Content-Length",
                                   "Content-Length is not a number",
                                   [FieldError(field="header.content-length", rule="integer",
                                               message="not a non-negative integer")])
                return
            if length > limit:
                await self._too_large(scope, send, limit)
                return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self._app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if started:  # pragma: no cover - a route that answers before reading its body
                raise
            await self._too_large(scope, send, limit)

    @staticmethod
    async def _too_large(scope: Scope, send: Send, limit: int) -> None:
        await send_problem(
            scope, send, 413, "too-large", "Request body too large",
            f"the body of this request may have at most {limit} bytes",
            [FieldError(field="body", rule="max_bytes", message=f"at most {limit} bytes")],
            headers=[(b"connection", b"close")])
