"""``evolve(state, event)`` and ``fold``: the one fold of a cycle's events."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from domain.cycle.events import (
    CycleCreated,
    CycleDeadlineMoved,
    CycleEvent,
    CycleStarted,
    OrganisationRatingSet,
    PageDone,
    RosterFollowed,
    UnitReleased,
)
from domain.cycle.state import (
    CycleState,
    UnitState,
)
from domain.cycle.vocabulary import CycleStatus
from domain.cycle.work import (
    ApplyMembershipChanges,
    BroadcastDeadline,
    BroadcastRating,
    BroadcastRelease,
    OpenAppraisals,
    PendingWork,
    Work,
)


def evolve(state: CycleState, event: CycleEvent) -> CycleState:
    """The state after ``event``."""
    changes: dict[str, Any] = {"version": state.version + 1}
    if isinstance(event, CycleCreated):
        changes.update(cycle_id=event.cycle_id, agency=event.agency, year=event.year,
                       policy=event.policy, calendar=event.calendar,
                       page_size=event.page_size, status=CycleStatus.CREATED)
    elif isinstance(event, CycleStarted):
        changes.update(status=CycleStatus.STARTING, roster_digest=event.roster_digest,
                       started_at=event.at, members=event.members,
                       units={unit: UnitState() for unit in event.units},
                       pending=_add(state, OpenAppraisals()))
    elif isinstance(event, PageDone):
        pending = []
        finished = 0
        for item in state.pending:
            if item.index != event.work:
                pending.append(item)
            elif event.done:
                finished = 1
                if isinstance(item.work, OpenAppraisals):
                    changes["status"] = CycleStatus.RUNNING
            else:
                pending.append(item.model_copy(update={
                    "offset": item.offset + state.page_size,
                    "reached": item.reached + event.reached,
                    "skipped": item.skipped + event.skipped}))
        changes.update(pending=tuple(pending), work_done=state.work_done + finished)
    elif isinstance(event, CycleDeadlineMoved):
        changes.update(deadline_moves=(*state.deadline_moves, event),
                       pending=_add(state, BroadcastDeadline(
                           deadline=event.deadline, until=event.until, reason=event.reason,
                           unit=event.unit)))
    elif isinstance(event, OrganisationRatingSet):
        units = dict(state.units)
        units[event.unit] = units[event.unit].model_copy(
            update={"organisation_rating": event.rating})
        changes.update(units=units, pending=_add(state, BroadcastRating(unit=event.unit,
                                                                        rating=event.rating)))
    elif isinstance(event, UnitReleased):
        units = dict(state.units)
        units[event.unit] = units[event.unit].model_copy(
            update={"released_at": event.at, "release_exception_reason": event.exception_reason})
        changes.update(units=units, pending=_add(state, BroadcastRelease(
            unit=event.unit, exception_reason=event.exception_reason)))
    elif isinstance(event, RosterFollowed):
        units = dict(state.units)
        for change in event.changes:
            if change.member is not None and change.member.unit not in units:
                units[change.member.unit] = UnitState()
        changes.update(roster_digest=event.roster_digest, units=units,
                       pending=_add(state, ApplyMembershipChanges(changes=event.changes)))
    else:
        changes.update(status=CycleStatus.CLOSED, closed_at=event.at,
                       distribution=event.distribution)
    return state.model_copy(update=changes)


def _add(state: CycleState, work: Work) -> tuple[PendingWork, ...]:
    return (*state.pending, PendingWork(index=state.next_work_index, work=work))


def fold(events: Iterable[CycleEvent], state: CycleState | None = None) -> CycleState:
    """Apply ``events`` in order, from ``state`` or from the empty state."""
    current = state or CycleState()
    for event in events:
        current = evolve(current, event)
    return current
