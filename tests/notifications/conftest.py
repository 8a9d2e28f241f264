"""Fixtures of the notification tests: the reminders' real SMTP server, and helpers to
record appraisal events in the log with the read-model row that names the parties."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import asyncpg

from domain.appraisal import event_data
from domain.appraisal.events import Event
from store.event_log import EventLog, NewEvent
from tests.lifecycle.conftest import stack
from tests.reminders.conftest import put_contact, put_deadline, smtp_server

__all__ = ["put_contact", "record", "smtp_server", "stack"]


async def record(pool: asyncpg.Pool, appraisal_id: str, events: Sequence[Event], *,
                 agency: str, appraiser: str | None = "e-boss",
                 superior: str | None = "e-head") -> None:
    """``events`` appended to the appraisal's stream, its read-model row written first."""
    await put_deadline(pool, appraisal_id, datetime.now(UTC) + timedelta(days=300),
                       agency=agency, appraiser=appraiser, superior=superior)
    log = EventLog(pool)
    version = await log.stream_version(appraisal_id)
    await log.append(appraisal_id, version, [
        NewEvent(type=e.type, data=event_data(e), metadata={"request_id": f"r-{i}"})
        for i, e in enumerate(events)])
