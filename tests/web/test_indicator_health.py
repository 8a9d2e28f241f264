"""The indicator-health report for real: four appraisals of the test's agency reviewed
through the use cases (one indicator most missed, one all exceeded, one where a reported
number outweighs the appraiser's rating), then HR's page in Chromium (the flags, the
chart against the table, the appraisals behind an indicator, CSV and XLSX, axe), the
inspector's page, the API, and the 404 an employee gets."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from openpyxl import load_workbook
from playwright.async_api import expect

from api.auth import mint_token
from domain import appraisal as d
from domain.appraisal import OpenAppraisal, PositionKind
from domain.authorization import Actor, Parties, Role
from domain.policy import POLICY_6_2022, FunctionalLevel, default_calendar
from domain.skp import ProgressReport, Ratings, SelfAssessment, Skp
from tests.lifecycle.conftest import SELF_ASSESSMENT, SKP, review_body
from tests.web.conftest import TOKENS, UNIT, Site, axe_check, shot
from workflows.appraisal.contract import workflow_id

BOSS = "i-boss"
KEYS = ("i-1", "i-2", "i-3", "i-4")


def _employee(site: Site, key: str) -> Actor:
    return Actor(subject=key, roles=frozenset({Role.EMPLOYEE}), agency=site.agency, unit=UNIT)


async def _reviewed(site: Site, key: str, *, permohonan: str, progress: str | None) -> str:
    """``key``'s appraisal reviewed: RHK 1 (Permohonan terlayani) rated ``permohonan``,
    RHK 2 as expected, RHK 3 (Sesi pelatihan) above; ``progress``: the number reported
    for Permohonan terlayani in October."""
    now = datetime.now(UTC)
    cycle_id = f"{site.agency}-{now.year}"
    calendar = default_calendar(now.year, POLICY_6_2022).model_copy(update={
        "skp_deadline": now + timedelta(days=30),
        "self_assessment_deadline": now + timedelta(days=60),
        "review_deadline": now + timedelta(days=90)})
    appraisal_id = workflow_id(cycle_id, key)
    await site.appraisals.open(site.actor("hr"), OpenAppraisal(
        appraisal_id=appraisal_id, cycle_id=cycle_id,
        parties=Parties(agency=site.agency, unit=UNIT, employee=key, appraiser=BOSS,
                        superior=site.people["superior"].key),
        policy=POLICY_6_2022, calendar=calendar, position_kind=PositionKind.FUNCTIONAL,
        functional_level=FunctionalLevel.AHLI_PERTAMA), uuid.uuid4().hex)
    me, boss = _employee(site, key), _employee(site, BOSS)
    steps: list[tuple[Actor, d.AppraisalCommand]] = [
        (me, d.DraftTargets(skp=Skp.model_validate(SKP))), (me, d.SubmitTargets()),
        (boss, d.ApproveTargets())]
    if progress is not None:
        steps.append((me, d.ReportProgress(report=ProgressReport.model_validate({
            "period": f"{now.year}-10",
            "realisations": [{"indicator_id": "ind-1", "value": progress}]}))))
    ratings = review_body()
    ratings["rhk"] = [{"rhk_id": "rhk-1", "rating": permohonan},
                      {"rhk_id": "rhk-2", "rating": "meets"},
                      {"rhk_id": "rhk-3", "rating": "above"}]
    steps += [(me, d.SubmitSelfAssessment(
                  assessment=SelfAssessment.model_validate(SELF_ASSESSMENT))),
              (boss, d.SubmitReview(ratings=Ratings.model_validate(ratings)))]
    for actor, command in steps:
        await site.appraisals.command(actor, appraisal_id, command, uuid.uuid4().hex)
    return appraisal_id


async def test_hr_and_inspectors_see_which_indicators_to_review(site: Site) -> None:
    # i-1 reported 150 against 120: exceeded, though its RHK was rated below
    ids = [await _reviewed(site, "i-1", permohonan="below", progress="150")]
    ids += [await _reviewed(site, key, permohonan="below", progress=None) for key in KEYS[1:]]

    hr = await site.signed_in("hr")
    await hr.goto("/sdm")
    await hr.get_by_role("link", name="Kesehatan indikator").click()
    await expect(hr.get_by_role("heading", level=1)).to_contain_text("Kesehatan indikator")
    rows = hr.locator("#indicators tbody tr")
    await expect(rows).to_have_count(3)
    hard = rows.nth(0)
    await expect(hard).to_have_attribute("data-flag", "too_hard")
    await expect(hard.locator("th")).to_contain_text("Permohonan terlayani")
    # employees, exceeded, met, missed, share
    assert await hard.locator("td").all_inner_texts() == [
        "4", "1", "0", "3", "75%", "Terlalu sulit?", f"{datetime.now(UTC).year}: 1/0/3"]
    easy = rows.nth(1)
    await expect(easy).to_have_attribute("data-flag", "too_easy")
    await expect(easy.locator("th")).to_contain_text("Sesi pelatihan")
    await expect(rows.nth(2)).not_to_have_attribute("data-flag", "too_hard")
    # the chart's segments are the table's counts
    missed = hr.locator('#chart-indicators rect[data-key="missed"]').first
    assert await missed.get_attribute("data-label") == "Permohonan terlayani"
    assert await missed.get_attribute("data-value") == "3"
    await axe_check(hr, "indicator health (HR)")
    await shot(hr, "indicator-health")
    # the appraisals behind the hard one, linked; the one that exceeded is listed last
    await hard.locator("summary").click()
    links = hard.locator("details a")
    await expect(links).to_have_count(4)
    assert await links.nth(3).inner_text() == "i-1"
    await links.nth(0).click()
    await expect(hr).to_have_url(f"{site.url}/penilaian/{ids[1]}")

    # exports of what is shown
    csv_body = await hr.request.get(f"/sdm/indikator.csv?instansi={site.agency}")
    assert csv_body.ok
    table = list(csv.reader(io.StringIO((await csv_body.body()).decode("utf-8-sig"))))
    assert table[0][:6] == ["indicator", "units", "employees", "exceeded", "met", "missed"]
    assert table[1][:8] == ["Permohonan terlayani", UNIT, "4", "1", "0", "3", "0.75",
                            "too_hard"]
    xlsx_body = await hr.request.get(f"/sdm/indikator.xlsx?instansi={site.agency}")
    sheet = load_workbook(io.BytesIO(await xlsx_body.body()))["indikator"]
    assert [c.value for c in sheet[2]][:6] == ["Permohonan terlayani", UNIT, 4, 1, 0, 3]
    await hr.context.close()

    inspector = await site.signed_in("inspector")
    await inspector.goto("/inspeksi/indikator")
    await expect(inspector.locator("#indicators tbody tr")).to_have_count(3)
    await expect(inspector.locator("#indicators details a").first).to_have_attribute(
        "href", f"/inspeksi/penilaian/{ids[1]}")
    await axe_check(inspector, "indicator health (inspector)")
    await inspector.context.close()

    employee = await site.signed_in("employee")
    response = await employee.goto("/sdm/indikator")
    assert response is not None and response.status == 404
    await employee.context.close()

    token = mint_token(TOKENS, subject=site.people["hr"].key, roles=["employee", "hr"],
                       agency=site.agency, agencies=[site.agency])
    async with httpx.AsyncClient(base_url=site.url,
                                 headers={"Authorization": f"Bearer {token}"}) as http:
        found = (await http.get(f"/v1/agencies/{site.agency}/indicator-health")).json()
        assert [(r["wording"], r["flag"], r["missed"]) for r in found["indicators"]][:2] == [
            ("Permohonan terlayani", "too_hard", 3), ("Sesi pelatihan", "too_easy", 0)]
        unknown = await http.get(f"/v1/agencies/{site.agency}/indicator-health",
                                 params={"cycle_id": "nope-1999"})
        assert unknown.status_code == 404
        assert unknown.headers["content-type"].startswith("application/problem+json")
        other = await http.get("/v1/agencies/another-agency/indicator-health")
        assert other.status_code == 404
