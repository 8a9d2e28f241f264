"""Sending due reminders over a real PostgreSQL and a real SMTP server: each once, a crash
between claim and send recovered by the retry, the one at-least-once window shown."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from prometheus_client import REGISTRY

from activities.notify import Notifier, ReminderMessage, SmtpNotifier, SmtpSettings
from activities.reminders import ReminderActivities
from domain.reminders import ReminderPolicy
from store.reminders import Claimant, ContactsDirectory
from workflows.reminders.contract import ReminderConfig, ReminderScan

from .conftest import SmtpServer, put_contact, put_deadline, sent_rows

DAY = timedelta(days=1)
CONFIG = ReminderConfig(policy=ReminderPolicy(days_before=(7, 1)), scan_seconds=3600,
                        link_base_url="http://kinerja.test")


def scan_at(now: datetime, config: ReminderConfig = CONFIG) -> ReminderScan:
    return ReminderScan(now=now, config=config)


class Crash(Exception):
    """The process dies here (as far as this attempt is concerned)."""


class CrashBeforeSending:
    """Dies before handing the first message to the SMTP server."""

    def __init__(self, inner: Notifier) -> None:
        self.inner, self.crashed = inner, False

    async def send(self, message: ReminderMessage) -> str:
        if not self.crashed:
            self.crashed = True
            raise Crash("killed between claim and send")
        return await self.inner.send(message)


class CrashAfterSending:
    """Dies after the SMTP server accepted the first message, before 'sent' is recorded."""

    def __init__(self, inner: Notifier) -> None:
        self.inner, self.crashed = inner, False

    async def send(self, message: ReminderMessage) -> str:
        channel = await self.inner.send(message)
        if not self.crashed:
            self.crashed = True
            raise Crash("killed after the server accepted the message")
        return channel


async def test_due_reminder_is_sent_once_to_the_known_address(
        app_pool: asyncpg.Pool, smtp_server: SmtpServer) -> None:
    now = datetime.now(UTC)
    await put_deadline(app_pool, "a-1", now + 3 * DAY)  # past the 7-day mark
    await put_deadline(app_pool, "a-2", now + 20 * DAY, employee="e-far")  # not yet
    await put_contact(app_pool, "e-emp", "siti@pemkot.example")
    activities = ReminderActivities(app_pool, notifier=smtp_server.notifier())
    sent_before = REGISTRY.get_sample_value("kinerja_reminders_total", {"outcome": "sent"}) or 0
    outcome = await activities.scan(scan_at(now), Claimant("scan-1", 1))
    assert (outcome.due, outcome.sent) == (1, 1)
    assert REGISTRY.get_sample_value(  # /metrics counts reminders by outcome
        "kinerja_reminders_total", {"outcome": "sent"}) == sent_before + 1
    assert outcome.next_due_at == now + 2 * DAY  # the 1-day mark of a-1
    (received,) = await smtp_server.inbox.wait_for(1)
    assert received.recipients == ["siti@pemkot.example"]
    (row,) = await sent_rows(app_pool)
    assert (row["status"], row["channel"], row["days_before"]) == ("sent", "smtp", 7)
    assert received.message_id == f"<reminder-{row['message_id']}@pemkot.example>"
    # another scan, by another activity, later the same day: nothing more
    again = await activities.scan(scan_at(now + timedelta(hours=5)), Claimant("scan-2", 1))
    assert (again.due, again.sent) == (0, 0)
    assert len(smtp_server.inbox) == 1
    # past the 1-day mark: the 1-day reminder, once
    later = await activities.scan(scan_at(now + 2 * DAY + timedelta(hours=1)),
                                  Claimant("scan-3", 1))
    assert later.sent == 1
    await smtp_server.inbox.wait_for(2)
    assert [r["days_before"] for r in await sent_rows(app_pool)] == [7, 1]


async def test_unknown_address_goes_to_the_log(app_pool: asyncpg.Pool,
                                               smtp_server: SmtpServer) -> None:
    now = datetime.now(UTC)
    await put_deadline(app_pool, "a-1", now + 3 * DAY)
    activities = ReminderActivities(app_pool, notifier=smtp_server.notifier())
    assert (await activities.scan(scan_at(now), Claimant("scan-1", 1))).sent == 1
    (row,) = await sent_rows(app_pool)
    assert (row["status"], row["channel"]) == ("sent", "log")
    assert len(smtp_server.inbox) == 0


async def test_crash_between_claim_and_send_is_sent_once_by_the_retry(
        app_pool: asyncpg.Pool, smtp_server: SmtpServer) -> None:
    now = datetime.now(UTC)
    await put_deadline(app_pool, "a-1", now + 3 * DAY)
    await put_contact(app_pool, "e-emp", "siti@pemkot.example")
    crashing = ReminderActivities(app_pool, notifier=CrashBeforeSending(smtp_server.notifier()))
    with pytest.raises(Crash):
        await crashing.scan(scan_at(now), Claimant("wf/run/1", 1))
    (row,) = await sent_rows(app_pool)
    assert (row["status"], row["attempt"]) == ("sending", 1)
    # someone else's scan leaves the live claim alone ...
    other = ReminderActivities(app_pool, notifier=smtp_server.notifier())
    assert (await other.scan(scan_at(now), Claimant("wf/run/2", 1))).skipped == 1
    # ... and the retry of the same activity takes it back and sends it
    retried = await other.scan(scan_at(now), Claimant("wf/run/1", 2))
    assert retried.sent == 1
    await smtp_server.inbox.wait_for(1)
    (row,) = await sent_rows(app_pool)
    assert (row["status"], row["attempt"], row["tries"]) == ("sent", 2, 2)
    assert (await other.scan(scan_at(now), Claimant("wf/run/1", 3))).sent == 0
    assert len(smtp_server.inbox) == 1


async def test_crash_after_the_server_accepted_resends_with_the_same_message_id(
        app_pool: asyncpg.Pool, smtp_server: SmtpServer) -> None:
    """The documented at-least-once window: accepted by SMTP, not yet recorded 'sent'."""
    now = datetime.now(UTC)
    await put_deadline(app_pool, "a-1", now + 3 * DAY)
    await put_contact(app_pool, "e-emp", "siti@pemkot.example")
    crashing = ReminderActivities(app_pool, notifier=CrashAfterSending(smtp_server.notifier()))
    with pytest.raises(Crash):
        await crashing.scan(scan_at(now), Claimant("wf/run/1", 1))
    retried = ReminderActivities(app_pool, notifier=smtp_server.notifier())
    assert (await retried.scan(scan_at(now), Claimant("wf/run/1", 2))).sent == 1
    first, second = await smtp_server.inbox.wait_for(2)
    assert first.message_id == second.message_id
    assert len(await sent_rows(app_pool)) == 1


async def test_an_abandoned_claim_is_taken_over_after_the_lease(
        app_pool: asyncpg.Pool, admin_connection: asyncpg.Connection,
        smtp_server: SmtpServer) -> None:
    now = datetime.now(UTC)
    await put_deadline(app_pool, "a-1", now + 3 * DAY)
    crashing = ReminderActivities(app_pool, notifier=CrashBeforeSending(smtp_server.notifier()))
    with pytest.raises(Crash):
        await crashing.scan(scan_at(now), Claimant("terminated/run/1", 1))
    other = ReminderActivities(app_pool, notifier=smtp_server.notifier(),
                               lease=timedelta(minutes=30))
    assert (await other.scan(scan_at(now), Claimant("new/run/1", 1))).skipped == 1
    await admin_connection.execute(
        "UPDATE reminders_sent SET claimed_at = claimed_at - interval '31 minutes'")
    assert (await other.scan(scan_at(now), Claimant("new/run/1", 1))).sent == 1
    (row,) = await sent_rows(app_pool)
    assert (row["status"], row["claimed_by"]) == ("sent", "new/run/1")


async def test_transient_failure_is_given_back_permanent_is_not_retried(
        app_pool: asyncpg.Pool, smtp_server: SmtpServer) -> None:
    now = datetime.now(UTC)
    await put_deadline(app_pool, "a-busy", now + 3 * DAY, employee="e-busy")
    await put_deadline(app_pool, "a-gone", now + 3 * DAY, employee="e-gone")
    await put_contact(app_pool, "e-busy", "busy@pemkot.example")
    await put_contact(app_pool, "e-gone", "nobody@pemkot.example")
    activities = ReminderActivities(app_pool, notifier=smtp_server.notifier())
    outcome = await activities.scan(scan_at(now), Claimant("scan-1", 1))
    assert (outcome.sent, outcome.retry, outcome.failed) == (0, 1, 1)
    statuses = {r["appraisal_id"]: r["status"] for r in await sent_rows(app_pool)}
    assert statuses == {"a-busy": "retry", "a-gone": "failed"}
    # the mailbox frees up: the next scan sends the given-back one, not the refused one
    await app_pool.execute("UPDATE people_contacts SET email = 'siti@pemkot.example'"
                           " WHERE employee_key = 'e-busy'")
    again = await activities.scan(scan_at(now + timedelta(minutes=5)), Claimant("scan-2", 1))
    assert (again.due, again.sent) == (1, 1)
    (received,) = await smtp_server.inbox.wait_for(1)
    assert received.recipients == ["siti@pemkot.example"]


async def test_a_batch_at_a_time(app_pool: asyncpg.Pool, smtp_server: SmtpServer) -> None:
    now = datetime.now(UTC)
    for i in range(5):
        await put_deadline(app_pool, f"a-{i}", now + 3 * DAY, employee=f"e-{i}")
    activities = ReminderActivities(app_pool, notifier=smtp_server.notifier())
    small = CONFIG.model_copy(update={"batch": 2})
    first = await activities.scan(scan_at(now, small), Claimant("s", 1))
    assert (first.due, first.sent, first.more) == (5, 2, True)
    second = await activities.scan(scan_at(now, small), Claimant("s2", 1))
    third = await activities.scan(scan_at(now, small), Claimant("s3", 1))
    assert (second.sent, third.sent, third.more) == (2, 1, False)
    assert len(await sent_rows(app_pool)) == 5


async def test_a_moved_deadline_is_reminded_again_and_a_passed_one_not(
        app_pool: asyncpg.Pool) -> None:
    now = datetime.now(UTC)
    await put_deadline(app_pool, "a-1", now + 3 * DAY)
    activities = ReminderActivities(app_pool)  # the log notifier
    assert (await activities.scan(scan_at(now), Claimant("s1", 1))).sent == 1
    await put_deadline(app_pool, "a-1", now + 5 * DAY, version=2)  # extended
    assert (await activities.scan(scan_at(now), Claimant("s2", 1))).sent == 1
    await put_deadline(app_pool, "a-1", now - DAY, version=3)  # passed
    assert (await activities.scan(scan_at(now), Claimant("s3", 1))).due == 0
    assert len(await sent_rows(app_pool)) == 2


async def test_directory_without_its_table_knows_no_address(
        app_pool: asyncpg.Pool, admin_connection: asyncpg.Connection) -> None:
    directory = ContactsDirectory(app_pool)
    await put_contact(app_pool, "e-emp", "siti@pemkot.example")
    assert await directory.email("pemkot", "e-emp") == "siti@pemkot.example"
    assert await directory.email("pemkot", "e-other") is None
    await admin_connection.execute("DROP TABLE people_contacts")
    assert await directory.email("pemkot", "e-emp") is None


async def test_claims_held_elsewhere_do_not_use_up_the_batch(
        app_pool: asyncpg.Pool, smtp_server: SmtpServer) -> None:
    now = datetime.now(UTC)
    for i in range(5):
        await put_deadline(app_pool, f"a-{i}", now + 3 * DAY, employee=f"e-{i}")
        await put_contact(app_pool, f"e-{i}", f"p{i}@pemkot.example")
    crashing = ReminderActivities(app_pool, notifier=CrashBeforeSending(smtp_server.notifier()))
    with pytest.raises(Crash):  # leaves a-0's reminder claimed by a live activity
        await crashing.scan(scan_at(now), Claimant("other", 1))
    activities = ReminderActivities(app_pool, notifier=smtp_server.notifier())
    small = CONFIG.model_copy(update={"batch": 2})
    first = await activities.scan(scan_at(now, small), Claimant("s1", 1))
    assert (first.skipped, first.sent, first.more) == (1, 2, True)
    second = await activities.scan(scan_at(now, small), Claimant("s2", 1))
    assert (second.skipped, second.sent, second.more) == (1, 2, False)
    await smtp_server.inbox.wait_for(4)
    assert len(smtp_server.inbox) == 4


async def test_a_server_that_is_down_stops_the_batch(app_pool: asyncpg.Pool) -> None:
    now = datetime.now(UTC)
    for i in range(3):
        await put_deadline(app_pool, f"a-{i}", now + 3 * DAY, employee=f"e-{i}")
        await put_contact(app_pool, f"e-{i}", f"p{i}@pemkot.example")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nobody listens here once it is closed
    down = SmtpNotifier(SmtpSettings(host="127.0.0.1", port=port, starttls=False, timeout=5))
    outcome = await ReminderActivities(app_pool, notifier=down).scan(scan_at(now),
                                                                     Claimant("s1", 1))
    assert (outcome.due, outcome.sent, outcome.retry, outcome.more) == (3, 0, 1, False)
    (row,) = await sent_rows(app_pool)  # the other two were not even claimed
    assert row["status"] == "retry" and "ConnectionRefusedError" in row["error"]


async def test_concurrent_scans_send_each_reminder_once(
        app_pool: asyncpg.Pool, smtp_server: SmtpServer) -> None:
    """Two scanners at once (say, two reminder workflows by mistake) over 30 reminders."""
    now = datetime.now(UTC)
    for i in range(30):
        await put_deadline(app_pool, f"a-{i:02}", now + 3 * DAY, employee=f"e-{i:02}")
        await put_contact(app_pool, f"e-{i:02}", f"p{i:02}@pemkot.example")
    scanners = [ReminderActivities(app_pool, notifier=smtp_server.notifier()) for _ in range(3)]
    outcomes = await asyncio.gather(*(
        scanner.scan(scan_at(now), Claimant(f"scanner-{n}", 1))
        for n, scanner in enumerate(scanners)))
    assert sum(o.sent for o in outcomes) == 30
    received = await smtp_server.inbox.wait_for(30)
    assert len({r.message_id for r in received}) == 30
    assert len(smtp_server.inbox) == 30


async def test_the_roster_gives_the_address_unless_an_override_names_another(
        app_pool: asyncpg.Pool, admin_connection: asyncpg.Connection) -> None:
    await admin_connection.execute(
        "INSERT INTO roster_employees (agency, employee_key, nip, name, position, kind,"
        " employment, unit, email) VALUES ('pemkot', 'e-9', '199205202019032003', 'Siti',"
        " 'Pranata Komputer', 'functional', 'pns', 'diskominfo', 'siti@roster.example')")
    directory = ContactsDirectory(app_pool)
    assert await directory.email("pemkot", "e-9") == "siti@roster.example"
    await put_contact(app_pool, "e-9", "siti@override.example")
    assert await directory.email("pemkot", "e-9") == "siti@override.example"
