"""``RosterApplyWorkflow``: an uploaded roster applied in the background.

One activity applies the upload batch by batch (each batch its events, the read model
and the apply's progress in one transaction; it heartbeats after each). A worker that
stops mid-way loses nothing: the activity is retried and continues from the roster as
the committed batches left it (the roster stream's version is checked, so no row is
applied twice). Then the agency's running cycles are asked to follow the roster, as a
synchronous import asks them.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.roster_apply import RosterApplyActivities
    from workflows.roster_apply.contract import RosterApplyOutcome, RosterApplyStart

HEARTBEAT = timedelta(seconds=30)
RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30))


@workflow.defn
class RosterApplyWorkflow:
    @workflow.run
    async def run(self, start: RosterApplyStart) -> RosterApplyOutcome:
        outcome = await workflow.execute_activity_method(
            RosterApplyActivities.apply_roster_upload, start,
            start_to_close_timeout=timedelta(hours=2), heartbeat_timeout=HEARTBEAT,
            retry_policy=RETRY)
        if outcome.status == "applied":
            await workflow.execute_activity_method(
                RosterApplyActivities.follow_roster_cycles, start,
                start_to_close_timeout=timedelta(minutes=10), retry_policy=RETRY)
        return outcome
