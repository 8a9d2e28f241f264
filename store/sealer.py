"""The sealer: a gapless global sequence over committed events, its Merkle tree, checkpoints.

One sealer runs at a time: it holds a session advisory lock on its own
connection for as long as it runs (a second one waits for the lock; a dead
one's lock goes with its connection). Each batch is ONE transaction:

1. read up to ``batch_size`` events after the last sealed one, in commit
   order ``(tx_id, stream_id, version)``, and only those written by
   transactions older than every transaction still running
   (``tx_id < pg_snapshot_xmin(pg_current_snapshot())``), exactly as
   :meth:`store.event_log.EventLog.read_all` does: a transaction that took
   its id early and commits late holds back every later event until it
   ends, so no event is ever passed over;
2. give them the next sequence numbers, leaf hashes
   ``SHA-256(0x00 || events.hash)`` (RFC 9162 leaf over the chain hash), and
   write them (``seals``) with every perfect subtree they complete
   (``merkle_nodes``), by COPY;
3. commit. A sealer killed anywhere in a batch leaves nothing of it, and the
   next one resumes from the last committed seal: the sequence stays gapless.
   The tables' keys (seq, event id, stream and version, node) refuse a second
   writer that ignored the lock.

Every ``checkpoint_interval`` seconds, if the tree grew, the sealer signs a
checkpoint (domain.checkpoint), stores it, and appends it as one JSON line
to the checkpoint log file (outside the database, fsynced). On start it
first copies to that file any stored checkpoint newer than its last line,
so a crash between the two writes loses no line.

The sealer survives losing its connection (PostgreSQL restarted, the network
cut): :meth:`Sealer.run` reconnects with capped exponential backoff, takes
the lock again (waiting, as at start, while an older session still holds
it) and reloads where it stands from the seal tables, never from memory: a
batch whose COMMIT's answer was lost may or may not have committed.

The sealer acts as ``kinerja_app`` by default (INSERT/SELECT on the seal
tables; see the migration for a tighter set-up).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.checkpoint import Checkpoint, extend_tree, sign_checkpoint
from domain.merkle import fold_perfect_subtrees, leaf_hash, perfect_subtrees
from store.database import APP_ROLE
from store.tree import checkpoint_from_row, fetch_nodes

log = structlog.get_logger("kinerja.sealer")

SEALER_LOCK_KEY = int.from_bytes(b"kj-seal!", "big", signed=True)
"""Session advisory lock held by the one running sealer."""

_NEXT = """
SELECT event_id, stream_id, version, hash, tx_id
FROM events
WHERE (tx_id, stream_id, version) > ($1::xid8, $2::text, $3::integer)
  AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
