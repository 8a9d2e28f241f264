"""The appraisal state machine: ``decide(state, command) -> events`` and ``evolve(state, event)``.

One appraisal is one employee's year: target setting (SKP), self-report,
review, the calibration gate, the objection window, the objection under
review, and final; cancelled on transfer or retirement. Every rule about what
may happen when, and by whom, is in :func:`decide`; :func:`evolve` only
applies what was decided, so folding an appraisal's events always gives back
its state. The workflow, the audit replay and the tests use these same
functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from domain.authorization import Action, Actor, Parties, Relation, acting_relation
from domain.calibration import OrganisationRating, leader_work_result_rating
from domain.policy import (
    CycleCalendar,
    FunctionalLevel,
    Policy,
    objection_deadline,
    objection_decision_deadline,
)
from domain.ratings import (
    Predikat,
    Rating,
    numeric_predikat,
    numeric_score,
    predikat_from_matrix,
    suggest_overall_rating,
)
from domain.skp import (
    PERIOD_PATTERN,
    Approach,
    DailyActivity,
    Feedback,
    NumericScores,
    ObjectionDecisionOutcome,
    ProgressReport,
    Ratings,
    RhkKind,
    SelfAssessment,
    Skp,
    Text,
)

# --------------------------------------------------------------------------- #
# Vocabulary


class Phase(StrEnum):
    NOT_OPENED = "not_opened"
    TARGET_SETTING = "target_setting"
    SELF_REPORT = "self_report"
    REVIEW = "review"
    CALIBRATION = "calibration"
    """Reviewed; the result waits for its unit's calibration (or HR's release)."""
    OBJECTION_WINDOW = "objection_window"
    OBJECTION_REVIEW = "objection_review"
    FINAL = "final"
    CANCELLED = "cancelled"


TERMINAL_PHASES = frozenset({Phase.FINAL, Phase.CANCELLED})


class TargetStatus(StrEnum):
    NONE = "none"
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"
    SET_BY_HR = "set_by_hr"


class DeadlineKind(StrEnum):
    SKP = "skp"
    """SKP approved; when it passes, HR may set the SKP."""
    SELF_ASSESSMENT = "self_assessment"
    """Self-assessment submitted; when it passes, the review starts without it."""
    REVIEW = "review"
    """Review submitted; when it passes, the appraiser's superior is told and may review."""
    OBJECTION_WINDOW = "objection_window"
    """No objection filed; when it passes, the result is final."""
    OBJECTION_DECISION = "objection_decision"
    """Objection decided; when it passes, HR is told (the superior still decides)."""


DEADLINE_OF_PHASE: dict[Phase, DeadlineKind] = {
    Phase.TARGET_SETTING: DeadlineKind.SKP,
    Phase.SELF_REPORT: DeadlineKind.SELF_ASSESSMENT,
    Phase.REVIEW: DeadlineKind.REVIEW,
    Phase.OBJECTION_WINDOW: DeadlineKind.OBJECTION_WINDOW,
    Phase.OBJECTION_REVIEW: DeadlineKind.OBJECTION_DECISION,
}
"""The deadline that runs in each phase."""

ESCALATION: dict[DeadlineKind, Relation | None] = {
    DeadlineKind.SKP: Relation.HR,
    DeadlineKind.SELF_ASSESSMENT: Relation.APPRAISER,
    DeadlineKind.REVIEW: Relation.SUPERIOR,
    DeadlineKind.OBJECTION_WINDOW: None,
    DeadlineKind.OBJECTION_DECISION: Relation.HR,
}
"""Who is told when a deadline passes with its step undone."""

_PHASE_ORDER = list(Phase)


class PositionKind(StrEnum):
    JPT = "jpt"
    ADMINISTRATOR = "administrator"
    SUPERVISOR = "supervisor"
    STAFF = "staff"
    FUNCTIONAL = "functional"


class CancelReason(StrEnum):
    TRANSFER = "transfer"
    RETIREMENT = "retirement"
    OTHER = "other"


class CommandRefused(Exception):
    """A command that the rules refuse, with a reason a user can read.

    ``code``: ``forbidden`` (the caller may not), ``phase`` (not now),
    ``invalid`` (the content breaks a rule; ``field`` names where).
    """

    def __init__(self, code: Literal["forbidden", "phase", "invalid"], reason: str,
                 field: str | None = None) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.field = field


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --------------------------------------------------------------------------- #
# Commands


class OpenAppraisal(_Model):
    kind: Literal["open"] = "open"
    appraisal_id: Annotated[str, Field(min_length=1, max_length=200)]
    cycle_id: Annotated[str, Field(min_length=1, max_length=100)]
    parties: Parties
    policy: Policy
    calendar: CycleCalendar
    position_kind: PositionKind = PositionKind.STAFF
    functional_level: FunctionalLevel | None = None
    is_unit_leader: bool = False


class DraftTargets(_Model):
    kind: Literal["draft_targets"] = "draft_targets"
    skp: Skp


class SubmitTargets(_Model):
    kind: Literal["submit_targets"] = "submit_targets"


class ReturnTargets(_Model):
    kind: Literal["return_targets"] = "return_targets"
    reason: Text


