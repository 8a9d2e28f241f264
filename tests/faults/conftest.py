"""A stack of separate processes for the fault tests: the Temporal development server,
``kinerja worker`` and ``kinerja sealer`` as processes of their own (each can be killed
with SIGKILL and started again), PostgreSQL, and the HTTP API in the test's process.

Each test gets a fresh database and its own Temporal server (its SQLite file in the
test's directory, so a restarted server finds its history again), so killing them
disturbs no other test.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from temporalio.client import Client

from api.app import Services, create_app
from api.auth import TokenSettings, TokenVerifier, mint_token
from domain.checkpoint import generate_private_key, private_key_pem
from kinerja.devstack import temporal_binary, wait_for_temporal
from kinerja.embedded_postgres import EmbeddedPostgres, start_embedded_postgres
from kinerja.worker import connect_temporal
from store.audit import Auditor
from store.database import APP_ROLE, create_pool
from store.migrations import apply_migrations
from tests.kinerja.helpers import free_ports
from tests.polling import poll_async
from tests.roster.builders import csv_text, generated_org

BIN = Path(sys.executable).parent
SECRET = "fault-tests-secret-" + "x" * 32
TOKENS = TokenSettings(secret=SECRET)
HR = "e-hr"


@dataclass
class Stack:
    """The processes of one test and the API over them."""

    base: Path
    dsn: str
    """Superuser DSN of the test's database (the processes act as kinerja_app)."""
    temporal_port: int
    task_queue: str
    agency: str
    env: dict[str, str]
    temporal: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None
    sealer: subprocess.Popen[bytes] | None = None
    client: Client | None = None
    pool: asyncpg.Pool | None = None
    http: httpx.AsyncClient | None = None
    logs: list[Path] = field(default_factory=list)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.temporal_port}"

    # ------------------------------------------------------------------ processes

    def _spawn(self, name: str, args: list[str], **env: str) -> subprocess.Popen[bytes]:
        log = self.base / f"{name}-{len(self.logs)}.log"
        self.logs.append(log)
        with log.open("wb") as out:
            return subprocess.Popen(args, env={**self.env, **env}, stdout=out,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True)

    def spawn(self, role: str, **env: str) -> subprocess.Popen[bytes]:
        """One more ``kinerja <role>`` process (``env``: settings of its own); the caller
        keeps it and kills it (:meth:`kill`)."""
        return self._spawn(role, [str(BIN / "kinerja"), role], **env)

    async def start_temporal(self) -> None:
        self.temporal = self._spawn("temporal", [
            str(temporal_binary()), "server", "start-dev",
            "--db-filename", str(self.base / "temporal.sqlite"),
            "--ip", "127.0.0.1", "--port", str(self.temporal_port),
            "--ui-port", str(free_ports(1)[0]), "--headless", "--log-level", "error",
            "--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal"])
        await wait_for_temporal(self.address, "default", 60.0, self.temporal)

    def start_worker(self) -> None:
        self.worker = self.spawn("worker")

    def start_sealer(self) -> None:
        self.sealer = self.spawn("sealer")

    @staticmethod
    async def kill(process: subprocess.Popen[bytes] | None) -> None:
        """SIGKILL, as a crash: no clean-up of any kind."""
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            await asyncio.to_thread(process.wait, 30)

    # ------------------------------------------------------------------ requests

    def headers(self, subject: str, *roles: str, key: str | None = None) -> dict[str, str]:
        wide = {"hr", "inspector"} & set(roles)
        token = mint_token(TOKENS, subject=subject, roles=roles or ("employee",),
                           agency=self.agency, unit="u0",
                           agencies=(self.agency,) if wide else ())
        headers = {"Authorization": f"Bearer {token}"}
        if key:
            headers["Idempotency-Key"] = key
        return headers

    async def request(self, method: str, path: str, subject: str, *roles: str,
                      key: str | None = None, body: Any = None) -> httpx.Response:
        assert self.http is not None
        return await self.http.request(method, path, json=body,
                                       headers=self.headers(subject, *roles, key=key))

    async def settled(self, method: str, path: str, subject: str, *roles: str, key: str,
                      body: Any = None, within: float = 120.0) -> httpx.Response:
        """The request repeated with its key until it has an answer that is not 503."""
        answer: list[httpx.Response] = []

        async def answered() -> bool:
            try:
                response = await self.request(method, path, subject, *roles, key=key,
                                              body=body)
            except httpx.TransportError:
                return False
            answer[:] = [response]
            return response.status_code != 503
        await poll_async(answered, f"{method} {path} ({key}) answered", within=within, every=0.5)
        return answer[0]

    # ------------------------------------------------------------------ a cycle

    async def start_cycle(self, size: int) -> str:
        """Import a roster of ``size`` people, create and start the cycle; its id."""
        roster = csv_text(generated_org(size, units=4)).encode()
        assert self.http is not None
        imported = await self.http.post(
            "/v1/roster/imports", params={"agency": self.agency},
            files={"file": ("roster.csv", roster, "text/csv")},
            headers=self.headers(HR, "employee", "hr"))
        assert imported.status_code == 200, imported.text
        now = datetime.now(UTC)
        calendar = {"skp_deadline": (now + timedelta(days=30)).isoformat(),
                    "self_assessment_deadline": (now + timedelta(days=60)).isoformat(),
                    "review_deadline": (now + timedelta(days=90)).isoformat()}
        created = await self.settled("POST", "/v1/cycles", HR, "employee", "hr", key="create",
                                     body={"agency": self.agency, "year": now.year,
                                           "calendar": calendar})
        assert created.status_code == 201, created.text
        cycle_id = created.json()["cycle"]["id"]
        started = await self.settled("POST", f"/v1/cycles/{cycle_id}/start", HR, "employee",
                                     "hr", key="start")
        assert started.status_code == 202, started.text
        return cycle_id

    async def appraisals(self, cycle_id: str, *, staff_only: bool = False) -> dict[str, str]:
        """Employee key -> appraisal id, from the read model; ``staff_only``: without
        the head of the agency (a JPT, whose SKP takes perspectives)."""
        assert self.pool is not None
        rows = await self.pool.fetch(
            "SELECT employee, appraisal_id FROM appraisal_summaries WHERE cycle_id = $1"
            " AND NOT ($2 AND state->>'position_kind' = 'jpt')", cycle_id, staff_only)
        return {r["employee"]: r["appraisal_id"] for r in rows}

    async def cycle_status(self, cycle_id: str) -> str | None:
        assert self.pool is not None
        return await self.pool.fetchval("SELECT status FROM cycles WHERE cycle_id = $1",
                                        cycle_id)  # type: ignore[no-any-return]

    # ------------------------------------------------------------------ checks

    async def events_of(self, type_: str) -> dict[str, int]:
        """Stream id -> how many events of ``type_`` it holds."""
        assert self.pool is not None
        rows = await self.pool.fetch(
            "SELECT stream_id, count(*) AS n FROM events WHERE type = $1 GROUP BY stream_id",
            type_)
        return {r["stream_id"]: r["n"] for r in rows}

    async def sealed_and_verified(self) -> None:
        """The sealer caught up with every event, and the whole log verifies."""
        assert self.pool is not None
        pool = self.pool

        async def caught_up() -> bool:
            return bool(await pool.fetchval(
                "SELECT (SELECT count(*) FROM events) = (SELECT count(*) FROM seals)"))
        await poll_async(caught_up, "the sealer sealed every event", within=60.0, every=0.2)
        report = await Auditor(pool).verify_all()
        assert report.ok, report.first_failure
        assert report.events_checked == await pool.fetchval("SELECT count(*) FROM events")


