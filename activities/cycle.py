"""Activities of the cycle workflow: its events, its frozen roster, and pages of work
that reach many appraisals (opening them, or sending each one command).

Sending to appraisals goes through the Temporal client, by workflow and update
*name* (``activities.messages``), with ids derived from the cycle, the work item
and the appraisal: a page retried after a crash opens nothing twice and applies
no command twice (Temporal deduplicates update ids; a command that no longer
applies is refused by the appraisal's own rules and counted as skipped).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import asyncpg
from temporalio import activity
from temporalio.client import Client, WithStartWorkflowOperation, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from activities.contracts import (
    CHECK_UNIT_CURVE,
    FREEZE_CYCLE_ROSTER,
    RECORD_CYCLE_EVENTS,
    RUN_CYCLE_PAGE,
    TALLY_CYCLE,
    CyclePage,
    CycleTally,
    CycleTallyResult,
    FreezeRoster,
    FrozenRosterInfo,
    PageOutcome,
    RecordCycleEvents,
    RecordedVersion,
    UnitCurveRequest,
)
from activities.messages import (
    APPRAISAL_WORKFLOW,
    COMMAND_UPDATE,
    REFUSED_ERROR_TYPE,
    AppraisalStart,
    CommandRequest,
    CommandResult,
    workflow_id,
)
from domain.appraisal import (
    EVENT_SCHEMA_VERSION,
    AppraisalState,
    Command,
    ExtendDeadline,
    OpenAppraisal,
    RecordOrganisationRating,
    ReleaseResult,
)
from domain.authorization import SYSTEM_ACTOR, Parties
from domain.calibration import CurveCheck, check_distribution
from domain.cycle import (
    BroadcastDeadline,
    BroadcastRating,
    BroadcastRelease,
    CycleMember,
    OpenAppraisals,
)
from domain.policy import POLICIES
from store.cycles import CycleStore, save_cycle
from store.event_log import EventLog, NewEvent

RosterSource = Callable[[str], Awaitable[list[CycleMember]]]
"""The agency's current roster as cycle members (appraiser and superior resolved)."""