class ApproveTargets(_Model):
    kind: Literal["approve_targets"] = "approve_targets"


class SetTargets(_Model):
    kind: Literal["set_targets"] = "set_targets"
    skp: Skp
    reason: Text


class ReportProgress(_Model):
    kind: Literal["report_progress"] = "report_progress"
    report: ProgressReport


class LogActivity(_Model):
    kind: Literal["log_activity"] = "log_activity"
    activity: DailyActivity


class GiveFeedback(_Model):
    kind: Literal["give_feedback"] = "give_feedback"
    feedback: Feedback


class SubmitSelfAssessment(_Model):
    kind: Literal["submit_self_assessment"] = "submit_self_assessment"
    assessment: SelfAssessment


class SubmitReview(_Model):
    """First review, or a revision while the result is held for calibration."""

    kind: Literal["submit_review"] = "submit_review"
    ratings: Ratings


class RecordOrganisationRating(_Model):
    kind: Literal["record_organisation_rating"] = "record_organisation_rating"
    rating: OrganisationRating


class ReleaseResult(_Model):
    """Open the objection window. ``exception_reason``: HR releases despite calibration."""

    kind: Literal["release"] = "release"
    exception_reason: Text | None = None


class AcceptResult(_Model):
    kind: Literal["accept_result"] = "accept_result"


class FileObjection(_Model):
    kind: Literal["file_objection"] = "file_objection"
    reasons: Text


class RequestExplanations(_Model):
    kind: Literal["request_explanations"] = "request_explanations"
    parties: Annotated[frozenset[Literal["employee", "appraiser"]], Field(min_length=1)]
    questions: Text


class GiveExplanation(_Model):
    kind: Literal["give_explanation"] = "give_explanation"
    text: Text


class DecideObjection(_Model):
    """Uphold the result, or change the overall ratings (numeric scores under PP 30)."""

    kind: Literal["decide_objection"] = "decide_objection"
    outcome: ObjectionDecisionOutcome
    reason: Text
    work_result: Rating | None = None
    behaviour: Rating | None = None
    numeric: NumericScores | None = None


class ExtendDeadline(_Model):
    kind: Literal["extend_deadline"] = "extend_deadline"
    deadline: DeadlineKind
    until: datetime
    reason: Text


class PassDeadline(_Model):
    """A deadline's timer fired (sent by the workflow, never by a person)."""

    kind: Literal["pass_deadline"] = "pass_deadline"
    deadline: DeadlineKind


class CancelAppraisal(_Model):
    kind: Literal["cancel"] = "cancel"
    reason_kind: CancelReason
    reason: Text


class ReassignParties(_Model):
    """The roster's reporting line changed: a new appraiser and/or appraiser's superior
    from now on (what was already decided stays as it was)."""

    kind: Literal["reassign"] = "reassign"
    appraiser: str | None
    superior: str | None
    reason: Text


Command: TypeAlias = Annotated[
    OpenAppraisal | DraftTargets | SubmitTargets | ReturnTargets | ApproveTargets | SetTargets
    | ReportProgress | LogActivity | GiveFeedback | SubmitSelfAssessment | SubmitReview
    | RecordOrganisationRating | ReleaseResult | AcceptResult | FileObjection
    | RequestExplanations | GiveExplanation | DecideObjection | ExtendDeadline | PassDeadline
    | CancelAppraisal | ReassignParties,
    Field(discriminator="kind"),
]

COMMAND_ACTION: dict[str, Action] = {
    "open": Action.OPEN,
    "draft_targets": Action.DRAFT_TARGETS,
    "submit_targets": Action.SUBMIT_TARGETS,
    "return_targets": Action.RETURN_TARGETS,
    "approve_targets": Action.APPROVE_TARGETS,
    "set_targets": Action.SET_TARGETS,
    "report_progress": Action.REPORT_PROGRESS,
    "log_activity": Action.LOG_ACTIVITY,
    "give_feedback": Action.GIVE_FEEDBACK,
    "submit_self_assessment": Action.SUBMIT_SELF_ASSESSMENT,
    "submit_review": Action.SUBMIT_REVIEW,
    "record_organisation_rating": Action.RECORD_ORGANISATION_RATING,
    "release": Action.RELEASE,
    "accept_result": Action.ACCEPT_RESULT,
    "file_objection": Action.FILE_OBJECTION,
    "request_explanations": Action.REQUEST_EXPLANATIONS,
    "give_explanation": Action.GIVE_EXPLANATION,
    "decide_objection": Action.DECIDE_OBJECTION,
    "extend_deadline": Action.EXTEND_DEADLINE,
    "pass_deadline": Action.MISS_DEADLINE,
    "cancel": Action.CANCEL,
    "reassign": Action.REASSIGN,
}
"""The authorization action each command needs."""

# --------------------------------------------------------------------------- #
# Events


class _Event(_Model):
    at: datetime


class AppraisalOpened(_Event):
    type: Literal["AppraisalOpened"] = "AppraisalOpened"
    appraisal_id: str
    cycle_id: str
    parties: Parties
    policy: Policy
    calendar: CycleCalendar
    position_kind: PositionKind
    functional_level: FunctionalLevel | None
    is_unit_leader: bool


