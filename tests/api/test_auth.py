"""Bearer tokens: HS256 in development, RS256 with a public key in production."""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from api.auth import TokenSettings, TokenVerifier, mint_token
from api.problems import Problem
from domain.authorization import Role

DEV = TokenSettings(secret="s" * 40)


def test_minted_token_becomes_an_actor() -> None:
    token = mint_token(DEV, subject="e-1", roles=["employee", "hr"], agency="a", unit="u",
                       agencies=["a", "b"])
    actor = TokenVerifier(DEV).actor(token)
    assert actor.subject == "e-1"
    assert actor.roles == {Role.EMPLOYEE, Role.HR}
    assert actor.agencies == {"a", "b"} and (actor.agency, actor.unit) == ("a", "u")


def test_system_role_cannot_be_claimed_by_a_token() -> None:
    token = mint_token(DEV, subject="x", roles=["system", "employee"])
    assert TokenVerifier(DEV).actor(token).roles == {Role.EMPLOYEE}


@pytest.mark.parametrize("tamper", ["secret", "expired", "audience", "garbage", "role"])
def test_bad_tokens_are_refused(tamper: str) -> None:
    claims = {"sub": "e-1", "roles": ["employee"], "iss": DEV.issuer, "aud": DEV.audience,
              "exp": int(time.time()) + 60}
    key = DEV.secret
    if tamper == "secret":
        key = "another-secret-" + "x" * 30
    elif tamper == "expired":
        claims["exp"] = int(time.time()) - 10
    elif tamper == "audience":
        claims["aud"] = "someone-else"
    elif tamper == "role":
        claims["roles"] = ["superuser"]
    token = "not.a.jwt" if tamper == "garbage" else jwt.encode(claims, key, algorithm="HS256")
    with pytest.raises(Problem) as refused:
        TokenVerifier(DEV).actor(token)
    assert refused.value.status == 401


def test_rs256_with_a_public_key() -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    production = TokenSettings(algorithm="RS256", secret=None, public_key=public_pem)
    claims = {"sub": "e-7", "roles": ["inspector"], "agencies": ["*"], "iss": "kinerja",
              "aud": "kinerja-api", "exp": int(time.time()) + 60}
    actor = TokenVerifier(production).actor(jwt.encode(claims, private, algorithm="RS256"))
    assert actor.roles == {Role.INSPECTOR} and actor.in_scope("any-agency")
    # An HS256 token signed with the public key text must not pass (algorithm confusion).
    with pytest.raises(Problem):
        TokenVerifier(production).actor(mint_token(DEV, subject="e-7", roles=["hr"]))


def test_configuration_errors_are_named() -> None:
    with pytest.raises(ValueError, match="KINERJA_JWT_SECRET"):
        TokenVerifier(TokenSettings(secret=None))
    with pytest.raises(ValueError, match="KINERJA_JWT_PUBLIC_KEY"):
        TokenVerifier(TokenSettings(algorithm="RS256"))


def test_a_remembered_token_is_checked_again_once_it_expires() -> None:
    now = [time.time()]
    verifier = TokenVerifier(DEV, clock=lambda: now[0])
    token = mint_token(DEV, subject="e-1", roles=["employee"], ttl_seconds=60)
    assert verifier.actor(token).subject == "e-1"
    # Same text, another signature check? No: remembered until its expiry.
    checks: list[str] = []
    verify = verifier._verify
    verifier._verify = lambda t: (checks.append(t), verify(t))[1]  # type: ignore[method-assign]
    assert verifier.actor(token).subject == "e-1" and checks == []
    now[0] += 61  # past its exp: the token is checked again (here, still valid to pyjwt)
    verifier.actor(token)
    assert checks == [token]


def test_a_token_differing_in_its_signature_is_not_taken_from_memory() -> None:
    verifier = TokenVerifier(DEV)
    token = mint_token(DEV, subject="e-1", roles=["employee"])
    verifier.actor(token)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    with pytest.raises(Problem) as refused:
        verifier.actor(forged)
    assert refused.value.status == 401
