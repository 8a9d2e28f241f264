"""``ComplaintWorkflow``: one per complaint, from filing to its answer. A durable timer to
the reminder (``REMIND_BEFORE`` the deadline), then one to the deadline; the ``answered``
signal ends it at any point. Unanswered at the reminder: ``complaint_reminded`` is
recorded; at the deadline: ``complaint_escalated`` (to the unit's head), once each (the
activity records a step only once, so a retried activity adds nothing)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.complaints import ComplaintActivities
    from workflows.complaint.contract import REMIND_BEFORE, ComplaintDeadline, ComplaintStep

RETRY = RetryPolicy(initial_interval=timedelta(seconds=1),
                    maximum_interval=timedelta(minutes=5))


@workflow.defn
class ComplaintWorkflow:
    def __init__(self) -> None:
        self._answered = False

    @workflow.run
    async def run(self, complaint: ComplaintDeadline) -> str:
        steps: tuple[tuple[Literal["reminded", "escalated"], datetime], ...] = (
            ("reminded", complaint.deadline - REMIND_BEFORE),
            ("escalated", complaint.deadline))
        for step, moment in steps:
            if await self._answered_before(moment):
                return "answered"
            await workflow.execute_activity_method(
                ComplaintActivities.record_complaint_step,
                ComplaintStep(agency=complaint.agency, code=complaint.code,
                              step=step, at=workflow.now()),
                start_to_close_timeout=timedelta(minutes=1), retry_policy=RETRY,
                summary=f"complaint {step}")
        await workflow.wait_condition(lambda: self._answered)
        return "answered late"

    async def _answered_before(self, moment: datetime) -> bool:
        seconds = (moment - workflow.now()).total_seconds()
        if seconds > 0 and not self._answered:
            try:
                await workflow.wait_condition(lambda: self._answered, timeout=seconds)
            except TimeoutError:
                pass
        return self._answered

    @workflow.signal
    def answered(self) -> None:
        self._answered = True
