"""How the API is served: the one uvicorn configuration of ``kinerja api`` and ``kinerja dev``."""

from __future__ import annotations

import asyncio
import json

import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from api.edge import EdgeLimits
from api.problems import PROBLEM_BASE
from kinerja.settings import Settings

_HEAD_TOO_LARGE = json.dumps({
    "type": PROBLEM_BASE + "headers-too-large", "title": "Request headers too large",
    "status": 431, "code": "headers-too-large",
    "detail": "the request line and headers are larger than this server reads",
    "errors": [{"field": "header", "rule": "max_header_bytes",
                "message": "the request head is too large"}],
}).encode()


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a time limit and a size limit on each request's
    head (request line and headers).

    uvicorn closes a connection idle *after* a response (``timeout_keep_alive``), but not
    one that connects and sends nothing, nor one that sends its request line and headers
    a byte at a time: each holds a socket and a protocol object forever. Here a timer runs
    from the connection (and from the first byte of every further request) until the
    headers are complete; when it fires, the connection is closed.

    Nor does httptools bound a head's size: it would buffer a header of any length before
    the app (``api.edge.EdgeGuard``, which answers 431 above the configured limits) sees
    it. Here the bytes received while a head is incomplete are counted, and past
    ``max_head_bytes`` the answer is a 431 and the connection is closed, so at most that
    plus one read is buffered.
    """

    header_timeout: float = 10.0
    max_head_bytes: int = 80 * 1024

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_timer: asyncio.TimerHandle | None = None
        self._head_bytes = 0
        self._in_body = False
        self._discarding = False
        self._arm_header_timer()

    def data_received(self, data: bytes) -> None:
        if self._discarding:
            return
        super().data_received(data)
        if not self._in_body and not self.transport.is_closing():
            # The whole read went into a head not yet complete (or, rarely, also ended a
            # previous request: counted all the same).
            self._head_bytes += len(data)
            if self._head_bytes > self.max_head_bytes:
                self._refuse_head()

    def _refuse_head(self) -> None:
        """431, then a lingering close: our side shut for writing, whatever the client still
        sends read and dropped until the header timeout, so that closing with unread data
        (a TCP reset) does not destroy the answer before the client reads it."""
        self._cancel_header_timer()
        self._discarding = True
        self.transport.write(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
            b"content-type: application/problem+json\r\n"
            b"content-length: " + str(len(_HEAD_TOO_LARGE)).encode() + b"\r\n"
            b"connection: close\r\n\r\n" + _HEAD_TOO_LARGE)
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self._header_timer = self.loop.call_later(self.header_timeout,
                                                      self._header_timed_out)
        else:  # pragma: no cover - TCP can always half-close
            self.transport.close()

    def on_message_complete(self) -> None:
        self._in_body = False
        self._head_bytes = 0
        super().on_message_complete()

    def _arm_header_timer(self) -> None:
        self._cancel_header_timer()
        self._header_timer = self.loop.call_later(self.header_timeout, self._header_timed_out)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_timed_out(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm_header_timer()

    def on_headers_complete(self) -> None:
        self._cancel_header_timer()
        self._in_body = True
        self._head_bytes = 0
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)


def edge_limits(settings: Settings) -> EdgeLimits:
    """The body and header limits of ``settings``."""
    return EdgeLimits(max_body_bytes=settings.max_body_bytes,
                      max_upload_bytes=settings.max_upload_bytes,
                      max_evidence_bytes=settings.evidence_max_bytes,
                      max_headers=settings.max_headers,
                      max_header_bytes=settings.max_header_bytes)


def uvicorn_config(app: FastAPI, settings: Settings) -> uvicorn.Config:
    """The uvicorn configuration of the API: our logging instead of uvicorn's, the
    keep-alive and header timeouts of ``settings``."""
    protocol = type("KinerjaHttpProtocol", (HeaderTimeoutProtocol,),
                    {"header_timeout": settings.header_timeout_seconds,
                     "max_head_bytes": 2 * settings.max_header_bytes + 16 * 1024})
    return uvicorn.Config(
        app, host=settings.api_host, port=settings.api_port, log_config=None,
        access_log=False, http=protocol,
        timeout_keep_alive=settings.keep_alive_seconds,  # type: ignore[arg-type]
        # If h11 were used instead, it would buffer at most this much of a request head.
        h11_max_incomplete_event_size=settings.max_header_bytes + 8192,
    )
