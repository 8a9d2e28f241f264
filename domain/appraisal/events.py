"""What happened to an appraisal: the event models, their union and stored form."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import reduce
from operator import or_
from typing import Annotated, Any, Literal, TypeAlias, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, create_model

from domain.appraisal.vocabulary import (
    CancelReason,
    DeadlineKind,
    PositionKind,
    _Model,
)
from domain.authorization import Parties, Relation
from domain.calibration import OrganisationRating
from domain.policy import (
    CycleCalendar,
    FunctionalLevel,
    Policy,
)
from domain.ratings import (
    Predikat,
    Rating,
)
from domain.skp import (
    DailyActivity,
    Feedback,
    MeasuredRealisation,
    ObjectionDecisionOutcome,
    ProgressReport,
    Ratings,
    SelfAssessment,
    Skp,
)


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
    period_deadlines: dict[int, datetime] | None = None
    """When each periodic review is due (:func:`domain.policy.period_review_due`), for the
    periods that end after this approval; None: approved before periodic reviews (or
    under a policy without them)."""
    supported: dict[str, str] | None = None
    """The appraiser's RHK this SKP's links point at, as they stood at approval (id to
    description); a later change of them flags the link for review
    (:func:`domain.appraisal.cascading.link_status`). None: approved before the rule."""


class TargetsSet(_Event):
    type: Literal["TargetsSet"] = "TargetsSet"
    skp: Skp
    reason: str
    by: str
    supported: dict[str, str] | None = None
    """As in :class:`TargetsApproved`: the linked RHK of the appraiser as they stood."""
    period_deadlines: dict[int, datetime] | None = None
    """As in :class:`TargetsApproved`."""


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


class PeriodReviewed(_Event):
    """A periodic review: the period's ratings, overall ratings and predikat (by the
    annual review's rule), the feedback; ``due`` its deadline (None: the period ended
    before the SKP was approved), ``late`` whether it came after it."""

    type: Literal["PeriodReviewed"] = "PeriodReviewed"
    period: int
    ratings: Ratings
    suggested_work_result: Rating
    work_result: Rating
    suggested_behaviour: Rating
    behaviour: Rating
    score: Decimal | None
    predikat: Predikat
    feedback: str
    due: datetime | None
    late: bool
    by: str


class PeriodDeadlinePassed(_Event):
    """A period's review was not given by its deadline: a fact to see, blocking nothing
    (the appraiser may still review the period)."""

    type: Literal["PeriodDeadlinePassed"] = "PeriodDeadlinePassed"
    period: int
    due: datetime


class PeriodDeadlineExtended(_Event):
    """HR moved a period's review deadline from ``previous`` to ``due`` (the end of the
    day chosen in the agency's zone), with the reason."""

    type: Literal["PeriodDeadlineExtended"] = "PeriodDeadlineExtended"
    period: int
    previous: datetime
    due: datetime
    reason: str


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


class RealisationMeasured(_Event):
    """An indicator's realisation filled from its source (appended by the system actor):
    the figure, the unit and period measured and the counts it came from."""

    type: Literal["RealisationMeasured"] = "RealisationMeasured"
    measurement: MeasuredRealisation


Event: TypeAlias = Annotated[
    AppraisalOpened | TargetsDrafted | TargetsSubmitted | TargetsReturned | TargetsApproved
    | TargetsSet | ProgressReported | ActivityLogged | FeedbackGiven | SelfAssessmentSubmitted
    | ReviewSubmitted | PeriodReviewed | PeriodDeadlinePassed | PeriodDeadlineExtended
    | OrganisationRatingRecorded
    | ResultReleased | ResultAccepted
    | ObjectionFiled | ExplanationsRequested | ExplanationGiven | ObjectionDecided
    | DeadlineExtended | DeadlinePassed | AppraisalFinalized | AppraisalCancelled
    | PartiesReassigned | RealisationMeasured,
    Field(discriminator="type"),
]

EVENT_SCHEMA_VERSION = 1
_EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


def event_data(event: Event) -> dict[str, Any]:
    """The JSON-ready payload stored for ``event`` (its ``type`` is stored beside it)."""
    return event.model_dump(mode="json", exclude={"type"})


def event_from_data(type_: str, data: dict[str, Any]) -> Event:
    """Rebuild a domain event from its stored type and payload."""
    return _EVENT_ADAPTER.validate_python({**data, "type": type_})


def _stored_form(model: type[_Event]) -> type[BaseModel]:
    """The stored form of one event type: its canonical JSON's ``type`` and ``data`` (the
    event without its ``type``, which defaults); the other members (ids, metadata, moment)
    are the log's, checked by the chain, and skipped here."""
    kind: Any = Literal[model.model_fields["type"].default]
    return create_model(
        f"Stored{model.__name__}", __config__=ConfigDict(extra="ignore", frozen=True),
        type=(kind, ...), data=(model, ...))


_STORED_FORMS: Any = reduce(or_, [_stored_form(m) for m in get_args(get_args(Event)[0])])
_STORED_ADAPTER: TypeAdapter[Any] = TypeAdapter(
    Annotated[_STORED_FORMS, Field(discriminator="type")])
"""One validator of every event type's stored form, chosen by its ``type`` (a tagged
union, so one type's schema is tried, not each in turn); built once, at import."""


def event_from_canonical(canonical: bytes | str) -> Event:
    """Rebuild a domain event straight from its canonical JSON (the bytes the log stores
    and a bundle carries): parsed and validated in one pass, strictly (the types the
    canonical form writes: no coercion), without building the parsed JSON in Python first.
    Raises ``pydantic.ValidationError`` as :func:`event_from_data` does."""
    stored = _STORED_ADAPTER.validate_json(canonical, strict=True)
    event: Event = stored.data
    return event
