"""Periodic appraisal (penilaian kinerja periodik, PermenPAN-RB 6/2022): the appraiser
rates each period as the year is rated, with feedback; a period's review is due
``Policy.period_review_days`` after it ends, and a missed one is a fact that blocks
nothing."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

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
    DeadlineKind,
    DraftTargets,
    ExtendDeadline,
    ExtendPeriodDeadline,
    PassPeriodDeadline,
    PeriodDeadlineExtended,
    PeriodDeadlinePassed,
    PeriodReviewed,
    Phase,
    PositionKind,
    ReviewPeriod,
    SubmitReview,
    SubmitSelfAssessment,
    SubmitTargets,
    event_data,
    event_from_canonical,
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
    end_of_day,
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


# --------------------------------------------------------------------------- HR's extension

REASON = "Penilai cuti besar; data triwulan terlambat."


def extend(period: int, day: date, reason: str = REASON) -> ExtendPeriodDeadline:
    """HR's extension to ``day`` (given at noon in Jakarta: the rule takes its day)."""
    noon = datetime.combine(day, datetime.min.time(), tzinfo=WIB) + timedelta(hours=12)
    return ExtendPeriodDeadline(period=period, due=noon, reason=reason)


def test_hr_moves_a_periods_deadline_to_the_end_of_the_chosen_day() -> None:
    run = Run()
    to_self_report(run)
    old = period_review_due(YEAR, 1, POLICY_6_2022, 7)
    assert run.state.next_period_deadline() == (1, old)
    [extended] = run.do(extend(1, date(YEAR, 4, 30)), HR)
    new = end_of_day(date(YEAR, 4, 30), 7)
    assert isinstance(extended, PeriodDeadlineExtended)
    assert (extended.period, extended.previous, extended.due, extended.reason) == \
        (1, old, new, REASON)
    assert run.state.period_deadlines[1] == new
    assert run.state.next_period_deadline() == (1, new)
    # The old instant passes nothing; the new one does.
    assert refusal(run, PassPeriodDeadline(period=1), SYSTEM, at=old).code == "phase"
    assert refusal(run, PassPeriodDeadline(period=1), SYSTEM,
                   at=new - timedelta(microseconds=1)).code == "phase"
    # Reviewed between the two: on time.
    [reviewed] = run.do(review(1), APPRAISER, at=old + timedelta(days=3))
    assert isinstance(reviewed, PeriodReviewed)
    assert reviewed.due == new and reviewed.late is False
    assert run.state.next_period_deadline() == (2, period_review_due(YEAR, 2, POLICY_6_2022, 7))
    # Moved again, later still: from the moved deadline.
    [again] = run.do(extend(2, date(YEAR, 7, 31)), HR)
    [more] = run.do(extend(2, date(YEAR, 8, 15)), HR)
    assert isinstance(again, PeriodDeadlineExtended) and isinstance(more, PeriodDeadlineExtended)
    assert more.previous == again.due == end_of_day(date(YEAR, 7, 31), 7)
    assert run.state.period_deadlines[2] == end_of_day(date(YEAR, 8, 15), 7)
    stored = [(e.type, canonical_json(event_data(e))) for e in run.events]
    assert [event_from_canonical(json.dumps({"type": t, "data": json.loads(raw)}))
            for t, raw in stored] == run.events
    assert fold(run.events) == run.state


def test_a_moved_deadline_past_the_next_periods_lets_the_next_one_run_first() -> None:
    """Period 1 moved past period 2's deadline: period 2's runs first, then period 1's."""
    run = Run()
    to_self_report(run)
    due_2 = period_review_due(YEAR, 2, POLICY_6_2022, 7)
    run.do(extend(1, date(YEAR, 7, 31)), HR)
    assert run.state.next_period_deadline() == (2, due_2)
    run.do(PassPeriodDeadline(period=2), SYSTEM, at=due_2)
    assert run.state.next_period_deadline() == (1, end_of_day(date(YEAR, 7, 31), 7))
    assert run.state.missed_periods == {2}


