"""``AppraisalClient``: the one way to drive appraisal workflows through Temporal.

The use cases (``services.appraisals``: the API, the CLI, the pages) and the cycle's
activities (which open and command many appraisals) both use it, so an appraisal's
workflow id, its id reuse policy, how it is opened (update-with-start) and what a
refusal looks like are decided once, here.

- Ids: ``appraisal-<cycle>-<employee key>`` (:func:`workflow_id`): never a NIP.
- Update ids: the request id (the ``Idempotency-Key``) scoped to the person sending it
  (:func:`update_id`). Temporal answers a repeated update id with the first result
  without asking the validator, so one person's key never names another's update.
- Reuse: :data:`ID_REUSE_POLICY` is REJECT_DUPLICATE: an appraisal id is used by one
  run; an ended appraisal (final, cancelled) is never opened again under it (its
  stream holds its whole life). A running one is joined (USE_EXISTING).
- Outcomes, as exceptions a caller maps to its own answers:
  :class:`domain.appraisal.CommandRefused` (the domain said no, with its code,
  reason and field), :class:`AppraisalEnded`, :class:`AppraisalNotFound`,
  :class:`ContentNotStorable`, :class:`OutcomeUnknown` (sent, no answer: the
  command may or may not be recorded) and :class:`TemporalUnavailable` (nothing
  was sent).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable
from datetime import timedelta
from typing import TypeVar

from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from domain.appraisal import Command, CommandRefused, OpenAppraisal
from domain.authorization import Actor
from workflows.appraisal.contract import (
    REFUSED_ERROR_TYPE,
    UNSTORABLE_ERROR_TYPE,
    AppraisalStart,
    CommandRequest,
    CommandResult,
)
from workflows.appraisal.workflow import AppraisalWorkflow

ID_REUSE_POLICY = WorkflowIDReusePolicy.REJECT_DUPLICATE
ID_CONFLICT_POLICY = WorkflowIDConflictPolicy.USE_EXISTING
UPDATE_RPC_TIMEOUT = timedelta(seconds=30)

T = TypeVar("T")


def update_id(actor: Actor, request_id: str) -> str:
    """The Temporal update id of ``actor``'s request ``request_id`` (JSON: no two
    (agency, person, key) triples give the same text)."""
    return json.dumps([actor.agency, actor.subject, request_id], ensure_ascii=False)


class AppraisalEnded(Exception):
    """The appraisal's workflow has ended (final or cancelled): nothing changes it, and
    it is not opened again."""


class AppraisalNotFound(Exception):
    """No workflow runs under this appraisal id."""


class ContentNotStorable(Exception):
    """The log refuses the command's content; nothing was stored."""


class OutcomeUnknown(Exception):
    """The command was sent but no answer came: it may or may not have been recorded.
    Sending it again with the same request id is safe."""


class TemporalUnavailable(Exception):
    """Temporal could not be reached; nothing was sent."""


class AppraisalClient:
    """Opens appraisals and sends them commands (see the module)."""

    def __init__(self, client: Client, task_queue: str, *,
                 rpc_timeout: timedelta = UPDATE_RPC_TIMEOUT) -> None:
        self._client = client
        self._task_queue = task_queue
        self._rpc_timeout = rpc_timeout

    async def open(self, command: OpenAppraisal, actor: Actor, request_id: str
                   ) -> CommandResult:
        """Start the appraisal's workflow (if new) and open it, in one round trip; returns
        once the opening is stored."""
        start = WithStartWorkflowOperation(
            AppraisalWorkflow.run, AppraisalStart(appraisal_id=command.appraisal_id),
            id=command.appraisal_id, task_queue=self._task_queue,
            id_conflict_policy=ID_CONFLICT_POLICY, id_reuse_policy=ID_REUSE_POLICY)
        request = CommandRequest(command=command, actor=actor, request_id=request_id)
        return await outcome(self._client.execute_update_with_start_workflow(
            AppraisalWorkflow.command, request, start_workflow_operation=start,
            id=update_id(actor, request_id), rpc_timeout=self._rpc_timeout))

    async def send(self, appraisal_id: str, command: Command, actor: Actor, request_id: str
                   ) -> CommandResult:
        """Send ``command`` to a running appraisal; returns once its events are stored."""
        handle = self._client.get_workflow_handle_for(AppraisalWorkflow.run, appraisal_id)
        request = CommandRequest(command=command, actor=actor, request_id=request_id)
        return await outcome(handle.execute_update(
            AppraisalWorkflow.command, request, id=update_id(actor, request_id),
            rpc_timeout=self._rpc_timeout))


async def outcome(call: Awaitable[T]) -> T:
    """The result of a Temporal call, its failures as the exceptions of this module."""
    try:
        return await call
    except WorkflowUpdateFailedError as failed:
        cause = failed.cause
        if isinstance(cause, ApplicationError) and cause.type == REFUSED_ERROR_TYPE:
            code, reason, field = [*cause.details, None, None, None][:3]
            raise CommandRefused(code if code in ("forbidden", "phase", "invalid")
                                 else "phase", str(reason),
                                 str(field) if field else None) from None
        if isinstance(cause, ApplicationError) and cause.type == UNSTORABLE_ERROR_TYPE:
            raise ContentNotStorable(str(cause)) from None
        # The append was retried until its window closed, or the log kept moving: the
        # workflow applied nothing, but an attempt may have reached the log.
        raise OutcomeUnknown(str(cause)) from None
    except WorkflowAlreadyStartedError:
        raise AppraisalEnded() from None
    except RPCError as error:
        if error.status is RPCStatusCode.NOT_FOUND:
            if "completed" in str(error):
                raise AppraisalEnded() from None
            raise AppraisalNotFound() from None
        if error.status is RPCStatusCode.FAILED_PRECONDITION:
            raise AppraisalEnded() from None
        if error.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED,
                            RPCStatusCode.RESOURCE_EXHAUSTED, RPCStatusCode.CANCELLED):
            raise OutcomeUnknown(str(error)) from None
        raise
    except (WorkflowUpdateRPCTimeoutOrCancelledError, ConnectionError) as error:
        raise OutcomeUnknown(str(error)) from None
    except RuntimeError as error:
        if "client connect" in str(error):  # the SDK's connect failure: nothing was sent
            raise TemporalUnavailable(str(error)) from None
        raise
