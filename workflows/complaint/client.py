"""The one way to drive ``ComplaintWorkflow`` through Temporal."""

from __future__ import annotations

import structlog
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from workflows.complaint.contract import ComplaintDeadline, workflow_id
from workflows.complaint.workflow import ComplaintWorkflow

log = structlog.get_logger("kinerja.complaints")


class ComplaintClient:
    def __init__(self, client: Client | None, task_queue: str) -> None:
        self._client = client
        self._task_queue = task_queue

    async def start(self, complaint: ComplaintDeadline) -> bool:
        """Start the complaint's workflow (once: a second start finds it running). False
        when Temporal cannot be reached (the complaint is filed; see docs)."""
        if self._client is None:
            return False
        try:
            await self._client.start_workflow(
                ComplaintWorkflow.run, complaint,
                id=workflow_id(complaint.agency, complaint.code), task_queue=self._task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE)
        except WorkflowAlreadyStartedError:
            pass
        except (RPCError, OSError, RuntimeError) as error:
            log.warning("complaint workflow not started", code=complaint.code, error=str(error))
            return False
        return True

    async def answered(self, agency: str, code: str) -> None:
        if self._client is None:
            return
        try:
            await self._client.get_workflow_handle(workflow_id(agency, code)).signal(
                ComplaintWorkflow.answered)
        except (RPCError, OSError, RuntimeError) as error:  # ended, unknown, unreachable
            log.info("complaint workflow not signalled", code=code, error=str(error))
