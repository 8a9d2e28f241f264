"""The servers of a benchmark: PostgreSQL (a scratch database on ``KINERJA_DATABASE_URL``
or on an embedded server), and the dev stack (``kinerja dev``'s PostgreSQL and Temporal)
with the worker and the API served in this process or as ``kinerja`` child processes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

from kinerja.devstack import DevStack, bind_port
from kinerja.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
"""The project's directory (the child processes' working directory)."""


class BenchError(RuntimeError):
    """The benchmark cannot go on (a server did not start, an answer was wrong)."""


# --------------------------------------------------------------------------- #
# PostgreSQL alone


@dataclass
class PostgresServer:
    dsn: str
    stop: Callable[[], None]

    def dsn_for(self, database: str) -> str:
        """The DSN of another database on the same server."""
        return urlunsplit(urlsplit(self.dsn)._replace(path="/" + database))


def start_postgres(prefix: str = "kinerja-bench-") -> PostgresServer:
    """``KINERJA_DATABASE_URL`` if set (a superuser's DSN), else an embedded PostgreSQL in a
    temporary directory with its default durability (fsync on); ``stop()`` stops only what
    was started."""
    url = os.environ.get("KINERJA_DATABASE_URL")
    if url:
        return PostgresServer(url, lambda: None)
    from kinerja.embedded_postgres import start_embedded_postgres

    base = Path(tempfile.mkdtemp(prefix=prefix))
    server = start_embedded_postgres(base / "data")  # default durability

    def stop() -> None:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)

    return PostgresServer(server.dsn, stop)


@asynccontextmanager
async def scratch_database(prefix: str = "kinerja-bench-") -> AsyncIterator[str]:
    """The DSN of a new database with the project's migrations applied, on the server of
    ``start_postgres``; the database is dropped (and the server stopped) on leaving."""
    from store.migrations import apply_migrations

    server = start_postgres(prefix)
    database = f"kinerja_bench_{uuid.uuid4().hex[:8]}"
    try:
        maintenance = await asyncpg.connect(server.dsn)
        try:
            await maintenance.execute(f'CREATE DATABASE "{database}"')
            try:
                dsn = server.dsn_for(database)
                await apply_migrations(dsn)
                yield dsn
            finally:
                await maintenance.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        finally:
            await maintenance.close()
    finally:
        server.stop()


async def server_settings(connection: asyncpg.Connection | asyncpg.Pool) -> dict[str, str]:
    """The server's version and durability settings, for a table's first line."""
    return {name: await connection.fetchval(f"SHOW {name}")
            for name in ("server_version", "fsync", "synchronous_commit", "shared_buffers")}


def describe_postgres(settings: dict[str, str]) -> str:
    return (f"PostgreSQL {settings['server_version']}, fsync={settings['fsync']}, "
            f"synchronous_commit={settings['synchronous_commit']}, "
            f"shared_buffers={settings['shared_buffers']}")


# --------------------------------------------------------------------------- #
# The dev stack


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bench_settings(base: Path, task_queue: str) -> Settings:
    """Settings of a run in ``base``: free loopback ports, its own task queue."""
    return Settings(data_dir=base, temporal_port=free_port(), temporal_ui_port=free_port(),
                    api_host="127.0.0.1", api_port=free_port(), task_queue=task_queue)


@asynccontextmanager
async def data_directory(prefix: str, keep: bool = False) -> AsyncIterator[Path]:
    """A temporary directory, removed on leaving unless ``keep`` (tried for a few seconds:
    the servers may still be letting go of their files)."""
    base = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield base
    finally:
        for _ in range(10):
            if keep or not base.exists():
                break
            shutil.rmtree(base, ignore_errors=True)
            await asyncio.sleep(0.5)


def log_to_file(path: Path) -> None:
    """Logging as ``kinerja dev`` does it (structlog JSON, INFO), into a file, not the terminal."""
    from kinerja.logging import configure_logging

    configure_logging("json", "INFO")
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(path.open("a", encoding="utf-8"))


@dataclass
class Serving:
    url: str
    children: dict[str, int] = field(default_factory=dict)
    """Process ids of the child processes serving, by name."""
    pool: Any = None
    """Inline: the API's and worker's connection pool."""
    client: Any = None
    """Inline: their Temporal client."""
    app: Any = None
    """Inline: the FastAPI application (before ``wrap_app``)."""


def _quiet_server_class() -> Any:
    import uvicorn

    class QuietServer(uvicorn.Server):
        """Leaves the signals to the benchmark (Ctrl-C stops the whole run)."""

        def capture_signals(self) -> Any:
            return contextlib.nullcontext()

    return QuietServer


@asynccontextmanager
async def serve_inline(settings: Settings, stack: DevStack, *,
                       roster_source: Any = None, cycle_concurrency: int = 16,
                       wrap_app: Callable[[Any], Any] | None = None,
                       interceptors: Sequence[Any] = (),
                       web: Any = None) -> AsyncIterator[Serving]:
    """The worker and the API in this process, wired as ``kinerja dev`` wires them: the
    port bound first (``bind_port``), uvicorn serving that socket.

    ``roster_source`` replaces the worker's (the imported rosters), for a generated
    roster; ``wrap_app`` is given the FastAPI application and returns the ASGI application
    served (a benchmark's timers); ``interceptors`` are the Temporal client's (a worker
    interceptor among them applies to the worker too); ``web`` the pages' settings
    (``web.WebSettings``; unset: no pages)."""
    import uvicorn
    from temporalio.client import Client

    from api.app import Services, create_app
    from api.auth import TokenVerifier
    from kinerja.worker import connect_temporal, running_worker
    from store.database import create_pool

    pool = await create_pool(stack.database_url, role=settings.database_role)
    try:
        client = await connect_temporal(stack.temporal_address, settings.temporal_namespace)
        if interceptors:
            config = client.config()  # the same connection and converter, and the timers
            config["interceptors"] = [*config["interceptors"], *interceptors]
            client = Client(**config)
        services = Services(pool=pool, temporal=client,
                            token_verifier=TokenVerifier(settings.token_settings()),
                            task_queue=settings.task_queue,
                            **({"web": web} if web is not None else {}))
        with bind_port(settings.api_host, settings.api_port, "KINERJA_API_PORT") as sock:
            async with running_worker(client, pool, task_queue=settings.task_queue,
                                      roster_source=roster_source,
                                      cycle_concurrency=cycle_concurrency):
                app = create_app(services)
                config = uvicorn.Config(wrap_app(app) if wrap_app else app,
                                        host=settings.api_host, port=settings.api_port,
                                        log_config=None, access_log=False)
                async with serve_asgi(config, sock):
                    yield Serving(f"http://{settings.api_host}:{settings.api_port}",
                                  pool=pool, client=client, app=app)
    finally:
        await pool.close()


@asynccontextmanager
async def serve_asgi(config: Any, sock: socket.socket) -> AsyncIterator[None]:
    """uvicorn serving ``config`` (a ``uvicorn.Config``) on the bound ``sock`` in this
    process's event loop, from when it has started until the block ends."""
    server = _quiet_server_class()(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not serving.done():  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    if serving.done():
        await serving
        raise BenchError("the API did not start")
    try:
        yield
    finally:
        server.should_exit = True
        await serving


async def _stop(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        child.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(child.wait, 30)
        except subprocess.TimeoutExpired:
            child.kill()
            await asyncio.to_thread(child.wait)


@asynccontextmanager
async def serve_children(settings: Settings, stack: DevStack, commands: dict[str, str]
                         ) -> AsyncIterator[Serving]:
    """``kinerja <command>`` child processes on this run's PostgreSQL and Temporal: ``dev``
    (API and worker in one process) or ``api`` and ``worker`` (one process each)."""
    env = {
        **os.environ,
        # The stack is a development stack (its development secrets): the children
        # refuse to start with them in production mode, the default.
        "KINERJA_MODE": "development",
        "KINERJA_DATABASE_URL": stack.database_url,
        "KINERJA_TEMPORAL_ADDRESS": stack.temporal_address,
        "KINERJA_TEMPORAL_NAMESPACE": settings.temporal_namespace,
        "KINERJA_TASK_QUEUE": settings.task_queue,
        "KINERJA_API_HOST": settings.api_host,
        "KINERJA_API_PORT": str(settings.api_port),
        "KINERJA_DATA_DIR": str(settings.data_dir / "child"),
        "KINERJA_LOG_FORMAT": "json",
        "KINERJA_LOG_LEVEL": "INFO",
    }
    url = f"http://{settings.api_host}:{settings.api_port}"
    children: dict[str, subprocess.Popen[bytes]] = {}
    logs = {name: settings.data_dir / f"kinerja-{command}.log"
            for name, command in commands.items()}
    try:
        for name, command in commands.items():
            with logs[name].open("ab") as log_file:
                children[name] = subprocess.Popen(  # noqa: ASYNC220 - starts at once, no wait
                    [sys.executable, "-m", "kinerja.cli", command], cwd=ROOT, env=env,
                    stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        async with httpx.AsyncClient(base_url=url, timeout=2) as probe:
            while True:
                for name, child in children.items():
                    if child.poll() is not None:
                        raise BenchError(f"kinerja {commands[name]} exited ({child.returncode})"
                                         f"; see {logs[name]}")
                ready = False
                with contextlib.suppress(httpx.HTTPError):
                    ready = (await probe.get("/healthz")).status_code == 200
                if ready and "worker" in commands.values():
                    worker_log = logs[next(n for n, c in commands.items() if c == "worker")]
                    ready = b"worker on task queue" in worker_log.read_bytes()
                if ready:
                    break
                if time.monotonic() > deadline:
                    raise BenchError("kinerja did not start in 120 s")
                await asyncio.sleep(0.2)
        yield Serving(url, {name: child.pid for name, child in children.items()})
    finally:
        for child in children.values():
            await _stop(child)
