"""HR's page of the agency's settings in the browser, without JavaScript: a bad address
and days out of range refused beside their fields (nothing saved), then saved and the
change listed with who made it; the form needs the CSRF token; an employee gets the 404
page; axe finds nothing serious in either language. A cycle created on the pages after
the zone is set to WITA has its deadlines at the end of the chosen days in WITA."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from playwright.async_api import expect

from domain.policy import end_of_day
from domain.survey import PublicService
from services.public import PublicVoiceService
from store.public import PublicStore
from tests.web.conftest import Site, axe_check, shot


async def test_hr_sets_the_agencys_settings_on_the_page(site: Site) -> None:
    hr = await site.signed_in("hr", javascript=False)
    response = await hr.goto("/sdm/pengaturan")
    assert response is not None and response.status == 200
    await expect(hr.get_by_role("heading", name=f"Pengaturan instansi · {site.agency}")
                 ).to_be_visible()
    await expect(hr.get_by_text("Belum ada perubahan")).to_be_visible()

    await hr.get_by_label("Alamat surel SDM").fill("sdm@pemkot.go.id\nbukan-alamat")
    await hr.get_by_label("Zona waktu instansi").select_option("8")
    await hr.get_by_label("Batas hari menjawab pengaduan").fill("400")
    await hr.get_by_role("button", name="Simpan pengaturan").click()
    await expect(hr.locator("#err-hr_contacts")).to_contain_text("bukan-alamat")
    await expect(hr.locator("#err-complaint_response_days")).to_have_text(
        "Isi 1 sampai 365 hari, atau kosongkan.")
    await expect(hr.get_by_label("Alamat surel SDM")).to_have_attribute("aria-invalid", "true")
    await expect(hr.get_by_label("Zona waktu instansi")).to_have_value("8")  # kept as typed
    assert await site.pool.fetchval("SELECT count(*) FROM agency_settings WHERE agency = $1",
                                    site.agency) == 0
    await shot(hr, "settings-refused")

    await hr.get_by_label("Alamat surel SDM").fill("sdm@pemkot.go.id\nkepegawaian@pemkot.go.id")
    await hr.get_by_label("Batas hari menjawab pengaduan").fill("10")
    await hr.get_by_role("button", name="Simpan pengaturan").click()
    await expect(hr.get_by_role("status")).to_have_text("Pengaturan telah disimpan.")
    await expect(hr.get_by_label("Zona waktu instansi")).to_have_value("8")
    await expect(hr.get_by_label("Batas hari menjawab pengaduan")).to_have_value("10")
    hr_key = site.people["hr"].key
    await expect(hr.locator("tbody tr")).to_have_count(1)
    await expect(hr.locator("tbody tr")).to_contain_text(hr_key)
    await expect(hr.locator("tbody tr")).to_contain_text("complaint_response_days: 10")
    await shot(hr, "settings-saved")
    assert await site.pool.fetchval("SELECT email FROM agency_hr_contacts WHERE agency = $1",
                                    site.agency) == "sdm@pemkot.go.id, kepegawaian@pemkot.go.id"

    # The public's complaint form says the agency's days.
    await PublicVoiceService(PublicStore(site.pool)).define_unit(
        site.actor("hr"), site.agency, "dishub", "Dishub",
        [PublicService(key="kir", name="Uji KIR")], 100)
    await hr.goto(f"/publik/pengaduan/{site.agency}/dishub")
    await expect(hr.get_by_text("Unit menjawab dalam 10 hari.")).to_be_visible()

    # Without the CSRF token: refused, nothing changes.
    await hr.goto("/sdm/pengaturan")
    refused = await hr.request.post("/sdm/pengaturan", form={"utc_offset_hours": "9"},
                                    max_redirects=0)
    assert refused.status == 403
    assert await site.pool.fetchval(
        "SELECT utc_offset_hours FROM agency_settings WHERE agency = $1", site.agency) == 8

    # A cycle created now: in WITA, each date the end of that day there.
    year = datetime.now(UTC).year + 1
    skp_day = datetime.now(UTC).date() + timedelta(days=20)
    await hr.goto("/sdm/siklus")
    await hr.get_by_label("Tahun").fill(str(year))
    await hr.get_by_label("SKP disetujui paling lambat").fill(skp_day.isoformat())
    await hr.get_by_role("button", name="Buat siklus").click()
    await hr.wait_for_url(f"**/sdm/siklus/*-{year}")
    calendar = await site.pool.fetchval(
        "SELECT state->'calendar' FROM cycles WHERE cycle_id = $1", f"{site.agency}-{year}")
    calendar = json.loads(calendar)
    assert calendar["utc_offset_hours"] == 8
    assert datetime.fromisoformat(calendar["skp_deadline"]) == end_of_day(skp_day, 8)
    review = datetime.fromisoformat(calendar["review_deadline"])  # the date the form held
    assert review == end_of_day(review.date(), 8)


async def test_the_settings_page_passes_axe_and_is_a_404_for_an_employee(site: Site) -> None:
    for lang in ("id", "en"):
        page = await site.signed_in("hr", lang=lang)
        response = await page.goto("/sdm/pengaturan")
        assert response is not None and response.status == 200
        await axe_check(page, f"/sdm/pengaturan {lang}")
    employee = await site.signed_in("employee")
    for path in ("/sdm/pengaturan", "/sdm/pengaturan?instansi=pemkot-lain"):
        response = await employee.goto(path)
        assert response is not None and response.status == 404, path
    hr = await site.signed_in("hr")
    response = await hr.goto("/sdm/pengaturan?instansi=pemkot-lain")
    assert response is not None and response.status == 404
