"""The event log: append, read and verify hash-chained event streams in PostgreSQL.

Every event is stored as its canonical JSON bytes
(:func:`domain.integrity.canonical_event`) beside the columns queries need;
``hash = SHA-256(prev_hash || canonical)`` chains the events of a stream from
:data:`domain.integrity.GENESIS_HASH`. The database refuses UPDATE, DELETE and
TRUNCATE on the table, and the application role may only SELECT and INSERT.
The schema and the ``append_events`` function live in
``store/migrations/0001_events.sql``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg

from domain.integrity import GENESIS_HASH, canonical_event, event_id, format_timestamp

CONFLICT_SQLSTATE = "KJ001"
"""Raised by ``append_events`` when the stream is not at the expected version."""

APPEND_ONLY_SQLSTATE = "KJ002"
"""Raised by the trigger that refuses UPDATE, DELETE and TRUNCATE on ``events``."""


@dataclass(frozen=True, order=True, slots=True)
class Position:
    """Where an event sits in the commit order that :meth:`EventLog.read_all` follows.

    Positions compare as the tuple ``(tx_id, stream_id, version)``, the order
    of ``read_all``; ``tx_id`` is the id of the transaction that wrote the event.
    """

    tx_id: int
    stream_id: str
    version: int


START = Position(0, "", 0)
"""A position before every event."""


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to append; the log gives it its id, version, time and hashes.

    ``data`` and ``metadata`` must be canonical-JSON-able (no floats).
    ``recorded_at`` defaults to the time of the append, in UTC.
    """

    type: str
    data: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    schema_version: int = 1
    recorded_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Statement:
    """One SQL statement (parameters ``$1 .. $n``) and its arguments: a read model's
    write that :meth:`EventLog.append_with` runs in the append's own statement."""

    sql: str
    args: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """An event as stored, parsed back from its canonical bytes."""

    event_id: uuid.UUID
    stream_id: str
    version: int
    type: str
    schema_version: int
    data: dict[str, Any]
    metadata: dict[str, Any]
    recorded_at: datetime
    prev_hash: bytes
    hash: bytes
    position: Position
    canonical: bytes = field(repr=False)


class ConcurrencyConflict(Exception):
    """The stream was not at the expected version (and the append was not a retry)."""

    def __init__(self, stream_id: str, expected_version: int, actual_version: int) -> None:
        super().__init__(
            f"stream {stream_id!r} is at version {actual_version}, expected {expected_version}"
        )
        self.stream_id = stream_id
        self.expected_version = expected_version
        self.actual_version = actual_version


@dataclass(frozen=True, slots=True)
class Failure:
    """The first thing wrong with the log: which stream, which version, and what."""

    stream_id: str
    version: int
    reason: str


@dataclass(frozen=True, slots=True)
class VerificationReport:
    """The outcome of a verification: how many events were checked, the first failure."""

    ok: bool
    events_checked: int
    first_failure: Failure | None = None


_APPEND = """
SELECT version, prev_hash, hash, tx_id, stored_canonical
FROM append_events($1, $2, $3, $4, $5, $6)
"""

_APPEND_WITH = """
WITH appended AS MATERIALIZED (
    SELECT version FROM append_events($1, $2, $3, $4, $5, $6)
), along AS (
{along}
)
SELECT max(version) FROM appended
"""
"""An append and a read model's write in one statement (data-modifying statements in
WITH run to completion exactly once; an error in either undoes both)."""

_APPEND_WITH_ROWS = """
WITH appended AS MATERIALIZED (
    SELECT version FROM append_events($1, $2, $3, $4, $5, $6)
), along AS (
{along}
)
SELECT max(version) AS version, (SELECT count(*) FROM along) AS written FROM appended
"""
""":data:`_APPEND_WITH` for a write that ends in ``RETURNING``: also how many rows it wrote."""

_READ_STREAM = """
SELECT canonical, prev_hash, hash, tx_id
FROM events
WHERE stream_id = $1 AND version >= $2
ORDER BY version
"""

_STREAM_VERSION = "SELECT coalesce(max(version), 0) FROM events WHERE stream_id = $1"

