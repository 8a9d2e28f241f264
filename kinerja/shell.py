"""What every ``kinerja`` command shares: settings with logging configured, signals that
stop a command cleanly, running its coroutine, and the database it works on (the
configured one, or the embedded one while the command runs). ``kinerja.cli`` and
``kinerja.roster_cli`` both build on it; neither imports the other's internals."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import typer
from rich.console import Console

from kinerja.devstack import StackError, running_postgres
from kinerja.logging import configure_logging
from kinerja.settings import Settings, get_settings

console = Console(stderr=False)

T = TypeVar("T")

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def settings() -> Settings:
    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)
    return settings


class Stop:
    """Ctrl-C (SIGINT), SIGTERM and SIGHUP, from the start of a command.

    Until the command is up they cancel it, so that every ``finally`` stops what
    was already started; once it serves, they call what ``when_up`` was given
    (an orderly stop: the API, then the worker, then the servers).
    """

    def __init__(self) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._task = task
        self._on_stop: Callable[[], None] | None = None
        loop = asyncio.get_running_loop()
        for signum in STOP_SIGNALS:
            if signum == signal.SIGHUP and signal.getsignal(signum) == signal.SIG_IGN:
                continue  # started with nohup: a closed terminal must not stop it
            loop.add_signal_handler(signum, self._signalled)

    def _signalled(self) -> None:
        if self._on_stop is None:
            self._task.cancel()
        else:
            self._on_stop()

    def when_up(self, on_stop: Callable[[], None]) -> None:
        self._on_stop = on_stop


def run(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a command's coroutine; a StackError is a one-line refusal, a signal before the
    command is up a short note (what it had started is stopped by then)."""
    try:
        return asyncio.run(main())
    except StackError as error:
        console.print(f"[red]cannot start:[/red] {error}")
        raise typer.Exit(1) from None
    except asyncio.CancelledError:
        console.print("interrupted while starting: what was started is shut down")
        raise typer.Exit(130) from None


@asynccontextmanager
async def database_url(settings: Settings) -> AsyncIterator[str]:
    """The configured database, or the embedded one in the data directory while needed."""
    if settings.database_url:
        yield settings.database_url
        return
    async with running_postgres(settings.postgres_dir) as server:
        yield server.dsn


