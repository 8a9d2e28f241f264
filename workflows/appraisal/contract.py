"""The contract of the appraisal workflow: what the API, the cycle's activities and the
workflow exchange (its start, its commands and their results), and what the workflow
sends to its activities. Plain pydantic models and names, no Temporal and no I/O.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.appraisal import AppraisalState, Command, Phase
from domain.authorization import Actor, Parties
from domain.reminders import missed_unreviewed

# --------------------------------------------------------------------------- #
# Messages: start, commands, results

APPRAISAL_WORKFLOW = "AppraisalWorkflow"
"""The workflow type's name, for callers that start it without importing it."""
COMMAND_UPDATE = "command"
"""The update every command is sent as."""

REFUSED_ERROR_TYPE = "CommandRefused"
"""``ApplicationError.type`` of a refused command; details are ``[code, reason, field]``."""


class AppraisalStart(BaseModel):
    """Input of the workflow. It is started by update-with-start, the ``open`` command
    being the first update (by HR, or by a cycle's page); ``resume`` carries the state
    across continue-as-new."""

    appraisal_id: str
    resume: AppraisalState | None = None


class CommandRequest(BaseModel):
    """One command, who sends it, and the request id (the update id)."""

    command: Command
    actor: Actor
    request_id: str | None = None


class CommandResult(BaseModel):
    """What the caller learns once the command's events are stored.

    Kept small, because every update's result stays in the workflow's history:
    the full state is in the read model, written before this result returns.
    """

    appraisal_id: str
    version: int
    phase: Phase
    events: list[str]


def workflow_id(cycle_id: str, employee_key: str) -> str:
    """``appraisal-<cycle>-<employee key>``: never a NIP (workflow ids are stored in plain text)."""
    return f"appraisal-{cycle_id}-{employee_key}"


# --------------------------------------------------------------------------- #
# Activities: recording events, reading the log


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
    next_period: tuple[int, datetime] | None = None
    """The periodic review now running (its period and due date), if any."""
    missed_periods: tuple[tuple[int, datetime], ...] = ()
    """The periods past due and not reviewed, with their due dates."""

    @classmethod
    def of(cls, state: AppraisalState) -> AppraisalSnapshot:
        assert state.appraisal_id is not None and state.cycle_id is not None
        assert state.parties is not None
        running = state.next_deadline()
        return cls(appraisal_id=state.appraisal_id, cycle_id=state.cycle_id,
                   parties=state.parties, phase=state.phase,
                   predikat=state.predikat.value if state.predikat else None,
                   next_deadline=(running[0].value, running[1]) if running else None,
                   version=state.version, state_json=state.model_dump_json(),
                   next_period=state.next_period_deadline(),
                   missed_periods=missed_unreviewed(state))


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




class ReadAppraisalEvents(BaseModel):
    """The events of an appraisal's stream after ``after_version``."""

    stream_id: str
    after_version: int


class StoredEvents(BaseModel):
    events: list[EventRecord]
