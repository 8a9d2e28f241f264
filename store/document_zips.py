"""ZIPs of documents built in the background (migration 0090): the request, its planned
items (a report, an appraisal), and per item written where the archive ends and its
entries; progress is the count of items written."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg


@dataclass(frozen=True)
class ZipJob:
    zip_id: str
    agency: str
    cycle_id: str
    unit: str | None
    requested_by: str
    requested_at: datetime
    status: str
    total: int | None
    done: int
    documents: int
    size: int | None
    finished_at: datetime | None
    error: str | None


@dataclass(frozen=True)
class ZipItem:
    seq: int
    subject: str


_COLUMNS = ("zip_id, agency, cycle_id, unit, requested_by, requested_at, status, total, done,"
            " documents, size, finished_at, error")


def _job(row: asyncpg.Record) -> ZipJob:
    return ZipJob(**dict(row))


class ZipStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def create(self, zip_id: str, agency: str, cycle_id: str, unit: str | None,
                     requested_by: str, requested_at: datetime) -> ZipJob:
        """The request, once: a repeated ``zip_id`` returns the first."""
        await self._pool.execute(
            "INSERT INTO document_zips (zip_id, agency, cycle_id, unit, requested_by,"
            " requested_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (zip_id) DO NOTHING",
            zip_id, agency, cycle_id, unit, requested_by, requested_at)
        job = await self.get(zip_id)
        assert job is not None
        return job

    async def get(self, zip_id: str) -> ZipJob | None:
        row = await self._pool.fetchrow(
            f"SELECT {_COLUMNS} FROM document_zips WHERE zip_id = $1", zip_id)
        return _job(row) if row is not None else None

    async def of_cycle(self, cycle_id: str, limit: int = 20) -> list[ZipJob]:
        rows = await self._pool.fetch(
            f"SELECT {_COLUMNS} FROM document_zips WHERE cycle_id = $1"
            " ORDER BY requested_at DESC, zip_id LIMIT $2", cycle_id, limit)
        return [_job(r) for r in rows]

    async def plan(self, zip_id: str, subjects: Sequence[str]) -> int:
        """Record the items once (a second plan keeps the first); their count."""
        async with self._pool.acquire() as connection, connection.transaction():
            total = await connection.fetchval(
                "SELECT total FROM document_zips WHERE zip_id = $1 FOR UPDATE", zip_id)
            if total is None:
                await connection.copy_records_to_table(
                    "document_zip_items", columns=["zip_id", "seq", "subject"],
                    records=[(zip_id, seq, s) for seq, s in enumerate(subjects)])
                total = len(subjects)
                await connection.execute(
                    "UPDATE document_zips SET total = $2, status = 'building'"
                    " WHERE zip_id = $1", zip_id, total)
        return int(total)

    async def resume_point(self, zip_id: str) -> int:
        """Where the archive ends after the items written so far (0: nothing yet)."""
        end = await self._pool.fetchval(
            "SELECT max(end_offset) FROM document_zip_items WHERE zip_id = $1", zip_id)
        return int(end or 0)

    async def pending(self, zip_id: str, limit: int) -> list[ZipItem]:
        rows = await self._pool.fetch(
            "SELECT seq, subject FROM document_zip_items WHERE zip_id = $1"
            " AND end_offset IS NULL ORDER BY seq LIMIT $2", zip_id, limit)
        return [ZipItem(r["seq"], r["subject"]) for r in rows]

    async def written(self, zip_id: str, seq: int, end_offset: int,
                      entries: list[dict[str, Any]]) -> tuple[int, int]:
        """Record item ``seq`` written (the archive ends at ``end_offset``); (done, total)."""
        async with self._pool.acquire() as connection, connection.transaction():
            await connection.execute(
                "UPDATE document_zip_items SET end_offset = $3, entries = $4::jsonb"
                " WHERE zip_id = $1 AND seq = $2", zip_id, seq, end_offset,
                json.dumps(entries))
            row = await connection.fetchrow(
                "UPDATE document_zips SET done = done + 1, documents = documents + $2"
                " WHERE zip_id = $1 RETURNING done, total", zip_id, len(entries))
        return int(row["done"]), int(row["total"])

    async def entries(self, zip_id: str) -> AsyncIterator[dict[str, Any]]:
        """Every recorded entry in the archive's order (read in pages, not all at once)."""
        after = -1
        while True:
            rows = await self._pool.fetch(
                "SELECT seq, entries::text FROM document_zip_items WHERE zip_id = $1"
                " AND seq > $2 AND end_offset IS NOT NULL ORDER BY seq LIMIT 500",
                zip_id, after)
            if not rows:
                return
            for row in rows:
                for entry in json.loads(row[1]):
                    yield entry
            after = rows[-1]["seq"]

    async def finished(self, zip_id: str, size: int, at: datetime) -> None:
        await self._pool.execute(
            "UPDATE document_zips SET status = 'done', size = $2, finished_at = $3"
            " WHERE zip_id = $1", zip_id, size, at)

    async def failed(self, zip_id: str, error: str, at: datetime) -> None:
        await self._pool.execute(
            "UPDATE document_zips SET status = 'failed', error = $2, finished_at = $3"
            " WHERE zip_id = $1", zip_id, error[:500], at)
