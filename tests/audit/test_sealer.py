"""The sealer on a real PostgreSQL: gapless commit order, late commits, crashes, checkpoints."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import asyncpg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.checkpoint import public_key_bytes, verify_checkpoint
from domain.merkle import (
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    perfect_subtrees,
    root,
    verify_consistency,
    verify_inclusion,
)
from store import tree
from store.event_log import EventLog, NewEvent
from store.sealer import Sealer, read_checkpoint_log
from tests.polling import poll_async


async def seals(connection: asyncpg.Connection) -> list[asyncpg.Record]:
    return await connection.fetch(
        "SELECT s.seq, s.stream_id, s.version, s.leaf_hash, e.hash FROM seals s"
        " JOIN events e USING (stream_id, version) ORDER BY s.seq")


async def test_every_event_is_sealed_once_in_commit_order_with_a_correct_tree(
    event_log: EventLog, sealer: Sealer, admin_connection: asyncpg.Connection
) -> None:
    for round_ in range(5):
        for stream in ("b", "a", "c"):
            await event_log.append(stream, round_ * 2,
                                   [NewEvent("T", {"r": round_}), NewEvent("U", {})])
    assert await sealer.seal_pending() == 30
    assert await sealer.seal_pending() == 0
    rows = await seals(admin_connection)
    everything = await event_log.read_all(limit=100)
    assert [(r["stream_id"], r["version"]) for r in rows] == [
        (e.stream_id, e.version) for e in everything]
    assert [r["seq"] for r in rows] == list(range(30))
    leaves = [leaf_hash(r["hash"]) for r in rows]
    assert [r["leaf_hash"] for r in rows] == leaves
    assert sealer.state.root() == root(leaves)
    for size in (1, 2, 3, 7, 8, 16, 29, 30):
        assert await tree.tree_root(admin_connection, size) == root(leaves[:size])
        for index in range(size):
            proof = await tree.inclusion_proof(admin_connection, index, size)
            assert proof == inclusion_proof(leaves[:size], index)
            assert verify_inclusion(leaves[index], index, size, proof, root(leaves[:size]))
        for old in range(1, size + 1):
            proof = await tree.consistency_proof(admin_connection, old, size)
            assert proof == consistency_proof(leaves[:size], old)
            assert verify_consistency(old, size, root(leaves[:old]), root(leaves[:size]), proof)
    # Every complete perfect subtree is stored, nothing else.
    stored = {(r["level"], r["idx"]) for r in
              await admin_connection.fetch("SELECT level, idx FROM merkle_nodes")}
    assert stored == {(level, i) for level in range(1, 5) for i in range(30 >> level)}
    assert perfect_subtrees(0, 30) == [(4, 0), (3, 2), (2, 6), (1, 14)]


async def test_a_late_committing_transaction_is_sealed_in_its_place(
    event_log: EventLog, app_pool: asyncpg.Pool, sealer: Sealer,
    admin_connection: asyncpg.Connection,
) -> None:
    [before] = await event_log.append("early", 0, [NewEvent("Before")])
    async with app_pool.acquire() as slow, app_pool.acquire() as fast:
        transaction = slow.transaction()
        await transaction.start()
        [a] = await event_log.append("a", 0, [NewEvent("A")], connection=slow)
        [b] = await event_log.append("b", 0, [NewEvent("B")], connection=fast)
        assert a.position.tx_id < b.position.tx_id
        # B is committed, but A's older transaction is open: only "early" may be sealed.
        assert await sealer.seal_pending() == 1
        await transaction.commit()
    assert await sealer.seal_pending() == 2
    rows = await seals(admin_connection)
    assert [(r["stream_id"], r["seq"]) for r in rows] == [("early", 0), ("a", 1), ("b", 2)]
    assert before.stream_id == "early"


async def test_concurrent_writers_committing_out_of_order_are_all_sealed(
    event_log: EventLog, app_pool: asyncpg.Pool, sealer: Sealer,
    admin_connection: asyncpg.Connection,
) -> None:
    held = []
    async with app_pool.acquire() as c1, app_pool.acquire() as c2:
        t1, t2 = c1.transaction(), c2.transaction()
        await t1.start()
        await t2.start()
        await event_log.append("held-1", 0, [NewEvent("X")], connection=c1)
        await event_log.append("held-2", 0, [NewEvent("X")], connection=c2)

        async def writer(w: int) -> None:
            for i in range(10):
                await event_log.append(f"w{w}", i, [NewEvent("W")])

        sealing = asyncio.create_task(_seal_forever(sealer))
        await asyncio.gather(*(writer(w) for w in range(4)))
        await t2.commit()  # the younger commits first
        await t1.commit()
        held.extend(["held-1", "held-2"])
        await poll_async(lambda: _count(admin_connection, "seals", 42), "42 seals",
                         within=10, every=0.01)
        sealing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await sealing
    rows = await seals(admin_connection)
    assert [r["seq"] for r in rows] == list(range(42))
    assert {r["stream_id"] for r in rows} >= set(held)
    everything = await event_log.read_all(limit=100)
    assert [(r["stream_id"], r["version"]) for r in rows] == [
        (e.stream_id, e.version) for e in everything]


async def _seal_forever(sealer: Sealer) -> None:
    while True:
        if not await sealer.seal_batch():
            await asyncio.sleep(0.005)


async def _count(connection: asyncpg.Connection, table: str, expected: int) -> bool:
    return await connection.fetchval(f"SELECT count(*) FROM {table}") == expected


async def _sealers_connected(connection: asyncpg.Connection, expected: int) -> bool:
    return await connection.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'kinerja-sealer'"
    ) == expected


async def _blocked_in_a_batch(admin: asyncpg.Connection) -> int | None:
    """The pid of the sealer's backend while it waits for a lock inside its batch."""
    return await admin.fetchval(
        "SELECT pid FROM pg_stat_activity WHERE application_name = 'kinerja-sealer'"
        " AND wait_event_type = 'Lock'")


