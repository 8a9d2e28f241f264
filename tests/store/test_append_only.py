"""The log is append-only in the database itself: a trigger for everyone, privileges for the app."""

from __future__ import annotations

import asyncpg
import pytest

from store.event_log import APPEND_ONLY_SQLSTATE, EventLog, NewEvent

CHANGES = [
    "UPDATE events SET type = 'Forged' WHERE version = 1",
    "DELETE FROM events WHERE version = 1",
    "TRUNCATE events",
]


async def seed(event_log: EventLog) -> None:
    await event_log.append("s", 0, [NewEvent("A", {"x": 1}), NewEvent("B", {"x": 2})])


@pytest.mark.parametrize("statement", CHANGES)
async def test_trigger_refuses_changes_even_for_the_superuser(
    event_log: EventLog, admin_connection: asyncpg.Connection, statement: str
) -> None:
    await seed(event_log)
    assert await admin_connection.fetchval(
        "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
    )
    with pytest.raises(asyncpg.PostgresError, match="append-only") as caught:
        await admin_connection.execute(statement)
    assert caught.value.sqlstate == APPEND_ONLY_SQLSTATE
    rows = await admin_connection.fetchval("SELECT count(*) FROM events WHERE type IN ('A','B')")
    assert rows == 2


@pytest.mark.parametrize("statement", CHANGES)
async def test_replica_mode_does_not_bypass_the_trigger(
    event_log: EventLog, admin_connection: asyncpg.Connection, statement: str
) -> None:
    await seed(event_log)
    await admin_connection.execute("SET session_replication_role = replica")
    with pytest.raises(asyncpg.PostgresError, match="append-only"):
        await admin_connection.execute(statement)
    assert await admin_connection.fetchval("SELECT count(*) FROM events") == 2


@pytest.mark.parametrize("statement", CHANGES)
async def test_app_role_cannot_change_rows_even_with_the_trigger_disabled(
    event_log: EventLog,
    app_pool: asyncpg.Pool,
    admin_connection: asyncpg.Connection,
    statement: str,
) -> None:
    await seed(event_log)
    await admin_connection.execute("ALTER TABLE events DISABLE TRIGGER USER")
    async with app_pool.acquire() as connection:
        assert await connection.fetchval("SELECT current_user") == "kinerja_app"
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await connection.execute(statement)
    assert await admin_connection.fetchval("SELECT count(*) FROM events") == 2


async def test_app_role_cannot_disable_the_trigger_or_drop_the_table(
    app_pool: asyncpg.Pool,
) -> None:
    async with app_pool.acquire() as connection:
        for statement in (
            "ALTER TABLE events DISABLE TRIGGER USER",
            "DROP TABLE events",
            "DROP FUNCTION append_events",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await connection.execute(statement)


async def test_app_role_may_read_and_append(app_pool: asyncpg.Pool) -> None:
    log = EventLog(app_pool)
    await log.append("s", 0, [NewEvent("A")])
    assert await app_pool.fetchval("SELECT count(*) FROM events") == 1
    assert await app_pool.fetchval("SELECT count(*) FROM schema_migrations") >= 1
