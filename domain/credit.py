"""Months served in a position in the cycle year: the pro rata of the credit points.

PermenPAN-RB 1/2023 (jabatan fungsional) gives a functional official each year the
coefficient of their level times the share of their predikat, and for less than a year in
the position the months served (see :func:`domain.policy.credit_points`). An employee who
joined, left, transferred or changed position during the year earns credit for the months
served in that position; a transfer's two appraisals each count their own months.

The regulation does not say how a partial month counts: ``Policy.credit_partial_month``
(the choice, in the README's rules). The roster has no effective date (TMT) column, so a
change counts from the day it was recorded in the roster, in the agency's zone; a member
of the roster a cycle froze at its start served in the position from the start of the
year (the roster before it says no more).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta, timezone
from typing import Literal

from pydantic import BaseModel, ConfigDict

from domain.policy import Policy
from domain.roster.events import (
    EmployeeHired,
    EmployeeLeft,
    EmployeeTransferred,
    PositionChanged,
    RosterEvent,
)

ChangeKind = Literal["hired", "left", "transferred", "position_changed"]

BEGINS: frozenset[ChangeKind] = frozenset({"hired", "transferred", "position_changed"})
"""Changes that start a span in a position (a transfer or a new position starts the next)."""
ENDS: frozenset[ChangeKind] = frozenset({"left", "transferred", "position_changed"})
"""Changes that end the span in a position."""


class PositionChange(BaseModel):
    """One roster change of an employee's position: when it was recorded, and the day (in
    the agency's zone) it counts from."""

    model_config = ConfigDict(frozen=True)

    at: datetime
    on: date
    kind: ChangeKind


class ServiceSpan(BaseModel):
    """Days served in one position: ``start`` included, ``end`` not (the day of a
    transfer belongs to the new position)."""

    model_config = ConfigDict(frozen=True)

    start: date
    end: date


def position_changes(key: str, recorded: Iterable[tuple[datetime, RosterEvent]],
                     utc_offset_hours: int) -> list[PositionChange]:
    """The changes of employee ``key`` among roster events with the moment each was
    recorded, each on its day in the agency's zone, in order."""
    zone = timezone(timedelta(hours=utc_offset_hours))
    changes = []
    for at, event in recorded:
        kind: ChangeKind | None = None
        if isinstance(event, EmployeeHired) and event.employee.key == key:
            kind = "hired"
        elif isinstance(event, EmployeeLeft) and event.key == key:
            kind = "left"
        elif isinstance(event, EmployeeTransferred) and event.key == key:
            kind = "transferred"
        elif isinstance(event, PositionChanged) and event.key == key:
            kind = "position_changed"
        if kind is not None:
            changes.append(PositionChange(at=at, on=at.astimezone(zone).date(), kind=kind))
    return sorted(changes, key=lambda c: c.at)


def position_span(year: int, changes: Sequence[PositionChange], opened_at: datetime
                  ) -> ServiceSpan:
    """The span in the year of the position an appraisal opened at ``opened_at`` is for.

    The position is the one begun by the last change (hired, transferred, new position)
    recorded before the opening, else the one held since 1 January; its span ends on the
    day of the first change recorded after that which ends it (left, transferred, new
    position), else at the end of the year. Which change comes first is decided by the
    instants (an appraisal opened in the morning of a transfer's day is the old
    position's); the span counts in days. Changes outside the year are left out.
    """
    first, after_last = date(year, 1, 1), date(year + 1, 1, 1)
    in_year = sorted((c for c in changes if first <= c.on < after_last), key=lambda c: c.at)
    begun = [c for c in in_year if c.kind in BEGINS and c.at <= opened_at]
    began = begun[-1] if begun else None
    start = began.on if began is not None else first
    end = min([after_last, *(c.on for c in in_year if c.kind in ENDS
                             and (began is None or c.at > began.at))])
    return ServiceSpan(start=start, end=max(start, end))


def months_served(span: ServiceSpan, year: int, policy: Policy) -> int:
    """Calendar months of ``year`` the span counts for, 0 to 12.

    ``Policy.credit_partial_month``: ``"more_than_half"`` counts a month in which more
    than half of its days were served, ``"whole"`` only a month served every day. Either
    way a month counts for at most one of two spans that do not overlap (a transfer's two
    appraisals), so their months never add up to more than 12.
    """
    months = 0
    for month in range(1, 13):
        days = calendar.monthrange(year, month)[1]
        month_start = date(year, month, 1)
        month_end = month_start + timedelta(days=days)
        served = (min(span.end, month_end) - max(span.start, month_start)).days
        if served <= 0:
            continue
        if policy.credit_partial_month == "whole":
            months += served == days
        else:
            months += 2 * served > days
    return months