@asynccontextmanager
async def _processes(dsn: str, base: Path) -> AsyncIterator[Stack]:
    key_file = base / "signing-key.pem"
    key_file.write_bytes(private_key_pem(generate_private_key()))
    key_file.chmod(0o600)
    run = uuid.uuid4().hex[:8]
    port = free_ports(1)[0]
    env = {**os.environ,
           "KINERJA_MODE": "development",
           "KINERJA_DATABASE_URL": dsn,
           "KINERJA_TEMPORAL_ADDRESS": f"127.0.0.1:{port}",
           "KINERJA_TASK_QUEUE": f"faults-{run}",
           "KINERJA_JWT_SECRET": SECRET,
           "KINERJA_SIGNING_KEY_FILE": str(key_file),
           "KINERJA_CHECKPOINT_LOG": str(base / "checkpoints.jsonl"),
           "KINERJA_CHECKPOINT_INTERVAL_SECONDS": "1",
           "KINERJA_REMINDER_ENABLED": "false",
           "KINERJA_DATA_DIR": str(base),
           "KINERJA_LOG_FORMAT": "json"}
    stack = Stack(base=base, dsn=dsn, temporal_port=port,
                  task_queue=f"faults-{run}", agency=f"pemkot-{run}", env=env)
    try:
        await stack.start_temporal()
        stack.start_worker()
        stack.start_sealer()
        stack.client = await connect_temporal(stack.address)
        stack.pool = await create_pool(dsn, role=APP_ROLE, min_size=1, max_size=16)
        app = create_app(Services(pool=stack.pool, temporal=stack.client,
                                  token_verifier=TokenVerifier(TOKENS),
                                  task_queue=stack.task_queue))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://kinerja.test", timeout=90) as http:
            stack.http = http
            yield stack
    finally:
        for process in (stack.worker, stack.sealer, stack.temporal):
            await Stack.kill(process)
        if stack.pool is not None:
            await stack.pool.close()


@pytest.fixture
async def processes(database_dsn: str, tmp_path: Path) -> AsyncIterator[Stack]:
    """Temporal, a worker and a sealer as processes, the API in this process, on a fresh
    database of the session's PostgreSQL."""
    async with _processes(database_dsn, tmp_path) as stack:
        yield stack


@dataclass
class OwnPostgres:
    """A PostgreSQL server of the test's own, to stop and start again."""

    data: Path
    server: EmbeddedPostgres | None

    async def stop(self) -> None:
        assert self.server is not None
        stopping, self.server = self.server, None
        await asyncio.to_thread(stopping.stop)

    async def start(self) -> None:
        self.server = await asyncio.to_thread(start_embedded_postgres, self.data, durable=False)


@pytest.fixture
async def processes_own_postgres() -> AsyncIterator[tuple[Stack, OwnPostgres]]:
    """The same stack on a PostgreSQL server of its own (its Unix socket in a short path)."""
    base = Path(tempfile.mkdtemp(prefix="kinerja-faults-"))
    postgres = OwnPostgres(data=base / "pg", server=None)
    await postgres.start()
    assert postgres.server is not None
    try:
        admin = await asyncpg.connect(postgres.server.dsn)
        await admin.execute("CREATE DATABASE kinerja")
        await admin.close()
        dsn = postgres.server.dsn_for("kinerja")
        await apply_migrations(dsn)
        async with _processes(dsn, base) as stack:
            yield stack, postgres
    finally:
        if postgres.server is not None:
            await postgres.stop()
        shutil.rmtree(base, ignore_errors=True)
