"""The notifications page in a real browser: the unread count on Beranda and the page,
mark as read (with and without JavaScript), the e-mail preference, CSRF, axe in both
languages."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.appraisal.events import TargetsApproved, TargetsReturned
from store.notifications import NotificationFeed
from tests.notifications.conftest import record
from tests.web.conftest import Site, axe_check, shot


async def _notify(site: Site) -> str:
    """Two notifications for the employee (one needs action), derived as the worker does."""
    employee = site.people["employee"].key
    appraisal_id = f"appraisal-{site.agency}-2025-{employee}"
    now = datetime.now(UTC)
    await record(site.pool, appraisal_id, [
        TargetsReturned(at=now, reason="Tambahkan indikator kualitas."),
        TargetsApproved(at=now, by=site.people["appraiser"].key)],
        agency=site.agency, appraiser=site.people["appraiser"].key,
        superior=site.people["superior"].key)
    await site.pool.execute("UPDATE appraisal_summaries SET employee = $2, phase = 'cancelled'"
                            " WHERE appraisal_id = $1", appraisal_id, employee)
    await NotificationFeed(site.pool).derive()
    return appraisal_id


async def test_inbox_page_mark_read_and_preference(site: Site) -> None:
    await _notify(site)
    page = await site.signed_in("employee", lang="id")
    assert "2 belum dibaca" in await page.locator("main").inner_text()  # Beranda
    await page.goto("/pemberitahuan")
    assert await page.get_by_role("heading", level=1).inner_text() == "Pemberitahuan"
    text = await page.locator("main").inner_text()
    assert "2 belum dibaca" in text and "Tambahkan indikator kualitas." in text
    assert "Perlu tindakan Anda." in text and "SKP Anda telah disetujui." in text
    await axe_check(page, "notifications id")
    await shot(page, "notifications-id")
    await page.get_by_role("button", name="Tandai sudah dibaca").first.click()
    await page.get_by_text("1 belum dibaca").wait_for()
    # the preference: information-only e-mail off
    await page.get_by_label("Kirim juga surel").uncheck()
    await page.get_by_role("button", name="Simpan").click()
    await page.get_by_text("Tersimpan.").wait_for()
    assert not await page.get_by_label("Kirim juga surel").is_checked()
    assert await site.pool.fetchval(
        "SELECT email_information FROM notification_preferences WHERE agency = $1"
        " AND employee_key = $2", site.agency, site.people["employee"].key) is False
    # without JavaScript, in English: the other one is marked read by the plain form
    english = await site.signed_in("employee", lang="en")
    await english.goto("/pemberitahuan")
    await axe_check(english, "notifications en")
    plain = await site.signed_in("employee", lang="en", javascript=False)
    await plain.goto("/pemberitahuan")
    assert "1 unread" in await plain.locator("main").inner_text()
    await plain.get_by_role("button", name="Mark as read").click()
    await plain.get_by_text("0 unread").wait_for()
    assert await plain.get_by_role("button", name="Mark as read").count() == 0
    # the appraiser sees none of it
    boss = await site.signed_in("appraiser", lang="en")
    await boss.goto("/pemberitahuan")
    assert "0 unread" in await boss.locator("main").inner_text()


async def test_forms_refuse_without_csrf_and_others_notifications(site: Site) -> None:
    await _notify(site)
    note_id = await site.pool.fetchval("SELECT min(id) FROM notifications")
    boss = await site.signed_in("appraiser")
    refused = await boss.request.post(f"/pemberitahuan/{note_id}/dibaca", form={"csrf": "x"})
    assert refused.status == 403
    page = await site.signed_in("employee")
    await page.goto("/pemberitahuan")
    csrf = await page.locator("input[name=csrf]").first.get_attribute("value")
    assert csrf
    # with the appraiser's own session and token: still not theirs to mark
    await boss.goto("/pemberitahuan")
    boss_csrf = await boss.locator("input[name=csrf]").first.get_attribute("value")
    other = await boss.request.post(f"/pemberitahuan/{note_id}/dibaca",
                                    form={"csrf": boss_csrf or ""})
    assert other.status == 404
    for bad in ("abc", "0", "9" * 30):
        response = await page.request.post(f"/pemberitahuan/{bad}/dibaca",
                                           form={"csrf": csrf or ""})
        assert response.status == 404
    unread = await site.pool.fetchval("SELECT count(*) FROM notifications WHERE read_at IS NULL")
    assert unread == 2  # nothing changed
    no_token = await page.request.post("/pemberitahuan/pengaturan",
                                       form={"email_information": "0"})
    assert no_token.status == 403
    assert await site.pool.fetchval("SELECT count(*) FROM notification_preferences") == 0
