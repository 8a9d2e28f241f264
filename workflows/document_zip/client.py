"""The one way to start ``DocumentZipWorkflow`` through Temporal."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from workflows.appraisal.client import TemporalUnavailable
from workflows.document_zip.contract import workflow_id
from workflows.document_zip.workflow import DocumentZipWorkflow


class DocumentZipClient:
    def __init__(self, client: Client, task_queue: str) -> None:
        self._client = client
        self._task_queue = task_queue

    async def start(self, zip_id: str) -> None:
        """Start building the ZIP (once: a repeated start finds it started)."""
        try:
            await self._client.start_workflow(
                DocumentZipWorkflow.run, zip_id, id=workflow_id(zip_id),
                task_queue=self._task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE)
        except WorkflowAlreadyStartedError:
            pass
        except (RPCError, OSError, RuntimeError) as error:
            raise TemporalUnavailable(str(error)) from error
