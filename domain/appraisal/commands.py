"""What may be asked of an appraisal: the command models and their union."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias

from pydantic import Field, TypeAdapter

from domain.appraisal.vocabulary import (
    CancelReason,
    DeadlineKind,
    PositionKind,
    _Model,
)
from domain.authorization import Parties
from domain.calibration import OrganisationRating
from domain.policy import (
    CycleCalendar,
    FunctionalLevel,
    GivenDeadline,
    Policy,
)
from domain.ratings import Rating
from domain.skp import (
    DailyActivity,
    Feedback,
    Identifier,
    MeasuredRealisation,
    NumericScores,
    ObjectionDecisionOutcome,
    ProgressReport,
    Ratings,
    SelfAssessment,
    Skp,
    Text,
)


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


AppraiserRhk = dict[Identifier, str]
"""The RHK of the appraiser's approved SKP in the same cycle, id to description: the fact
an SKP's links (``Rhk.supports_rhk``) are checked against (:mod:`domain.appraisal.cascading`)."""


class SubmitTargets(_Model):
    """Submit the SKP draft. ``appraiser_rhk`` is a fact the use case gathers, not the
    requester's word: the RHK of the appraiser's approved SKP (empty when the appraiser
    has none approved). ``None``: not gathered, only in commands recorded before the rule
    (their replay decides as it did)."""

    kind: Literal["submit_targets"] = "submit_targets"
    appraiser_rhk: AppraiserRhk | None = None


class ReturnTargets(_Model):
    kind: Literal["return_targets"] = "return_targets"
    reason: Text


class ApproveTargets(_Model):
    """Approve the submitted SKP; ``appraiser_rhk`` as in :class:`SubmitTargets`."""

    kind: Literal["approve_targets"] = "approve_targets"
    appraiser_rhk: AppraiserRhk | None = None


class SetTargets(_Model):
    """HR sets the SKP after its deadline; ``appraiser_rhk`` as in :class:`SubmitTargets`."""

    kind: Literal["set_targets"] = "set_targets"
    skp: Skp
    reason: Text
    appraiser_rhk: AppraiserRhk | None = None


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


class ReviewPeriod(_Model):
    """The appraiser's periodic review (penilaian kinerja periodik, PermenPAN-RB 6/2022):
    period ``period`` of the cycle year (1-4 quarterly, 1-12 monthly, as the policy's
    ``review_periods``), rated as the annual review is, with feedback."""

    kind: Literal["review_period"] = "review_period"
    period: Annotated[int, Field(ge=1, le=12)]
    ratings: Ratings
    feedback: Text


class PassPeriodDeadline(_Model):
    """A period's review deadline passed (sent by the workflow, never by a person)."""

    kind: Literal["pass_period_deadline"] = "pass_period_deadline"
    period: Annotated[int, Field(ge=1, le=12)]


class ExtendPeriodDeadline(_Model):
    """HR moves the review deadline of one period not yet reviewed, before it passes
    (the appraiser away, the quarter's data late): to the end of the day ``due`` names in
    the agency's zone (:func:`domain.policy.deadline_set_by_hand`), with a reason."""

    kind: Literal["extend_period_deadline"] = "extend_period_deadline"
    period: Annotated[int, Field(ge=1, le=12)]
    due: GivenDeadline
    reason: Text


class RecordOrganisationRating(_Model):
    kind: Literal["record_organisation_rating"] = "record_organisation_rating"
    rating: OrganisationRating


class ReleaseResult(_Model):
    """Open the objection window. ``exception_reason``: HR releases despite calibration.

    ``unit_calibrated`` is a fact the sender gathers, not the requester's word: whether
    the appraisal's unit has been released with its calibration passed (the use case
    reads the cycle's read model; the unit's release sets it). ``None``: not gathered,
    only in commands recorded before the rule (their replay must decide as it did); every
    door sets it.
    """

    kind: Literal["release"] = "release"
    exception_reason: Text | None = None
    unit_calibrated: bool | None = None


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
    until: GivenDeadline
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


class RecordMeasurements(_Model):
    """Realisations filled from data at the period's end (sent by the system, never by a
    person): each with its source and the figures it came from."""

    kind: Literal["record_measurements"] = "record_measurements"
    measurements: Annotated[tuple[MeasuredRealisation, ...], Field(min_length=1, max_length=50)]


Command: TypeAlias = Annotated[
    OpenAppraisal | DraftTargets | SubmitTargets | ReturnTargets | ApproveTargets | SetTargets
    | ReportProgress | LogActivity | GiveFeedback | SubmitSelfAssessment | SubmitReview
    | ReviewPeriod | PassPeriodDeadline | ExtendPeriodDeadline | RecordOrganisationRating
    | ReleaseResult | AcceptResult | FileObjection
    | RequestExplanations | GiveExplanation | DecideObjection | ExtendDeadline | PassDeadline
    | CancelAppraisal | ReassignParties | RecordMeasurements,
    Field(discriminator="kind"),
]


_COMMAND_ADAPTER: TypeAdapter[Command] = TypeAdapter(Command)


def parse_command(data: dict[str, Any]) -> Command:
    """Validate a command from JSON-ready data (``kind`` selects the command)."""
    return _COMMAND_ADAPTER.validate_python(data)
