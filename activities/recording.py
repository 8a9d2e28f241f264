"""Appending a command's events so that a retry of the same command is recognised.

A workflow task that ran again after a crash decides its command again at a
later ``workflow.now()``; if the first attempt's events were committed but the
acknowledgement was lost, the log already holds them at the versions the retry
asks for, with another ``at``. Such an append is a retry when the stored
events carry the same request id (the update id, the ``Idempotency-Key``) and
the same types: the stored events are returned, and the workflow applies them
instead of its own. Any other event in the way means the workflow is behind
the log: every stored event after its version is returned, to be applied
before the command is decided again. An append the database refuses for its
content (a constraint, a value it cannot store) can never succeed: it fails
the command at once instead of being retried for ever.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
from temporalio.exceptions import ApplicationError

from store.event_log import ConcurrencyConflict, EventLog, NewEvent, RecordedEvent, Statement
from workflows.appraisal.contract import UNSTORABLE_ERROR_TYPE, EventRecord, RecordedVersion

_PERMANENT_SQLSTATE_CLASSES = ("22", "23", "42")
"""Data exceptions, integrity violations, syntax or access rule violations: the same
append fails the same way every time."""


async def record_once(
    event_log: EventLog,
    stream_id: str,
    expected_version: int,
    events: Sequence[NewEvent],
    request_id: str | None,
    read_model: Statement,
) -> RecordedVersion:
    """Append ``events`` and write the read model in one statement, so in one round trip
    and one transaction (see the module)."""
    try:
        version = await event_log.append_with(stream_id, expected_version, events,
                                              read_model)
    except ConcurrencyConflict:
        stored = await event_log.read_stream(stream_id, expected_version + 1)
        return _as_found(stored, events, request_id, expected_version)
    except asyncpg.PostgresError as error:
        state = getattr(error, "sqlstate", None) or ""
        if state[:2] in _PERMANENT_SQLSTATE_CLASSES:
            raise ApplicationError(
                f"the database refuses these events: {error}", state,
                type=UNSTORABLE_ERROR_TYPE, non_retryable=True) from None
        raise
    return RecordedVersion(version=version)


def _as_found(stored: list[RecordedEvent], events: Sequence[NewEvent], request_id: str | None,
              expected_version: int) -> RecordedVersion:
    ours = stored[:len(events)]
    if request_id is not None and len(ours) == len(events) and all(
            s.type == e.type and s.metadata.get("request_id") == request_id
            for s, e in zip(ours, events, strict=True)):
        return RecordedVersion(version=ours[-1].version, outcome="retry",
                               stored=[EventRecord(type=s.type, data=s.data) for s in ours])
    return RecordedVersion(version=stored[-1].version if stored else expected_version,
                           outcome="behind",
                           stored=[EventRecord(type=s.type, data=s.data) for s in stored])
