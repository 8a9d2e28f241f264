"""``RosterApplyClient``: starts an upload's background apply (once per upload)."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from workflows.roster_apply.contract import (
    BATCH_SIZE,
    RosterApplyStart,
    roster_apply_workflow_id,
)
from workflows.roster_apply.workflow import RosterApplyWorkflow


class RosterApplyClient:
    def __init__(self, client: Client, task_queue: str, *, batch_size: int = BATCH_SIZE
                 ) -> None:
        self._client = client
        self._task_queue = task_queue
        self._batch_size = batch_size

    async def start(self, start: RosterApplyStart) -> None:
        """Start the apply; one already started (or ended) for this upload is kept."""
        try:
            await self._client.start_workflow(
                RosterApplyWorkflow.run, start.model_copy(update={"batch_size": self._batch_size}),
                id=roster_apply_workflow_id(start.upload_id),
                task_queue=self._task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE)
        except WorkflowAlreadyStartedError:
            return
