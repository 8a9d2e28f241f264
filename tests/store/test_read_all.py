"""Reading everything in commit order, never skipping a transaction that commits late."""

from __future__ import annotations

import asyncpg

from store.event_log import START, EventLog, NewEvent, Position, RecordedEvent


async def read_everything(log: EventLog, limit: int) -> list[RecordedEvent]:
    seen: list[RecordedEvent] = []
    position = None
    while page := await log.read_all(after=position, limit=limit):
        assert len(page) <= limit
        seen.extend(page)
        position = page[-1].position
    return seen


async def test_read_all_pages_through_every_event_in_order(event_log: EventLog) -> None:
    appended: list[RecordedEvent] = []
    for round_ in range(3):
        for stream in ("b", "a", "c"):
            appended += await event_log.append(
                stream, round_ * 2, [NewEvent("T", {"r": round_}), NewEvent("U", {"r": round_})]
            )
    everything = await event_log.read_all()
    assert everything == appended, "one append per transaction: append order is commit order"
    for limit in (1, 2, 5, 1000):
        assert await read_everything(event_log, limit) == appended
    positions = [e.position for e in everything]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    assert START < positions[0]
    assert await event_log.read_all(after=positions[-1]) == []
    assert await event_log.read_all(after=positions[3], limit=2) == appended[4:6]


async def test_an_open_transaction_holds_back_later_events_until_it_commits(
    event_log: EventLog, app_pool: asyncpg.Pool
) -> None:
    [before] = await event_log.append("early", 0, [NewEvent("Before")])
    async with app_pool.acquire() as slow, app_pool.acquire() as fast:
        transaction = slow.transaction()
        await transaction.start()
        [a] = await event_log.append("a", 0, [NewEvent("A")], connection=slow)
        [b] = await event_log.append("b", 0, [NewEvent("B")], connection=fast)
        assert a.position.tx_id < b.position.tx_id

        # B is committed, but A's transaction is older and still open.
        assert await event_log.read_stream("b") == [b]
        assert await event_log.read_all() == [before]
        assert await event_log.read_all(after=before.position) == []

        await transaction.commit()
    assert await event_log.read_all() == [before, a, b]
    assert await event_log.read_all(after=before.position) == [a, b]


async def test_a_rolled_back_transaction_leaves_no_hole(
    event_log: EventLog, app_pool: asyncpg.Pool
) -> None:
    async with app_pool.acquire() as slow:
        transaction = slow.transaction()
        await transaction.start()
        await event_log.append("a", 0, [NewEvent("A")], connection=slow)
        [b] = await event_log.append("b", 0, [NewEvent("B")])
        assert await event_log.read_all() == []
        await transaction.rollback()
    assert await event_log.read_all() == [b]


async def test_positions_order_like_tuples() -> None:
    assert Position(5, "b", 1) < Position(5, "b", 2) < Position(5, "c", 1) < Position(6, "a", 1)
    assert START == Position(0, "", 0)
