"""Activities of the appraisal workflow: the only place it touches the database."""

from __future__ import annotations

import asyncpg
from temporalio import activity

from activities.contracts import RECORD_APPRAISAL_EVENTS, RecordAppraisalEvents, RecordedVersion
from domain.appraisal import EVENT_SCHEMA_VERSION
from store.appraisals import save_appraisal_summary
from store.event_log import EventLog, NewEvent


class AppraisalActivities:
    """Activities bound to one connection pool (registered by the worker)."""

    def __init__(self, pool: asyncpg.Pool, event_log: EventLog) -> None:
        self._pool = pool
        self._event_log = event_log

    @activity.defn(name=RECORD_APPRAISAL_EVENTS)
    async def record_appraisal_events(self, request: RecordAppraisalEvents) -> RecordedVersion:
        """Append the events and write the read model in one transaction.

        A retry after a lost acknowledgement finds the same events stored and
        writes nothing (event ids derive from stream and version).
        """
        events = [
            NewEvent(type=e.type, data=e.data, metadata=request.metadata,
                     schema_version=EVENT_SCHEMA_VERSION, recorded_at=request.recorded_at)
            for e in request.events
        ]
        async with self._pool.acquire() as connection, connection.transaction():
            recorded = await self._event_log.append(
                request.stream_id, request.expected_version, events, connection=connection)
            snapshot = request.snapshot
            await save_appraisal_summary(
                connection, appraisal_id=snapshot.appraisal_id, cycle_id=snapshot.cycle_id,
                parties=snapshot.parties, phase=snapshot.phase, predikat=snapshot.predikat,
                next_deadline=snapshot.next_deadline, version=snapshot.version,
                state_json=snapshot.state_json, updated_at=request.recorded_at)
        return RecordedVersion(version=recorded[-1].version if recorded else
                               request.expected_version)
