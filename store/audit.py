"""What inspectors read: trails with their sequence, online verification, export bundles,
and the access stream of recorded reads (domain.access).

Online verification (:meth:`Auditor.verify_all`) checks the database against
itself AND against what it signed, in this order, and names the first
failure:

1. ``chain``: every stream's hash chain (:meth:`EventLog.verify_all`): a
   changed event, or one removed from the middle of its stream;
2. ``seal``: the sequence is gapless (seq 0 .. n-1); every seal has its event
   (an event removed from the END of its stream shows here), with the same id
   and ``leaf_hash = SHA-256(0x00 || events.hash)`` (a stream rewritten with a
   consistent chain shows here); no event older than the last sealed one is
   left unsealed (an event slipped into the past);
3. ``tree``: every stored node is the hash of its two children and every
   complete subtree is stored (a rewritten seal table shows here); the
   levels are read in runs of concatenated hashes and the parents hashed
   here, since SHA-256 in PostgreSQL is several times slower than hashlib's;
4. ``checkpoint``: every checkpoint's signature is valid for the configured
   public key and its root is the root of the stored tree at its size (a
   tree rebuilt over rewritten events shows here: no one without the key can
   sign its new root); and, when a checkpoint log file is configured, every
   checkpoint in that file (outside the database) is in the database with
   the same root (deleting recent checkpoints and the tree's tail shows here).

Beside the checks, each report gives the unsealed backlog (:class:`Backlog`):
the committed events that carry no seal yet and the age of the oldest (for
one stream, that stream's). A backlog older than ``unsealed_warning_seconds``
means the sealer is not keeping up or not running: the report says so
(``sealed`` false, the warning ``unsealed-backlog`` and a note) without
failing the checks, since those events are not wrong, only not yet provable.

What no online check can show is a database rewritten together with its
checkpoints by someone holding the signing key; an inspector's earlier
bundle (``kinerja verify NEW --against EARLIER``) or a copy of the checkpoint
log still shows that.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from domain.bundle import BUNDLE_FORMAT, ProofTrimmer, event_line
from domain.checkpoint import Checkpoint, key_id, verify_checkpoint
from domain.integrity import format_timestamp
from domain.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    parent_hashes,
    perfect_subtrees,
    verify_inclusion,
)
from store import tree
from store.event_log import ConcurrencyConflict, EventLog, NewEvent, RecordedEvent


@dataclass(frozen=True)
class AuditFailure:
    """The first failure of a verification, and where."""

    check: str
    """``chain``, ``seal``, ``tree`` or ``checkpoint``."""
    reason: str
    stream_id: str | None = None
    version: int | None = None
    seq: int | None = None


@dataclass(frozen=True)
class Backlog:
    """Committed events without a seal yet (of the whole log, or of one stream)."""

    events: int
    oldest_recorded_at: datetime | None
    age_seconds: float | None
    """How long ago the oldest unsealed event was recorded (0 when in the future)."""
    versions: tuple[int, ...] | None = None
    """One stream's unsealed versions (None for the whole log)."""


UNSEALED_BACKLOG = "unsealed-backlog"
"""The warning of a report whose oldest unsealed event is older than the threshold."""


@dataclass
class AuditReport:
    ok: bool
    events_checked: int = 0
    tree_size: int = 0
    checkpoints_checked: int = 0
    latest_checkpoint: Checkpoint | None = None
    first_failure: AuditFailure | None = None
    notes: list[str] = field(default_factory=list)
    backlog: Backlog | None = None
    sealed: bool = True
    """False when events have waited for a seal longer than the threshold."""
    warnings: list[str] = field(default_factory=list)


_SEAL_CHECK = """
SELECT s.seq, coalesce(s.stream_id, e.stream_id) AS stream_id,
       coalesce(s.version, e.version) AS version,
       CASE WHEN e.event_id IS NULL THEN 'missing'
            WHEN s.seq IS NULL THEN 'unsealed'
            WHEN s.event_id <> e.event_id OR s.tx_id <> e.tx_id THEN 'moved'
            ELSE 'leaf' END AS code
FROM (SELECT * FROM seals {where}) s
FULL JOIN (SELECT * FROM events {where}) e ON e.stream_id = s.stream_id AND e.version = s.version
WHERE (e.event_id IS NULL
       OR (s.seq IS NULL AND (e.tx_id, e.stream_id, e.version) <= ($1::xid8, $2::text, $3::int))
       OR (s.seq IS NOT NULL AND (s.leaf_hash <> sha256('\\x00'::bytea || e.hash)
                                  OR s.event_id <> e.event_id OR s.tx_id <> e.tx_id)))
ORDER BY s.seq NULLS LAST, 2, 3
LIMIT 1
"""
"""The first event whose seal is wrong; $1-$3: the position of the last sealed event."""

