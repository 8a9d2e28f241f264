"""Tamper evidence of the event log: event ids, canonical bytes and the hash chain.

These are the rules an auditor re-checks with no database: every event is
hashed as ``SHA-256(prev_hash || canonical_bytes(event))``, the first event of a
stream chains from :data:`GENESIS_HASH`, and an event's id is derived from its
stream and version so that a retried append produces the same id.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = bytes(32)
"""``prev_hash`` of the first event of every stream."""

EVENT_ID_NAMESPACE = uuid.UUID("7d3f1c2e-5b0a-4f8e-9a61-6b1e2c4d8f00")
"""Namespace of the UUIDv5 event ids; changing it would change every id."""


def event_id(stream_id: str, version: int) -> uuid.UUID:
    """The id of the event at ``version`` of ``stream_id`` (UUIDv5, deterministic)."""
    return uuid.uuid5(EVENT_ID_NAMESPACE, f"{stream_id}\x00{version}")


def canonical_json(value: Any) -> bytes:
    """Canonical UTF-8 JSON: sorted keys, no insignificant white space, no floats.

    Floats are refused because their text form is not canonical across
    languages; amounts travel as strings (``Decimal``) or integers.
    """
    _refuse_floats(value)
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def format_timestamp(moment: datetime) -> str:
    """The canonical text of a moment: UTC, microseconds, ``Z`` suffix."""
    if moment.tzinfo is None:
        raise ValueError("timestamps in the event log must carry a time zone")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_event(
    *,
    event_id: uuid.UUID,
    stream_id: str,
    version: int,
    type: str,
    schema_version: int,
    data: Mapping[str, Any],
    metadata: Mapping[str, Any],
    recorded_at: datetime,
) -> bytes:
    """The canonical bytes of one event: every field that the hash covers."""
    return canonical_json(
        {
            "event_id": str(event_id),
            "stream_id": stream_id,
            "version": version,
            "type": type,
            "schema_version": schema_version,
            "data": dict(data),
            "metadata": dict(metadata),
            "recorded_at": format_timestamp(recorded_at),
        }
    )


def chain_hash(prev_hash: bytes, canonical: bytes) -> bytes:
    """``SHA-256(prev_hash || canonical)``: the hash of an event in its stream's chain."""
    return hashlib.sha256(prev_hash + canonical).digest()


def _refuse_floats(value: Any) -> None:
    # Iterative, with exact type checks first: this runs on every appended event.
    stack = [value]
    pop, extend = stack.pop, stack.extend
    while stack:
        item = pop()
        kind = type(item)
        if kind is dict:
            extend(item.values())
        elif kind is str or kind is int or kind is bool or item is None:
            continue
        elif kind is list or kind is tuple:
            extend(item)
        elif isinstance(item, float):
            raise TypeError("floats are not allowed in canonical JSON; use a string or an integer")
        elif isinstance(item, Mapping):
            extend(item.values())
        elif isinstance(item, list | tuple):
            extend(item)
