"""Server-rendered pages under ``/`` (the API stays under ``/v1``): Jinja2 templates,
htmx (vendored in ``web/static``), gettext catalogues in ``web/locale``.
:func:`install` mounts them on the API's application."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from web.state import STATIC, DevPerson, WebSettings, WebState

__all__ = ["DevPerson", "WebSettings", "install"]


def install(app: FastAPI, settings: WebSettings) -> None:
    """The pages, their static files and their error pages on ``app``; nothing when no
    session secret is set."""
    if not settings.session_secret:
        return
    from web import complaints, pages, public

    app.state.web = WebState(settings)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(pages.router)
    app.include_router(public.router)
    app.include_router(complaints.router)

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
