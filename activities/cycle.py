"""Activities of the cycle workflow: its events, its frozen roster, and pages of work
that reach many appraisals (opening them, or sending each one command).

Sending to appraisals goes through :class:`workflows.appraisal.client.AppraisalClient`
(the API's use cases use the same), with ids derived from the cycle, the work item
and the appraisal: a page retried after a crash opens nothing twice and applies
no command twice (Temporal deduplicates update ids; a command that no longer
applies is refused by the appraisal's own rules and counted as skipped).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial

import asyncpg
from temporalio import activity
from temporalio.client import Client

from activities.recording import record_once
from domain.appraisal import (
    EVENT_SCHEMA_VERSION,
    CancelAppraisal,
    CancelReason,
    Command,
    CommandRefused,
    ExtendDeadline,
    OpenAppraisal,
    ReassignParties,
    RecordOrganisationRating,
    ReleaseResult,
)
from domain.authorization import SYSTEM_ACTOR, Parties
from domain.calibration import CurveCheck, check_distribution
from domain.cycle import (
    ApplyMembershipChanges,
    BroadcastDeadline,
    BroadcastRating,
    BroadcastRelease,
    CycleMember,
    MembershipChange,
    OpenAppraisals,
    calendar_for,
    membership_changes,
    roster_digest,
)
from domain.policy import POLICIES
from store.cycles import CycleStore, cycle_write
from store.event_log import EventLog, NewEvent
from workflows.appraisal.client import AppraisalClient, AppraisalEnded, AppraisalNotFound
from workflows.appraisal.contract import (
    RecordedVersion,
    workflow_id,
)
from workflows.cycle.contract import (
    CyclePage,
    CycleTally,
    CycleTallyResult,
    FreezeRoster,
    FrozenRosterInfo,
    PageOutcome,
    RecordCycleEvents,
    RosterFollowFacts,
    UnitCurveRequest,
)

RosterSource = Callable[[str], Awaitable[list[CycleMember]]]
"""The agency's current roster as cycle members (appraiser and superior resolved)."""