class TargetsDrafted(_Event):
    type: Literal["TargetsDrafted"] = "TargetsDrafted"
    skp: Skp


class TargetsSubmitted(_Event):
    type: Literal["TargetsSubmitted"] = "TargetsSubmitted"


class TargetsReturned(_Event):
    type: Literal["TargetsReturned"] = "TargetsReturned"
    reason: str


class TargetsApproved(_Event):
    type: Literal["TargetsApproved"] = "TargetsApproved"
    by: str


class TargetsSet(_Event):
    type: Literal["TargetsSet"] = "TargetsSet"
    skp: Skp
    reason: str
    by: str


class ProgressReported(_Event):
    type: Literal["ProgressReported"] = "ProgressReported"
    report: ProgressReport


class ActivityLogged(_Event):
    type: Literal["ActivityLogged"] = "ActivityLogged"
    activity: DailyActivity


class FeedbackGiven(_Event):
    type: Literal["FeedbackGiven"] = "FeedbackGiven"
    feedback: Feedback
    by: str
    relation: Relation


class SelfAssessmentSubmitted(_Event):
    type: Literal["SelfAssessmentSubmitted"] = "SelfAssessmentSubmitted"
    assessment: SelfAssessment


class ReviewSubmitted(_Event):
    type: Literal["ReviewSubmitted"] = "ReviewSubmitted"
    ratings: Ratings
    suggested_work_result: Rating
    work_result: Rating
    suggested_behaviour: Rating
    behaviour: Rating
    score: Decimal | None
    predikat: Predikat
    revision: int
    by: str


class OrganisationRatingRecorded(_Event):
    type: Literal["OrganisationRatingRecorded"] = "OrganisationRatingRecorded"
    rating: OrganisationRating


class ResultReleased(_Event):
    type: Literal["ResultReleased"] = "ResultReleased"
    objection_deadline: datetime
    exception_reason: str | None


class ResultAccepted(_Event):
    type: Literal["ResultAccepted"] = "ResultAccepted"


class ObjectionFiled(_Event):
    type: Literal["ObjectionFiled"] = "ObjectionFiled"
    reasons: str
    decision_deadline: datetime


class ExplanationsRequested(_Event):
    type: Literal["ExplanationsRequested"] = "ExplanationsRequested"
    parties: tuple[Literal["appraiser", "employee"], ...]
    questions: str


class ExplanationGiven(_Event):
    type: Literal["ExplanationGiven"] = "ExplanationGiven"
    party: Literal["appraiser", "employee"]
    text: str


class ObjectionDecided(_Event):
    type: Literal["ObjectionDecided"] = "ObjectionDecided"
    outcome: ObjectionDecisionOutcome
    reason: str
    work_result: Rating | None
    behaviour: Rating | None
    score: Decimal | None
    predikat: Predikat
    by: str


class DeadlineExtended(_Event):
    type: Literal["DeadlineExtended"] = "DeadlineExtended"
    deadline: DeadlineKind
    until: datetime
    reason: str


class DeadlinePassed(_Event):
    type: Literal["DeadlinePassed"] = "DeadlinePassed"
    deadline: DeadlineKind
    due: datetime
    escalated_to: Relation | None


class AppraisalFinalized(_Event):
    type: Literal["AppraisalFinalized"] = "AppraisalFinalized"
    predikat: Predikat
    basis: Literal["accepted", "objection_window_closed", "objection_decided"]


class AppraisalCancelled(_Event):
    type: Literal["AppraisalCancelled"] = "AppraisalCancelled"
    reason_kind: CancelReason
    reason: str


class PartiesReassigned(_Event):
    type: Literal["PartiesReassigned"] = "PartiesReassigned"
    appraiser: str | None
    superior: str | None
    reason: str


Event: TypeAlias = Annotated[
    AppraisalOpened | TargetsDrafted | TargetsSubmitted | TargetsReturned | TargetsApproved
    | TargetsSet | ProgressReported | ActivityLogged | FeedbackGiven | SelfAssessmentSubmitted
    | ReviewSubmitted | OrganisationRatingRecorded | ResultReleased | ResultAccepted
    | ObjectionFiled | ExplanationsRequested | ExplanationGiven | ObjectionDecided
    | DeadlineExtended | DeadlinePassed | AppraisalFinalized | AppraisalCancelled
    | PartiesReassigned,
    Field(discriminator="type"),
]

EVENT_SCHEMA_VERSION = 1
_EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
_COMMAND_ADAPTER: TypeAdapter[Command] = TypeAdapter(Command)


def event_data(event: Event) -> dict[str, Any]:
    """The JSON-ready payload stored for ``event`` (its ``type`` is stored beside it)."""
    return event.model_dump(mode="json", exclude={"type"})


def event_from_data(type_: str, data: dict[str, Any]) -> Event:
    """Rebuild a domain event from its stored type and payload."""
    return _EVENT_ADAPTER.validate_python({**data, "type": type_})


def parse_command(data: dict[str, Any]) -> Command:
    """Validate a command from JSON-ready data (``kind`` selects the command)."""
    return _COMMAND_ADAPTER.validate_python(data)


# --------------------------------------------------------------------------- #
# State


