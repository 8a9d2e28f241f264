"""Evidence files in PostgreSQL (migration 0066): the bytes once per SHA-256
(``evidence_files``), and which appraisal each was uploaded to (``evidence_uploads``).

Why PostgreSQL and not a directory: every API process (there may be several, on
several machines) reads the same database, the bytes are in its backup and restore
(``pg_dump``) with the events that refer to them, and a file and its upload row are
written in one transaction. The price is a bytea of at most the evidence limit (10 MiB
by default) per file; PostgreSQL stores it compressed and out of line (TOAST).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import asyncpg


@dataclass(frozen=True)
class StoredFile:
    """One file as uploaded to one appraisal."""

    appraisal_id: str
    sha256: str
    size: int
    media_type: str
    file_name: str
    uploaded_by: str
    uploaded_at: datetime


_PUT_FILE = """
INSERT INTO evidence_files (sha256, size, media_type, content) VALUES ($1, $2, $3, $4)
ON CONFLICT (sha256) DO NOTHING
"""

_PUT_UPLOAD = """
INSERT INTO evidence_uploads (appraisal_id, sha256, file_name, uploaded_by)
VALUES ($1, $2, $3, $4)
ON CONFLICT (appraisal_id, sha256) DO NOTHING
"""

_UPLOAD = """
SELECT u.appraisal_id, u.sha256, f.size, f.media_type, u.file_name, u.uploaded_by,
       u.uploaded_at
FROM evidence_uploads u JOIN evidence_files f USING (sha256)
WHERE u.appraisal_id = $1 AND u.sha256 = $2
"""


class EvidenceStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def put(self, appraisal_id: str, sha256: str, media_type: str, content: bytes,
                  file_name: str, uploaded_by: str) -> StoredFile:
        """Store ``content`` (unless its digest is stored) and its upload to the appraisal
        (unless it was uploaded there before: the first upload's name stands)."""
        async with self._pool.acquire() as connection, connection.transaction():
            await connection.execute(_PUT_FILE, sha256, len(content), media_type, content)
            await connection.execute(_PUT_UPLOAD, appraisal_id, sha256, file_name,
                                     uploaded_by)
            row = await connection.fetchrow(_UPLOAD, appraisal_id, sha256)
        assert row is not None
        return _stored(row)

    async def upload(self, appraisal_id: str, sha256: str) -> StoredFile | None:
        row = await self._pool.fetchrow(_UPLOAD, appraisal_id, sha256)
        return _stored(row) if row is not None else None

    async def uploaded(self, appraisal_id: str, digests: Iterable[str]) -> set[str]:
        """Which of ``digests`` were uploaded to the appraisal."""
        rows = await self._pool.fetch(
            "SELECT sha256 FROM evidence_uploads WHERE appraisal_id = $1 AND sha256 = ANY($2)",
            appraisal_id, sorted(set(digests)))
        return {row["sha256"] for row in rows}

    async def content(self, sha256: str) -> bytes | None:
        value: bytes | None = await self._pool.fetchval(
            "SELECT content FROM evidence_files WHERE sha256 = $1", sha256)
        return value


def _stored(row: asyncpg.Record) -> StoredFile:
    return StoredFile(appraisal_id=row["appraisal_id"], sha256=row["sha256"], size=row["size"],
                      media_type=row["media_type"], file_name=row["file_name"],
                      uploaded_by=row["uploaded_by"], uploaded_at=row["uploaded_at"])
