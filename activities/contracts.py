"""What workflows send to activities: names and pydantic models, no I/O.

Workflows import this module only; the implementations (which reach the
database) live beside it and are registered by the worker.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.appraisal import AppraisalState, Phase
from domain.authorization import Parties
from domain.calibration import OrganisationRating
from domain.cycle import CycleDeadlineMoved, CycleState, MembershipChange, PendingWork
from domain.policy import CycleCalendar
from domain.ratings import Predikat

RECORD_APPRAISAL_EVENTS = "record_appraisal_events"

UNSTORABLE_ERROR_TYPE = "EventsNotStorable"
"""``ApplicationError.type`` of an append that can never succeed (the database refuses
its content): not retried; the command fails and nothing is stored."""


class EventRecord(BaseModel):
    """One domain event as stored: its type and JSON-ready payload."""

    model_config = ConfigDict(frozen=True)

    type: str
    data: dict[str, Any]


class AppraisalSnapshot(BaseModel):
    """An appraisal's state after some events, as its read-model row stores it: the
    columns lists filter on, and the whole state as JSON text (serialised once, in
    the workflow, and never parsed again on its way to the database)."""

    model_config = ConfigDict(frozen=True)

    appraisal_id: str
    cycle_id: str
    parties: Parties
    phase: Phase
    predikat: str | None
    next_deadline: tuple[str, datetime] | None
    version: int
    state_json: str

    @classmethod
    def of(cls, state: AppraisalState) -> AppraisalSnapshot:
        assert state.appraisal_id is not None and state.cycle_id is not None
        assert state.parties is not None
        running = state.next_deadline()
        return cls(appraisal_id=state.appraisal_id, cycle_id=state.cycle_id,
                   parties=state.parties, phase=state.phase,
                   predikat=state.predikat.value if state.predikat else None,
                   next_deadline=(running[0].value, running[1]) if running else None,
                   version=state.version, state_json=state.model_dump_json())


class RecordAppraisalEvents(BaseModel):
    """Append events to an appraisal's stream and refresh its read model, in one transaction.

    ``snapshot`` is the appraisal after the events; the read model is its
    projection. Retrying with the same input is a no-op (event ids derive from
    stream and version).
    """

    stream_id: str
    expected_version: int
    events: list[EventRecord]
    metadata: dict[str, Any]
    recorded_at: datetime
    snapshot: AppraisalSnapshot


RecordOutcome = Literal["appended", "retry", "behind"]


class RecordedVersion(BaseModel):
    """The stream's version after the append, and what the log held.

    - ``appended``: the events went in as decided.
    - ``retry``: an earlier attempt of the same command (same request id, same
      event types) is already stored at these versions, perhaps with other
      content (its ``at`` is the moment of the first attempt); ``stored`` holds
      those events, and the workflow applies them instead of its own.
    - ``behind``: the log holds events the workflow has not applied (an attempt
      whose acknowledgement was lost, of a command that then failed); ``stored``
      holds every event after ``expected_version``: the workflow applies them
      and decides the command again on the state they lead to.
    """

    version: int
    outcome: RecordOutcome = "appended"
    stored: list[EventRecord] = Field(default_factory=list)


READ_APPRAISAL_EVENTS = "read_appraisal_events"


class ReadAppraisalEvents(BaseModel):
    """The events of an appraisal's stream after ``after_version``."""

    stream_id: str
    after_version: int


class StoredEvents(BaseModel):
    events: list[EventRecord]


# --------------------------------------------------------------------------- #
# The cycle

RECORD_CYCLE_EVENTS = "record_cycle_events"
FREEZE_CYCLE_ROSTER = "freeze_cycle_roster"
RUN_CYCLE_PAGE = "run_cycle_page"
CHECK_UNIT_CURVE = "check_unit_curve"
TALLY_CYCLE = "tally_cycle"
DIFF_CYCLE_ROSTER = "diff_cycle_roster"


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
