"""Recording a command's events: a retried attempt of the same command is recognised
even when it was decided again at another moment; an append that can never succeed
fails at once (activities.recording.record_once, on a real PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from temporalio.exceptions import ApplicationError

from activities.recording import record_once
from store.event_log import EventLog, NewEvent, Statement
from workflows.appraisal.contract import UNSTORABLE_ERROR_TYPE

FIRST = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
AGAIN = FIRST + timedelta(seconds=42)  # the workflow task ran again after a crash


def drafted(at: datetime, request_id: str) -> NewEvent:
    return NewEvent(type="TargetsDrafted", data={"at": at.isoformat(), "n": 1},
                    metadata={"actor": "e-1", "actor_agency": "a", "request_id": request_id},
                    recorded_at=at)


NOTHING = Statement("SELECT 1", ())
"""A read model's write that writes nothing."""


async def test_the_same_command_decided_again_later_is_a_retry(
        event_log: EventLog) -> None:
    first = await record_once(event_log, "s-1", 0, [drafted(FIRST, "K")], "K",
                              NOTHING)
    assert (first.version, first.outcome, first.stored) == (1, "appended", [])

    again = await record_once(event_log, "s-1", 0, [drafted(AGAIN, "K")], "K",
                              NOTHING)
    assert (again.version, again.outcome) == (1, "retry")
    assert [(e.type, e.data["at"]) for e in again.stored] == [
        ("TargetsDrafted", FIRST.isoformat())]  # the first attempt's content wins
    assert await event_log.stream_version("s-1") == 1


async def test_another_commands_events_in_the_way_mean_the_workflow_is_behind(
        event_log: EventLog) -> None:
    await record_once(event_log, "s-2", 0, [drafted(FIRST, "K1")], "K1", NOTHING)
    await record_once(event_log, "s-2", 1, [drafted(FIRST, "K2")], "K2", NOTHING)

    behind = await record_once(event_log, "s-2", 0, [drafted(AGAIN, "K3")], "K3",
                               NOTHING)
    assert (behind.version, behind.outcome) == (2, "behind")
    assert len(behind.stored) == 2  # every event after the workflow's version
    # Same request id but another number of events: not the same command.
    two = [drafted(AGAIN, "K1"), drafted(AGAIN, "K1")]
    assert (await record_once(event_log, "s-2", 0, two, "K1", NOTHING)
            ).outcome == "behind"
    assert await event_log.stream_version("s-2") == 2


async def test_a_read_model_the_database_refuses_fails_at_once_and_stores_nothing(
        event_log: EventLog) -> None:
    nul_in_jsonb = Statement("SELECT $1::jsonb", ('{"text": "a\\u0000b"}',))

    with pytest.raises(ApplicationError) as refused:
        await record_once(event_log, "s-3", 0, [drafted(FIRST, "K")], "K",
                          nul_in_jsonb)
    assert refused.value.type == UNSTORABLE_ERROR_TYPE and refused.value.non_retryable
    assert await event_log.stream_version("s-3") == 0  # the events went with the transaction
