"""``decide(state, command) -> events``: every rule of a cycle.

Each handler registers itself in :data:`domain.cycle.registry.COMMANDS` with
who may send its command and from when; :func:`decide` checks both and
dispatches.
"""

from __future__ import annotations

from datetime import datetime
from typing import get_args

from domain.appraisal.vocabulary import CommandRefused
from domain.authorization import Actor, AgencyAction, Role, may_on_agency
from domain.cycle.commands import (
    CloseCycle,
    CreateCycle,
    CycleCommand,
    FollowRoster,
    MoveDeadline,
    RecordPage,
    ReleaseUnit,
    SetOrganisationRating,
    StartCycle,
)
from domain.cycle.events import (
    CycleClosed,
    CycleCreated,
    CycleDeadlineMoved,
    CycleEvent,
    CycleStarted,
    OrganisationRatingSet,
    PageDone,
    RosterFollowed,
    UnitReleased,
)
from domain.cycle.registry import COMMANDS, Gate, handles
from domain.cycle.state import (
    CycleState,
    UnitState,
)
from domain.cycle.vocabulary import (
    CycleStatus,
    cycle_id_of,
)
from domain.policy import POLICIES


@handles(CreateCycle, AgencyAction.RUN_CYCLE, Gate.ANY)
def _create(state: CycleState, command: CreateCycle, at: datetime) -> list[CycleEvent]:
    if state.status is not None:
        raise CommandRefused("phase", "this cycle already exists")
    if command.policy not in POLICIES:
        raise CommandRefused("invalid", f"unknown policy; one of {sorted(POLICIES)}", "policy")
    if command.calendar.year != command.year:
        raise CommandRefused("invalid", "the calendar is for another year", "calendar.year")
    calendar = command.calendar
    if not calendar.skp_deadline < calendar.self_assessment_deadline < calendar.review_deadline:
        raise CommandRefused("invalid", "deadlines must follow one another: SKP, then "
                                        "self-assessment, then review", "calendar")
    for name in ("skp_deadline", "self_assessment_deadline", "review_deadline"):
        if getattr(calendar, name) <= at:
            raise CommandRefused("invalid", f"the {name.replace('_', ' ')} has passed already; "
                                            "set a later one", f"calendar.{name}")
    return [CycleCreated(at=at, cycle_id=cycle_id_of(command.agency, command.year),
                         agency=command.agency, year=command.year, policy=command.policy,
                         calendar=calendar, page_size=command.page_size)]


@handles(StartCycle, AgencyAction.RUN_CYCLE, Gate.CREATED)
def _start(state: CycleState, command: StartCycle, at: datetime) -> list[CycleEvent]:
    if state.status is not CycleStatus.CREATED:
        raise CommandRefused("phase", "the cycle has already started")
    if command.members == 0:
        raise CommandRefused("invalid", "the agency's roster is empty: import it first",
                             "roster")
    return [CycleStarted(at=at, roster_digest=command.roster_digest, members=command.members,
                         units=command.units)]


@handles(RecordPage, None, Gate.CREATED)
def _record_page(state: CycleState, command: RecordPage, at: datetime) -> list[CycleEvent]:
    item = next((p for p in state.pending if p.index == command.work), None)
    if item is None:
        raise CommandRefused("invalid", f"no pending work {command.work}", "work")
    if command.offset != item.offset:
        raise CommandRefused("invalid", f"work {command.work} is at offset {item.offset}",
                             "offset")
    return [PageDone(at=at, work=command.work, offset=command.offset, reached=command.reached,
                     skipped=command.skipped, done=command.done)]


@handles(MoveDeadline, AgencyAction.RUN_CYCLE, Gate.STARTED)
def _move_deadline(state: CycleState, command: MoveDeadline, at: datetime) -> list[CycleEvent]:
    if command.until.tzinfo is None:
        raise CommandRefused("invalid", "the new deadline needs a time zone", "until")
    if command.until <= at:
        raise CommandRefused("invalid", "a deadline can only be moved into the future", "until")
    _require_unit(state, command.unit)
    return [CycleDeadlineMoved(at=at, deadline=command.deadline, until=command.until,
                               reason=command.reason, unit=command.unit)]


