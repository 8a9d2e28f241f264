"""The documents from the pages: the appraisal's page links the SKP once approved, the
browser downloads it, and /verifikasi (no sign-in) confirms it by its typed code and by
the uploaded file, without JavaScript; axe finds nothing serious on the page."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import expect

from documents.render import code_in_pdf
from domain.appraisal import ApproveTargets, DraftTargets, SubmitTargets
from domain.documents import parse_code
from domain.skp import Skp
from tests.web.conftest import Site, axe_check, shot

SKP = Skp.model_validate({"approach": "kuantitatif", "rhk": [
    {"id": "rhk-1", "kind": "utama", "description": "Layanan informasi publik",
     "indicators": [{"id": "ind-1", "description": "Permohonan terlayani",
                     "aspect": "kuantitas", "target": {"value": "120", "unit": "permohonan"}}]}]})


async def test_download_the_skp_and_verify_it_by_code_and_by_file(site: Site, tmp_path: Path
                                                                  ) -> None:
    employee, appraiser = site.actor("employee"), site.actor("appraiser")
    await site.appraisals.command(employee, site.appraisal_id, DraftTargets(skp=SKP), "d1")
    page = await site.signed_in("employee")
    await page.goto(f"/penilaian/{site.appraisal_id}")
    await expect(page.locator("#doc-skp")).to_have_count(0)  # not approved yet
    await site.appraisals.command(employee, site.appraisal_id, SubmitTargets(), "s1")
    await site.appraisals.command(appraiser, site.appraisal_id, ApproveTargets(), "a1")
    await page.goto(f"/penilaian/{site.appraisal_id}")
    async with page.expect_download() as downloading:
        await page.locator("#doc-skp").click()
    download = await downloading.value
    saved = tmp_path / "skp.pdf"
    await download.save_as(saved)
    pdf = saved.read_bytes()
    code = code_in_pdf(pdf)
    assert code is not None and parse_code(code).appraisal_id == site.appraisal_id

    stranger = await (await site.context(javascript=False)).new_page()  # no sign-in
    await stranger.goto("/verifikasi")
    await stranger.locator("#kode").fill(parse_code(code).short())
    await stranger.get_by_role("button", name="Periksa kode").click()
    await expect(stranger.locator("#verdict")).to_have_attribute("data-status", "match")
    await expect(stranger.get_by_role("heading", name="Asli")).to_be_visible()
    await shot(stranger, "verify-code")
    await stranger.goto("/verifikasi")
    await stranger.locator("#file").set_input_files(str(saved))
    await stranger.get_by_role("button", name="Periksa berkas").click()
    await expect(stranger.locator("#verdict")).to_have_attribute("data-status", "match")
    await stranger.goto("/verifikasi?kode=" + code.replace(code.split("~")[4], "0" * 64))
    await expect(stranger.locator("#verdict")).to_have_attribute("data-status", "tampered")
    await stranger.goto("/verifikasi?kode=bukan-kode")
    await expect(stranger.locator("#verify-error")).to_contain_text(
        "Ini bukan kode dokumen Kinerja")

    checked = await (await site.context()).new_page()
    await checked.goto(f"/verifikasi?kode={parse_code(code).short()}")
    await axe_check(checked, "verify")

    outsider = await site.signed_in("hr")  # HR in scope gets it; a colleague would not
    response = await outsider.request.get(f"/penilaian/{site.appraisal_id}/dokumen/skp.pdf")
    assert response.status == 200 and (await response.body()) == pdf
    response = await outsider.request.get(f"/penilaian/{site.appraisal_id}/dokumen/rapor.pdf")
    assert response.status == 404
