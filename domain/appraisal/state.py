"""Everything known about one appraisal: the fold of its events."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import Field

from domain.appraisal.events import ObjectionDecided
from domain.appraisal.vocabulary import (
    DEADLINE_OF_PHASE,
    TERMINAL_PHASES,
    CancelReason,
    DeadlineKind,
    Phase,
    PositionKind,
    TargetStatus,
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
    ProgressReport,
    Ratings,
    SelfAssessment,
    Skp,
)


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


class PeriodReview(_Model):
    """One periodic review as the employee and the annual review see it."""

    period: int
    ratings: Ratings
    work_result: Rating
    behaviour: Rating
    score: Decimal | None
    predikat: Predikat
    feedback: str
    due: datetime | None
    late: bool
    by: str
    at: datetime


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
    approved_links: dict[str, str] | None = None
    """The appraiser's RHK the SKP's links pointed at when approved (id to description)."""
    return_reason: str | None = None

    progress: dict[str, ProgressReport] = Field(default_factory=dict)
    activities: tuple[DailyActivity, ...] = ()
    feedback: tuple[FeedbackEntry, ...] = ()
    self_assessment: SelfAssessment | None = None
    measured: dict[str, MeasuredRealisation] = Field(
        default_factory=dict, exclude_if=lambda v: not v)
    """Realisations filled from data, by indicator id (left out of the dump when none)."""

    review: ReviewResult | None = None
    organisation_rating: OrganisationRating | None = None
    predikat: Predikat | None = None

    released_at: datetime | None = None
    release_exception_reason: str | None = None
    objection: ObjectionState | None = None

    deadlines: dict[DeadlineKind, datetime] = Field(default_factory=dict)
    passed_deadlines: frozenset[DeadlineKind] = frozenset()

    period_deadlines: dict[int, datetime] = Field(default_factory=dict)
    """When each periodic review is due, for the periods ending after the SKP's approval."""
    period_reviews: dict[int, PeriodReview] = Field(default_factory=dict)
    missed_periods: frozenset[int] = frozenset()
    """Periods whose review deadline passed before their review (a fact; blocks nothing)."""

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

    def next_period_deadline(self) -> tuple[int, datetime] | None:
        """The periodic review deadline now running (its timer should be armed), if any:
        the earliest deadline of a period neither reviewed nor missed (the lower period
        first on a tie), while the year's work runs (self-report and the annual review).
        HR's extension may move a period's deadline past a later period's."""
        if self.phase not in PERIOD_PHASES or not self.period_deadlines:
            return None
        open_ = [(due, period) for period, due in self.period_deadlines.items()
                 if period not in self.period_reviews and period not in self.missed_periods]
        if not open_:
            return None
        due, period = min(open_)
        return period, due


PERIOD_PHASES = frozenset({Phase.SELF_REPORT, Phase.REVIEW})
"""Where periodic reviews are given: after the SKP's approval, before the annual review."""
