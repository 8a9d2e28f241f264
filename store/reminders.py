"""Reminders in PostgreSQL: the running deadlines a scan reads, the record of what was
sent (``reminders_sent``), and where to reach a person (the roster's e-mail, or
``people_contacts``).

The record makes sending exactly-once per reminder key, within one honest window
(see :class:`ReminderRecord`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import asyncpg
import structlog

from domain.appraisal import DeadlineKind, Phase, TargetStatus
from domain.documents import period_label
from domain.reminders import DeadlineFacts, Reminder

log = structlog.get_logger("kinerja.reminders")

# The annual deadline or the running periodic review within the window (either index).
_RUNNING_DEADLINES = """
SELECT appraisal_id, cycle_id, agency, unit, employee, appraiser, superior, phase,
       state->>'targets_status' AS targets_status, next_deadline_kind, next_deadline_at,
       next_period, next_period_due_at, state->'policy'->>'review_periods' AS review_periods,
       (state->'calendar'->>'year')::int AS year
FROM appraisal_summaries
WHERE ((next_deadline_at > $1 AND next_deadline_at <= $2)
       OR (next_period_due_at > $1 AND next_period_due_at <= $2))
  AND phase NOT IN ('final', 'cancelled')
ORDER BY least(next_deadline_at, next_period_due_at), appraisal_id
"""


def _within(at: datetime | None, after: datetime, until: datetime) -> bool:
    return at is not None and after < at <= until


async def running_deadlines(pool: asyncpg.Pool, after: datetime, until: datetime
                            ) -> list[DeadlineFacts]:
    """The appraisals whose running deadline, or running periodic review, lies in
    ``(after, until]`` (a deadline outside the window is left out of the facts)."""
    rows = await pool.fetch(_RUNNING_DEADLINES, after, until)
    facts = []
    for row in rows:
        annual = _within(row["next_deadline_at"], after, until)
        period = row["next_period"] if _within(row["next_period_due_at"], after, until) \
            else None
        facts.append(DeadlineFacts(
            appraisal_id=row["appraisal_id"], cycle_id=row["cycle_id"], agency=row["agency"],
            unit=row["unit"], employee=row["employee"], appraiser=row["appraiser"],
            superior=row["superior"], phase=Phase(row["phase"]),
            targets_status=TargetStatus(row["targets_status"] or TargetStatus.NONE),
            deadline_kind=DeadlineKind(row["next_deadline_kind"]) if annual else None,
            deadline_at=row["next_deadline_at"] if annual else None,
            period=period, period_due_at=row["next_period_due_at"] if period else None,
            period_label=period_label(row["review_periods"], period, row["year"] or 0)
            if period else None))
    return facts


@dataclass(frozen=True)
class Claimant:
    """Who claims a reminder: one activity (``workflow/run/activity``) at one attempt."""

    name: str
    attempt: int


# Insert the claim; or take the row back when it was given back ('retry'), when it is
# this activity's own from an earlier attempt (that attempt died between claim and
# 'sent'), or when its claimer's lease ran out (an abandoned activity).
_CLAIM = """
INSERT INTO reminders_sent AS r (
    reminder_key, readable_key, appraisal_id, deadline_kind, deadline_at, days_before,
    recipient, status, claimed_by, attempt, scanned_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, 'sending', $8, $9, $10)
ON CONFLICT (reminder_key) DO UPDATE SET
    status = 'sending', claimed_by = EXCLUDED.claimed_by, attempt = EXCLUDED.attempt,
    tries = r.tries + 1, claimed_at = now(), scanned_at = EXCLUDED.scanned_at, error = NULL
WHERE r.status = 'retry'
   OR (r.status = 'sending' AND r.claimed_by = EXCLUDED.claimed_by
       AND r.attempt < EXCLUDED.attempt)
   OR (r.status = 'sending' AND r.claimed_at < now() - $11::interval)
RETURNING r.tries
"""

_MARK = """
UPDATE reminders_sent SET status = $4, sent_at = CASE WHEN $4 = 'sent' THEN now() END,
    channel = $5, message_id = $6, error = $7
