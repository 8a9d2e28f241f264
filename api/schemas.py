"""Request and response bodies of the HTTP API, with the examples the OpenAPI document shows.

Most bodies are the domain's own value objects (an SKP, a progress report, a
review); the few here wrap them where a route needs more (a reason, a choice).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Self

from fastapi import Header
from pydantic import BaseModel, ConfigDict, Field

from domain.appraisal import CancelReason, DeadlineKind, Phase, PositionKind
from domain.authorization import Parties
from domain.policy import DEFAULT_UTC_OFFSET_HOURS, POLICIES, FunctionalLevel, GivenDeadline
from domain.ratings import Rating
from domain.skp import NumericScores, ObjectionDecisionOutcome, Ratings, Skp, Text
from store.appraisals import AppraisalStateView
from store.event_log import RecordedEvent

Key = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]


IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=200, pattern=r"^[\x21-\x7e]+$",
           description="Any unique string per intended command; a retry with the same key "
                       "returns the first result and changes nothing."),
]
"""The ``Idempotency-Key`` header of every command: it becomes the Temporal update id."""


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CalendarOverrides(Body):
    skp_deadline: datetime | None = None
    self_assessment_deadline: datetime | None = None
    review_deadline: datetime | None = None


class OpenAppraisalBody(Body):
    """Open one appraisal (HR). The cycle is ``<agency>-<year>``."""

    employee: Key
    appraiser: Key | None
    superior: Key | None
    agency: Key
    unit: Key
    year: Annotated[int, Field(ge=2020, le=2100)]
    position_kind: PositionKind = PositionKind.STAFF
    functional_level: FunctionalLevel | None = None
    is_unit_leader: bool = False
    policy: Literal[tuple(POLICIES)] = "permenpan-rb-6-2022"  # type: ignore[valid-type]
    utc_offset_hours: Annotated[int, Field(ge=7, le=9)] = DEFAULT_UTC_OFFSET_HOURS
    calendar: CalendarOverrides = Field(default_factory=CalendarOverrides)

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "employee": "e-0001", "appraiser": "e-0002", "superior": "e-0003",
        "agency": "pemkot-bandung", "unit": "diskominfo", "year": 2026,
        "position_kind": "functional", "functional_level": "ahli_pertama",
    }]})


class ReasonBody(Body):
    reason: Text
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"reason": "Indikator RHK 2 belum terukur; tambahkan target kuantitas."}]})


class SetTargetsBody(Body):
    skp: Skp
    reason: Text


class ReleaseBody(Body):
    exception_reason: Text | None = None
    """Set when HR releases despite the unit's calibration, with the justification; also
    needed to release one appraisal whose unit was not released with its calibration
    passed."""
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {}, {"exception_reason": "Unit dengan 3 pegawai; kurva distribusi tidak bermakna."}]})


class PeriodReviewBody(Body):
    """The appraiser's periodic review: the period of the cycle year (1-4 quarterly,
    1-12 monthly), its ratings as the annual review's, and the feedback."""

    period: Annotated[int, Field(ge=1, le=12)]
    ratings: Ratings
    feedback: Text
    model_config = ConfigDict(extra="forbid")


class ObjectionBody(Body):
    reasons: Text
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "reasons": "Bukti dukung RHK 1 (120 permohonan terlayani) tidak dipertimbangkan."}]})


class RequestExplanationsBody(Body):
    """The superior asks the appraiser and/or the employee to explain."""

    parties: Annotated[list[Literal["employee", "appraiser"]], Field(min_length=1)]
    questions: Text


class GiveExplanationBody(Body):
    """The appraiser or the employee answers the superior."""

    text: Text


class DecisionBody(Body):
    outcome: ObjectionDecisionOutcome
    reason: Text
    work_result: Rating | None = None
    behaviour: Rating | None = None
    numeric: NumericScores | None = None
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"outcome": "uphold", "reason": "Penilaian sesuai bukti."},
        {"outcome": "change", "reason": "Bukti RHK 1 kuat.", "work_result": "above"},
    ]})


class ExtendDeadlineBody(Body):
    deadline: DeadlineKind
    until: GivenDeadline
    reason: Text


class ExtendPeriodDeadlineBody(Body):
    """HR moves one period's review deadline: ``due`` names the day (its end in the
    agency's zone is the deadline), with a reason."""

    due: GivenDeadline
    reason: Text


class CancelBody(Body):
    reason_kind: CancelReason
    reason: Text


class AppraisalSummaryView(BaseModel):
    """A row of a list: who, where, which phase, which predikat, what is due next."""

    id: str
    cycle_id: str
    parties: Parties
    phase: Phase
    predikat: str | None
    next_deadline: DeadlineKind | None
    next_deadline_at: datetime | None
    version: int
    updated_at: datetime


class AppraisalView(BaseModel):
    """An appraisal's current state (the policy by name; its rules are in the trail)."""

    id: str
    version: int
    phase: Phase
    policy: str
    state: dict[str, Any]

    @classmethod
    def of_stored(cls, stored: AppraisalStateView) -> AppraisalView:
        """The view of a state read back from the read model (validated when written)."""
        return cls.model_construct(id=stored.appraisal_id, version=stored.version,
                                   phase=stored.phase, policy=stored.policy,
                                   state=stored.state)


class CommandResponse(BaseModel):
    """The result of a command: the events it recorded and the state after them."""

    events: list[str]
    appraisal: AppraisalView


class TrailEvent(BaseModel):
    """One event of an appraisal's trail."""

    version: int
    type: str
    recorded_at: datetime
    actor: str | None
    actor_agency: str | None = None
    """The actor's own agency: keys are numbered per agency."""
    roles: list[str]
    request_id: str | None
    data: dict[str, Any]
    hash: str
    prev_hash: str

    @classmethod
    def of(cls, event: RecordedEvent, **extra: Any) -> Self:
        """The view of a stored event (``extra``: fields of a subclass)."""
        return cls(version=event.version, type=event.type, recorded_at=event.recorded_at,
                   actor=event.metadata.get("actor"),
                   actor_agency=event.metadata.get("actor_agency"),
                   roles=event.metadata.get("roles", []),
                   request_id=event.metadata.get("request_id"), data=event.data,
                   hash=event.hash.hex(), prev_hash=event.prev_hash.hex(), **extra)