class ReviewResult(_Model):
    ratings: Ratings
    suggested_work_result: Rating
    work_result: Rating
    suggested_behaviour: Rating
    behaviour: Rating
    score: Decimal | None
    predikat: Predikat
    revision: int
    by: str


class FeedbackEntry(_Model):
    feedback: Feedback
    by: str
    relation: Relation
    at: datetime


class Explanation(_Model):
    party: Literal["appraiser", "employee"]
    text: str
    at: datetime


class ObjectionState(_Model):
    reasons: str
    filed_at: datetime
    explanations_requested: tuple[Literal["appraiser", "employee"], ...] = ()
    questions: str | None = None
    explanations: tuple[Explanation, ...] = ()
    decision: ObjectionDecided | None = None

    def awaiting_from(self) -> frozenset[str]:
        """Parties asked to explain who have not answered since."""
        return frozenset(self.explanations_requested)


class AppraisalState(_Model):
    """Everything known about one appraisal; the fold of its events."""

    version: int = 0
    phase: Phase = Phase.NOT_OPENED
    appraisal_id: str | None = None
    cycle_id: str | None = None
    parties: Parties | None = None
    policy: Policy | None = None
    calendar: CycleCalendar | None = None
    position_kind: PositionKind | None = None
    functional_level: FunctionalLevel | None = None
    is_unit_leader: bool = False
    opened_at: datetime | None = None

    targets_status: TargetStatus = TargetStatus.NONE
    skp: Skp | None = None
    return_reason: str | None = None

    progress: dict[str, ProgressReport] = Field(default_factory=dict)
    activities: tuple[DailyActivity, ...] = ()
    feedback: tuple[FeedbackEntry, ...] = ()
    self_assessment: SelfAssessment | None = None

    review: ReviewResult | None = None
    organisation_rating: OrganisationRating | None = None
    predikat: Predikat | None = None

    released_at: datetime | None = None
    release_exception_reason: str | None = None
    objection: ObjectionState | None = None

    deadlines: dict[DeadlineKind, datetime] = Field(default_factory=dict)
    passed_deadlines: frozenset[DeadlineKind] = frozenset()

    finalized_at: datetime | None = None
    final_basis: str | None = None
    cancel_reason_kind: CancelReason | None = None
    cancel_reason: str | None = None

    @property
    def is_terminal(self) -> bool:
        return self.phase in TERMINAL_PHASES

    def next_deadline(self) -> tuple[DeadlineKind, datetime] | None:
        """The deadline now running (its timer should be armed), if any."""
        kind = DEADLINE_OF_PHASE.get(self.phase)
        if kind is None or kind in self.passed_deadlines or kind not in self.deadlines:
            return None
        return kind, self.deadlines[kind]


def fold(events: Iterable[Event], state: AppraisalState | None = None) -> AppraisalState:
    """Apply ``events`` in order, from ``state`` or from the empty state."""
    current = state or AppraisalState()
    for event in events:
        current = evolve(current, event)
    return current


# --------------------------------------------------------------------------- #
# decide


def decide(state: AppraisalState, command: Command, *, actor: Actor, at: datetime
           ) -> list[Event]:
    """The events that ``command`` by ``actor`` at moment ``at`` causes, or CommandRefused."""
    if at.tzinfo is None:
        raise CommandRefused("invalid", "the moment of a command needs a time zone", "at")
    if isinstance(command, OpenAppraisal):
        return _decide_open(state, command, actor, at)
    if state.parties is None or state.phase is Phase.NOT_OPENED:
        raise CommandRefused("phase", "this appraisal has not been opened")
    relation = acting_relation(actor, COMMAND_ACTION[command.kind], state.parties)
    if relation is None:
        raise CommandRefused(
            "forbidden", f"you may not {command.kind.replace('_', ' ')} on this appraisal"
        )
    if state.is_terminal:
        raise CommandRefused("phase", f"the appraisal is {state.phase.value}; nothing changes it")
    handler = _HANDLERS[command.kind]
    return handler(state, command, _Context(actor=actor, relation=relation, at=at))


class _Context(_Model):
    actor: Actor
    relation: Relation
    at: datetime


def _require_phase(state: AppraisalState, *phases: Phase, doing: str) -> None:
    if state.phase not in phases:
        allowed = " or ".join(p.value.replace("_", " ") for p in phases)
        raise CommandRefused(
            "phase",
            f"cannot {doing} while the appraisal is in {state.phase.value.replace('_', ' ')};"
            f" only in {allowed}",
        )


def _policy(state: AppraisalState) -> Policy:
    assert state.policy is not None
    return state.policy


def _skp(state: AppraisalState) -> Skp:
    assert state.skp is not None
    return state.skp


def _decide_open(state: AppraisalState, command: OpenAppraisal, actor: Actor, at: datetime
                 ) -> list[Event]:
    if acting_relation(actor, Action.OPEN, command.parties) is None:
        raise CommandRefused("forbidden", "only HR of the agency may open an appraisal")
    if state.phase is not Phase.NOT_OPENED:
        raise CommandRefused("phase", "this appraisal is already open")
    if command.is_unit_leader is False and command.position_kind is PositionKind.FUNCTIONAL \
            and command.functional_level is None:
        raise CommandRefused("invalid", "a functional position needs its level",
                             "functional_level")
    if command.policy.scheme == "ratings" and not command.policy.predikat_matrix:
        raise CommandRefused("invalid", "the policy has no predikat matrix", "policy")
    return [
        AppraisalOpened(
            at=at,
            appraisal_id=command.appraisal_id,
            cycle_id=command.cycle_id,
            parties=command.parties,
            policy=command.policy,
            calendar=command.calendar,
            position_kind=command.position_kind,
            functional_level=command.functional_level,
            is_unit_leader=command.is_unit_leader,
        )
    ]