def test_only_hr_moves_a_periods_deadline() -> None:
    run = Run()
    to_self_report(run)
    for actor in (EMPLOYEE, APPRAISER, SUPERIOR, PEER, SYSTEM):
        assert refusal(run, extend(1, date(YEAR, 4, 30)), actor).code == "forbidden"


def test_a_periods_deadline_moves_only_while_it_runs_unreviewed() -> None:
    run = Run()
    run.do(open_command(), HR)
    assert refusal(run, extend(1, date(YEAR, 4, 30)), HR).code == "phase"
    run.do(DraftTargets(skp=sample_skp()), EMPLOYEE)
    run.do(SubmitTargets(), EMPLOYEE)
    # Approved in May: the first quarter had no agreed targets, so no deadline.
    run.do(ApproveTargets(), APPRAISER, at=datetime(YEAR, 5, 2, 9, tzinfo=WIB))
    refused = refusal(run, extend(1, date(YEAR, 6, 30)), HR)
    assert (refused.code, refused.field) == ("invalid", "period")
    assert "no review deadline" in refused.reason
    # Not a period of the policy.
    refused = refusal(run, ExtendPeriodDeadline(period=5, due=datetime(YEAR, 8, 1, tzinfo=WIB),
                                                reason=REASON), HR)
    assert (refused.code, refused.field) == ("invalid", "period")
    # Reviewed: nothing to move.
    due_2 = period_review_due(YEAR, 2, POLICY_6_2022, 7)
    run.do(review(2), APPRAISER, at=due_2 - timedelta(days=2))
    refused = refusal(run, extend(2, date(YEAR, 7, 31)), HR)
    assert (refused.code, refused.field) == ("invalid", "period") and "reviewed" in refused.reason
    # Its deadline passed, recorded or not yet: too late to move (the late review is taken).
    due_3 = period_review_due(YEAR, 3, POLICY_6_2022, 7)
    refused = refusal(run, extend(3, date(YEAR, 10, 31)), HR, at=due_3)
    assert (refused.code, refused.field) == ("invalid", "period") and "passed" in refused.reason
    run.do(PassPeriodDeadline(period=3), SYSTEM, at=due_3)
    refused = refusal(run, extend(3, date(YEAR, 10, 31)), HR)
    assert (refused.code, refused.field) == ("invalid", "period")
    # After the annual review, no period's deadline runs.
    run.do(SubmitSelfAssessment(assessment=SELF_ASSESSMENT), EMPLOYEE)
    run.do(SubmitReview(ratings=ratings()), APPRAISER)
    assert refusal(run, extend(4, date(YEAR + 1, 1, 20)), HR).code == "phase"


def test_a_policy_without_periods_has_none_to_move() -> None:
    run = Run()
    to_self_report(run, WITHOUT)
    refused = refusal(run, extend(1, date(YEAR, 4, 30)), HR)
    assert (refused.code, refused.field) == ("invalid", "period")


@pytest.mark.parametrize("due", [
    datetime(YEAR, 4, 10, 12, tzinfo=WIB),       # the same day: not later
    datetime(YEAR, 4, 10, 23, 0, tzinfo=UTC),   # 11 April at 06:00 in Jakarta: later
    datetime(YEAR, 3, 1, tzinfo=WIB),            # earlier
    datetime(YEAR + 1, 2, 1, 12, tzinfo=WIB),    # after the annual review's deadline
    datetime(YEAR, 4, 30, 12),                    # no zone
])
def test_the_new_deadline_is_a_later_day_by_the_annual_reviews(due: datetime) -> None:
    run = Run()
    to_self_report(run)
    command = ExtendPeriodDeadline(period=1, due=due, reason=REASON)
    if due == datetime(YEAR, 4, 10, 23, 0, tzinfo=UTC):
        [extended] = run.do(command, HR)
        assert isinstance(extended, PeriodDeadlineExtended)
        assert extended.due == end_of_day(date(YEAR, 4, 11), 7)
        return
    refused = refusal(run, command, HR)
    assert (refused.code, refused.field) == ("invalid", "due")


