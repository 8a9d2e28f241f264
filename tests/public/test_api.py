"""The public voice's routes over the real application and PostgreSQL: HR defines the
units that serve the public; the results of a period (NRR per element, IKM, category,
respondents against the minimum sample) for HR, inspectors and the unit's head only;
the CSV export safe to open in a spreadsheet; bad bodies refused with the field named."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest

from api.app import Services, create_app
from api.auth import TokenSettings, TokenVerifier, mint_token
from domain.survey import ELEMENTS, SurveyResponse
from services.public import PublicVoiceService

TOKENS = TokenSettings(secret="test-secret-" + "p" * 32)
AGENCY = "pemkot-publik"
UNIT = "disdukcapil"
PERIOD = "2026-S1"
MOMENT = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
URL = f"/v1/agencies/{AGENCY}/public-units/{UNIT}"

# The worked example of tests/domain/test_survey.py: IKM 80.56, category B.
WORKED = [
    (4, 3, 3, 4, 3, 3, 4, 3, 3),
    (3, 3, 2, 4, 3, 4, 4, 3, 3),
    (3, 2, 3, 4, 4, 3, 3, 2, 3),
    (4, 3, 3, 4, 3, 4, 4, 3, 2),
]


def headers(subject: str, *roles: str, agency: str = AGENCY, unit: str | None = None,
            agencies: tuple[str, ...] = ()) -> dict[str, str]:
    token = mint_token(TOKENS, subject=subject, roles=roles, agency=agency, unit=unit,
                       agencies=agencies)
    return {"Authorization": f"Bearer {token}"}


HR = headers("e-hr01", "employee", "hr", unit="bkpsdm", agencies=(AGENCY,))
INSPECTOR = headers("e-insp", "inspector", agencies=(AGENCY,))
HEAD = headers("e-0100", "employee", unit=UNIT)
CLERK = headers("e-0101", "employee", unit=UNIT)
OTHER_HR = headers("e-hr02", "employee", "hr", agency="pemkab-lain", agencies=("pemkab-lain",))

UNIT_BODY = {"name": "=HYPERLINK(\"http://x\")", "population": 100,
             "services": [{"key": "ktp-el", "name": "KTP elektronik"},
                          {"key": "kk", "name": "Kartu Keluarga"}]}


@pytest.fixture
async def app(app_pool: asyncpg.Pool) -> AsyncIterator[tuple[httpx.AsyncClient,
                                                             PublicVoiceService]]:
    services = Services(pool=app_pool, temporal=None,  # type: ignore[arg-type]
                        token_verifier=TokenVerifier(TOKENS), task_queue="unused")
    application = create_app(services)
    await app_pool.execute("INSERT INTO roster_units (agency, code, name, parent, leader)"
                           " VALUES ($1, $2, 'Disdukcapil', NULL, 'e-0100')", AGENCY, UNIT)
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://kinerja.test") as client:
        yield client, application.state.kinerja.public


def response(row: tuple[int, ...], service: str = "ktp-el") -> SurveyResponse:
    return SurveyResponse(service=service, answers=dict(zip(ELEMENTS, row, strict=True)),
                          age_group="30_39", sex="perempuan", education="sma",
                          occupation="swasta")


async def test_hr_defines_a_unit_and_others_may_not(
        app: tuple[httpx.AsyncClient, PublicVoiceService]) -> None:
    http, _ = app
    put = await http.put(URL, headers=HR, json=UNIT_BODY)
    assert put.status_code == 200, put.text
    assert put.json()["survey_path"] == f"/publik/survei/{AGENCY}/{UNIT}"
    again = await http.put(URL, headers=HR, json=UNIT_BODY)
    assert again.json()["services"] == put.json()["services"]
    listed = (await http.get(f"/v1/agencies/{AGENCY}/public-units", headers=HR)).json()
    assert [u["unit"] for u in listed] == [UNIT]
    for who in (HEAD, OTHER_HR, INSPECTOR):
        refused = await http.put(URL, headers=who, json={**UNIT_BODY, "name": "Lain"})
        assert refused.status_code == 403, refused.text
    listed = (await http.get(f"/v1/agencies/{AGENCY}/public-units", headers=HR)).json()
    assert listed[0]["name"] == UNIT_BODY["name"]  # unchanged


@pytest.mark.parametrize(("body", "field", "rule"), [
    ({**UNIT_BODY, "name": "Dinas\x00"}, "name", "control_character"),
    ({**UNIT_BODY, "name": "Dinas\x1b[31m"}, "name", "control_character"),
    ({**UNIT_BODY, "population": 2**40}, "population", "less_than_equal"),
    ({**UNIT_BODY, "population": 0}, "population", "greater_than_equal"),
    ({**UNIT_BODY, "services": []}, "services", "too_short"),
    ({**UNIT_BODY, "services": [{"key": "KTP EL", "name": "x"}]}, "services.0.key",
     "string_pattern_mismatch"),
    ({**UNIT_BODY, "services": [{"key": "kk", "name": "a"}, {"key": "kk", "name": "b"}]},
     "services", "duplicate"),
])
async def test_a_bad_unit_is_refused_naming_the_field_and_nothing_is_stored(
        app: tuple[httpx.AsyncClient, PublicVoiceService], body: dict[str, object],
        field: str, rule: str) -> None:
    http, _ = app
    refused = await http.put(URL, headers=HR, json=body)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    errors = refused.json()["errors"]
    assert any(e["field"].endswith(field) and e["rule"] == rule for e in errors), errors
    assert (await http.get(f"/v1/agencies/{AGENCY}/public-units", headers=HR)).json() == []


async def test_the_results_of_a_period_for_hr_inspectors_and_the_unit_head_only(
        app: tuple[httpx.AsyncClient, PublicVoiceService]) -> None:
    http, public = app
    assert (await http.put(URL, headers=HR, json=UNIT_BODY)).status_code == 200
    for row in WORKED:
        assert await public.submit(AGENCY, UNIT, response(row), uuid.uuid4(), MOMENT)
    # The same form sent twice (its response id) is one response.
    twice = uuid.uuid4()
    assert await public.submit(AGENCY, UNIT, response((4,) * 9), twice, MOMENT)
    assert not await public.submit(AGENCY, UNIT, response((4,) * 9), twice, MOMENT)
    for who in (HR, INSPECTOR, HEAD):
        got = await http.get(f"{URL}/survey/{PERIOD}", headers=who)
        assert got.status_code == 200, got.text
    body = got.json()
    # 5 respondents, the worked example and one all-4: element sums 18, 15, 15, 20, 17,
    # 18, 19, 15, 15 (152) over 5: the NRRs' sum is 30.4, / 9 x 25 = 84.444... = 84.44.
    assert body["respondents"] == 5
    assert body["elements"][0] == {"element": "persyaratan", "answers": 5, "nrr": "3.60",
                                   "nrr_weighted": "0.4000"}
    assert body["ikm"] == "84.44"
    assert body["category"] == "B"
    assert (body["minimum_sample"], body["sample_too_small"]) == (80, True)
    for who in (CLERK, OTHER_HR):
        hidden = await http.get(f"{URL}/survey/{PERIOD}", headers=who)
        assert hidden.status_code == 404
    trend = (await http.get(f"{URL}/survey", headers=HR)).json()
    assert [(t["period"], t["ikm"]) for t in trend] == [(PERIOD, "84.44")]
    empty = (await http.get(f"{URL}/survey/2026-S2", headers=HR)).json()
    assert (empty["respondents"], empty["ikm"], empty["category"]) == (0, None, None)


async def test_the_csv_export_is_safe_in_a_spreadsheet(
        app: tuple[httpx.AsyncClient, PublicVoiceService]) -> None:
    http, public = app
    await http.put(URL, headers=HR, json=UNIT_BODY)
    for row in WORKED:
        await public.submit(AGENCY, UNIT, response(row), uuid.uuid4(), MOMENT)
    got = await http.get(f"{URL}/survey/{PERIOD}.csv", headers=HR)
    assert got.status_code == 200, got.text
    assert got.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(got.text)))
    assert rows[0][:5] == ["agency", "unit", "unit_name", "period", "element"]
    assert all(r[2] == "'=HYPERLINK(\"http://x\")" for r in rows[1:])  # quoted, not run
    assert [r[4] for r in rows[1:10]] == [e.value for e in ELEMENTS]
    assert rows[10][4:7] == ["ikm", "4", "80.56"]
    assert rows[11][4:7] == ["category", "4", "B"]
    assert (await http.get(f"{URL}/survey/{PERIOD}.csv", headers=CLERK)).status_code == 404


async def test_a_period_that_is_not_one_is_a_422(
        app: tuple[httpx.AsyncClient, PublicVoiceService]) -> None:
    http, _ = app
    got = await http.get(f"{URL}/survey/2026-S3", headers=HR)
    assert got.status_code == 422
    assert got.json()["errors"][0]["field"].endswith("period")


async def test_an_unknown_service_is_refused_and_nothing_is_stored(
        app: tuple[httpx.AsyncClient, PublicVoiceService]) -> None:
    from services.errors import Invalid

    http, public = app
    await http.put(URL, headers=HR, json=UNIT_BODY)
    with pytest.raises(Invalid) as refused:
        await public.submit(AGENCY, UNIT, response((3,) * 9, service="paspor"), uuid.uuid4())
    assert refused.value.broken[0].field == "service"
    assert (await http.get(f"{URL}/survey", headers=HR)).json() == []


async def test_a_response_is_one_chained_event_of_its_own_stream_stored_once(
        app: tuple[httpx.AsyncClient, PublicVoiceService], app_pool: asyncpg.Pool) -> None:
    from domain.survey import survey_stream
    from store.event_log import EventLog

    http, public = app
    assert (await http.put(URL, headers=HR, json=UNIT_BODY)).status_code == 200
    first = uuid.uuid4()
    assert await public.submit(AGENCY, UNIT, response((4, 3, 3, 4, 3, 3, 4, 3, 2)), first,
                               MOMENT)
    # sent again (a double click, a retry after a lost answer): one event, one row
    assert not await public.submit(AGENCY, UNIT, response((4, 3, 3, 4, 3, 3, 4, 3, 2)),
                                   first, MOMENT)
    # the same form sent again with other answers: the first one stands
    assert not await public.submit(AGENCY, UNIT, response((1,) * 9), first, MOMENT)
    log = EventLog(app_pool)
    stream = survey_stream(AGENCY, UNIT, str(first))
    events = await log.read_stream(stream)
    assert [(e.version, e.type) for e in events] == [(1, "survey_responded")]
    assert events[0].data["answers"][ELEMENTS[-1].value] == 2 and events[0].data["period"] == PERIOD
    assert events[0].metadata == {"request_id": str(first), "actor": "public"}
    assert (await log.verify_stream(stream)).ok
    rows = await app_pool.fetch("SELECT u1, u9 FROM survey_responses WHERE response_id = $1",
                                first)
    assert [(r["u1"], r["u9"]) for r in rows] == [(4, 2)]
