"""Verification finds tampering done behind the triggers' back, and names where."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import pytest

from store.event_log import EventLog, NewEvent, VerificationReport

STREAMS = ["appraisal-a", "appraisal-b", "appraisal-c", "cycle-2025", "ünïcode-stream"]


@pytest.fixture
async def seeded(event_log: EventLog) -> EventLog:
    """Five streams of four events each, appended in two batches per stream."""
    for stream in STREAMS:
        await event_log.append(stream, 0, [
            NewEvent("Opened", {"stream": stream, "note": "ä \"quoted\" \\ {}"}, {"actor": "hr"}),
            NewEvent("Drafted", {"targets": [1, 2, 3]}, {"actor": "employee"}),
        ])
        await event_log.append(stream, 2, [
            NewEvent("Submitted", {}, {"actor": "employee"}),
            NewEvent("Approved", {"by": "appraiser"}, {"actor": "appraiser"}),
        ])
    return event_log


@pytest.fixture
async def tamper(admin_connection: asyncpg.Connection) -> asyncpg.Connection:
    """A superuser connection with the append-only triggers switched off."""
    await admin_connection.execute("ALTER TABLE events DISABLE TRIGGER USER")
    return admin_connection


def assert_fails_at(report: VerificationReport, stream: str, version: int, reason: str) -> None:
    assert not report.ok
    assert report.first_failure is not None
    assert (report.first_failure.stream_id, report.first_failure.version) == (stream, version)
    assert reason in report.first_failure.reason


async def test_an_untouched_log_verifies(seeded: EventLog) -> None:
    report = await seeded.verify_all()
    assert report == VerificationReport(ok=True, events_checked=20, first_failure=None)
    for stream in STREAMS:
        assert await seeded.verify_stream(stream) == VerificationReport(True, 4, None)
    assert await EventLog(seeded.pool, verify_parallelism=1).verify_all() == report


async def test_an_empty_log_verifies(event_log: EventLog) -> None:
    assert await event_log.verify_all() == VerificationReport(ok=True, events_checked=0)
    assert await event_log.verify_stream("nothing") == VerificationReport(True, 0)


async def test_changed_canonical_bytes_break_the_hash(
    seeded: EventLog, tamper: asyncpg.Connection
) -> None:
    await tamper.execute(
        """UPDATE events SET canonical = convert_to(
               replace(convert_from(canonical, 'UTF8'), '"targets":[1,2,3]', '"targets":[1,2,4]'),
               'UTF8')
           WHERE stream_id = 'appraisal-b' AND version = 2"""
    )
    assert_fails_at(await seeded.verify_all(), "appraisal-b", 2, "hash is not sha256")
    assert_fails_at(await seeded.verify_stream("appraisal-b"), "appraisal-b", 2, "hash")
    assert (await seeded.verify_stream("appraisal-a")).ok


async def test_changed_hash_is_found_at_its_event(
    seeded: EventLog, tamper: asyncpg.Connection
) -> None:
    await tamper.execute(
        "UPDATE events SET hash = sha256(hash) WHERE stream_id = 'cycle-2025' AND version = 3"
    )
    assert_fails_at(await seeded.verify_all(), "cycle-2025", 3, "hash is not sha256")


async def test_rewritten_event_with_a_fresh_hash_breaks_the_next_link(
    seeded: EventLog, tamper: asyncpg.Connection
) -> None:
    await tamper.execute(
        """UPDATE events SET
               canonical = convert_to(replace(convert_from(canonical, 'UTF8'),
                                              '"targets":[1,2,3]', '"targets":[9]'), 'UTF8'),
               hash = sha256(prev_hash || convert_to(replace(convert_from(canonical, 'UTF8'),
                                              '"targets":[1,2,3]', '"targets":[9]'), 'UTF8'))
           WHERE stream_id = 'appraisal-c' AND version = 2"""
    )
    assert_fails_at(await seeded.verify_all(), "appraisal-c", 3, "prev_hash")


async def test_deleted_middle_event_is_reported_missing(
    seeded: EventLog, tamper: asyncpg.Connection
) -> None:
    await tamper.execute("DELETE FROM events WHERE stream_id = 'appraisal-a' AND version = 2")
    report = await seeded.verify_all()
    assert_fails_at(report, "appraisal-a", 2, "version 2 is missing")
    assert report.events_checked == 19
    assert_fails_at(await seeded.verify_stream("appraisal-a"), "appraisal-a", 2, "missing")


async def test_deleted_first_event_is_reported_missing(
    seeded: EventLog, tamper: asyncpg.Connection
) -> None:
    await tamper.execute("DELETE FROM events WHERE stream_id = 'cycle-2025' AND version = 1")
    assert_fails_at(await seeded.verify_all(), "cycle-2025", 1, "version 1 is missing")


@pytest.mark.parametrize(
    ("assignment", "column"),
    [
        ("type = 'Forged'", "type"),
        ("recorded_at = recorded_at + interval '1 microsecond'", "recorded_at"),
        ("event_id = gen_random_uuid()", "event_id"),
    ],
)
async def test_a_column_that_disagrees_with_the_canonical_bytes(
    seeded: EventLog, tamper: asyncpg.Connection, assignment: str, column: str
) -> None:
    await tamper.execute(
        f"UPDATE events SET {assignment} WHERE stream_id = 'appraisal-b' AND version = 4"
    )
    report = await seeded.verify_all()
    assert_fails_at(report, "appraisal-b", 4, column)
    assert "disagree" in report.first_failure.reason  # type: ignore[union-attr]


async def test_a_changed_version_leaves_a_gap(
    seeded: EventLog, tamper: asyncpg.Connection
) -> None:
    await tamper.execute(
        "UPDATE events SET version = 7 WHERE stream_id = 'appraisal-b' AND version = 4"
    )
    assert_fails_at(await seeded.verify_all(), "appraisal-b", 4, "version 4 is missing")


async def test_a_stream_id_moved_to_another_stream(
    seeded: EventLog, tamper: asyncpg.Connection
) -> None:
    await tamper.execute(
        "UPDATE events SET stream_id = 'appraisal-zz'"
        " WHERE stream_id = 'appraisal-a' AND version = 2"
    )
    report = await seeded.verify_all()
    assert_fails_at(report, "appraisal-a", 2, "missing")
    assert_fails_at(await seeded.verify_stream("appraisal-zz"), "appraisal-zz", 1, "missing")


@pytest.mark.parametrize(
    "canonical",
    ["'\\xff00'::bytea", "convert_to('{not json', 'UTF8')", "convert_to('[1,2]', 'UTF8')"],
)
async def test_canonical_bytes_that_are_not_json_are_a_failure_not_an_error(
    seeded: EventLog, tamper: asyncpg.Connection, canonical: str
) -> None:
    await tamper.execute(
        f"UPDATE events SET canonical = {canonical}, hash = sha256(prev_hash || {canonical})"
        " WHERE stream_id = 'appraisal-c' AND version = 4"
    )
    report = await seeded.verify_all()
    assert_fails_at(report, "appraisal-c", 4, "canonical bytes are not")
    assert report.events_checked == 20


async def test_the_first_failure_is_the_lowest_stream_and_version(
    seeded: EventLog, tamper: asyncpg.Connection
) -> None:
    await tamper.execute(
        "UPDATE events SET hash = sha256(hash) WHERE (stream_id, version) IN"
        " (('cycle-2025', 1), ('appraisal-c', 4), ('appraisal-c', 3), ('ünïcode-stream', 1))"
    )
    for parallelism in (1, 2, 3):
        log = EventLog(seeded.pool, verify_parallelism=parallelism)
        assert_fails_at(await log.verify_all(), "appraisal-c", 3, "hash")


async def test_unusual_but_valid_events_verify(event_log: EventLog) -> None:
    """Events the fast check does not accept go through the full jsonb comparison."""
    await event_log.append("odd \"stream\" \\ ☃", 0, [
        NewEvent("Typé \u2028 \t", {"x": "\u0001"}, {}, schema_version=12),
        NewEvent("Plain", {}, {}, schema_version=1,
                 recorded_at=datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC)),
    ])
    await event_log.append("s", 0, [NewEvent("T", {"nested": {"event_id": "x", "version": 9}})])
    report = await event_log.verify_all()
    assert report.ok, report
    assert report.events_checked == 3
