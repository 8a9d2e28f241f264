"""The complaint workflow's activity: record a reminder or an escalation in the
complaint's stream, once, unless it has been answered; then tell the unit by e-mail.

Who is told (Kinerja's choice, see docs/public-voice.md): at the reminder, the unit's
head; at the escalation, the unit's head and the agency's HR addresses when its settings
have any. The head without an address is told in the log (as reminders are).
Each e-mail is claimed before it is sent and marked after
(:class:`store.complaint_mails.ComplaintMailRecord`, the reminders' rule), so a retried
activity (a crash, a lost worker) sends what its first attempt did not, and nothing twice
but in the one window that rule names. A transient delivery failure fails the activity:
Temporal tries it again (the step is recorded already; only the mail is left).
"""

from __future__ import annotations

from datetime import timedelta

import asyncpg
import structlog
from temporalio import activity

from activities.notify import (
    LogNotifier,
    NotificationMessage,
    Notifier,
    PermanentNotifyError,
    TransientNotifyError,
    _local,
)
from domain.complaint import ComplaintView
from store.complaint_mails import ComplaintMail, ComplaintMailRecord
from store.complaints import ComplaintStore
from store.event_log import EventLog
from store.notifications import NotificationOutbox
from store.public import PublicStore
from store.reminders import Claimant, ContactsDirectory, RecipientDirectory
from store.settings import AgencyZones
from workflows.complaint.contract import ComplaintStep

log = structlog.get_logger("kinerja.complaints")


class ComplaintMailNotSent(Exception):
    """A transient failure: the activity is tried again, which sends what is left."""


def compose_complaint_mail(mail: ComplaintMail, view: ComplaintView, to_address: str | None,
                           *, link_base_url: str, time_zone: str) -> NotificationMessage:
    """The e-mail of a complaint's step, in Indonesian with an English line: which
    complaint, its deadline, where to answer it. Never the complainant's contact."""
    deadline = _local(view.deadline, time_zone)
    link = f"{link_base_url.rstrip('/')}/survei/{view.agency}/{view.unit}/pengaduan"
    if mail.step == "reminded":
        subject = f"[Kinerja] Pengingat: pengaduan {view.code} belum dijawab"
        text_id = (f"Pengaduan {view.code} pada unit {view.unit} belum dijawab. Batas waktu "
                   f"menjawab: {deadline}.")
        text_en = (f"Complaint {view.code} to unit {view.unit} has no answer yet; it is due "
                   f"{view.deadline.isoformat()}.")
    else:
        subject = f"[Kinerja] Pengaduan {view.code} melewati batas waktu"
        text_id = (f"Pengaduan {view.code} pada unit {view.unit} belum dijawab sampai batas "
                   f"waktunya ({deadline}) dan diteruskan kepada Anda untuk segera dijawab.")
        text_en = (f"Complaint {view.code} to unit {view.unit} was not answered by its "
                   "deadline and is escalated to you.")
    body = "\n".join([
        "Yth. Bapak/Ibu,", "", text_id, "Perlu tindakan Anda.", f"Tautan: {link}", "",
        f"English: {text_en}", "",
        "Pesan ini dikirim otomatis oleh Kinerja; mohon tidak membalas.",
    ]) + "\n"
    return NotificationMessage(
        to_address=to_address, subject=subject, body=body, message_key=mail.key,
        log_fields={"complaint": view.code, "agency": view.agency, "step": mail.step,
                    "recipient": mail.recipient})


class ComplaintActivities:
    def __init__(self, pool: asyncpg.Pool, *, notifier: Notifier | None = None,
                 directory: RecipientDirectory | None = None,
                 link_base_url: str = "http://127.0.0.1:8000",
                 time_zone: str = "Asia/Jakarta",
                 lease: timedelta = timedelta(hours=1)) -> None:
        self._store = ComplaintStore(pool, EventLog(pool))
        self._units = PublicStore(pool)
        self._notifier: Notifier = notifier or LogNotifier()
        self._directory: RecipientDirectory = directory or ContactsDirectory(pool)
        self._outbox = NotificationOutbox(pool)
        self._mails = ComplaintMailRecord(pool, lease=lease)
        self._zones = AgencyZones(pool)
        self._link = link_base_url
        self._time_zone = time_zone

    @activity.defn
    async def record_complaint_step(self, step: ComplaintStep) -> str:
        """``recorded``, or why not: ``answered``, ``done before``, ``unknown``."""
        info = activity.info()
        claimant = Claimant(
            name=f"{info.workflow_id}/{info.workflow_run_id}/{info.activity_id}",
            attempt=info.attempt)
        return await self.record(step, claimant)

    async def record(self, step: ComplaintStep, claimant: Claimant) -> str:
        """Record the step, then send its e-mails (callable without Temporal)."""
        view = await self._store.view(step.agency, step.code)
        if view is None:
            return "unknown"
        leader = await self._units.unit_leader(step.agency, view.unit)
        outcome = await self._store.record_step(
            step.agency, step.code, step.step, step.at,
            leader if step.step == "escalated" else None)
        if outcome in ("recorded", "done before"):
            await self._send(step, view, leader, claimant)
        return outcome

    async def _send(self, step: ComplaintStep, view: ComplaintView, leader: str | None,
                    claimant: Claimant) -> None:
        recipients = [leader] if leader else []
        if step.step == "escalated" and await self._outbox.hr_email(step.agency):
            recipients.append("hr")
        zone = await self._zones.zone(step.agency, self._time_zone)
        transient: str | None = None
        for recipient in recipients:
            mail = ComplaintMail(step.agency, step.code, step.step, recipient)
            if not await self._mails.claim(mail, claimant):
                continue  # sent (or failed) before, or another attempt holds it
            address = (await self._outbox.hr_email(step.agency) if recipient == "hr"
                       else await self._directory.email(step.agency, recipient))
            message = compose_complaint_mail(mail, view, address, link_base_url=self._link,
                                             time_zone=zone)
            try:
                channel = await self._notifier.send(message)
            except TransientNotifyError as error:
                await self._mails.mark(mail, claimant, "retry", error=str(error))
                transient = str(error)
                continue
            except PermanentNotifyError as error:
                log.error("complaint mail refused; not tried again", key=mail.readable_key,
                          error=str(error))
                await self._mails.mark(mail, claimant, "failed", error=str(error))
                continue
            await self._mails.mark(mail, claimant, "sent", channel=channel,
                                   message_id=message.message_key)
        if transient is not None:
            raise ComplaintMailNotSent(transient)
