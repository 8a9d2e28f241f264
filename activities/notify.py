"""Notifiers: how a reminder reaches a person.

Two implementations of :class:`Notifier`: :class:`LogNotifier` (the default: one
structlog line per reminder, for development and for people with no known
address) and :class:`SmtpNotifier` (e-mail through an SMTP server, with the
standard library's ``smtplib`` in a thread). A notifier raises
:class:`TransientNotifyError` when trying again later may help (server down, 4xx)
and :class:`PermanentNotifyError` when it will not (the recipient's address is
refused with a 5xx; a refused login or sender is configuration, so transient).

Every message carries a Message-ID derived from the reminder's key, so a message
sent twice (see ``store.reminders.ReminderRecord``) is recognisably the same one.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import structlog

from domain.appraisal import DeadlineKind
from domain.reminders import RecipientRole, Reminder

log = structlog.get_logger("kinerja.notify")


class NotifyError(Exception):
    """The notifier could not deliver the message."""


class TransientNotifyError(NotifyError):
    """Delivery may succeed later (connection refused, timeout, 4xx).

    ``affects_all``: the channel itself is down (no connection, login refused), so
    the next messages would fail too; False when only this recipient was deferred.
    """

    def __init__(self, message: str, *, affects_all: bool = True) -> None:
        super().__init__(message)
        self.affects_all = affects_all


class PermanentNotifyError(NotifyError):
    """Delivery will not succeed as is (address refused, 5xx)."""


@dataclass(frozen=True)
class ReminderMessage:
    """One reminder, written for its recipient."""

    reminder: Reminder
    to_address: str | None
    """The recipient's e-mail address; None when the directory knows none."""
    subject: str
    body: str
    message_key: str
    """Stable: the reminder's digest (the local part of the Message-ID)."""

    def message_id(self, domain: str) -> str:
        return f"<reminder-{self.message_key}@{domain}>"


@dataclass(frozen=True)
class NotificationMessage:
    """One notification (``domain.notifications``), written for its recipient."""

    to_address: str | None
    subject: str
    body: str
    message_key: str
    """Stable: the notification's digest (the local part of the Message-ID)."""
    log_fields: dict[str, object]
    """What the log line names (no address: personal data)."""

    def message_id(self, domain: str) -> str:
        return f"<notification-{self.message_key}@{domain}>"


Message = ReminderMessage | NotificationMessage


class Notifier(Protocol):
    """Delivers a reminder or a notification; returns the channel that took it
    (``"log"``, ``"smtp"``)."""

    async def send(self, message: Message) -> str: ...


# ------------------------------------------------------------------ the message

_WHAT: dict[tuple[DeadlineKind, RecipientRole], tuple[str, str]] = {
    (DeadlineKind.SKP, RecipientRole.EMPLOYEE): (
        "Susun dan ajukan Sasaran Kinerja Pegawai (SKP) Anda kepada pejabat penilai.",
        "Draft and submit your performance targets (SKP) to your appraiser."),
    (DeadlineKind.SKP, RecipientRole.APPRAISER): (
        "Setujui atau kembalikan SKP yang diajukan oleh pegawai {employee}.",
        "Approve or return the targets (SKP) submitted by employee {employee}."),
    (DeadlineKind.SELF_ASSESSMENT, RecipientRole.EMPLOYEE): (
        "Kirim penilaian mandiri (self-assessment) tahunan Anda.",
        "Submit your annual self-assessment."),
    (DeadlineKind.REVIEW, RecipientRole.APPRAISER): (
        "Berikan penilaian hasil kerja dan perilaku kerja pegawai {employee}.",
        "Rate the work results and behaviour of employee {employee}."),
    (DeadlineKind.OBJECTION_WINDOW, RecipientRole.EMPLOYEE): (
        "Masa pengajuan keberatan atas hasil penilaian kinerja Anda akan berakhir; "
        "tanpa keberatan, hasilnya menjadi final. (Informasi, tidak wajib ditindaklanjuti.)",
        "The window to object to your appraisal result closes; without an objection the "
        "result becomes final. (For information; no action required.)"),
    (DeadlineKind.OBJECTION_DECISION, RecipientRole.SUPERIOR): (
        "Putuskan keberatan yang diajukan oleh pegawai {employee}.",
        "Decide the objection filed by employee {employee}."),
}

_KIND_ID = {
    DeadlineKind.SKP: "penetapan SKP",
    DeadlineKind.SELF_ASSESSMENT: "penilaian mandiri",
    DeadlineKind.REVIEW: "penilaian kinerja",
    DeadlineKind.OBJECTION_WINDOW: "masa keberatan",
    DeadlineKind.OBJECTION_DECISION: "keputusan keberatan",
}

_MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
           "September", "Oktober", "November", "Desember")


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _local(at: datetime, zone_name: str) -> str:
    zone = _zone(zone_name)
    local = at.astimezone(zone) if zone else at
    label = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}.get(
        zone_name, local.strftime("%Z") or "UTC")
    return (f"{local.day} {_MONTHS[local.month - 1]} {local.year} "
            f"pukul {local:%H.%M} {label}")


