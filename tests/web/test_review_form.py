"""The review form: a rating per RHK (the employee's proposal shown and chosen first) and
per BerAKHLAK value; the suggested overall ratings and the predikat from the policy's
matrix previewed; another overall rating than the suggestion only with a reason (the
domain's rule, shown beside the reason's field); under PP 30/2019 the scores."""

from __future__ import annotations

from playwright.async_api import Page, expect

from domain.policy import POLICY_PP30_2019
from tests.web.appraisals import in_review, open_appraisal
from tests.web.conftest import Site, axe_check, shot


async def press(page: Page, name: str) -> None:
    async with page.expect_navigation():
        await page.get_by_role("button", name=name).click()


async def test_override_needs_a_reason_without_javascript(site: Site) -> None:
    await in_review(site, site.appraisal_id, proposed="above")
    page = await site.signed_in("appraiser", javascript=False)
    await page.goto(f"/penilaian/{site.appraisal_id}")
    await expect(page.locator("#rev-rhk-0-proposed")).to_have_text(
        "Usulan pegawai: Di atas ekspektasi")
    await expect(page.locator("#rev-rhk-0")).to_have_value("above")  # the proposal
    await page.locator("#rev-rhk-1").select_option("meets")
    await press(page, "Pratinjau predikat")
    # one of two above is not more than half: meets
    await expect(page.locator("#suggested")).to_contain_text(
        "Saran rating hasil kerja: Sesuai ekspektasi")
    await expect(page.locator("#preview")).to_contain_text("Predikat: Baik")
    await expect(page.locator("#rev-rhk-1")).to_have_value("meets")  # kept

    await page.locator("#rev-work").select_option("above")
    await press(page, "Kirim penilaian")
    reason = page.locator('[id="err-ratings-work_result_reason"]')
    await expect(reason).to_contain_text("needs a reason")
    await expect(page.locator("#rev-work-reason")).to_have_attribute("aria-invalid", "true")
    state = await site.appraisals.state(site.actor("appraiser"), site.appraisal_id)
    assert state.state.get("review") is None

    await page.locator("#rev-work-reason").fill("Layanan melampaui target tahunan.")
    await page.locator("#rev-val-0").select_option("above")
    await page.locator("#rev-val-1").select_option("above")
    await page.locator("#rev-val-2").select_option("above")
    await page.locator("#rev-val-3").select_option("above")
    await press(page, "Pratinjau predikat")
    await expect(page.locator("#suggested")).to_contain_text(
        "Saran rating perilaku kerja: Di atas ekspektasi")
    await expect(page.locator("#preview")).to_contain_text("Predikat: Sangat Baik")
    await press(page, "Kirim penilaian")
    await expect(page.locator("#predikat")).to_have_text("Sangat Baik")
    state = await site.appraisals.state(site.actor("appraiser"), site.appraisal_id)
    review = state.state["review"]
    assert (review["suggested_work_result"], review["work_result"]) == ("meets", "above")


async def test_the_preview_follows_the_choices_with_htmx(site: Site) -> None:
    await in_review(site, site.appraisal_id)
    page = await site.signed_in("appraiser")
    await page.goto(f"/penilaian/{site.appraisal_id}")
    await page.locator("#rev-rhk-0").select_option("below")  # the only main RHK below
    await expect(page.locator("#suggested")).to_contain_text(
        "Saran rating hasil kerja: Di bawah ekspektasi")
    await expect(page.locator("#preview")).to_contain_text("Predikat: Butuh Perbaikan")
    await page.locator("#rev-work").select_option("meets")
    await expect(page.locator("#preview")).to_contain_text("needs a reason")
    await axe_check(page, "review form with its preview")
    await shot(page, "review-override")


async def test_the_scores_under_pp_30_2019(site: Site) -> None:
    appraisal_id = await open_appraisal(site, cycle=f"{site.agency}-pp30",
                                        policy=POLICY_PP30_2019, utc_offset_hours=8)
    await in_review(site, appraisal_id)
    page = await site.signed_in("appraiser", javascript=False)
    await page.goto(f"/penilaian/{appraisal_id}")
    await press(page, "Kirim penilaian")
    await expect(page.locator(".error-summary")).to_contain_text("numeric scores")
    await page.get_by_label("Nilai SKP").fill("130")
    await page.get_by_label("Nilai perilaku kerja", exact=False).first.fill("80")
    await press(page, "Kirim penilaian")
    await expect(page.locator('[id="err-ratings-numeric-skp_score"]')).to_contain_text(
        "at most 120")
    await page.get_by_label("Nilai SKP").fill("95")
    await press(page, "Pratinjau predikat")
    await expect(page.locator("#preview")).to_contain_text("Nilai: 90,5")  # 95×0,7 + 80×0,3
    await expect(page.locator("#preview")).to_contain_text("Predikat: Baik")
    await press(page, "Kirim penilaian")
    await expect(page.locator("#predikat")).to_have_text("Baik")
