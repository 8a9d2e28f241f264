"""Periodic appraisal (penilaian kinerja periodik): the appraiser's review of each period.

PermenPAN-RB 6/2022 has the appraiser rate performance periodically, monthly or
quarterly as the agency chooses (``Policy.review_periods``), with feedback; the annual
review draws on those periods. A period is rated as the year is (every RHK of the SKP,
the seven BerAKHLAK values, the overall ratings suggested and overridden with a reason)
and its predikat comes by the annual rule (:func:`domain.appraisal.review.period_result`).

Kinerja's choices where the source is silent (``Policy.assumptions["review_periods"]``):

- periods are given after the SKP's approval and before the annual review (self-report
  and review phases); a period is reviewed once it has ended, and only once (later
  words go through feedback);
- a period's review is due ``Policy.period_review_days`` after its end, by the one rule
  of days (:func:`domain.policy.period_review_due`), for the periods ending after the
  SKP's approval (:func:`period_deadlines`); a period that ended before has no deadline
  but may still be reviewed;
- a deadline that passes is recorded (``PeriodDeadlinePassed``) and blocks nothing: the
  late review is still taken, marked ``late``;
- HR may move the deadline of a period not yet reviewed, before it passes, to a later
  day (``ExtendPeriodDeadline``: the end of that day in the agency's zone, as the annual
  extension's), with a reason; a passed one stays passed (the late review is taken).
"""

from __future__ import annotations

from datetime import datetime

from domain.appraisal.commands import ExtendPeriodDeadline, PassPeriodDeadline, ReviewPeriod
from domain.appraisal.events import (
    Event,
    PeriodDeadlineExtended,
    PeriodDeadlinePassed,
    PeriodReviewed,
)
from domain.appraisal.registry import (
    Context,
    _policy,
    _require_phase,
    _zone,
    handles,
)
from domain.appraisal.review import period_result
from domain.appraisal.state import AppraisalState
from domain.appraisal.vocabulary import CommandRefused, DeadlineKind, Phase
from domain.authorization import Action
from domain.policy import (
    Policy,
    deadline_set_by_hand,
    period_count,
    period_end,
    period_review_due,
)


def period_deadlines(policy: Policy, year: int, utc_offset_hours: int, approved_at: datetime
                     ) -> dict[int, datetime] | None:
    """When each periodic review is due, for the periods of ``year`` that end after the
    SKP's approval at ``approved_at`` (an earlier period had no agreed targets to be due
    against). None when the policy has no periodic review."""
    if policy.review_periods is None:
        return None
    return {period: period_review_due(year, period, policy, utc_offset_hours)
            for period in range(1, period_count(policy) + 1)
            if period_end(year, period, policy, utc_offset_hours) > approved_at}


def schedule_at_approval(state: AppraisalState, at: datetime) -> dict[int, datetime] | None:
    """:func:`period_deadlines` of an appraisal whose SKP is approved (or set) at ``at``."""
    assert state.calendar is not None
    return period_deadlines(_policy(state), state.calendar.year, _zone(state), at)


def _require_period(policy: Policy, period: int) -> None:
    """``period`` is one of the policy's review periods (else refused on ``period``)."""
    count = period_count(policy)
    if count == 0:
        raise CommandRefused("invalid", f"the {policy.title} policy has no periodic review",
                             "period")
    if period > count:
        raise CommandRefused(
            "invalid", f"a {policy.review_periods} policy has periods 1 to {count}", "period")


@handles(ReviewPeriod, Action.REVIEW_PERIOD)
def _review_period(state: AppraisalState, command: ReviewPeriod, ctx: Context) -> list[Event]:
    _require_phase(state, Phase.SELF_REPORT, Phase.REVIEW, doing="review a period")
    policy = _policy(state)
    _require_period(policy, command.period)
    assert state.calendar is not None
    ends = period_end(state.calendar.year, command.period, policy, _zone(state))
    if ctx.at <= ends:
        raise CommandRefused(
            "invalid", f"period {command.period} has not ended yet (it ends "
                       f"{ends.isoformat()})", "period")
    if command.period in state.period_reviews:
        raise CommandRefused(
            "invalid", f"period {command.period} has been reviewed; give feedback instead",
            "period")
    result = period_result(state, command.ratings)
    due = state.period_deadlines.get(command.period)
    return [PeriodReviewed(
        at=ctx.at, period=command.period, ratings=command.ratings,
        suggested_work_result=result.suggested_work_result, work_result=result.work_result,
        suggested_behaviour=result.suggested_behaviour, behaviour=result.behaviour,
        score=result.score, predikat=result.predikat, feedback=command.feedback, due=due,
        late=due is not None and ctx.at > due, by=ctx.actor.subject)]


@handles(PassPeriodDeadline, Action.PASS_PERIOD_DEADLINE)
def _pass_period_deadline(state: AppraisalState, command: PassPeriodDeadline, ctx: Context
                          ) -> list[Event]:
    running = state.next_period_deadline()
    if running is None or running[0] != command.period:
        raise CommandRefused("phase", f"period {command.period}'s review deadline is not "
                                      "running")
    due = running[1]
    if ctx.at < due:
        raise CommandRefused("phase", f"period {command.period}'s review is due "
                                      f"{due.isoformat()}")
    return [PeriodDeadlinePassed(at=ctx.at, period=command.period, due=due)]


@handles(ExtendPeriodDeadline, Action.EXTEND_PERIOD_DEADLINE)
def _extend_period_deadline(state: AppraisalState, command: ExtendPeriodDeadline,
                            ctx: Context) -> list[Event]:
    _require_phase(state, Phase.SELF_REPORT, Phase.REVIEW,
                   doing="move a period's review deadline")
    policy = _policy(state)
    period = command.period
    _require_period(policy, period)
    if period in state.period_reviews:
        raise CommandRefused("invalid", f"period {period} has been reviewed", "period")
    current = state.period_deadlines.get(period)
    if current is None:
        raise CommandRefused(
            "invalid", f"period {period} has no review deadline (it ended before the SKP "
                       "was approved)", "period")
    if period in state.missed_periods or ctx.at >= current:
        raise CommandRefused(
            "invalid", f"period {period}'s review deadline passed at {current.isoformat()}",
            "period")
    if command.due.tzinfo is None:
        raise CommandRefused("invalid", "the new deadline needs a time zone", "due")
    # The end of the named day in the agency's zone (domain.policy.deadline_set_by_hand;
    # the command's type keeps the day within years a date can carry there).
    due = deadline_set_by_hand(command.due, _zone(state), policy)
    if due <= current:
        raise CommandRefused(
            "invalid", f"the new deadline must be later than the current one "
                       f"{current.isoformat()}", "due")
    # A period's review feeds the annual review: due by its deadline at the latest.
    latest = state.deadlines[DeadlineKind.REVIEW]
    if due > latest:
        raise CommandRefused(
            "invalid", f"a period's review is due by the annual review's deadline "
                       f"{latest.isoformat()} at the latest", "due")
    return [PeriodDeadlineExtended(at=ctx.at, period=period, previous=current, due=due,
                                   reason=command.reason)]
