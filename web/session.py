"""The browser's session: a signed cookie (itsdangerous) holding the actor's claims, an
expiry and the CSRF token of its forms. HttpOnly, Secure, SameSite=Lax.

Before sign-in a separate signed cookie carries the CSRF token of the sign-in form.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from domain.authorization import Actor, Role

SESSION_COOKIE = "kinerja_session"
PRE_COOKIE = "kinerja_pre"
LANG_COOKIE = "kinerja_lang"


@dataclass(frozen=True)
class Session:
    """A signed-in person: the claims an API token would carry, their name, the moment
    the session ends and the CSRF token of their forms."""

    subject: str
    name: str
    roles: tuple[str, ...]
    agency: str | None
    unit: str | None
    agencies: tuple[str, ...]
    expires_at: float
    csrf: str

    @property
    def actor(self) -> Actor:
        return Actor(subject=self.subject,
                     roles=frozenset(Role(r) for r in self.roles if r != Role.SYSTEM.value),
                     agency=self.agency, unit=self.unit, agencies=frozenset(self.agencies))

    def claims(self) -> dict[str, Any]:
        return {"sub": self.subject, "name": self.name, "roles": list(self.roles),
                "agency": self.agency, "unit": self.unit, "agencies": list(self.agencies),
                "exp": self.expires_at, "csrf": self.csrf}


class Sessions:
    """Reads and writes the session cookie."""

    def __init__(self, secret: str, *, seconds: int, secure: bool = True) -> None:
        self._signer = URLSafeTimedSerializer(secret, salt="kinerja-web-session")
        self._pre = URLSafeTimedSerializer(secret, salt="kinerja-web-pre-session")
        self.seconds = seconds
        self.secure = secure

    def start(self, response: Response, *, subject: str, name: str, roles: tuple[str, ...],
              agency: str | None, unit: str | None, agencies: tuple[str, ...]) -> Session:
        session = Session(subject=subject, name=name, roles=roles, agency=agency, unit=unit,
                          agencies=agencies, expires_at=time.time() + self.seconds,
                          csrf=secrets.token_urlsafe(24))
        response.set_cookie(SESSION_COOKIE, self._signer.dumps(session.claims()),
                            max_age=self.seconds, httponly=True, secure=self.secure,
                            samesite="lax", path="/")
        return session

    def end(self, response: Response) -> None:
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, secure=self.secure,
                               samesite="lax")

    def of(self, request: Request) -> Session | None:
        """The request's valid session; None when absent, tampered with or expired."""
        raw = request.cookies.get(SESSION_COOKIE)
        if not raw:
            return None
        try:
            claims = self._signer.loads(raw, max_age=self.seconds)
            session = Session(subject=str(claims["sub"]), name=str(claims["name"]),
                              roles=tuple(claims["roles"]), agency=claims["agency"],
                              unit=claims["unit"], agencies=tuple(claims["agencies"]),
                              expires_at=float(claims["exp"]), csrf=str(claims["csrf"]))
        except (BadSignature, KeyError, TypeError, ValueError):
            return None
        if session.expires_at <= time.time():
            return None
        return session

    # ------------------------------------------------------------- before sign-in

    def pre_token(self, request: Request, response: Response) -> str:
        """The CSRF token of the sign-in form (kept in its own signed cookie)."""
        token = self._pre_token(request)
        if token is None:
            token = secrets.token_urlsafe(24)
            response.set_cookie(PRE_COOKIE, self._pre.dumps(token), max_age=3600,
                                httponly=True, secure=self.secure, samesite="lax", path="/")
        return token

    def _pre_token(self, request: Request) -> str | None:
        raw = request.cookies.get(PRE_COOKIE)
        if not raw:
            return None
        try:
            return str(self._pre.loads(raw, max_age=3600))
        except BadSignature:
            return None

    def csrf_ok(self, request: Request, sent: object) -> bool:
        """Whether ``sent`` (the form's ``csrf`` field) is the session's token (or, before
        sign-in, the sign-in form's)."""
        session = self.of(request)
        expected = session.csrf if session else self._pre_token(request)
        return isinstance(sent, str) and bool(expected) and \
            hmac.compare_digest(sent.encode(), (expected or "").encode())