_BACKLOG = """
SELECT count(*) AS n, min(recorded_at) AS oldest FROM events
WHERE (tx_id, stream_id, version) > ($1::xid8, $2::text, $3::integer)
"""
"""The committed events after the last sealed one (the sealer seals in this order; an
unsealed event before it is a ``seal`` failure, found by the seal check)."""

_STREAM_BACKLOG = """
SELECT e.version, e.recorded_at FROM events e
WHERE e.stream_id = $1
  AND NOT EXISTS (SELECT 1 FROM seals s WHERE s.stream_id = e.stream_id
                                         AND s.version = e.version)
ORDER BY e.version
"""

_LAST_SEALED = "SELECT tx_id, stream_id, version FROM seals ORDER BY seq DESC LIMIT 1"

_SEAL_REASONS = {
    "missing": "the sealed event is missing from the log",
    "unsealed": "the event is older than the last sealed one but has no seal",
    "moved": "the event is not the one that was sealed (id or transaction differs)",
    "leaf": "the event's hash is not the sealed leaf (its content or chain changed)",
}

_TREE_WINDOW = 1 << 15
"""Parent nodes checked per round trip of the tree check (2 MB of child hashes)."""

_LEAF_HASHES = ("SELECT string_agg(leaf_hash, ''::bytea ORDER BY seq) FROM seals"
                " WHERE seq >= $1 AND seq < $2")
"""A run of leaf hashes, concatenated in sequence order (seqs [$1, $2))."""
_NODE_HASHES = ("SELECT string_agg(hash, ''::bytea ORDER BY idx) FROM merkle_nodes"
                " WHERE level = $1 AND idx >= $2 AND idx < $3")
"""A run of one level's node hashes, concatenated in index order ($1 level, [$2, $3))."""


class ProofRefused(LookupError):
    """No proof for these parameters: which one, why, and the HTTP-like status
    (404 nothing there, 409 not in that checkpoint, 422 out of order)."""

    def __init__(self, parameter: str, reason: str, status: int) -> None:
        super().__init__(reason)
        self.parameter, self.reason, self.status = parameter, reason, status


@dataclass(frozen=True)
class InclusionProof:
    checkpoint: Checkpoint
    seq: int
    leaf_hash: bytes
    proof: list[bytes]


@dataclass(frozen=True)
class ConsistencyProof:
    old: Checkpoint
    new: Checkpoint
    proof: list[bytes]


