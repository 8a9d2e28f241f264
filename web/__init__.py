"""Server-rendered pages under ``/`` (the API stays under ``/v1``): Jinja2 templates,
htmx (vendored in ``web/static``), gettext catalogues in ``web/locale``.
:func:`install` mounts them on the API's application."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from web.state import STATIC, DevPerson, StaticAssets, WebSettings, WebState

__all__ = ["DevPerson", "WebSettings", "install"]

GZIP_MINIMUM_BYTES = 1024
"""Smaller answers are sent as they are: below about a kilobyte the gzip header and the
work cost more than they save."""

API_PREFIXES = ("/v1/", "/codec/", "/healthz", "/metrics", "/docs", "/redoc", "/openapi.json")
"""Paths that are the API's, not the pages': their answers are left as the API makes them."""


class PagesGZip:
    """gzip (level 6) for the pages and their static files, when the browser accepts it
    and the answer is at least :data:`GZIP_MINIMUM_BYTES`; the API's answers untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=GZIP_MINIMUM_BYTES, compresslevel=6)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not str(scope.get("path", "")).startswith(API_PREFIXES):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def _match_first(app: FastAPI, routers: tuple[object, ...]) -> None:
    """Put the routes of ``routers`` first in the application's list. A request's route
    is found by trying each route in turn: the public's forms (anonymous, the most
    requests) were tried after every API and HR route, a tenth of a submission's cost.
    Their paths (``/publik/...``, ``/survei/...``) are no other router's, so the order
    changes which route is tried first, never which one matches."""
    first = [r for r in app.router.routes if getattr(r, "original_router", r) in routers]
    rest = [r for r in app.router.routes if r not in first]
    app.router.routes[:] = [*first, *rest]


def install(app: FastAPI, settings: WebSettings) -> None:
    """The pages, their static files and their error pages on ``app``; nothing when no
    session secret is set."""
    if not settings.session_secret:
        return
    from web import (
        complaints,
        hr,
        hr_documents,
        inbox,
        indicators,
        inspection,
        pages,
        public,
        staff_survey,
    )
    from web import settings as agency_settings

    app.state.web = WebState(settings)
    app.mount("/static", StaticAssets(directory=STATIC), name="static")
    app.include_router(pages.router)
    app.add_middleware(PagesGZip)
    app.include_router(hr.router)
    app.include_router(hr_documents.router)
    app.include_router(inspection.router)
    app.include_router(inbox.router)
    app.include_router(public.router)
    app.include_router(complaints.router)
    app.include_router(indicators.router)
    app.include_router(agency_settings.router)
    app.include_router(staff_survey.router)
    _match_first(app, (public.router, complaints.router))

    @app.exception_handler(pages.SignInNeeded)
    async def _sign_in(request: Request, exc: pages.SignInNeeded) -> Response:
        from urllib.parse import quote

        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":
            target = "/"
        return RedirectResponse(f"/masuk?next={quote(target)}", 303)

    @app.exception_handler(pages.PageNotFound)
    async def _not_found(request: Request, exc: pages.PageNotFound) -> Response:
        return pages.render(request, "error.html", {"status": 404}, 404)

    @app.exception_handler(pages.CsrfRefused)
    async def _csrf(request: Request, exc: pages.CsrfRefused) -> Response:
        return pages.render(request, "error.html", {"status": 403}, 403)
