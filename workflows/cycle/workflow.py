"""``CycleWorkflow``: an agency's yearly cycle, as a durable process.

HR's requests arrive as one Temporal Update, ``command``. Its validator runs
``domain.cycle.decide`` on the current state with neutral facts (who may, and
when); the handler gathers the real facts through activities (the frozen
roster, a unit's curve check, the tally of open appraisals), decides again,
records the events (a local activity: the cycle's stream and its read model in
one transaction) and applies them.

Work over many appraisals (opening them, moving a deadline, a unit's rating or
release) is pending work in the state. The main loop does it one page at a
time (an activity, retried as a whole: every id in it is derived, so a retry
repeats nothing), records each page, and continues as new between pages, so a
10,000-employee start keeps a short history and resumes after any crash.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

from workflows.appraisal.workflow import BEHIND_ERROR_TYPE, MAX_CATCH_UPS, refusal_error

with workflow.unsafe.imports_passed_through():
    from activities.cycle import CycleActivities
    from domain.appraisal import CommandRefused
    from domain.authorization import SYSTEM_ACTOR, Actor
    from domain.calibration import CurveCheck, OrganisationRating
    from domain.cycle import (
        CloseCycle,
        CreateCycle,
        CycleCommand,
        CycleEvent,
        CycleState,
        CycleStatus,
        FollowRoster,
        MembershipChange,
        RecordPage,
        ReleaseUnit,
        StartCycle,
        cycle_id_of,
        decide,
        event_data,
        event_from_data,
        fold,
    )
    from domain.policy import POLICIES, default_calendar
    from workflows.appraisal.contract import UNSTORABLE_ERROR_TYPE, EventRecord, RecordedVersion
    from workflows.cycle.contract import (
        CloseCycleRequest,
        CycleIntent,
        CyclePage,
        CycleRequest,
        CycleResult,
        CycleStart,
        CycleTally,
        FollowRosterRequest,
        FreezeRoster,
        NextCycleInput,
        RecordCycleEvents,
        ReleaseUnitRequest,
        StartCycleRequest,
        UnitCurveRequest,
        cycle_workflow_id,
    )

RECORD_TIMEOUT = timedelta(seconds=30)
FACT_TIMEOUT = timedelta(minutes=5)
PAGE_TIMEOUT = timedelta(minutes=30)
PAGE_HEARTBEAT = timedelta(minutes=2)
RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=500),
                    maximum_interval=timedelta(seconds=30))


@workflow.defn
class CycleWorkflow:
    @workflow.init
    def __init__(self, start: CycleStart) -> None:
        self._cycle_id = start.cycle_id
        self._state = start.resume or CycleState()
        self._lock = asyncio.Lock()

    @workflow.run
    async def run(self, start: CycleStart) -> CycleState:
        if start.create is not None and self._state.status is None:
            async with self._lock:
                await self._execute(await self._with_facts(start.create.intent),
                                    start.create.actor, start.create.request_id)
        while True:
            await workflow.wait_condition(
                lambda: bool(self._state.pending) or self._state.status is CycleStatus.CLOSED)
            if self._state.status is CycleStatus.CLOSED:
                break
            await self._do_page()
            await workflow.wait_condition(workflow.all_handlers_finished)
            if self._state.pending:
                workflow.continue_as_new(CycleStart(cycle_id=self._cycle_id, resume=self._state))
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._state

    @workflow.update
    async def command(self, request: CycleRequest) -> CycleResult:
        """Handle one of HR's requests: gather its facts, decide, record, apply."""
        async with self._lock:
            command = await self._with_facts(request.intent)
            return await self._execute(command, request.actor, request.request_id)

    @command.validator
    def validate_command(self, request: CycleRequest) -> None:
        """Refuse, before it enters history, a request the domain refuses now."""
        try:
            decide(self._state, _neutral(request.intent, self._state), actor=request.actor,
                   at=workflow.now())
        except CommandRefused as refused:
            raise refusal_error(refused) from None

    @workflow.query
    def state(self) -> CycleState:
        return self._state

    async def _with_facts(self, intent: CycleIntent) -> CycleCommand:
        state = self._state
        if isinstance(intent, StartCycleRequest):
            assert state.agency is not None
            roster = await workflow.execute_activity_method(
                CycleActivities.freeze_cycle_roster,
                FreezeRoster(cycle_id=self._cycle_id, agency=state.agency),
                start_to_close_timeout=FACT_TIMEOUT, retry_policy=RETRY)
            return StartCycle(roster_digest=roster.digest, members=roster.members,
                              units=roster.units)
        if isinstance(intent, ReleaseUnitRequest):
            unit = state.units.get(intent.unit)
            rating = unit.organisation_rating if unit else None
            if rating is None or state.policy is None:
                return _neutral(intent, state)  # decide refuses it with the reason
            check = await workflow.execute_activity_method(
                CycleActivities.check_unit_curve,
                UnitCurveRequest(cycle_id=self._cycle_id, unit=intent.unit, rating=rating,
                                 policy=state.policy),
                start_to_close_timeout=FACT_TIMEOUT, retry_policy=RETRY)
            return ReleaseUnit(unit=intent.unit, check=check,
                               exception_reason=intent.exception_reason)
        if isinstance(intent, FollowRosterRequest):
            assert state.agency is not None
            facts = await workflow.execute_activity_method(
                CycleActivities.diff_cycle_roster,
                FreezeRoster(cycle_id=self._cycle_id, agency=state.agency),
                start_to_close_timeout=FACT_TIMEOUT, retry_policy=RETRY)
            return FollowRoster(roster_digest=facts.roster_digest, changes=tuple(facts.changes))
        if isinstance(intent, CloseCycleRequest):
            tally = await workflow.execute_activity_method(
                CycleActivities.tally_cycle, CycleTally(cycle_id=self._cycle_id),
                start_to_close_timeout=FACT_TIMEOUT, retry_policy=RETRY)
            return CloseCycle(open_appraisals=tally.open_appraisals,
                              distribution=tally.distribution)
        return intent

    async def _do_page(self) -> None:
        item = self._state.pending[0]
        state = self._state
        assert state.agency and state.policy and state.calendar
        outcome = await workflow.execute_activity_method(
            CycleActivities.run_cycle_page,
            CyclePage(cycle_id=self._cycle_id, agency=state.agency, policy=state.policy,
                      calendar=state.calendar, deadline_moves=state.deadline_moves, work=item,
                      page_size=state.page_size),
            start_to_close_timeout=PAGE_TIMEOUT,
            heartbeat_timeout=PAGE_HEARTBEAT, retry_policy=RETRY,
            summary=f"{item.work.kind} page at {item.offset}")
        async with self._lock:
            await self._execute(
                RecordPage(work=item.index, offset=item.offset, reached=outcome.reached,
                           skipped=outcome.skipped, done=outcome.done),
                SYSTEM_ACTOR, f"page-{item.index}-{item.offset}")

    async def _execute(self, command: CycleCommand, actor: Actor, request_id: str | None
                       ) -> CycleResult:
        for _ in range(MAX_CATCH_UPS + 1):
            try:
                events = decide(self._state, command, actor=actor, at=workflow.now())
            except CommandRefused as refused:
                raise refusal_error(refused) from None
            state = fold(events, self._state)
            recorded = await self._record(events, state, actor, request_id)
            if recorded.outcome == "appended":
                return self._applied(state, [e.type for e in events])
            stored = [event_from_data(e.type, e.data) for e in recorded.stored]
            caught_up = fold(stored, self._state)
            if recorded.outcome == "retry":  # an earlier attempt is what the log holds
                return self._applied(caught_up, [e.type for e in stored])
            self._state = caught_up  # the log is ahead: catch up, decide again
        raise ApplicationError("the cycle's log kept moving while this request was decided",
                               type=BEHIND_ERROR_TYPE, non_retryable=True)

    def _applied(self, state: CycleState, types: list[str]) -> CycleResult:
        self._state = state
        return CycleResult(cycle_id=self._cycle_id, version=state.version,
                           status=state.status or CycleStatus.CREATED, events=types)

    async def _record(self, events: list[CycleEvent], state: CycleState, actor: Actor,
                      request_id: str | None) -> RecordedVersion:
        info = workflow.info()
        update = workflow.current_update_info()
        record = RecordCycleEvents(
            stream_id=cycle_workflow_id(self._cycle_id),
            expected_version=self._state.version,
            events=[EventRecord(type=e.type, data=event_data(e)) for e in events],
            metadata={
                **actor.log_metadata(),
                "request_id": request_id or (update.id if update else None),
                "workflow_id": info.workflow_id,
                "run_id": info.run_id,
            },
            recorded_at=workflow.now(),
            state=state,
        )
        return await workflow.execute_local_activity_method(
            CycleActivities.record_cycle_events, record,
            start_to_close_timeout=RECORD_TIMEOUT,
            retry_policy=RetryPolicy(initial_interval=RETRY.initial_interval,
                                     maximum_interval=RETRY.maximum_interval,
                                     non_retryable_error_types=[UNSTORABLE_ERROR_TYPE]))