def compose(reminder: Reminder, to_address: str | None, *, link_base_url: str,
            time_zone: str = "Asia/Jakarta") -> ReminderMessage:
    """The reminder in Indonesian, with an English line: what to do, which deadline,
    when it falls, and a link to the appraisal."""
    if reminder.period is not None:  # a periodic review (penilaian kinerja periodik)
        label = reminder.period_label or f"periode {reminder.period}"
        what_id, what_en = (
            f"Berikan penilaian kinerja periodik {label} untuk pegawai {{employee}}.",
            f"Give the periodic review of {label} for employee {{employee}}.")
        kind = f"penilaian kinerja periodik {label}"
    else:
        what_id, what_en = _WHAT.get((reminder.deadline_kind, reminder.role), (
            "Tindak lanjuti penilaian kinerja ini.", "Act on this appraisal."))
        kind = _KIND_ID[reminder.deadline_kind]
    what_id = what_id.format(employee=reminder.employee)
    what_en = what_en.format(employee=reminder.employee)
    when = _local(reminder.deadline_at, time_zone)
    days = reminder.days_before
    subject = (f"[Kinerja] Pengingat: batas waktu {kind} {days} hari lagi"
               f" ({reminder.appraisal_id})")
    link = f"{link_base_url.rstrip('/')}/v1/appraisals/{reminder.appraisal_id}"
    body = "\n".join([
        "Yth. Bapak/Ibu,",
        "",
        what_id,
        f"Batas waktu {kind}: {when} ({days} hari lagi).",
        f"Penilaian: {reminder.appraisal_id} (siklus {reminder.cycle_id}).",
        f"Tautan: {link}",
        "",
        f"English: {what_en} Deadline ({reminder.deadline_name}): "
        f"{reminder.deadline_at.astimezone(ZoneInfo('UTC')).isoformat()} "
        f"(in {days} day{'s' if days != 1 else ''}).",
        "",
        "Pesan ini dikirim otomatis oleh Kinerja; mohon tidak membalas.",
    ]) + "\n"
    return ReminderMessage(reminder=reminder, to_address=to_address, subject=subject,
                           body=body, message_key=reminder.digest)


# ------------------------------------------------------------------ notifiers


class LogNotifier:
    """Writes each reminder as one structured log line (no address: personal data)."""

    channel = "log"

    async def send(self, message: Message) -> str:
        if isinstance(message, NotificationMessage):
            log.info("notification", subject=message.subject, message_key=message.message_key,
                     has_address=message.to_address is not None, **message.log_fields)
            return self.channel
        reminder = message.reminder
        log.info("reminder", appraisal_id=reminder.appraisal_id,
                 deadline=reminder.deadline_name, period=reminder.period,
                 deadline_at=reminder.deadline_at.isoformat(),
                 days_before=reminder.days_before, recipient=reminder.recipient,
                 role=reminder.role.value, informational=reminder.informational,
                 subject=message.subject, message_key=message.message_key,
                 has_address=message.to_address is not None)
        return self.channel


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    user: str | None = None
    password: str | None = None
    starttls: bool = True
    ssl: bool = False
    """Implicit TLS from the first byte (port 465); else plain, upgraded if ``starttls``."""
    from_address: str = "kinerja@localhost"
    timeout: float = 30.0

    @property
    def domain(self) -> str:
        return self.from_address.rpartition("@")[2] or "localhost"


class SmtpNotifier:
    """Sends e-mail through an SMTP server (one connection per message, in a thread).

    A person with no known address is reminded through ``fallback`` (the log).
    """

    channel = "smtp"

    def __init__(self, settings: SmtpSettings, *, fallback: Notifier | None = None) -> None:
        self._settings = settings
        self._fallback = fallback or LogNotifier()

    def email(self, message: Message) -> EmailMessage:
        assert message.to_address is not None
        email = EmailMessage()
        email["From"] = self._settings.from_address
        email["To"] = message.to_address
        email["Subject"] = message.subject
        email["Message-ID"] = message.message_id(self._settings.domain)
        email["Date"] = format_datetime(datetime.now().astimezone())
        email["Auto-Submitted"] = "auto-generated"
        if isinstance(message, NotificationMessage):
            email["X-Kinerja-Notification"] = message.message_key
        else:
            email["X-Kinerja-Reminder"] = message.message_key
        email.set_content(message.body)
        return email

    async def send(self, message: Message) -> str:
        if message.to_address is None:
            return await self._fallback.send(message)
        email = self.email(message)
        await asyncio.to_thread(self._deliver, email)
        return self.channel

    def _deliver(self, email: EmailMessage) -> None:
        s = self._settings
        try:
            smtp: smtplib.SMTP
            if s.ssl:
                smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout,
                                        context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            with smtp:
                if s.starttls and not s.ssl:
                    smtp.starttls(context=ssl.create_default_context())
                if s.user:
                    smtp.login(s.user, s.password or "")
                refused = smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            text = f"recipient refused: {codes}"
            if min(codes, default=550) >= 500:
                raise PermanentNotifyError(text) from error
            raise TransientNotifyError(text, affects_all=False) from error
        except (smtplib.SMTPException, OSError) as error:
            # connection, timeout, TLS, login, sender refused: the server's or our
            # configuration's trouble, not the recipient's; a later scan tries again
            raise TransientNotifyError(f"{type(error).__name__}: {error}") from error
        if refused:  # only with several recipients; one recipient refused raises above
            raise PermanentNotifyError(f"recipients refused: {sorted(refused)}")