class Auditor:
    """Online verification, trails and exports over the application's pool."""

    def __init__(self, pool: asyncpg.Pool, *, public_key: bytes | None = None,
                 checkpoint_log: Path | None = None,
                 unsealed_warning_seconds: float = 60.0) -> None:
        self._pool = pool
        self._log = EventLog(pool)
        self.public_key = public_key
        self._checkpoint_log = checkpoint_log
        self.unsealed_warning_seconds = unsealed_warning_seconds

    # ------------------------------------------------------------------ trails

    async def trail(self, stream_id: str) -> list[tuple[RecordedEvent, int | None]]:
        """The stream's events with their global sequence (None: not sealed yet)."""
        async with self._pool.acquire() as connection, connection.transaction(
                isolation="repeatable_read", readonly=True):
            events = await self._log.read_stream(stream_id, connection=connection)
            rows = await connection.fetch(
                "SELECT version, seq FROM seals WHERE stream_id = $1", stream_id)
        seqs = {row["version"]: row["seq"] for row in rows}
        return [(event, seqs.get(event.version)) for event in events]

    # ------------------------------------------------------------ verification

    async def verify_all(self) -> AuditReport:
        """The whole log: chains, sequence, tree, checkpoints (see the module).

        The chains are checked (on their own connections) while the seals, the
        tree and the checkpoints are; a chain failure is reported first.
        """
        chains_task = asyncio.ensure_future(self._log.verify_all())
        report = AuditReport(ok=True)
        try:
            checkpoints = await self._verify_sealed(report)
        except BaseException:
            chains_task.cancel()
            with contextlib.suppress(BaseException):
                await chains_task
            raise
        chains = await chains_task
        report.events_checked = chains.events_checked
        if chains.first_failure is not None:
            failure = chains.first_failure
            return self._failed(report, "chain", failure.reason, failure.stream_id,
                                failure.version)
        if report.ok:
            await self._check_checkpoint_log(report, checkpoints)
        return report

    async def _verify_sealed(self, report: AuditReport) -> list[Checkpoint]:
        async with self._pool.acquire() as connection, connection.transaction(
                isolation="repeatable_read", readonly=True):
            row = await connection.fetchrow(_BACKLOG, *await _last_sealed(connection))
            self._backlog(report, row["n"], row["oldest"])
            size = await self._contiguous_size(connection, report)
            if size is None:
                return []
            report.tree_size = size
            row = await connection.fetchrow(_SEAL_CHECK.format(where=""),
                                            *await _last_sealed(connection))
            if row is not None:
                self._failed(report, "seal", _SEAL_REASONS[row["code"]],
                             row["stream_id"], row["version"], row["seq"])
                return []
            if not await self._check_nodes(connection, report, size):
                return []
            rows = await connection.fetch(
                "SELECT tree_size, root, signed_at, key_id, signature FROM checkpoints"
                " ORDER BY tree_size")
            checkpoints = [tree.checkpoint_from_row(row) for row in rows]
            await self._check_checkpoints(connection, report, checkpoints, size)
            return checkpoints

    async def verify_stream(self, stream_id: str) -> AuditReport:
        """One stream: its chain, its seals, and each sealed event's inclusion proof
        against the latest checkpoint (signature checked)."""
        chain = await self._log.verify_stream(stream_id)
        report = AuditReport(ok=True, events_checked=chain.events_checked)
        if chain.first_failure is not None:
            failure = chain.first_failure
            return self._failed(report, "chain", failure.reason, failure.stream_id,
                                failure.version)
        async with self._pool.acquire() as connection, connection.transaction(
                isolation="repeatable_read", readonly=True):
            report.tree_size = await tree.sealed_size(connection)
            unsealed = await connection.fetch(_STREAM_BACKLOG, stream_id)
            self._backlog(report, len(unsealed),
                          min((r["recorded_at"] for r in unsealed), default=None),
                          tuple(r["version"] for r in unsealed))
            row = await connection.fetchrow(
                _SEAL_CHECK.format(where="WHERE stream_id = $4"),
                *await _last_sealed(connection), stream_id)
            if row is not None:
                return self._failed(report, "seal", _SEAL_REASONS[row["code"]],
                                    row["stream_id"], row["version"], row["seq"])
            latest = await tree.latest_checkpoint(connection)
            if latest is None:
                report.notes.append("no checkpoint yet: inclusion not checked")
                return report
            report.latest_checkpoint = latest
            report.checkpoints_checked = 1
            if not self._signature_ok(report, latest):
                return report
            seals = await connection.fetch(
                "SELECT seq, version, leaf_hash FROM seals WHERE stream_id = $1"
                " AND seq < $2 ORDER BY version", stream_id, latest.tree_size)
            proofs = await tree.inclusion_proofs(
                connection, [s["seq"] for s in seals], latest.tree_size)
            for seal, proof in zip(seals, proofs, strict=True):
                if not verify_inclusion(seal["leaf_hash"], seal["seq"], latest.tree_size, proof,
                                        latest.root):
                    return self._failed(
                        report, "tree", "the event's inclusion proof does not lead to the root"
                        f" signed at size {latest.tree_size}", stream_id, seal["version"],
                        seal["seq"])
        return report

    def _backlog(self, report: AuditReport, count: int, oldest: datetime | None,
                 versions: tuple[int, ...] | None = None) -> None:
        age = None
        if oldest is not None:
            age = round(max(0.0, (datetime.now(UTC) - oldest).total_seconds()), 3)
        report.backlog = Backlog(count, oldest, age, versions)
        if count and age is not None and age >= self.unsealed_warning_seconds:
            report.sealed = False
            report.warnings.append(UNSEALED_BACKLOG)
            report.notes.append(
                f"{count} committed event{'s' if count != 1 else ''} not sealed yet, the "
                f"oldest recorded {age:.0f}s ago (over {self.unsealed_warning_seconds:g}s): "
                "is the sealer running? They are checked in their chains but not in the "
                "tree or any checkpoint")

    def _failed(self, report: AuditReport, check: str, reason: str, stream_id: str | None = None,
                version: int | None = None, seq: int | None = None) -> AuditReport:
        report.ok = False
        report.first_failure = AuditFailure(check, reason, stream_id, version, seq)
        return report

    def _signature_ok(self, report: AuditReport, checkpoint: Checkpoint) -> bool:
        if self.public_key is None:
            note = "no public key configured: signatures not checked"
            if note not in report.notes:
                report.notes.append(note)
            return True
        if verify_checkpoint(self.public_key, checkpoint):
            return True
        expected = key_id(self.public_key)
        which = "" if checkpoint.key_id == expected else f" (key {checkpoint.key_id}, " \
            f"expected {expected})"
        self._failed(report, "checkpoint", f"the signature of the checkpoint of size "
                     f"{checkpoint.tree_size} is not valid{which}")
        return False

    async def _contiguous_size(self, connection: asyncpg.Connection, report: AuditReport
                               ) -> int | None:
        count, size = await connection.fetchrow(
            "SELECT count(*), coalesce(max(seq) + 1, 0) FROM seals")
        if count != size:
            gap = await connection.fetchval(
                "SELECT s.seq + 1 FROM seals s WHERE NOT EXISTS"
                " (SELECT 1 FROM seals t WHERE t.seq = s.seq + 1) AND s.seq + 1 < $1"
                " ORDER BY s.seq LIMIT 1", size)
            gap = 0 if gap is None else gap
            self._failed(report, "seal", f"the sequence has a gap at seq {gap}", seq=gap)
            return None
        return int(size)

    async def _check_nodes(self, connection: asyncpg.Connection, report: AuditReport,
                           size: int) -> bool:
        rows = await connection.fetch(
            "SELECT level, count(*) AS n, max(idx) AS top FROM merkle_nodes GROUP BY level")
        counts = {row["level"]: (row["n"], row["top"]) for row in rows}
        for level in range(1, max(size.bit_length(), 1)):
            expected = size >> level
            n, top = counts.pop(level, (0, -1))
            if expected and (n != expected or top != expected - 1):
                self._failed(report, "tree", f"level {level} holds {n} nodes, not {expected}")
                return False
        extra = [level for level, (n, _) in counts.items() if n]
        if extra:
            self._failed(report, "tree", f"nodes beyond the sealed tree at level {extra[0]}")
            return False
        # Level by level, in windows: each window's children and parents as two
        # concatenated runs of hashes; the parents are hashed here (SHA-256 in
        # PostgreSQL is several times slower than hashlib's).
        for level in range(1, max(size.bit_length(), 1)):
            count = size >> level
            for first in range(0, count, _TREE_WINDOW):
                last = min(count, first + _TREE_WINDOW)
                children = await (
                    connection.fetchval(_LEAF_HASHES, 2 * first, 2 * last) if level == 1
                    else connection.fetchval(_NODE_HASHES, level - 1, 2 * first, 2 * last)
                ) or b""
                stored = await connection.fetchval(_NODE_HASHES, level, first, last) or b""
                # In a thread: the event loop goes on serving requests meanwhile.
                computed = await asyncio.to_thread(parent_hashes, children)
                if computed != stored:
                    index = first + _first_difference(computed, stored) // HASH_SIZE
                    self._failed(report, "tree", f"node ({level}, {index}) over leaves "
                                 f"{index << level}..{((index + 1) << level) - 1} is not the"
                                 " hash of its children", seq=index << level)
                    return False
        return True

    async def _check_checkpoints(self, connection: asyncpg.Connection, report: AuditReport,
                                 checkpoints: Sequence[Checkpoint], size: int) -> None:
        wanted = {node for c in checkpoints if 0 < c.tree_size <= size
                  for node in perfect_subtrees(0, c.tree_size)}
        nodes = await tree.fetch_nodes(connection, wanted)
        for checkpoint in checkpoints:
            report.checkpoints_checked += 1
            report.latest_checkpoint = checkpoint
            if not self._signature_ok(report, checkpoint):
                return
            if checkpoint.tree_size > size:
                self._failed(report, "checkpoint", f"the checkpoint of size "
                             f"{checkpoint.tree_size} is beyond the sealed tree ({size})")
                return
            root = (tree.fold_ranges([(0, checkpoint.tree_size)], nodes)[0]
                    if checkpoint.tree_size else EMPTY_ROOT)
            if root != checkpoint.root:
                self._failed(report, "checkpoint", f"the stored tree's root at size "
                             f"{checkpoint.tree_size} is not the signed root")
                return

    async def _check_checkpoint_log(self, report: AuditReport,
                                    checkpoints: Sequence[Checkpoint]) -> None:
        path = self._checkpoint_log
        if path is None or not path.exists():
            return
        from store.sealer import read_checkpoint_log

        logged = await asyncio.to_thread(read_checkpoint_log, path)
        stored = {c.tree_size: c.root for c in checkpoints}
        for checkpoint in logged:
            if stored.get(checkpoint.tree_size) != checkpoint.root:
                self._failed(report, "checkpoint", f"the checkpoint of size "
                             f"{checkpoint.tree_size} in {path.name} is not in the database")
                return

    # ----------------------------------------------------------------- exports

    # ------------------------------------------------------------------ proofs

    async def latest_checkpoint(self) -> Checkpoint | None:
        async with self._pool.acquire() as connection:
            return await tree.latest_checkpoint(connection)

    async def inclusion(self, stream_id: str, version: int, tree_size: int | None
                        ) -> InclusionProof:
        """The inclusion proof of one sealed event in a checkpoint (the latest without
        ``tree_size``), read in one snapshot; :class:`ProofRefused` naming the
        parameter when there is none."""
        async with self._pool.acquire() as connection, connection.transaction(
                isolation="repeatable_read", readonly=True):
            checkpoint = (await tree.checkpoint_at(connection, tree_size) if tree_size
                          else await tree.latest_checkpoint(connection))
            if checkpoint is None:
                raise ProofRefused("tree_size", "no checkpoint of this size", 404)
            seal = await tree.seal_of(connection, stream_id, version)
            if seal is None:
                raise ProofRefused("version", "no sealed event at this version", 404)
            if seal.seq >= checkpoint.tree_size:
                raise ProofRefused("tree_size",
                                   f"the event (seq {seal.seq}) is not in this checkpoint", 409)
            proof = await tree.inclusion_proof(connection, seal.seq, checkpoint.tree_size)
        return InclusionProof(checkpoint=checkpoint, seq=seal.seq, leaf_hash=seal.leaf_hash,
                              proof=proof)

    async def consistency(self, old_size: int, new_size: int | None) -> ConsistencyProof:
        """The consistency proof of an older checkpoint in a newer one (the latest
        without ``new_size``), read in one snapshot."""
        async with self._pool.acquire() as connection, connection.transaction(
                isolation="repeatable_read", readonly=True):
            old = await tree.checkpoint_at(connection, old_size)
            if old is None:
                raise ProofRefused("old_size", "no checkpoint of this size", 404)
            new = (await tree.checkpoint_at(connection, new_size) if new_size
                   else await tree.latest_checkpoint(connection))
            if new is None:
                raise ProofRefused("new_size", "no checkpoint of this size", 404)
            if new.tree_size < old.tree_size:
                raise ProofRefused("new_size", "must not be smaller than old_size", 422)
            proof = await tree.consistency_proof(connection, old.tree_size, new.tree_size)
        return ConsistencyProof(old=old, new=new, proof=proof)

    async def cycle_streams(self, cycle_id: str, unit: str | None
                            ) -> list[tuple[str, str]]:
        """(appraisal id, agency) of a cycle's appraisals (of one unit), by id."""
        rows = await self._pool.fetch(
            "SELECT appraisal_id, agency FROM appraisal_summaries WHERE cycle_id = $1"
            " AND ($2::text IS NULL OR unit = $2) ORDER BY appraisal_id", cycle_id, unit)
        return [(row["appraisal_id"], row["agency"]) for row in rows]

    async def export(self, stream_ids: Sequence[str], scope: dict[str, str],
                     public_key: bytes | None) -> AsyncIterator[bytes]:
        """A bundle (domain.bundle) of whole streams, as JSON lines, read in one snapshot.

        Events are read in pages of 1,000 and each page's inclusion proofs
        come from one query, so memory stays flat whatever the scope.
        """
        async with self._pool.acquire() as connection, connection.transaction(
                isolation="repeatable_read", readonly=True):
            yield _line({"kind": "bundle", "format": BUNDLE_FORMAT, "scope": scope,
                         "exported_at": format_timestamp(datetime.now(UTC)),
                         "public_key": base64.b64encode(public_key or b"").decode("ascii"),
                         "key_id": key_id(public_key) if public_key else None,
                         "streams": len(stream_ids)})
            anchor = await tree.latest_checkpoint(connection)
            checkpoints: list[Checkpoint] = []
            if anchor is not None:
                sizes = await connection.fetch(
                    "SELECT DISTINCT (SELECT min(c.tree_size) FROM checkpoints c"
                    "                 WHERE c.tree_size > s.seq) AS size"
                    " FROM seals s WHERE s.stream_id = ANY($1::text[]) AND s.seq < $2",
                    list(stream_ids), anchor.tree_size)
                wanted = sorted({row["size"] for row in sizes} - {anchor.tree_size})
                for size in wanted:
                    found = await tree.checkpoint_at(connection, size)
                    if found is not None:
                        checkpoints.append(found)
                checkpoints.append(anchor)
            for checkpoint in checkpoints:
                yield _line({"kind": "checkpoint", **checkpoint.to_json()})
            for checkpoint in checkpoints[:-1]:
                assert anchor is not None
                proof = await tree.consistency_proof(connection, checkpoint.tree_size,
                                                     anchor.tree_size)
                yield _line({"kind": "consistency", "old_size": checkpoint.tree_size,
                             "new_size": anchor.tree_size, "proof": [p.hex() for p in proof]})
            covered = anchor.tree_size if anchor is not None else 0
            trimmer = ProofTrimmer(covered)
            events = 0
            cursor = connection.cursor(
                "SELECT e.canonical, e.hash, s.seq FROM events e"
                " LEFT JOIN seals s ON s.stream_id = e.stream_id AND s.version = e.version"
                "  AND s.seq < $2"
                " WHERE e.stream_id = ANY($1::text[]) ORDER BY e.stream_id, e.version",
                list(stream_ids), covered, prefetch=1000)
            page: list[asyncpg.Record] = []
            async for row in cursor:
                page.append(row)
                if len(page) == 1000:
                    yield await _event_lines(connection, page, trimmer)
                    events += len(page)
                    page = []
            if page:
                yield await _event_lines(connection, page, trimmer)
                events += len(page)
            yield _line({"kind": "end", "events": events, "checkpoints": len(checkpoints)})

    # ------------------------------------------------------------ access stream

    async def record_access(self, agency: str, what: str, metadata: dict[str, Any], /, *,
                            event_type: str = "InspectorRead", **details: Any) -> None:
        """Append one read to the agency's access stream ``access-<agency>``
        (``InspectorRead`` or, for HR's reads of personal data, ``HrRead``)."""
        stream_id = access_stream(agency)
        event = NewEvent(event_type, {"what": what, **details}, metadata=metadata)
        for _ in range(20):
            version = await self._log.stream_version(stream_id)
            try:
                await self._log.append(stream_id, version, [event])
                return
            except ConcurrencyConflict:
                continue
        raise RuntimeError(f"could not append to {stream_id}: too much contention")