_UP_TO_REQUEST = """
SELECT canonical, prev_hash, hash, tx_id
FROM events
WHERE stream_id = $1
  AND version <= (SELECT max(version) FROM events
                  WHERE stream_id = $1
                    AND convert_from(canonical, 'UTF8')::jsonb #>> '{metadata,request_id}' = $2)
ORDER BY version
"""

_READ_ALL = """
SELECT canonical, prev_hash, hash, tx_id
FROM events
WHERE (tx_id, stream_id, version) > ($1::xid8, $2::text, $3::integer)
  AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
ORDER BY tx_id, stream_id, version
LIMIT $4
"""

# One pass over (a part of) the log, in three levels:
#
# x  per event, the expensive work, done once: sha256 over prev_hash and the
#    canonical bytes; whether the first "event_id" key of the bytes is
#    followed by the column's id and the "metadata" key (canonical JSON sorts
#    its keys: data, event_id, metadata, recorded_at, ...); and the bytes the
#    canonical must END with given the columns:
#    ,"recorded_at":"<ts>","schema_version":<1-9>,"stream_id":<s>,"type":<t>,"version":<v>}
#    These fast checks read bytes at known places instead of parsing the JSON
#    (a parse cost twice the sha256): bytes framed like an event but not
#    well-formed JSON pass them. The application only writes canonical_json
#    output, the chain and the seals bind whatever bytes are there, and every
#    reader that parses them (a replay, an offline bundle check) fails on
#    them. Anything the fast checks do not accept (a schema_version of 10 or
#    more, an unusual escape) goes to the slow check, a full jsonb parse
#    compared with @>. The OFFSET 0 fences keep the planner from evaluating
#    these expressions once per reference.
# k  the window (lag over the stream's versions) sorts only narrow rows.
# c  the first failure as min() over text arrays [stream_id, version, code]
#    in "C" order, the order of Python's str; NULL for rows that pass.
#
# Codes, in order of precedence for one event:
#   missing  the stream skips a version (reported at the missing version);
#   prev     prev_hash is not the previous event's hash (GENESIS for the first);
#   hash     hash is not sha256(prev_hash || canonical);
#   columns  event_id, stream_id, version, type or recorded_at disagree with
#            the canonical bytes.
# Rows after a gap are still checked; a gap is reported once, at its start.
_VERIFY = """
SELECT count(*) AS checked,
       min(CASE
           WHEN c.version <> c.pos AND coalesce(c.lag_version, 0) = c.pos - 1
               THEN ARRAY[c.stream_id, lpad(c.pos::text, 10, '0'), 'missing']
           WHEN c.prev_hash <> coalesce(c.lag_hash, '\\x{genesis}'::bytea)
               THEN ARRAY[c.stream_id, lpad(c.version::text, 10, '0'), 'prev']
           WHEN NOT c.hash_ok
               THEN ARRAY[c.stream_id, lpad(c.version::text, 10, '0'), 'hash']
           WHEN NOT c.columns_ok
               THEN ARRAY[c.stream_id, lpad(c.version::text, 10, '0'), 'columns']
       END COLLATE "C") AS first_failure
FROM (
    SELECT k.stream_id, k.version, k.prev_hash, k.hash_ok, k.columns_ok,
           row_number() OVER w AS pos,
           lag(k.version) OVER w AS lag_version,
           lag(k.hash) OVER w AS lag_hash
    FROM (
        SELECT x.stream_id, x.version, x.prev_hash, x.hash, x.hash_ok,
               (x.event_id_ok
                AND octet_length(x.canonical) > octet_length(x.tail) + octet_length(x.head)
                AND substr(x.canonical, octet_length(x.canonical) - octet_length(x.tail) + 1)
                    = x.tail
                AND get_byte(x.canonical, octet_length(x.canonical) - octet_length(x.tail) - 1)
                    BETWEEN 49 AND 57
                AND substr(x.canonical,
                           octet_length(x.canonical) - octet_length(x.tail) - octet_length(x.head),
                           octet_length(x.head)) = x.head) IS TRUE
               OR coalesce({slow_parse} @> jsonb_build_object(
                      'event_id', x.event_id::text, 'stream_id', x.stream_id,
                      'version', x.version, 'type', x.type,
                      'recorded_at', to_char(x.recorded_at AT TIME ZONE 'UTC',
                                             'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')),
                  false) AS columns_ok
        FROM (
            SELECT e.stream_id, e.version, e.event_id, e.type, e.recorded_at, e.canonical,
                   e.prev_hash, e.hash,
                   e.hash = sha256(e.prev_hash || e.canonical) AS hash_ok,
                   {event_id_expr} AS event_id_ok,
                   convert_to(',"stream_id":' || to_json(e.stream_id)::text
                              || ',"type":' || to_json(e.type)::text
                              || ',"version":' || e.version || '}}', 'UTF8') AS tail,
                   convert_to(',"recorded_at":"'
                              || to_char(e.recorded_at AT TIME ZONE 'UTC',
                                         'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
                              || '","schema_version":', 'UTF8') AS head
            FROM events e
            WHERE {where}
            OFFSET 0
        ) x
        OFFSET 0
    ) k
    WINDOW w AS (PARTITION BY k.stream_id ORDER BY k.version)
) c
"""


