"""Complaints in PostgreSQL: their events in the log (one stream each), their read model
and, apart from both, the complainants' contacts (erasable)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from domain.complaint import (
    ComplaintView,
    FileComplaint,
    Photo,
    complaint_stream,
    fold,
    text_key,
)
from store.event_log import ConcurrencyConflict, EventLog, NewEvent, RecordedEvent

_INSERT_READ_MODEL = """
INSERT INTO complaints (code, agency, unit, kind, filed_at, deadline, status, contact_ref,
                        text_key)
VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8) ON CONFLICT (code) DO NOTHING
"""

_DUPLICATE = """
SELECT 1 FROM complaints WHERE agency = $1 AND unit = $2 AND text_key = $3
AND filed_at > $4 AND code <> $5 LIMIT 1
"""


class DuplicateComplaint(Exception):
    """The same text was filed with the unit within the policy's window."""

_ANSWERED = """
UPDATE complaints SET status = 'answered', answered_at = $2, response_seconds = $3
WHERE code = $1
"""

_INSERT_CONTACT = """
INSERT INTO complaint_contacts (contact_ref, agency, contact) VALUES ($1, $2, $3)
ON CONFLICT (contact_ref) DO NOTHING
"""

_INSERT_PHOTO = """
INSERT INTO complaint_photos (code, agency, sha256, media_type, size, content)
VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (code) DO NOTHING
"""

_NOT_STARTED = """
SELECT agency, code, deadline FROM complaints
WHERE workflow_started_at IS NULL AND status <> 'answered' AND filed_at <= $1
ORDER BY filed_at, code LIMIT $2
"""

_LIST = """
SELECT code FROM complaints WHERE agency = $1 AND unit = $2 ORDER BY filed_at, code
"""


@dataclass(frozen=True)
class Filed:
    view: ComplaintView
    event_hash: str
    """The hex SHA-256 of the filing event in its chain: the complainant's receipt."""
    new: bool
    """False when the same form was filed before (its first receipt)."""


@dataclass(frozen=True)
class NotStarted:
    agency: str
    code: str
    deadline: datetime


@dataclass(frozen=True)
class StoredPhoto:
    sha256: str
    media_type: str
    size: int
    erased: bool
    content: bytes | None = None
    """The bytes (when read for showing them); None once erased."""