@pytest.mark.parametrize("kill", ["terminate", "cancel"])
async def test_a_sealer_killed_mid_batch_leaves_the_sequence_gapless(
    kill: str, event_log: EventLog, make_sealer: Callable[..., Sealer],
    admin_connection: asyncpg.Connection, admin_dsn: str,
) -> None:
    for s in range(6):
        await event_log.append(f"s{s}", 0, [NewEvent("A"), NewEvent("B")])
    first = make_sealer(batch_size=4)
    async with first.connected():
        assert await first.seal_batch() == 4
    # Block the next batch after its seals are written, before its nodes are.
    locker = await asyncpg.connect(admin_dsn)
    try:
        lock = locker.transaction()
        await lock.start()
        await locker.execute("LOCK TABLE merkle_nodes IN ACCESS EXCLUSIVE MODE")
        second = make_sealer(batch_size=4)

        async def run() -> None:
            async with second.connected():
                await second.seal_batch()

        task = asyncio.create_task(run())
        await poll_async(lambda: _blocked_in_a_batch(admin_connection),
                         "a sealer blocked in its batch", within=10, every=0.01)
        pid = await _blocked_in_a_batch(admin_connection)
        # The batch's rows are written but not committed.
        assert await admin_connection.fetchval("SELECT count(*) FROM seals") == 4
        if kill == "terminate":
            assert await admin_connection.fetchval("SELECT pg_terminate_backend($1)", pid)
            with pytest.raises((asyncpg.PostgresError, asyncpg.InterfaceError,
                                ConnectionError)):
                await task
        else:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        await lock.rollback()
    finally:
        await locker.close()
    assert await admin_connection.fetchval("SELECT count(*) FROM seals") == 4
    third = make_sealer(batch_size=4)
    async with third.connected():
        assert third.state.size == 4
        assert await third.seal_pending() == 8
        rows = await seals(admin_connection)
        assert [r["seq"] for r in rows] == list(range(12))
        leaves = [leaf_hash(r["hash"]) for r in rows]
        assert third.state.root() == root(leaves)
        assert await tree.tree_root(admin_connection, 12) == root(leaves)


