"""The demo appraisal in the browser, each person signed in as themselves: the SKP
drafted (a refusal shown next to its field), submitted, returned with a reason, resubmitted
and approved; a daily activity logged from a phone-sized screen; a double-submitted form
changes nothing."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.web.conftest import Site, shot


async def _fill_rhk(page: Page, i: int, description: str, indicator: str, value: str,
                    unit: str) -> None:
    await page.locator(f'[id="rhk.{i}.description"]').fill(description)
    await page.locator(f'[id="rhk.{i}.indicators.0.description"]').fill(indicator)
    await page.locator(f'[id="rhk.{i}.indicators.0.target.value"]').fill(value)
    await page.locator(f'[id="rhk.{i}.indicators.0.target.unit"]').fill(unit)


async def test_skp_drafted_returned_resubmitted_approved_then_an_activity_from_a_phone(
        site: Site) -> None:
    employee = await site.signed_in("employee")
    await expect(employee.get_by_role("heading", name="Kinerja saya")).to_be_visible()
    await expect(employee.get_by_text("Susun SKP Anda")).to_be_visible()
    await expect(employee.get_by_text("sisa 30 hari")).to_be_visible()
    await shot(employee, "01-employee-home")
    await employee.locator(f'a[href="/penilaian/{site.appraisal_id}"]').click()
    await expect(employee.get_by_role("heading", name="Penyusunan SKP")).to_be_visible()

    # A target without its unit: refused next to the field, in Indonesian; nothing saved.
    await _fill_rhk(employee, 0, "Layanan informasi publik", "Permohonan terlayani", "120", "")
    await employee.get_by_role("button", name="Simpan draf").click()
    error = employee.locator("#err-rhk-0-indicators-0-target-value")
    await expect(error).to_have_text("Isi nilai target beserta satuannya, atau uraian target.")
    await expect(employee.locator('[id="rhk.0.description"]')).to_have_value(
        "Layanan informasi publik")
    await shot(employee, "02-skp-refused")

    await _fill_rhk(employee, 0, "Layanan informasi publik", "Permohonan terlayani", "120",
                    "permohonan")
    await _fill_rhk(employee, 1, "Pengelolaan situs web", "Konten dimutakhirkan", "52",
                    "minggu")
    await employee.get_by_role("button", name="Simpan draf").click()
    await expect(employee.get_by_text("Draf", exact=True)).to_be_visible()
    await employee.get_by_role("button", name="Simpan dan ajukan").click()
    await expect(employee.get_by_text("Diajukan, menunggu pejabat penilai")).to_be_visible()
    await shot(employee, "03-skp-submitted")

    appraiser = await site.signed_in("appraiser")
    await expect(appraiser.get_by_role("heading", name="Sebagai pejabat penilai")).to_be_visible()
    await appraiser.get_by_role("link", name="e-0001").click()
    await appraiser.get_by_role("button", name="Kembalikan SKP").click()  # no reason
    await expect(appraiser.locator("#err-reason")).to_have_text("Kolom ini wajib diisi.")
    await appraiser.get_by_label("Alasan pengembalian").fill(
        "Tambahkan RHK tentang pelatihan internal.")
    await appraiser.get_by_role("button", name="Kembalikan SKP").click()
    await expect(appraiser.get_by_text("Dikembalikan untuk diperbaiki")).to_be_visible()
    await shot(appraiser, "04-skp-returned")

    await employee.reload()
    await expect(employee.get_by_text("Tambahkan RHK tentang pelatihan internal.")).to_be_visible()
    await _fill_rhk(employee, 2, "Pelatihan internal", "Sesi pelatihan", "4", "sesi")
    await employee.get_by_role("button", name="Simpan dan ajukan").click()
    await expect(employee.get_by_text("Diajukan, menunggu pejabat penilai")).to_be_visible()

    await appraiser.reload()
    await appraiser.get_by_role("button", name="Setujui SKP").click()
    await expect(appraiser.get_by_text("Disetujui", exact=True)).to_be_visible()
    await expect(appraiser.get_by_role("cell", name="Pelatihan internal")).to_be_visible()
    await shot(appraiser, "05-skp-approved")

    # A daily activity, one tap from a phone.
    phone = await site.signed_in("employee", phone=True)
    await phone.goto(f"/penilaian/{site.appraisal_id}")
    await phone.get_by_label("Yang Anda kerjakan").fill("Melayani 5 permohonan informasi")
    await phone.get_by_role("button", name="Catat kegiatan").tap()
    await expect(phone.get_by_text("Melayani 5 permohonan informasi")).to_be_visible()
    await shot(phone, "06-activity-phone")

    trail = await site.pool.fetch(
        "SELECT type FROM events WHERE stream_id = $1 ORDER BY version", site.appraisal_id)
    assert [r["type"] for r in trail] == [
        "AppraisalOpened", "TargetsDrafted", "TargetsDrafted", "TargetsSubmitted",
        "TargetsReturned", "TargetsDrafted", "TargetsSubmitted", "TargetsApproved",
        "ActivityLogged"]
