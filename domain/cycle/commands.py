"""What may be asked of a cycle: the command models and their union."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias

from pydantic import Field, TypeAdapter

from domain.appraisal.vocabulary import DeadlineKind
from domain.calibration import CurveCheck, OrganisationRating
from domain.cycle.membership import MembershipChange
from domain.cycle.vocabulary import (
    AGENCY_PATTERN,
    PAGE_SIZE,
    _Model,
)
from domain.policy import POLICY_6_2022, CycleCalendar, GivenDeadline
from domain.ratings import Predikat
from domain.skp import Text


class CreateCycle(_Model):
    kind: Literal["create"] = "create"
    agency: Annotated[str, Field(pattern=AGENCY_PATTERN)]
    year: Annotated[int, Field(ge=2020, le=2100)]
    policy: str = POLICY_6_2022.name
    calendar: CycleCalendar
    page_size: Annotated[int, Field(ge=1, le=5000)] = PAGE_SIZE


class StartCycle(_Model):
    """Start with the roster frozen by the workflow (digest, size, units)."""

    kind: Literal["start"] = "start"
    roster_digest: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    members: Annotated[int, Field(ge=0)]
    units: tuple[str, ...]


class RecordPage(_Model):
    """A page of pending work is done (sent by the workflow, never by a person)."""

    kind: Literal["record_page"] = "record_page"
    work: int
    """Index of the pending work item."""
    offset: int
    reached: int
    """Appraisals the page changed."""
    skipped: int = 0
    """Appraisals the page left alone (already done, or refused by their own rules)."""
    done: bool


class MoveDeadline(_Model):
    kind: Literal["move_deadline"] = "move_deadline"
    deadline: DeadlineKind
    until: GivenDeadline
    reason: Text
    unit: str | None = None
    """None: the whole cycle."""


class SetOrganisationRating(_Model):
    kind: Literal["set_organisation_rating"] = "set_organisation_rating"
    unit: str
    rating: OrganisationRating


class ReleaseUnit(_Model):
    """Release a unit's results; ``check`` is the curve check of its predikat now."""

    kind: Literal["release_unit"] = "release_unit"
    unit: str
    check: CurveCheck
    exception_reason: Text | None = None


class CloseCycle(_Model):
    """Close; ``open_appraisals`` is how many are neither final nor cancelled now."""

    kind: Literal["close"] = "close"
    open_appraisals: Annotated[int, Field(ge=0)]
    distribution: dict[str, dict[Predikat, int]]
    """Final predikat counts per unit."""


class FollowRoster(_Model):
    """Apply the roster's changes since the cycle started (or last followed it)."""

    kind: Literal["follow_roster"] = "follow_roster"
    roster_digest: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    changes: tuple[MembershipChange, ...]


CycleCommand: TypeAlias = Annotated[
    CreateCycle | StartCycle | RecordPage | MoveDeadline | SetOrganisationRating | ReleaseUnit
    | CloseCycle | FollowRoster,
    Field(discriminator="kind"),
]


_COMMAND_ADAPTER: TypeAdapter[CycleCommand] = TypeAdapter(CycleCommand)


def parse_command(data: dict[str, Any]) -> CycleCommand:
    """Validate a cycle command from JSON-ready data (``kind`` selects the command)."""
    return _COMMAND_ADAPTER.validate_python(data)