class CycleActivities:
    """Activities bound to a pool, a Temporal client and the appraisals' task queue."""

    def __init__(self, pool: asyncpg.Pool, client: Client, *, task_queue: str,
                 roster_source: RosterSource, concurrency: int = 16) -> None:
        self._pool = pool
        self._event_log = EventLog(pool)
        self._store = CycleStore(pool)
        self._client = client
        self._task_queue = task_queue
        self._roster_source = roster_source
        self._concurrency = concurrency

    @activity.defn(name=RECORD_CYCLE_EVENTS)
    async def record_cycle_events(self, request: RecordCycleEvents) -> RecordedVersion:
        """Append the cycle's events and write its read model in one transaction."""
        events = [NewEvent(type=e.type, data=e.data, metadata=request.metadata,
                           schema_version=EVENT_SCHEMA_VERSION, recorded_at=request.recorded_at)
                  for e in request.events]
        async with self._pool.acquire() as connection, connection.transaction():
            recorded = await self._event_log.append(
                request.stream_id, request.expected_version, events, connection=connection)
            await save_cycle(connection, request.state, request.recorded_at)
        return RecordedVersion(version=recorded[-1].version if recorded else
                               request.expected_version)

    @activity.defn(name=FREEZE_CYCLE_ROSTER)
    async def freeze_cycle_roster(self, request: FreezeRoster) -> FrozenRosterInfo:
        """Freeze the agency's roster for the cycle (the first freeze wins on retry)."""
        members = await self._roster_source(request.agency)
        frozen = await self._store.freeze_members(request.cycle_id, members)
        return FrozenRosterInfo(digest=frozen.digest, members=frozen.members,
                                units=frozen.units)

    @activity.defn(name=CHECK_UNIT_CURVE)
    async def check_unit_curve(self, request: UnitCurveRequest) -> CurveCheck:
        """The unit's reviewed predikat against the curve of its organisation rating."""
        predikat = await self._store.unit_predikat(request.cycle_id, request.unit)
        return check_distribution(request.rating, predikat, POLICIES[request.policy].curve)

    @activity.defn(name=TALLY_CYCLE)
    async def tally_cycle(self, request: CycleTally) -> CycleTallyResult:
        open_count, distribution = await self._store.tally(request.cycle_id)
        return CycleTallyResult(open_appraisals=open_count, distribution=distribution)

    @activity.defn(name=RUN_CYCLE_PAGE)
    async def run_cycle_page(self, page: CyclePage) -> PageOutcome:
        """Do one page of a work item: every member at the page's offset, at most
        ``concurrency`` at a time."""
        work = page.work.work
        unit = getattr(work, "unit", None)
        members = await self._store.members(page.cycle_id, unit=unit, offset=page.work.offset,
                                            limit=page.page_size)
        limit = asyncio.Semaphore(self._concurrency)
        done_count = 0

        async def one(member: CycleMember) -> bool:
            nonlocal done_count
            async with limit:
                reached = await self._one(page, member)
                done_count += 1
                activity.heartbeat(done_count)
                return reached

        outcomes = await asyncio.gather(*(one(m) for m in members))
        reached = sum(outcomes)
        return PageOutcome(reached=reached, skipped=len(outcomes) - reached,
                           done=len(members) < page.page_size)

    async def _one(self, page: CyclePage, member: CycleMember) -> bool:
        appraisal_id = workflow_id(page.cycle_id, member.employee)
        work = page.work.work
        request_id = f"cycle-{page.cycle_id}-work{page.work.index}-{appraisal_id}"
        if isinstance(work, OpenAppraisals):
            return await self._open(page, member, appraisal_id, request_id)
        command: Command
        if isinstance(work, BroadcastDeadline):
            command = ExtendDeadline(deadline=work.deadline, until=work.until, reason=work.reason)
        elif isinstance(work, BroadcastRating):
            if not member.is_unit_leader:
                return False  # only a leader's review takes the unit's rating
            command = RecordOrganisationRating(rating=work.rating)
        else:
            assert isinstance(work, BroadcastRelease)
            command = ReleaseResult(exception_reason=work.exception_reason)
        return await self._send(appraisal_id, command, request_id)

    async def _open(self, page: CyclePage, member: CycleMember, appraisal_id: str,
                    request_id: str) -> bool:
        command = OpenAppraisal(
            appraisal_id=appraisal_id, cycle_id=page.cycle_id,
            parties=Parties(agency=page.agency, unit=member.unit, employee=member.employee,
                            appraiser=member.appraiser, superior=member.superior),
            policy=POLICIES[page.policy], calendar=page.calendar,
            position_kind=member.position_kind, functional_level=member.functional_level,
            is_unit_leader=member.is_unit_leader)
        start = WithStartWorkflowOperation(
            APPRAISAL_WORKFLOW, AppraisalStart(appraisal_id=appraisal_id), id=appraisal_id,
            task_queue=self._task_queue, result_type=AppraisalState,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE)
        request = CommandRequest(command=command, actor=SYSTEM_ACTOR, request_id=request_id)
        try:  # returns once the opening is stored, so a finished page means open appraisals
            await self._client.execute_update_with_start_workflow(
                COMMAND_UPDATE, request, start_workflow_operation=start, id=request_id,
                result_type=CommandResult)
        except WorkflowAlreadyStartedError:
            return False  # its workflow has ended (cancelled, say): not opened again
        except WorkflowUpdateFailedError as failed:
            if _refused(failed):
                return False  # opened already, by HR by hand
            raise
        return True

    async def _send(self, appraisal_id: str, command: Command, request_id: str) -> bool:
        handle = self._client.get_workflow_handle(appraisal_id)
        request = CommandRequest(command=command, actor=SYSTEM_ACTOR, request_id=request_id)
        try:
            await handle.execute_update(COMMAND_UPDATE, request, id=request_id,
                                        result_type=CommandResult)
        except WorkflowUpdateFailedError as failed:
            if _refused(failed):
                return False  # the appraisal's rules say no (phase moved on, not later, ...)
            raise
        except RPCError as error:
            if error.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
                return False  # never opened, or ended (final or cancelled)
            raise
        return True


def _refused(failed: WorkflowUpdateFailedError) -> bool:
    cause = failed.cause
    return isinstance(cause, ApplicationError) and cause.type == REFUSED_ERROR_TYPE