def validate_skp(skp: Skp, policy: Policy, position_kind: PositionKind | None) -> None:
    """Rules of an SKP that depend on the policy and the position; CommandRefused if broken."""
    if not any(r.kind is RhkKind.MAIN for r in skp.rhk):
        raise CommandRefused("invalid", "an SKP needs at least one main (utama) RHK", "skp.rhk")
    for i, rhk in enumerate(skp.rhk):
        for j, indicator in enumerate(rhk.indicators):
            where = f"skp.rhk[{i}].indicators[{j}].target"
            target = indicator.target
            if skp.approach is Approach.QUANTITATIVE and (target.value is None or
                                                          target.unit is None):
                raise CommandRefused(
                    "invalid", "a quantitative SKP needs a number and a unit for every target",
                    where)
            if skp.approach is Approach.QUALITATIVE and target.text is None:
                raise CommandRefused(
                    "invalid", "a qualitative SKP needs a text for every target", where)
        if position_kind is PositionKind.JPT:
            if rhk.perspective not in policy.jpt_perspectives:
                raise CommandRefused(
                    "invalid",
                    "a JPT groups every RHK by a perspective: "
                    + ", ".join(policy.jpt_perspectives),
                    f"skp.rhk[{i}].perspective",
                )
        elif rhk.perspective is not None:
            raise CommandRefused(
                "invalid", "only JPT group their RHK by perspective", f"skp.rhk[{i}].perspective"
            )


def _draft_targets(state: AppraisalState, command: DraftTargets, ctx: _Context) -> list[Event]:
    _require_phase(state, Phase.TARGET_SETTING, doing="draft targets")
    if state.targets_status is TargetStatus.SUBMITTED:
        raise CommandRefused("phase", "the SKP is with the appraiser; wait for approval or return")
    validate_skp(command.skp, _policy(state), state.position_kind)
    return [TargetsDrafted(at=ctx.at, skp=command.skp)]


def _submit_targets(state: AppraisalState, command: SubmitTargets, ctx: _Context
                    ) -> list[Event]:
    _require_phase(state, Phase.TARGET_SETTING, doing="submit targets")
    if state.targets_status not in (TargetStatus.DRAFT, TargetStatus.RETURNED):
        raise CommandRefused("phase", "there is no SKP draft to submit")
    return [TargetsSubmitted(at=ctx.at)]


def _return_targets(state: AppraisalState, command: ReturnTargets, ctx: _Context
                    ) -> list[Event]:
    _require_phase(state, Phase.TARGET_SETTING, doing="return targets")
    if state.targets_status is not TargetStatus.SUBMITTED:
        raise CommandRefused("phase", "no submitted SKP is waiting for you")
    return [TargetsReturned(at=ctx.at, reason=command.reason)]


def _approve_targets(state: AppraisalState, command: ApproveTargets, ctx: _Context
                     ) -> list[Event]:
    _require_phase(state, Phase.TARGET_SETTING, doing="approve targets")
    if state.targets_status is not TargetStatus.SUBMITTED:
        raise CommandRefused("phase", "no submitted SKP is waiting for you")
    return [TargetsApproved(at=ctx.at, by=ctx.actor.subject)]


def _set_targets(state: AppraisalState, command: SetTargets, ctx: _Context) -> list[Event]:
    _require_phase(state, Phase.TARGET_SETTING, doing="set targets")
    if DeadlineKind.SKP not in state.passed_deadlines:
        raise CommandRefused(
            "phase", "HR may set the SKP only after its deadline has passed unapproved"
        )
    validate_skp(command.skp, _policy(state), state.position_kind)
    return [TargetsSet(at=ctx.at, skp=command.skp, reason=command.reason, by=ctx.actor.subject)]


