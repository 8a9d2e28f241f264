"""The year's work: progress, activities, feedback and the self-assessment."""

from __future__ import annotations

from datetime import timedelta, timezone

from domain.appraisal.commands import (
    GiveFeedback,
    LogActivity,
    ReportProgress,
    SubmitSelfAssessment,
)
from domain.appraisal.events import (
    ActivityLogged,
    Event,
    FeedbackGiven,
    ProgressReported,
    SelfAssessmentSubmitted,
)
from domain.appraisal.registry import (
    Context,
    _policy,
    _require_exact_rhk,
    _require_phase,
    _skp,
    handles,
)
from domain.appraisal.state import AppraisalState
from domain.appraisal.vocabulary import (
    CommandRefused,
    Phase,
)
from domain.authorization import Action
from domain.skp import PERIOD_PATTERN


@handles(ReportProgress, Action.REPORT_PROGRESS)
def _report_progress(state: AppraisalState, command: ReportProgress, ctx: Context
                     ) -> list[Event]:
    _require_phase(state, Phase.SELF_REPORT, doing="report progress")
    report = command.report
    match = PERIOD_PATTERN.match(report.period)
    assert match is not None and state.calendar is not None
    if int(match["year"]) != state.calendar.year:
        raise CommandRefused(
            "invalid", f"the period must lie in the cycle year {state.calendar.year}",
            "report.period")
    periodicity = "quarterly" if match["quarter"] else "monthly"
    if periodicity not in _policy(state).progress_periods:
        raise CommandRefused("invalid", f"{periodicity} reports are not allowed by the policy",
                             "report.period")
    known = _skp(state).indicator_ids()
    for i, realisation in enumerate(report.realisations):
        if realisation.indicator_id not in known:
            raise CommandRefused("invalid", "no indicator with this id in the SKP",
                                 f"report.realisations[{i}].indicator_id")
        indicator = _skp(state).indicator(realisation.indicator_id)
        if indicator is not None and indicator.source is not None:
            raise CommandRefused(
                "invalid", "this indicator's realisation is filled from its source"
                f" ({indicator.source.kind.value}) at the period's end; it cannot be typed",
                f"report.realisations[{i}].indicator_id")
    return [ProgressReported(at=ctx.at, report=report)]


@handles(LogActivity, Action.LOG_ACTIVITY)
def _log_activity(state: AppraisalState, command: LogActivity, ctx: Context) -> list[Event]:
    _require_phase(state, Phase.SELF_REPORT, doing="log an activity")
    activity = command.activity
    assert state.calendar is not None
    if activity.day.year != state.calendar.year:
        raise CommandRefused(
            "invalid", f"the day must lie in the cycle year {state.calendar.year}",
            "activity.day")
    zone = timezone(timedelta(hours=state.calendar.utc_offset_hours))
    local_today = ctx.at.astimezone(zone).date()
    if activity.day > local_today:
        raise CommandRefused("invalid", "an activity cannot be logged for a future day",
                             "activity.day")
    if _skp(state).rhk_by_id(activity.rhk_id) is None:
        raise CommandRefused("invalid", "no RHK with this id in the SKP", "activity.rhk_id")
    return [ActivityLogged(at=ctx.at, activity=activity)]


@handles(GiveFeedback, Action.GIVE_FEEDBACK)
def _give_feedback(state: AppraisalState, command: GiveFeedback, ctx: Context) -> list[Event]:
    _require_phase(state, Phase.SELF_REPORT, Phase.REVIEW, doing="give feedback")
    rhk_id = command.feedback.rhk_id
    if rhk_id is not None and _skp(state).rhk_by_id(rhk_id) is None:
        raise CommandRefused("invalid", "no RHK with this id in the SKP", "feedback.rhk_id")
    return [FeedbackGiven(at=ctx.at, feedback=command.feedback, by=ctx.actor.subject,
                          relation=ctx.relation)]


@handles(SubmitSelfAssessment, Action.SUBMIT_SELF_ASSESSMENT)
def _submit_self_assessment(state: AppraisalState, command: SubmitSelfAssessment,
                            ctx: Context) -> list[Event]:
    _require_phase(state, Phase.SELF_REPORT, doing="submit the self-assessment")
    rated = [r.rhk_id for r in command.assessment.ratings]
    _require_exact_rhk(state, rated, "assessment.ratings")
    return [SelfAssessmentSubmitted(at=ctx.at, assessment=command.assessment)]
