"""What happened to a cycle: the event models, their union and stored form."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import Field, TypeAdapter

from domain.appraisal.vocabulary import DeadlineKind
from domain.calibration import OrganisationRating
from domain.cycle.membership import MembershipChange
from domain.cycle.vocabulary import (
    PAGE_SIZE,
    _Model,
)
from domain.policy import CycleCalendar
from domain.ratings import Predikat


class _Event(_Model):
    at: datetime


class CycleCreated(_Event):
    type: Literal["CycleCreated"] = "CycleCreated"
    cycle_id: str
    agency: str
    year: int
    policy: str
    calendar: CycleCalendar
    page_size: int = PAGE_SIZE


class CycleStarted(_Event):
    type: Literal["CycleStarted"] = "CycleStarted"
    roster_digest: str
    members: int
    units: tuple[str, ...]


class PageDone(_Event):
    type: Literal["PageDone"] = "PageDone"
    work: int
    offset: int
    reached: int
    skipped: int
    done: bool


class CycleDeadlineMoved(_Event):
    type: Literal["CycleDeadlineMoved"] = "CycleDeadlineMoved"
    deadline: DeadlineKind
    until: datetime
    reason: str
    unit: str | None


class OrganisationRatingSet(_Event):
    type: Literal["OrganisationRatingSet"] = "OrganisationRatingSet"
    unit: str
    rating: OrganisationRating


class UnitReleased(_Event):
    type: Literal["UnitReleased"] = "UnitReleased"
    unit: str
    passed: bool
    counts: dict[Predikat, int]
    broken: tuple[str, ...]
    exception_reason: str | None


class CycleClosed(_Event):
    type: Literal["CycleClosed"] = "CycleClosed"
    distribution: dict[str, dict[Predikat, int]]


class RosterFollowed(_Event):
    type: Literal["RosterFollowed"] = "RosterFollowed"
    roster_digest: str
    changes: tuple[MembershipChange, ...]


CycleEvent: TypeAlias = Annotated[
    CycleCreated | CycleStarted | PageDone | CycleDeadlineMoved | OrganisationRatingSet
    | UnitReleased | CycleClosed | RosterFollowed,
    Field(discriminator="type"),
]

_EVENT_ADAPTER: TypeAdapter[CycleEvent] = TypeAdapter(CycleEvent)


def event_data(event: CycleEvent) -> dict[str, Any]:
    """The JSON-ready payload of ``event`` as stored (without its type)."""
    return event.model_dump(mode="json", exclude={"type"})


def event_from_data(type_: str, data: dict[str, Any]) -> CycleEvent:
    """The event of a stored type and payload."""
    return _EVENT_ADAPTER.validate_python({**data, "type": type_})
