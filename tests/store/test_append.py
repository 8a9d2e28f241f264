"""Appending to and reading streams: the chain, retries, conflicts and races."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from domain.integrity import GENESIS_HASH, canonical_event, chain_hash, event_id
from store.event_log import ConcurrencyConflict, EventLog, NewEvent
from tests.polling import poll_async

MOMENT = datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


def drafted(n: int = 1, **metadata: str) -> NewEvent:
    return NewEvent(
        type="TargetsDrafted",
        data={"skp": {"targets": [f"target {n}", "laporan kinerja ✓"]}, "n": n},
        metadata={"actor": "199001012015031001", "role": "employee", **metadata},
    )


async def count_events(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM events"))


async def wait_until_blocked(admin: asyncpg.Connection, pid: int) -> None:
    """Return once backend ``pid`` waits on a lock (polls the server, no fixed delay)."""
    await poll_async(
        lambda: admin.fetchval("SELECT cardinality(pg_blocking_pids($1)) > 0", pid),
        f"backend {pid} waits on a lock", within=10, every=0.005)


async def test_append_then_read_round_trip_and_chain(event_log: EventLog) -> None:
    events = [
        NewEvent("AppraisalOpened", {"cycle": "2025"}, {"actor": "hr"}, recorded_at=MOMENT),
        NewEvent("TargetsDrafted", {"targets": ["á", "b"]}, {"actor": "e"}, schema_version=2,
                 recorded_at=MOMENT + timedelta(microseconds=1)),
        NewEvent("TargetsSubmitted", recorded_at=MOMENT + timedelta(seconds=1)),
    ]
    recorded = await event_log.append("appraisal-1", 0, events)

    assert [e.version for e in recorded] == [1, 2, 3]
    prev = GENESIS_HASH
    for new, stored in zip(events, recorded, strict=True):
        assert stored.stream_id == "appraisal-1"
        assert stored.event_id == event_id("appraisal-1", stored.version)
        assert (stored.type, stored.schema_version) == (new.type, new.schema_version)
        assert (stored.data, stored.metadata) == (new.data, new.metadata)
        assert stored.recorded_at == new.recorded_at
        canonical = canonical_event(
            event_id=stored.event_id, stream_id="appraisal-1", version=stored.version,
            type=new.type, schema_version=new.schema_version, data=new.data,
            metadata=new.metadata, recorded_at=new.recorded_at,
        )
        assert stored.canonical == canonical
        assert stored.prev_hash == prev
        assert stored.hash == chain_hash(prev, canonical)
        prev = stored.hash
    assert len({e.position.tx_id for e in recorded}) == 1, "one append is one transaction"

    assert await event_log.read_stream("appraisal-1") == recorded
    assert await event_log.read_stream("appraisal-1", from_version=2) == recorded[1:]
    assert await event_log.stream_version("appraisal-1") == 3
    assert await event_log.stream_version("nobody") == 0
    assert await event_log.read_stream("nobody") == []

    more = await event_log.append("appraisal-1", 3, [drafted()])
    assert more[0].version == 4 and more[0].prev_hash == recorded[-1].hash
    assert (await event_log.verify_stream("appraisal-1")).ok


async def test_recorded_at_defaults_to_now_in_utc(event_log: EventLog) -> None:
    before = datetime.now(UTC)
    [stored] = await event_log.append("s", 0, [drafted()])
    assert before <= stored.recorded_at <= datetime.now(UTC)
    assert stored.recorded_at.utcoffset() == timedelta(0)


async def test_invalid_events_are_refused_before_the_database(event_log: EventLog) -> None:
    with pytest.raises(TypeError, match="float"):
        await event_log.append("s", 0, [NewEvent("T", {"score": 1.5})])
    with pytest.raises(ValueError, match="time zone"):
        await event_log.append("s", 0, [NewEvent("T", recorded_at=datetime(2025, 1, 1))])
    with pytest.raises(ValueError):
        await event_log.append("s", 0, [])
    with pytest.raises(ValueError):
        await event_log.append("s", -1, [drafted()])
    assert await event_log.stream_version("s") == 0


async def test_retried_append_returns_the_stored_events_and_writes_nothing(
    event_log: EventLog, app_pool: asyncpg.Pool
) -> None:
    first = await event_log.append("s", 0, [drafted(1), drafted(2)])
    later = datetime.now(UTC) + timedelta(hours=1)
    retry = [
        NewEvent(e.type, e.data, e.metadata, e.schema_version, recorded_at=later)
        for e in (drafted(1), drafted(2))
    ]
    again = await event_log.append("s", 0, retry)
    assert again == first
    assert again[0].recorded_at != later
    assert await count_events(app_pool) == 2

    # The stream moved on; the retry of the first append is still a no-op.
    await event_log.append("s", 2, [drafted(3)])
    assert await event_log.append("s", 0, [drafted(1), drafted(2)]) == first
    assert await count_events(app_pool) == 3


async def test_same_version_different_content_is_a_conflict(
    event_log: EventLog, app_pool: asyncpg.Pool
) -> None:
    await event_log.append("s", 0, [drafted(1), drafted(2)])

    with pytest.raises(ConcurrencyConflict) as caught:
        await event_log.append("s", 0, [drafted(1), drafted(99)])
    assert (caught.value.stream_id, caught.value.expected_version) == ("s", 0)
    assert caught.value.actual_version == 2

    with pytest.raises(ConcurrencyConflict):  # same data, other metadata
        await event_log.append("s", 0, [drafted(1, request_id="other")])
    with pytest.raises(ConcurrencyConflict):  # longer than what is stored
        await event_log.append("s", 1, [drafted(2), drafted(3)])
    with pytest.raises(ConcurrencyConflict) as ahead:
        await event_log.append("s", 5, [drafted(6)])
    assert ahead.value.actual_version == 2
    assert await count_events(app_pool) == 2


async def test_append_joins_the_callers_transaction(
    event_log: EventLog, app_pool: asyncpg.Pool
) -> None:
    async with app_pool.acquire() as connection:
        transaction = connection.transaction()
        await transaction.start()
        await event_log.append("s", 0, [drafted(1)], connection=connection)
        assert await event_log.stream_version("s", connection=connection) == 1
        assert await event_log.stream_version("s") == 0, "not visible before commit"
        await transaction.rollback()
    assert await event_log.stream_version("s") == 0
    [again] = await event_log.append("s", 0, [drafted(2)])
    assert again.data["n"] == 2
    assert await count_events(app_pool) == 1


async def test_two_concurrent_appends_at_one_version_one_wins(
    event_log: EventLog, app_pool: asyncpg.Pool
) -> None:
    await event_log.append("s", 0, [drafted(1)])
    outcomes = await asyncio.gather(
        event_log.append("s", 1, [drafted(2, by="a")]),
        event_log.append("s", 1, [drafted(2, by="b")]),
        return_exceptions=True,
    )
    winners = [o for o in outcomes if isinstance(o, list)]
    losers = [o for o in outcomes if isinstance(o, ConcurrencyConflict)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    assert losers[0].actual_version == 2
    assert await event_log.read_stream("s", from_version=2) == winners[0]
    assert (await event_log.verify_all()).ok


async def test_racing_appends_the_loser_waits_then_conflicts(
    event_log: EventLog, app_pool: asyncpg.Pool, admin_connection: asyncpg.Connection
) -> None:
    """Both read the head before either commits: the loser blocks on the unique index."""
    async with app_pool.acquire() as first, app_pool.acquire() as second:
        transaction = first.transaction()
        await transaction.start()
        await event_log.append("s", 0, [drafted(1, by="first")], connection=first)
        racing = asyncio.create_task(
            event_log.append("s", 0, [drafted(1, by="second")], connection=second)
        )
        await wait_until_blocked(admin_connection, second.get_server_pid())
        await transaction.commit()
        with pytest.raises(ConcurrencyConflict) as caught:
            await racing
    assert caught.value.actual_version == 1
    [stored] = await event_log.read_stream("s")
    assert stored.metadata["by"] == "first"
    assert (await event_log.verify_stream("s")).ok


async def test_racing_retry_of_the_same_append_is_a_no_op(
    event_log: EventLog, app_pool: asyncpg.Pool, admin_connection: asyncpg.Connection
) -> None:
    async with app_pool.acquire() as first, app_pool.acquire() as second:
        transaction = first.transaction()
        await transaction.start()
        winner = await event_log.append("s", 0, [drafted(1), drafted(2)], connection=first)
        racing = asyncio.create_task(
            event_log.append("s", 0, [drafted(1), drafted(2)], connection=second)
        )
        await wait_until_blocked(admin_connection, second.get_server_pid())
        await transaction.commit()
        retried = await racing
    assert retried == winner
    assert await count_events(app_pool) == 2


async def test_a_loser_that_rolls_back_lets_the_waiting_append_through(
    event_log: EventLog, app_pool: asyncpg.Pool, admin_connection: asyncpg.Connection
) -> None:
    async with app_pool.acquire() as first, app_pool.acquire() as second:
        transaction = first.transaction()
        await transaction.start()
        await event_log.append("s", 0, [drafted(1, by="first")], connection=first)
        racing = asyncio.create_task(
            event_log.append("s", 0, [drafted(1, by="second")], connection=second)
        )
        await wait_until_blocked(admin_connection, second.get_server_pid())
        await transaction.rollback()
        [stored] = await racing
    assert stored.metadata["by"] == "second"
    assert (await event_log.verify_stream("s")).ok


async def test_appends_to_different_streams_do_not_wait_on_each_other(
    event_log: EventLog, app_pool: asyncpg.Pool
) -> None:
    async with app_pool.acquire() as first, app_pool.acquire() as second:
        async with first.transaction():
            await event_log.append("a", 0, [drafted()], connection=first)
            # Would block (and time out) if appends took a table lock or a counter.
            stored = await asyncio.wait_for(
                event_log.append("b", 0, [drafted()], connection=second), timeout=10
            )
    assert stored[0].version == 1
    assert await event_log.stream_version("a") == 1
