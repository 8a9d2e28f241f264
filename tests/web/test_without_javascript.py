"""Every form works without JavaScript: the same forms, posted by the browser and
answered with a redirect or with the page again (a refusal next to its field); the
predikat preview answers with the whole page. (axe needs JavaScript: the same pages
are checked with it in the other tests.)"""

from __future__ import annotations

from playwright.async_api import expect

from domain.appraisal import ApproveTargets, SubmitSelfAssessment
from domain.skp import SelfAssessment
from tests.web.conftest import Site, shot


async def test_the_forms_without_javascript(site: Site) -> None:
    employee = await site.signed_in("employee", javascript=False)
    await employee.goto(f"/penilaian/{site.appraisal_id}")
    await employee.locator('[id="rhk.0.description"]').fill("Layanan informasi publik")
    await employee.get_by_role("button", name="Simpan draf").click()
    await expect(employee.locator("#err-rhk-0-indicators-0-description")).to_have_text(
        "Kolom ini wajib diisi.")
    await employee.locator('[id="rhk.0.indicators.0.description"]').fill("Permohonan")
    await employee.locator('[id="rhk.0.indicators.0.target.value"]').fill("120")
    await employee.locator('[id="rhk.0.indicators.0.target.unit"]').fill("permohonan")
    await employee.get_by_role("button", name="Simpan dan ajukan").click()
    await expect(employee.get_by_text("Diajukan, menunggu pejabat penilai")).to_be_visible()
    await employee.get_by_role("button", name="English").click()
    await expect(employee.get_by_text("Submitted, waiting for the appraiser")).to_be_visible()

    # Bring it to the review through the use cases, then review without JavaScript.
    appraiser_actor, employee_actor = site.actor("appraiser"), site.actor("employee")
    await site.appraisals.command(appraiser_actor, site.appraisal_id, ApproveTargets(), "a1")
    await site.appraisals.command(employee_actor, site.appraisal_id, SubmitSelfAssessment(
        assessment=SelfAssessment.model_validate({
            "ratings": [{"rhk_id": rhk, "proposed": "meets"} for rhk in await _rhk_ids(site)],
            "narrative": "Tercapai."})), "s1")
    appraiser = await site.signed_in("appraiser", javascript=False)
    await appraiser.goto(f"/penilaian/{site.appraisal_id}")
    await appraiser.get_by_role("button", name="Pratinjau predikat").click()
    await expect(appraiser.locator("#preview")).to_contain_text("Predikat: Baik")
    await shot(appraiser, "nojs-preview")
    await appraiser.get_by_role("button", name="Kirim penilaian").click()
    await expect(appraiser.locator("#predikat")).to_have_text("Baik")
    await appraiser.get_by_role("button", name="Keluar").click()
    await expect(appraiser.get_by_role("heading", name="Masuk sebagai orang demo")).to_be_visible()


async def _rhk_ids(site: Site) -> list[str]:
    state = await site.appraisals.state(site.actor("employee"), site.appraisal_id)
    return [r["id"] for r in state.state["skp"]["rhk"]]

