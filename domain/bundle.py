"""Export bundles and their offline verification (``kinerja verify``): no database, no network.

A bundle is UTF-8 JSON lines (format ``kinerja-bundle/2``), in this order:

1. ``{"kind": "bundle", "format": "kinerja-bundle/2", "scope": {...},
   "exported_at": ..., "public_key": <base64 raw Ed25519>, "key_id": ...}``
2. ``{"kind": "checkpoint", ...}`` (:meth:`Checkpoint.to_json`), by growing
   tree size; the LAST one is the anchor: every inclusion proof is against it.
   The others are, for each event, the first checkpoint that covered it.
3. ``{"kind": "consistency", "old_size", "new_size", "proof": [hex]}``: from
   each non-anchor checkpoint to the anchor.
4. ``{"kind":"event","seq":...,"hash":<hex>,"proof":[hex],"event":<the
   event's canonical JSON, verbatim>}`` (:func:`event_line`: exactly this
   key order, no spaces, ``event`` last) for every event of each stream in
   scope, whole streams, grouped by stream in version order. The canonical
   bytes, which the chain hashes, are the bytes of the ``event`` value as
   they stand in the line. ``seq`` and ``proof`` are ``null`` for an event
   the anchor does not cover yet (sealed later). A proof is TRIMMED: it
   stops at the first node that the proofs of the events before it in the
   bundle already proved (:class:`ProofTrimmer`), so a stream of
   neighbouring events costs one or two hashes each, not the whole path.
   A full proof is accepted too.
5. ``{"kind": "end", "events": n, "checkpoints": m}``: a truncated bundle fails.

Format ``kinerja-bundle/1`` bundles (events as ``"canonical": <base64>`` with
``prev_hash`` and full proofs) still verify.

:func:`verify_bundle` checks, and names the first failure of: the format;
every checkpoint's Ed25519 signature (with the bundle's key, or a pinned key
given by the caller); consistency of each checkpoint with the anchor; per
stream, versions from 1 without gap, ``event_id`` derived from stream and
version, ``prev_hash`` chaining from genesis, ``hash = SHA-256(prev_hash ||
canonical)``; per sealed event, a unique ``seq`` growing with the version,
``leaf = SHA-256(0x00 || hash)`` included at ``seq`` in the anchor (RFC 9162);
and a replay of every appraisal stream through ``domain.appraisal.evolve`` to
its final state. :func:`compare_bundles` then shows whether a later bundle
still holds what an earlier one proved (see its documentation).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from domain.appraisal import AppraisalState, event_from_data, evolve
from domain.checkpoint import Checkpoint, key_id, verify_checkpoint
from domain.integrity import EVENT_ID_NAMESPACE, GENESIS_HASH, chain_hash
from domain.merkle import (
    HASH_SIZE,
    inclusion_proof_ranges,
    leaf_hash,
    node_hash,
    verify_consistency,
)

BUNDLE_FORMAT = "kinerja-bundle/2"
_FORMAT_1 = "kinerja-bundle/1"
_EVENT_LINE_START = b'{"kind":"event",'
_EVENT_MEMBER = b',"event":'
_LINE_END = frozenset(b" \t\r\n")
APPRAISAL_STREAM_PREFIX = "appraisal-"
"""Streams replayed as appraisals; others (access streams) are checked, not replayed."""


@dataclass(frozen=True)
class BundleFailure:
    """The first thing that is wrong, and where."""

    reason: str
    stream_id: str | None = None
    version: int | None = None
    seq: int | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = []
        if self.stream_id is not None:
            where.append(f"stream {self.stream_id}")
        if self.version is not None:
            where.append(f"version {self.version}")
        if self.seq is not None:
            where.append(f"seq {self.seq}")
        if self.line is not None:
            where.append(f"line {self.line}")
        return (", ".join(where) + ": " if where else "") + self.reason


@dataclass
class BundleReport:
    """What :func:`verify_bundle` found."""

    ok: bool = True
    failure: BundleFailure | None = None
    events: int = 0
    sealed: int = 0
    streams: int = 0
    checkpoints: list[Checkpoint] = field(default_factory=list)
    key_id: str | None = None
    final_states: dict[str, ReplayedState] = field(default_factory=dict)
    """What each appraisal stream replayed to (with ``replay``)."""
    hashes: dict[tuple[str, int], tuple[bytes, int | None]] = field(default_factory=dict)
    """(stream, version) -> (hash, seq) of every event, for :func:`compare_bundles`."""

    @property
    def anchor(self) -> Checkpoint | None:
        return self.checkpoints[-1] if self.checkpoints else None


class _Failed(Exception):
    def __init__(self, failure: BundleFailure) -> None:
        super().__init__(str(failure))
        self.failure = failure


def _fail(reason: str, **where: Any) -> _Failed:
    return _Failed(BundleFailure(reason=reason, **where))


def _hash(value: Any, what: str, line: int) -> bytes:
    try:
        decoded = bytes.fromhex(value) if isinstance(value, str) else b""
    except ValueError:
        decoded = b""
    if len(decoded) != HASH_SIZE:
        raise _fail(f"{what} is not a 32-byte hex hash", line=line)
    return decoded


class ProofTrimmer:
    """Which part of each inclusion proof a bundle must carry (the exporter's side).

    Mirrors :class:`_InclusionChecker`: the verifier walks up from a leaf and
    stops at the first node already proven (the root, or a node on the path
    of an earlier event of the bundle), so only the siblings below that node
    are needed. Call :meth:`needed` for each sealed event in bundle order.
    """

    def __init__(self, tree_size: int) -> None:
        self.tree_size = tree_size
        self._proven: set[tuple[int, int]] = {(0, tree_size)}

    def needed(self, index: int) -> int:
        """How many elements of leaf ``index``'s proof (from the bottom) the verifier
        needs, given the events before it; records the nodes this proof proves."""
        proven = self._proven
        begin, end = index, index + 1
        if (begin, end) in proven:
            return 0
        path: list[tuple[int, int]] = []
        for count, (sibling_begin, sibling_end) in enumerate(
                inclusion_proof_ranges(index, self.tree_size), start=1):
            begin, end = min(begin, sibling_begin), max(end, sibling_end)
            if (begin, end) in proven:
                proven.update(path)
                return count
            path.append((begin, end))
        raise AssertionError("the path always reaches the root")  # pragma: no cover


def event_line(seq: int | None, hash_: bytes, proof: Sequence[bytes] | None,
               canonical: bytes) -> bytes:
    """One event line of a ``kinerja-bundle/2`` bundle, the canonical bytes verbatim last."""
    head = json.dumps({"kind": "event", "seq": seq, "hash": hash_.hex(),
                       "proof": None if proof is None else [p.hex() for p in proof]},
                      separators=(",", ":"))
    return head[:-1].encode("ascii") + _EVENT_MEMBER + canonical + b"}\n"


class _InclusionChecker:
    """RFC 9162 inclusion against one root, remembering every node already proven.

    Walking up from a leaf, the proof's siblings give each ancestor's hash;
    once an ancestor equals a node proven by an earlier proof, the rest of
    the path is proven too, and the proof may end there (a trimmed proof,
    see :class:`ProofTrimmer`). Contiguous leaves share all but their lowest
    nodes, so a whole bundle costs about two node hashes per event. (So a
    full proof whose elements above such a node are wrong is still accepted:
    what is checked is that the leaf is in the tree, and that is proven.)
    """

    def __init__(self, tree_size: int, root: bytes) -> None:
        self.tree_size = tree_size
        self._proven: dict[tuple[int, int], bytes] = {(0, tree_size): root}

    def verify(self, index: int, leaf: bytes, proof: Sequence[bytes | str]) -> bool:
        """Whether ``leaf`` is at ``index``; proof elements as bytes or hex, decoded lazily."""
        size = self.tree_size
        if not 0 <= index < size:
            return False
        proven = self._proven
        if size == 1:
            return not proof and leaf == proven[(0, 1)]
        path: list[tuple[tuple[int, int], bytes]] = []
        begin, end, current, step, width = index, index + 1, leaf, 0, 1
        # Bottom-up through the perfect, aligned ancestors: each sibling is the other half.
        # These are the first elements of PATH (domain.merkle.inclusion_proof_ranges).
        while True:
            parent = begin & ~(2 * width - 1)
            if parent + 2 * width > size:
                break
            sibling = _element(proof, step)
            if sibling is None:
                return False
            current = node_hash(current, sibling) if begin == parent else \
                node_hash(sibling, current)
            begin, end, width, step = parent, parent + 2 * width, width * 2, step + 1
            known = proven.get((begin, end))
            if known is not None:
                return self._settle(known, current, path)
            path.append(((begin, end), current))
        # The right spine of an incomplete tree: the rest of PATH, top-down computed.
        for sibling_begin, sibling_end in inclusion_proof_ranges(index, size)[step:]:
            sibling = _element(proof, step)
            if sibling is None:
                return False
            step += 1
            if sibling_begin == end:
                current = node_hash(current, sibling)
                end = sibling_end
            else:
                current = node_hash(sibling, current)
                begin = sibling_begin
            known = proven.get((begin, end))
            if known is not None:
                return self._settle(known, current, path)
            path.append(((begin, end), current))
        return False  # pragma: no cover - the last range always reaches (0, tree_size)

    def _settle(self, known: bytes, current: bytes,
                path: list[tuple[tuple[int, int], bytes]]) -> bool:
        if known != current:
            return False
        for node, value in path:
            self._proven[node] = value
        return True


def _element(proof: Sequence[bytes | str], step: int) -> bytes | None:
    if step >= len(proof):
        return None
    element = proof[step]
    if isinstance(element, str):
        try:
            element = bytes.fromhex(element)
        except ValueError:
            return None
    return element if isinstance(element, bytes) and len(element) == HASH_SIZE else None


_NAMESPACE = EVENT_ID_NAMESPACE.bytes
_decode_json = json.JSONDecoder().decode


def _event_id_text(stream_id: str, version: int) -> str:
    """``str(domain.integrity.event_id(stream_id, version))`` without building a UUID."""
    digest = bytearray(hashlib.sha1(_NAMESPACE + f"{stream_id}\x00{version}".encode(),
                                    usedforsecurity=False).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _lines(source: Iterable[bytes | str]) -> Iterator[tuple[int, bytes]]:
    for number, raw in enumerate(source, start=1):
        line = raw.encode("utf-8") if isinstance(raw, str) else raw
        if line.strip():
            yield number, line


def _document(line: bytes, number: int) -> dict[str, Any]:
    try:
        document = _decode_json(line.decode("utf-8"))
    except ValueError:
        raise _fail("not a JSON line", line=number) from None
    if not isinstance(document, dict):
        raise _fail("not a JSON object", line=number)
    return document


def _event_parts(line: bytes, number: int) -> tuple[dict[str, Any], bytes]:
    """A ``kinerja-bundle/2`` event line: its members before ``event``, and the
    canonical bytes (the ``event`` value as it stands in the line)."""
    cut = line.find(_EVENT_MEMBER)
    end = len(line)
    while end and line[end - 1] in _LINE_END:
        end -= 1
    if cut < 0 or line[end - 1] != 0x7D:  # "}"
        raise _fail('not an event line ("event" must be the last member)', line=number)
    try:
        members = _decode_json(line[:cut].decode("utf-8") + "}")
    except ValueError:
        raise _fail("not a JSON line", line=number) from None
    return members, line[cut + len(_EVENT_MEMBER):end - 1]


@dataclass(frozen=True)
class ReplayedState:
    """What a replay of one appraisal stream came to, as JSON: cheap to send between
    processes (pickling a whole state costs more than the replay itself)."""

    version: int
    phase: str
    predikat: str | None
    state_json: bytes | None = field(default=None, repr=False)
    """The whole state, when kept (``keep_states``)."""

    @classmethod
    def of(cls, state: AppraisalState, *, keep_state: bool = True) -> ReplayedState:
        return cls(state.version, state.phase.value,
                   state.review.predikat.value if state.review else None,
                   state.model_dump_json().encode("utf-8") if keep_state else None)

    def state(self) -> AppraisalState:
        """The replayed state itself (kept only with ``keep_states``)."""
        if self.state_json is None:
            raise LookupError("the replayed state was not kept (keep_states=False)")
        return AppraisalState.model_validate_json(self.state_json)


ReplayResult = ReplayedState | tuple[int, str]
"""What a stream's events replay to, or (version, reason) of the first that does not replay."""

_REPLAY_BATCH = 4_000
"""Events per batch sent to an executor."""


def replay_stream(events: Sequence[dict[str, Any]], *, keep_state: bool = True
                  ) -> ReplayResult:
    """Fold one appraisal stream's events (their canonical JSON, parsed, from version 1
    in order) through :func:`domain.appraisal.evolve`."""
    state = AppraisalState()
    for content in events:
        try:
            state = evolve(state, event_from_data(str(content["type"]), dict(content["data"])))
        except (ValidationError, KeyError, TypeError, ValueError) as error:
            return state.version + 1, f"replay failed: {error}".splitlines()[0]
    return ReplayedState.of(state, keep_state=keep_state)


def replay_streams(batch: Sequence[tuple[str, Sequence[bytes]]], keep_states: bool = True
                   ) -> list[tuple[str, ReplayResult]]:
    """:func:`replay_stream` of each ``(stream_id, [canonical bytes])`` (for an executor)."""
    return [(stream_id, replay_stream([_decode_json(c.decode("utf-8")) for c in events],
                                      keep_state=keep_states))
            for stream_id, events in batch]


class _Replays:
    """The replays of a bundle's appraisal streams: each stream inline as it closes, or in
    batches on an executor, settled in bundle order."""

    def __init__(self, report: BundleReport, executor: Executor | None, keep_states: bool
                 ) -> None:
        self._report = report
        self._keep_states = keep_states
        self._executor = executor
        self._stream: str | None = None
        self._events: list[Any] = []
        self._batch: list[tuple[str, list[Any]]] = []
        self._batch_events = 0
        self._futures: list[Future[list[tuple[str, ReplayResult]]]] = []

    def open(self, stream_id: str) -> None:
        self._stream = stream_id if stream_id.startswith(APPRAISAL_STREAM_PREFIX) else None
        self._events = []

    def add(self, content: dict[str, Any], canonical: bytes) -> None:
        """One more event of the open stream: its parsed content, or (for an executor,
        which parses again) its bytes."""
        if self._stream is not None:
            self._events.append(content if self._executor is None else canonical)

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is None:
            return
        if self._executor is None:
            self._settle(stream, replay_stream(self._events, keep_state=self._keep_states))
            return
        self._batch.append((stream, self._events))
        self._batch_events += len(self._events)
        if self._batch_events >= _REPLAY_BATCH:
            self._submit()

    def finish(self) -> None:
        """Settle every closed stream's replay in bundle order; raises the first failure."""
        self._submit()
        futures, self._futures = self._futures, []
        for future in futures:
            for stream, result in future.result():
                self._settle(stream, result)

    def first_failure_before(self, failed: _Failed) -> _Failed:
        """What to report when a check failed: a replay failure of an earlier stream, or of
        an earlier event of the open stream, else ``failed``."""
        try:
            self.finish()
        except _Failed as earlier:
            return earlier
        if self._stream is not None and self._events:
            events = self._events if self._executor is None else [
                _decode_json(c.decode("utf-8")) for c in self._events]
            result = replay_stream(events, keep_state=False)
            if not isinstance(result, ReplayedState):
                return _fail(result[1], stream_id=self._stream, version=result[0])
        return failed

    def _submit(self) -> None:
        if self._batch and self._executor is not None:
            self._futures.append(self._executor.submit(replay_streams, self._batch,
                                                       self._keep_states))
        self._batch, self._batch_events = [], 0

    def _settle(self, stream: str, result: ReplayResult) -> None:
        if isinstance(result, ReplayedState):
            self._report.final_states[stream] = result
        else:
            raise _fail(result[1], stream_id=stream, version=result[0])


def verify_bundle(source: Iterable[bytes | str], *, public_key: bytes | None = None,
                  replay: bool = True, keep_hashes: bool = False,
                  executor: Executor | None = None, keep_states: bool = True) -> BundleReport:
    """Check a bundle given as its lines; the report names the first failure.

    ``public_key``: the raw Ed25519 key the checkpoints must be signed with
    (pinned by the caller); without it, the key the bundle carries is used,
    and the report's ``key_id`` says which key that was. ``keep_hashes``: keep
    every event's hash and seq in the report, for :func:`compare_bundles`.
    ``executor``: replay the appraisal streams there (:func:`replay_streams`,
    in batches) while the checks go on; the first failure is the same as
    without it. ``keep_states``: keep each replayed state whole in
    ``final_states`` (else only its version, phase and predikat).
    """
    report = BundleReport()
    try:
        _verify(_lines(source), report, public_key,
                _Replays(report, executor, keep_states) if replay else None, keep_hashes)
    except _Failed as failed:
        report.ok = False
        report.failure = failed.failure
    return report


def _verify(lines: Iterator[tuple[int, bytes]], report: BundleReport,
            pinned: bytes | None, replays: _Replays | None, keep_hashes: bool) -> None:
    try:
        _check(lines, report, pinned, replays, keep_hashes)
    except _Failed as failed:
        # A replay that failed earlier in the bundle is the first failure.
        raise (replays.first_failure_before(failed) if replays else failed) from None
    if replays is not None:
        replays.finish()


def _check(lines: Iterator[tuple[int, bytes]], report: BundleReport,
           pinned: bytes | None, replays: _Replays | None, keep_hashes: bool) -> None:
    first = next(lines, None)
    if first is None:
        raise _fail("the bundle is empty")
    number, header = first[0], _document(first[1], first[0])
    if header.get("kind") != "bundle" or header.get("format") not in (BUNDLE_FORMAT, _FORMAT_1):
        raise _fail(f"not a {BUNDLE_FORMAT} bundle", line=number)
    format_1 = header.get("format") == _FORMAT_1
    try:
        carried = base64.b64decode(str(header.get("public_key")), validate=True)
    except (binascii.Error, ValueError):
        raise _fail("public_key is not base64", line=number) from None
    if pinned is not None and carried != pinned:
        raise _fail("the bundle's public key is not the expected key", line=number)
    public_key = pinned if pinned is not None else carried
    report.key_id = key_id(public_key)

    checker: _InclusionChecker | None = None
    consistent: set[int] = set()
    stream: str | None = None
    version = 0
    prev = GENESIS_HASH
    last_seq = -1
    unsealed_from: int | None = None
    seen_seqs: set[int] = set()
    seen_streams: set[str] = set()
    ended = False
    phase = "checkpoints"

    for number, line in lines:
        canonical: bytes | None = None
        if not format_1 and line.startswith(_EVENT_LINE_START):
            document, canonical = _event_parts(line, number)
        else:
            document = _document(line, number)
        if ended:
            raise _fail("lines after the end", line=number)
        kind = document.get("kind")
        if kind == "checkpoint":
            if phase != "checkpoints":
                raise _fail("a checkpoint after the events began", line=number)
            try:
                checkpoint = Checkpoint.from_json(document)
            except ValueError as error:
                raise _fail(str(error), line=number) from None
            if report.checkpoints and checkpoint.tree_size <= report.checkpoints[-1].tree_size:
                raise _fail("checkpoints must come by growing tree size", line=number)
            if not verify_checkpoint(public_key, checkpoint):
                raise _fail(f"the signature of the checkpoint of size {checkpoint.tree_size}"
                            " is not valid", line=number)
            report.checkpoints.append(checkpoint)
        elif kind == "consistency":
            phase = "consistency"
            anchor = report.anchor
            if anchor is None:
                raise _fail("a consistency proof with no checkpoint", line=number)
            old_size, new_size = document.get("old_size"), document.get("new_size")
            old = next((c for c in report.checkpoints if c.tree_size == old_size), None)
            if old is None or new_size != anchor.tree_size:
                raise _fail("a consistency proof between checkpoints not in the bundle",
                            line=number)
            proof = [_hash(h, "a proof element", number) for h in document.get("proof", [])]
            if not verify_consistency(old.tree_size, anchor.tree_size, old.root, anchor.root,
                                      proof):
                raise _fail(f"the checkpoint of size {old.tree_size} is not consistent with"
                            f" that of size {anchor.tree_size}", line=number)
            consistent.add(old.tree_size)
        elif kind == "event":
            if phase != "events":
                missing = [c.tree_size for c in report.checkpoints[:-1]
                           if c.tree_size not in consistent]
                if missing:
                    raise _fail(f"no consistency proof from the checkpoint of size {missing[0]}"
                                " to the anchor")
                phase = "events"
                if report.anchor is not None:
                    checker = _InclusionChecker(report.anchor.tree_size, report.anchor.root)
            if canonical is None and not format_1:
                raise _fail('an event line must start with {"kind":"event",', line=number)
            try:
                if canonical is None:
                    canonical = base64.b64decode(str(document.get("canonical")), validate=True)
                content = _decode_json(canonical.decode("utf-8"))
                stream_id, event_version = content["stream_id"], content["version"]
                if not isinstance(stream_id, str) or not isinstance(event_version, int):
                    raise ValueError("stream_id or version of the wrong type")
            except (binascii.Error, ValueError, KeyError, TypeError):
                raise _fail("the canonical bytes are not an event", line=number) from None
            where: dict[str, Any] = {"stream_id": stream_id, "version": event_version}
            if stream_id != stream:
                if replays is not None:
                    replays.close()
                if stream_id in seen_streams:
                    raise _fail("the stream's events are not together", **where)
                seen_streams.add(stream_id)
                stream, version, prev = stream_id, 0, GENESIS_HASH
                last_seq, unsealed_from = -1, None
                if replays is not None:
                    replays.open(stream_id)
                report.streams += 1
            if event_version != version + 1:
                raise _fail(f"version {version + 1} is missing", stream_id=stream_id,
                            version=version + 1)
            if content.get("event_id") != _event_id_text(stream_id, event_version):
                raise _fail("event_id is not derived from stream and version", **where)
            hash_ = _hash(document.get("hash"), "hash", number)
            if format_1 and _hash(document.get("prev_hash"), "prev_hash", number) != prev:
                raise _fail("prev_hash is not the hash of the previous event", **where)
            if chain_hash(prev, canonical) != hash_:
                raise _fail("hash is not sha256(prev_hash || canonical)", **where)
            seq = document.get("seq")
            if seq is None:
                unsealed_from = unsealed_from or event_version
            else:
                if not isinstance(seq, int) or isinstance(seq, bool):
                    raise _fail("seq is not an integer", **where)
                where["seq"] = seq
                if unsealed_from is not None or seq <= last_seq or seq in seen_seqs:
                    raise _fail("seq does not grow with the version or repeats", **where)
                if checker is None:
                    raise _fail("a sealed event but no checkpoint", **where)
                path = document.get("proof")
                if not isinstance(path, list) or not checker.verify(seq, leaf_hash(hash_),
                                                                    path):
                    raise _fail(f"not included at seq {seq} in the checkpoint of size "
                                f"{checker.tree_size} (leaf or proof differs)", **where)
                seen_seqs.add(seq)
                last_seq = seq
                report.sealed += 1
            if replays is not None:
                replays.add(content, canonical)
            if keep_hashes:
                report.hashes[(stream_id, event_version)] = (hash_, seq)
            version, prev = event_version, hash_
            report.events += 1
        elif kind == "end":
            if document.get("events") != report.events or \
                    document.get("checkpoints") != len(report.checkpoints):
                raise _fail("the end line's counts differ from the bundle's content",
                            line=number)
            ended = True
        else:
            raise _fail(f"unknown line kind {kind!r}", line=number)
    if replays is not None:
        replays.close()
    if not ended:
        raise _fail("the bundle is truncated: no end line")


def compare_bundles(earlier: BundleReport, later: BundleReport) -> BundleFailure | None:
    """The first sign that ``later`` (a new export) contradicts ``earlier`` (trusted).

    Both must have verified on their own. What an earlier bundle proves is
    the content, position and signed roots of its events; a later export
    of the same scope must still contain every one of those events with the
    same hash at the same seq (an event changed, deleted or rewritten in the
    database since shows here, named), and any checkpoint of a tree size in
    both must have the same root (a rewritten tree shows here). Events the
    later bundle adds are new appends and are not judged.
    """
    for (stream_id, version), (hash_, seq) in sorted(earlier.hashes.items()):
        found = later.hashes.get((stream_id, version))
        if found is None:
            return BundleFailure("the event is no longer in the log", stream_id, version, seq)
        if found[0] != hash_:
            return BundleFailure("the event differs from the earlier bundle's (hash changed)",
                                 stream_id, version, seq)
        if seq is not None and found[1] != seq:
            return BundleFailure(f"the event moved in the sequence (now {found[1]})",
                                 stream_id, version, seq)
    roots = {c.tree_size: c.root for c in later.checkpoints}
    for checkpoint in earlier.checkpoints:
        root = roots.get(checkpoint.tree_size)
        if root is not None and root != checkpoint.root:
            return BundleFailure(f"the checkpoint of size {checkpoint.tree_size} has another"
                                 " root than in the earlier bundle")
    return None
