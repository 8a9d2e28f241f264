"""The API's one door to Temporal: every command becomes one workflow update.

The ``Idempotency-Key`` of a request is the update id, so a retried request
returns the first result and applies nothing twice. Refusals from the
workflow's validator come back as problem documents with the domain's reason.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import asyncpg
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from activities.contracts import UNSTORABLE_ERROR_TYPE
from activities.messages import (
    REFUSED_ERROR_TYPE,
    AppraisalStart,
    CommandRequest,
    CommandResult,
    CycleIntent,
    CycleRequest,
    CycleResult,
    CycleStart,
    cycle_workflow_id,
)
from api.problems import FieldError, Problem, not_found, unavailable
from domain.appraisal import Command, OpenAppraisal
from domain.authorization import Actor
from domain.cycle import CreateCycle
from domain.replay import TrailEntry, replay
from kinerja.metrics import counted_command
from store.event_log import EventLog
from workflows.appraisal import AppraisalWorkflow
from workflows.cycle import CycleWorkflow

UPDATE_RPC_TIMEOUT = timedelta(seconds=30)
APPRAISAL_ID_REUSE_POLICY = WorkflowIDReusePolicy.REJECT_DUPLICATE
"""One run per appraisal id, for HR's open and a cycle's alike: an ended appraisal
is never opened again under the same id."""
_REFUSAL_STATUS = {"forbidden": 403, "phase": 409, "invalid": 422}


class CommandGateway:
    """Sends commands to appraisal workflows.

    A repeated request (same ``Idempotency-Key``, same person) answers with its
    first result in every phase: Temporal returns it while the update is in the
    running workflow's history; after that (the appraisal ended, the workflow
    continued as new, the first answer was lost in a failure) the log does, since
    every event carries the request id it was appended for.
    """

    def __init__(self, client: Client, task_queue: str, event_log: EventLog) -> None:
        self._client = client
        self._task_queue = task_queue
        self._event_log = event_log

    @counted_command("command")
    async def open(self, command: OpenAppraisal, actor: Actor, idempotency_key: str | None
                   ) -> CommandResult:
        """Start the appraisal's workflow (if new) and open it, in one round trip.

        An appraisal id is used once: an ended appraisal (final, cancelled) is
        never opened again (its stream holds its whole life), so a new run of
        its workflow id is refused rather than started.
        """
        request_id = idempotency_key or str(uuid.uuid4())
        start = WithStartWorkflowOperation(
            AppraisalWorkflow.run,
            AppraisalStart(appraisal_id=command.appraisal_id),
            id=command.appraisal_id,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=APPRAISAL_ID_REUSE_POLICY,
            task_queue=self._task_queue,
        )
        request = CommandRequest(command=command, actor=actor, request_id=request_id)
        try:
            with _temporal_errors():
                return await self._client.execute_update_with_start_workflow(
                    AppraisalWorkflow.command, request, start_workflow_operation=start,
                    id=request_id, rpc_timeout=UPDATE_RPC_TIMEOUT,
                )
        except Problem as problem:
            return await self._first_result_or(problem, command.appraisal_id,
                                               idempotency_key, actor)

    @counted_command("command")
    async def send(self, appraisal_id: str, command: Command, actor: Actor,
                   idempotency_key: str | None) -> CommandResult:
        """Send ``command`` to a running appraisal and wait until its events are stored."""
        request_id = idempotency_key or str(uuid.uuid4())
        handle = self._client.get_workflow_handle_for(AppraisalWorkflow.run, appraisal_id)
        request = CommandRequest(command=command, actor=actor, request_id=request_id)
        try:
            with _temporal_errors():
                return await handle.execute_update(
                    AppraisalWorkflow.command, request, id=request_id,
                    rpc_timeout=UPDATE_RPC_TIMEOUT,
                )
        except Problem as problem:
            return await self._first_result_or(problem, appraisal_id, idempotency_key, actor)

    async def first_result(self, appraisal_id: str, idempotency_key: str | None, actor: Actor
                           ) -> CommandResult | None:
        """The result of the first request of ``actor`` with ``idempotency_key``, from the
        log; None when the log holds no event of it."""
        if not idempotency_key:
            return None
        trail = await self._event_log.read_up_to_request(appraisal_id, idempotency_key)
        ours = [e for e in trail if e.metadata.get("request_id") == idempotency_key]
        if not ours or any(e.metadata.get("actor") != actor.subject
                           or e.metadata.get("actor_agency") != actor.agency for e in ours):
            return None  # another person's key is not this person's result
        state = replay(TrailEntry(version=e.version, type=e.type, data=e.data,
                                  recorded_at=e.recorded_at) for e in trail)
        return CommandResult(appraisal_id=appraisal_id, version=state.version,
                             phase=state.phase, events=[e.type for e in ours])

    async def _first_result_or(self, problem: Problem, appraisal_id: str,
                               idempotency_key: str | None, actor: Actor) -> CommandResult:
        try:
            first = await self.first_result(appraisal_id, idempotency_key, actor)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            first = None  # the database is down too: the workflow's answer stands
        if first is None:
            raise problem
        return first


class CycleGateway:
    """Sends HR's requests to cycle workflows."""

    def __init__(self, client: Client, task_queue: str) -> None:
        self._client = client
        self._task_queue = task_queue

    @counted_command("intent")
    async def send(self, cycle_id: str, intent: CycleIntent, actor: Actor,
                   idempotency_key: str | None) -> CycleResult:
        """Send one request to the cycle; creating it starts its workflow (if new) too."""
        request_id = idempotency_key or str(uuid.uuid4())
        request = CycleRequest(intent=intent, actor=actor, request_id=request_id)
        workflow_id = cycle_workflow_id(cycle_id)
        with _temporal_errors():
            if isinstance(intent, CreateCycle):
                start = WithStartWorkflowOperation(
                    CycleWorkflow.run, CycleStart(cycle_id=cycle_id), id=workflow_id,
                    id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                    task_queue=self._task_queue)
                return await self._client.execute_update_with_start_workflow(
                    CycleWorkflow.command, request, start_workflow_operation=start,
                    id=request_id, rpc_timeout=UPDATE_RPC_TIMEOUT)
            handle = self._client.get_workflow_handle_for(CycleWorkflow.run, workflow_id)
            return await handle.execute_update(CycleWorkflow.command, request, id=request_id,
                                               rpc_timeout=UPDATE_RPC_TIMEOUT)


