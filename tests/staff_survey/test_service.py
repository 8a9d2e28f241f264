"""The staff survey's use cases on a real PostgreSQL: one token per employee, each spent
once, answers stored with the cycle and unit only, the window, HR's figures with every
group under 5 hidden (also by subtraction), and tables that share no key but the cycle."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from domain.authorization import Actor, Role
from domain.staff_survey import STAFF_SURVEY, Hidden, Question, StaffAnswer
from services.errors import Conflict, Invalid, NotFound
from services.staff_survey import Invitation, StaffSurveyService, results_csv
from store.staff_survey import StaffSurveyStore
from tests.staff_survey.cycles import closed_cycle

SECRET = "staff-survey-test-secret-" + "z" * 32
CLOSED = datetime(2026, 1, 15, 3, 0, tzinfo=UTC)
DURING = CLOSED + timedelta(days=1)
AFTER = CLOSED + timedelta(days=STAFF_SURVEY.open_days)


def _employee(agency: str, key: str, unit: str = "u") -> Actor:
    return Actor(subject=key, roles=frozenset({Role.EMPLOYEE}), agency=agency, unit=unit,
                 agencies=frozenset({agency}))


def _hr(agency: str) -> Actor:
    return Actor(subject="hr-1", roles=frozenset({Role.HR}), agency=agency,
                 agencies=frozenset({agency}))


def _answer(value: int, comment: str | None = None) -> StaffAnswer:
    return StaffAnswer(answers=dict.fromkeys(STAFF_SURVEY.questions, value), comment=comment)


@pytest.fixture
def agency() -> str:
    return f"pemkab-{uuid.uuid4().hex[:8]}"


async def test_one_token_each_spent_once_and_the_answer_names_no_one(
        app_pool: asyncpg.Pool, agency: str) -> None:
    service = StaffSurveyService(StaffSurveyStore(app_pool), SECRET)
    cycle = await closed_cycle(app_pool, agency, 2025, CLOSED, {"e-7001": "dinkes"})
    siti = _employee(agency, "e-7001")

    [invitation] = await service.invitations(siti, DURING)
    assert invitation.status is Invitation.OPEN and invitation.cycle_id == cycle
    token = await service.issue(siti, cycle, DURING)
    assert token is not None and token.unit == "dinkes"
    assert await service.issue(siti, cycle, DURING) is None  # nobody gets two
    assert (await service.invitation(siti, cycle, DURING)).status is Invitation.TAKEN

    await service.submit(token.value, cycle, _answer(4, "lebih singkat"), DURING)
    with pytest.raises(Conflict) as second:
        await service.submit(token.value, cycle, _answer(1), DURING)
    assert second.value.kind == "already_answered"
    assert await app_pool.fetchval(
        "SELECT count(*) FROM staff_survey_answers WHERE cycle_id = $1", cycle) == 1

    # the answer's row: cycle, agency, unit, answers, comment and a random id; no one,
    # no time
    row = await app_pool.fetchrow("SELECT * FROM staff_survey_answers WHERE cycle_id = $1",
                                  cycle)
    assert set(row.keys()) == {"answer_id", "cycle_id", "agency", "unit", "answers", "comment"}
    assert row["unit"] == "dinkes" and "e-7001" not in str(dict(row))
    # who was given a token: no token, no hash, no time
    issued = await app_pool.fetch("SELECT * FROM staff_survey_issued WHERE cycle_id = $1",
                                  cycle)
    assert [set(r.keys()) for r in issued] == [{"cycle_id", "employee"}]
    spent = await app_pool.fetch("SELECT * FROM staff_survey_spent WHERE cycle_id = $1", cycle)
    assert [set(r.keys()) for r in spent] == [{"cycle_id", "token_hash"}]
    assert token.value.encode() not in spent[0]["token_hash"]


async def test_tokens_out_of_place_and_outside_the_window_are_refused(
        app_pool: asyncpg.Pool, agency: str) -> None:
    service = StaffSurveyService(StaffSurveyStore(app_pool), SECRET)
    cycle = await closed_cycle(app_pool, agency, 2025, CLOSED, {"e-1": "a"})
    other = await closed_cycle(app_pool, agency, 2024, CLOSED, {"e-1": "a"})
    token = await service.issue(_employee(agency, "e-1"), cycle, DURING)
    assert token is not None
    with pytest.raises(Invalid):
        await service.submit(token.value, other, _answer(3), DURING)  # another cycle's
    with pytest.raises(Invalid):
        await service.submit(token.value[:-2] + "xx", cycle, _answer(3), DURING)  # forged
    forged = StaffSurveyService(StaffSurveyStore(app_pool), "another-secret-" + "q" * 32)
    with pytest.raises(Invalid):
        await forged.submit(token.value, cycle, _answer(3), DURING)
    with pytest.raises(Conflict):
        await service.submit(token.value, cycle, _answer(3), AFTER)  # closed
    with pytest.raises(NotFound):  # not in the cycle's roster
        await service.issue(_employee(agency, "e-404"), cycle, DURING)
    with pytest.raises(NotFound):  # before the window or after it: nothing to take
        await service.issue(_employee(agency, "e-1"), other, AFTER)
    assert await app_pool.fetchval(
        "SELECT count(*) FROM staff_survey_answers a JOIN staff_survey_spent s"
        " USING (cycle_id) WHERE cycle_id = ANY($1)", [cycle, other]) == 0


async def test_hr_sees_only_groups_of_five_and_none_inferable(
        app_pool: asyncpg.Pool, agency: str) -> None:
    service = StaffSurveyService(StaffSurveyStore(app_pool), SECRET)
    sizes = {"bappeda": 6, "dinkes": 7, "dishub": 2, "kosong": 0}
    members = {f"e-{unit}-{i}": unit for unit, n in sizes.items() for i in range(max(n, 1))}
    cycle = await closed_cycle(app_pool, agency, 2025, CLOSED, members)
    for key, unit in members.items():
        if sizes[unit]:
            token = await service.issue(_employee(agency, key, unit), cycle, DURING)
            assert token is not None
            await service.submit(token.value, cycle, _answer(5 if unit == "dinkes" else 2,
                                                             f"saran {key[-1]}"), DURING)

    early = await service.results(_hr(agency), cycle, DURING)
    assert not early.visible and early.results is None and results_csv(early).count("\n") == 1

    found = await service.results(_hr(agency), cycle, AFTER)
    assert found.results is not None
    agency_figures = found.results.agency.figures
    assert agency_figures is not None and agency_figures.respondents == 15
    by_unit = {u.group: u for u in found.results.units}
    assert by_unit["dinkes"].figures is not None
    assert by_unit["dinkes"].figures.questions[0].mean == 5
    assert by_unit["dishub"].hidden is Hidden.TOO_FEW
    assert by_unit["kosong"].hidden is Hidden.TOO_FEW
    # bappeda has 6, but shown, the agency minus it and dinkes would be dishub's 2
    assert by_unit["bappeda"].hidden is Hidden.INFERABLE
    assert list(found.results.comments) == sorted(found.results.comments)

    text = results_csv(found)
    assert f"{cycle},unit,dinkes,7,{Question.FAIRNESS.value},5.00,100,0,0,0,0,7" in text
    assert f"{cycle},unit,dishub,,too_few" in text
    assert f"{cycle},unit,bappeda,,inferable" in text
    assert ",unit,bappeda,6," not in text and ",unit,dishub,2," not in text

    with pytest.raises(NotFound):
        await service.results(_hr("lain"), cycle, AFTER)


async def test_the_survey_tables_are_append_only_for_everyone(
        app_pool: asyncpg.Pool, admin_connection: asyncpg.Connection, agency: str) -> None:
    service = StaffSurveyService(StaffSurveyStore(app_pool), SECRET)
    cycle = await closed_cycle(app_pool, agency, 2025, CLOSED, {"e-1": "a"})
    token = await service.issue(_employee(agency, "e-1"), cycle, DURING)
    assert token is not None
    await service.submit(token.value, cycle, _answer(3), DURING)
    for table in ("staff_survey_issued", "staff_survey_spent", "staff_survey_answers"):
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app_pool.execute(f"DELETE FROM {table}")
        with pytest.raises(asyncpg.PostgresError, match="append-only"):
            await admin_connection.execute(f"DELETE FROM {table}")
        with pytest.raises(asyncpg.PostgresError, match="append-only"):
            await admin_connection.execute(f"UPDATE {table} SET cycle_id = 'x'")
        assert await app_pool.fetchval(f"SELECT count(*) FROM {table}") == 1


async def test_without_a_secret_no_token_is_valid_and_none_is_issued(
        app_pool: asyncpg.Pool, agency: str) -> None:
    from services.errors import Unavailable

    unsigned = StaffSurveyService(StaffSurveyStore(app_pool), None)
    signed = StaffSurveyService(StaffSurveyStore(app_pool), SECRET)
    cycle = await closed_cycle(app_pool, agency, 2025, CLOSED, {"e-1": "a", "e-2": "a"})
    token = await signed.issue(_employee(agency, "e-1"), cycle, DURING)
    assert token is not None
    with pytest.raises(Invalid):
        await unsigned.submit(token.value, cycle, _answer(3), DURING)
    with pytest.raises(Unavailable):
        await unsigned.issue(_employee(agency, "e-2"), cycle, DURING)
    assert await app_pool.fetchval(
        "SELECT count(*) FROM staff_survey_issued WHERE employee = 'e-2'") == 0