def _verify_sql(where: str, *, safe: bool) -> str:
    if safe:
        event_id_expr, slow_parse = "NULL::boolean", "events_try_jsonb(x.canonical)"
    else:
        event_id_expr = _EVENT_ID_AT_FIRST_KEY
        slow_parse = "convert_from(x.canonical, 'UTF8')::jsonb"
    return _VERIFY.format(
        where=where,
        genesis=GENESIS_HASH.hex(),
        event_id_expr=event_id_expr,
        slow_parse=slow_parse,
    )


_EVENT_ID_AT_FIRST_KEY = (
    "substr(e.canonical, position('\"event_id\":'::bytea in e.canonical) - 1, 63)"
    " = convert_to(',\"event_id\":\"' || e.event_id::text || '\",\"metadata\":{', 'UTF8')"
)
"""The fast event_id check: the first ``"event_id":`` key of the canonical bytes is
``,"event_id":"<the column>","metadata":{`` (63 bytes)."""

_VERIFY_STREAM = "e.stream_id = $1"
_VERIFY_PART = "(hashtext(e.stream_id)::bigint & 2147483647) % $1 = $2"

# Errors the fast path raises on canonical bytes that are not UTF-8 JSON.
_PARSE_ERRORS = (
    asyncpg.exceptions.DataError,
    asyncpg.exceptions.CharacterNotInRepertoireError,
    asyncpg.exceptions.UntranslatableCharacterError,
)


_parse_json = json.JSONDecoder().decode


def _decode(canonical: bytes, prev_hash: bytes, hash_: bytes, tx_id: int) -> RecordedEvent:
    document = _parse_json(canonical.decode("utf-8"))
    stream_id = document["stream_id"]
    version = document["version"]
    return RecordedEvent(
        event_id=uuid.UUID(document["event_id"]),
        stream_id=stream_id,
        version=version,
        type=document["type"],
        schema_version=document["schema_version"],
        data=document["data"],
        metadata=document["metadata"],
        recorded_at=datetime.fromisoformat(document["recorded_at"]),
        prev_hash=prev_hash,
        hash=hash_,
        position=Position(tx_id, stream_id, version),
        canonical=canonical,
    )


