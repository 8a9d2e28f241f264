"""Activities of the appraisal workflow: the only place it touches the database."""

from __future__ import annotations

from datetime import datetime

import asyncpg
from temporalio import activity

from activities.recording import record_once
from domain.appraisal import EVENT_SCHEMA_VERSION
from store.appraisals import summary_write
from store.event_log import EventLog, NewEvent, Statement
from workflows.appraisal.contract import (
    AppraisalSnapshot,
    EventRecord,
    ReadAppraisalEvents,
    RecordAppraisalEvents,
    RecordedVersion,
    StoredEvents,
)


def snapshot_write(snapshot: AppraisalSnapshot, updated_at: datetime) -> Statement:
    """The write of the summary row ``snapshot`` makes (run with its events)."""
    return summary_write(
        appraisal_id=snapshot.appraisal_id, cycle_id=snapshot.cycle_id,
        parties=snapshot.parties, phase=snapshot.phase, predikat=snapshot.predikat,
        next_deadline=snapshot.next_deadline, version=snapshot.version,
        state_json=snapshot.state_json, updated_at=updated_at,
        next_period=snapshot.next_period, missed_periods=snapshot.missed_periods)


class AppraisalActivities:
    """Activities bound to one connection pool (registered by the worker)."""

    def __init__(self, pool: asyncpg.Pool, event_log: EventLog) -> None:
        self._pool = pool
        self._event_log = event_log

    @activity.defn
    async def record_appraisal_events(self, request: RecordAppraisalEvents) -> RecordedVersion:
        """Append the events and write the read model in one statement.

        A retry after a lost acknowledgement finds the same events stored and
        writes nothing (event ids derive from stream and version; an attempt
        decided again at a later moment is recognised by its request id:
        :func:`activities.recording.record_once`).
        """
        events = [
            NewEvent(type=e.type, data=e.data, metadata=request.metadata,
                     schema_version=EVENT_SCHEMA_VERSION, recorded_at=request.recorded_at)
            for e in request.events
        ]
        summary = snapshot_write(request.snapshot, request.recorded_at)
        return await record_once(self._event_log, request.stream_id,
                                 request.expected_version, events,
                                 request.metadata.get("request_id"), summary)

    @activity.defn
    async def read_appraisal_events(self, request: ReadAppraisalEvents) -> StoredEvents:
        """The stream's events after a version: how a workflow whose command failed
        after its events may have been stored learns what the log holds."""
        stored = await self._event_log.read_stream(request.stream_id, request.after_version + 1)
        return StoredEvents(events=[EventRecord(type=e.type, data=e.data) for e in stored])
