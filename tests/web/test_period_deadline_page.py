"""HR moves a period's review deadline on the appraisal page: without JavaScript, the
refusal beside its field (nothing recorded), then the deadline moved to the end of the day
chosen in the agency's zone; the parties see no such form; axe finds nothing serious."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from playwright.async_api import Page, expect

from domain.policy import POLICY_6_2022, end_of_day
from tests.web.appraisals import approved, open_appraisal
from tests.web.conftest import Site, axe_check, shot

MONTHLY = POLICY_6_2022.model_copy(update={"review_periods": "monthly"})
WIB = timezone(timedelta(hours=7))
REASON = "Penilai cuti besar; data bulan ini terlambat."


async def press(page: Page, name: str) -> None:
    async with page.expect_navigation():
        await page.get_by_role("button", name=name).click()


async def test_hr_moves_a_periods_deadline_beside_its_fields(site: Site) -> None:
    # This year's cycle, monthly: the current month's review is due within weeks, before
    # the annual review's deadline (90 days away), whatever the day the test runs.
    year = datetime.now(UTC).year
    appraisal = await open_appraisal(site, cycle=f"{site.agency}-{year}-pd", policy=MONTHLY,
                                     year=year)
    await approved(site, appraisal)
    path = f"/penilaian/{appraisal}"
    state = (await site.appraisals.state(site.actor("hr"), appraisal)).state
    deadlines = {int(k): datetime.fromisoformat(v) for k, v in state["period_deadlines"].items()}
    period, old = min(deadlines.items())
    old_day = old.astimezone(WIB).date()

    hr = await site.signed_in("hr", javascript=False)
    await hr.goto(path)
    form = hr.locator("form[action$='/tenggat-periodik']")
    await expect(form).to_be_visible()
    await expect(form.locator("input[name='csrf']")).to_have_count(1)
    await expect(form.locator("#pd-period option")).to_have_count(len(deadlines))
    await form.locator("#pd-period").select_option(str(period))
    # Not a later day: the rule beside the field, nothing recorded, the values kept.
    await form.locator("#pd-due").fill(old_day.isoformat())
    await form.locator("#pd-reason").fill(REASON)
    await press(hr, "Pindahkan tenggat")
    await expect(hr.locator("#err-due")).to_be_visible()
    await expect(hr.locator("#pd-due")).to_have_attribute("aria-invalid", "true")
    await expect(hr.locator("#pd-reason")).to_have_value(REASON)
    await expect(hr.locator("#pd-period")).to_have_value(str(period))
    # No reason: beside the reason.
    new_day = old_day + timedelta(days=5)
    await hr.locator("#pd-due").fill(new_day.isoformat())
    await hr.locator("#pd-reason").fill("")
    await press(hr, "Pindahkan tenggat")
    await expect(hr.locator("#err-reason")).to_be_visible()
    await expect(hr.locator("#pd-reason")).to_have_attribute("aria-invalid", "true")
    state = (await site.appraisals.state(site.actor("hr"), appraisal)).state
    assert datetime.fromisoformat(state["period_deadlines"][str(period)]) == old

    # With JavaScript (a boosted form): the same refusal, checked by axe.
    hr_js = await site.signed_in("hr")
    await hr_js.goto(path)
    await hr_js.locator("#pd-due").fill(old_day.isoformat())
    await hr_js.locator("#pd-reason").fill(REASON)
    await hr_js.get_by_role("button", name="Pindahkan tenggat").click()
    await expect(hr_js.locator("#err-due")).to_be_visible()
    await axe_check(hr_js, "a period's deadline refused")

    await hr.locator("#pd-due").fill(new_day.isoformat())
    await hr.locator("#pd-reason").fill(REASON)
    await press(hr, "Pindahkan tenggat")
    await expect(hr.locator("#err-due")).to_have_count(0)
    await expect(hr.locator(f"#pd-period option[value='{period}']")).to_contain_text(
        new_day.strftime("%Y"))
    state = (await site.appraisals.state(site.actor("hr"), appraisal)).state
    assert datetime.fromisoformat(state["period_deadlines"][str(period)]) == \
        end_of_day(new_day, 7)
    trail = [e.type for e in await site.appraisals.events(site.actor("hr"), appraisal)]
    assert trail.count("PeriodDeadlineExtended") == 1
    await hr_js.goto(path)
    await shot(hr_js, "period-deadline-hr")
    await axe_check(hr_js, "a period's deadline moved")

    for who in ("employee", "appraiser"):
        page = await site.signed_in(who)
        await page.goto(path)
        await expect(page.locator("form[action$='/tenggat-periodik']")).to_have_count(0)
