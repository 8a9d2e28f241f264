"""The notification activity: derive notifications from the event log, then e-mail each once.

One round (``deliver_notifications``): :class:`store.notifications.NotificationFeed`
turns the events recorded since its cursor into rows of the inbox; then every row not
yet e-mailed is claimed, sent (or skipped by the person's preference, never when it
needs action: ``domain.notifications.email_wanted``) and marked, by the reminders'
exactly-once rule (``store.reminders.ReminderRecord``). The appraisal's command path
does none of this: it only appends events.
"""

from __future__ import annotations

from datetime import datetime, timedelta

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
from domain.notifications import NotificationKind, email_wanted
from store.notifications import NotificationFeed, NotificationOutbox, StoredNotification
from store.reminders import Claimant, ContactsDirectory, RecipientDirectory
from store.settings import AgencyZones
from workflows.notifications.contract import NotificationRound, NotificationRoundOutcome

log = structlog.get_logger("kinerja.notifications")

_PREDIKAT = {"sangat_baik": "Sangat Baik", "baik": "Baik", "cukup": "Cukup",
             "butuh_perbaikan": "Butuh Perbaikan", "kurang": "Kurang",
             "sangat_kurang": "Sangat Kurang"}
_DEADLINE = {"skp": "penetapan SKP", "self_assessment": "penilaian mandiri",
             "review": "penilaian kinerja", "objection_window": "masa keberatan",
             "objection_decision": "keputusan keberatan"}


def _when(value: str | None, zone: str) -> str:
    if not value:
        return "-"
    try:
        return _local(datetime.fromisoformat(value), zone)
    except ValueError:
        return value


def _text(note: StoredNotification, zone: str) -> tuple[str, str, str]:
    """(subject, Indonesian line, English line) of one notification."""
    d, k = note.detail, NotificationKind(note.kind)
    employee = note.appraisal_id
    match k:
        case NotificationKind.TARGETS_RETURNED:
            return ("SKP Anda dikembalikan",
                    f"SKP Anda dikembalikan oleh pejabat penilai dengan alasan: "
                    f"{d.get('reason', '')}. Perbaiki dan ajukan kembali.",
                    "Your targets (SKP) were returned; revise and submit them again.")
        case NotificationKind.TARGETS_APPROVED:
            return ("SKP Anda disetujui", "SKP Anda telah disetujui oleh pejabat penilai.",
                    "Your targets (SKP) were approved.")
        case NotificationKind.FEEDBACK_RECEIVED:
            return ("Umpan balik baru", "Anda menerima umpan balik atas kinerja Anda.",
                    "You received feedback on your performance.")
        case NotificationKind.REVIEW_DONE:
            predikat = _PREDIKAT.get(d.get("predikat", ""), d.get("predikat", ""))
            return ("Penilaian kinerja selesai",
                    f"Pejabat penilai telah menilai kinerja Anda (predikat: {predikat}); "
                    "hasilnya berlaku setelah ditetapkan.",
                    f"Your appraiser has reviewed your performance ({predikat}).")
        case NotificationKind.RESULT_RELEASED:
            until = _when(d.get("objection_deadline"), zone)
            return ("Hasil penilaian kinerja ditetapkan",
                    f"Hasil penilaian kinerja Anda telah ditetapkan. Anda dapat mengajukan "
                    f"keberatan sampai {until}; tanpa keberatan, hasilnya menjadi final.",
                    f"Your appraisal result was released; you may object until "
                    f"{d.get('objection_deadline', '-')}.")
        case NotificationKind.OBJECTION_FILED:
            until = _when(d.get("decision_deadline"), zone)
            return ("Keberatan diajukan",
                    f"Pegawai pada penilaian {employee} mengajukan keberatan atas hasil "
                    f"penilaian kinerjanya. Putuskan sebelum {until}.",
                    "An employee objected to their appraisal result; decide it.")
        case NotificationKind.EXPLANATIONS_REQUESTED:
            return ("Keterangan diminta",
                    f"Atasan pejabat penilai meminta keterangan Anda atas keberatan pada "
                    f"penilaian {employee}.",
                    "The appraiser's superior asks for your explanation of an objection.")
        case NotificationKind.OBJECTION_DECIDED:
            predikat = _PREDIKAT.get(d.get("predikat", ""), d.get("predikat", ""))
            outcome = "dikuatkan" if d.get("outcome") == "uphold" else "diubah"
            return ("Keberatan diputuskan",
                    f"Keberatan atas penilaian {employee} telah diputuskan: hasil {outcome}, "
                    f"predikat {predikat}.",
                    f"The objection was decided ({d.get('outcome', '')}): {predikat}.")
        case NotificationKind.ESCALATION:
            kind = _DEADLINE.get(d.get("deadline", ""), d.get("deadline", ""))
            return ("Batas waktu terlewati",
                    f"Batas waktu {kind} pada penilaian {employee} telah terlewati "
                    f"({_when(d.get('due'), zone)}) dan diteruskan kepada Anda untuk "
                    "ditindaklanjuti.",
                    f"The {d.get('deadline', '')} deadline of this appraisal passed and was "
                    "escalated to you.")
    raise ValueError(note.kind)  # pragma: no cover: the match is exhaustive