class EventLog:
    """The event log over an asyncpg pool (see :func:`store.database.create_pool`).

    Methods that take ``connection`` run on it, inside whatever transaction
    the caller has open there; without it they take a pooled connection and
    run as one autocommitted statement.
    """

    def __init__(self, pool: asyncpg.Pool, *, verify_parallelism: int = 2) -> None:
        self._pool = pool
        self._verify_parallelism = max(1, verify_parallelism)

    @property
    def pool(self) -> asyncpg.Pool:
        """The pool the log reads and writes through."""
        return self._pool

    async def append(
        self,
        stream_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        *,
        connection: asyncpg.Connection | None = None,
    ) -> list[RecordedEvent]:
        """Append ``events`` to ``stream_id`` as versions ``expected_version + 1 ...``.

        One round trip (the ``append_events`` function). Returns the recorded
        events. If the stream is not at ``expected_version``:

        - when the events already stored from ``expected_version + 1`` on have
          the same type, schema version, data and metadata (a retried append;
          ``recorded_at`` may differ), nothing is written and the STORED
          events are returned;
        - otherwise :class:`ConcurrencyConflict` is raised. Of two appends
          racing at the same version, exactly one wins.

        With ``connection``, the append joins the caller's transaction (a
        conflict then aborts that transaction, as any SQL error does).
        """
        args = _append_args(stream_id, expected_version, events)
        canonicals = args[5]
        try:
            if connection is not None:
                rows = await connection.fetch(_APPEND, *args)
            else:
                async with self._pool.acquire() as pooled:
                    rows = await pooled.fetch(_APPEND, *args)
        except asyncpg.PostgresError as error:
            conflict = _as_conflict(error, stream_id, expected_version)
            if conflict is None:
                raise
            raise conflict from error
        # row: version, prev_hash, hash, tx_id, stored_canonical (NULL if new)
        return [
            _decode(
                row[4] if row[4] is not None else canonicals[row[0] - expected_version - 1],
                row[1],
                row[2],
                row[3],
            )
            for row in sorted(rows, key=lambda row: row[0])
        ]

    async def append_with(self, stream_id: str, expected_version: int,
                          events: Sequence[NewEvent], along: Statement) -> int:
        """Append ``events`` as :meth:`append` does and run ``along`` (a read model's
        write) in the same statement: one round trip and one implicit transaction, so
        both are stored or neither. Returns the version of the last event.

        ``along`` runs whatever the append finds: a retried append that stores nothing
        runs it again, so it must be idempotent (the read models' upserts keep the
        newest version).
        """
        row = await self._append_along(_APPEND_WITH, stream_id, expected_version, events,
                                       along)
        return int(row[0])

    async def append_with_rows(self, stream_id: str, expected_version: int,
                               events: Sequence[NewEvent], along: Statement) -> tuple[int, int]:
        """:meth:`append_with` for a write ending in ``RETURNING``: the version of the last
        event and how many rows ``along`` wrote. An insert that does nothing on conflict
        tells a first append (1) from a retried one that stored nothing (0)."""
        row = await self._append_along(_APPEND_WITH_ROWS, stream_id, expected_version,
                                       events, along)
        return int(row["version"]), int(row["written"])

    async def _append_along(self, template: str, stream_id: str, expected_version: int,
                            events: Sequence[NewEvent], along: Statement) -> asyncpg.Record:
        """The one row of ``template`` (an append with ``along`` in its ``WITH``); a
        version conflict as :class:`ConcurrencyConflict`."""
        args = _append_args(stream_id, expected_version, events)
        sql = template.format(along=_shifted(along.sql, len(args)))
        try:
            async with self._pool.acquire() as pooled:
                row: asyncpg.Record = await pooled.fetchrow(sql, *args, *along.args)
        except asyncpg.PostgresError as error:
            conflict = _as_conflict(error, stream_id, expected_version)
            if conflict is None:
                raise
            raise conflict from error
        return row

    async def read_stream(
        self,
        stream_id: str,
        from_version: int = 1,
        *,
        connection: asyncpg.Connection | None = None,
    ) -> list[RecordedEvent]:
        """The events of ``stream_id`` from ``from_version`` on, in version order."""
        rows = await self._fetch(connection, _READ_STREAM, stream_id, from_version)
        return [_decode(*row) for row in rows]

    async def read_up_to_request(self, stream_id: str, request_id: str
                                 ) -> list[RecordedEvent]:
        """The events of ``stream_id`` up to the last one a request with ``request_id``
        appended (nothing when no event carries it): what a repeated request needs to
        answer with its first result."""
        rows = await self._fetch(None, _UP_TO_REQUEST, stream_id, request_id)
        return [_decode(*row) for row in rows]

    async def stream_version(
        self, stream_id: str, *, connection: asyncpg.Connection | None = None
    ) -> int:
        """The version of the last event of ``stream_id``; 0 for a stream with no events."""
        if connection is not None:
            return int(await connection.fetchval(_STREAM_VERSION, stream_id))
        async with self._pool.acquire() as pooled:
            return int(await pooled.fetchval(_STREAM_VERSION, stream_id))

    async def read_all(
        self,
        after: Position | None = None,
        limit: int = 1000,
        *,
        connection: asyncpg.Connection | None = None,
    ) -> list[RecordedEvent]:
        """Up to ``limit`` events after ``after``, in commit order, for catch-up readers.

        Events come in the order ``(tx_id, stream_id, version)``, where
        ``tx_id`` is the id of the transaction that wrote them, and only those
        written by transactions older than every transaction still running
        (``tx_id < pg_snapshot_xmin(pg_current_snapshot())``). A transaction
        may take its id early and commit late; until it ends, it holds back
        every event with a later id, so a reader that has passed a position
        never later finds an event before it: page with
        ``after=events[-1].position`` and nothing is ever skipped.

        The price: one long-running writing transaction anywhere on the
        server (ids are server-wide) delays what catch-up readers see, never
        what they get. An empty page means "nothing new yet", not "the end".
        """
        start = after if after is not None else START
        rows = await self._fetch(
            connection, _READ_ALL, start.tx_id, start.stream_id, start.version, limit
        )
        return [_decode(*row) for row in rows]

    async def verify_stream(self, stream_id: str) -> VerificationReport:
        """Check the chain of one stream in SQL; see :meth:`verify_all` for the checks."""
        async with self._pool.acquire() as connection:
            row = await _verify_query(connection, _VERIFY_STREAM, stream_id, alone=True)
            return await _report(connection, [row])

    async def verify_all(self) -> VerificationReport:
        """Check every stream of the log in SQL, and report the first failure.

        For every event, by ``(stream_id, version)``: versions run from 1
        with no gap; ``prev_hash`` is the previous event's ``hash`` (the
        genesis hash for version 1); ``hash = sha256(prev_hash || canonical)``;
        and ``event_id``, ``stream_id``, ``version``, ``type`` and
        ``recorded_at`` agree with the canonical bytes. The first failure by
        ``(stream_id, version)`` is reported (a missing event at its own
        version). The streams are split by a hash of their id across
        ``verify_parallelism`` connections that share one snapshot.

        What a chain cannot show: events removed from the END of a stream
        (the sealer's Merkle checkpoints cover that).
        """
        parts = min(self._verify_parallelism, self._pool.get_max_size())
        if parts == 1:
            async with self._pool.acquire() as connection:
                row = await _verify_query(connection, _VERIFY_PART, 1, 0, alone=True)
                return await _report(connection, [row])
        async with contextlib.AsyncExitStack() as stack:
            connections = [
                await stack.enter_async_context(self._pool.acquire()) for _ in range(parts)
            ]
            snapshot: str | None = None
            for connection in connections:
                await stack.enter_async_context(
                    connection.transaction(isolation="repeatable_read", readonly=True)
                )
                if snapshot is None:
                    snapshot = await connection.fetchval("SELECT pg_export_snapshot()")
                else:
                    await connection.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            rows = await asyncio.gather(
                *(
                    _verify_query(connection, _VERIFY_PART, parts, part, alone=False)
                    for part, connection in enumerate(connections)
                )
            )
            return await _report(connections[0], rows)

    async def _fetch(
        self, connection: asyncpg.Connection | None, query: str, *args: Any
    ) -> list[asyncpg.Record]:
        if connection is not None:
            return await connection.fetch(query, *args)
        async with self._pool.acquire() as pooled:
            return await pooled.fetch(query, *args)


