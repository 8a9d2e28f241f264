"""The PostgreSQL server of a benchmark: ``KINERJA_DATABASE_URL`` if set, else an
embedded one in a temporary directory with its default durability (fsync on)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


@dataclass
class Server:
    dsn: str
    stop: Callable[[], None]

    def dsn_for(self, database: str) -> str:
        """The DSN of another database on the same server."""
        return urlunsplit(urlsplit(self.dsn)._replace(path="/" + database))


def start_server(prefix: str = "kinerja-bench-") -> Server:
    """Start (or name) the server; ``stop()`` stops only what was started."""
    url = os.environ.get("KINERJA_DATABASE_URL")
    if url:
        return Server(url, lambda: None)
    from kinerja.embedded_postgres import start_embedded_postgres

    base = Path(tempfile.mkdtemp(prefix=prefix))
    server = start_embedded_postgres(base / "data")  # default durability

    def stop() -> None:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)

    return Server(server.dsn, stop)
