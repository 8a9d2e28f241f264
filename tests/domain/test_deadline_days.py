"""Deadlines of N days end at the end of the Nth day in the agency's zone (WIB, WITA, WIT).

``domain.policy.deadline_after_days`` is the one rule (the objection window, the objection
decision); ``deadline_set_by_hand`` puts an extension at the end of its day. A policy
recorded before the rule (stored without ``deadline_days_end``) keeps 14 x 24 h, so the
histories recorded under it replay as they were decided.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.harness.builders import (
    APPRAISER,
    EMPLOYEE,
    HR,
    SYSTEM,
    YEAR,
    Run,
    open_command,
    ratings,
    sample_skp,
)
from domain.appraisal import (
    ApproveTargets,
    CommandRefused,
    DeadlineKind,
    DraftTargets,
    ExtendDeadline,
    FileObjection,
    PassDeadline,
    Phase,
    ReleaseResult,
    SubmitReview,
    SubmitSelfAssessment,
    SubmitTargets,
)
from domain.policy import (
    POLICIES,
    POLICY_6_2022,
    Policy,
    deadline_after_days,
    default_calendar,
    objection_deadline,
    objection_decision_deadline,
)
from tests.domain.test_appraisal import SELF_ASSESSMENT

ZONES = {"WIB": 7, "WITA": 8, "WIT": 9}
moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31),
                       timezones=st.just(UTC))
zones = st.sampled_from(sorted(ZONES.values()))


def local(moment: datetime, offset: int) -> datetime:
    return moment.astimezone(timezone(timedelta(hours=offset)))


@given(moments, zones, st.integers(min_value=1, max_value=60))
def test_the_nth_day_is_inside_until_its_last_second_and_the_next_day_outside(
        start: datetime, offset: int, days: int) -> None:
    deadline = deadline_after_days(start, days, offset, POLICY_6_2022)
    last_day = local(start, offset).date() + timedelta(days=days)
    zone = timezone(timedelta(hours=offset))
    assert datetime.combine(last_day, time(23, 59, 59), tzinfo=zone) <= deadline
    assert datetime.combine(last_day + timedelta(days=1), time(0, 0), tzinfo=zone) > deadline
    assert local(deadline, offset).date() == last_day
    # Never shorter than the days elapsed, never a whole day longer.
    assert start + timedelta(days=days) <= deadline < start + timedelta(days=days + 1)


@pytest.mark.parametrize("zone", sorted(ZONES))
def test_the_same_instant_closes_on_the_local_day_of_each_zone(zone: str) -> None:
    offset = ZONES[zone]
    released = datetime(2027, 2, 10, 16, 30, tzinfo=UTC)  # 23:30 WIB, 00:30 WITA and 01:30 WIT
    deadline = objection_deadline(released, POLICY_6_2022, offset)
    expected_day = {"WIB": 24, "WITA": 25, "WIT": 25}[zone]
    assert local(deadline, offset).replace(tzinfo=None) == datetime(
        2027, 2, expected_day, 23, 59, 59, 999999)
    assert objection_decision_deadline(released, POLICY_6_2022, offset) == deadline


def test_every_built_in_policy_ends_days_at_the_end_of_the_day() -> None:
    assert all(p.deadline_days_end == "end_of_day" for p in POLICIES.values())
    for policy in POLICIES.values():
        assert "deadline_days_end" in policy.assumptions


def test_a_policy_recorded_before_the_rule_keeps_the_elapsed_days() -> None:
    stored = POLICY_6_2022.model_dump(mode="json")
    del stored["deadline_days_end"]
    recorded = Policy.model_validate(stored)
    released = datetime(2027, 2, 10, 3, 0, tzinfo=UTC)
    assert objection_deadline(released, recorded, 7) == released + timedelta(days=14)


def released_at(offset: int, release: datetime) -> Run:
    """An appraisal of an agency at ``offset`` with its result released at ``release``."""
    run = Run()
    run.do(open_command(calendar=default_calendar(YEAR, POLICY_6_2022, offset)), HR)
    run.do(DraftTargets(skp=sample_skp()), EMPLOYEE)
    run.do(SubmitTargets(), EMPLOYEE)
    run.do(ApproveTargets(), APPRAISER)
    run.do(SubmitSelfAssessment(assessment=SELF_ASSESSMENT), EMPLOYEE)
    run.do(SubmitReview(ratings=ratings()), APPRAISER)
    run.do(ReleaseResult(exception_reason="Unit kecil, tanpa kalibrasi."), HR, at=release)
    return run


@given(zones, st.integers(min_value=0, max_value=24 * 60 - 1), st.booleans())
def test_an_objection_at_the_last_second_of_the_14th_day_is_filed_and_at_midnight_refused(
        offset: int, minute_of_day: int, late: bool) -> None:
    zone = timezone(timedelta(hours=offset))
    release = datetime(YEAR, 3, 3, tzinfo=zone) + timedelta(minutes=minute_of_day)
    run = released_at(offset, release)
    last_second = datetime(YEAR, 3, 17, 23, 59, 59, tzinfo=zone)
    if late:
        with pytest.raises(CommandRefused, match="window closed"):
            run.do(FileObjection(reasons="Terlambat."), EMPLOYEE,
                   at=last_second + timedelta(seconds=1))
        run.do(PassDeadline(deadline=DeadlineKind.OBJECTION_WINDOW), SYSTEM,
               at=last_second + timedelta(seconds=1))
        assert run.state.phase is Phase.FINAL
    else:
        with pytest.raises(CommandRefused, match="deadline is"):
            run.do(PassDeadline(deadline=DeadlineKind.OBJECTION_WINDOW), SYSTEM, at=last_second)
        run.do(FileObjection(reasons="Tepat waktu."), EMPLOYEE, at=last_second)
        assert run.state.phase is Phase.OBJECTION_REVIEW
        decision = run.state.deadlines[DeadlineKind.OBJECTION_DECISION]
        assert local(decision, offset).replace(tzinfo=None) == datetime(
            YEAR, 3, 31, 23, 59, 59, 999999)


@pytest.mark.parametrize("zone", sorted(ZONES))
def test_an_extension_ends_at_the_end_of_its_day_in_the_agency_zone(zone: str) -> None:
    offset = ZONES[zone]
    run = Run()
    run.do(open_command(calendar=default_calendar(YEAR, POLICY_6_2022, offset)), HR)
    due = run.state.deadlines[DeadlineKind.SKP]
    run.do(PassDeadline(deadline=DeadlineKind.SKP), SYSTEM, at=due)
    asked = datetime(2026, 2, 14, 9, 0, tzinfo=timezone(timedelta(hours=offset)))
    run.do(ExtendDeadline(deadline=DeadlineKind.SKP, until=asked, reason="Gangguan sistem."), HR)
    until = run.state.deadlines[DeadlineKind.SKP]
    assert local(until, offset).replace(tzinfo=None) == datetime(2026, 2, 14, 23, 59, 59, 999999)
