"""What ``DocumentZipWorkflow`` does to the world: plan a ZIP's items, write the next
ones into the archive on disk (each PDF rendered, appended and forgotten), finish it with
its central directory. Each written item is recorded with where the archive ends after
it, in the same step as its entries, so a batch retried after a crash cuts the file back
to the last recorded item and writes each document once (docs/documents.md)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from temporalio import activity

from documents import ziparchive
from documents.render import render
from domain.documents import DocumentCode, DocumentKind, Reflected, ReportKind, Seal
from domain.documents import Unavailable as NoDocument
from domain.documents import reflected as reflected_document
from domain.reports import cycle_stream, report, reported_units
from store.cycles import CycleStore
from store.document_zips import ZipItem, ZipJob, ZipStore
from store.documents import covering_seal, party_keys, people, trail_of, unit_names
from store.event_log import EventLog
from workflows.document_zip.contract import ZipBatch, ZipProgress

SUMMARY = "ringkasan"
UNIT_PREFIX = "unit:"


def zip_path(directory: Path, zip_id: str) -> Path:
    return directory / f"{zip_id}.zip"


class DocumentZipActivities:
    def __init__(self, pool: asyncpg.Pool, directory: Path) -> None:
        self._pool = pool
        self._log = EventLog(pool)
        self._zips = ZipStore(pool)
        self._directory = directory

    @activity.defn
    async def plan_document_zip(self, zip_id: str) -> int:
        """The items, once: the cycle's summary and each released unit's report (for a
        whole cycle), or the unit's report, then each appraisal in id order."""
        job = await self._zips.get(zip_id)
        assert job is not None
        if job.total is not None:
            return job.total
        trail = trail_of(await self._log.read_stream(cycle_stream(job.cycle_id)))
        released = reported_units(trail)
        subjects = [] if job.unit is not None else [SUMMARY]
        subjects += [UNIT_PREFIX + u for u in released if job.unit in (None, u)]
        subjects += [a.appraisal_id for a in
                     await CycleStore(self._pool).appraisals(job.cycle_id, unit=job.unit)]
        return await self._zips.plan(zip_id, subjects)

    @activity.defn
    async def write_document_zip(self, batch: ZipBatch) -> ZipProgress:
        """Write up to ``batch.items`` of the pending items; the progress after them."""
        async with self._writer(batch.zip_id):
            job = await self._zips.get(batch.zip_id)
            assert job is not None and job.total is not None
            items = await self._zips.pending(batch.zip_id, batch.items)
            if not items:
                return ZipProgress(done=job.done, total=job.total)
            return await self._write(job, items)

    @asynccontextmanager
    async def _writer(self, zip_id: str) -> AsyncIterator[None]:
        """One writer of an archive at a time: an attempt still running on a worker that
        lost its heartbeat keeps the lock (its connection) until it stops; a new attempt
        meanwhile fails and is retried."""
        async with self._pool.acquire() as connection:
            key = f"document-zip:{zip_id}"
            if not await connection.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", key):
                raise RuntimeError(f"another attempt is writing the ZIP {zip_id}")
            try:
                yield
            finally:
                await connection.execute("SELECT pg_advisory_unlock(hashtext($1))", key)

    async def _write(self, job: ZipJob, items: list[ZipItem]) -> ZipProgress:
        assert job.total is not None
        done = job.done
        names = await unit_names(self._pool, job.agency)
        offset = 7
        state = await CycleStore(self._pool).state(job.cycle_id)
        if state is not None and state.calendar is not None:
            offset = state.calendar.utc_offset_hours
        end = await self._zips.resume_point(job.zip_id)
        out = await asyncio.to_thread(ziparchive.open_at,
                                      zip_path(self._directory, job.zip_id), end)
        try:
            for item in items:
                entries = []
                async for name, pdf in self._documents(job.cycle_id, item.subject, names,
                                                       offset):
                    entries.append(ziparchive.append(out, name, pdf).as_json())
                await asyncio.to_thread(ziparchive.sync, out)
                done, _ = await self._zips.written(job.zip_id, item.seq, out.tell(), entries)
                activity.heartbeat(done)
        finally:
            out.close()
        return ZipProgress(done=done, total=job.total)

    @activity.defn
    async def finish_document_zip(self, zip_id: str) -> int:
        """Write the central directory after the last item; the archive's size."""
        job = await self._zips.get(zip_id)
        assert job is not None
        if job.status == "done" and job.size is not None:
            return job.size
        async with self._writer(zip_id):
            end = await self._zips.resume_point(zip_id)
            out = await asyncio.to_thread(ziparchive.open_at, zip_path(self._directory, zip_id),
                                          end)
            try:
                entries = [ziparchive.Entry.of(e) async for e in self._zips.entries(zip_id)]
                size = await asyncio.to_thread(ziparchive.finish, out, entries)
            finally:
                out.close()
            await self._zips.finished(zip_id, size, datetime.now(UTC))
        return size

    @activity.defn
    async def fail_document_zip(self, zip_id: str) -> None:
        await self._zips.failed(zip_id, "the archive could not be built", datetime.now(UTC))

    async def _documents(self, cycle_id: str, subject: str, names: dict[str, str],
                         utc_offset: int) -> AsyncIterator[tuple[str, bytes]]:
        """(name in the archive, PDF) of each document of ``subject`` that exists now."""
        if subject == SUMMARY or subject.startswith(UNIT_PREFIX):
            stream = cycle_stream(cycle_id)
            trail = trail_of(await self._log.read_stream(stream))
            unit = subject[len(UNIT_PREFIX):] if subject != SUMMARY else None
            kind = ReportKind.UNIT if unit is not None else ReportKind.SUMMARY
            try:
                document = report(kind, trail, names, unit=unit)
            except NoDocument:
                return
            name = f"{kind.value}-{unit}.pdf" if unit else f"{kind.value}-{cycle_id}.pdf"
            yield name, await self._render(stream, document, utc_offset)
            return
        events = await self._log.read_stream(subject)
        if not events:
            return
        parties = events[0].data.get("parties") or {}
        agency, unit = str(parties.get("agency", "")), str(parties.get("unit", ""))
        known = await people(self._pool, agency, party_keys(events))
        trail = trail_of(events)
        for doc_kind in DocumentKind:
            try:
                document = reflected_document(doc_kind, trail, known)
            except NoDocument:
                continue
            yield (f"{unit}/{doc_kind.value}-{subject}.pdf",
                   await self._render(subject, document, utc_offset))

    async def _render(self, stream: str, document: Reflected, utc_offset: int) -> bytes:
        covered = await covering_seal(self._pool, stream, document.version)
        code = DocumentCode(stream, document.kind, document.version, document.hash.hex(),
                            Seal(*covered) if covered else None)
        return await asyncio.to_thread(render, document, code, utc_offset_hours=utc_offset)