async def _event_lines(connection: asyncpg.Connection, page: list[asyncpg.Record],
                       trimmer: ProofTrimmer) -> bytes:
    """The bundle lines of a page of events, with their trimmed proofs from one query."""
    sealed = [row["seq"] for row in page if row["seq"] is not None]
    proofs = iter(await tree.inclusion_proofs(
        connection, sealed, trimmer.tree_size, lengths=[trimmer.needed(seq) for seq in sealed]))
    return b"".join(
        event_line(row["seq"], row["hash"], next(proofs) if row["seq"] is not None else None,
                   row["canonical"])
        for row in page)


async def _last_sealed(connection: asyncpg.Connection) -> tuple[int, str, int]:
    row = await connection.fetchrow(_LAST_SEALED)
    return (row["tx_id"], row["stream_id"], row["version"]) if row else (0, "", 0)


def _first_difference(left: bytes, right: bytes) -> int:
    """The offset of the first byte where ``left`` and ``right`` differ (one may be shorter)."""
    for offset, (a, b) in enumerate(zip(left, right, strict=False)):
        if a != b:
            return offset
    return min(len(left), len(right))


def access_stream(agency: str) -> str:
    """The stream of the recorded reads of ``agency`` (``domain.access``)."""
    return f"access-{agency}"


def _line(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode("utf-8") + b"\n"