class ComplaintStore:
    def __init__(self, pool: asyncpg.Pool, event_log: EventLog) -> None:
        self._pool = pool
        self._log = event_log

    async def file(self, agency: str, unit: str, code: str, complaint: FileComplaint,
                   filed_at: datetime, deadline: datetime, photo: Photo | None = None,
                   duplicates_since: datetime | None = None) -> Filed:
        """Append the filing event, with the contact and the photo kept apart (the event
        names the contact's reference and the photo's SHA-256), in one transaction.
        ``duplicates_since``: :class:`DuplicateComplaint` when another complaint with the
        same text (``text_key``) was filed with the unit since then (the same form sent
        again is not another: it answers with its first filing)."""
        stream = complaint_stream(agency, code)
        contact_ref = uuid.uuid5(uuid.NAMESPACE_URL, stream) if complaint.contact else None
        data = {"code": code, "agency": agency, "unit": unit, "kind": complaint.kind.value,
                "service": complaint.service, "text": complaint.text,
                "deadline": deadline.isoformat(),
                "contact_ref": str(contact_ref) if contact_ref else None}
        if photo is not None:
            data["photo_sha256"] = photo.sha256
        key = text_key(complaint.text)
        try:
            async with self._pool.acquire() as connection, connection.transaction():
                if duplicates_since is not None and await connection.fetchval(
                        _DUPLICATE, agency, unit, key, duplicates_since, code):
                    raise DuplicateComplaint(code)
                recorded = await self._log.append(stream, 0, [NewEvent(
                    "complaint_filed", data, {"request_id": code, "actor": "public"},
                    recorded_at=filed_at)], connection=connection)
                if contact_ref is not None:
                    await connection.execute(_INSERT_CONTACT, contact_ref, agency,
                                             complaint.contact)
                if photo is not None:
                    await connection.execute(_INSERT_PHOTO, code, agency, photo.sha256,
                                             photo.media_type, len(photo.content),
                                             photo.content)
                await connection.execute(_INSERT_READ_MODEL, code, agency, unit,
                                         complaint.kind.value, filed_at, deadline,
                                         contact_ref, key)
        except ConcurrencyConflict:  # the same form sent again: its first filing
            first = (await self._log.read_stream(stream))[0]
            view = await self.view(agency, code)
            assert view is not None
            return Filed(view, first.hash.hex(), new=False)
        view = fold([(e.type, e.data, e.recorded_at) for e in recorded])
        assert view is not None
        return Filed(view, recorded[0].hash.hex(), new=True)

    async def events(self, agency: str, code: str) -> list[RecordedEvent]:
        return await self._log.read_stream(complaint_stream(agency, code))

    async def view(self, agency: str, code: str) -> ComplaintView | None:
        return fold([(e.type, e.data, e.recorded_at) for e in await self.events(agency, code)])

    async def answer(self, agency: str, code: str, text: str, actor: str,
                     answered_at: datetime, response_seconds: int) -> bool:
        """Record the unit's answer at the stream's head (after a moderation event too);
        False when the complaint is answered already (by this request or another)."""
        stream = complaint_stream(agency, code)
        for _attempt in range(3):
            events = await self._log.read_stream(stream)
            if any(e.type == "complaint_answered" for e in events):
                return False
            try:
                async with self._pool.acquire() as connection, connection.transaction():
                    await self._log.append(stream, len(events), [NewEvent(
                        "complaint_answered",
                        {"text": text, "response_seconds": response_seconds},
                        {"request_id": f"answer-{code}", "actor": actor},
                        recorded_at=answered_at)], connection=connection)
                    await connection.execute(_ANSWERED, code, answered_at, response_seconds)
                return True
            except ConcurrencyConflict:
                continue  # moderation or another answer meanwhile: look again
        return False

    async def hide(self, agency: str, code: str, reason: str, actor: str,
                   at: datetime) -> None:
        """Append ``complaint_hidden`` at the stream's head (once more on a race)."""
        stream = complaint_stream(agency, code)
        for _attempt in range(3):
            version = await self._log.stream_version(stream)
            try:
                await self._log.append(stream, version, [NewEvent(
                    "complaint_hidden", {"reason": reason},
                    {"request_id": f"hide-{code}", "actor": actor}, recorded_at=at)])
                return
            except ConcurrencyConflict:
                continue
        raise ConcurrencyConflict(stream, version, version + 1)

    async def record_step(self, agency: str, code: str, step: str, at: datetime,
                          escalated_to: str | None) -> str:
        """Append ``complaint_<step>`` (reminded, escalated) once, unless answered."""
        stream = complaint_stream(agency, code)
        for _attempt in range(3):
            events = await self._log.read_stream(stream)
            types = {e.type for e in events}
            if "complaint_answered" in types:
                return "answered"
            if f"complaint_{step}" in types:
                return "done before"
            data: dict[str, object] = {"escalated_to": escalated_to} \
                if step == "escalated" else {}
            try:
                async with self._pool.acquire() as connection, connection.transaction():
                    await self._log.append(stream, len(events), [NewEvent(
                        f"complaint_{step}", data,
                        {"request_id": f"{step}-{code}", "actor": "system"},
                        recorded_at=at)], connection=connection)
                    if step == "escalated":
                        await connection.execute(
                            "UPDATE complaints SET status = 'escalated' WHERE code = $1"
                            " AND status = 'open'", code)
                return "recorded"
            except ConcurrencyConflict:
                continue
        return "conflict"

    async def codes(self, agency: str, unit: str) -> list[str]:
        return [r["code"] for r in await self._pool.fetch(_LIST, agency, unit)]

    async def contact(self, contact_ref: str | None) -> tuple[str | None, bool]:
        """The contact and whether it was erased."""
        if contact_ref is None:
            return None, False
        row = await self._pool.fetchrow(
            "SELECT contact, erased_at FROM complaint_contacts WHERE contact_ref = $1",
            uuid.UUID(contact_ref))
        if row is None:
            return None, False
        return row["contact"], row["erased_at"] is not None

    async def erase_contact(self, contact_ref: str, at: datetime) -> None:
        await self._pool.execute(
            "UPDATE complaint_contacts SET contact = NULL, erased_at = $2"
            " WHERE contact_ref = $1 AND erased_at IS NULL", uuid.UUID(contact_ref), at)

    async def photo(self, code: str) -> StoredPhoto | None:
        row = await self._pool.fetchrow(
            "SELECT sha256, media_type, size, content FROM complaint_photos WHERE code = $1",
            code)
        if row is None:
            return None
        return StoredPhoto(row["sha256"], row["media_type"], row["size"],
                           row["content"] is None, row["content"])

    async def photos(self, codes: list[str]) -> dict[str, StoredPhoto]:
        """The photos of these complaints, without their bytes (for a list)."""
        rows = await self._pool.fetch(
            "SELECT code, sha256, media_type, size, erased_at IS NOT NULL AS erased"
            " FROM complaint_photos WHERE code = ANY($1::text[])", codes)
        return {r["code"]: StoredPhoto(r["sha256"], r["media_type"], r["size"], r["erased"])
                for r in rows}

    async def erase_photo(self, code: str, at: datetime) -> None:
        await self._pool.execute(
            "UPDATE complaint_photos SET content = NULL, erased_at = $2"
            " WHERE code = $1 AND erased_at IS NULL", code, at)

    async def not_started(self, filed_before: datetime, limit: int) -> list[NotStarted]:
        """Unanswered complaints whose workflow is not known to be started, oldest first."""
        return [NotStarted(r["agency"], r["code"], r["deadline"])
                for r in await self._pool.fetch(_NOT_STARTED, filed_before, limit)]

    async def mark_started(self, code: str, at: datetime) -> None:
        await self._pool.execute(
            "UPDATE complaints SET workflow_started_at = $2"
            " WHERE code = $1 AND workflow_started_at IS NULL", code, at)