ORDER BY tx_id, stream_id, version
LIMIT $4
"""

CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, no socket file, timeouts (TimeoutError is an OSError)
    asyncpg.PostgresConnectionError,  # class 08, and "connection does not exist"
    asyncpg.InterfaceError,  # "connection is closed" and the like
    asyncpg.CannotConnectNowError,  # 57P03: the server is starting or stopping
    asyncpg.AdminShutdownError,  # 57P01: terminated by a shutdown or pg_terminate_backend
    asyncpg.CrashShutdownError,  # 57P02
    asyncpg.TooManyConnectionsError,
    asyncpg.InternalClientError,  # "cannot switch to state ...; another operation is in
    # progress": the connection was lost in the middle of an operation (as api.app takes it)
)
"""Errors after which the sealer reconnects instead of stopping."""

_LAST = "SELECT seq, tx_id, stream_id, version FROM seals ORDER BY seq DESC LIMIT 1"


@dataclass
class SealerState:
    """What the sealer knows between batches: the tree and where it stopped."""

    size: int
    frontier: list[bytes]
    last: tuple[int, str, int]
    """``(tx_id, stream_id, version)`` of the last sealed event."""

    def root(self) -> bytes:
        return fold_perfect_subtrees(self.frontier)


class Sealer:
    """Seals events and signs checkpoints over one dedicated connection."""

    def __init__(
        self,
        dsn: str,
        *,
        role: str | None = APP_ROLE,
        batch_size: int = 10_000,
        signing_key: Ed25519PrivateKey | None = None,
        checkpoint_interval: float = 5.0,
        checkpoint_log: Path | None = None,
        poll_interval: float = 0.2,
        reconnect_initial: float = 0.5,
        reconnect_max: float = 30.0,
    ) -> None:
        self._dsn = dsn
        self._role = role
        self._batch_size = batch_size
        self._key = signing_key
        self._interval = checkpoint_interval
        self._log_path = checkpoint_log
        self._poll = poll_interval
        self._reconnect_initial = reconnect_initial
        self._reconnect_max = reconnect_max
        self._connection: asyncpg.Connection | None = None
        self._state: SealerState | None = None
        self.reconnect_attempt = 0
        """The reconnect attempts since the connection was lost; 0 while connected."""

    @property
    def state(self) -> SealerState:
        if self._state is None:
            raise RuntimeError("the sealer is not connected")
        return self._state

    @asynccontextmanager
    async def connected(self) -> AsyncIterator[Sealer]:
        """Connect, take the sealer lock (waiting for another sealer), load the tree."""
        settings = {"application_name": "kinerja-sealer"}
        if self._role is not None:
            settings["role"] = self._role
        connection = await asyncpg.connect(self._dsn, server_settings=settings)
        try:
            waited = False
            while not await connection.fetchval("SELECT pg_try_advisory_lock($1)",
                                                SEALER_LOCK_KEY):
                if not waited:
                    log.info("another sealer holds the lock; waiting")
                    waited = True
                await asyncio.sleep(1.0)
            self._connection = connection
            self._state = await self._load()
            await self._copy_missing_checkpoints_to_log()
            log.info("sealer ready", tree_size=self._state.size)
            yield self
        finally:
            self._connection = None
            self._state = None
            try:
                await asyncio.shield(connection.close(timeout=2))
            except Exception:  # never leave a session behind holding the lock
                connection.terminate()

    async def _load(self) -> SealerState:
        connection = self._require()
        row = await connection.fetchrow(_LAST)
        if row is None:
            return SealerState(size=0, frontier=[], last=(0, "", 0))
        size = row["seq"] + 1
        wanted = perfect_subtrees(0, size)
        nodes = await fetch_nodes(connection, wanted)
        return SealerState(size=size, frontier=[nodes[n] for n in wanted],
                           last=(row["tx_id"], row["stream_id"], row["version"]))

    def _require(self) -> asyncpg.Connection:
        if self._connection is None:
            raise RuntimeError("use `async with sealer.connected():` first")
        return self._connection

    async def seal_batch(self) -> int:
        """Seal the next committed events (at most ``batch_size``) in one transaction."""
        connection = self._require()
        state = self.state
        async with connection.transaction():
            rows = await connection.fetch(_NEXT, *state.last, self._batch_size)
            if not rows:
                return 0
            leaves = [leaf_hash(row["hash"]) for row in rows]
            size, frontier, nodes = extend_tree(state.size, state.frontier, leaves)
            await connection.copy_records_to_table(
                "seals",
                columns=("seq", "event_id", "stream_id", "version", "tx_id", "leaf_hash"),
                records=[
                    (state.size + i, row["event_id"], row["stream_id"], row["version"],
                     row["tx_id"], leaf)
                    for i, (row, leaf) in enumerate(zip(rows, leaves, strict=True))
                ],
            )
            if nodes:
                await connection.copy_records_to_table(
                    "merkle_nodes", columns=("level", "idx", "hash"), records=nodes)
        last = rows[-1]
        self._state = SealerState(size=size, frontier=frontier,
                                  last=(last["tx_id"], last["stream_id"], last["version"]))
        return len(rows)

    async def seal_pending(self) -> int:
        """Seal batches until none is left that may be sealed now; the number sealed."""
        total = 0
        while True:
            sealed = await self.seal_batch()
            total += sealed
            if sealed < self._batch_size:
                return total

    async def checkpoint(self) -> Checkpoint | None:
        """Sign, store and log a checkpoint of the tree if it grew since the last one."""
        if self._key is None:
            return None
        connection = self._require()
        state = self.state
        latest = await connection.fetchval("SELECT max(tree_size) FROM checkpoints")
        if state.size == 0 or (latest is not None and latest >= state.size):
            return None
        signed_at = datetime.now(UTC)
        checkpoint = sign_checkpoint(self._key, state.size, state.root(), signed_at)
        await connection.execute(
            "INSERT INTO checkpoints (tree_size, root, signed_at, key_id, signature)"
            " VALUES ($1, $2, $3, $4, $5)",
            checkpoint.tree_size, checkpoint.root, checkpoint.signed_at, checkpoint.key_id,
            checkpoint.signature)
        await self._append_to_log([checkpoint])
        log.info("checkpoint signed", tree_size=checkpoint.tree_size,
                 root=checkpoint.root.hex())
        return checkpoint

    async def run(self) -> None:
        """Seal and checkpoint until cancelled (connects first).

        On a lost connection (:data:`CONNECTION_ERRORS`, connecting included) it
        reconnects after ``reconnect_initial`` seconds, doubling up to
        ``reconnect_max``, logging each attempt once; once connected again
        (lock taken, state reloaded) the delay starts over. Other errors end it.
        """
        self.reconnect_attempt = 0
        while True:
            try:
                async with self.connected():
                    if self.reconnect_attempt:
                        log.info("sealer reconnected", attempts=self.reconnect_attempt,
                                 tree_size=self.state.size)
                        self.reconnect_attempt = 0
                    await self._seal_until_cancelled()
            except CONNECTION_ERRORS as error:
                self.reconnect_attempt += 1
                delay = self.reconnect_delay(self.reconnect_attempt)
                log.warning("sealer lost its database connection; reconnecting",
                            attempt=self.reconnect_attempt, retry_in_seconds=delay,
                            error=f"{type(error).__name__}: {error}")
                await asyncio.sleep(delay)

    def reconnect_delay(self, attempt: int) -> float:
        """Seconds before reconnect ``attempt`` (1, 2, ...): doubling, capped."""
        return min(self._reconnect_max, self._reconnect_initial * 2.0 ** min(attempt - 1, 32))

    async def _seal_until_cancelled(self) -> None:
        loop = asyncio.get_running_loop()
        next_checkpoint = loop.time()
        while True:
            sealed = await self.seal_batch()
            if loop.time() >= next_checkpoint:
                await self.checkpoint()
                next_checkpoint = loop.time() + self._interval
            if sealed < self._batch_size:
                await asyncio.sleep(self._poll)

    # ------------------------------------------------------------ the log file

    async def _append_to_log(self, checkpoints: list[Checkpoint]) -> None:
        if self._log_path is None or not checkpoints:
            return
        lines = "".join(json.dumps(c.to_json(), sort_keys=True) + "\n" for c in checkpoints)
        await asyncio.to_thread(_append_lines, self._log_path, lines)

    async def _copy_missing_checkpoints_to_log(self) -> None:
        if self._log_path is None:
            return
        last = await asyncio.to_thread(last_logged_tree_size, self._log_path)
        rows = await self._require().fetch(
            "SELECT tree_size, root, signed_at, key_id, signature FROM checkpoints"
            " WHERE tree_size > $1 ORDER BY tree_size", last)
        await self._append_to_log([checkpoint_from_row(row) for row in rows])


def _append_lines(path: Path, lines: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as file:
        file.write(lines)
        file.flush()
        os.fsync(file.fileno())


def last_logged_tree_size(path: Path) -> int:
    """The tree size of the last complete line of a checkpoint log; -1 if none."""
    if not path.exists():
        return -1
    with path.open("rb") as file:
        file.seek(0, os.SEEK_END)
        end = file.tell()
        file.seek(max(0, end - 8192))
        tail = file.read().decode("utf-8", errors="replace")
    for line in reversed(tail.splitlines()):
        with contextlib.suppress(ValueError, KeyError, TypeError):
            return int(json.loads(line)["tree_size"])
    return -1


def read_checkpoint_log(path: Path) -> list[Checkpoint]:
    """Every checkpoint in a checkpoint log file, in file order."""
    checkpoints = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            checkpoints.append(Checkpoint.from_json(json.loads(line)))
    return checkpoints