WHERE reminder_key = $1 AND status = 'sending' AND claimed_by = $2 AND attempt = $3
"""


class ReminderRecord:
    """``reminders_sent``: claim before sending, mark after.

    Exactly once, with one window: a claim commits (status 'sending') before the
    notifier is called and 'sent' commits after it accepted the message. A crash
    *before* the notifier accepted leaves 'sending' rows that the retried activity
    takes back and sends (nothing was sent: once). A crash *after* the SMTP server
    accepted the message and before 'sent' committed makes the retry send it again:
    at least once in that window (milliseconds per message), and the duplicate has
    the same Message-ID (derived from the key), so mail systems and people can
    recognise it. The same holds for an attempt Temporal gave up on (timed out) that
    is in fact still running, stuck inside the SMTP exchange: its retry takes the
    claim back while it may still finish sending. A claim abandoned by an activity
    that never runs again (its workflow terminated) is taken over once ``lease`` has
    passed.
    """

    def __init__(self, pool: asyncpg.Pool, *, lease: timedelta = timedelta(hours=1)) -> None:
        self._pool = pool
        self._lease = lease

    async def settled(self, digests: Iterable[str]) -> set[str]:
        """The keys among ``digests`` that need no more sending ('sent' or 'failed')."""
        rows = await self._pool.fetch(
            "SELECT reminder_key FROM reminders_sent WHERE reminder_key = ANY($1::text[])"
            " AND status IN ('sent', 'failed')", list(digests))
        return {row["reminder_key"] for row in rows}

    async def claim(self, reminder: Reminder, claimant: Claimant, scanned_at: datetime
                    ) -> bool:
        """Claim ``reminder`` for sending; False when someone else holds or settled it."""
        tries = await self._pool.fetchval(
            _CLAIM, reminder.digest, reminder.key, reminder.appraisal_id,
            reminder.deadline_name, reminder.deadline_at, reminder.days_before,
            reminder.recipient, claimant.name, claimant.attempt, scanned_at, self._lease)
        if tries is not None and tries > 1:
            log.info("reminder claimed again", key=reminder.key, tries=tries,
                     attempt=claimant.attempt)
        return tries is not None

    async def _mark(self, reminder: Reminder, claimant: Claimant, status: str, *,
                    channel: str | None = None, message_id: str | None = None,
                    error: str | None = None) -> bool:
        result = await self._pool.execute(
            _MARK, reminder.digest, claimant.name, claimant.attempt, status, channel,
            message_id, error)
        marked = result == "UPDATE 1"
        if not marked:
            log.warning("reminder claim lost before it was marked", key=reminder.key,
                        status=status, attempt=claimant.attempt)
        return marked

    async def mark_sent(self, reminder: Reminder, claimant: Claimant, *, channel: str,
                        message_id: str) -> bool:
        return await self._mark(reminder, claimant, "sent", channel=channel,
                                message_id=message_id)

    async def give_back(self, reminder: Reminder, claimant: Claimant, error: str) -> bool:
        """A transient failure: the next scan claims it again."""
        return await self._mark(reminder, claimant, "retry", error=error[:1000])

    async def mark_failed(self, reminder: Reminder, claimant: Claimant, error: str) -> bool:
        """A permanent refusal: never tried again (the address must be fixed)."""
        return await self._mark(reminder, claimant, "failed", error=error[:1000])


class RecipientDirectory(Protocol):
    """Where to reach a person: an e-mail address for an employee key, or None."""

    async def email(self, agency: str, employee_key: str) -> str | None: ...


class ContactsDirectory:
    """Addresses from the roster (``roster_employees.email``, from the roster import),
    unless ``people_contacts`` names another for the person (an override HR keeps).

    No address is no e-mail: the reminder then goes to the log.
    """

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def email(self, agency: str, employee_key: str) -> str | None:
        try:
            value = await self._pool.fetchval(
                "SELECT coalesce("
                " (SELECT email FROM people_contacts WHERE agency = $1 AND employee_key = $2),"
                " (SELECT email FROM roster_employees WHERE agency = $1 AND employee_key = $2))",
                agency, employee_key)
        except asyncpg.UndefinedTableError:
            return None
        return str(value) if value else None