def _neutral(intent: CycleIntent, state: CycleState) -> CycleCommand:
    """The command of ``intent`` with facts that pass their own checks: what the
    validator decides on (who may, and when); the handler decides on the real facts."""
    if isinstance(intent, StartCycleRequest):
        return StartCycle(roster_digest="0" * 64, members=1, units=())
    if isinstance(intent, ReleaseUnitRequest):
        unit = state.units.get(intent.unit)
        rating = (unit.organisation_rating if unit else None) or OrganisationRating.BAIK
        return ReleaseUnit(unit=intent.unit, exception_reason=intent.exception_reason,
                           check=CurveCheck(organisation_rating=rating, total=1, counts={},
                                            broken=()))
    if isinstance(intent, CloseCycleRequest):
        return CloseCycle(open_appraisals=0, distribution={})
    if isinstance(intent, FollowRosterRequest):
        return FollowRoster(roster_digest="0" * 64, changes=(MembershipChange(
            kind="left", employee="-", appraisal_id="-", member=None),))
    return intent


@workflow.defn
class NextCycleWorkflow:
    """Started by the yearly schedule: creates the agency's cycle for next year (the year
    after the moment it runs), with the policy's default calendar. Creating a cycle
    that exists already changes nothing."""

    @workflow.run
    async def run(self, request: NextCycleInput) -> str:
        year = workflow.now().year + 1
        cycle_id = cycle_id_of(request.agency, year)
        create = CreateCycle(agency=request.agency, year=year, policy=request.policy,
                             calendar=default_calendar(year, POLICIES[request.policy],
                                                       request.utc_offset_hours))
        try:
            await workflow.start_child_workflow(
                CycleWorkflow.run,
                CycleStart(cycle_id=cycle_id, create=CycleRequest(
                    intent=create, actor=SYSTEM_ACTOR, request_id=f"schedule-{cycle_id}")),
                id=cycle_workflow_id(cycle_id),
                parent_close_policy=ParentClosePolicy.ABANDON,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE)
        except WorkflowAlreadyStartedError:
            workflow.logger.info("cycle %s exists already", cycle_id)
        return cycle_id
