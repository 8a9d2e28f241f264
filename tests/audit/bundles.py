"""Bundles built in memory for the pure audit tests, in either format."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.bundle import BUNDLE_FORMAT, ProofTrimmer, event_line
from domain.checkpoint import generate_private_key, public_key_bytes, sign_checkpoint
from domain.integrity import GENESIS_HASH, canonical_event, chain_hash, event_id
from domain.merkle import consistency_proof, inclusion_proof, leaf_hash, root

KEY = generate_private_key()
PUBLIC = public_key_bytes(KEY)
MOMENT = datetime(2026, 11, 23, 10, 0, 0, 123456, tzinfo=UTC)

Trail = Sequence[tuple[str, dict[str, Any]]]
"""(type, data) of a stream's events, from version 1."""


def _noted(count: int, note: str | None) -> list[tuple[str, dict[str, Any]]]:
    return [("Noted", {"v": version} if note is None else {"v": version, "note": note})
            for version in range(1, count + 1)]


def build_bundle(streams: Mapping[str, int | Trail], sizes: list[int] | None = None,
                 key: Any = KEY, unsealed: int = 0, fmt: int = 1,
                 full_proofs: bool = False, note: str | None = None) -> list[str]:
    """A bundle of ``streams`` (id -> an event count, for that many ``Noted`` events, or a
    trail of (type, data)), sealed round-robin, with checkpoints of
    ``sizes`` (default: one of everything sealed) and the last ``unsealed`` seqs left out.

    ``fmt`` 1: ``kinerja-bundle/1`` (base64 canonical, prev_hash, full proofs); ``fmt`` 2:
    ``kinerja-bundle/2`` (:func:`domain.bundle.event_line`, proofs trimmed by one
    :class:`ProofTrimmer` fed in bundle order, or whole with ``full_proofs``). ``note``: a
    text put in every event's data (to carry non-ASCII characters).
    """
    assert fmt in (1, 2)
    trails = {stream: _noted(trail, note) if isinstance(trail, int) else list(trail)
              for stream, trail in streams.items()}
    events: dict[str, list[tuple[bytes, bytes, bytes]]] = {}
    order: list[tuple[str, int]] = []
    for version in range(1, max(len(trail) for trail in trails.values()) + 1):
        for stream, trail in trails.items():
            if version <= len(trail):
                order.append((stream, version))
    prevs = dict.fromkeys(streams, GENESIS_HASH)
    hashes: dict[tuple[str, int], bytes] = {}
    for stream, trail in trails.items():
        events[stream] = []
        for version, (type_, data) in enumerate(trail, start=1):
            canonical = canonical_event(
                event_id=event_id(stream, version), stream_id=stream, version=version,
                type=type_, schema_version=1, data=data, metadata={},
                recorded_at=MOMENT + timedelta(seconds=version))
            hash_ = chain_hash(prevs[stream], canonical)
            events[stream].append((canonical, prevs[stream], hash_))
            hashes[(stream, version)] = hash_
            prevs[stream] = hash_
    sealed = len(order) - unsealed
    seqs = {place: seq for seq, place in enumerate(order[:sealed])}
    leaves = [leaf_hash(hashes[place]) for place in order[:sealed]]
    sizes = sizes or [sealed]
    checkpoints = [sign_checkpoint(key, size, root(leaves[:size]), MOMENT) for size in sizes]
    anchor = sizes[-1]
    trimmer = ProofTrimmer(anchor)
    lines = [json.dumps({"kind": "bundle",
                         "format": "kinerja-bundle/1" if fmt == 1 else BUNDLE_FORMAT,
                         "scope": {},
                         "public_key": base64.b64encode(public_key_bytes(key)).decode()})]
    lines += [json.dumps({"kind": "checkpoint", **c.to_json()}) for c in checkpoints]
    lines += [json.dumps({"kind": "consistency", "old_size": size, "new_size": anchor,
                          "proof": [p.hex() for p in consistency_proof(leaves[:anchor], size)]})
              for size in sizes[:-1]]
    count = 0
    for stream in streams:
        for version, (canonical, prev, hash_) in enumerate(events[stream], start=1):
            seq = seqs.get((stream, version))
            if seq is not None and seq >= anchor:
                seq = None
            full = inclusion_proof(leaves[:anchor], seq) if seq is not None else None
            if fmt == 1:
                lines.append(json.dumps({"kind": "event", "seq": seq,
                                         "canonical": base64.b64encode(canonical).decode(),
                                         "prev_hash": prev.hex(), "hash": hash_.hex(),
                                         "proof": None if full is None
                                         else [p.hex() for p in full]}))
            else:
                proof = full
                if seq is not None and full is not None:
                    needed = trimmer.needed(seq)  # fed in bundle order, full proofs or not
                    proof = full if full_proofs else full[:needed]
                lines.append(event_line(seq, hash_, proof, canonical).decode("utf-8")
                             .removesuffix("\n"))
            count += 1
    lines.append(json.dumps({"kind": "end", "events": count, "checkpoints": len(sizes)}))
    return lines
