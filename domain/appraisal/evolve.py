"""``evolve(state, event)``: applies what was decided; ``fold`` applies many."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from domain.appraisal.events import (
    ActivityLogged,
    AppraisalCancelled,
    AppraisalFinalized,
    AppraisalOpened,
    DeadlineExtended,
    DeadlinePassed,
    Event,
    ExplanationGiven,
    ExplanationsRequested,
    FeedbackGiven,
    ObjectionDecided,
    ObjectionFiled,
    OrganisationRatingRecorded,
    PartiesReassigned,
    PeriodDeadlineExtended,
    PeriodDeadlinePassed,
    PeriodReviewed,
    ProgressReported,
    RealisationMeasured,
    ResultAccepted,
    ResultReleased,
    ReviewSubmitted,
    SelfAssessmentSubmitted,
    TargetsApproved,
    TargetsDrafted,
    TargetsReturned,
    TargetsSet,
    TargetsSubmitted,
)
from domain.appraisal.state import (
    AppraisalState,
    Explanation,
    FeedbackEntry,
    ObjectionState,
    PeriodReview,
    ReviewResult,
)
from domain.appraisal.vocabulary import (
    DeadlineKind,
    Phase,
    TargetStatus,
)


def evolve(state: AppraisalState, event: Event) -> AppraisalState:
    """The state after ``event``. Applies, never judges: rules live in :func:`decide`."""
    changes = _apply(state, event)
    changes["version"] = state.version + 1
    return _updated(state, changes)


def _updated(state: AppraisalState, changes: dict[str, Any]) -> AppraisalState:
    """``state.model_copy(update=changes)`` for a state that has neither extra fields
    (``extra="forbid"``) nor private attributes (checked below, at import): the same new
    model, without the generic copying of both (a third of a replay's time)."""
    updated = AppraisalState.__new__(AppraisalState)
    values = state.__dict__.copy()
    values.update(changes)
    object.__setattr__(updated, "__dict__", values)
    object.__setattr__(updated, "__pydantic_extra__", None)
    object.__setattr__(updated, "__pydantic_fields_set__",
                       state.__pydantic_fields_set__ | changes.keys())
    object.__setattr__(updated, "__pydantic_private__", None)
    return updated


if AppraisalState.model_config.get("extra") != "forbid" \
        or AppraisalState.__private_attributes__:  # pragma: no cover - a change of the state
    raise TypeError("evolve._updated copies neither extra fields nor private attributes")


def _apply(state: AppraisalState, event: Event) -> dict[str, Any]:
    match event:
        case AppraisalOpened():
            calendar = event.calendar
            return {
                "phase": Phase.TARGET_SETTING,
                "appraisal_id": event.appraisal_id,
                "cycle_id": event.cycle_id,
                "parties": event.parties,
                "policy": event.policy,
                "calendar": calendar,
                "position_kind": event.position_kind,
                "functional_level": event.functional_level,
                "is_unit_leader": event.is_unit_leader,
                "opened_at": event.at,
                "deadlines": {
                    DeadlineKind.SKP: calendar.skp_deadline,
                    DeadlineKind.SELF_ASSESSMENT: calendar.self_assessment_deadline,
                    DeadlineKind.REVIEW: calendar.review_deadline,
                },
            }
        case TargetsDrafted():
            return {"skp": event.skp, "targets_status": TargetStatus.DRAFT}
        case TargetsSubmitted():
            return {"targets_status": TargetStatus.SUBMITTED, "return_reason": None}
        case TargetsReturned():
            return {"targets_status": TargetStatus.RETURNED, "return_reason": event.reason}
        case TargetsApproved():
            return {"targets_status": TargetStatus.APPROVED, "phase": Phase.SELF_REPORT,
                    "approved_links": event.supported,
                    "period_deadlines": event.period_deadlines or {}}
        case TargetsSet():
            return {"skp": event.skp, "targets_status": TargetStatus.SET_BY_HR,
                    "phase": Phase.SELF_REPORT, "approved_links": event.supported,
                    "period_deadlines": event.period_deadlines or {}}
        case ProgressReported():
            return {"progress": {**state.progress, event.report.period: event.report}}
        case ActivityLogged():
            return {"activities": (*state.activities, event.activity)}
        case FeedbackGiven():
            entry = FeedbackEntry(feedback=event.feedback, by=event.by,
                                  relation=event.relation, at=event.at)
            return {"feedback": (*state.feedback, entry)}
        case SelfAssessmentSubmitted():
            return {"self_assessment": event.assessment, "phase": Phase.REVIEW}
        case ReviewSubmitted():
            review = ReviewResult(**event.model_dump(exclude={"type", "at"}))
            return {"review": review, "predikat": event.predikat, "phase": Phase.CALIBRATION}
        case PeriodReviewed():
            period_review = PeriodReview(
                period=event.period, ratings=event.ratings, work_result=event.work_result,
                behaviour=event.behaviour, score=event.score, predikat=event.predikat,
                feedback=event.feedback, due=event.due, late=event.late, by=event.by,
                at=event.at)
            return {"period_reviews": {**state.period_reviews, event.period: period_review}}
        case PeriodDeadlinePassed():
            return {"missed_periods": state.missed_periods | {event.period}}
        case PeriodDeadlineExtended():
            return {"period_deadlines": {**state.period_deadlines, event.period: event.due}}
        case OrganisationRatingRecorded():
            return {"organisation_rating": event.rating}
        case ResultReleased():
            return {
                "phase": Phase.OBJECTION_WINDOW,
                "released_at": event.at,
                "release_exception_reason": event.exception_reason,
                "deadlines": {**state.deadlines,
                              DeadlineKind.OBJECTION_WINDOW: event.objection_deadline},
            }
        case ResultAccepted():
            return {}
        case ObjectionFiled():
            return {
                "phase": Phase.OBJECTION_REVIEW,
                "objection": ObjectionState(reasons=event.reasons, filed_at=event.at),
                "deadlines": {**state.deadlines,
                              DeadlineKind.OBJECTION_DECISION: event.decision_deadline},
            }
        case ExplanationsRequested():
            assert state.objection is not None
            awaiting = tuple(sorted(set(state.objection.explanations_requested)
                                    | set(event.parties)))
            return {"objection": state.objection.model_copy(
                update={"explanations_requested": awaiting, "questions": event.questions})}
        case ExplanationGiven():
            assert state.objection is not None
            explanation = Explanation(party=event.party, text=event.text, at=event.at)
            return {"objection": state.objection.model_copy(update={
                "explanations": (*state.objection.explanations, explanation),
                "explanations_requested": tuple(
                    p for p in state.objection.explanations_requested if p != event.party),
            })}
        case ObjectionDecided():
            assert state.objection is not None
            return {"objection": state.objection.model_copy(update={"decision": event}),
                    "predikat": event.predikat}
        case DeadlineExtended():
            return {"deadlines": {**state.deadlines, event.deadline: event.until},
                    "passed_deadlines": state.passed_deadlines - {event.deadline}}
        case DeadlinePassed():
            changes: dict[str, Any] = {
                "passed_deadlines": state.passed_deadlines | {event.deadline}}
            if event.deadline is DeadlineKind.SELF_ASSESSMENT:
                changes["phase"] = Phase.REVIEW
            return changes
        case AppraisalFinalized():
            return {"phase": Phase.FINAL, "predikat": event.predikat, "finalized_at": event.at,
                    "final_basis": event.basis}
        case AppraisalCancelled():
            return {"phase": Phase.CANCELLED, "cancel_reason_kind": event.reason_kind,
                    "cancel_reason": event.reason}
        case RealisationMeasured():
            measured = event.measurement
            return {"measured": {**state.measured, measured.indicator_id: measured}}
        case PartiesReassigned():
            assert state.parties is not None
            return {"parties": state.parties.model_copy(update={
                "appraiser": event.appraiser, "superior": event.superior})}
    raise TypeError(f"unknown event {type(event).__name__}")  # pragma: no cover


def fold(events: Iterable[Event], state: AppraisalState | None = None) -> AppraisalState:
    """Apply ``events`` in order, from ``state`` or from the empty state."""
    current = state or AppraisalState()
    for event in events:
        current = evolve(current, event)
    return current
