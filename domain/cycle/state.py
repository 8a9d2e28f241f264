"""Everything known about one cycle, and what is read from it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pydantic import Field

from domain.appraisal.vocabulary import DeadlineKind
from domain.calibration import OrganisationRating
from domain.cycle.events import CycleDeadlineMoved
from domain.cycle.vocabulary import (
    PAGE_SIZE,
    CycleStatus,
    _Model,
)
from domain.cycle.work import PendingWork
from domain.policy import CycleCalendar, end_of_local_day
from domain.ratings import Predikat


class UnitState(_Model):
    organisation_rating: OrganisationRating | None = None
    released_at: datetime | None = None
    release_exception_reason: str | None = None


class CycleState(_Model):
    """Everything known about one cycle; the fold of its events."""

    version: int = 0
    cycle_id: str | None = None
    agency: str | None = None
    year: int | None = None
    policy: str | None = None
    calendar: CycleCalendar | None = None
    page_size: int = PAGE_SIZE
    status: CycleStatus | None = None
    roster_digest: str | None = None
    started_at: datetime | None = None
    """When the roster was frozen: a roster change recorded later counts for the months
    served (:mod:`domain.credit`); None for a cycle not started (or recorded before)."""
    members: int = 0
    units: dict[str, UnitState] = Field(default_factory=dict)
    pending: tuple[PendingWork, ...] = ()
    work_done: int = 0
    """How many work items have ever finished (the next item's index is this plus pending)."""
    deadline_moves: tuple[CycleDeadlineMoved, ...] = ()
    closed_at: datetime | None = None
    distribution: dict[str, dict[Predikat, int]] = Field(default_factory=dict)

    @property
    def next_work_index(self) -> int:
        return self.work_done + len(self.pending)


_CALENDAR_FIELD = {
    DeadlineKind.SKP: "skp_deadline",
    DeadlineKind.SELF_ASSESSMENT: "self_assessment_deadline",
    DeadlineKind.REVIEW: "review_deadline",
}


def calendar_for(calendar: CycleCalendar, moves: Iterable[CycleDeadlineMoved], unit: str
                 ) -> CycleCalendar:
    """The calendar an appraisal of ``unit`` opened now starts with: the cycle's, with
    every deadline move of the whole cycle or of that unit applied in order (so one who
    joins or transfers after a move gets the moved deadline too), each at the end of its
    day in the agency's zone, as the appraisals already open take it
    (:func:`domain.policy.deadline_set_by_hand`)."""
    changes: dict[str, datetime] = {}
    for move in moves:
        field_name = _CALENDAR_FIELD.get(move.deadline)
        if field_name is not None and move.unit in (None, unit):
            changes[field_name] = end_of_local_day(move.until, calendar.utc_offset_hours)
    return calendar.model_copy(update=changes) if changes else calendar


def count_by_predikat(predikat: Iterable[Predikat | None]) -> dict[Predikat, int]:
    """Counts of each predikat present (None, not yet reviewed, is left out)."""
    counts: dict[Predikat, int] = {}
    for value in predikat:
        if value is not None:
            counts[value] = counts.get(value, 0) + 1
    return counts
