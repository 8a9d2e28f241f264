"""The demo appraisal in the browser, each person signed in as themselves: the SKP
drafted (a refusal shown next to its field), submitted, returned with a reason, resubmitted
and approved; a daily activity and the self-assessment from a phone-sized screen; the
review with its predikat previewed; HR's release; an objection within the window;
explanations asked and given; the decision; the final result shown to the employee."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from tests.web.conftest import Site, axe_check, shot


async def _fill_rhk(page: Page, i: int, description: str, indicator: str, value: str,
                    unit: str) -> None:
    await page.locator(f'[id="rhk.{i}.description"]').fill(description)
    await page.locator(f'[id="rhk.{i}.indicators.0.description"]').fill(indicator)
    await page.locator(f'[id="rhk.{i}.indicators.0.target.value"]').fill(value)
    await page.locator(f'[id="rhk.{i}.indicators.0.target.unit"]').fill(unit)


async def _add_rhk(page: Page, i: int) -> None:
    """The editor's "Tambah RHK" (htmx: the form alone comes back with row ``i``)."""
    await page.get_by_role("button", name="Tambah RHK").click()
    await expect(page.locator(f'[id="rhk.{i}.description"]')).to_be_visible()


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
    await axe_check(employee, "skp refused")

    await _fill_rhk(employee, 0, "Layanan informasi publik", "Permohonan terlayani", "120",
                    "permohonan")
    await _add_rhk(employee, 1)
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
    await axe_check(appraiser, "skp returned")

    await employee.reload()
    await expect(employee.get_by_text("Tambahkan RHK tentang pelatihan internal.")).to_be_visible()
    await _add_rhk(employee, 2)
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

    # Progress of this month, from the phone: the first indicator only.
    await phone.locator("#real-0").fill("sepuluh")
    await phone.get_by_role("button", name="Laporkan capaian").tap()
    await expect(phone.locator("#err-report-realisations-0-value")).to_have_text(
        "Masukkan angka.")
    await phone.locator("#real-0").fill("10.5")
    await phone.get_by_role("button", name="Laporkan capaian").tap()
    await expect(phone.get_by_text(re.compile(r"^\d{4}-\d{2}: 10,5$"))).to_be_visible()

    # The self-assessment, from the phone.
    for i in range(3):
        await phone.locator(f"#self-{i}").select_option("above")
    await phone.get_by_role("button", name="Ajukan penilaian mandiri").tap()
    await expect(phone.locator(".error-summary")).to_be_visible()  # no narrative
    await expect(phone.locator('[id="err-assessment-narrative"]')).to_have_text(
        "Kolom ini wajib diisi.")
    await axe_check(phone, "self-assessment form")
    await phone.get_by_label("Uraian kinerja Anda selama setahun").fill(
        "Semua target tercapai.")
    await phone.get_by_role("button", name="Ajukan penilaian mandiri").tap()
    await expect(phone.get_by_text("Semua target tercapai.")).to_be_visible()
    await shot(phone, "07-self-assessment")
    await axe_check(phone, "self-assessment")

    # The review, with the predikat previewed (htmx fragment) before it is sent; first
    # the appraiser's feedback.
    await appraiser.reload()
    await appraiser.get_by_label("Tentang").select_option(label="Pelatihan internal")
    await appraiser.locator("#fb-text").fill("Materi pelatihan sudah baik.")
    await appraiser.get_by_role("button", name="Beri umpan balik").click()
    await expect(appraiser.get_by_text("Materi pelatihan sudah baik.")).to_be_visible()
    await appraiser.locator("#rev-rhk-0").select_option("above")
    await appraiser.locator("#rev-rhk-1").select_option("above")
    await appraiser.get_by_role("button", name="Pratinjau predikat").click()
    await expect(appraiser.locator("#preview")).to_contain_text("Predikat: Baik")
    await shot(appraiser, "08-review-preview")
    await axe_check(appraiser, "review with preview")
    await appraiser.get_by_role("button", name="Kirim penilaian").click()
    await expect(appraiser.locator("#predikat")).to_have_text("Baik")

    # HR releases it; the objection window opens (14 days).
    hr = await site.signed_in("hr")
    await hr.get_by_role("link", name="e-0001").click()
    # Not in a cycle whose unit passed calibration: the release needs a reason.
    await hr.get_by_role("button", name="Umumkan hasil").click()
    await expect(hr.locator("#exception_reason")).to_have_attribute("aria-invalid", "true")
    await hr.get_by_label("Alasan pengecualian").fill(
        "Pegawai dinilai di luar siklus unit; disetujui kepala BKPSDM.")
    await hr.get_by_role("button", name="Umumkan hasil").click()
    await expect(hr.get_by_text("Hasil diumumkan: masa keberatan")).to_be_visible()

    # The employee objects within the window.
    await employee.goto(f"/penilaian/{site.appraisal_id}")
    await expect(employee.get_by_text("sisa 14 hari").first).to_be_visible()
    await axe_check(employee, "objection window")
    await employee.get_by_label("Alasan Anda").fill("Rating perilaku kolaboratif terlalu rendah.")
    await employee.get_by_role("button", name="Ajukan keberatan").click()
    await expect(employee.get_by_text("Keberatan sedang diperiksa")).to_be_visible()
    await shot(employee, "09-objection-filed")
    await axe_check(employee, "objection filed")

    # The superior asks both for explanations; both explain; the superior decides.
    superior = await site.signed_in("superior")
    await superior.get_by_role("link", name="e-0001").click()
    await axe_check(superior, "superior's objection forms")
    await superior.get_by_label("Alasan keputusan").fill("Terlalu dini.")
    await superior.get_by_role("button", name="Putuskan", exact=True).click()
    await expect(superior.locator(".error-summary")).to_contain_text(
        "Tahap penilaian saat ini tidak mengizinkan")  # explanations first (the domain)
    await expect(superior.get_by_label("Alasan keputusan")).to_have_value("Terlalu dini.")
    await superior.get_by_label("Pertanyaan", exact=True).fill("Apa dasar rating perilaku?")
    await superior.get_by_role("button", name="Minta", exact=True).click()
    await expect(superior.get_by_text("Apa dasar rating perilaku?")).to_be_visible()
    for who, text in ((appraiser, "Rating sesuai catatan kerja sama."),
                      (employee, "Saya memimpin dua kegiatan lintas bidang.")):
        await who.goto(f"/penilaian/{site.appraisal_id}")
        await who.get_by_label("Penjelasan", exact=True).fill(text)
        await who.get_by_role("button", name="Kirim penjelasan").click()
        await expect(who.get_by_text(text)).to_be_visible()
    await superior.reload()
    await superior.get_by_label("Alasan keputusan").fill("Penilaian sudah sesuai bukti.")
    await superior.get_by_role("button", name="Putuskan", exact=True).click()
    await expect(superior.get_by_text("Final", exact=True)).to_be_visible()
    await shot(superior, "10-objection-decided")
    await axe_check(superior, "objection decided")

    # The final result, shown to the employee.
    await employee.goto("/")
    await employee.goto(f"/penilaian/{site.appraisal_id}")
    await expect(employee.locator("#predikat")).to_have_text("Baik")
    await expect(employee.get_by_text("dikuatkan")).to_be_visible()
    await shot(employee, "11-final-result")
    await axe_check(employee, "final result")

    # The same result in English, chosen in the page's header.
    await employee.get_by_role("button", name="English").click()
    await expect(employee.locator("#predikat")).to_have_text("Good")
    await expect(employee.get_by_role("heading", name="Result")).to_be_visible()
    await axe_check(employee, "final result in English")
    await employee.goto(f"/penilaian/{site.appraisal_id}/riwayat")
    await expect(employee.get_by_role("heading", name="History")).to_be_visible()
    await axe_check(employee, "history in English")
    await shot(employee, "12-history-en")

    trail = await site.pool.fetch(
        "SELECT type FROM events WHERE stream_id = $1 ORDER BY version", site.appraisal_id)
    assert [r["type"] for r in trail] == [
        "AppraisalOpened", "TargetsDrafted", "TargetsDrafted", "TargetsSubmitted",
        "TargetsReturned", "TargetsDrafted", "TargetsSubmitted", "TargetsApproved",
        "ActivityLogged", "ProgressReported", "SelfAssessmentSubmitted", "FeedbackGiven",
        "ReviewSubmitted",
        "ResultReleased", "ObjectionFiled", "ExplanationsRequested", "ExplanationGiven",
        "ExplanationGiven", "ObjectionDecided", "AppraisalFinalized"]
