"""The staff's survey of the appraisal system in the browser: after a cycle closes the
employee finds "Survei sistem penilaian" on their page, is refused beside the unanswered
questions, answers once (a second send of the same form is refused clearly); afterwards
no table row and no log line of the request joins the answer to the employee's key, their
session or the request's id. HR sees the figures per agency and unit only for groups of 5
(and none inferable), with the chart, its table and the CSV; axe finds nothing serious.
Without JavaScript the form works the same, and bad input is refused beside its field."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import asyncpg
from playwright.async_api import expect
from structlog.testing import capture_logs

from domain.authorization import Actor, Role
from domain.staff_survey import STAFF_SURVEY, StaffAnswer
from services.staff_survey import StaffSurveyService
from store.staff_survey import StaffSurveyStore
from tests.staff_survey.cycles import closed_cycle
from tests.web.conftest import SESSION_SECRET, UNIT, Site, axe_check, shot

MARKER = "Target terlalu banyak, mohon disederhanakan 7f3c"


async def _tables(pool: asyncpg.Pool) -> list[str]:
    return [r["table_name"] for r in await pool.fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        " AND table_type = 'BASE TABLE'")]


async def _rows_with(pool: asyncpg.Pool, text: str) -> dict[str, list[str]]:
    """Every row of every table whose text holds ``text``, by table."""
    found: dict[str, list[str]] = {}
    for table in await _tables(pool):
        try:
            rows = await pool.fetch(
                f'SELECT t::text AS row FROM "{table}" t WHERE strpos(t::text, $1) > 0', text)
        except asyncpg.InsufficientPrivilegeError:
            continue
        if rows:
            found[table] = [r["row"] for r in rows]
    return found


async def test_an_employee_answers_once_and_nothing_joins_the_answer_to_them(
        site: Site, admin_connection: asyncpg.Connection) -> None:
    employee = site.people["employee"].key
    cycle = await closed_cycle(site.pool, site.agency, 2019,
                               datetime.now(UTC) - timedelta(days=1),
                               {employee: UNIT, site.people["appraiser"].key: UNIT,
                                site.people["superior"].key: UNIT,
                                site.people["inspector"].key: UNIT})
    page = await site.signed_in("employee")
    link = page.get_by_role("link", name=f"Survei sistem penilaian {cycle}")
    await expect(link).to_be_visible()
    await link.click()
    await expect(page.get_by_role("heading", name="Survei sistem penilaian")).to_be_visible()
    await axe_check(page, "staff survey form id")

    # Sent with one answer: each unanswered question says so beside it.
    await page.locator('input[name="q.adil"][value="4"]').check()
    await page.get_by_role("button", name="Kirim jawaban saya").click()
    await expect(page.locator("#err-q-waktu")).to_have_text("Pilih salah satu jawaban.")
    await expect(page.locator('input[name="q.adil"][value="4"]')).to_be_checked()
    await axe_check(page, "staff survey refused id")
    assert await site.pool.fetchval("SELECT count(*) FROM staff_survey_answers") == 0

    for question, value in zip(STAFF_SURVEY.questions, (4, 2, 3, 1), strict=True):
        await page.locator(f'input[name="q.{question.value}"][value="{value}"]').check()
    await page.get_by_label("Apa yang perlu diubah dalam penilaian kinerja? (opsional)") \
        .fill(MARKER)
    token = await page.locator('input[name="token"]').input_value()
    cookies = {c["name"]: c["value"] for c in await page.context.cookies()}
    session_cookie = cookies["kinerja_session"]
    csrf = await page.evaluate("document.querySelector('input[name=csrf]')?.value || ''")
    with capture_logs() as logs:
        async with page.expect_response(lambda r: r.request.method == "POST") as sent:
            await page.get_by_role("button", name="Kirim jawaban saya").click()
        await expect(page.get_by_role("heading", name="Terima kasih")).to_be_visible()
    request_id = (await sent.value).headers["x-request-id"]
    await shot(page, "staff-survey-01-thanks")

    # The tables: the comment is in one row of the answers, which holds no key, no
    # session, no request id; no other row anywhere holds it.
    with_comment = await _rows_with(site.pool, MARKER)
    assert list(with_comment) == ["staff_survey_answers"] and len(with_comment[
        "staff_survey_answers"]) == 1
    answer_row = with_comment["staff_survey_answers"][0]
    for secret in (employee, session_cookie, request_id, token):
        assert secret not in answer_row
    for secret in (session_cookie, request_id, token):
        assert await _rows_with(site.pool, secret) == {}
    holding_key = await _rows_with(site.pool, employee)
    assert "staff_survey_answers" not in holding_key and "staff_survey_spent" not in holding_key
    assert holding_key["staff_survey_issued"] == [f"({cycle},{employee})"]
    # as the superuser too, the survey's tables share no column but the cycle
    columns = {r["table_name"]: {c for c in r["columns"]} for r in await admin_connection.fetch(
        "SELECT table_name, array_agg(column_name::text) AS columns FROM"
        " information_schema.columns WHERE table_name LIKE 'staff_survey_%'"
        " GROUP BY table_name")}
    assert columns["staff_survey_issued"] & columns["staff_survey_answers"] == {"cycle_id"}
    assert columns["staff_survey_spent"] & columns["staff_survey_answers"] == {"cycle_id"}
    assert not any(re.search("time|_at$|request|employee|session", c)
                   for c in columns["staff_survey_answers"] | columns["staff_survey_spent"])

    # The log lines of the request: its path and status, never who sent it.
    assert any(e.get("event") == "request" and e.get("method") == "POST" for e in logs)
    said = json.dumps(logs, default=str)
    for secret in (employee, session_cookie, MARKER, token):
        assert secret not in said
    if csrf:
        assert csrf not in said

    # Answered once: the page now says the token was given; the same form sent again is
    # refused clearly and stores nothing.
    await page.goto(f"/survei-pegawai/{cycle}")
    await expect(page.locator("#taken")).to_contain_text("sudah diberikan")
    await axe_check(page, "staff survey taken id")
    again = await page.request.post(f"/survei-pegawai/{cycle}", form={
        "token": token, **{f"q.{q.value}": "5" for q in STAFF_SURVEY.questions}})
    assert again.status == 409
    assert "sudah dijawab dengan token Anda" in await again.text()
    assert await site.pool.fetchval("SELECT count(*) FROM staff_survey_answers") == 1

    # Without JavaScript (the appraiser is in the roster too); bad input beside its field.
    plain = await site.signed_in("appraiser", javascript=False)
    await plain.goto(f"/survei-pegawai/{cycle}")
    plain_token = await plain.locator('input[name="token"]').input_value()
    nul = await plain.request.post(f"/survei-pegawai/{cycle}", form={
        "token": plain_token, "comment": "a\x00b",
        **{f"q.{q.value}": "3" for q in STAFF_SURVEY.questions}})
    assert nul.status == 422 and "Karakter kendali" in await nul.text()
    huge = await plain.request.post(f"/survei-pegawai/{cycle}", form={
        "token": plain_token, **{f"q.{q.value}": "99999999999999999999"
                                 for q in STAFF_SURVEY.questions}})
    assert huge.status == 422
    forged = await plain.request.post(f"/survei-pegawai/{cycle}", form={
        "token": plain_token[:-3] + "abc",
        **{f"q.{q.value}": "3" for q in STAFF_SURVEY.questions}})
    assert forged.status == 400
    assert await site.pool.fetchval("SELECT count(*) FROM staff_survey_answers") == 1
    await plain.reload()  # the same token again (kept in this browser's cookie)
    assert await plain.locator('input[name="token"]').input_value() == plain_token
    for question in STAFF_SURVEY.questions:
        await plain.locator(f'input[name="q.{question.value}"][value="5"]').check()
    await plain.get_by_role("button", name="Kirim jawaban saya").click()
    await expect(plain.get_by_role("heading", name="Terima kasih")).to_be_visible()
    assert await site.pool.fetchval("SELECT count(*) FROM staff_survey_answers") == 2

    # A token kept in a browser goes back only to the person it was given to.
    shared = await site.signed_in("superior")
    await shared.goto(f"/survei-pegawai/{cycle}")
    first = await shared.locator('input[name="token"]').input_value()
    await shared.goto("/masuk/dev")
    await shared.get_by_role("button", name=site.people["inspector"].name).click()
    await shared.wait_for_url(site.url + "/")
    await shared.goto(f"/survei-pegawai/{cycle}")
    assert await shared.locator('input[name="token"]').input_value() not in ("", first)

    # HR: while the survey is open, no figures.
    hr = await site.signed_in("hr")
    await hr.goto(f"/sdm/survei-pegawai/{cycle}")
    await expect(hr.locator("#not-yet")).to_be_visible()


async def test_hr_sees_groups_of_five_with_chart_table_and_csv(site: Site) -> None:
    closed = datetime.now(UTC) - timedelta(days=STAFF_SURVEY.open_days + 5)
    sizes = {"bappeda": 6, "dinkes": 7, "dishub": 2}
    members = {f"e-{unit}-{i}": unit for unit, n in sizes.items() for i in range(n)}
    cycle = await closed_cycle(site.pool, site.agency, 2018, closed, members)
    service = StaffSurveyService(StaffSurveyStore(site.pool), SESSION_SECRET)
    during = closed + timedelta(days=1)
    for key, unit in members.items():
        actor = Actor(subject=key, roles=frozenset({Role.EMPLOYEE}), agency=site.agency,
                      unit=unit, agencies=frozenset({site.agency}))
        token = await service.issue(actor, cycle, during)
        assert token is not None
        await service.submit(token.value, cycle, StaffAnswer(
            answers=dict.fromkeys(STAFF_SURVEY.questions, 5 if unit == "dinkes" else 2),
            comment="Perlu pelatihan" if unit == "dishub" else None), during)

    hr = await site.signed_in("hr")
    await hr.goto(f"/sdm/survei-pegawai/{cycle}")
    await expect(hr.locator("#agency-respondents")).to_have_text("Responden: 15")
    await expect(hr.get_by_role("img", name=re.compile("Persentase setuju"))).to_be_visible()
    assert await hr.locator("#staff-survey-chart rect").count() == len(STAFF_SURVEY.questions)
    dinkes = hr.locator('section[data-unit="dinkes"]')
    await expect(dinkes).to_contain_text("Responden: 7")
    await expect(dinkes.get_by_role("row", name=re.compile("adil"))).to_contain_text("100%")
    await expect(hr.locator('section[data-unit="dishub"]')) \
        .to_contain_text("Kurang dari 5 responden")
    bappeda = hr.locator('section[data-unit="bappeda"]')
    await expect(bappeda).to_contain_text("Disembunyikan")
    await expect(bappeda).not_to_contain_text("6")
    await expect(hr.locator("#comments")).to_contain_text("Perlu pelatihan")
    await axe_check(hr, "staff survey results id")
    await shot(hr, "staff-survey-02-results")
    async with hr.expect_download() as download:
        await hr.get_by_role("link", name="Unduh CSV").click()
    text = (await (await download.value).path()).read_text()
    assert f"{cycle},agency,,15,adil" in text and f"{cycle},unit,dishub,,too_few" in text

    english = await site.signed_in("hr", lang="en")
    await english.goto(f"/sdm/survei-pegawai/{cycle}")
    await expect(english.get_by_role("heading", name="Appraisal system survey")).to_be_visible()
    await axe_check(english, "staff survey results en")

    employee = await site.signed_in("employee")
    refused = await employee.goto(f"/sdm/survei-pegawai/{cycle}")
    assert refused is not None and refused.status == 404
    not_member = await employee.goto(f"/survei-pegawai/{cycle}")
    assert not_member is not None and not_member.status == 404