def compose_notification(note: StoredNotification, to_address: str | None, *,
                         link_base_url: str, time_zone: str = "Asia/Jakarta"
                         ) -> NotificationMessage:
    """The notification in Indonesian, with an English line and a link to the appraisal."""
    subject, text_id, text_en = _text(note, time_zone)
    action = ("Perlu tindakan Anda." if note.needs_action
              else "Informasi, tidak wajib ditindaklanjuti.")
    link = f"{link_base_url.rstrip('/')}/penilaian/{note.appraisal_id}"
    body = "\n".join([
        "Yth. Bapak/Ibu,", "", text_id, action,
        f"Penilaian: {note.appraisal_id}.", f"Tautan: {link}", "",
        f"English: {text_en}", "",
        "Pesan ini dikirim otomatis oleh Kinerja; mohon tidak membalas.",
        "Pengaturan surel: " + f"{link_base_url.rstrip('/')}/pemberitahuan",
    ]) + "\n"
    return NotificationMessage(
        to_address=to_address, subject=f"[Kinerja] {subject} ({note.appraisal_id})",
        body=body, message_key=note.key,
        log_fields={"appraisal_id": note.appraisal_id, "kind": note.kind,
                    "recipient": note.recipient or "hr", "needs_action": note.needs_action})


class NotificationActivities:
    """The notification activity, bound to a pool, a notifier and a directory."""

    def __init__(self, pool: asyncpg.Pool, *, notifier: Notifier | None = None,
                 directory: RecipientDirectory | None = None,
                 lease: timedelta = timedelta(hours=1)) -> None:
        self._feed = NotificationFeed(pool)
        self._outbox = NotificationOutbox(pool, lease=lease)
        self._notifier: Notifier = notifier or LogNotifier()
        self._directory: RecipientDirectory = directory or ContactsDirectory(pool)
        self._zones = AgencyZones(pool)

    @activity.defn
    async def deliver_notifications(self, round_: NotificationRound
                                    ) -> NotificationRoundOutcome:
        info = activity.info()
        claimant = Claimant(
            name=f"{info.workflow_id}/{info.workflow_run_id}/{info.activity_id}",
            attempt=info.attempt)
        return await self.deliver(round_, claimant)

    async def deliver(self, round_: NotificationRound, claimant: Claimant
                      ) -> NotificationRoundOutcome:
        """Derive, then send at most a batch (callable without Temporal)."""
        events, derived, more_events = await self._feed.derive(round_.batch)
        sent = skipped = failed = retry = 0
        unsent = await self._outbox.unsent(round_.batch)
        for index, note in enumerate(unsent):
            if activity.in_activity():
                activity.heartbeat(index)
            if not await self._outbox.claim(note, claimant):
                continue  # another round holds it
            if note.recipient is not None and not email_wanted(
                    note.needs_action,
                    await self._outbox.email_information(note.agency, note.recipient)):
                await self._outbox.mark(note, claimant, "skipped")
                skipped += 1
                continue
            address = (await self._directory.email(note.agency, note.recipient)
                       if note.recipient is not None else await self._outbox.hr_email(note.agency))
            message = compose_notification(
                note, address, link_base_url=round_.link_base_url,
                time_zone=await self._zones.zone(note.agency, round_.time_zone))
            try:
                channel = await self._notifier.send(message)
            except TransientNotifyError as error:
                log.warning("notification not delivered; tried again later",
                            key=note.readable_key, error=str(error))
                await self._outbox.mark(note, claimant, "retry", error=str(error))
                retry += 1
                if error.affects_all:
                    break
                continue
            except PermanentNotifyError as error:
                log.error("notification refused; not tried again", key=note.readable_key,
                          error=str(error))
                await self._outbox.mark(note, claimant, "failed", error=str(error))
                failed += 1
                continue
            await self._outbox.mark(note, claimant, "sent", channel=channel,
                                    message_id=message.message_key)
            sent += 1
        return NotificationRoundOutcome(
            events=events, derived=derived, sent=sent, skipped=skipped, failed=failed,
            retry=retry,
            more=more_events or (len(unsent) == round_.batch and not retry
                                 and sent + skipped + failed > 0))
