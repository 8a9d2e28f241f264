"""``IndicatorsWorkflow``: one per cycle. A durable timer to the end of the cycle's year
in the agency's zone (``domain.indicators.period_bounds``), then one activity that
measures each bound indicator of the cycle's appraisals and sends each appraisal its
realisations (``RecordMeasurements``), idempotently: a retried activity repeats no
command (the update id is the appraisal's and the year's; a second one is refused as
measured already)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.indicators import IndicatorActivities
    from domain.indicators import period_bounds
    from workflows.indicators.contract import MeasureCycle, MeasureOutcome

RETRY = RetryPolicy(initial_interval=timedelta(seconds=1),
                    maximum_interval=timedelta(minutes=5))


@workflow.defn
class IndicatorsWorkflow:
    @workflow.run
    async def run(self, request: MeasureCycle) -> MeasureOutcome:
        _, end = period_bounds(request.year, request.utc_offset_hours)
        wait = (end - workflow.now()).total_seconds()
        if wait > 0:
            await workflow.sleep(timedelta(seconds=wait), summary="the end of the cycle year")
        return await workflow.execute_activity_method(
            IndicatorActivities.measure_cycle_indicators, request,
            start_to_close_timeout=timedelta(hours=2), heartbeat_timeout=timedelta(minutes=2),
            retry_policy=RETRY, summary="measured indicators")
