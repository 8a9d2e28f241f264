"""The API's one door to Temporal: every command becomes one workflow update.

The ``Idempotency-Key`` of a request is the update id, so a retried request
returns the first result and applies nothing twice. Refusals from the
workflow's validator come back as problem documents with the domain's reason.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

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
from workflows.appraisal import AppraisalWorkflow
from workflows.cycle import CycleWorkflow

UPDATE_RPC_TIMEOUT = timedelta(seconds=30)
_REFUSAL_STATUS = {"forbidden": 403, "phase": 409, "invalid": 422}


class CommandGateway:
    """Sends commands to appraisal workflows."""

    def __init__(self, client: Client, task_queue: str) -> None:
        self._client = client
        self._task_queue = task_queue

    async def open(self, command: OpenAppraisal, actor: Actor, idempotency_key: str | None
                   ) -> CommandResult:
        """Start the appraisal's workflow (if new) and open it, in one round trip."""
        request_id = idempotency_key or str(uuid.uuid4())
        start = WithStartWorkflowOperation(
            AppraisalWorkflow.run,
            AppraisalStart(appraisal_id=command.appraisal_id),
            id=command.appraisal_id,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            task_queue=self._task_queue,
        )
        request = CommandRequest(command=command, actor=actor, request_id=request_id)
        with _temporal_errors():
            return await self._client.execute_update_with_start_workflow(
                AppraisalWorkflow.command, request, start_workflow_operation=start,
                id=request_id, rpc_timeout=UPDATE_RPC_TIMEOUT,
            )

    async def send(self, appraisal_id: str, command: Command, actor: Actor,
                   idempotency_key: str | None) -> CommandResult:
        """Send ``command`` to a running appraisal and wait until its events are stored."""
        request_id = idempotency_key or str(uuid.uuid4())
        handle = self._client.get_workflow_handle_for(AppraisalWorkflow.run, appraisal_id)
        request = CommandRequest(command=command, actor=actor, request_id=request_id)
        with _temporal_errors():
            return await handle.execute_update(
                AppraisalWorkflow.command, request, id=request_id,
                rpc_timeout=UPDATE_RPC_TIMEOUT,
            )


class CycleGateway:
    """Sends HR's requests to cycle workflows."""

    def __init__(self, client: Client, task_queue: str) -> None:
        self._client = client
        self._task_queue = task_queue

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
        if isinstance(exc, RPCError):
            if exc.status is RPCStatusCode.NOT_FOUND:
                raise not_found() from None
            if exc.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED,
                              RPCStatusCode.RESOURCE_EXHAUSTED, RPCStatusCode.CANCELLED):
                raise unavailable("the workflow service") from None
        if isinstance(exc, WorkflowUpdateRPCTimeoutOrCancelledError | ConnectionError):
            raise unavailable("the workflow service") from None
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
    return unavailable("the appraisal's workflow")