def _report_progress(state: AppraisalState, command: ReportProgress, ctx: _Context
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
    return [ProgressReported(at=ctx.at, report=report)]


def _log_activity(state: AppraisalState, command: LogActivity, ctx: _Context) -> list[Event]:
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


def _give_feedback(state: AppraisalState, command: GiveFeedback, ctx: _Context) -> list[Event]:
    _require_phase(state, Phase.SELF_REPORT, Phase.REVIEW, doing="give feedback")
    rhk_id = command.feedback.rhk_id
    if rhk_id is not None and _skp(state).rhk_by_id(rhk_id) is None:
        raise CommandRefused("invalid", "no RHK with this id in the SKP", "feedback.rhk_id")
    return [FeedbackGiven(at=ctx.at, feedback=command.feedback, by=ctx.actor.subject,
                          relation=ctx.relation)]


def _submit_self_assessment(state: AppraisalState, command: SubmitSelfAssessment,
                            ctx: _Context) -> list[Event]:
    _require_phase(state, Phase.SELF_REPORT, doing="submit the self-assessment")
    rated = [r.rhk_id for r in command.assessment.ratings]
    _require_exact_rhk(state, rated, "assessment.ratings")
    return [SelfAssessmentSubmitted(at=ctx.at, assessment=command.assessment)]


def _require_exact_rhk(state: AppraisalState, rhk_ids: list[str], field: str) -> None:
    expected = [r.id for r in _skp(state).rhk]
    if sorted(rhk_ids) != sorted(expected):
        raise CommandRefused(
            "invalid", "rate every RHK of the SKP exactly once: " + ", ".join(expected), field
        )


def _submit_review(state: AppraisalState, command: SubmitReview, ctx: _Context) -> list[Event]:
    if ctx.relation is Relation.SUPERIOR:
        if state.phase is not Phase.REVIEW or DeadlineKind.REVIEW not in state.passed_deadlines:
            raise CommandRefused(
                "phase", "the superior may review only after the review deadline has passed"
            )
    _require_phase(state, Phase.REVIEW, Phase.CALIBRATION, doing="submit the review")
    policy = _policy(state)
    ratings = command.ratings
    _require_exact_rhk(state, [r.rhk_id for r in ratings.rhk], "ratings.rhk")
    if sorted(v.value for v in ratings.values) != sorted(
            b.value for b in _skp(state).behaviour):
        raise CommandRefused("invalid", "rate each of the seven BerAKHLAK values exactly once",
                             "ratings.values")
    kinds = {r.id: r.kind for r in _skp(state).rhk}
    if state.is_unit_leader:
        if state.organisation_rating is None:
            raise CommandRefused(
                "phase", "a unit leader's review waits for the unit's organisation rating")
        suggested_work = leader_work_result_rating(
            state.organisation_rating, policy.leader_rating_from_organisation)
        if ratings.work_result not in (None, suggested_work):
            raise CommandRefused(
                "invalid", "a unit leader takes the unit's organisation rating as the work-result"
                " rating", "ratings.work_result")
    else:
        suggested_work = suggest_overall_rating(
            ((r.rating, kinds[r.rhk_id] is RhkKind.MAIN) for r in ratings.rhk),
            policy.small_share_main_below,
        )
    suggested_behaviour = suggest_overall_rating(
        ((v.rating, True) for v in ratings.values), policy.small_share_main_below
    )
    work_result = _overall(ratings.work_result, suggested_work, ratings.work_result_reason,
                           "ratings.work_result_reason")
    behaviour = _overall(ratings.behaviour, suggested_behaviour, ratings.behaviour_reason,
                         "ratings.behaviour_reason")
    score, predikat = _predikat(policy, work_result, behaviour, ratings.numeric,
                                "ratings.numeric")
    revision = state.review.revision + 1 if state.review else 1
    return [
        ReviewSubmitted(
            at=ctx.at, ratings=ratings, suggested_work_result=suggested_work,
            work_result=work_result, suggested_behaviour=suggested_behaviour,
            behaviour=behaviour, score=score, predikat=predikat, revision=revision,
            by=ctx.actor.subject,
        )
    ]


def _overall(chosen: Rating | None, suggested: Rating, reason: str | None, field: str) -> Rating:
    if chosen is None or chosen is suggested:
        return suggested
    if not reason:
        raise CommandRefused(
            "invalid",
            f"overriding the suggested rating ({suggested.value}) needs a reason", field
        )
    return chosen


def _predikat(policy: Policy, work_result: Rating, behaviour: Rating,
              numeric: NumericScores | None, field: str) -> tuple[Decimal | None, Predikat]:
    if policy.scheme == "ratings":
        return None, predikat_from_matrix(policy.predikat_matrix, work_result, behaviour)
    if numeric is None:
        raise CommandRefused("invalid", f"the {policy.title} policy needs numeric scores", field)
    for name in ("skp_score", "behaviour_score"):
        if getattr(numeric, name) > policy.numeric_max_score:
            raise CommandRefused(
                "invalid", f"a score is at most {policy.numeric_max_score}", f"{field}.{name}")
    skp_weight, behaviour_weight = (
        (policy.skp_weight_with_peers, policy.behaviour_weight_with_peers)
        if numeric.with_peer_input else (policy.skp_weight, policy.behaviour_weight)
    )
    score = numeric_score(numeric.skp_score, numeric.behaviour_score,
                          skp_weight=skp_weight, behaviour_weight=behaviour_weight)
    return score, numeric_predikat(
        score, innovation=numeric.innovation, bands=policy.numeric_bands,
        top_band_needs_innovation_from=policy.numeric_top_needs_innovation_from,
    )


def _record_organisation_rating(state: AppraisalState, command: RecordOrganisationRating,
                                ctx: _Context) -> list[Event]:
    if state.phase in (Phase.OBJECTION_WINDOW, Phase.OBJECTION_REVIEW):
        raise CommandRefused("phase", "the result is already released")
    return [OrganisationRatingRecorded(at=ctx.at, rating=command.rating)]


def _release(state: AppraisalState, command: ReleaseResult, ctx: _Context) -> list[Event]:
    _require_phase(state, Phase.CALIBRATION, doing="release the result")
    return [
        ResultReleased(
            at=ctx.at,
            objection_deadline=objection_deadline(ctx.at, _policy(state)),
            exception_reason=command.exception_reason,
        )
    ]


def _accept_result(state: AppraisalState, command: AcceptResult, ctx: _Context) -> list[Event]:
    _require_phase(state, Phase.OBJECTION_WINDOW, doing="accept the result")
    assert state.predikat is not None
    return [ResultAccepted(at=ctx.at),
            AppraisalFinalized(at=ctx.at, predikat=state.predikat, basis="accepted")]


def _file_objection(state: AppraisalState, command: FileObjection, ctx: _Context
                    ) -> list[Event]:
    _require_phase(state, Phase.OBJECTION_WINDOW, doing="file an objection")
    deadline = state.deadlines[DeadlineKind.OBJECTION_WINDOW]
    if ctx.at > deadline:
        raise CommandRefused("phase", f"the objection window closed at {deadline.isoformat()}")
    return [ObjectionFiled(at=ctx.at, reasons=command.reasons,
                           decision_deadline=objection_decision_deadline(ctx.at, _policy(state)))]


def _request_explanations(state: AppraisalState, command: RequestExplanations, ctx: _Context
                          ) -> list[Event]:
    _require_phase(state, Phase.OBJECTION_REVIEW, doing="request explanations")
    return [ExplanationsRequested(at=ctx.at, parties=tuple(sorted(command.parties)),
                                  questions=command.questions)]


def _give_explanation(state: AppraisalState, command: GiveExplanation, ctx: _Context
                      ) -> list[Event]:
    _require_phase(state, Phase.OBJECTION_REVIEW, doing="give an explanation")
    assert state.objection is not None
    party: Literal["appraiser", "employee"] = (
        "employee" if ctx.relation is Relation.SELF else "appraiser"
    )
    if party not in state.objection.awaiting_from():
        raise CommandRefused("phase", "the superior has not asked you for an explanation")
    return [ExplanationGiven(at=ctx.at, party=party, text=command.text)]


def _decide_objection(state: AppraisalState, command: DecideObjection, ctx: _Context
                      ) -> list[Event]:
    _require_phase(state, Phase.OBJECTION_REVIEW, doing="decide the objection")
    assert state.objection is not None and state.review is not None
    if not state.objection.explanations_requested and not state.objection.explanations:
        raise CommandRefused(
            "phase", "ask the appraiser and the employee for explanations before deciding")
    policy = _policy(state)
    if command.outcome is ObjectionDecisionOutcome.UPHOLD:
        if command.work_result or command.behaviour or command.numeric:
            raise CommandRefused("invalid", "upholding keeps the ratings; send none", "outcome")
        predikat = state.review.predikat
        decided = ObjectionDecided(at=ctx.at, outcome=command.outcome, reason=command.reason,
                                   work_result=None, behaviour=None, score=None,
                                   predikat=predikat, by=ctx.actor.subject)
    else:
        work_result = command.work_result or state.review.work_result
        behaviour = command.behaviour or state.review.behaviour
        score, predikat = _predikat(policy, work_result, behaviour, command.numeric, "numeric")
        if (work_result, behaviour, score) == (
                state.review.work_result, state.review.behaviour, state.review.score):
            raise CommandRefused("invalid", "a change must change a rating; or uphold",
                                 "work_result")
        decided = ObjectionDecided(at=ctx.at, outcome=command.outcome, reason=command.reason,
                                   work_result=work_result, behaviour=behaviour, score=score,
                                   predikat=predikat, by=ctx.actor.subject)
    return [decided,
            AppraisalFinalized(at=ctx.at, predikat=decided.predikat, basis="objection_decided")]


_EXTENDABLE_IN: dict[DeadlineKind, tuple[Phase, ...]] = {
    DeadlineKind.SKP: (Phase.TARGET_SETTING,),
    DeadlineKind.SELF_ASSESSMENT: (Phase.TARGET_SETTING, Phase.SELF_REPORT),
    DeadlineKind.REVIEW: (Phase.TARGET_SETTING, Phase.SELF_REPORT, Phase.REVIEW),
    DeadlineKind.OBJECTION_WINDOW: (Phase.OBJECTION_WINDOW,),
    DeadlineKind.OBJECTION_DECISION: (Phase.OBJECTION_REVIEW,),
}
"""A deadline can be extended while its step is still ahead or running."""


def _extend_deadline(state: AppraisalState, command: ExtendDeadline, ctx: _Context
                     ) -> list[Event]:
    _require_phase(state, *_EXTENDABLE_IN[command.deadline],
                   doing=f"extend the {command.deadline.value.replace('_', ' ')} deadline")
    if command.until.tzinfo is None:
        raise CommandRefused("invalid", "the new deadline needs a time zone", "until")
    current = state.deadlines.get(command.deadline)
    if current is not None and command.until <= current:
        raise CommandRefused(
            "invalid", f"an extension must be later than the current deadline "
                       f"{current.isoformat()}", "until")
    if command.until <= ctx.at:
        raise CommandRefused("invalid", "an extension must lie in the future", "until")
    return [DeadlineExtended(at=ctx.at, deadline=command.deadline, until=command.until,
                             reason=command.reason)]


def _pass_deadline(state: AppraisalState, command: PassDeadline, ctx: _Context) -> list[Event]:
    running = state.next_deadline()
    if running is None or running[0] is not command.deadline:
        raise CommandRefused("phase", f"the {command.deadline.value} deadline is not running")
    due = running[1]
    if ctx.at < due:
        raise CommandRefused("phase", f"the {command.deadline.value} deadline is {due.isoformat()}")
    passed = DeadlinePassed(at=ctx.at, deadline=command.deadline, due=due,
                            escalated_to=ESCALATION[command.deadline])
    if command.deadline is DeadlineKind.OBJECTION_WINDOW:
        assert state.predikat is not None
        return [passed, AppraisalFinalized(at=ctx.at, predikat=state.predikat,
                                           basis="objection_window_closed")]
    return [passed]


def _cancel(state: AppraisalState, command: CancelAppraisal, ctx: _Context) -> list[Event]:
    return [AppraisalCancelled(at=ctx.at, reason_kind=command.reason_kind, reason=command.reason)]


def _reassign(state: AppraisalState, command: ReassignParties, ctx: _Context) -> list[Event]:
    parties = state.parties
    assert parties is not None
    if (command.appraiser, command.superior) == (parties.appraiser, parties.superior):
        raise CommandRefused("invalid", "the appraiser and superior are already these",
                             "appraiser")
    if parties.employee in (command.appraiser, command.superior):
        raise CommandRefused("invalid", "nobody appraises their own appraisal", "appraiser")
    return [PartiesReassigned(at=ctx.at, appraiser=command.appraiser,
                              superior=command.superior, reason=command.reason)]


_HANDLERS: dict[str, Callable[[AppraisalState, Any, _Context], list[Event]]] = {
    "draft_targets": _draft_targets,
    "submit_targets": _submit_targets,
    "return_targets": _return_targets,
    "approve_targets": _approve_targets,
    "set_targets": _set_targets,
    "report_progress": _report_progress,
    "log_activity": _log_activity,
    "give_feedback": _give_feedback,
    "submit_self_assessment": _submit_self_assessment,
    "submit_review": _submit_review,
    "record_organisation_rating": _record_organisation_rating,
    "release": _release,
    "accept_result": _accept_result,
    "file_objection": _file_objection,
    "request_explanations": _request_explanations,
    "give_explanation": _give_explanation,
    "decide_objection": _decide_objection,
    "extend_deadline": _extend_deadline,
    "pass_deadline": _pass_deadline,
    "cancel": _cancel,
    "reassign": _reassign,
}


# --------------------------------------------------------------------------- #
# evolve


def evolve(state: AppraisalState, event: Event) -> AppraisalState:
    """The state after ``event``. Applies, never judges: rules live in :func:`decide`."""
    changes = _apply(state, event)
    changes["version"] = state.version + 1
    return state.model_copy(update=changes)


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
            return {"targets_status": TargetStatus.APPROVED, "phase": Phase.SELF_REPORT}
        case TargetsSet():
            return {"skp": event.skp, "targets_status": TargetStatus.SET_BY_HR,
                    "phase": Phase.SELF_REPORT}
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
        case PartiesReassigned():
            assert state.parties is not None
            return {"parties": state.parties.model_copy(update={
                "appraiser": event.appraiser, "superior": event.superior})}
    raise TypeError(f"unknown event {type(event).__name__}")  # pragma: no cover


# --------------------------------------------------------------------------- #
# Invariants


def invariant_violations(state: AppraisalState) -> list[str]:
    """Every way ``state`` breaks the shape an appraisal must have (empty when sound)."""
    problems: list[str] = []
    phase = state.phase
    opened = phase is not Phase.NOT_OPENED
    if opened != (state.parties is not None and state.policy is not None):
        problems.append("opened exactly when parties and policy are known")
    reached = _PHASE_ORDER.index(phase)
    if phase is not Phase.CANCELLED:
        if reached >= _PHASE_ORDER.index(Phase.SELF_REPORT) and (
                state.skp is None
                or state.targets_status not in (TargetStatus.APPROVED, TargetStatus.SET_BY_HR)):
            problems.append("past target setting only with an agreed SKP")
        if reached >= _PHASE_ORDER.index(Phase.CALIBRATION) and (
                state.review is None or state.predikat is None):
            problems.append("calibration and later only with a review and a predikat")
        if reached >= _PHASE_ORDER.index(Phase.OBJECTION_WINDOW) and state.released_at is None:
            problems.append("objection window and later only after release")
    if phase is Phase.OBJECTION_REVIEW and (
            state.objection is None or state.objection.decision is not None):
        problems.append("objection review needs an undecided objection")
    if phase is Phase.FINAL and (state.finalized_at is None or state.predikat is None):
        problems.append("final needs a predikat and a moment")
    if state.predikat is not None and state.policy is not None \
            and state.predikat not in state.policy.predikat_order:
        problems.append("predikat belongs to the policy")
    if state.targets_status is TargetStatus.SUBMITTED and state.skp is None:
        problems.append("a submitted SKP exists")
    return problems
