"""``ReminderWorkflow``: one long-running process that sends reminders before deadlines.

Loop: an activity scans the read model at the workflow's ``now`` and sends the
due reminders (each once: ``activities.reminders``); then a durable timer until
the next scan: the scan interval, or sooner when the scan saw a reminder fall
due before that (so a reminder goes out at its threshold, not up to an interval
later), or the retry interval after a transient delivery failure. The
``configure`` signal replaces the configuration (the worker's start-up sends its
settings with signal-with-start, so starting it is idempotent); ``scan_now``
wakes it. It continues as new every ``scans_per_run`` scans.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.reminders import ReminderActivities
    from workflows.reminders.contract import (
        ReminderConfig,
        ReminderScan,
        ReminderScanOutcome,
        ReminderStart,
        ReminderStatus,
        ReminderTotals,
    )

__all__ = ["REMINDER_WORKFLOW_ID", "ReminderConfig", "ReminderStart", "ReminderStatus",
           "ReminderWorkflow"]

REMINDER_WORKFLOW_ID = "reminders"
SCAN_TIMEOUT = timedelta(minutes=15)
SCAN_HEARTBEAT = timedelta(minutes=2)
RETRY = RetryPolicy(initial_interval=timedelta(seconds=1),
                    maximum_interval=timedelta(minutes=1))


@workflow.defn
class ReminderWorkflow:
    @workflow.init
    def __init__(self, start: ReminderStart) -> None:
        self._config = start.config
        self._totals = start.totals
        self._run_scans = 0
        self._wake = False

    @workflow.run
    async def run(self, start: ReminderStart) -> None:
        while self._run_scans < start.scans_per_run:
            now = workflow.now()
            self._wake = False  # a signal from now on asks for another scan
            outcome = await workflow.execute_activity_method(
                ReminderActivities.send_due_reminders, ReminderScan(now=now, config=self._config),
                start_to_close_timeout=SCAN_TIMEOUT,
                heartbeat_timeout=SCAN_HEARTBEAT, retry_policy=RETRY,
                summary="scan for due reminders")
            self._run_scans += 1
            wait = self._next_wait(now, outcome)
            self._totals = ReminderTotals(
                scans=self._totals.scans + 1, sent=self._totals.sent + outcome.sent,
                failed=self._totals.failed + outcome.failed, last_scan_at=now,
                next_scan_at=now + wait)
            if wait <= timedelta(0):
                continue
            try:
                await workflow.wait_condition(lambda: self._wake, timeout=wait,
                                              timeout_summary="next reminder scan")
            except TimeoutError:
                pass
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.continue_as_new(ReminderStart(config=self._config, totals=self._totals,
                                               scans_per_run=start.scans_per_run))

    def _next_wait(self, now: datetime, outcome: ReminderScanOutcome) -> timedelta:
        wait = timedelta(seconds=self._config.scan_seconds)
        if outcome.retry:  # before ``more``: a channel that is down is not hammered
            wait = min(wait, timedelta(seconds=self._config.retry_seconds))
        elif outcome.more:
            return timedelta(0)
        if outcome.next_due_at is not None:
            wait = min(wait, outcome.next_due_at - now)
        return max(wait, timedelta(0))

    @workflow.signal
    def configure(self, config: ReminderConfig) -> None:
        """Replace the configuration and scan at once with it."""
        self._config = config
        self._wake = True

    @workflow.signal
    def scan_now(self) -> None:
        self._wake = True

    @workflow.query
    def status(self) -> ReminderStatus:
        return ReminderStatus(config=self._config, totals=self._totals,
                              run_scans=self._run_scans)