class _temporal_errors:
    """Map Temporal's errors to problem documents."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> bool:
        if exc is None:
            return False
        if isinstance(exc, WorkflowUpdateFailedError):
            raise _problem_of_failure(exc.cause) from None
        if isinstance(exc, WorkflowAlreadyStartedError):
            raise Problem(409, "command-phase", "Command refused",
                          "this appraisal has ended (final or cancelled) and cannot be "
                          "opened again") from None
        if isinstance(exc, RPCError):
            if exc.status is RPCStatusCode.NOT_FOUND:
                raise not_found() from None
            if exc.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED,
                              RPCStatusCode.RESOURCE_EXHAUSTED, RPCStatusCode.CANCELLED):
                raise outcome_unknown("the workflow service") from None
        if isinstance(exc, WorkflowUpdateRPCTimeoutOrCancelledError | ConnectionError):
            raise outcome_unknown("the workflow service") from None
        if isinstance(exc, RuntimeError) and "client connect" in str(exc):
            raise unavailable("the workflow service") from None  # the SDK's connect failure
        return False


def _problem_of_failure(cause: BaseException) -> Problem:
    if isinstance(cause, ApplicationError) and cause.type == REFUSED_ERROR_TYPE:
        code, reason, field = [*cause.details, None, None, None][:3]
        status = _REFUSAL_STATUS.get(str(code), 409)
        errors = [FieldError(field=str(field), rule=str(code), message=str(reason))] \
            if field else None
        return Problem(status, f"command-{code}", "Command refused", str(reason), errors=errors)
    if isinstance(cause, ApplicationError) and cause.type == UNSTORABLE_ERROR_TYPE:
        return Problem(422, "command-unstorable", "Command refused",
                       "the log cannot store this command's content; nothing was changed")
    # The append was retried until its window closed, or the log kept moving: the
    # workflow applied nothing, but an attempt may have reached the log.
    return outcome_unknown("the appraisal's workflow")


def outcome_unknown(service: str, retry_after_seconds: int = 5) -> Problem:
    """503 for a command whose outcome is not known: it may or may not have been
    recorded, so the answer does not say "nothing was changed"; the same request
    with the same Idempotency-Key is safe and answers with the first result."""
    return Problem(
        503, "unavailable", "Service unavailable",
        f"{service} did not answer in time; the command may or may not have been "
        "recorded: repeat it with the same Idempotency-Key to learn its result",
        headers={"Retry-After": str(retry_after_seconds)},
    )