@handles(SetOrganisationRating, AgencyAction.RUN_CYCLE, Gate.STARTED)
def _set_rating(state: CycleState, command: SetOrganisationRating, at: datetime
                ) -> list[CycleEvent]:
    unit = _require_unit(state, command.unit)
    if unit.released_at is not None:
        raise CommandRefused("phase", f"unit {command.unit} is already released")
    return [OrganisationRatingSet(at=at, unit=command.unit, rating=command.rating)]


@handles(ReleaseUnit, AgencyAction.RUN_CYCLE, Gate.STARTED)
def _release_unit(state: CycleState, command: ReleaseUnit, at: datetime) -> list[CycleEvent]:
    unit = _require_unit(state, command.unit)
    if unit.organisation_rating is None:
        raise CommandRefused("phase", f"set unit {command.unit}'s organisation rating first")
    if command.check.organisation_rating is not unit.organisation_rating:
        raise CommandRefused("invalid", "the check is for another organisation rating", "check")
    if command.check.total == 0:
        raise CommandRefused("phase", f"no appraisal of unit {command.unit} waits for release")
    if not command.check.passed and command.exception_reason is None:
        broken = "; ".join(b.description for b in command.check.broken)
        raise CommandRefused("invalid", f"the unit's predikat break the curve ({broken}); fix "
                                        "the reviews or record a justified exception",
                             "exception_reason")
    return [UnitReleased(at=at, unit=command.unit, passed=command.check.passed,
                         counts=command.check.counts,
                         broken=tuple(b.description for b in command.check.broken),
                         exception_reason=command.exception_reason)]


@handles(CloseCycle, AgencyAction.RUN_CYCLE, Gate.STARTED)
def _close(state: CycleState, command: CloseCycle, at: datetime) -> list[CycleEvent]:
    if state.status is not CycleStatus.RUNNING or state.pending:
        raise CommandRefused("phase", "the cycle still has work under way")
    if command.open_appraisals:
        raise CommandRefused("phase", f"{command.open_appraisals} appraisal(s) are neither "
                                      "final nor cancelled")
    return [CycleClosed(at=at, distribution=command.distribution)]


@handles(FollowRoster, AgencyAction.RUN_CYCLE, Gate.STARTED)
def _follow_roster(state: CycleState, command: FollowRoster, at: datetime
                   ) -> list[CycleEvent]:
    if state.status is not CycleStatus.RUNNING:
        raise CommandRefused("phase", "a cycle follows the roster once every appraisal is open")
    if not command.changes:
        raise CommandRefused("invalid", "the cycle already follows the roster: nothing changed",
                             "roster")
    return [RosterFollowed(at=at, roster_digest=command.roster_digest, changes=command.changes)]


def _require_unit(state: CycleState, unit: str | None) -> UnitState:
    if unit is None:
        return UnitState()
    found = state.units.get(unit)
    if found is None:
        raise CommandRefused("invalid", f"unit {unit} is not in this cycle's roster", "unit")
    return found


def _check_registry() -> None:
    members = set(get_args(get_args(CycleCommand)[0]))
    registered = {spec.model for spec in COMMANDS.values()}
    if members != registered:
        names = sorted(m.__name__ for m in members ^ registered)
        raise RuntimeError(f"the cycle command union and the registry differ: {', '.join(names)}")


_check_registry()


def decide(state: CycleState, command: CycleCommand, *, actor: Actor, at: datetime
           ) -> list[CycleEvent]:
    """The events ``command`` by ``actor`` at ``at`` causes, or :class:`CommandRefused`."""
    if at.tzinfo is None:
        raise CommandRefused("invalid", "the moment of a command needs a time zone", "at")
    spec = COMMANDS[command.kind]
    agency = command.agency if isinstance(command, CreateCycle) else state.agency
    if spec.action is None:
        if Role.SYSTEM not in actor.roles:
            raise CommandRefused("forbidden", "pages are recorded by the cycle itself")
    elif agency is None or not (Role.SYSTEM in actor.roles
                                or may_on_agency(actor, spec.action, agency)):
        raise CommandRefused("forbidden", "only HR of the agency may run its cycle")
    if spec.gate is Gate.ANY:
        return spec.handler(state, command, at)
    if state.status is None:
        raise CommandRefused("phase", "this cycle has not been created")
    if state.status is CycleStatus.CLOSED:
        raise CommandRefused("phase", "the cycle is closed; nothing changes it")
    if spec.gate is Gate.STARTED and state.status is CycleStatus.CREATED:
        raise CommandRefused("phase", "start the cycle first")
    return spec.handler(state, command, at)
