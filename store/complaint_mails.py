"""The record of a complaint's e-mails (``complaint_mails``): claim before sending, mark
after, by the reminders' exactly-once rule (:class:`store.reminders.ReminderRecord`: a
crash before the server accepted a message is recovered by the retry, which takes its
own claim back; the one window of a second send is between the server's acceptance and
'sent', and that copy has the same Message-ID)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
import structlog

from store.reminders import Claimant

log = structlog.get_logger("kinerja.complaints")

_CLAIM = """
INSERT INTO complaint_mails AS m (mail_key, readable_key, agency, code, step, recipient,
                                  status, claimed_by, attempt)
VALUES ($1, $2, $3, $4, $5, $6, 'sending', $7, $8)
ON CONFLICT (mail_key) DO UPDATE SET
    status = 'sending', claimed_by = EXCLUDED.claimed_by, attempt = EXCLUDED.attempt,
    tries = m.tries + 1, claimed_at = now(), error = NULL
WHERE m.status = 'retry'
   OR (m.status = 'sending' AND m.claimed_by = EXCLUDED.claimed_by
       AND m.attempt < EXCLUDED.attempt)
   OR (m.status = 'sending' AND m.claimed_at < now() - $9::interval)
RETURNING m.tries
"""

_MARK = """
UPDATE complaint_mails SET status = $4, sent_at = CASE WHEN $4 = 'sent' THEN now() END,
    channel = $5, message_id = $6, error = $7
WHERE mail_key = $1 AND status = 'sending' AND claimed_by = $2 AND attempt = $3
"""


@dataclass(frozen=True)
class ComplaintMail:
    """One e-mail of one step of one complaint to one recipient (an employee key, or
    ``hr``: the agency's HR addresses)."""

    agency: str
    code: str
    step: str
    recipient: str

    @property
    def readable_key(self) -> str:
        return f"complaint-{self.agency}-{self.code}/{self.step}/{self.recipient}"

    @property
    def key(self) -> str:
        return hashlib.sha256(self.readable_key.encode()).hexdigest()


class ComplaintMailRecord:
    def __init__(self, pool: asyncpg.Pool, *, lease: timedelta = timedelta(hours=1)) -> None:
        self._pool = pool
        self._lease = lease

    async def claim(self, mail: ComplaintMail, claimant: Claimant) -> bool:
        """Claim ``mail`` for sending; False when it is sent, failed, or held by another."""
        tries = await self._pool.fetchval(
            _CLAIM, mail.key, mail.readable_key, mail.agency, mail.code, mail.step,
            mail.recipient, claimant.name, claimant.attempt, self._lease)
        if tries is not None and tries > 1:
            log.info("complaint mail claimed again", key=mail.readable_key, tries=tries,
                     attempt=claimant.attempt)
        return tries is not None

    async def mark(self, mail: ComplaintMail, claimant: Claimant, status: str, *,
                   channel: str | None = None, message_id: str | None = None,
                   error: str | None = None) -> bool:
        """'sent', 'retry' or 'failed'; False when the claim was lost meanwhile."""
        result = await self._pool.execute(
            _MARK, mail.key, claimant.name, claimant.attempt, status, channel, message_id,
            error[:1000] if error else None)
        if result != "UPDATE 1":
            log.warning("complaint mail claim lost before it was marked",
                        key=mail.readable_key, status=status)
            return False
        return True
