"""What the pages need, built once by :func:`web.install`."""

from __future__ import annotations

import gettext
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

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
def _environment(language: str) -> Environment:
    environment = Environment(loader=FileSystemLoader(TEMPLATES),
                              autoescape=select_autoescape(["html"]),
                              extensions=["jinja2.ext.i18n"], trim_blocks=True,
                              lstrip_blocks=True)
    environment.install_gettext_translations(translations(language),  # type: ignore[attr-defined]
                                             newstyle=True)
    return environment
