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


class ReplayFailed(ValueError):
    """An event of the trail cannot be read or applied by the domain: a stored event
    changed (or written by code that no longer reads it). ``version``: the first such."""

    def __init__(self, version: int, reason: str) -> None:
        super().__init__(f"version {version}: {reason}")
        self.version = version
        self.reason = reason


def replay(entries: Iterable[TrailEntry], *, version: int | None = None,
           at: datetime | None = None) -> AppraisalState:
    """The state after the events up to ``version`` and recorded at or before ``at``.

    Entries must come in version order from version 1; with neither bound,
    the state after all of them. :class:`ReplayFailed` names the first event the
    domain cannot read or apply.
    """
    current = 0

    def events() -> Iterator[Event]:
        nonlocal current
        expected = 1
        for entry in entries:
            if version is not None and entry.version > version:
                return
            if at is not None and entry.recorded_at > at:
                return
            if entry.version != expected:
                raise ReplayFailed(expected, "missing from the trail")
            expected += 1
            current = entry.version
            yield event_from_data(entry.type, dict(entry.data))

    try:
        return fold(events())
    except ReplayFailed:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as failed:
        reason = str(failed).splitlines()[0] if str(failed) else type(failed).__name__
        raise ReplayFailed(current, reason) from failed


@dataclass(frozen=True)
class Change:
    """One difference between two states: a dotted path and the two values."""

    path: str
    before: Any
    after: Any


def diff(before: Any, after: Any, path: str = "") -> list[Change]:
    """Every leaf that differs between two JSON-like values, by dotted path (list items
    by ``[index]``), in the order of the keys (sorted) and indexes.

    A leaf absent on one side is ``None`` there: an object or a list that appears (or
    goes) gives each of its leaves as a change from (or to) ``None``, field by field; a
    value that turns from a scalar into an object gives the scalar's removal and the
    object's leaves. An empty object or list counts as absent. Exactly the paths where
    :func:`leaves` of the two values differ.
    """
    if not (_is_container(before) or _is_container(after)):
        return [] if before == after else [Change(path or ".", before, after)]
    changes: list[Change] = []
    if not _is_container(before) and before is not None:
        changes.append(Change(path or ".", before, None))
    if not _is_container(after) and after is not None:
        changes.append(Change(path or ".", None, after))
    left, right = _children(before, path), _children(after, path)
    for order in sorted(set(left) | set(right)):
        child = (left.get(order) or right[order])[0]
        changes += diff(left.get(order, (child, None))[1], right.get(order, (child, None))[1],
                        child)
    return changes


def leaves(value: Any, path: str = "") -> dict[str, Any]:
    """Every leaf of a JSON-like value that is not ``None`` by its dotted path (list items
    by ``[index]``); what :func:`diff` compares."""
    if not _is_container(value):
        return {} if value is None else {path or ".": value}
    found: dict[str, Any] = {}
    for _, (child, item) in sorted(_children(value, path).items()):
        found.update(leaves(item, child))
    return found


def _is_container(value: Any) -> bool:
    return isinstance(value, (Mapping, list))


def _children(value: Any, path: str) -> dict[tuple[int, int, str], tuple[str, Any]]:
    """A container's items by their place in the order (list indexes first, then keys
    sorted), each with its path."""
    if isinstance(value, Mapping):
        return {(1, 0, str(key)): (f"{path}.{key}" if path else str(key), item)
                for key, item in value.items()}
    if isinstance(value, list):
        return {(0, index, ""): (f"{path}[{index}]", item) for index, item in enumerate(value)}
    return {}


def state_diff(before: AppraisalState, after: AppraisalState) -> list[Change]:
    """The differences between two states of an appraisal (JSON form)."""
    return diff(before.model_dump(mode="json"), after.model_dump(mode="json"))
