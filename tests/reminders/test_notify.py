"""Notifiers: SMTP against a real (in-process) SMTP server, and the log."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest
from structlog.testing import capture_logs

from activities.notify import (
    LogNotifier,
    PermanentNotifyError,
    SmtpNotifier,
    SmtpSettings,
    TransientNotifyError,
    compose,
)
from domain.appraisal import DeadlineKind, Phase, TargetStatus
from domain.reminders import DeadlineFacts, Reminder, due_reminders

from .conftest import SmtpServer

NOW = datetime(2027, 1, 25, 3, 0, tzinfo=UTC)


def reminder(kind: DeadlineKind = DeadlineKind.SKP,
             status: TargetStatus = TargetStatus.DRAFT) -> Reminder:
    facts = DeadlineFacts(
        appraisal_id="appraisal-pemkot-2027-e-0001", cycle_id="pemkot-2027", agency="pemkot",
        unit="diskominfo", employee="e-0001", appraiser="e-0002", superior="e-0003",
        phase=Phase.TARGET_SETTING, targets_status=status, deadline_kind=kind,
        deadline_at=datetime(2027, 1, 31, 16, 59, 59, tzinfo=UTC))
    (due,) = due_reminders([facts], NOW)
    return due


def test_the_message_says_what_which_deadline_when_in_indonesian_and_english() -> None:
    message = compose(reminder(), "siti@pemkot.example", link_base_url="https://kinerja.example/")
    assert message.subject == ("[Kinerja] Pengingat: batas waktu penetapan SKP 7 hari lagi"
                               " (appraisal-pemkot-2027-e-0001)")
    assert "Susun dan ajukan Sasaran Kinerja Pegawai (SKP)" in message.body
    assert "31 Januari 2027 pukul 23.59 WIB" in message.body
    assert "English: Draft and submit your performance targets" in message.body
    assert "https://kinerja.example/v1/appraisals/appraisal-pemkot-2027-e-0001" in message.body
    assert message.message_key == reminder().digest
    to_boss = compose(reminder(status=TargetStatus.SUBMITTED), None, link_base_url="http://x")
    assert "Setujui atau kembalikan SKP yang diajukan oleh pegawai e-0001" in to_boss.body


async def test_smtp_delivers_with_recipient_subject_and_stable_message_id(
        smtp_server: SmtpServer) -> None:
    message = compose(reminder(), "siti@pemkot.example", link_base_url="http://kinerja.test")
    assert await smtp_server.notifier().send(message) == "smtp"
    (received,) = await smtp_server.inbox.wait_for(1)
    assert received.recipients == ["siti@pemkot.example"]
    assert received.message["To"] == "siti@pemkot.example"
    assert received.message["From"] == "kinerja@pemkot.example"
    assert received.message["Subject"] == message.subject
    assert received.message_id == f"<reminder-{reminder().digest}@pemkot.example>"
    assert received.message["Auto-Submitted"] == "auto-generated"
    body = received.message.get_payload(decode=True).decode()
    assert "Batas waktu penetapan SKP" in body and "English:" in body
    # the same reminder again carries the same Message-ID: a duplicate is recognisable
    await smtp_server.notifier().send(message)
    first, second = await smtp_server.inbox.wait_for(2)
    assert first.message_id == second.message_id


async def test_no_address_falls_back_to_the_log(smtp_server: SmtpServer) -> None:
    message = compose(reminder(), None, link_base_url="http://kinerja.test")
    with capture_logs() as logs:
        assert await smtp_server.notifier().send(message) == "log"
    (line,) = [entry for entry in logs if entry["event"] == "reminder"]
    assert line["recipient"] == "e-0001" and line["days_before"] == 7
    assert line["has_address"] is False
    assert len(smtp_server.inbox) == 0


async def test_log_notifier_writes_one_line_without_the_address() -> None:
    message = compose(reminder(DeadlineKind.SKP), "siti@pemkot.example",
                      link_base_url="http://kinerja.test")
    with capture_logs() as logs:
        assert await LogNotifier().send(message) == "log"
    (line,) = logs
    assert line["message_key"] == reminder().digest
    assert "siti@pemkot.example" not in repr(line)


async def test_a_refused_mailbox_is_permanent_a_busy_one_transient(
        smtp_server: SmtpServer) -> None:
    with pytest.raises(PermanentNotifyError, match="550"):
        await smtp_server.notifier().send(
            compose(reminder(), "nobody@pemkot.example", link_base_url="http://x"))
    with pytest.raises(TransientNotifyError, match="451"):
        await smtp_server.notifier().send(
            compose(reminder(), "busy@pemkot.example", link_base_url="http://x"))
    assert len(smtp_server.inbox) == 0


async def test_an_unreachable_server_is_transient() -> None:
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    notifier = SmtpNotifier(SmtpSettings(host="127.0.0.1", port=port, starttls=False,
                                         timeout=5))
    with pytest.raises(TransientNotifyError):
        await notifier.send(compose(reminder(), "siti@pemkot.example", link_base_url="http://x"))


def test_deadline_is_shown_in_the_configured_zone() -> None:
    message = compose(reminder(), None, link_base_url="http://x", time_zone="Asia/Makassar")
    assert "1 Februari 2027 pukul 00.59 WITA" in message.body
    unknown = compose(reminder(), None, link_base_url="http://x", time_zone="Nowhere/City")
    assert "31 Januari 2027 pukul 16.59" in unknown.body
    assert timedelta(days=reminder().days_before) == timedelta(days=7)
