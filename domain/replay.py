"""Replaying an appraisal to any point of its trail, and comparing two states.

The state as of version ``v`` is the fold of its first ``v`` events; as of a
moment ``t``, the fold of every event recorded at or before ``t``. Both use
:func:`domain.appraisal.fold`, the same fold the workflow, the bundle replay and the
tests use.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.appraisal import AppraisalState, Event, event_from_data, fold


@dataclass(frozen=True)
class TrailEntry:
    """What a replay needs of one stored event."""

    version: int
    type: str
    data: Mapping[str, Any]
    recorded_at: datetime


def replay(entries: Iterable[TrailEntry], *, version: int | None = None,
           at: datetime | None = None) -> AppraisalState:
    """The state after the events up to ``version`` and recorded at or before ``at``.

    Entries must come in version order from version 1; with neither bound,
    the state after all of them.
    """
    def events() -> Iterator[Event]:
        expected = 1
        for entry in entries:
            if version is not None and entry.version > version:
                return
            if at is not None and entry.recorded_at > at:
                return
            if entry.version != expected:
                raise ValueError(f"version {expected} is missing from the trail")
            expected += 1
            yield event_from_data(entry.type, dict(entry.data))

    return fold(events())


@dataclass(frozen=True)
class Change:
    """One difference between two states: a dotted path and the two values."""

    path: str
    before: Any
    after: Any


def diff(before: Any, after: Any, path: str = "") -> list[Change]:
    """Every leaf that differs between two JSON-like values, by dotted path.

    Mappings are compared key by key, lists index by index (a longer list
    gives its extra items as changes from or to ``None``).
    """
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        changes: list[Change] = []
        for key in sorted(set(before) | set(after), key=str):
            child = f"{path}.{key}" if path else str(key)
            changes += diff(before.get(key), after.get(key), child)
        return changes
    if isinstance(before, list) and isinstance(after, list):
        changes = []
        for index in range(max(len(before), len(after))):
            left = before[index] if index < len(before) else None
            right = after[index] if index < len(after) else None
            changes += diff(left, right, f"{path}[{index}]")
        return changes
    return [] if before == after else [Change(path or ".", before, after)]


def state_diff(before: AppraisalState, after: AppraisalState) -> list[Change]:
    """The differences between two states of an appraisal (JSON form)."""
    return diff(before.model_dump(mode="json"), after.model_dump(mode="json"))
