"""``CycleClient``: the one way to drive cycle workflows through Temporal (HR's requests,
from the API, the CLI and a roster upload that running cycles follow). Its answers are
those of :mod:`workflows.appraisal.client` (the same refusal, ended and unknown-outcome
exceptions)."""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import Client, WithStartWorkflowOperation

from domain.authorization import Actor
from domain.cycle import CreateCycle
from workflows.appraisal.client import ID_CONFLICT_POLICY, UPDATE_RPC_TIMEOUT, outcome
from workflows.cycle.contract import (
    CycleIntent,
    CycleRequest,
    CycleResult,
    CycleStart,
    cycle_workflow_id,
)
from workflows.cycle.workflow import CycleWorkflow


class CycleClient:
    """Sends HR's requests to cycle workflows; creating a cycle starts its workflow."""

    def __init__(self, client: Client, task_queue: str, *,
                 rpc_timeout: timedelta = UPDATE_RPC_TIMEOUT) -> None:
        self._client = client
        self._task_queue = task_queue
        self._rpc_timeout = rpc_timeout

    async def send(self, cycle_id: str, intent: CycleIntent, actor: Actor, request_id: str
                   ) -> CycleResult:
        request = CycleRequest(intent=intent, actor=actor, request_id=request_id)
        workflow_id = cycle_workflow_id(cycle_id)
        if isinstance(intent, CreateCycle):
            start = WithStartWorkflowOperation(
                CycleWorkflow.run, CycleStart(cycle_id=cycle_id), id=workflow_id,
                id_conflict_policy=ID_CONFLICT_POLICY, task_queue=self._task_queue)
            return await outcome(self._client.execute_update_with_start_workflow(
                CycleWorkflow.command, request, start_workflow_operation=start,
                id=request_id, rpc_timeout=self._rpc_timeout))
        handle = self._client.get_workflow_handle_for(CycleWorkflow.run, workflow_id)
        return await outcome(handle.execute_update(
            CycleWorkflow.command, request, id=request_id, rpc_timeout=self._rpc_timeout))
