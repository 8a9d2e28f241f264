"""The staff survey's routes over the real application and PostgreSQL: an employee of the
closed cycle takes their token once and sends answers with it once, without any sign-in
being read; bad bodies are refused with the field named; HR reads the figures (none while
the survey is open, none of a group under 5) as JSON and CSV; others may not."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest

from api.app import Services, create_app
from api.auth import TokenSettings, TokenVerifier, mint_token
from domain.authorization import Actor, Role
from domain.staff_survey import STAFF_SURVEY, StaffAnswer
from services.staff_survey import StaffSurveyService
from tests.staff_survey.cycles import closed_cycle
from web import WebSettings

TOKENS = TokenSettings(secret="test-secret-" + "s" * 32)
AGENCY = "pemkot-staf"
EVERY = {q.value: 4 for q in STAFF_SURVEY.questions}


def headers(subject: str, *roles: str) -> dict[str, str]:
    token = mint_token(TOKENS, subject=subject, roles=roles, agency=AGENCY, unit="dinkes",
                       agencies=(AGENCY,))
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def app(app_pool: asyncpg.Pool) -> AsyncIterator[tuple[httpx.AsyncClient,
                                                             StaffSurveyService]]:
    services = Services(pool=app_pool, temporal=None,  # type: ignore[arg-type]
                        token_verifier=TokenVerifier(TOKENS), task_queue="unused",
                        web=WebSettings(session_secret="staff-api-secret-" + "w" * 32))
    application = create_app(services)
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://kinerja.test") as client:
        yield client, application.state.kinerja.staff_survey


async def test_a_token_once_answers_once_and_bad_bodies_named(
        app: tuple[httpx.AsyncClient, StaffSurveyService], app_pool: asyncpg.Pool) -> None:
    http, _ = app
    cycle = await closed_cycle(app_pool, AGENCY, 2025, datetime.now(UTC) - timedelta(days=1),
                               {"e-0001": "dinkes"})
    url = f"/v1/cycles/{cycle}/staff-survey"
    taken = await http.post(f"{url}/token", headers=headers("e-0001", "employee"))
    assert taken.status_code == 201, taken.text
    token = taken.json()["token"]
    again = await http.post(f"{url}/token", headers=headers("e-0001", "employee"))
    assert again.status_code == 409 and again.json()["type"].endswith("token_given")
    stranger = await http.post(f"{url}/token", headers=headers("e-0404", "employee"))
    assert stranger.status_code == 404
    assert (await http.post(f"{url}/token")).status_code == 401

    bad = await http.post(f"{url}/answers", json={"token": token,
                                                  "answers": {**EVERY, "adil": 6}})
    assert bad.status_code == 422
    assert any(e["field"].endswith("adil") for e in bad.json()["errors"])
    missing = await http.post(f"{url}/answers", json={"token": token,
                                                      "answers": {"adil": 3}})
    assert missing.status_code == 422
    nul = await http.post(f"{url}/answers", json={"token": token, "answers": EVERY,
                                                  "comment": "a\u0000b"})
    assert nul.status_code == 422
    forged = await http.post(f"{url}/answers", json={"token": token[:-2] + "zz",
                                                     "answers": EVERY})
    assert forged.status_code == 422 and forged.json()["errors"][0]["field"] == "token"
    assert await app_pool.fetchval("SELECT count(*) FROM staff_survey_answers") == 0

    sent = await http.post(f"{url}/answers", json={"token": token, "answers": EVERY,
                                                   "comment": "Cukup baik"})
    assert sent.status_code == 204, sent.text
    twice = await http.post(f"{url}/answers", json={"token": token, "answers": EVERY})
    assert twice.status_code == 409 and twice.json()["type"].endswith("already_answered")
    assert await app_pool.fetchval("SELECT count(*) FROM staff_survey_answers") == 1

    hr = await http.get(url, headers=headers("e-hr01", "employee", "hr"))
    assert hr.status_code == 200 and hr.json()["visible"] is False
    assert hr.json()["agency"] is None and hr.json()["units"] == []
    employee = await http.get(url, headers=headers("e-0001", "employee"))
    assert employee.status_code == 403


async def test_hr_reads_figures_of_groups_of_five_only(
        app: tuple[httpx.AsyncClient, StaffSurveyService], app_pool: asyncpg.Pool) -> None:
    http, service = app
    closed = datetime.now(UTC) - timedelta(days=STAFF_SURVEY.open_days + 1)
    members = {f"e-{u}-{i}": u for u, n in {"dinkes": 5, "dishub": 3}.items()
               for i in range(n)}
    cycle = await closed_cycle(app_pool, AGENCY, 2024, closed, members)
    for key, unit in members.items():
        actor = Actor(subject=key, roles=frozenset({Role.EMPLOYEE}), agency=AGENCY,
                      unit=unit, agencies=frozenset({AGENCY}))
        token = await service.issue(actor, cycle, closed + timedelta(hours=1))
        assert token is not None
        await service.submit(token.value, cycle, StaffAnswer(
            answers=dict.fromkeys(STAFF_SURVEY.questions, 4)), closed + timedelta(hours=1))
    url = f"/v1/cycles/{cycle}/staff-survey"
    body = (await http.get(url, headers=headers("e-hr01", "employee", "hr"))).json()
    assert body["visible"] is True and body["agency"]["respondents"] == 8
    units = {u["group"]: u for u in body["units"]}
    # dishub has 3: hidden; dinkes has 5 but the agency's 8 minus its 5 would be dishub's
    assert units["dishub"] == {"group": "dishub", "respondents": None, "hidden": "too_few",
                               "questions": []}
    assert units["dinkes"]["hidden"] == "inferable" and units["dinkes"]["respondents"] is None
    csv_text = (await http.get(f"{url}.csv", headers=headers("e-hr01", "employee", "hr"))).text
    assert f"{cycle},agency,,8,adil,4.00,100,0,0,0,8,0" in csv_text
    assert ",unit,dinkes,5," not in csv_text
