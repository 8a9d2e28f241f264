"""Sign-in with a real OpenID provider (oidc-provider-mock, started here): authorization
code with PKCE through the browser, the ID token's employee_key claim becoming the
session's person; a callback whose state is not the one this browser started is refused;
the demo sign-in does not exist outside development."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from oidc_provider_mock import User, run_server_in_thread
from playwright.async_api import expect

from tests.web.conftest import UNIT, Site, axe_check, shot
from web.oidc import OidcSettings
from web.session import SESSION_COOKIE

AGENCY_PLACEHOLDER = "pemkot-oidc"


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """The provider's issuer URL."""
    with run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def oidc(provider: str) -> OidcSettings:
    return OidcSettings(issuer=provider, client_id="kinerja-web", client_secret="s3cret")


def _user(site: Site) -> User:
    return User(sub="idp-7f3a-siti", claims={
        "employee_key": site.people["employee"].key, "name": "Siti Rahmawati",
        "agency": site.agency, "unit": UNIT, "roles": ["employee"]})


async def test_sign_in_with_the_provider_then_a_forged_callback_is_refused(
        site: Site, provider: str) -> None:
    # The provider knows the person (its subject, and the employee key as a claim).
    async with httpx.AsyncClient() as http:
        user = _user(site)
        stored = await http.put(f"{provider}/users/{user.sub}", json=user.claims)
        assert stored.status_code in (200, 204), stored.text

    page = await (await site.context()).new_page()
    await page.goto(f"/penilaian/{site.appraisal_id}")
    assert "/masuk?next=" in page.url
    assert await page.get_by_role("link", name="Masuk sebagai orang demo").count() == 0
    await axe_check(page, "sign-in page")
    await page.get_by_role("link", name="Masuk dengan akun instansi").click()
    # The provider's page: authorize as the person.
    await page.wait_for_url(f"{provider}/**")
    assert "code_challenge_method=S256" in page.url and "code_challenge=" in page.url
    await page.locator('input[name="sub"]').fill("idp-7f3a-siti")
    await page.get_by_role("button", name="Authorize").click()
    await page.wait_for_url(f"{site.url}/penilaian/{site.appraisal_id}")
    await expect(page.get_by_text("Siti Rahmawati")).to_be_visible()
    await expect(page.get_by_role("heading", name="Penyusunan SKP")).to_be_visible()
    await shot(page, "oidc-signed-in")

    # A callback with another state than the one this browser started: refused, and no
    # session from it.
    fresh = await (await site.context()).new_page()
    await fresh.goto("/masuk/oidc?next=/")
    await fresh.wait_for_url(f"{provider}/**")
    response = await fresh.goto(f"{site.url}/masuk/callback?code=forged&state=wrong-state")
    assert response is not None and response.status == 400
    await expect(fresh.get_by_role("heading", name="Masuk ditolak")).to_be_visible()
    assert not [c for c in await fresh.context.cookies() if c["name"] == SESSION_COOKIE]
    # and without any sign-in started
    other = await (await site.context()).new_page()
    response = await other.goto(f"{site.url}/masuk/callback?code=x&state=y")
    assert response is not None and response.status == 400


async def test_no_demo_sign_in_outside_development(site: Site) -> None:
    page = await (await site.context()).new_page()
    response = await page.goto("/masuk/dev")
    assert response is not None and response.status == 404
