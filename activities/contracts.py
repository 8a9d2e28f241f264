"""What workflows send to activities: names and pydantic models, no I/O.

Workflows import this module only; the implementations (which reach the
database) live beside it and are registered by the worker.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from domain.appraisal import AppraisalState, Phase
from domain.authorization import Parties

RECORD_APPRAISAL_EVENTS = "record_appraisal_events"


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


class RecordedVersion(BaseModel):
    """The stream's version after the append."""

    version: int