async def test_only_one_sealer_runs_at_a_time(
    event_log: EventLog, make_sealer: Callable[..., Sealer],
    admin_connection: asyncpg.Connection,
) -> None:
    await event_log.append("s", 0, [NewEvent("A")])
    first = make_sealer()
    ready = asyncio.Event()

    async def second_sealer() -> int:
        async with make_sealer().connected() as second:
            ready.set()
            return await second.seal_pending()

    async with first.connected():
        task = asyncio.create_task(second_sealer())
        await poll_async(lambda: _sealers_connected(admin_connection, 2),
                         "two sealers connected", within=10, every=0.01)
        assert not ready.is_set()
        assert await first.seal_pending() == 1
    assert await asyncio.wait_for(task, 10) == 0
    assert ready.is_set()


async def test_the_seal_tables_are_append_only(
    event_log: EventLog, sealer: Sealer, app_pool: asyncpg.Pool,
    admin_connection: asyncpg.Connection,
) -> None:
    await event_log.append("s", 0, [NewEvent("A"), NewEvent("B"), NewEvent("C")])
    await sealer.seal_pending()
    assert await sealer.checkpoint() is not None
    for statement in ("UPDATE seals SET version = 9", "DELETE FROM seals",
                      "TRUNCATE seals CASCADE", "UPDATE merkle_nodes SET idx = 9",
                      "DELETE FROM merkle_nodes", "DELETE FROM checkpoints",
                      "UPDATE checkpoints SET tree_size = 1"):
        for connection in (admin_connection,):
            with pytest.raises(asyncpg.PostgresError):
                await connection.execute(statement)
        async with app_pool.acquire() as app:
            with pytest.raises(asyncpg.PostgresError):
                await app.execute(statement)


async def test_checkpoints_are_signed_stored_and_logged_once_per_growth(
    event_log: EventLog, make_sealer: Callable[..., Sealer], signing_key: Ed25519PrivateKey,
    checkpoint_log: Path, admin_connection: asyncpg.Connection,
) -> None:
    sealer = make_sealer()
    public = public_key_bytes(signing_key)
    async with sealer.connected():
        assert await sealer.checkpoint() is None  # empty tree
        await event_log.append("s", 0, [NewEvent("A"), NewEvent("B")])
        await sealer.seal_pending()
        first = await sealer.checkpoint()
        assert first is not None and first.tree_size == 2
        assert verify_checkpoint(public, first)
        assert await sealer.checkpoint() is None  # no growth
        await event_log.append("s", 2, [NewEvent("C")])
        await sealer.seal_pending()
        second = await sealer.checkpoint()
        assert second is not None and second.tree_size == 3
    assert await tree.latest_checkpoint(admin_connection) == second
    assert read_checkpoint_log(checkpoint_log) == [first, second]
    # A lost log line (crash between the two writes) is written on the next start.
    lines = checkpoint_log.read_text().splitlines()
    checkpoint_log.write_text(lines[0] + "\n")
    async with make_sealer().connected():
        pass
    assert read_checkpoint_log(checkpoint_log) == [first, second]
    assert json.loads(checkpoint_log.read_text().splitlines()[1])["tree_size"] == 3


async def test_run_seals_and_checkpoints_until_cancelled(
    event_log: EventLog, make_sealer: Callable[..., Sealer],
    admin_connection: asyncpg.Connection,
) -> None:
    task = asyncio.create_task(make_sealer().run())
    try:
        await event_log.append("s", 0, [NewEvent("A"), NewEvent("B")])
        await poll_async(lambda: _count(admin_connection, "checkpoints", 1), "one checkpoint",
                         within=10, every=0.01)
        await event_log.append("s", 2, [NewEvent("C")])
        await poll_async(lambda: admin_connection.fetchval(
            "SELECT max(tree_size) = 3 FROM checkpoints"), "a checkpoint of tree size 3",
            within=10, every=0.01)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
