"""Versioned migrations: each applied once, recorded, safe to run concurrently."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from store.migrations import MigrationError, apply_migrations, load_migrations, migration_names


@pytest.fixture
async def empty_dsn(postgres_server, _maintenance) -> AsyncIterator[str]:
    """A database with no migrations applied."""
    name = f"kinerja_empty_{uuid.uuid4().hex[:12]}"
    await _maintenance.execute(f'CREATE DATABASE "{name}"')
    try:
        yield postgres_server.dsn_for(name)
    finally:
        await _maintenance.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_migration_names_are_ordered_and_numbered() -> None:
    names = migration_names()
    assert names, "no migration shipped"
    assert names[0] == "0001_events"
    assert names == sorted(names)
    assert [int(name[:4]) for name in names] == sorted({int(name[:4]) for name in names})


async def test_second_application_applies_nothing(empty_dsn: str) -> None:
    assert await apply_migrations(empty_dsn) == migration_names()
    assert await apply_migrations(empty_dsn) == []
    connection = await asyncpg.connect(empty_dsn)
    try:
        recorded = await connection.fetch(
            "SELECT name, checksum FROM schema_migrations ORDER BY name"
        )
    finally:
        await connection.close()
    assert [row["name"] for row in recorded] == migration_names()
    assert [bytes(row["checksum"]) for row in recorded] == [m.checksum for m in load_migrations()]


async def test_concurrent_application_applies_each_migration_once(empty_dsn: str) -> None:
    first, second = await asyncio.gather(apply_migrations(empty_dsn), apply_migrations(empty_dsn))
    assert sorted(first + second) == migration_names()
    assert await apply_migrations(empty_dsn) == []


async def test_template_database_is_fully_migrated(admin_connection: asyncpg.Connection) -> None:
    names = await admin_connection.fetch("SELECT name FROM schema_migrations ORDER BY name")
    assert [row["name"] for row in names] == migration_names()
    assert await admin_connection.fetchval("SELECT to_regclass('events') IS NOT NULL")


async def test_an_edited_applied_migration_is_refused(
    database_dsn: str, admin_connection: asyncpg.Connection
) -> None:
    await admin_connection.execute(
        "UPDATE schema_migrations SET checksum = '\\x00' WHERE name = '0001_events'"
    )
    with pytest.raises(MigrationError, match="0001_events"):
        await apply_migrations(database_dsn)
