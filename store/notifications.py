"""Notifications in PostgreSQL: derived from the event log, kept as an inbox (read model)
and an e-mail outbox in one table, and each person's e-mail preference.

- :class:`NotificationFeed` reads the log after its cursor (``EventLog.read_all``, commit
  order, nothing skipped) and inserts what ``domain.notifications`` derives from each
  appraisal event, advancing the cursor in the same transaction: a crash repeats a
  batch, whose rows are already there (keyed by the notification's digest).
- :class:`NotificationOutbox` sends each e-mail once with the reminders' rule
  (``store.reminders.ReminderRecord``): claim ('sending', by activity and attempt),
  send, mark; a retried attempt takes back its own claims, a lease frees abandoned ones,
  and the one duplicate possible (after the server accepted, before the mark) has the
  same Message-ID.
- :class:`Inbox`: a person's notifications, the unread count, mark as read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import pydantic
import structlog

from domain.appraisal import event_from_data
from domain.authorization import Parties
from domain.notifications import Notification, notifications_for
from store.event_log import EventLog, Position
from store.reminders import Claimant

log = structlog.get_logger("kinerja.notifications")

CURSOR = "appraisal-notifications"

_INSERT = """
INSERT INTO notifications (notification_key, readable_key, agency, recipient, relation, kind,
    needs_action, appraisal_id, event_id, detail, at)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
    $7::boolean[], $8::text[], $9::uuid[], $10::jsonb[], $11::timestamptz[])
ON CONFLICT (notification_key) DO NOTHING
"""


class NotificationFeed:
    """The derivation: from the log after the cursor to rows of ``notifications``."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._log = EventLog(pool)

    async def derive(self, limit: int = 500) -> tuple[int, int, bool]:
        """Read up to ``limit`` events after the cursor; returns (events read,
        notifications inserted, whether more may be waiting)."""
        async with self._pool.acquire() as connection, connection.transaction():
            row = await connection.fetchrow(
                "SELECT tx_id::text AS tx_id, stream_id, version FROM notification_cursor"
                " WHERE name = $1 FOR UPDATE", CURSOR)
            after = Position(int(row["tx_id"]), row["stream_id"], row["version"])
            events = await self._log.read_all(after, limit, connection=connection)
            if not events:
                return 0, 0, False
            ids = sorted({e.stream_id for e in events if e.stream_id.startswith("appraisal-")})
            parties = {r["appraisal_id"]: Parties(
                agency=r["agency"], unit=r["unit"], employee=r["employee"],
                appraiser=r["appraiser"], superior=r["superior"]) for r in await connection.fetch(
                    "SELECT appraisal_id, agency, unit, employee, appraiser, superior"
                    " FROM appraisal_summaries WHERE appraisal_id = ANY($1::text[])", ids)}
            notes: list[Notification] = []
            for recorded in events:
                who = parties.get(recorded.stream_id)
                if who is None:
                    continue  # not an appraisal (cycle, roster, access), or no read model
                try:
                    event = event_from_data(recorded.type, recorded.data)
                except pydantic.ValidationError as error:
                    log.warning("event not understood; nobody told", stream=recorded.stream_id,
                                version=recorded.version, type=recorded.type,
                                error=str(error)[:300])
                    continue
                notes.extend(notifications_for(event, appraisal_id=recorded.stream_id,
                                               event_id=str(recorded.event_id), parties=who))
            inserted = 0
            if notes:
                status = await connection.execute(_INSERT, *_columns(notes))
                inserted = int(status.rsplit(" ", 1)[-1])
            last = events[-1].position
            await connection.execute(
                "UPDATE notification_cursor SET tx_id = $2::text::xid8, stream_id = $3,"
                " version = $4 WHERE name = $1", CURSOR, str(last.tx_id), last.stream_id,
                last.version)
            return len(events), inserted, len(events) == limit


def _columns(notes: list[Notification]) -> list[list[Any]]:
    return [
        [n.digest for n in notes], [n.key for n in notes],
        [n.recipient.agency for n in notes], [n.recipient.employee for n in notes],
        [n.recipient.relation.value for n in notes], [n.kind.value for n in notes],
        [n.needs_action for n in notes], [n.appraisal_id for n in notes],
        [n.event_id for n in notes], [json.dumps(n.detail) for n in notes],
        [n.at for n in notes],
    ]


@dataclass(frozen=True)
class StoredNotification:
    """A row of ``notifications`` as the inbox and the sender see it."""

    id: int
    key: str
    readable_key: str
    agency: str
    recipient: str | None
    relation: str
    kind: str
    needs_action: bool
    appraisal_id: str
    detail: dict[str, str]
    at: datetime
    read_at: datetime | None
    email_status: str

    @classmethod
    def of(cls, row: asyncpg.Record) -> StoredNotification:
        detail = row["detail"]
        return cls(id=row["id"], key=row["notification_key"], readable_key=row["readable_key"],
                   agency=row["agency"], recipient=row["recipient"], relation=row["relation"],
                   kind=row["kind"], needs_action=row["needs_action"],
                   appraisal_id=row["appraisal_id"],
                   detail=json.loads(detail) if isinstance(detail, str) else dict(detail),
                   at=row["at"], read_at=row["read_at"], email_status=row["email_status"])


