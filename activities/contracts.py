"""What workflows send to activities: names and pydantic models, no I/O.

Workflows import this module only; the implementations (which reach the
database) live beside it and are registered by the worker.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from domain.appraisal import AppraisalState

RECORD_APPRAISAL_EVENTS = "record_appraisal_events"


class EventRecord(BaseModel):
    """One domain event as stored: its type and JSON-ready payload."""

    model_config = ConfigDict(frozen=True)

    type: str
    data: dict[str, Any]


class RecordAppraisalEvents(BaseModel):
    """Append events to an appraisal's stream and refresh its read model, in one transaction.

    ``state`` is the appraisal's state after the events; the read model is its
    projection. Retrying with the same input is a no-op (event ids derive from
    stream and version).
    """

    stream_id: str
    expected_version: int
    events: list[EventRecord]
    metadata: dict[str, Any]
    recorded_at: datetime
    state: AppraisalState


class RecordedVersion(BaseModel):
    """The stream's version after the append."""

    version: int
