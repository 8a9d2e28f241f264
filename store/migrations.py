"""Versioned plain SQL migrations: ``store/migrations/NNNN_name.sql``, applied in order.

Each migration runs once per database, in its own transaction, and is recorded
in ``schema_migrations`` with the SHA-256 of its text. Every transaction first
takes a transaction-scoped advisory lock, so two processes migrating the same
database at once apply each migration exactly once: the second waits, then
sees it recorded. A recorded migration whose file has since changed is an
error: migrations are append-only, like the log they create; change the schema
with a new file.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+$")

# An arbitrary 64-bit key for pg_advisory_xact_lock: the bytes of "kinerja!".
ADVISORY_LOCK_KEY = int.from_bytes(b"kinerja!", "big", signed=True)

_CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    name       text        PRIMARY KEY,
    checksum   bytea       NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


class MigrationError(RuntimeError):
    """The migrations on disk and those recorded in the database disagree."""


@dataclass(frozen=True)
class Migration:
    """One migration file: its name (the file stem), SQL text and checksum."""

    name: str
    sql: str

    @property
    def checksum(self) -> bytes:
        """SHA-256 of the SQL text, recorded when the migration is applied."""
        return hashlib.sha256(self.sql.encode("utf-8")).digest()


def load_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """All migrations in ``directory``, in order; names must be ``NNNN_lower_snake``."""
    migrations = []
    numbers: dict[str, str] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.stem)
        if match is None:
            raise MigrationError(f"migration file name {path.name!r} is not NNNN_name.sql")
        if match.group(1) in numbers:
            raise MigrationError(
                f"migrations {numbers[match.group(1)]!r} and {path.stem!r} share a number"
            )
        numbers[match.group(1)] = path.stem
        migrations.append(Migration(name=path.stem, sql=path.read_text(encoding="utf-8")))
    return migrations


def migration_names() -> list[str]:
    """The names of all migrations shipped with the package, in the order they apply."""
    return [migration.name for migration in load_migrations()]


async def apply_migrations(dsn: str) -> list[str]:
    """Apply the migrations not yet recorded in the database at ``dsn``.

    Returns the names applied by this call, in order (empty when the database
    is up to date). Safe to call from several processes at once.
    """
    migrations = load_migrations()
    connection = await asyncpg.connect(dsn)
    try:
        async with connection.transaction():
            await connection.execute("SELECT pg_advisory_xact_lock($1)", ADVISORY_LOCK_KEY)
            await connection.execute(_CREATE_LEDGER)
        applied: list[str] = []
        for migration in migrations:
            async with connection.transaction():
                await connection.execute("SELECT pg_advisory_xact_lock($1)", ADVISORY_LOCK_KEY)
                recorded = await connection.fetchval(
                    "SELECT checksum FROM schema_migrations WHERE name = $1", migration.name
                )
                if recorded is not None:
                    if recorded != migration.checksum:
                        raise MigrationError(
                            f"migration {migration.name} was applied and has since changed; "
                            "add a new migration instead of editing an applied one"
                        )
                    continue
                await connection.execute(migration.sql)
                await connection.execute(
                    "INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)",
                    migration.name,
                    migration.checksum,
                )
                applied.append(migration.name)
        return applied
    finally:
        await connection.close()
