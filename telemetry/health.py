"""Readiness: can this process do its work now? (``/readyz`` of every process)

Liveness (``/healthz``) is only "the process answers"; readiness checks what a request
needs: PostgreSQL answers, every migration shipped with this release is recorded in
``schema_migrations`` (see ``store.migrations``: the application role may read it), and,
where the process talks to Temporal, its frontend answers its health check.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

import asyncpg
from temporalio.client import Client

from store.migrations import migration_names

CHECK_TIMEOUT_SECONDS = 2.0


@dataclass
class Readiness:
    """Each check's answer: ``ok`` or why not."""

    checks: dict[str, str] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return all(answer == "ok" for answer in self.checks.values())

    def document(self) -> dict[str, object]:
        return {"status": "ready" if self.ready else "not ready", "checks": self.checks}


async def check_database(pool: asyncpg.Pool) -> tuple[str, str]:
    """(database, migrations) answers: the database reachable, migrations current."""
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            async with pool.acquire() as connection:
                applied = {row["name"] for row in
                           await connection.fetch("SELECT name FROM schema_migrations")}
    except asyncpg.UndefinedTableError:
        return "ok", "no migration applied: run kinerja migrate"
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        return f"unreachable: {type(error).__name__}: {error}".strip(": "), "unknown"
    missing = [name for name in migration_names() if name not in applied]
    if missing:
        return "ok", f"{len(missing)} migration(s) not applied (kinerja migrate): " \
                     + ", ".join(missing)
    return "ok", "ok"


async def check_temporal(client: Client) -> str:
    """The Temporal frontend's answer to its gRPC health check."""
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            healthy = await client.service_client.check_health(
                timeout=timedelta(seconds=CHECK_TIMEOUT_SECONDS))
    except Exception as error:  # the SDK raises RPCError or RuntimeError; it is a probe
        return f"unreachable: {type(error).__name__}: {error}"
    return "ok" if healthy else "not serving"


async def readiness(pool: asyncpg.Pool | None, temporal: Client | None = None) -> Readiness:
    """Every check that applies, at once."""
    result = Readiness()

    async def database(pool: asyncpg.Pool) -> None:
        result.checks["database"], result.checks["migrations"] = await check_database(pool)

    async def workflow(client: Client) -> None:
        result.checks["temporal"] = await check_temporal(client)

    await asyncio.gather(*([database(pool)] if pool is not None else []),
                         *([workflow(temporal)] if temporal is not None else []))
    return result