async def _verify_query(
    connection: asyncpg.Connection, where: str, *args: Any, alone: bool
) -> asyncpg.Record:
    """Run the verification query; ``alone``: it may use parallel workers."""
    settings = "SET LOCAL work_mem = '64MB'"
    if not alone:
        settings += "; SET LOCAL max_parallel_workers_per_gather = 0"
    try:
        async with connection.transaction():
            await connection.execute(settings)
            return await connection.fetchrow(_verify_sql(where, safe=False), *args)
    except _PARSE_ERRORS:
        # Some canonical bytes are not UTF-8 JSON: run again with a parser
        # that turns them into a failure instead of an error.
        async with connection.transaction():
            await connection.execute(settings)
            return await connection.fetchrow(_verify_sql(where, safe=True), *args)


def _append_args(stream_id: str, expected_version: int, events: Sequence[NewEvent]
                 ) -> tuple[str, int, list[uuid.UUID], list[str], list[datetime], list[bytes]]:
    """The arguments of ``append_events``: ids, types, moments and canonical bytes."""
    if not events:
        raise ValueError("append needs at least one event")
    if expected_version < 0:
        raise ValueError("expected_version must be >= 0")
    now = datetime.now(UTC)
    ids: list[uuid.UUID] = []
    types: list[str] = []
    moments: list[datetime] = []
    canonicals: list[bytes] = []
    for version, event in enumerate(events, start=expected_version + 1):
        identifier = event_id(stream_id, version)
        moment = event.recorded_at if event.recorded_at is not None else now
        canonical = canonical_event(
            event_id=identifier,
            stream_id=stream_id,
            version=version,
            type=event.type,
            schema_version=event.schema_version,
            data=event.data,
            metadata=event.metadata,
            recorded_at=moment,
        )
        ids.append(identifier)
        types.append(event.type)
        moments.append(moment)
        canonicals.append(canonical)
    return (stream_id, expected_version, ids, types, moments, canonicals)


