"""``AppraisalWorkflow``: one employee's appraisal in one cycle, as a durable process.

Commands arrive as one Temporal Update, ``command``. Its validator runs
``domain.decide`` on the current state, so a refused command never enters the
history and the caller gets the domain's reason. The handler decides again
under the lock (the state may have moved since validation), appends the events
through a local activity (idempotent by event id), then applies them. The
running deadline is a durable timer that is re-armed whenever the deadline
changes; when it fires, the workflow sends itself ``PassDeadline``. The same one
timer serves the running periodic review's deadline when that comes first
(``PassPeriodDeadline``): re-armed when a period is reviewed, passes or is moved by HR,
not per command.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.appraisal import AppraisalActivities
    from domain.appraisal import (
        AppraisalState,
        CommandRefused,
        DeadlineKind,
        Event,
        OpenAppraisal,
        PassDeadline,
        PassPeriodDeadline,
        Phase,
        decide,
        event_data,
        event_from_data,
        fold,
    )
    from domain.authorization import SYSTEM_ACTOR
    from workflows.appraisal.contract import (
        REFUSED_ERROR_TYPE,
        UNSTORABLE_ERROR_TYPE,
        AppraisalSnapshot,
        AppraisalStart,
        CommandRequest,
        CommandResult,
        EventRecord,
        ReadAppraisalEvents,
        RecordAppraisalEvents,
        RecordedVersion,
    )

RECORD_TIMEOUT = timedelta(seconds=30)
RECORD_RETRY_WINDOW = timedelta(minutes=2)
"""How long an append is retried while the database is unreachable."""
DEADLINE_RETRY_AFTER = timedelta(minutes=1)
MAX_CATCH_UPS = 3
"""How often one command may find the log ahead of the workflow before it fails."""
BEHIND_ERROR_TYPE = "LogAhead"
CONTINUE_AS_NEW_AFTER_EVENTS = 5_000


@workflow.defn
class AppraisalWorkflow:
    @workflow.init
    def __init__(self, start: AppraisalStart) -> None:
        self._appraisal_id = start.appraisal_id
        self._state = start.resume or AppraisalState()
        self._lock = asyncio.Lock()
        self._maybe_behind = False
        """A command failed after its append may have reached the log: read the log
        before anything else (a validator cannot, and would judge a stale state)."""

    @workflow.run
    async def run(self, start: AppraisalStart) -> AppraisalState:
        await workflow.wait_condition(
            lambda: self._state.phase is not Phase.NOT_OPENED or self._maybe_behind)
        while not self._state.is_terminal:
            if self._maybe_behind:
                await self._catch_up()
                continue
            if self._state.phase is Phase.NOT_OPENED:
                await workflow.wait_condition(
                    lambda: self._state.phase is not Phase.NOT_OPENED or self._maybe_behind)
                continue
            if self._should_continue_as_new():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(
                    AppraisalStart(appraisal_id=self._appraisal_id, resume=self._state))
            running = self._state.next_deadline()
            period = self._state.next_period_deadline()
            # One timer: the phase's deadline or the running period's, whichever is first
            # (the period's re-armed only when it is reviewed, passes or is moved, not per
            # command).
            period_first = period is not None and (running is None or period[1] < running[1])
            try:
                await workflow.wait_condition(
                    lambda running=running, period=period:  # type: ignore[misc]
                    self._state.is_terminal
                    or self._state.next_deadline() != running
                    or self._state.next_period_deadline() != period
                    or self._should_continue_as_new() or self._maybe_behind,
                    timeout=self._seconds_until(period if period_first else running),
                    timeout_summary=(f"period {period[0]} review deadline"
                                     if period_first and period is not None
                                     else f"{running[0].value} deadline" if running else None),
                )
            except TimeoutError:
                if period_first:
                    assert period is not None
                    await self._pass_period_deadline(period[0])
                else:
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
        """Refuse, before it enters history, a command the domain refuses now.

        Not while the workflow may be behind its log (a command failed after its
        append may have been committed): the state here may be stale, so the
        handler decides, once it has read the log.
        """
        if self._maybe_behind:
            return
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
        except (ActivityError, ApplicationError, TimeoutError) as error:
            # A command that raced the timer (an extension, a late approval) changed
            # the state first: the deadline no longer runs, and the loop re-arms.
            # Anything else (the database unreachable for the whole retry window):
            # try again later rather than fail the workflow; the deadline still runs.
            if not (isinstance(error, ApplicationError) and error.type == REFUSED_ERROR_TYPE):
                await workflow.sleep(DEADLINE_RETRY_AFTER)

    async def _pass_period_deadline(self, period: int) -> None:
        request = CommandRequest(
            command=PassPeriodDeadline(period=period), actor=SYSTEM_ACTOR,
            request_id=f"period-deadline-{period}-{self._state.version}")
        try:
            await self._execute(request)
        except (ActivityError, ApplicationError, TimeoutError) as error:
            # As _pass_deadline: a review that raced the timer made it moot.
            if not (isinstance(error, ApplicationError) and error.type == REFUSED_ERROR_TYPE):
                await workflow.sleep(DEADLINE_RETRY_AFTER)

    async def _catch_up(self) -> None:
        async with self._lock:
            try:
                stored = await workflow.execute_local_activity_method(
                    AppraisalActivities.read_appraisal_events,
                    ReadAppraisalEvents(stream_id=self._appraisal_id,
                                        after_version=self._state.version),
                    start_to_close_timeout=RECORD_TIMEOUT,
                    schedule_to_close_timeout=RECORD_RETRY_WINDOW)
            except (ActivityError, ApplicationError, TimeoutError):
                # The database is still down (a local activity's failure may come as the
                # activity's own ApplicationError): try again later, never fail the run.
                await workflow.sleep(DEADLINE_RETRY_AFTER)
                return
            self._state = fold((event_from_data(e.type, e.data) for e in stored.events),
                               self._state)
            self._maybe_behind = False

    async def _execute(self, request: CommandRequest) -> CommandResult:
        async with self._lock:
            for _ in range(MAX_CATCH_UPS + 1):
                # Decided again, under the lock: the validator ran without it, and another
                # command (or a catch-up) may have moved the state since.
                try:
                    events = decide(self._state, request.command, actor=request.actor,
                                    at=workflow.now())
                except CommandRefused as refused:
                    raise refusal_error(refused) from None
                state = fold(events, self._state)
                try:
                    recorded = await self._record(request, events, state)
                except (ActivityError, ApplicationError, TimeoutError) as error:
                    if not _unstorable(error):
                        self._maybe_behind = True  # the append may have been committed
                    if isinstance(error, TimeoutError):  # fail the update, not the task
                        raise ApplicationError("the append timed out",
                                               type="AppendTimedOut") from error
                    raise
                if recorded.outcome == "appended":
                    return self._applied(request, state, [e.type for e in events])
                stored = [event_from_data(e.type, e.data) for e in recorded.stored]
                caught_up = fold(stored, self._state)
                if recorded.outcome == "retry":
                    # An earlier attempt of this command is what the log holds: apply it.
                    return self._applied(request, caught_up, [e.type for e in stored])
                # The log is ahead (an earlier command's events were stored though it
                # failed): apply them, then decide this command on the state they give.
                self._state = caught_up
            self._maybe_behind = True
            raise ApplicationError(
                "the appraisal's log kept moving while this command was decided",
                type=BEHIND_ERROR_TYPE, non_retryable=True)
        raise AssertionError("unreachable")  # pragma: no cover

    def _applied(self, request: CommandRequest, state: AppraisalState, types: list[str]
                 ) -> CommandResult:
        self._state = state
        if isinstance(request.command, OpenAppraisal):
            self._appraisal_id = request.command.appraisal_id
        return CommandResult(appraisal_id=self._appraisal_id, version=state.version,
                             phase=state.phase, events=types)

    async def _record(self, request: CommandRequest, events: list[Event],
                      state: AppraisalState) -> RecordedVersion:
        info = workflow.info()
        stream_id = (request.command.appraisal_id if isinstance(request.command, OpenAppraisal)
                     else self._appraisal_id)
        record = RecordAppraisalEvents(
            stream_id=stream_id,
            expected_version=self._state.version,
            events=[EventRecord(type=e.type, data=event_data(e)) for e in events],
            metadata={
                **request.actor.log_metadata(),
                "request_id": request.request_id or _current_update_id(),
                "workflow_id": info.workflow_id,
                "run_id": info.run_id,
            },
            recorded_at=workflow.now(),
            snapshot=AppraisalSnapshot.of(state),
        )
        return await workflow.execute_local_activity_method(
            AppraisalActivities.record_appraisal_events,
            record,
            start_to_close_timeout=RECORD_TIMEOUT,
            # Bounded: a database that stays down fails the command (the caller is
            # told to retry) instead of leaving it, and every later one, waiting.
            schedule_to_close_timeout=RECORD_RETRY_WINDOW,
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=200),
                                     maximum_interval=timedelta(seconds=10),
                                     non_retryable_error_types=[UNSTORABLE_ERROR_TYPE]),
        )

    def _seconds_until(self, running: tuple[object, datetime] | None) -> float | None:
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


def _unstorable(error: BaseException) -> bool:
    """Whether a failed append was refused for its content (so surely not stored)."""
    for failure in (error, error.__cause__, getattr(error, "cause", None)):
        if isinstance(failure, ApplicationError) and failure.type == UNSTORABLE_ERROR_TYPE:
            return True
    return False


def _current_update_id() -> str | None:
    info = workflow.current_update_info()
    return info.id if info else None
