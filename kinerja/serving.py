"""How the API is served: the one uvicorn configuration of ``kinerja api`` and ``kinerja dev``."""

from __future__ import annotations

import asyncio

import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from api.edge import EdgeLimits
from kinerja.settings import Settings


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a time limit on each request's head.

    uvicorn closes a connection idle *after* a response (``timeout_keep_alive``), but not
    one that connects and sends nothing, nor one that sends its request line and headers
    a byte at a time: each holds a socket and a protocol object forever. Here a timer runs
    from the connection (and from the first byte of every further request) until the
    headers are complete; when it fires, the connection is closed.
    """

    header_timeout: float = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_timer: asyncio.TimerHandle | None = None
        self._arm_header_timer()

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
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)


def edge_limits(settings: Settings) -> EdgeLimits:
    """The body and header limits of ``settings``."""
    return EdgeLimits(max_body_bytes=settings.max_body_bytes,
                      max_upload_bytes=settings.max_upload_bytes,
                      max_headers=settings.max_headers,
                      max_header_bytes=settings.max_header_bytes)


def uvicorn_config(app: FastAPI, settings: Settings) -> uvicorn.Config:
    """The uvicorn configuration of the API: our logging instead of uvicorn's, the
    keep-alive and header timeouts of ``settings``."""
    protocol = type("KinerjaHttpProtocol", (HeaderTimeoutProtocol,),
                    {"header_timeout": settings.header_timeout_seconds})
    return uvicorn.Config(
        app, host=settings.api_host, port=settings.api_port, log_config=None,
        access_log=False, http=protocol,
        timeout_keep_alive=settings.keep_alive_seconds,  # type: ignore[arg-type]
        # If h11 were used instead, it would buffer at most this much of a request head.
        h11_max_incomplete_event_size=settings.max_header_bytes + 8192,
    )
