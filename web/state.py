"""What the pages need, built once by :func:`web.install`."""

from __future__ import annotations

import gettext
import hashlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from web.i18n import DEFAULT_LANGUAGE, translations
from web.oidc import Oidc, OidcSettings
from web.session import Sessions

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


@dataclass(frozen=True)
class DevPerson:
    """A person one may sign in as in development (kinerja.demo.PEOPLE)."""

    key: str
    name: str
    roles: tuple[str, ...]
    agency: str | None
    unit: str | None
    agencies: tuple[str, ...] = ()


@dataclass(frozen=True)
class WebSettings:
    """The pages' settings. ``development``: the demo sign-in page is served (else 404)."""

    session_secret: str = ""
    """Signs the session cookie; empty: the pages are not served."""
    development: bool = False
    session_seconds: int = 8 * 3600
    secure_cookies: bool = True
    default_language: str = DEFAULT_LANGUAGE
    demo_people: tuple[DevPerson, ...] = field(default_factory=tuple)
    oidc: OidcSettings | None = None
    """The agency's OpenID provider; unset: no sign-in but development's."""
    oidc_redirect_url: str | None = None
    """The callback URL registered at the provider; unset: this server's /masuk/callback
    as the request reached it."""


class WebState:
    def __init__(self, settings: WebSettings) -> None:
        self.settings = settings
        self.sessions = Sessions(settings.session_secret, seconds=settings.session_seconds,
                                 secure=settings.secure_cookies)
        self.oidc = Oidc(settings.oidc, settings.session_secret) if settings.oidc else None

    @staticmethod
    def translations(language: str) -> gettext.GNUTranslations:
        return translations(language)

    def environment(self, language: str) -> Environment:
        return _environment(language)


@cache
def fingerprint(name: str) -> str:
    """The first 12 hex digits of the SHA-256 of a static file (read once per process)."""
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]


def static_url(name: str) -> str:
    """A static file's address with its fingerprint (``/static/kinerja.css?v=…``): a new
    version of the file has a new address, so browsers may keep each for a year."""
    return f"/static/{name}?v={fingerprint(name)}"


IMMUTABLE = "public, max-age=31536000, immutable"


class StaticAssets(StaticFiles):
    """The static files: asked for with their current fingerprint (:func:`static_url`),
    cached for a year as immutable; otherwise revalidated each time (``no-cache``: the
    ETag and Last-Modified Starlette sends answer a repeat with a 304)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response: Response = await super().get_response(path, scope)
        version = _query_value(scope, "v")
        if response.status_code in (200, 304) and version:
            try:
                current = fingerprint(path)
            except (OSError, ValueError):
                current = ""
            response.headers["cache-control"] = IMMUTABLE if version == current \
                else "no-cache"
        else:
            response.headers.setdefault("cache-control", "no-cache")
        return response


def _query_value(scope: Scope, name: str) -> str | None:
    from urllib.parse import parse_qs

    query: Any = scope.get("query_string", b"")
    values = parse_qs(query.decode("latin-1")).get(name)
    return values[0] if values else None


@cache
def _environment(language: str) -> Environment:
    environment = Environment(loader=FileSystemLoader(TEMPLATES),
                              autoescape=select_autoescape(["html"]),
                              extensions=["jinja2.ext.i18n"], trim_blocks=True,
                              lstrip_blocks=True)
    environment.install_gettext_translations(translations(language),  # type: ignore[attr-defined]
                                             newstyle=True)
    environment.globals["static_url"] = static_url
    return environment