def _shifted(sql: str, by: int) -> str:
    """``sql`` with its parameters ``$k`` renumbered ``$(k + by)``."""
    return re.sub(r"\$(\d+)", lambda m: f"${int(m[1]) + by}", sql)


def _as_conflict(
    error: asyncpg.PostgresError, stream_id: str, expected_version: int
) -> ConcurrencyConflict | None:
    if error.sqlstate == CONFLICT_SQLSTATE:
        detail = json.loads(error.detail or "{}")
        return ConcurrencyConflict(stream_id, expected_version, int(detail.get("actual", -1)))
    if isinstance(error, asyncpg.exceptions.UniqueViolationError):
        return ConcurrencyConflict(stream_id, expected_version, -1)
    return None


_REASONS = {
    "missing": "version {version} is missing",
    "prev": "prev_hash is not the hash of the previous event",
    "hash": "hash is not sha256(prev_hash || canonical)",
}


async def _report(
    connection: asyncpg.Connection, rows: Sequence[asyncpg.Record]
) -> VerificationReport:
    checked = sum(row["checked"] for row in rows)
    failures = [
        (row["first_failure"][0], int(row["first_failure"][1]), row["first_failure"][2])
        for row in rows
        if row["first_failure"] is not None
    ]
    if not failures:
        return VerificationReport(ok=True, events_checked=checked)
    stream_id, version, code = min(failures)
    if code == "columns":
        reason = await _describe_column_failure(connection, stream_id, version)
    else:
        reason = _REASONS[code].format(version=version)
    return VerificationReport(
        ok=False,
        events_checked=checked,
        first_failure=Failure(stream_id=stream_id, version=version, reason=reason),
    )


async def _describe_column_failure(
    connection: asyncpg.Connection, stream_id: str, version: int
) -> str:
    row = await connection.fetchrow(
        "SELECT event_id, type, recorded_at, canonical FROM events"
        " WHERE stream_id = $1 AND version = $2",
        stream_id,
        version,
    )
    try:
        document = json.loads(row["canonical"])
        if not isinstance(document, dict):
            raise ValueError("not an object")
    except ValueError:
        return "canonical bytes are not a UTF-8 JSON object"
    columns = {
        "event_id": str(row["event_id"]),
        "stream_id": stream_id,
        "version": version,
        "type": row["type"],
        "recorded_at": format_timestamp(row["recorded_at"]),
    }
    differing = [name for name, value in columns.items() if document.get(name) != value]
    return "columns disagree with the canonical bytes: " + ", ".join(differing or ["?"])


__all__ = [
    "APPEND_ONLY_SQLSTATE",
    "CONFLICT_SQLSTATE",
    "START",
    "ConcurrencyConflict",
    "EventLog",
    "Failure",
    "NewEvent",
    "Position",
    "RecordedEvent",
    "VerificationReport",
]
