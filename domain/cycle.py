"""An agency's yearly cycle: ``decide(state, command) -> events`` and ``evolve(state, event)``.

HR creates a cycle for an agency and year with a policy and a calendar, then
starts it: the roster is frozen (its digest recorded) and one appraisal is
opened per member, page by page. While it runs, HR moves deadlines for the
whole cycle or one unit, sets each unit's organisation rating, and releases a
unit once its predikat pass the distribution curve (or with a justified
exception). The cycle closes when every appraisal is final or cancelled.

Work that reaches many appraisals (opening them, moving a deadline, releasing
a unit) is recorded here as *pending work*, done by the workflow in pages and
recorded page by page, so that a restarted worker resumes where it stopped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from domain.appraisal import CommandRefused, DeadlineKind, PositionKind
from domain.authorization import Actor, AgencyAction, Role, may_on_agency
from domain.calibration import CurveCheck, OrganisationRating
from domain.integrity import canonical_json
from domain.policy import POLICIES, POLICY_6_2022, CycleCalendar, FunctionalLevel
from domain.ratings import Predikat
from domain.roster import Roster, reporting_line
from domain.skp import Text
from domain.text import AGENCY_PATTERN as AGENCY_PATTERN  # the one grammar, re-exported

PAGE_SIZE = 500
"""Appraisals opened (or reached by a broadcast) per page of work."""



def cycle_id_of(agency: str, year: int) -> str:
    """``<agency>-<year>``; the workflow is ``cycle-<agency>-<year>``."""
    return f"{agency}-{year}"


class CycleStatus(StrEnum):
    CREATED = "created"
    STARTING = "starting"
    """The roster is frozen; appraisals are being opened page by page."""
    RUNNING = "running"
    CLOSED = "closed"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CycleMember(_Model):
    """One employee of the frozen roster, with the reporting line of that moment."""

    employee: Annotated[str, Field(min_length=1, max_length=128)]
    unit: Annotated[str, Field(min_length=1, max_length=100)]
    appraiser: str | None
    superior: str | None
    position_kind: PositionKind = PositionKind.STAFF
    functional_level: FunctionalLevel | None = None
    is_unit_leader: bool = False
    nip: str | None = None
    """Kept with the frozen roster in PostgreSQL for the results export; never sent to
    Temporal (appraisals know employees by key only)."""
    name: str | None = None

    def keys_only(self) -> CycleMember:
        """This member without the personal data (NIP, name): what may enter Temporal."""
        if self.nip is None and self.name is None:
            return self
        return self.model_copy(update={"nip": None, "name": None})


def cycle_members(roster: Roster) -> list[CycleMember]:
    """The roster as cycle members: each employee's unit, position, and reporting line
    (appraiser = direct superior; superior = the appraiser's superior); the leader of
    each unit marked (their review takes the unit's organisation rating)."""
    leaders = {unit.leader for unit in roster.units.values() if unit.leader}
    members = []
    for key in sorted(roster.employees):
        employee = roster.employees[key]
        line = reporting_line(roster, key)
        members.append(CycleMember(
            employee=key, unit=employee.unit, appraiser=line.appraiser, superior=line.superior,
            position_kind=employee.kind, functional_level=employee.level,
            is_unit_leader=key in leaders, nip=employee.nip, name=employee.name))
    return members


def roster_digest(members: Iterable[CycleMember]) -> str:
    """SHA-256 (hex) of the canonical JSON of the members, in employee order."""
    ordered = sorted(members, key=lambda m: m.employee)
    return hashlib.sha256(canonical_json([m.model_dump(mode="json") for m in ordered])).hexdigest()


class MembershipChange(_Model):
    """What a roster change means for one employee's appraisal in a running cycle."""

    kind: Literal["reassign", "transfer", "left", "joined"]
    employee: str
    appraisal_id: str | None
    """The employee's open appraisal (None for one who joined)."""
    member: CycleMember | None
    """The employee as the roster has them now (None for one who left), by keys only: a
    change travels through Temporal (the follow command, the cycle's state, the page's
    input), where no NIP and no name may go, so they are dropped here."""
    new_appraisal_id: str | None = None
    """For a transfer or a newcomer: the appraisal to open."""

    @field_validator("member")
    @classmethod
    def _keys_only(cls, member: CycleMember | None) -> CycleMember | None:
        return None if member is None else member.keys_only()


class OpenAppraisalOf(_Model):
    """An employee's open (not final, not cancelled) appraisal in a cycle, as the read
    model has it."""

    appraisal_id: str
    employee: str
    unit: str
    appraiser: str | None
    superior: str | None


def membership_changes(cycle_id: str, roster: Iterable[CycleMember],
                       open_appraisals: Iterable[OpenAppraisalOf], taken_ids: set[str],
                       tag: str) -> list[MembershipChange]:
    """How a running cycle follows the roster: a new appraiser or superior is a
    reassignment, another unit a transfer (the appraisal is cancelled and one opened in
    the new unit), an employee gone leaves (cancelled), a newcomer joins (opened).

    ``taken_ids`` are every appraisal id of the cycle; a new appraisal takes the plain
    ``appraisal-<cycle>-<key>`` when free, else that id with ``~<tag>`` (``tag`` names the
    roster version, so a retried sync derives the same ids).
    """
    current = {m.employee: m for m in roster}
    by_employee = {a.employee: a for a in open_appraisals}
    changes: list[MembershipChange] = []

    def new_id(employee: str) -> str:
        plain = f"appraisal-{cycle_id}-{employee}"
        return plain if plain not in taken_ids else f"{plain}~{tag}"

    for key in sorted(set(current) | set(by_employee)):
        member, appraisal = current.get(key), by_employee.get(key)
        if appraisal is None:
            assert member is not None
            if f"appraisal-{cycle_id}-{key}" in taken_ids:
                continue  # their appraisal here has ended (final or cancelled): not reopened
            changes.append(MembershipChange(kind="joined", employee=key, appraisal_id=None,
                                            member=member, new_appraisal_id=new_id(key)))
        elif member is None:
            changes.append(MembershipChange(kind="left", employee=key,
                                            appraisal_id=appraisal.appraisal_id, member=None))
        elif member.unit != appraisal.unit:
            changes.append(MembershipChange(kind="transfer", employee=key,
                                            appraisal_id=appraisal.appraisal_id, member=member,
                                            new_appraisal_id=new_id(key)))
        elif (member.appraiser, member.superior) != (appraisal.appraiser, appraisal.superior):
            changes.append(MembershipChange(kind="reassign", employee=key,
                                            appraisal_id=appraisal.appraisal_id, member=member))
    return changes


# --------------------------------------------------------------------------- #
# Commands


class CreateCycle(_Model):
    kind: Literal["create"] = "create"
    agency: Annotated[str, Field(pattern=AGENCY_PATTERN)]
    year: Annotated[int, Field(ge=2020, le=2100)]
    policy: str = POLICY_6_2022.name
    calendar: CycleCalendar
    page_size: Annotated[int, Field(ge=1, le=5000)] = PAGE_SIZE


class StartCycle(_Model):
    """Start with the roster frozen by the workflow (digest, size, units)."""

    kind: Literal["start"] = "start"
    roster_digest: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    members: Annotated[int, Field(ge=0)]
    units: tuple[str, ...]


class RecordPage(_Model):
    """A page of pending work is done (sent by the workflow, never by a person)."""

    kind: Literal["record_page"] = "record_page"
    work: int
    """Index of the pending work item."""
    offset: int
    reached: int
    """Appraisals the page changed."""
    skipped: int = 0
    """Appraisals the page left alone (already done, or refused by their own rules)."""
    done: bool


class MoveDeadline(_Model):
    kind: Literal["move_deadline"] = "move_deadline"
    deadline: DeadlineKind
    until: datetime
    reason: Text
    unit: str | None = None
    """None: the whole cycle."""


class SetOrganisationRating(_Model):
    kind: Literal["set_organisation_rating"] = "set_organisation_rating"
    unit: str
    rating: OrganisationRating


class ReleaseUnit(_Model):
    """Release a unit's results; ``check`` is the curve check of its predikat now."""

    kind: Literal["release_unit"] = "release_unit"
    unit: str
    check: CurveCheck
    exception_reason: Text | None = None


class CloseCycle(_Model):
    """Close; ``open_appraisals`` is how many are neither final nor cancelled now."""

    kind: Literal["close"] = "close"
    open_appraisals: Annotated[int, Field(ge=0)]
    distribution: dict[str, dict[Predikat, int]]
    """Final predikat counts per unit."""


class FollowRoster(_Model):
    """Apply the roster's changes since the cycle started (or last followed it)."""

    kind: Literal["follow_roster"] = "follow_roster"
    roster_digest: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    changes: tuple[MembershipChange, ...]


CycleCommand: TypeAlias = Annotated[
    CreateCycle | StartCycle | RecordPage | MoveDeadline | SetOrganisationRating | ReleaseUnit
    | CloseCycle | FollowRoster,
    Field(discriminator="kind"),
]


# --------------------------------------------------------------------------- #
# Pending work


class OpenAppraisals(_Model):
    kind: Literal["open_appraisals"] = "open_appraisals"


class BroadcastDeadline(_Model):
    kind: Literal["broadcast_deadline"] = "broadcast_deadline"
    deadline: DeadlineKind
    until: datetime
    reason: str
    unit: str | None


class BroadcastRating(_Model):
    kind: Literal["broadcast_rating"] = "broadcast_rating"
    unit: str
    rating: OrganisationRating


class BroadcastRelease(_Model):
    kind: Literal["broadcast_release"] = "broadcast_release"
    unit: str
    exception_reason: str | None


class ApplyMembershipChanges(_Model):
    kind: Literal["apply_membership_changes"] = "apply_membership_changes"
    changes: tuple[MembershipChange, ...]


Work: TypeAlias = Annotated[
    OpenAppraisals | BroadcastDeadline | BroadcastRating | BroadcastRelease
    | ApplyMembershipChanges,
    Field(discriminator="kind"),
]


class PendingWork(_Model):
    """One item of work over many appraisals, and how far it has come."""

    index: int
    work: Work
    offset: int = 0
    reached: int = 0
    skipped: int = 0


# --------------------------------------------------------------------------- #
# Events


class _Event(_Model):
    at: datetime


class CycleCreated(_Event):
    type: Literal["CycleCreated"] = "CycleCreated"
    cycle_id: str
    agency: str
    year: int
    policy: str
    calendar: CycleCalendar
    page_size: int = PAGE_SIZE


class CycleStarted(_Event):
    type: Literal["CycleStarted"] = "CycleStarted"
    roster_digest: str
    members: int
    units: tuple[str, ...]


class PageDone(_Event):
    type: Literal["PageDone"] = "PageDone"
    work: int
    offset: int
    reached: int
    skipped: int
    done: bool


class CycleDeadlineMoved(_Event):
    type: Literal["CycleDeadlineMoved"] = "CycleDeadlineMoved"
    deadline: DeadlineKind
    until: datetime
    reason: str
    unit: str | None


class OrganisationRatingSet(_Event):
    type: Literal["OrganisationRatingSet"] = "OrganisationRatingSet"
    unit: str
    rating: OrganisationRating


class UnitReleased(_Event):
    type: Literal["UnitReleased"] = "UnitReleased"
    unit: str
    passed: bool
    counts: dict[Predikat, int]
    broken: tuple[str, ...]
    exception_reason: str | None


class CycleClosed(_Event):
    type: Literal["CycleClosed"] = "CycleClosed"
    distribution: dict[str, dict[Predikat, int]]


class RosterFollowed(_Event):
    type: Literal["RosterFollowed"] = "RosterFollowed"
    roster_digest: str
    changes: tuple[MembershipChange, ...]


CycleEvent: TypeAlias = Annotated[
    CycleCreated | CycleStarted | PageDone | CycleDeadlineMoved | OrganisationRatingSet
    | UnitReleased | CycleClosed | RosterFollowed,
    Field(discriminator="type"),
]

_EVENT_ADAPTER: TypeAdapter[CycleEvent] = TypeAdapter(CycleEvent)


def cycle_event_data(event: CycleEvent) -> dict[str, Any]:
    """The JSON-ready payload of ``event`` as stored (without its type)."""
    return event.model_dump(mode="json", exclude={"type"})


def cycle_event_from_data(type_: str, data: dict[str, Any]) -> CycleEvent:
    """The event of a stored type and payload."""
    return _EVENT_ADAPTER.validate_python({**data, "type": type_})


# --------------------------------------------------------------------------- #
# State


class UnitState(_Model):
    organisation_rating: OrganisationRating | None = None
    released_at: datetime | None = None
    release_exception_reason: str | None = None


class CycleState(_Model):
    """Everything known about one cycle; the fold of its events."""

    version: int = 0
    cycle_id: str | None = None
    agency: str | None = None
    year: int | None = None
    policy: str | None = None
    calendar: CycleCalendar | None = None
    page_size: int = PAGE_SIZE
    status: CycleStatus | None = None
    roster_digest: str | None = None
    members: int = 0
    units: dict[str, UnitState] = Field(default_factory=dict)
    pending: tuple[PendingWork, ...] = ()
    work_done: int = 0
    """How many work items have ever finished (the next item's index is this plus pending)."""
    deadline_moves: tuple[CycleDeadlineMoved, ...] = ()
    closed_at: datetime | None = None
    distribution: dict[str, dict[Predikat, int]] = Field(default_factory=dict)

    @property
    def next_work_index(self) -> int:
        return self.work_done + len(self.pending)


# --------------------------------------------------------------------------- #
# decide


def decide(state: CycleState, command: CycleCommand, *, actor: Actor, at: datetime
           ) -> list[CycleEvent]:
    """The events ``command`` by ``actor`` at ``at`` causes, or :class:`CommandRefused`."""
    if at.tzinfo is None:
        raise CommandRefused("invalid", "the moment of a command needs a time zone", "at")
    agency = command.agency if isinstance(command, CreateCycle) else state.agency
    if isinstance(command, RecordPage):
        if Role.SYSTEM not in actor.roles:
            raise CommandRefused("forbidden", "pages are recorded by the cycle itself")
    elif agency is None or not _is_hr_of(actor, agency):
        raise CommandRefused("forbidden", "only HR of the agency may run its cycle")
    if isinstance(command, CreateCycle):
        return _create(state, command, at)
    if state.status is None:
        raise CommandRefused("phase", "this cycle has not been created")
    if state.status is CycleStatus.CLOSED:
        raise CommandRefused("phase", "the cycle is closed; nothing changes it")
    if isinstance(command, StartCycle):
        return _start(state, command, at)
    if isinstance(command, RecordPage):
        return _record_page(state, command, at)
    if state.status is CycleStatus.CREATED:
        raise CommandRefused("phase", "start the cycle first")
    if isinstance(command, MoveDeadline):
        return _move_deadline(state, command, at)
    if isinstance(command, SetOrganisationRating):
        return _set_rating(state, command, at)
    if isinstance(command, ReleaseUnit):
        return _release_unit(state, command, at)
    if isinstance(command, FollowRoster):
        return _follow_roster(state, command, at)
    return _close(state, command, at)


def _is_hr_of(actor: Actor, agency: str) -> bool:
    return Role.SYSTEM in actor.roles or may_on_agency(actor, AgencyAction.RUN_CYCLE, agency)


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


def _start(state: CycleState, command: StartCycle, at: datetime) -> list[CycleEvent]:
    if state.status is not CycleStatus.CREATED:
        raise CommandRefused("phase", "the cycle has already started")
    if command.members == 0:
        raise CommandRefused("invalid", "the agency's roster is empty: import it first",
                             "roster")
    return [CycleStarted(at=at, roster_digest=command.roster_digest, members=command.members,
                         units=command.units)]


def _record_page(state: CycleState, command: RecordPage, at: datetime) -> list[CycleEvent]:
    item = next((p for p in state.pending if p.index == command.work), None)
    if item is None:
        raise CommandRefused("invalid", f"no pending work {command.work}", "work")
    if command.offset != item.offset:
        raise CommandRefused("invalid", f"work {command.work} is at offset {item.offset}",
                             "offset")
    return [PageDone(at=at, work=command.work, offset=command.offset, reached=command.reached,
                     skipped=command.skipped, done=command.done)]


def _move_deadline(state: CycleState, command: MoveDeadline, at: datetime) -> list[CycleEvent]:
    if command.until.tzinfo is None:
        raise CommandRefused("invalid", "the new deadline needs a time zone", "until")
    if command.until <= at:
        raise CommandRefused("invalid", "a deadline can only be moved into the future", "until")
    _require_unit(state, command.unit)
    return [CycleDeadlineMoved(at=at, deadline=command.deadline, until=command.until,
                               reason=command.reason, unit=command.unit)]


def _set_rating(state: CycleState, command: SetOrganisationRating, at: datetime
                ) -> list[CycleEvent]:
    unit = _require_unit(state, command.unit)
    if unit.released_at is not None:
        raise CommandRefused("phase", f"unit {command.unit} is already released")
    return [OrganisationRatingSet(at=at, unit=command.unit, rating=command.rating)]


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


def _close(state: CycleState, command: CloseCycle, at: datetime) -> list[CycleEvent]:
    if state.status is not CycleStatus.RUNNING or state.pending:
        raise CommandRefused("phase", "the cycle still has work under way")
    if command.open_appraisals:
        raise CommandRefused("phase", f"{command.open_appraisals} appraisal(s) are neither "
                                      "final nor cancelled")
    return [CycleClosed(at=at, distribution=command.distribution)]


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


# --------------------------------------------------------------------------- #
# evolve


def evolve(state: CycleState, event: CycleEvent) -> CycleState:
    """The state after ``event``."""
    changes: dict[str, Any] = {"version": state.version + 1}
    if isinstance(event, CycleCreated):
        changes.update(cycle_id=event.cycle_id, agency=event.agency, year=event.year,
                       policy=event.policy, calendar=event.calendar,
                       page_size=event.page_size, status=CycleStatus.CREATED)
    elif isinstance(event, CycleStarted):
        changes.update(status=CycleStatus.STARTING, roster_digest=event.roster_digest,
                       members=event.members,
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


_CALENDAR_FIELD = {
    DeadlineKind.SKP: "skp_deadline",
    DeadlineKind.SELF_ASSESSMENT: "self_assessment_deadline",
    DeadlineKind.REVIEW: "review_deadline",
}


def calendar_for(calendar: CycleCalendar, moves: Iterable[CycleDeadlineMoved], unit: str
                 ) -> CycleCalendar:
    """The calendar an appraisal of ``unit`` opened now starts with: the cycle's, with
    every deadline move of the whole cycle or of that unit applied in order (so one who
    joins or transfers after a move gets the moved deadline too)."""
    changes: dict[str, datetime] = {}
    for move in moves:
        field_name = _CALENDAR_FIELD.get(move.deadline)
        if field_name is not None and move.unit in (None, unit):
            changes[field_name] = move.until
    return calendar.model_copy(update=changes) if changes else calendar


def fold_cycle(events: Iterable[CycleEvent], state: CycleState | None = None) -> CycleState:
    """Apply ``events`` in order, from ``state`` or from the empty state."""
    current = state or CycleState()
    for event in events:
        current = evolve(current, event)
    return current


def count_by_predikat(predikat: Iterable[Predikat | None]) -> dict[Predikat, int]:
    """Counts of each predikat present (None, not yet reviewed, is left out)."""
    counts: dict[Predikat, int] = {}
    for value in predikat:
        if value is not None:
            counts[value] = counts.get(value, 0) + 1
    return counts