@pytest.mark.parametrize("due", [
    datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-12))),
    datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))),
])
def test_a_day_out_of_any_appraisals_years_is_refused_at_the_command(due: datetime) -> None:
    """Before any arithmetic on it (the end of that day in WIT would overflow), for the
    period's move and the annual extension alike."""
    with pytest.raises(ValidationError) as refused:
        ExtendPeriodDeadline(period=1, due=due, reason=REASON)
    assert [e["loc"] for e in refused.value.errors()] == [("due",)]
    with pytest.raises(ValidationError) as refused:
        ExtendDeadline(deadline=DeadlineKind.SKP, until=due, reason=REASON)
    assert [e["loc"] for e in refused.value.errors()] == [("until",)]


def test_the_annual_reviews_deadline_bounds_the_move() -> None:
    run = Run()
    to_self_report(run)
    latest = run.state.deadlines[DeadlineKind.REVIEW]
    [extended] = run.do(extend(4, latest.astimezone(WIB).date()), HR)
    assert isinstance(extended, PeriodDeadlineExtended) and extended.due == latest


@pytest.mark.parametrize("reason", ["", "a\x00b", "baris\x1bwarna", "x" * 100_000])
def test_the_reason_follows_the_annual_extensions_rules(reason: str) -> None:
    with pytest.raises(ValidationError) as refused:
        ExtendPeriodDeadline.model_validate(
            {"period": 1, "due": "2026-04-30T12:00:00+07:00", "reason": reason})
    assert refused.value.errors()[0]["loc"] == ("reason",)
    with pytest.raises(ValidationError):  # the same rule as the annual extension's
        ExtendDeadline.model_validate(
            {"deadline": "skp", "until": "2026-04-30T12:00:00+07:00", "reason": reason})


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["review", "pass", "extend"]), st.integers(1, 4),
                          st.integers(0, 120)),
                max_size=10))
def test_the_running_period_deadline_is_the_earliest_open_one(
        steps: list[tuple[str, int, int]]) -> None:
    """Whatever order periods are reviewed, pass or are moved by HR in, one deadline
    runs: the earliest deadline of a period neither reviewed nor missed; a review is late
    only after its period's (moved) deadline; every event folds back to the same state."""
    run = Run()
    to_self_report(run)
    for action, period, days in steps:
        due = run.state.period_deadlines[period]
        if action == "review":
            at = max(run.now, after(period_end(YEAR, period, POLICY_6_2022, 7)))
            command: object = review(period)
            actor = APPRAISER
        elif action == "pass":
            at = max(run.now, due)
            command = PassPeriodDeadline(period=period)
            actor = SYSTEM
        else:
            at = run.now
            command = ExtendPeriodDeadline(period=period, due=due + timedelta(days=days),
                                           reason=REASON)
            actor = HR
        try:
            run.do(command, actor, at=at)  # type: ignore[arg-type]
        except CommandRefused:
            if action == "extend":  # reviewed, missed, passed, or not a later day in bounds
                assert period in run.state.period_reviews \
                    or period in run.state.missed_periods or at >= due or days == 0 \
                    or due + timedelta(days=days) > run.state.deadlines[DeadlineKind.REVIEW]
            else:  # a second review, or a deadline that is not the running one
                assert period in run.state.period_reviews or \
                    run.state.next_period_deadline() != (period, due)
    done = set(run.state.period_reviews) | run.state.missed_periods
    open_ = [(run.state.period_deadlines[p], p) for p in range(1, 5) if p not in done]
    expected = (min(open_)[1], min(open_)[0]) if open_ else None
    assert run.state.next_period_deadline() == expected
    assert all(run.state.period_reviews[p].late == (
        run.state.period_reviews[p].at > run.state.period_deadlines[p])
        for p in run.state.period_reviews)
    stored = [(e.type, canonical_json(event_data(e))) for e in run.events]
    rebuilt = [event_from_data(t, json.loads(raw)) for t, raw in stored]
    assert rebuilt == run.events and fold(rebuilt) == run.state
