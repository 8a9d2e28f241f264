"""The periodic review (penilaian kinerja periodik) on the pages: the appraiser rates an
ended period and gives feedback (without JavaScript; a refusal beside its field), the
employee reads each period's predikat and feedback, and the annual review form shows
the periods; axe finds nothing serious on either page."""

from __future__ import annotations

from datetime import UTC, datetime

from playwright.async_api import Page, expect

from domain.appraisal import SubmitSelfAssessment
from domain.skp import SelfAssessment
from tests.web.appraisals import SKP, approved, open_appraisal
from tests.web.conftest import Site, axe_check, shot

FEEDBACK = "Layanan triwulan III melampaui target; lengkapi bukti dukung pelatihan."


async def press(page: Page, name: str) -> None:
    async with page.expect_navigation():
        await page.get_by_role("button", name=name).click()


async def test_the_appraiser_reviews_a_period_and_the_employee_reads_it(site: Site) -> None:
    # Last year's cycle: every quarter has ended, whatever the day the test runs.
    year = datetime.now(UTC).year - 1
    appraisal = await open_appraisal(site, cycle=f"{site.agency}-{year}", year=year)
    await approved(site, appraisal)
    path = f"/penilaian/{appraisal}"

    boss = await site.signed_in("appraiser", javascript=False)
    await boss.goto(path)
    form = boss.locator("form[action$='/periodik']")
    await expect(boss.locator("#per-period option")).to_have_text(
        [f"Triwulan {n}, {year}" for n in (1, 2, 3, 4)])
    await boss.locator("#per-period").select_option("3")
    await boss.locator("#per-rhk-0").select_option("above")
    await boss.locator("#per-rhk-1").select_option("above")
    # Without feedback: the rule beside the field, nothing recorded.
    await press(boss, "Berikan penilaian periodik")
    await expect(boss.locator("#err-feedback")).to_be_visible()
    await expect(boss.locator("#per-feedback")).to_have_attribute("aria-invalid", "true")
    await expect(boss.locator("#per-period")).to_have_value("3")  # kept
    # The same refusal with JavaScript (a boosted form), checked by axe.
    boss_js = await site.signed_in("appraiser")
    await boss_js.goto(path)
    await boss_js.get_by_role("button", name="Berikan penilaian periodik").click()
    await expect(boss_js.locator("#err-feedback")).to_be_visible()
    await axe_check(boss_js, "periodic review with an error")
    state = await site.appraisals.state(site.actor("appraiser"), appraisal)
    assert state.state["period_reviews"] == {}

    await boss.locator("#per-rhk-0").select_option("above")
    await boss.locator("#per-rhk-1").select_option("above")
    await boss.locator("#per-feedback").fill(FEEDBACK)
    await press(boss, "Berikan penilaian periodik")
    row = boss.locator("#periods-3")
    await expect(row).to_contain_text(f"Triwulan 3, {year}")
    await expect(row).to_contain_text("Baik")
    await expect(row).to_contain_text(FEEDBACK)
    # Quarter 3 is no longer offered; the others still are.
    await expect(form.locator("#per-period option")).to_have_count(3)
    await boss_js.goto(path)
    await expect(boss_js.locator("#periods-3")).to_contain_text(FEEDBACK)
    await shot(boss_js, "periodic-review-appraiser")
    await axe_check(boss_js, "periodic review given")
    state = await site.appraisals.state(site.actor("appraiser"), appraisal)
    given = state.state["period_reviews"]["3"]
    assert (given["work_result"], given["predikat"]) == ("above", "baik")

    employee = await site.signed_in("employee")
    await employee.goto(path)
    await expect(employee.locator("#periods-3")).to_contain_text("Baik")
    await expect(employee.locator("#periods-3")).to_contain_text(FEEDBACK)
    await expect(employee.locator("form[action$='/periodik']")).to_have_count(0)
    await axe_check(employee, "the employee's periodic reviews")

    # The annual review form shows the periods.
    await site.appraisals.command(site.actor("employee"), appraisal, SubmitSelfAssessment(
        assessment=SelfAssessment.model_validate({
            "ratings": [{"rhk_id": r["id"], "proposed": "meets"} for r in SKP["rhk"]],
            "narrative": "Tercapai."})), f"self-{appraisal[-12:]}")
    await boss_js.goto(path)
    table = boss_js.locator("section[aria-labelledby='review-h'] #review-periods")
    await expect(table.locator("#review-periods-3")).to_contain_text(FEEDBACK)
    await expect(boss_js.locator("#periods")).to_have_count(0)  # shown once, in the form
    await axe_check(boss_js, "annual review with the periods")
