"""Evidence in the browser: the employee, on a phone and without JavaScript, reports a
month's progress with a PDF attached (a file that is not what its name says is refused
next to the field, nothing reported); the appraiser downloads the file from the page and
gets the same bytes; a file the appraisal does not name is the 404 page."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from playwright.async_api import expect

from domain.appraisal import ApproveTargets, DraftTargets, SubmitTargets
from domain.skp import Skp
from tests.web.conftest import Site, axe_check, shot

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 100

SKP = {"approach": "kuantitatif", "rhk": [
    {"id": "rhk-1", "kind": "utama", "description": "Layanan informasi publik",
     "indicators": [{"id": "ind-1", "description": "Permohonan terlayani",
                     "aspect": "kuantitas", "target": {"value": "120", "unit": "permohonan"}}]}]}


async def _reporting(site: Site) -> None:
    employee, appraiser = site.actor("employee"), site.actor("appraiser")
    await site.appraisals.command(employee, site.appraisal_id,
                                  DraftTargets(skp=Skp.model_validate(SKP)), "d1")
    await site.appraisals.command(employee, site.appraisal_id, SubmitTargets(), "s1")
    await site.appraisals.command(appraiser, site.appraisal_id, ApproveTargets(), "a1")


async def test_employee_attaches_evidence_and_the_appraiser_downloads_it(
        site: Site, tmp_path: Path) -> None:
    await _reporting(site)
    phone = await site.signed_in("employee", phone=True, javascript=False)
    await phone.goto(f"/penilaian/{site.appraisal_id}")

    # A program named like a PDF: refused next to the file field; nothing reported.
    await phone.locator("#real-0").fill("12")
    await phone.locator("#evidence").set_input_files(
        [{"name": "laporan-maret.pdf", "mimeType": "application/pdf", "buffer": EXE}])
    await phone.get_by_role("button", name="Laporkan capaian").tap()
    await expect(phone.locator("#err-evidence")).to_contain_text(
        "Jenis berkas ini tidak diterima")
    await expect(phone.locator("#evidence")).to_have_attribute("aria-invalid", "true")
    await expect(phone.locator("#real-0")).to_have_value("12")  # what was typed stays
    await shot(phone, "evidence-refused")
    assert await site.pool.fetchval("SELECT count(*) FROM evidence_files") == 0

    await phone.locator("#evidence").set_input_files(
        [{"name": "laporan-maret.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    await phone.get_by_role("button", name="Laporkan capaian").tap()
    link = phone.get_by_role("link", name="laporan-maret.pdf")
    await expect(link).to_be_visible()
    await expect(phone.get_by_text(re.compile(r"^\d{4}-\d{2}: 12"))).to_be_visible()
    await shot(phone, "evidence-reported")
    digest = hashlib.sha256(PDF).hexdigest()
    await expect(link).to_have_attribute(
        "href", f"/penilaian/{site.appraisal_id}/bukti/{digest}")

    appraiser = await site.signed_in("appraiser")
    await appraiser.goto(f"/penilaian/{site.appraisal_id}")
    await axe_check(appraiser, "progress with evidence")
    async with appraiser.expect_download() as downloading:
        await appraiser.get_by_role("link", name="laporan-maret.pdf").click()
    download = await downloading.value
    assert download.suggested_filename == "laporan-maret.pdf"
    saved = tmp_path / "saved.pdf"
    await download.save_as(saved)
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == digest

    # An inspector of the agency reads it too; a file the appraisal does not name is
    # the 404 page, whoever asks.
    inspector = await site.signed_in("inspector")  # the session's cookie, without a tab
    response = await inspector.request.get(f"/penilaian/{site.appraisal_id}/bukti/{digest}")
    assert response.status == 200 and hashlib.sha256(await response.body()).hexdigest() == digest
    assert response.headers["x-content-type-options"] == "nosniff"
    other = await inspector.request.get(f"/penilaian/{site.appraisal_id}/bukti/{'0' * 64}")
    assert other.status == 404


async def test_the_evidence_form_has_no_serious_accessibility_violation(site: Site) -> None:
    await _reporting(site)
    employee = await site.signed_in("employee")
    await employee.goto(f"/penilaian/{site.appraisal_id}")
    await employee.locator("#real-0").fill("3")
    await employee.locator("#evidence").set_input_files(
        [{"name": "kosong.pdf", "mimeType": "application/pdf", "buffer": b""}])
    await employee.get_by_role("button", name="Laporkan capaian").click()
    await expect(employee.locator("#err-evidence")).to_have_text("Berkas ini kosong.")
    await axe_check(employee, "evidence refused")
