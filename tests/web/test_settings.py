"""The pages' settings: development signs sessions with a development secret and lists
the demo people; production serves the pages only with its own long secret and no demo
sign-in; the OpenID provider from KINERJA_OIDC_*."""

from __future__ import annotations

from kinerja.settings import DEV_SESSION_SECRET, Settings


def test_development_has_the_demo_people_and_production_none() -> None:
    development = Settings(mode="development").web_settings()
    assert development.development and development.session_secret == DEV_SESSION_SECRET
    assert [p.key for p in development.demo_people][:3] == ["e-0001", "e-0002", "e-0003"]
    production = Settings(mode="production").web_settings()
    assert not production.development and production.demo_people == ()
    assert production.session_secret == ""  # no secret: the pages are not served


def test_production_refuses_a_weak_or_development_session_secret() -> None:
    def problems(secret: str | None) -> list[str]:
        return [p for p in Settings(mode="production", session_secret=secret,
                                    jwt_secret="j" * 40, signing_key_file="k.pem"
                                    ).production_problems() if "SESSION_SECRET" in p]

    assert problems(DEV_SESSION_SECRET) and problems("short")
    assert problems("s" * 32) == [] and problems(None) == []


def test_the_openid_provider_from_the_settings() -> None:
    web = Settings(mode="production", session_secret="s" * 40,
                   oidc_issuer="https://sso.example.go.id/realms/pemkot",
                   oidc_client_id="kinerja", oidc_key_claim="nip_key").web_settings()
    assert web.oidc is not None and web.oidc.key_claim == "nip_key"
    assert web.oidc.issuer == "https://sso.example.go.id/realms/pemkot"
