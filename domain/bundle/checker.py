"""The offline check of a bundle (:func:`verify_bundle`) and the comparison of two."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from domain.bundle.format import (
    _EVENT_LINE_START,
    _FORMAT_1,
    BUNDLE_FORMAT,
    BundleFailure,
    _document,
    _element,
    _event_id_text,
    _event_parts,
    _fail,
    _Failed,
    _hash,
    _lines,
)
from domain.bundle.replay import (
    ReplayedState,
    ReplayScheduler,
    _Replays,
)
from domain.checkpoint import Checkpoint, key_id, verify_checkpoint
from domain.integrity import GENESIS_HASH, chain_hash
from domain.merkle import (
    inclusion_proof_ranges,
    leaf_hash,
    node_hash,
    verify_consistency,
)


class _EventHead(BaseModel):
    """What the checks read of an event's canonical JSON: parsed and validated in one pass
    from the bytes (strictly: no coercion), its other members (the event's data, its
    metadata) skipped rather than built as Python objects; the replay validates the
    data, from the same bytes, where it runs."""

    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)

    stream_id: str
    version: int
    event_id: Any = None
    """Compared with the id derived from stream and version (absent or of another type:
    it is not, and that is the failure named)."""


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


def verify_bundle(source: Iterable[bytes | str], *, public_key: bytes | None = None,
                  replay: bool = True, keep_hashes: bool = False,
                  scheduler: ReplayScheduler | None = None, keep_states: bool = True
                  ) -> BundleReport:
    """Check a bundle given as its lines; the report names the first failure.

    ``public_key``: the raw Ed25519 key the checkpoints must be signed with
    (pinned by the caller); without it, the key the bundle carries is used,
    and the report's ``key_id`` says which key that was. ``keep_hashes``: keep
    every event's hash and seq in the report, for :func:`compare_bundles`.
    ``scheduler``: replay the appraisal streams there (for example
    ``kinerja.bundle_replay.ExecutorReplays``) while the checks go on; the
    first failure is the same as inline. ``keep_states``: keep each replayed state whole in
    ``final_states`` (else only its version, phase and predikat).
    """
    report = BundleReport()
    try:
        _verify(_lines(source), report, public_key,
                _Replays(report.final_states, scheduler, keep_states) if replay else None,
                keep_hashes)
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
                head = _EventHead.model_validate_json(canonical)
                stream_id, event_version = head.stream_id, head.version
            except (binascii.Error, ValueError, ValidationError):
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
            if head.event_id != _event_id_text(stream_id, event_version):
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
                replays.add(canonical)
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
