"""The one way to drive ``IndicatorsWorkflow`` through Temporal."""

from __future__ import annotations

import structlog
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from workflows.indicators.contract import MeasureCycle, workflow_id
from workflows.indicators.workflow import IndicatorsWorkflow

log = structlog.get_logger("kinerja.indicators")


class IndicatorsClient:
    def __init__(self, client: Client | None, task_queue: str) -> None:
        self._client = client
        self._task_queue = task_queue

    async def start(self, request: MeasureCycle) -> bool:
        """Start the cycle's measurement (once: a second start finds it). False when
        Temporal cannot be reached (logged; the cycle is created all the same)."""
        if self._client is None:
            return False
        try:
            await self._client.start_workflow(
                IndicatorsWorkflow.run, request, id=workflow_id(request.cycle_id),
                task_queue=self._task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE)
        except WorkflowAlreadyStartedError:
            pass
        except (RPCError, OSError, RuntimeError) as error:
            log.warning("indicators workflow not started", cycle=request.cycle_id,
                        error=str(error))
            return False
        return True
