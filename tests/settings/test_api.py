"""An agency's settings over the real application and PostgreSQL: HR of the agency reads
and sets them, each change an event (who, what, when) in the log that verifies; the HR
addresses reach the mail path; bad bodies are refused naming the field, changing nothing;
a repeated request changes nothing; nobody else sees them. The complaint deadline and a
new cycle's calendar follow the agency's settings."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta, timezone

import asyncpg
import httpx
import pytest

from api.app import Services, create_app
from api.auth import TokenSettings, TokenVerifier, mint_token
from domain.authorization import Actor, Role
from domain.complaint import ComplaintKind, FileComplaint
from domain.policy import POLICY_6_2022, end_of_day
from domain.survey import PublicService
from services.bootstrap import Kinerja
from services.errors import Invalid
from store.event_log import EventLog
from store.notifications import NotificationOutbox

TOKENS = TokenSettings(secret="test-secret-" + "s" * 32)
AGENCY = "pemkot-makassar"
URL = f"/v1/agencies/{AGENCY}/settings"


def headers(subject: str, *roles: str, agency: str = AGENCY,
            agencies: tuple[str, ...] = (), key: str | None = None) -> dict[str, str]:
    token = mint_token(TOKENS, subject=subject, roles=roles, agency=agency, unit="bkpsdm",
                       agencies=agencies)
    found = {"Authorization": f"Bearer {token}"}
    if key:
        found["Idempotency-Key"] = key
    return found


HR = headers("e-hr01", "employee", "hr", agencies=(AGENCY,))
OTHER_HR = headers("e-hr02", "employee", "hr", agency="pemkab-lain", agencies=("pemkab-lain",))
INSPECTOR = headers("e-insp", "inspector", agencies=(AGENCY,))
EMPLOYEE = headers("e-0001", "employee")
HR_ACTOR = Actor(subject="e-hr01", roles=frozenset({Role.EMPLOYEE, Role.HR}), agency=AGENCY,
                 agencies=frozenset({AGENCY}))


def _complaint() -> FileComplaint:
    """A complaint with a text of its own (the same text twice to a unit within a day is a
    duplicate)."""
    return FileComplaint(kind=ComplaintKind.COMPLAINT,
                         text=f"Antrean terlalu lama sekali ({uuid.uuid4().hex[:8]}).")


@pytest.fixture
async def app(app_pool: asyncpg.Pool) -> AsyncIterator[tuple[httpx.AsyncClient, Kinerja]]:
    services = Services(pool=app_pool, temporal=None,  # type: ignore[arg-type]
                        token_verifier=TokenVerifier(TOKENS), task_queue="unused")
    application = create_app(services)
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://kinerja.test") as client:
        yield client, application.state.kinerja


async def test_hr_sets_the_settings_and_each_change_is_recorded(
        app: tuple[httpx.AsyncClient, Kinerja], app_pool: asyncpg.Pool) -> None:
    http, _ = app
    unset = await http.get(URL, headers=HR)
    assert unset.status_code == 200, unset.text
    assert unset.json() | {"updated_at": None} == {
        "agency": AGENCY, "hr_contacts": [], "utc_offset_hours": None, "zone": None,
        "complaint_response_days": None, "complaint_response_days_in_force": 14,
        "version": 0, "updated_at": None, "updated_by": None}
    assert await NotificationOutbox(app_pool).hr_email(AGENCY) is None

    body = {"hr_contacts": ["sdm@pemkot-makassar.go.id", "kepegawaian@pemkot-makassar.go.id"],
            "utc_offset_hours": 8, "complaint_response_days": 10}
    put = await http.put(URL, headers=HR | {"Idempotency-Key": "set-1"}, json=body)
    assert put.status_code == 200, put.text
    assert put.json()["zone"] == "WITA" and put.json()["version"] == 1
    assert put.json()["complaint_response_days_in_force"] == 10
    assert put.json()["updated_by"] == "e-hr01"
    # The mail path reads every address, as one header's list.
    assert await NotificationOutbox(app_pool).hr_email(AGENCY) == \
        "sdm@pemkot-makassar.go.id, kepegawaian@pemkot-makassar.go.id"

    # The same request again: its first result, nothing recorded.
    again = await http.put(URL, headers=HR | {"Idempotency-Key": "set-1"},
                           json=body | {"complaint_response_days": 3})
    assert again.status_code == 200 and again.json()["complaint_response_days"] == 10
    # Another request: only what differs is recorded.
    cleared = await http.put(URL, headers=HR | {"Idempotency-Key": "set-2"},
                             json={"utc_offset_hours": 8})
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["hr_contacts"] == [] and cleared.json()["version"] == 2
    assert await NotificationOutbox(app_pool).hr_email(AGENCY) is None
    same = await http.put(URL, headers=HR, json={"utc_offset_hours": 8})
    assert same.json()["version"] == 2  # nothing differs: nothing recorded
    first = await http.put(URL, headers=HR | {"Idempotency-Key": "set-1"}, json=body)
    assert first.json() == put.json()  # a late repeat: still its first result

    history = (await http.get(f"{URL}/history", headers=HR)).json()
    assert [(h["version"], h["actor"]) for h in history] == [(1, "e-hr01"), (2, "e-hr01")]
    assert history[0]["changes"] == {
        "hr_contacts": body["hr_contacts"], "utc_offset_hours": 8,
        "complaint_response_days": 10}
    assert history[1]["changes"] == {"hr_contacts": [], "complaint_response_days": None}
    log = EventLog(app_pool)
    events = await log.read_stream(f"settings-{AGENCY}")
    assert [e.metadata["actor"] for e in events] == ["e-hr01", "e-hr01"]
    assert (await log.verify_stream(f"settings-{AGENCY}")).ok


@pytest.mark.parametrize(("body", "field", "rule"), [
    ({"hr_contacts": ["sdm@pemkot.go.id\r\nBcc: all@x.id"]}, "hr_contacts.0", "email"),
    ({"hr_contacts": ["sdm@pemkot.go.id, other@x.id"]}, "hr_contacts.0", "email"),
    ({"hr_contacts": ["a@x.id", "a@x.id"]}, "hr_contacts", "duplicate"),
    ({"hr_contacts": [f"hr{i}@x.id" for i in range(11)]}, "hr_contacts", "too_long"),
    ({"hr_contacts": ["a\u0000@x.id"]}, "hr_contacts.0", "control_character"),
    ({"utc_offset_hours": 6}, "utc_offset_hours", "literal_error"),
    ({"complaint_response_days": 0}, "complaint_response_days", "greater_than_equal"),
    ({"complaint_response_days": 10**40}, "complaint_response_days", "less_than_equal"),
    ({"complaint_days": 3}, "complaint_days", "extra_forbidden"),
])
async def test_a_bad_body_is_refused_naming_the_field_and_changes_nothing(
        app: tuple[httpx.AsyncClient, Kinerja], body: dict[str, object], field: str,
        rule: str) -> None:
    http, _ = app
    refused = await http.put(URL, headers=HR, json=body)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert (refused.json()["errors"][0]["field"], refused.json()["errors"][0]["rule"]) == (
        field, rule)
    assert (await http.get(URL, headers=HR)).json()["version"] == 0


async def test_nobody_but_hr_of_the_agency_sees_or_sets_them(
        app: tuple[httpx.AsyncClient, Kinerja]) -> None:
    http, _ = app
    for who in (OTHER_HR, INSPECTOR, EMPLOYEE):
        assert (await http.get(URL, headers=who)).status_code == 404
        put = await http.put(URL, headers=who, json={"utc_offset_hours": 9})
        assert put.status_code == 404, put.text
    assert (await http.get(URL)).status_code == 401
    assert (await http.get(URL, headers=HR)).json()["version"] == 0
    bad = await http.get("/v1/agencies/Pemkot%20X/settings", headers=HR)
    assert bad.status_code == 422


async def test_a_complaint_is_due_within_the_agencys_days_else_the_policys(
        app: tuple[httpx.AsyncClient, Kinerja], app_pool: asyncpg.Pool) -> None:
    http, kinerja = app
    await kinerja.public.define_unit(HR_ACTOR, AGENCY, "dishub", "Dishub",
                                     [PublicService(key="kir", name="Uji KIR")], 100)
    filed_at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    default = await kinerja.complaints.file(AGENCY, "dishub", _complaint(), uuid.uuid4(), filed_at)
    # The end of the 14th day after filing in the agency's zone (WIB: no zone set).
    assert default.view.deadline == end_of_day(date(2026, 3, 16), 7)
    put = await http.put(URL, headers=HR, json={"complaint_response_days": 5})
    assert put.status_code == 200, put.text
    own = await kinerja.complaints.file(AGENCY, "dishub", _complaint(), uuid.uuid4(), filed_at)
    assert own.view.deadline == end_of_day(date(2026, 3, 7), 7)
    # The deadline is in the filing event (what the ComplaintWorkflow is started with).
    (event,) = await EventLog(app_pool).read_stream(f"complaint-{AGENCY}-{own.view.code}")
    assert datetime.fromisoformat(event.data["deadline"]) == end_of_day(date(2026, 3, 7), 7)


async def test_a_new_cycles_calendar_is_in_the_agencys_zone_each_day_ending_there(
        app: tuple[httpx.AsyncClient, Kinerja]) -> None:
    http, kinerja = app
    cycles = kinerja.cycles
    wib = await cycles.calendar(AGENCY, 2027, POLICY_6_2022, {"skp_deadline": date(2027, 2, 14)})
    assert wib.utc_offset_hours == 7
    assert wib.skp_deadline == end_of_day(date(2027, 2, 14), 7)
    assert (await http.put(URL, headers=HR, json={"utc_offset_hours": 8})).status_code == 200
    wita = await cycles.calendar(AGENCY, 2027, POLICY_6_2022, {
        "skp_deadline": date(2027, 2, 14),
        # an instant: rounded up to the end of its day in WITA (00:30 WIT is 23:30 WITA)
        "review_deadline": datetime(2028, 2, 1, 0, 30, tzinfo=timezone(timedelta(hours=9)))})
    assert wita.utc_offset_hours == 8
    assert wita.skp_deadline == end_of_day(date(2027, 2, 14), 8)
    assert wita.review_deadline == end_of_day(date(2028, 1, 31), 8)
    assert wita.self_assessment_deadline == end_of_day(date(2028, 1, 15), 8)  # the policy's
    assert (await cycles.calendar(AGENCY, 2027, POLICY_6_2022, {},
                                  utc_offset_hours=8)).utc_offset_hours == 8
    with pytest.raises(Invalid) as other_zone:
        await cycles.calendar(AGENCY, 2027, POLICY_6_2022, {}, utc_offset_hours=7)
    assert other_zone.value.broken[0].field == "utc_offset_hours"
    with pytest.raises(Invalid) as far:
        await cycles.calendar(AGENCY, 2027, POLICY_6_2022, {"skp_deadline": date(9999, 12, 31)})
    assert (far.value.broken[0].field, far.value.broken[0].rule) == (
        "calendar.skp_deadline", "out_of_range")
