"""Bearer JWT authentication: the token becomes a domain ``Actor``.

Claims: ``sub`` (the opaque employee key, never a NIP), ``roles`` (employee,
hr, inspector), ``agency`` and ``unit`` (the caller's own), ``agencies`` (the
scope of an HR manager or inspector; ``*`` for all). Development signs with
HS256 and a configured secret; production verifies RS256 with a configured
public key or a JWKS URL.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.problems import Problem
from domain.authorization import Actor, Role

_bearer = HTTPBearer(auto_error=False, description="A JWT from `kinerja token` or your IdP")


@dataclass(frozen=True)
class TokenSettings:
    """How tokens are checked (and, in development, minted)."""

    algorithm: str = "HS256"
    secret: str | None = None
    public_key: str | None = None
    jwks_url: str | None = None
    issuer: str = "kinerja"
    audience: str = "kinerja-api"


class TokenVerifier:
    """Checks a bearer token's signature, expiry, issuer and audience.

    A token that verified is remembered (by its exact text, signature included)
    until it expires or for ``CACHE_SECONDS``, whichever is first, so a client
    sending the same token with every request pays for the check once.
    """

    CACHE_SECONDS = 300
    CACHE_SIZE = 4096

    def __init__(self, settings: TokenSettings, clock: Callable[[], float] = time.time) -> None:
        self._settings = settings
        self._clock = clock
        self._verified: OrderedDict[str, tuple[Actor, float]] = OrderedDict()
        self._jwks = jwt.PyJWKClient(settings.jwks_url) if settings.jwks_url else None
        if settings.algorithm == "HS256" and not settings.secret:
            raise ValueError("HS256 tokens need a secret (KINERJA_JWT_SECRET)")
        if settings.algorithm == "RS256" and not (settings.public_key or settings.jwks_url):
            raise ValueError("RS256 tokens need KINERJA_JWT_PUBLIC_KEY or KINERJA_JWKS_URL")

    def actor(self, token: str) -> Actor:
        """The actor of a valid token; a 401 problem otherwise."""
        remembered = self._verified.get(token)
        if remembered is not None:
            actor, valid_until = remembered
            if self._clock() < valid_until:
                return actor
            del self._verified[token]
        actor, expires_at = self._verify(token)
        self._verified[token] = (actor, min(expires_at, self._clock() + self.CACHE_SECONDS))
        if len(self._verified) > self.CACHE_SIZE:
            self._verified.popitem(last=False)
        return actor

    def _verify(self, token: str) -> tuple[Actor, float]:
        key: Any
        if self._jwks is not None:
            key = self._jwks.get_signing_key_from_jwt(token).key
        elif self._settings.algorithm == "RS256":
            key = self._settings.public_key
        else:
            key = self._settings.secret
        try:
            claims = jwt.decode(
                token, key, algorithms=[self._settings.algorithm],
                issuer=self._settings.issuer, audience=self._settings.audience,
                options={"require": ["sub", "exp"]},
            )
            actor = Actor(
                subject=_text_claim(claims, "sub", required=True) or "",
                roles=frozenset(Role(r) for r in _list_claim(claims, "roles", ["employee"])
                                if r != Role.SYSTEM.value),
                agency=_text_claim(claims, "agency"),
                unit=_text_claim(claims, "unit"),
                agencies=frozenset(_list_claim(claims, "agencies", [])),
            )
            return actor, float(claims["exp"])
        except (jwt.PyJWTError, ValueError, KeyError) as error:
            raise Problem(401, "unauthenticated", "Invalid or expired token", str(error),
                          headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
                          ) from None


def _text_claim(claims: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    """A string claim (or absent unless ``required``); anything else is a ValueError (401)."""
    value = claims.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise ValueError(f"claim {name!r} must be a non-empty string")
    return value


def _list_claim(claims: dict[str, Any], name: str, default: list[str]) -> list[str]:
    """A list-of-strings claim; a number, a string, or a list holding anything but strings
    is a ValueError (401) naming the claim."""
    value = claims.get(name, default)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"claim {name!r} must be a list of strings")
    return value


def mint_token(
    settings: TokenSettings,
    *,
    subject: str,
    roles: Iterable[str],
    agency: str | None = None,
    unit: str | None = None,
    agencies: Iterable[str] = (),
    ttl_seconds: int = 8 * 3600,
) -> str:
    """A signed HS256 development token (``kinerja token``)."""
    if settings.algorithm != "HS256" or not settings.secret:
        raise ValueError("minting is for development: HS256 with KINERJA_JWT_SECRET")
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": subject, "roles": sorted(set(roles)), "iss": settings.issuer,
        "aud": settings.audience, "iat": now, "exp": now + ttl_seconds,
    }
    if agency:
        claims["agency"] = agency
    if unit:
        claims["unit"] = unit
    scope = sorted(set(agencies))
    if scope:
        claims["agencies"] = scope
    return jwt.encode(claims, settings.secret, algorithm="HS256")


async def current_actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    """FastAPI dependency: the authenticated caller."""
    if credentials is None:
        raise Problem(401, "unauthenticated", "A bearer token is required",
                      headers={"WWW-Authenticate": "Bearer"})
    verifier: TokenVerifier = request.app.state.token_verifier
    return verifier.actor(credentials.credentials)


CurrentActor = Annotated[Actor, Depends(current_actor)]
