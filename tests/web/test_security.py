"""Authorization in the browser: a non-party sees a 404 page; a form without the session's
CSRF token, or with another, is refused and changes nothing; an expired or tampered
session is sent to sign-in; the demo sign-in exists only in development; a form sent
twice (same idempotency key) is applied once."""

from __future__ import annotations

import re
import time

import httpx
from itsdangerous import URLSafeTimedSerializer
from playwright.async_api import expect

from api.app import Services, create_app
from api.auth import TokenVerifier
from tests.web.conftest import SESSION_SECRET, TOKENS, Site
from web import WebSettings
from web.session import SESSION_COOKIE


async def _events(site: Site) -> list[str]:
    rows = await site.pool.fetch("SELECT type FROM events WHERE stream_id = $1"
                                 " ORDER BY version", site.appraisal_id)
    return [r["type"] for r in rows]


async def test_a_non_party_sees_not_found(site: Site) -> None:
    inspector_free = await site.signed_in("hr")  # HR of the agency: may read
    response = await inspector_free.goto(f"/penilaian/{site.appraisal_id}")
    assert response is not None and response.status == 200
    superior = await site.signed_in("superior")  # a party: may read
    response = await superior.goto(f"/penilaian/{site.appraisal_id}")
    assert response is not None and response.status == 200
    # Not a party, not in scope: the same 404 as an unknown appraisal.
    await site.pool.execute("UPDATE appraisal_summaries SET superior = 'e-0999'"
                            " WHERE appraisal_id = $1", site.appraisal_id)
    response = await superior.goto(f"/penilaian/{site.appraisal_id}")
    assert response is not None and response.status == 404
    await expect(superior.get_by_role("heading", name="Tidak ditemukan")).to_be_visible()
    response = await superior.goto(f"/penilaian/{site.appraisal_id}/riwayat")
    assert response is not None and response.status == 404
    response = await superior.goto("/penilaian/appraisal-nobody-2026-e-0404")
    assert response is not None and response.status == 404


async def test_csrf_token_missing_or_wrong_is_refused(site: Site) -> None:
    employee = await site.signed_in("employee")
    await employee.goto(f"/penilaian/{site.appraisal_id}")
    form = employee.locator(f'form[action="/penilaian/{site.appraisal_id}/skp"]')
    await employee.locator('[id="rhk.0.description"]').fill("Layanan")
    await employee.locator('[id="rhk.0.indicators.0.description"]').fill("Permohonan")
    await employee.locator('[id="rhk.0.indicators.0.target.value"]').fill("1")
    await employee.locator('[id="rhk.0.indicators.0.target.unit"]').fill("berkas")
    await form.locator('input[name="csrf"]').evaluate("e => e.value = 'forged'")
    await employee.get_by_role("button", name="Simpan draf").click()
    await expect(employee.get_by_role("heading", name="Ditolak")).to_be_visible()
    await employee.go_back()
    await employee.reload()
    await form.locator('input[name="csrf"]').evaluate("e => e.remove()")
    await employee.get_by_role("button", name="Simpan draf").click()
    await expect(employee.get_by_role("heading", name="Ditolak")).to_be_visible()
    assert await _events(site) == ["AppraisalOpened"]
    # Another site posting with the person's cookie: SameSite=Lax keeps it away, and
    # without the token the form is refused anyway.
    cookies = await employee.context.cookies()
    session = next(c for c in cookies if c["name"] == SESSION_COOKIE)
    assert session["httpOnly"] and session["secure"] and session["sameSite"] == "Lax"
    assert session["expires"] > time.time()
    async with httpx.AsyncClient(base_url=site.url,
                                 cookies={SESSION_COOKIE: session["value"]}) as http:
        refused = await http.post(f"/penilaian/{site.appraisal_id}/skp/ajukan",
                                  data={"idempotency_key": "k1"})
        assert refused.status_code == 403
    assert await _events(site) == ["AppraisalOpened"]


async def test_an_expired_or_tampered_session_is_sent_to_sign_in(site: Site) -> None:
    employee = await site.signed_in("employee")
    cookies = await employee.context.cookies()
    session = next(c for c in cookies if c["name"] == SESSION_COOKIE)
    claims = URLSafeTimedSerializer(SESSION_SECRET, salt="kinerja-web-session").loads(
        session["value"])
    claims["exp"] = time.time() - 1
    expired = URLSafeTimedSerializer(SESSION_SECRET, salt="kinerja-web-session").dumps(claims)
    await employee.context.add_cookies([{**session, "value": expired}])  # type: ignore[typeddict-item]
    await employee.goto(f"/penilaian/{site.appraisal_id}")
    await expect(employee.get_by_role("heading", name="Masuk sebagai orang demo")).to_be_visible()
    assert "/masuk/dev?next=" in employee.url
    # Signing in again goes back to the page asked for.
    await employee.get_by_role("button", name=site.people["employee"].name).click()
    await employee.wait_for_url(f"{site.url}/penilaian/{site.appraisal_id}")
    tampered = session["value"][:-2] + ("AA" if not session["value"].endswith("AA") else "BB")
    await employee.context.add_cookies([{**session, "value": tampered}])  # type: ignore[typeddict-item]
    await employee.goto("/")
    assert "/masuk" in employee.url


async def test_sign_out_ends_the_session(site: Site) -> None:
    employee = await site.signed_in("employee")
    await employee.get_by_role("button", name="Keluar").click()
    await employee.wait_for_url(re.compile(r"/masuk/dev\?next="))
    await employee.goto("/")
    assert "/masuk" in employee.url


async def test_the_demo_sign_in_is_refused_outside_development(site: Site) -> None:
    services = Services(pool=site.pool, temporal=None,  # type: ignore[arg-type]
                        token_verifier=TokenVerifier(TOKENS), task_queue="unused",
                        web=WebSettings(session_secret=SESSION_SECRET, development=False,
                                        demo_people=site.settings.demo_people))
    app = create_app(services)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="https://kinerja.test") as http:
        page = await http.get("/masuk/dev")
        assert page.status_code == 404
        assert page.headers["content-type"].startswith("text/html")
        posted = await http.post("/masuk/dev", data={"person": "e-0001"})
        assert posted.status_code == 404
        assert SESSION_COOKIE not in posted.cookies
        assert (await http.get("/masuk")).status_code == 200


async def test_a_form_sent_twice_changes_nothing_the_second_time(site: Site) -> None:
    employee = await site.signed_in("employee")
    await employee.goto(f"/penilaian/{site.appraisal_id}")
    await employee.locator('[id="rhk.0.description"]').fill("Layanan")
    await employee.locator('[id="rhk.0.indicators.0.description"]').fill("Permohonan")
    await employee.locator('[id="rhk.0.indicators.0.target.value"]').fill("1")
    await employee.locator('[id="rhk.0.indicators.0.target.unit"]').fill("berkas")
    form = employee.locator(f'form[action="/penilaian/{site.appraisal_id}/skp"]')
    # Two submissions of the same form (a double tap), its key the same.
    statuses = await form.evaluate(
        """f => { const d = new FormData(f); d.append('do', 'save');
        const body = new URLSearchParams(d);
        return Promise.all([fetch(f.action, {method: 'POST', body}),
                            fetch(f.action, {method: 'POST', body})])
               .then(rs => rs.map(r => r.status)); }""")
    assert statuses == [200, 200]  # each followed to the appraisal's page
    assert await _events(site) == ["AppraisalOpened", "TargetsDrafted"]
