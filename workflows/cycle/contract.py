"""The contract of the cycle workflow: HR's requests and their results, the yearly
schedule's input, and what the workflow sends to its activities. Plain pydantic models
and names, no Temporal and no I/O.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import BaseModel, Field

from domain.authorization import Actor
from domain.calibration import OrganisationRating
from domain.cycle import (
    CreateCycle,
    CycleDeadlineMoved,
    CycleState,
    CycleStatus,
    MembershipChange,
    MoveDeadline,
    PendingWork,
    SetOrganisationRating,
)
from domain.policy import CycleCalendar
from domain.ratings import Predikat
from domain.skp import Text
from workflows.appraisal.contract import EventRecord

# --------------------------------------------------------------------------- #
# Messages

CYCLE_WORKFLOW = "CycleWorkflow"


def cycle_workflow_id(cycle_id: str) -> str:
    """``cycle-<agency>-<year>`` (the cycle id is ``<agency>-<year>``); also its stream id."""
    return f"cycle-{cycle_id}"


class StartCycleRequest(BaseModel):
    """Freeze the roster and open every appraisal."""

    kind: Literal["start"] = "start"


class ReleaseUnitRequest(BaseModel):
    """Release a unit: its curve is checked when the request is handled."""

    kind: Literal["release_unit"] = "release_unit"
    unit: str
    exception_reason: Text | None = None


class CloseCycleRequest(BaseModel):
    kind: Literal["close"] = "close"


class FollowRosterRequest(BaseModel):
    """Bring the cycle's appraisals in line with the agency's roster as it is now."""

    kind: Literal["follow_roster"] = "follow_roster"


CycleIntent: TypeAlias = Annotated[
    CreateCycle | StartCycleRequest | MoveDeadline | SetOrganisationRating | ReleaseUnitRequest
    | CloseCycleRequest | FollowRosterRequest,
    Field(discriminator="kind"),
]
"""What a person asks of a cycle; the workflow gathers the facts (the frozen roster,
the curve check, the tally) and turns it into a ``domain.cycle`` command."""


class NextCycleInput(BaseModel):
    """What the yearly schedule knows: the agency, its policy and time zone. The
    year is the next one after the moment the schedule fires."""

    agency: str
    policy: str
    utc_offset_hours: int = 7


class CycleRequest(BaseModel):
    intent: CycleIntent
    actor: Actor
    request_id: str | None = None


class CycleStart(BaseModel):
    """Input of the cycle workflow; ``resume`` carries the state across continue-as-new.

    ``create`` creates the cycle as the workflow starts (the yearly schedule
    starts it so); otherwise the creation arrives as the first update.
    """

    cycle_id: str
    resume: CycleState | None = None
    create: CycleRequest | None = None


class CycleResult(BaseModel):
    cycle_id: str
    version: int
    status: CycleStatus
    events: list[str]


# --------------------------------------------------------------------------- #
# Activities



class RecordCycleEvents(BaseModel):
    """Append events to a cycle's stream and refresh its read model, in one transaction."""

    stream_id: str
    expected_version: int
    events: list[EventRecord]
    metadata: dict[str, Any]
    recorded_at: datetime
    state: CycleState


class FreezeRoster(BaseModel):
    """Freeze the agency's current roster as the cycle's (once; a retry returns the same)."""

    cycle_id: str
    agency: str


class FrozenRosterInfo(BaseModel):
    digest: str
    members: int
    units: tuple[str, ...]


class CyclePage(BaseModel):
    """One page of a cycle's pending work: the members at ``work.offset`` (of ``work``'s
    unit, if any), each sent the work's command. Idempotent: update ids and workflow ids
    derive from the cycle, the work item and the appraisal."""

    cycle_id: str
    agency: str
    policy: str
    calendar: CycleCalendar
    deadline_moves: tuple[CycleDeadlineMoved, ...] = ()
    """Moves so far: an appraisal opened now starts with them (``domain.cycle.calendar_for``)."""
    work: PendingWork
    page_size: int


class PageOutcome(BaseModel):
    reached: int
    skipped: int
    done: bool


class UnitCurveRequest(BaseModel):
    cycle_id: str
    unit: str
    rating: OrganisationRating
    policy: str


class CycleTally(BaseModel):
    cycle_id: str


class CycleTallyResult(BaseModel):
    open_appraisals: int
    distribution: dict[str, dict[Predikat, int]]


class RosterFollowFacts(BaseModel):
    """The roster now (its digest) and what following it changes."""

    roster_digest: str
    changes: list[MembershipChange]
