"""``NotificationWorkflow``: tells people what happened, shortly after it was recorded.

Loop: an activity derives the notifications of the events recorded since the last
round and e-mails each once (``activities.notifications``); then a durable timer of
``poll_seconds`` (``retry_seconds`` after a transient failure), or at once when more
is waiting. ``configure`` replaces the configuration (the worker's start-up sends its
settings with signal-with-start), ``wake`` runs a round now. It continues as new every
``rounds_per_run`` rounds.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.notifications import NotificationActivities
    from workflows.notifications.contract import (
        NotificationConfig,
        NotificationRound,
        NotificationRoundOutcome,
        NotificationStart,
        NotificationStatus,
        NotificationTotals,
    )

__all__ = ["NOTIFICATION_WORKFLOW_ID", "NotificationConfig", "NotificationStart",
           "NotificationStatus", "NotificationWorkflow"]

NOTIFICATION_WORKFLOW_ID = "notifications"
ROUND_TIMEOUT = timedelta(minutes=15)
ROUND_HEARTBEAT = timedelta(minutes=2)
RETRY = RetryPolicy(initial_interval=timedelta(seconds=1),
                    maximum_interval=timedelta(minutes=1))


@workflow.defn
class NotificationWorkflow:
    @workflow.init
    def __init__(self, start: NotificationStart) -> None:
        self._config = start.config
        self._totals = start.totals
        self._run_rounds = 0
        self._wake = False

    @workflow.run
    async def run(self, start: NotificationStart) -> None:
        while self._run_rounds < start.rounds_per_run:
            self._wake = False
            config = self._config
            outcome = await workflow.execute_activity_method(
                NotificationActivities.deliver_notifications,
                NotificationRound(link_base_url=config.link_base_url,
                                  time_zone=config.time_zone, batch=config.batch),
                start_to_close_timeout=ROUND_TIMEOUT, heartbeat_timeout=ROUND_HEARTBEAT,
                retry_policy=RETRY, summary="derive and send notifications")
            self._run_rounds += 1
            t = self._totals
            self._totals = NotificationTotals(
                rounds=t.rounds + 1, derived=t.derived + outcome.derived,
                sent=t.sent + outcome.sent, skipped=t.skipped + outcome.skipped,
                failed=t.failed + outcome.failed)
            wait = self._next_wait(outcome)
            if wait <= timedelta(0):
                continue
            try:
                await workflow.wait_condition(lambda: self._wake, timeout=wait,
                                              timeout_summary="next notification round")
            except TimeoutError:
                pass
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.continue_as_new(NotificationStart(
            config=self._config, totals=self._totals, rounds_per_run=start.rounds_per_run))

    def _next_wait(self, outcome: NotificationRoundOutcome) -> timedelta:
        if outcome.retry:
            return timedelta(seconds=self._config.retry_seconds)
        if outcome.more:
            return timedelta(0)
        return timedelta(seconds=self._config.poll_seconds)

    @workflow.signal
    def configure(self, config: NotificationConfig) -> None:
        self._config = config
        self._wake = True

    @workflow.signal
    def wake(self) -> None:
        self._wake = True

    @workflow.query
    def status(self) -> NotificationStatus:
        return NotificationStatus(config=self._config, totals=self._totals,
                                  run_rounds=self._run_rounds)
