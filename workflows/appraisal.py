"""``AppraisalWorkflow``: one employee's appraisal in one cycle, as a durable process.

Commands arrive as one Temporal Update, ``command``. Its validator runs
``domain.decide`` on the current state, so a refused command never enters the
history and the caller gets the domain's reason. The handler decides again
under the lock (the state may have moved since validation), appends the events
through a local activity (idempotent by event id), then applies them. The
running deadline is a durable timer that is re-armed whenever the deadline
changes; when it fires, the workflow sends itself ``PassDeadline``.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.contracts import (
        RECORD_APPRAISAL_EVENTS,
        AppraisalSnapshot,
        EventRecord,
        RecordAppraisalEvents,
        RecordedVersion,
    )
    from activities.messages import (
        REFUSED_ERROR_TYPE,
        AppraisalStart,
        CommandRequest,
        CommandResult,
    )
    from domain.appraisal import (
        AppraisalState,
        CommandRefused,
        DeadlineKind,
        Event,
        OpenAppraisal,
        PassDeadline,
        Phase,
        decide,
        event_data,
        evolve,
    )
    from domain.authorization import SYSTEM_ACTOR

RECORD_TIMEOUT = timedelta(seconds=30)
CONTINUE_AS_NEW_AFTER_EVENTS = 5_000


@workflow.defn
class AppraisalWorkflow:
    @workflow.init
    def __init__(self, start: AppraisalStart) -> None:
        self._appraisal_id = start.appraisal_id
        self._state = start.resume or AppraisalState()
        self._lock = asyncio.Lock()

    @workflow.run
    async def run(self, start: AppraisalStart) -> AppraisalState:
        await workflow.wait_condition(lambda: self._state.phase is not Phase.NOT_OPENED)
        while not self._state.is_terminal:
            if self._should_continue_as_new():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(
                    AppraisalStart(appraisal_id=self._appraisal_id, resume=self._state))
            running = self._state.next_deadline()
            try:
                await workflow.wait_condition(
                    lambda running=running: self._state.is_terminal  # type: ignore[misc]
                    or self._state.next_deadline() != running
                    or self._should_continue_as_new(),
                    timeout=self._seconds_until(running),
                    timeout_summary=f"{running[0].value} deadline" if running else None,
                )
            except TimeoutError:
                assert running is not None
                await self._pass_deadline(running[0])
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._state

    @workflow.update
    async def command(self, request: CommandRequest) -> CommandResult:
        """Run one command: decide, store the events, apply them; return the new state."""
        return await self._execute(request)

    @command.validator
    def validate_command(self, request: CommandRequest) -> None:
        """Refuse, before it enters history, a command the domain refuses now."""
        try:
            decide(self._state, request.command, actor=request.actor, at=workflow.now())
        except CommandRefused as refused:
            raise refusal_error(refused) from None

    @workflow.query
    def state(self) -> AppraisalState:
        """The appraisal's current state."""
        return self._state

    async def _pass_deadline(self, kind: DeadlineKind) -> None:
        request = CommandRequest(command=PassDeadline(deadline=kind), actor=SYSTEM_ACTOR,
                                 request_id=f"deadline-{kind.value}-{self._state.version}")
        try:
            await self._execute(request)
        except ApplicationError as error:
            # A command that raced the timer (an extension, a late approval) changed
            # the state first: the deadline no longer runs, and the loop re-arms.
            if error.type != REFUSED_ERROR_TYPE:
                raise

    async def _execute(self, request: CommandRequest) -> CommandResult:
        async with self._lock:
            now = workflow.now()
            try:
                events = decide(self._state, request.command, actor=request.actor, at=now)
            except CommandRefused as refused:
                raise refusal_error(refused) from None
            state = self._state
            for event in events:
                state = evolve(state, event)
            await self._record(request, events, state)
            self._state = state
            if isinstance(request.command, OpenAppraisal):
                self._appraisal_id = request.command.appraisal_id
            return CommandResult(appraisal_id=self._appraisal_id, version=state.version,
                                 phase=state.phase, events=[e.type for e in events])

    async def _record(self, request: CommandRequest, events: list[Event],
                      state: AppraisalState) -> None:
        info = workflow.info()
        actor = request.actor
        record = RecordAppraisalEvents(
            stream_id=self._appraisal_id,
            expected_version=self._state.version,
            events=[EventRecord(type=e.type, data=event_data(e)) for e in events],
            metadata={
                "actor": actor.subject,
                "roles": sorted(role.value for role in actor.roles),
                "request_id": request.request_id or _current_update_id(),
                "workflow_id": info.workflow_id,
                "run_id": info.run_id,
            },
            recorded_at=workflow.now(),
            snapshot=AppraisalSnapshot.of(state),
        )
        await workflow.execute_local_activity(
            RECORD_APPRAISAL_EVENTS,
            record,
            result_type=RecordedVersion,
            start_to_close_timeout=RECORD_TIMEOUT,
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=200),
                                     maximum_interval=timedelta(seconds=10)),
        )

    def _seconds_until(self, running: tuple[DeadlineKind, datetime] | None) -> float | None:
        if running is None:
            return None
        return max(0.0, (running[1] - workflow.now()).total_seconds())

    def _should_continue_as_new(self) -> bool:
        return (workflow.info().is_continue_as_new_suggested()
                or workflow.info().get_current_history_length() > CONTINUE_AS_NEW_AFTER_EVENTS)


def refusal_error(refused: CommandRefused) -> ApplicationError:
    """The update failure of a refused command: its type, and [code, reason, field]."""
    return ApplicationError(refused.reason, refused.code, refused.reason, refused.field,
                            type=REFUSED_ERROR_TYPE, non_retryable=True)


def _current_update_id() -> str | None:
    info = workflow.current_update_info()
    return info.id if info else None
