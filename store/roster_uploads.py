"""Roster uploads and their background applies, in PostgreSQL (migration
``0092_roster_uploads.sql``): any API process, after any restart, finds an upload by its
id; the worker applies it in batches (:meth:`store.roster.RosterStore.apply_batch`) and
the page reads its progress here.

An upload is kept :data:`UPLOAD_KEEP` after it was sent (or after its apply started);
an apply's record :data:`APPLY_KEEP` after it started. Both are deleted, once expired,
by the next upload.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

__all__ = ["APPLY_KEEP", "UPLOAD_KEEP", "ApplyJob", "RosterUploads", "StoredUpload"]

UPLOAD_KEEP = timedelta(minutes=30)
APPLY_KEEP = timedelta(days=7)
ACTIVE = ("queued", "running", "applied")
"""An apply's statuses before it is over (``done`` or ``refused``)."""


@dataclass(frozen=True)
class StoredUpload:
    """A roster file as sent, with how many of its rows were rejected when checked."""

    upload_id: str
    agency: str
    subject: str
    file_name: str
    sha256: str
    content: bytes
    rejected: int
    uploaded_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class ApplyJob:
    """An upload's apply: its status and progress (``done`` of ``total`` events)."""

    upload_id: str
    agency: str
    subject: str
    valid_only: bool
    status: str
    total: int
    done: int
    base_version: int | None
    version: int | None
    report: dict[str, Any] | None
    error_code: str | None
    error: str | None
    started_at: datetime
    updated_at: datetime

    @property
    def over(self) -> bool:
        return self.status not in ACTIVE


_DELETE_EXPIRED = """
WITH uploads AS (DELETE FROM roster_uploads WHERE expires_at < $1)
DELETE FROM roster_applies WHERE started_at < $2 AND status IN ('done', 'refused')
"""
_INSERT_UPLOAD = """
INSERT INTO roster_uploads (upload_id, agency, subject, file_name, sha256, content,
                            rejected, uploaded_at, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
"""
_UPLOAD = """
SELECT * FROM roster_uploads WHERE upload_id = $1 AND agency = $2 AND expires_at >= $3
"""
_JOB_COLUMNS = """upload_id, agency, subject, valid_only, status, total, done, base_version,
version, report::text AS report, error_code, error, started_at, updated_at"""
_START = """
WITH started AS (
    INSERT INTO roster_applies (upload_id, agency, subject, valid_only, status, started_at,
                                updated_at)
    VALUES ($1, $2, $3, $4, 'queued', $5, $5)
    ON CONFLICT (upload_id) DO NOTHING
    RETURNING upload_id
)
UPDATE roster_uploads SET expires_at = greatest(expires_at, $6)
WHERE upload_id = $1 AND EXISTS (SELECT FROM started)
"""
_JOB = f"SELECT {_JOB_COLUMNS} FROM roster_applies WHERE upload_id = $1"
_JOBS = f"""
SELECT {_JOB_COLUMNS} FROM roster_applies WHERE agency = $1
ORDER BY started_at DESC, upload_id LIMIT $2
"""
_REFUSE = """
UPDATE roster_applies SET status = 'refused', error_code = $2, error = $3,
       report = coalesce($4::jsonb, report), updated_at = $5
WHERE upload_id = $1 AND status IN ('queued', 'running')
"""
_FINISH = """
UPDATE roster_applies SET status = 'done', report = report || $2::jsonb, updated_at = $3
WHERE upload_id = $1 AND status = 'applied'
"""


def _job(row: asyncpg.Record) -> ApplyJob:
    values = dict(row)
    values["report"] = json.loads(row["report"]) if row["report"] is not None else None
    return ApplyJob(**values)


class RosterUploads:
    """Uploads and applies over an asyncpg pool acting as ``kinerja_app``."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def stage(self, upload: StoredUpload) -> None:
        """Keep ``upload``; first delete what has expired."""
        async with self._pool.acquire() as connection, connection.transaction():
            await connection.execute(_DELETE_EXPIRED, upload.uploaded_at,
                                     upload.uploaded_at - APPLY_KEEP)
            await connection.execute(
                _INSERT_UPLOAD, upload.upload_id, upload.agency, upload.subject,
                upload.file_name, upload.sha256, upload.content, upload.rejected,
                upload.uploaded_at, upload.expires_at)

    async def upload(self, upload_id: str, agency: str, now: datetime) -> StoredUpload | None:
        """The agency's upload ``upload_id`` unless it expired."""
        row = await self._pool.fetchrow(_UPLOAD, upload_id, agency, now)
        return StoredUpload(**dict(row)) if row is not None else None

    async def start(self, upload_id: str, agency: str, subject: str, *, valid_only: bool,
                    now: datetime) -> ApplyJob:
        """The upload's apply, queued now unless one was already (a second press of the
        button finds the first); the upload is kept :data:`UPLOAD_KEEP` from now."""
        async with self._pool.acquire() as connection, connection.transaction():
            await connection.execute(_START, upload_id, agency, subject, valid_only, now,
                                     now + UPLOAD_KEEP)
            row = await connection.fetchrow(_JOB, upload_id)
        assert row is not None
        return _job(row)

    async def job(self, upload_id: str) -> ApplyJob | None:
        row = await self._pool.fetchrow(_JOB, upload_id)
        return _job(row) if row is not None else None

    async def jobs(self, agency: str, limit: int = 5) -> list[ApplyJob]:
        """The agency's latest applies, newest first."""
        return [_job(r) for r in await self._pool.fetch(_JOBS, agency, limit)]

    async def forget(self, upload_id: str) -> None:
        """Drop an apply still queued (its workflow could not be started): the upload's
        page offers the apply again."""
        await self._pool.execute(
            "DELETE FROM roster_applies WHERE upload_id = $1 AND status = 'queued'", upload_id)

    async def refuse(self, upload_id: str, code: str, message: str, now: datetime,
                     report: dict[str, Any] | None = None) -> None:
        """End an apply that has not finished with a refusal (nothing more is applied)."""
        await self._pool.execute(_REFUSE, upload_id, code, message,
                                 json.dumps(report) if report is not None else None, now)

    async def finish(self, upload_id: str, report: dict[str, Any], now: datetime) -> None:
        """An applied upload whose running cycles were asked to follow: done."""
        await self._pool.execute(_FINISH, upload_id, json.dumps(report), now)