class CycleActivities:
    """Activities bound to a pool, a Temporal client and the appraisals' task queue."""

    def __init__(self, pool: asyncpg.Pool, client: Client, *, task_queue: str,
                 roster_source: RosterSource, concurrency: int = 16) -> None:
        self._pool = pool
        self._event_log = EventLog(pool)
        self._store = CycleStore(pool)
        self._appraisals = AppraisalClient(client, task_queue)
        self._roster_source = roster_source
        self._concurrency = concurrency

    @activity.defn
    async def record_cycle_events(self, request: RecordCycleEvents) -> RecordedVersion:
        """Append the cycle's events and write its read model in one statement."""
        events = [NewEvent(type=e.type, data=e.data, metadata=request.metadata,
                           schema_version=EVENT_SCHEMA_VERSION, recorded_at=request.recorded_at)
                  for e in request.events]

        return await record_once(self._event_log, request.stream_id,
                                 request.expected_version, events,
                                 request.metadata.get("request_id"),
                                 cycle_write(request.state, request.recorded_at))

    @activity.defn
    async def freeze_cycle_roster(self, request: FreezeRoster) -> FrozenRosterInfo:
        """Freeze the agency's roster for the cycle (the first freeze wins on retry)."""
        members = await self._roster_source(request.agency)
        frozen = await self._store.freeze_members(request.cycle_id, members)
        return FrozenRosterInfo(digest=frozen.digest, members=frozen.members,
                                units=frozen.units)

    @activity.defn
    async def check_unit_curve(self, request: UnitCurveRequest) -> CurveCheck:
        """The unit's reviewed predikat against the curve of its organisation rating."""
        predikat = await self._store.unit_predikat(request.cycle_id, request.unit)
        return check_distribution(request.rating, predikat, POLICIES[request.policy].curve)

    @activity.defn
    async def tally_cycle(self, request: CycleTally) -> CycleTallyResult:
        open_count, distribution = await self._store.tally(request.cycle_id)
        return CycleTallyResult(open_appraisals=open_count, distribution=distribution)

    @activity.defn
    async def run_cycle_page(self, page: CyclePage) -> PageOutcome:
        """Do one page of a work item, at most ``concurrency`` appraisals at a time:
        opening reaches the frozen roster's members; a broadcast, the cycle's appraisals
        (of its unit, if any) by id; following the roster, the work's own changes."""
        work = page.work.work
        offset, size = page.work.offset, page.page_size
        steps: list[Callable[[], Awaitable[bool]]]
        if isinstance(work, OpenAppraisals):
            members = await self._store.members(page.cycle_id, offset=offset, limit=size)
            steps = [partial(self._open, page, m, workflow_id(page.cycle_id, m.employee),
                             self._request_id(page, m.employee)) for m in members]
            done = len(members) < size
        elif isinstance(work, ApplyMembershipChanges):
            changes = work.changes[offset:offset + size]
            steps = [partial(self._follow, page, c) for c in changes]
            done = offset + size >= len(work.changes)
        else:
            appraisals = await self._store.appraisals(
                page.cycle_id, unit=getattr(work, "unit", None), offset=offset, limit=size)
            steps = [partial(self._broadcast, page, a.appraisal_id, a.is_unit_leader)
                     for a in appraisals]
            done = len(appraisals) < size
        limit = asyncio.Semaphore(self._concurrency)
        done_count = 0

        async def one(step: Callable[[], Awaitable[bool]]) -> bool:
            nonlocal done_count
            async with limit:
                reached = await step()
                done_count += 1
                activity.heartbeat(done_count)
                return reached

        outcomes = await asyncio.gather(*(one(step) for step in steps))
        reached = sum(outcomes)
        return PageOutcome(reached=reached, skipped=len(outcomes) - reached, done=done)

    @staticmethod
    def _request_id(page: CyclePage, subject: str, step: str = "") -> str:
        return f"cycle-{page.cycle_id}-work{page.work.index}{step}-{subject}"

    async def _broadcast(self, page: CyclePage, appraisal_id: str, is_unit_leader: bool
                         ) -> bool:
        work = page.work.work
        command: Command
        if isinstance(work, BroadcastDeadline):
            command = ExtendDeadline(deadline=work.deadline, until=work.until, reason=work.reason)
        elif isinstance(work, BroadcastRating):
            if not is_unit_leader:
                return False  # only a leader's review takes the unit's rating
            command = RecordOrganisationRating(rating=work.rating)
        else:
            assert isinstance(work, BroadcastRelease)
            # The unit is released: passed, or under its recorded exception.
            command = ReleaseResult(exception_reason=work.exception_reason,
                                    unit_calibrated=work.exception_reason is None)
        return await self._send(appraisal_id, command, self._request_id(page, appraisal_id))

    async def _follow(self, page: CyclePage, change: MembershipChange) -> bool:
        """One employee's roster change: reassign, or cancel (left, transfer) and open."""
        reached = False
        if change.kind == "reassign":
            assert change.appraisal_id is not None and change.member is not None
            return await self._send(change.appraisal_id, ReassignParties(
                appraiser=change.member.appraiser, superior=change.member.superior,
                reason="atasan berubah menurut roster (reporting line changed)"),
                self._request_id(page, change.appraisal_id))
        if change.kind in ("left", "transfer"):
            assert change.appraisal_id is not None
            if change.kind == "transfer":
                assert change.member is not None
                cancel = CancelAppraisal(reason_kind=CancelReason.TRANSFER,
                                         reason=f"pindah ke unit {change.member.unit}")
            else:
                cancel = CancelAppraisal(
                    reason_kind=CancelReason.OTHER,
                    reason="tidak lagi dalam roster instansi (left the roster)")
            reached = await self._send(change.appraisal_id, cancel,
                                       self._request_id(page, change.appraisal_id))
        if change.member is not None and change.new_appraisal_id is not None:
            reached = await self._open(page, change.member, change.new_appraisal_id,
                                       self._request_id(page, change.new_appraisal_id, "o"))
        return reached

    @activity.defn
    async def diff_cycle_roster(self, request: FreezeRoster) -> RosterFollowFacts:
        """What the cycle must do to follow the agency's roster as it is now."""
        members = await self._roster_source(request.agency)
        digest = roster_digest(members)
        open_appraisals, taken = await self._store.open_appraisals(request.cycle_id)
        changes = membership_changes(request.cycle_id, members, open_appraisals, taken,
                                     tag=digest[:8])
        return RosterFollowFacts(roster_digest=digest, changes=changes)

    async def _open(self, page: CyclePage, member: CycleMember, appraisal_id: str,
                    request_id: str) -> bool:
        command = OpenAppraisal(
            appraisal_id=appraisal_id, cycle_id=page.cycle_id,
            parties=Parties(agency=page.agency, unit=member.unit, employee=member.employee,
                            appraiser=member.appraiser, superior=member.superior),
            policy=POLICIES[page.policy],
            calendar=calendar_for(page.calendar, page.deadline_moves, member.unit),
            position_kind=member.position_kind, functional_level=member.functional_level,
            is_unit_leader=member.is_unit_leader)
        try:  # returns once the opening is stored, so a finished page means open appraisals
            await self._appraisals.open(command, SYSTEM_ACTOR, request_id)
        except AppraisalEnded:
            return False  # its workflow has ended (cancelled, say): not opened again
        except CommandRefused:
            return False  # opened already, by HR by hand
        return True

    async def _send(self, appraisal_id: str, command: Command, request_id: str) -> bool:
        try:
            await self._appraisals.send(appraisal_id, command, SYSTEM_ACTOR, request_id)
        except CommandRefused:
            return False  # the appraisal's rules say no (phase moved on, not later, ...)
        except (AppraisalEnded, AppraisalNotFound):
            return False  # never opened, or ended (final or cancelled)
        return True
