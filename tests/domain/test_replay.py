"""The difference between two states, field by field (domain.replay.diff), and the replay
that names the first event the domain cannot read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.replay import Change, ReplayFailed, TrailEntry, diff, leaves, replay

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text("ab", max_size=2))
JSON = st.recursive(
    SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(st.sampled_from("xyz"), children, max_size=3)),
    max_leaves=12)


@given(JSON)
def test_a_value_has_no_difference_from_itself(value: Any) -> None:
    assert diff(value, value) == []


@given(JSON, JSON)
def test_the_changes_are_exactly_the_leaves_that_differ(before: Any, after: Any) -> None:
    old, new = leaves(before), leaves(after)
    changes = diff(before, after)
    assert len({c.path for c in changes}) == len(changes)
    assert {c.path: (c.before, c.after) for c in changes} == {
        path: (old.get(path), new.get(path)) for path in old.keys() | new.keys()
        if old.get(path) != new.get(path)}


def test_an_object_that_appears_is_shown_field_by_field_in_order() -> None:
    before = {"phase": "review", "review": None, "items": [1]}
    after = {"phase": "final", "review": {"rating": "baik", "by": "e-2"},
             "items": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]}
    assert diff(before, after) == [
        *[Change(f"items[{i}]", None, i + 1) for i in range(1, 11)],
        Change("phase", "review", "final"),
        Change("review.by", None, "e-2"),
        Change("review.rating", None, "baik"),
    ]
    assert diff({"a": 1}, {"a": {"b": 2}}) == [Change("a", 1, None), Change("a.b", None, 2)]
    assert diff({"a": []}, {"a": None}) == []


def _entry(version: int, type_: str, data: dict[str, Any]) -> TrailEntry:
    return TrailEntry(version, type_, data, datetime(2026, 1, version, tzinfo=UTC))


def test_a_replay_names_the_event_the_domain_cannot_read_or_a_missing_version() -> None:
    with pytest.raises(ReplayFailed) as failed:
        replay([_entry(1, "AppraisalOpened", {"unexpected": True})])
    assert failed.value.version == 1
    with pytest.raises(ReplayFailed) as missing:
        replay([_entry(2, "AppraisalOpened", {})])
    assert (missing.value.version, missing.value.reason) == (1, "missing from the trail")
    assert replay([]).version == 0