_CLAIM = """
UPDATE notifications AS n SET email_status = 'sending', claimed_by = $2, attempt = $3,
    tries = n.tries + 1, claimed_at = now(), error = NULL
WHERE n.notification_key = $1
  AND (n.email_status IN ('pending', 'retry')
       OR (n.email_status = 'sending' AND n.claimed_by = $2 AND n.attempt < $3)
       OR (n.email_status = 'sending' AND n.claimed_at < now() - $4::interval))
RETURNING n.tries
"""

_MARK = """
UPDATE notifications SET email_status = $4,
    sent_at = CASE WHEN $4 = 'sent' THEN now() END, channel = $5, message_id = $6, error = $7
WHERE notification_key = $1 AND email_status = 'sending' AND claimed_by = $2 AND attempt = $3
"""


class NotificationOutbox:
    """The e-mail side of ``notifications``: what is still to send, claim, mark."""

    def __init__(self, pool: asyncpg.Pool, *, lease: timedelta = timedelta(hours=1)) -> None:
        self._pool = pool
        self._lease = lease

    async def unsent(self, limit: int) -> list[StoredNotification]:
        """Oldest first: never sent, given back, or claimed (by an attempt that may have
        died: the claim decides)."""
        rows = await self._pool.fetch(
            "SELECT * FROM notifications WHERE email_status IN ('pending', 'retry', 'sending')"
            " ORDER BY id LIMIT $1", limit)
        return [StoredNotification.of(row) for row in rows]

    async def claim(self, note: StoredNotification, claimant: Claimant) -> bool:
        tries = await self._pool.fetchval(_CLAIM, note.key, claimant.name, claimant.attempt,
                                          self._lease)
        if tries is not None and tries > 1:
            log.info("notification claimed again", key=note.readable_key, tries=tries,
                     attempt=claimant.attempt)
        return tries is not None

    async def mark(self, note: StoredNotification, claimant: Claimant, status: str, *,
                   channel: str | None = None, message_id: str | None = None,
                   error: str | None = None) -> bool:
        """'sent', 'retry' (the next round claims it again), 'failed' or 'skipped'."""
        result = await self._pool.execute(
            _MARK, note.key, claimant.name, claimant.attempt, status, channel, message_id,
            error[:1000] if error else None)
        if result != "UPDATE 1":
            log.warning("notification claim lost before it was marked", key=note.readable_key,
                        status=status, attempt=claimant.attempt)
            return False
        return True

    async def email_information(self, agency: str, employee: str | None) -> bool:
        """The person's preference for information-only e-mail (default: wanted)."""
        if employee is None:
            return True
        value = await self._pool.fetchval(
            "SELECT email_information FROM notification_preferences"
            " WHERE agency = $1 AND employee_key = $2", agency, employee)
        return True if value is None else bool(value)

    async def hr_email(self, agency: str) -> str | None:
        value = await self._pool.fetchval(
            "SELECT email FROM agency_hr_contacts WHERE agency = $1", agency)
        return str(value) if value else None


class Inbox:
    """A person's notifications: their own, and their agencies' HR inbox when they are HR.

    ``hr_agencies``: the agencies whose shared HR inbox the person reads (their HR
    scope; ``*`` is every agency)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @staticmethod
    def _whose(agency: str | None, employee: str, hr_agencies: frozenset[str]
               ) -> tuple[str, list[Any]]:
        every = "*" in hr_agencies
        condition = ("((agency = $1 AND recipient = $2)"
                     " OR (recipient IS NULL AND ($3 OR agency = ANY($4::text[]))))")
        return condition, [agency, employee, every, sorted(hr_agencies - {"*"})]

    async def list(self, agency: str | None, employee: str, hr_agencies: frozenset[str], *,
                   unread_only: bool = False, limit: int = 50, before: int | None = None
                   ) -> list[StoredNotification]:
        condition, args = self._whose(agency, employee, hr_agencies)
        rows = await self._pool.fetch(
            f"SELECT * FROM notifications WHERE {condition}"
            " AND ($5 = false OR read_at IS NULL) AND ($6::bigint IS NULL OR id < $6)"
            " ORDER BY id DESC LIMIT $7", *args, unread_only, before, limit)
        return [StoredNotification.of(row) for row in rows]

    async def unread(self, agency: str | None, employee: str, hr_agencies: frozenset[str]
                     ) -> int:
        condition, args = self._whose(agency, employee, hr_agencies)
        return int(await self._pool.fetchval(
            f"SELECT count(*) FROM notifications WHERE {condition} AND read_at IS NULL",
            *args))

    async def mark_read(self, notification_id: int, agency: str | None, employee: str,
                        hr_agencies: frozenset[str]) -> StoredNotification | None:
        """Mark it read (again: no change); None when it is not this person's."""
        condition, args = self._whose(agency, employee, hr_agencies)
        row = await self._pool.fetchrow(
            f"UPDATE notifications SET read_at = coalesce(read_at, now())"
            f" WHERE id = $5 AND {condition} RETURNING *", *args, notification_id)
        return StoredNotification.of(row) if row is not None else None

    async def preference(self, agency: str, employee: str) -> bool:
        value = await self._pool.fetchval(
            "SELECT email_information FROM notification_preferences"
            " WHERE agency = $1 AND employee_key = $2", agency, employee)
        return True if value is None else bool(value)

    async def set_preference(self, agency: str, employee: str, email_information: bool
                             ) -> None:
        await self._pool.execute(
            "INSERT INTO notification_preferences (agency, employee_key, email_information)"
            " VALUES ($1, $2, $3) ON CONFLICT (agency, employee_key) DO UPDATE"
            " SET email_information = EXCLUDED.email_information, updated_at = now()",
            agency, employee, email_information)
