"""The reminder activity: scan the read model for due reminders and send each once.

For every reminder due at the scan's ``now`` (``domain.reminders``) and not yet
settled in ``reminders_sent``: claim it (a row in 'sending', keyed by the
reminder's digest, owned by this activity and attempt), look up the address,
send (the deadline in the agency's zone: its settings, else ``time_zone``), mark
it 'sent'. A claim someone else holds is skipped. A retried attempt
of the same activity takes back its own unfinished claims, so a crash between
claim and send loses nothing; see ``store.reminders.ReminderRecord`` for the one
window in which a message may go out twice (with the same Message-ID).
"""

from __future__ import annotations

from datetime import timedelta

import asyncpg
import structlog
from temporalio import activity

from activities.notify import (
    LogNotifier,
    Notifier,
    PermanentNotifyError,
    TransientNotifyError,
    compose,
)
from domain.reminders import due_reminders, next_due_at, scan_horizon
from store.reminders import (
    Claimant,
    ContactsDirectory,
    RecipientDirectory,
    ReminderRecord,
    running_deadlines,
)
from store.settings import AgencyZones
from telemetry.metrics import REMINDERS
from workflows.reminders.contract import ReminderScan, ReminderScanOutcome

log = structlog.get_logger("kinerja.reminders")


class ReminderActivities:
    """The reminder activity, bound to a pool, a notifier and a directory of addresses."""

    def __init__(self, pool: asyncpg.Pool, *, notifier: Notifier | None = None,
                 directory: RecipientDirectory | None = None,
                 lease: timedelta = timedelta(hours=1)) -> None:
        self._pool = pool
        self._notifier: Notifier = notifier or LogNotifier()
        self._directory: RecipientDirectory = directory or ContactsDirectory(pool)
        self._record = ReminderRecord(pool, lease=lease)
        self._zones = AgencyZones(pool)

    @activity.defn
    async def send_due_reminders(self, scan: ReminderScan) -> ReminderScanOutcome:
        info = activity.info()
        claimant = Claimant(
            name=f"{info.workflow_id}/{info.workflow_run_id}/{info.activity_id}",
            attempt=info.attempt)
        return await self.scan(scan, claimant)

    async def scan(self, scan: ReminderScan, claimant: Claimant) -> ReminderScanOutcome:
        """Send what is due at ``scan.now``, at most a batch (callable without Temporal)."""
        config, now = scan.config, scan.now
        horizon = scan_horizon(now, config.policy, timedelta(seconds=config.scan_seconds))
        facts = await running_deadlines(self._pool, now, horizon)
        due = due_reminders(facts, now, config.policy)
        settled = await self._record.settled(r.digest for r in due) if due else set()
        pending = [r for r in due if r.digest not in settled]
        sent = skipped = failed = retry = 0
        claimed = 0
        remaining = 0
        for index, reminder in enumerate(pending):
            if claimed == config.batch:
                remaining = len(pending) - index
                break
            if activity.in_activity():
                activity.heartbeat(index)
            if not await self._record.claim(reminder, claimant, now):
                skipped += 1  # held by another scan: does not count against the batch
                continue
            claimed += 1
            address = await self._directory.email(reminder.agency, reminder.recipient)
            message = compose(reminder, address, link_base_url=config.link_base_url,
                              time_zone=await self._zones.zone(reminder.agency,
                                                               config.time_zone))
            try:
                channel = await self._notifier.send(message)
            except TransientNotifyError as error:
                log.warning("reminder not delivered; the next scan tries again",
                            key=reminder.key, error=str(error))
                await self._record.give_back(reminder, claimant, str(error))
                retry += 1
                if error.affects_all:
                    break  # the channel is down: the rest waits for the next scan
                continue
            except PermanentNotifyError as error:
                log.error("reminder refused; not tried again", key=reminder.key,
                          error=str(error))
                await self._record.mark_failed(reminder, claimant, str(error))
                failed += 1
                continue
            await self._record.mark_sent(reminder, claimant, channel=channel,
                                         message_id=message.message_key)
            sent += 1
        for label, count in (("sent", sent), ("failed", failed), ("retry", retry),
                             ("skipped", skipped)):
            if count:
                REMINDERS.labels(label).inc(count)
        outcome = ReminderScanOutcome(
            due=len(pending), sent=sent, skipped=skipped, failed=failed, retry=retry,
            more=remaining > 0, next_due_at=next_due_at(facts, now, config.policy))
        if pending:
            log.info("reminders scanned", now=now.isoformat(), **outcome.model_dump(
                exclude={"next_due_at"}))
        return outcome
