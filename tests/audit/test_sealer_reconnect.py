"""The sealer across a PostgreSQL restart: it reconnects with backoff, takes the lock
again and goes on sealing where the seal tables say it stopped.

The server here is the test's own embedded one (not the session's): it is stopped and
started again on the same data directory, so its DSN (a Unix socket there) is the same.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from structlog.testing import capture_logs

from domain.checkpoint import public_key_bytes
from domain.merkle import leaf_hash, root
from kinerja.embedded_postgres import EmbeddedPostgres, start_embedded_postgres
from store import tree
from store.audit import Auditor
from store.database import APP_ROLE, create_pool
from store.event_log import EventLog, NewEvent
from store.migrations import apply_migrations
from store.sealer import SEALER_LOCK_KEY, Sealer
from tests.polling import poll_async


async def _append(dsn: str, appends: list[tuple[str, int, int]]) -> None:
    """Append ``count`` events to ``stream`` at ``version`` for each triple, as the app."""
    pool = await create_pool(dsn, role=APP_ROLE, min_size=1, max_size=2)
    try:
        log = EventLog(pool)
        for stream, version, count in appends:
            await log.append(stream, version, [NewEvent("T", {"i": version + i})
                                               for i in range(count)])
    finally:
        await pool.close()


async def _sealed(dsn: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        return int(await connection.fetchval("SELECT count(*) FROM seals"))
    finally:
        await connection.close()


async def test_the_sealer_survives_a_postgresql_restart_and_seals_everything(
    signing_key: Ed25519PrivateKey, checkpoint_log: Path,
) -> None:
    base = Path(tempfile.mkdtemp(prefix="kj-restart-"))
    data = base / "data"
    server: EmbeddedPostgres | None = await asyncio.to_thread(
        start_embedded_postgres, data, durable=False)
    assert server is not None
    try:
        admin = await asyncpg.connect(server.dsn)
        await admin.execute("CREATE DATABASE kinerja")
        await admin.close()
        dsn = server.dsn_for("kinerja")
        await apply_migrations(dsn)
        sealer = Sealer(dsn, signing_key=signing_key, checkpoint_log=checkpoint_log,
                        checkpoint_interval=0.0, poll_interval=0.01,
                        reconnect_initial=0.05, reconnect_max=0.2)
        with capture_logs() as logs:
            task = asyncio.create_task(sealer.run())

            async def sealed_or_ended(count: int) -> bool:
                return task.done() or await _sealed(dsn) == count

            try:
                await _append(dsn, [("a", 0, 3), ("b", 0, 2)])
                await poll_async(lambda: sealed_or_ended(5), "the first events sealed",
                                 within=30, every=0.02)
                assert not task.done()

                stopping, server = server, None
                await asyncio.to_thread(stopping.stop)
                # Down: the sealer keeps trying, with growing delays, and does not end.
                await poll_async(lambda: sealer.reconnect_attempt >= 4 or task.done(),
                                 "reconnect attempts while the server is down",
                                 within=30, every=0.02)
                assert not task.done()

                server = await asyncio.to_thread(start_embedded_postgres, data, durable=False)
                assert server.dsn_for("kinerja") == dsn
                await _append(dsn, [("a", 3, 2), ("c", 0, 4)])
                await poll_async(lambda: sealed_or_ended(11),
                                 "every event sealed after the restart",
                                 within=30, every=0.02)
                assert not task.done()
                assert sealer.reconnect_attempt == 0

                # It took the sealer lock again, on its new session.
                connection = await asyncpg.connect(dsn)
                try:
                    holders = await connection.fetchval(
                        "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
                        " WHERE l.locktype = 'advisory' AND l.granted"
                        " AND a.application_name = 'kinerja-sealer'"
                        " AND ((l.classid::bigint << 32) | l.objid::bigint) = $1",
                        SEALER_LOCK_KEY)
                    assert holders == 1
                finally:
                    await connection.close()
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

        attempts = [e for e in logs if e["event"].startswith("sealer lost its database")]
        assert [e["attempt"] for e in attempts] == list(range(1, len(attempts) + 1))
        delays = [e["retry_in_seconds"] for e in attempts]
        assert delays[:3] == [0.05, 0.1, 0.2] and set(delays[3:]) <= {0.2}
        assert sum(e["event"] == "sealer reconnected" for e in logs) == 1

        # Gapless, in commit order, and the tree and checkpoints verify.
        pool = await create_pool(dsn, role=APP_ROLE, min_size=1, max_size=4)
        try:
            rows = await pool.fetch(
                "SELECT s.seq, s.leaf_hash, e.hash FROM seals s"
                " JOIN events e USING (stream_id, version) ORDER BY s.seq")
            assert [r["seq"] for r in rows] == list(range(11))
            leaves = [leaf_hash(r["hash"]) for r in rows]
            assert [r["leaf_hash"] for r in rows] == leaves
            async with pool.acquire() as connection:
                assert await tree.tree_root(connection, 11) == root(leaves)
            report = await Auditor(pool, public_key=public_key_bytes(signing_key),
                                   checkpoint_log=checkpoint_log).verify_all()
            assert report.ok, report.first_failure
            assert report.tree_size == 11 and report.events_checked == 11
            assert report.checkpoints_checked >= 2
        finally:
            await pool.close()
    finally:
        if server is not None:
            await asyncio.to_thread(server.stop)
        shutil.rmtree(base, ignore_errors=True)
