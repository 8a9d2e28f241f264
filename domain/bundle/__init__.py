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

The package: :mod:`.format` (lines, event lines, failures), :mod:`.checker`
(:func:`verify_bundle`, :func:`compare_bundles`) and :mod:`.replay` (the pure
replay of one stream and the settling of results in bundle order; where the
replays run, inline or on the caller's executor, is the caller's choice:
``kinerja.bundle_replay``).
"""

from domain.bundle.checker import BundleReport, compare_bundles, verify_bundle
from domain.bundle.format import (
    APPRAISAL_STREAM_PREFIX,
    BUNDLE_FORMAT,
    BundleFailure,
    ProofTrimmer,
    event_line,
)
from domain.bundle.replay import (
    ReplayedState,
    ReplayResult,
    ReplayScheduler,
    replay_stream,
    replay_streams,
)

__all__ = [
    "APPRAISAL_STREAM_PREFIX",
    "BUNDLE_FORMAT",
    "BundleFailure",
    "BundleReport",
    "ProofTrimmer",
    "ReplayResult",
    "ReplayScheduler",
    "ReplayedState",
    "compare_bundles",
    "event_line",
    "replay_stream",
    "replay_streams",
    "verify_bundle",
]
