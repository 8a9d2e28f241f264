"""Periodic appraisal (penilaian kinerja periodik, PermenPAN-RB 6/2022): the appraiser
rates each period as the year is rated, with feedback; a period's review is due
``Policy.period_review_days`` after it ends, and a missed one is a fact that blocks
nothing."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.harness.builders import (
    APPRAISER,
    EMPLOYEE,
    HR,
    PEER,
    SUPERIOR,
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
    DraftTargets,
    PassPeriodDeadline,
    PeriodDeadlinePassed,
    PeriodReviewed,
    Phase,
    PositionKind,
    ReviewPeriod,
    SubmitReview,
    SubmitSelfAssessment,
    SubmitTargets,
    event_data,
    event_from_data,
    fold,
)
from domain.appraisal.periodic import period_deadlines
from domain.authorization import Actor
from domain.integrity import canonical_json
from domain.policy import (
    POLICY_6_2022,
    POLICY_PP30_2019,
    Policy,
    period_count,
    period_end,
    period_last_day,
    period_review_due,
)
from domain.ratings import Predikat, Rating
from domain.skp import NumericScores, RhkSelfRating, SelfAssessment

WIB = timezone(timedelta(hours=7))
MONTHLY = POLICY_6_2022.model_copy(update={"review_periods": "monthly"})
WITHOUT = POLICY_6_2022.model_copy(update={"review_periods": None})
SELF_ASSESSMENT = SelfAssessment(
    ratings=tuple(RhkSelfRating(rhk_id=f"rhk-{i}", proposed=Rating.MEETS) for i in (1, 2, 3)),
    narrative="Target tercapai.",
)


def to_self_report(run: Run, policy: Policy = POLICY_6_2022, **open_overrides: object) -> None:
    run.do(open_command(policy, **open_overrides), HR)
    run.do(DraftTargets(skp=sample_skp()), EMPLOYEE)
    run.do(SubmitTargets(), EMPLOYEE)
    run.do(ApproveTargets(), APPRAISER)


def after(moment: datetime) -> datetime:
    return moment + timedelta(seconds=1)


def review(period: int, **overrides: object) -> ReviewPeriod:
    return ReviewPeriod(period=period, ratings=ratings(**overrides),  # type: ignore[arg-type]
                        feedback="Pertahankan; percepat laporan bulanan.")


def refusal(run: Run, command: object, actor: Actor, at: datetime | None = None
            ) -> CommandRefused:
    before = run.state
    with pytest.raises(CommandRefused) as refused:
        run.do(command, actor, at=at)  # type: ignore[arg-type]
    assert run.state == before
    return refused.value


# --------------------------------------------------------------------------- policy data


def test_the_default_is_quarterly_and_due_by_the_tenth_day_after() -> None:
    assert POLICY_6_2022.review_periods == "quarterly"
    assert "review_periods" in POLICY_6_2022.assumptions
    assert period_count(POLICY_6_2022) == 4 and period_count(MONTHLY) == 12
    assert period_count(WITHOUT) == 0
    assert period_last_day(YEAR, 1, POLICY_6_2022) == date(YEAR, 3, 31)
    assert period_last_day(YEAR, 4, POLICY_6_2022) == date(YEAR, 12, 31)
    assert period_last_day(2028, 2, MONTHLY) == date(2028, 2, 29)
    # Q1 ends at the end of 31 March WIB; its review is due by the end of 10 April WIB.
    assert period_end(YEAR, 1, POLICY_6_2022, 7) == datetime(
        YEAR, 3, 31, 23, 59, 59, 999999, tzinfo=WIB)
    assert period_review_due(YEAR, 1, POLICY_6_2022, 7) == datetime(
        YEAR, 4, 10, 23, 59, 59, 999999, tzinfo=WIB)
    # Q4's in January of the next year, in WIT here.
    assert period_review_due(YEAR, 4, POLICY_6_2022, 9) == datetime(
        YEAR + 1, 1, 10, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=9)))
    with pytest.raises(ValueError):
        period_last_day(YEAR, 5, POLICY_6_2022)


@settings(deadline=None)
@given(st.integers(min_value=2000, max_value=2100), st.integers(min_value=1, max_value=12),
       st.sampled_from([7, 8, 9]))
def test_monthly_periods_tile_the_year(year: int, month: int, offset: int) -> None:
    last = period_last_day(year, month, MONTHLY)
    assert last.month == month and (last + timedelta(days=1)).day == 1
    due = period_review_due(year, month, MONTHLY, offset)
    zone = timezone(timedelta(hours=offset))
    assert due.astimezone(zone).date() == last + timedelta(days=MONTHLY.period_review_days)
    assert due > period_end(year, month, MONTHLY, offset)


@settings(deadline=None)
@given(st.datetimes(min_value=datetime(YEAR - 1, 6, 1), max_value=datetime(YEAR + 1, 3, 1),
                    timezones=st.just(WIB)))
def test_only_the_periods_ending_after_approval_are_due(approved_at: datetime) -> None:
    schedule = period_deadlines(POLICY_6_2022, YEAR, 7, approved_at)
    assert schedule is not None
    for period in range(1, 5):
        ends = period_end(YEAR, period, POLICY_6_2022, 7)
        assert (period in schedule) == (ends > approved_at)
    # The later periods are due later: one timer, the earliest, is enough.
    assert list(schedule) == sorted(schedule)
    assert list(schedule.values()) == sorted(schedule.values())
    assert period_deadlines(WITHOUT, YEAR, 7, approved_at) is None


# --------------------------------------------------------------------------- the review


def test_the_appraiser_reviews_an_ended_period_with_the_annual_rule() -> None:
    run = Run()
    to_self_report(run)
    assert run.state.phase is Phase.SELF_REPORT
    assert sorted(run.state.period_deadlines) == [1, 2, 3, 4]
    q1_end = period_end(YEAR, 1, POLICY_6_2022, 7)
    refused = refusal(run, review(1), APPRAISER, at=q1_end)
    assert refused.code == "invalid" and refused.field == "period"
    assert "not ended" in refused.reason
    events = run.do(review(1, rhk=Rating.ABOVE, values=Rating.ABOVE), APPRAISER,
                    at=after(q1_end))
    [reviewed] = events
    assert isinstance(reviewed, PeriodReviewed)
    assert reviewed.predikat is Predikat.SANGAT_BAIK
    assert reviewed.due == period_review_due(YEAR, 1, POLICY_6_2022, 7)
    assert reviewed.late is False
    entry = run.state.period_reviews[1]
    assert entry.predikat is Predikat.SANGAT_BAIK
    assert entry.feedback.startswith("Pertahankan")
    # The annual predikat is still the annual review's.
    assert run.state.predikat is None
    assert run.state.next_period_deadline() == (2, period_review_due(YEAR, 2, POLICY_6_2022, 7))


def test_a_period_is_reviewed_once() -> None:
    run = Run()
    to_self_report(run)
    at = after(period_end(YEAR, 2, POLICY_6_2022, 7))
    run.do(review(2), APPRAISER, at=at)
    refused = refusal(run, review(2, rhk=Rating.ABOVE), APPRAISER, at=at + timedelta(hours=1))
    assert refused.code == "invalid" and refused.field == "period"
    assert "feedback" in refused.reason


@pytest.mark.parametrize("actor", [EMPLOYEE, SUPERIOR, PEER, HR, SYSTEM],
                         ids=["employee", "superior", "peer", "hr", "system"])
def test_only_the_appraiser_reviews_a_period(actor: Actor) -> None:
    run = Run()
    to_self_report(run)
    refused = refusal(run, review(1), actor, at=after(period_end(YEAR, 1, POLICY_6_2022, 7)))
    assert refused.code == "forbidden"


def test_not_before_the_skp_is_approved_nor_after_the_annual_review() -> None:
    run = Run()
    run.do(open_command(), HR)
    refused = refusal(run, review(1), APPRAISER, at=after(period_end(YEAR, 1, POLICY_6_2022, 7)))
    assert refused.code == "phase"
    run = Run()
    to_self_report(run)
    run.do(SubmitSelfAssessment(assessment=SELF_ASSESSMENT), EMPLOYEE,
           at=datetime(YEAR + 1, 1, 3, tzinfo=WIB))
    assert run.state.phase is Phase.REVIEW
    run.do(review(4), APPRAISER)  # in the review phase, before the annual review: taken
    run.do(SubmitReview(ratings=ratings()), APPRAISER)
    assert run.state.phase is Phase.CALIBRATION
    assert refusal(run, review(3), APPRAISER).code == "phase"
    assert run.state.next_period_deadline() is None  # no timer once the year is reviewed


def test_the_number_of_a_period_follows_the_policy() -> None:
    run = Run()
    to_self_report(run)
    at = datetime(YEAR + 1, 1, 3, tzinfo=WIB)
    refused = refusal(run, review(5), APPRAISER, at=at)
    assert refused.code == "invalid" and refused.field == "period"
    assert "1 to 4" in refused.reason
    monthly = Run()
    to_self_report(monthly, MONTHLY)
    assert sorted(monthly.state.period_deadlines) == list(range(1, 13))
    monthly.do(review(5), APPRAISER, at=at)
    assert 5 in monthly.state.period_reviews
    old = Run()
    to_self_report(old, WITHOUT)
    assert old.state.period_deadlines == {} and old.state.next_period_deadline() is None
    refused = refusal(old, review(1), APPRAISER, at=at)
    assert refused.code == "invalid" and "no periodic review" in refused.reason


def test_the_ratings_are_checked_as_the_annual_reviews_are() -> None:
    run = Run()
    to_self_report(run)
    at = after(period_end(YEAR, 1, POLICY_6_2022, 7))
    partial = ReviewPeriod(period=1, ratings=ratings(rhk=Rating.MEETS).model_copy(
        update={"rhk": ratings().rhk[:2]}), feedback="x")
    assert refusal(run, partial, APPRAISER, at=at).field == "ratings.rhk"
    no_values = ReviewPeriod(period=1, ratings=ratings().model_copy(update={"values": ()}),
                             feedback="x")
    assert refusal(run, no_values, APPRAISER, at=at).field == "ratings.values"
    override = review(1, work_result=Rating.ABOVE)
    assert refusal(run, override, APPRAISER, at=at).field == "ratings.work_result_reason"
    run.do(review(1, work_result=Rating.ABOVE, work_result_reason="Melampaui target triwulan."),
           APPRAISER, at=at)
    entry = run.state.period_reviews[1]
    assert entry.work_result is Rating.ABOVE and entry.predikat is Predikat.BAIK


def test_a_unit_leaders_period_needs_no_organisation_rating() -> None:
    run = Run()
    to_self_report(run, is_unit_leader=True, position_kind=PositionKind.ADMINISTRATOR)
    run.do(review(1, rhk=Rating.BELOW), APPRAISER,
           at=after(period_end(YEAR, 1, POLICY_6_2022, 7)))
    # Below on the work, meets on behaviour: Butuh Perbaikan (the matrix of 6/2022).
    assert run.state.period_reviews[1].predikat is Predikat.BUTUH_PERBAIKAN


def test_the_numeric_policy_scores_a_period_too() -> None:
    run = Run()
    to_self_report(run, POLICY_PP30_2019)
    at = after(period_end(YEAR, 1, POLICY_PP30_2019, 7))
    assert refusal(run, review(1), APPRAISER, at=at).field == "ratings.numeric"
    run.do(review(1, numeric=NumericScores(skp_score=95, behaviour_score=90)), APPRAISER, at=at)
    assert run.state.period_reviews[1].predikat is Predikat.BAIK


# --------------------------------------------------------------------------- the deadline


def test_a_missed_period_is_recorded_and_blocks_nothing() -> None:
    run = Run()
    to_self_report(run)
    due = period_review_due(YEAR, 1, POLICY_6_2022, 7)
    assert run.state.next_period_deadline() == (1, due)
    refused = refusal(run, PassPeriodDeadline(period=1), SYSTEM, at=due - timedelta(seconds=1))
    assert refused.code == "phase"
    assert refusal(run, PassPeriodDeadline(period=2), SYSTEM, at=due).code == "phase"
    assert refusal(run, PassPeriodDeadline(period=1), APPRAISER, at=due).code == "forbidden"
    [passed] = run.do(PassPeriodDeadline(period=1), SYSTEM, at=due)
    assert isinstance(passed, PeriodDeadlinePassed) and passed.due == due
    assert run.state.missed_periods == {1}
    assert run.state.phase is Phase.SELF_REPORT
    assert run.state.next_period_deadline() == (2, period_review_due(YEAR, 2, POLICY_6_2022, 7))
    # Late, but taken, and marked so.
    run.do(review(1), APPRAISER)
    assert run.state.period_reviews[1].late is True
    assert run.state.next_period_deadline() == (2, period_review_due(YEAR, 2, POLICY_6_2022, 7))
    # The year goes on: the self-assessment and the annual review.
    run.do(SubmitSelfAssessment(assessment=SELF_ASSESSMENT), EMPLOYEE)
    run.do(SubmitReview(ratings=ratings()), APPRAISER)
    assert run.state.phase is Phase.CALIBRATION


def test_a_period_ended_before_approval_has_no_deadline_but_may_be_reviewed() -> None:
    run = Run()
    run.do(open_command(), HR)
    run.do(DraftTargets(skp=sample_skp()), EMPLOYEE)
    run.do(SubmitTargets(), EMPLOYEE)
    run.do(ApproveTargets(), APPRAISER, at=datetime(YEAR, 5, 2, 9, tzinfo=WIB))
    assert sorted(run.state.period_deadlines) == [2, 3, 4]
    [reviewed] = run.do(review(1), APPRAISER)
    assert isinstance(reviewed, PeriodReviewed)
    assert reviewed.due is None and reviewed.late is False


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["review", "pass"]), st.integers(1, 4)),
                max_size=8))
def test_the_running_period_deadline_is_the_earliest_open_one(
        steps: list[tuple[str, int]]) -> None:
    """Whatever order periods are reviewed or pass in, one deadline runs: the earliest
    period neither reviewed nor missed; every event folds back to the same state."""
    run = Run()
    to_self_report(run)
    for action, period in steps:
        due = run.state.period_deadlines[period]
        if action == "review":
            at = max(run.now, after(period_end(YEAR, period, POLICY_6_2022, 7)))
            command: object = review(period)
            actor = APPRAISER
        else:
            at = max(run.now, due)
            command = PassPeriodDeadline(period=period)
            actor = SYSTEM
        try:
            run.do(command, actor, at=at)  # type: ignore[arg-type]
        except CommandRefused:
            # A second review, or a deadline that is not the running one.
            assert period in run.state.period_reviews or \
                run.state.next_period_deadline() != (period, due)
    done = set(run.state.period_reviews) | run.state.missed_periods
    open_periods = [p for p in range(1, 5) if p not in done]
    expected = (open_periods[0], run.state.period_deadlines[open_periods[0]]) \
        if open_periods else None
    assert run.state.next_period_deadline() == expected
    assert all(run.state.period_reviews[p].late == (
        run.state.period_reviews[p].at > run.state.period_deadlines[p])
        for p in run.state.period_reviews)
    stored = [(e.type, canonical_json(event_data(e))) for e in run.events]
    rebuilt = [event_from_data(t, json.loads(raw)) for t, raw in stored]
    assert rebuilt == run.events and fold(rebuilt) == run.state
