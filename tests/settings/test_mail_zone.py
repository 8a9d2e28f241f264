"""Reminder and notification e-mails show a deadline in the agency's zone (its
settings), over a real PostgreSQL and a real SMTP server; ``KINERJA_REMINDER_TIME_ZONE``
only for an agency without one."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import asyncpg

from activities.notifications import NotificationActivities
from activities.reminders import ReminderActivities
from domain.appraisal.events import ResultReleased
from domain.policy import end_of_day
from domain.reminders import ReminderPolicy
from domain.settings import AgencySettings
from store.reminders import Claimant
from store.settings import SettingsStore
from tests.notifications.conftest import record
from tests.reminders.conftest import SmtpServer, put_contact, put_deadline
from workflows.notifications.contract import NotificationRound
from workflows.reminders.contract import ReminderConfig, ReminderScan

CONFIG = ReminderConfig(policy=ReminderPolicy(days_before=(7, 1)), scan_seconds=3600,
                        link_base_url="http://kinerja.test", time_zone="Asia/Jakarta")


async def test_a_wita_agencys_reminder_shows_the_wita_end_of_day(
        app_pool: asyncpg.Pool, smtp_server: SmtpServer) -> None:
    now = datetime.now(UTC)
    day = (now + timedelta(days=3)).date()
    # The cycle's deadline: the end of the day in WITA (23:59 WITA is 22:59 WIB).
    deadline = end_of_day(day, 8)
    await SettingsStore(app_pool).change("pemkot-makassar", AgencySettings(utc_offset_hours=8),
                                         actor="e-hr01", request_id="zone", at=now)
    await put_deadline(app_pool, "a-wita", deadline, agency="pemkot-makassar",
                       employee="e-wita")
    await put_deadline(app_pool, "a-unset", deadline, agency="pemkot-unset",
                       employee="e-unset")
    await put_contact(app_pool, "e-wita", "andi@makassar.example", agency="pemkot-makassar")
    await put_contact(app_pool, "e-unset", "budi@unset.example", agency="pemkot-unset")
    activities = ReminderActivities(app_pool, notifier=smtp_server.notifier())
    outcome = await activities.scan(ReminderScan(now=now, config=CONFIG), Claimant("s", 1))
    assert outcome.sent == 2
    received = {r.recipients[0]: r.message for r in await smtp_server.inbox.wait_for(2)}
    wita = received["andi@makassar.example"].get_content()
    months = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
              "September", "Oktober", "November", "Desember")
    shown = f"{day.day} {months[day.month - 1]} {day.year} pukul 23.59 WITA"
    assert shown in wita, wita
    # No zone set: the fallback (KINERJA_REMINDER_TIME_ZONE, here WIB), an hour earlier.
    unset = received["budi@unset.example"].get_content()
    assert f"{day.day} {months[day.month - 1]} {day.year} pukul 22.59 WIB" in unset, unset


def test_the_end_of_day_in_wita_is_an_hour_before_in_wib() -> None:
    assert end_of_day(date(2027, 1, 31), 8) == datetime(2027, 1, 31, 15, 59, 59, 999999,
                                                        tzinfo=UTC)


async def test_a_wita_agencys_notification_shows_the_objection_deadline_in_wita(
        app_pool: asyncpg.Pool, smtp_server: SmtpServer) -> None:
    agency = "pemkot-palu"
    await SettingsStore(app_pool).change(agency, AgencySettings(utc_offset_hours=8),
                                         actor="e-hr01", request_id="zone",
                                         at=datetime.now(UTC))
    await put_contact(app_pool, "e-emp", "siti@palu.example", agency=agency)
    released = datetime(2027, 3, 3, 8, tzinfo=UTC)
    await record(app_pool, "appraisal-palu-1", [ResultReleased(
        at=released, objection_deadline=end_of_day(date(2027, 3, 17), 8),
        exception_reason=None)], agency=agency)
    activities = NotificationActivities(app_pool, notifier=smtp_server.notifier())
    outcome = await activities.deliver(NotificationRound(
        link_base_url="http://kinerja.test", time_zone="Asia/Jakarta", batch=50),
        Claimant("round", 1))
    assert outcome.sent == 1
    (received,) = await smtp_server.inbox.wait_for(1)
    assert "17 Maret 2027 pukul 23.59 WITA" in received.message.get_content()
