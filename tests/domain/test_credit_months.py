"""Months served in a position (PermenPAN-RB 1/2023 pro-rates credit points by them).

``domain.credit``: the span of the position an appraisal is for, from the roster's
changes and the appraisal's opening day, and the months it counts under
``Policy.credit_partial_month`` (a month counts when more than half of it was served).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.credit import (
    PositionChange,
    ServiceSpan,
    months_served,
    position_changes,
    position_span,
)
from domain.policy import POLICY_6_2022, FunctionalLevel, Policy, credit_points
from domain.ratings import Predikat
from domain.roster.events import EmployeeLeft, EmployeeTransferred, PositionChanged

YEAR = 2026
WHOLE = POLICY_6_2022.model_copy(update={"credit_partial_month": "whole"})
policies = st.sampled_from([POLICY_6_2022, WHOLE])
kinds = st.sampled_from(["hired", "left", "transferred", "position_changed"])
instants = st.datetimes(min_value=datetime(YEAR, 1, 1), max_value=datetime(YEAR, 12, 31, 23),
                        timezones=st.just(UTC))


def change(at: datetime, kind: str) -> PositionChange:
    return PositionChange.model_validate({"at": at, "on": at.date(), "kind": kind})


changes = st.lists(st.builds(change, st.datetimes(
    min_value=datetime(YEAR - 1, 6, 1), max_value=datetime(YEAR + 1, 6, 1),
    timezones=st.just(UTC)), kinds), max_size=6)


@given(changes, instants, policies)
def test_months_lie_between_0_and_12_and_the_span_within_the_year(
        recorded: list[PositionChange], opened: datetime, policy: Policy) -> None:
    span = position_span(YEAR, recorded, opened)
    assert date(YEAR, 1, 1) <= span.start <= span.end <= date(YEAR + 1, 1, 1)
    assert 0 <= months_served(span, YEAR, policy) <= 12


@given(instants, st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400)),
       st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400)), policies)
def test_a_transfers_two_appraisals_never_count_more_than_12_months(
        transferred: datetime, before: timedelta, after: timedelta, policy: Policy) -> None:
    recorded = [change(transferred, "transferred")]
    first = position_span(YEAR, recorded, transferred - before - timedelta(seconds=1))
    second = position_span(YEAR, recorded, transferred + after)
    assert (first.end, second.start) == (transferred.date(), transferred.date())
    assert second.end == date(YEAR + 1, 1, 1)
    months = months_served(first, YEAR, policy) + months_served(second, YEAR, policy)
    assert months <= 12
    if policy is POLICY_6_2022:
        assert months >= 11  # the month of the transfer counts for one side, or neither


@given(st.lists(instants, min_size=1, max_size=5, unique=True), policies)
def test_the_spans_between_changes_share_no_month(
        moments: list[datetime], policy: Policy) -> None:
    recorded = [change(at, "position_changed") for at in moments]
    spans = {position_span(YEAR, recorded, opened)
             for opened in [datetime(YEAR, 1, 1, tzinfo=UTC) - timedelta(days=1), *moments]}
    assert sum(months_served(s, YEAR, policy) for s in spans) <= 12
    assert sum((s.end - s.start).days for s in spans) == (date(YEAR + 1, 1, 1)
                                                          - date(YEAR, 1, 1)).days


@pytest.mark.parametrize(("start", "end", "more_than_half", "whole"), [
    (date(YEAR, 1, 1), date(YEAR + 1, 1, 1), 12, 12),
    (date(YEAR, 3, 16), date(YEAR + 1, 1, 1), 10, 9),   # 16 of 31 March days: it counts
    (date(YEAR, 3, 17), date(YEAR + 1, 1, 1), 9, 9),    # 15 of 31: it does not
    (date(YEAR, 1, 1), date(YEAR, 2, 15), 1, 1),        # 14 of 28 February days: half, no
    (date(YEAR, 1, 1), date(YEAR, 2, 16), 2, 1),        # 15 of 28: more than half
    (date(YEAR, 6, 10), date(YEAR, 6, 10), 0, 0),
])
def test_partial_months(start: date, end: date, more_than_half: int, whole: int) -> None:
    span = ServiceSpan(start=start, end=end)
    assert months_served(span, YEAR, POLICY_6_2022) == more_than_half
    assert months_served(span, YEAR, WHOLE) == whole


def test_a_member_of_the_frozen_roster_counts_from_january_and_a_leaver_to_the_day_left() -> None:
    opened = datetime(YEAR, 1, 20, tzinfo=UTC)
    assert position_span(YEAR, [], opened) == ServiceSpan(
        start=date(YEAR, 1, 1), end=date(YEAR + 1, 1, 1))
    left = [change(datetime(YEAR, 7, 1, 3, tzinfo=UTC), "left")]
    span = position_span(YEAR, left, opened)
    assert months_served(span, YEAR, POLICY_6_2022) == 6
    assert credit_points(FunctionalLevel.AHLI_MUDA, Predikat.BAIK, POLICY_6_2022, 6) \
        == Decimal("12.5")


def test_changes_are_read_from_the_roster_events_on_their_day_in_the_agency_zone() -> None:
    recorded = [
        (datetime(YEAR, 4, 30, 17, 30, tzinfo=UTC),  # 1 May 00:30 WIB
         EmployeeTransferred(key="e-1", from_unit="a", to_unit="b")),
        (datetime(YEAR, 5, 2, tzinfo=UTC), EmployeeLeft(key="e-2", unit="a")),
        (datetime(YEAR, 8, 1, tzinfo=UTC), PositionChanged(
            key="e-1", position="Pranata Komputer Ahli Muda", kind="functional",
            level=FunctionalLevel.AHLI_MUDA)),
    ]
    assert [(c.on, c.kind) for c in position_changes("e-1", recorded, 7)] == [
        (date(YEAR, 5, 1), "transferred"), (date(YEAR, 8, 1), "position_changed")]
    assert position_changes("e-1", recorded, 7)[0].on != recorded[0][0].date()


def test_an_appraisal_opened_on_the_morning_of_a_transfer_is_the_old_positions() -> None:
    transfer = change(datetime(YEAR, 6, 10, 5, tzinfo=UTC), "transferred")
    old = position_span(YEAR, [transfer], datetime(YEAR, 6, 10, 1, tzinfo=UTC))
    new = position_span(YEAR, [transfer], datetime(YEAR, 6, 10, 6, tzinfo=UTC))
    assert (old.end, new.start) == (date(YEAR, 6, 10), date(YEAR, 6, 10))
    assert months_served(old, YEAR, POLICY_6_2022) == 5  # 9 of June's 30 days: no
    assert months_served(new, YEAR, POLICY_6_2022) == 7
