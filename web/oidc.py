"""Sign-in with the agency's OpenID provider: authorization code with PKCE (S256), through
authlib's client. The state, the code verifier, the nonce and the page to go back to
wait in a short-lived signed cookie between the redirect and the callback; the ID token
is verified (signature from the provider's JWKS, issuer, audience, expiry, nonce).

The session's person comes from the ID token's claims, like an API token's: the employee
key from ``key_claim`` (the provider maps its subject to the employee key; default the
``employee_key`` claim), ``roles``, ``agency``, ``unit`` and ``agencies``.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.common.security import generate_token

with warnings.catch_warnings():  # authlib would rather have httpx2; httpx is what we have
    import authlib.deprecate  # noqa: F401  installs its own "always" filter: ours goes in front of it

    warnings.simplefilter("ignore")
    from authlib.integrations.httpx_client import AsyncOAuth2Client
from itsdangerous import BadSignature, URLSafeTimedSerializer
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from domain.authorization import Role

FLOW_COOKIE = "kinerja_oidc"
FLOW_SECONDS = 600
_PERSON_ROLES = frozenset(r.value for r in Role) - {Role.SYSTEM.value}


@dataclass(frozen=True)
class OidcSettings:
    issuer: str
    """The provider's issuer URL; its ``/.well-known/openid-configuration`` is read."""
    client_id: str
    client_secret: str | None = None
    key_claim: str = "employee_key"
    scope: str = "openid profile email"


class SignInRefused(Exception):
    """The callback is not the answer to a sign-in this browser started (state missing or
    different, flow expired), or the provider's answer does not verify."""


@dataclass(frozen=True)
class Person:
    subject: str
    name: str
    roles: tuple[str, ...]
    agency: str | None
    unit: str | None
    agencies: tuple[str, ...]


class Oidc:
    def __init__(self, settings: OidcSettings, secret: str) -> None:
        self.settings = settings
        self._flows = URLSafeTimedSerializer(secret, salt="kinerja-web-oidc-flow")
        self._metadata: dict[str, Any] | None = None
        self._metadata_at = 0.0

    async def metadata(self) -> dict[str, Any]:
        if self._metadata is None or time.time() - self._metadata_at > 3600:
            url = self.settings.issuer.rstrip("/") + "/.well-known/openid-configuration"
            async with httpx.AsyncClient(timeout=10) as http:
                response = await http.get(url)
                response.raise_for_status()
                self._metadata = response.json()
                self._metadata_at = time.time()
        assert self._metadata is not None
        return self._metadata

    def _client(self, redirect_uri: str) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(client_id=self.settings.client_id,
                                 client_secret=self.settings.client_secret,
                                 scope=self.settings.scope, redirect_uri=redirect_uri,
                                 code_challenge_method="S256", timeout=10)

    async def start(self, redirect_uri: str, next_path: str) -> tuple[str, str]:
        """The provider's authorization URL and the signed flow to keep in a cookie."""
        metadata = await self.metadata()
        state, verifier, nonce = generate_token(32), generate_token(64), generate_token(32)
        async with self._client(redirect_uri) as client:
            url, _ = client.create_authorization_url(
                metadata["authorization_endpoint"], state=state, code_verifier=verifier,
                nonce=nonce)
        flow = self._flows.dumps({"state": state, "verifier": verifier, "nonce": nonce,
                                  "next": next_path})
        return url, flow

    async def finish(self, flow_cookie: str | None, state: str | None, code: str | None,
                     redirect_uri: str) -> tuple[Person, str]:
        """The person signed in and the page to go back to; SignInRefused otherwise."""
        if not flow_cookie or not state or not code:
            raise SignInRefused("no sign-in under way, or no code")
        try:
            flow = self._flows.loads(flow_cookie, max_age=FLOW_SECONDS)
        except BadSignature:
            raise SignInRefused("sign-in flow expired or tampered with") from None
        if not isinstance(flow, dict) or flow.get("state") != state:
            raise SignInRefused("state does not match")
        metadata = await self.metadata()
        async with self._client(redirect_uri) as client:
            try:
                token = await client.fetch_token(metadata["token_endpoint"], code=code,
                                                 code_verifier=flow["verifier"],
                                                 grant_type="authorization_code")
            except Exception as error:  # an OAuth error or a transport failure
                raise SignInRefused(f"token request failed: {error}") from None
        claims = await self._verified_claims(token.get("id_token"), metadata, flow["nonce"])
        return self._person(claims), str(flow.get("next") or "/")

    async def _verified_claims(self, id_token: object, metadata: dict[str, Any], nonce: str
                               ) -> dict[str, Any]:
        if not isinstance(id_token, str):
            raise SignInRefused("no ID token")
        async with httpx.AsyncClient(timeout=10) as http:
            keys = KeySet.import_key_set((await http.get(metadata["jwks_uri"])).json())
        try:
            decoded = jwt.decode(id_token, keys)
            jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": metadata["issuer"]},
                aud={"essential": True, "value": self.settings.client_id},
                exp={"essential": True}, nonce={"essential": True, "value": nonce},
            ).validate(decoded.claims)
        except (JoseError, ValueError) as error:
            raise SignInRefused(f"ID token refused: {error}") from None
        return dict(decoded.claims)

    def _person(self, claims: dict[str, Any]) -> Person:
        key = claims.get(self.settings.key_claim)
        if not isinstance(key, str) or not key:
            raise SignInRefused(f"the provider gave no {self.settings.key_claim} claim")

        def strings(name: str, default: list[str]) -> tuple[str, ...]:
            value = claims.get(name, default)
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise SignInRefused(f"claim {name} must be a list of strings")
            return tuple(value)

        def text(name: str) -> str | None:
            value = claims.get(name)
            return value if isinstance(value, str) and value else None

        return Person(subject=key, name=text("name") or key,
                      roles=tuple(r for r in strings("roles", ["employee"])
                                  if r in _PERSON_ROLES),
                      agency=text("agency"), unit=text("unit"),
                      agencies=strings("agencies", []))
