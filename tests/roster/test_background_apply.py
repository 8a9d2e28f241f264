"""Roster uploads kept in PostgreSQL and applied in the background by the worker
(``workflows.roster_apply``), on a real PostgreSQL and a real Temporal: any service
instance finds an upload; an apply survives a worker stopped mid-way and applies each row
once; another import meanwhile stops it; pressing twice starts one apply."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from domain.authorization import Actor, Role
from kinerja.worker import build_worker
from services.errors import Invalid, NotFound, Unavailable
from services.roster import RosterService
from store.event_log import EventLog
from store.roster import ApplyBatch, RosterStore, roster_stream
from store.roster_uploads import RosterUploads, StoredUpload
from tests.polling import poll_async
from workflows.roster_apply.client import RosterApplyClient

from .builders import csv_text, generated_org, row, small_org

AGENCY = "pemkot"
HR = Actor(subject="e-hr01", roles=frozenset({Role.HR}), agencies=frozenset({AGENCY}))
OTHER_HR = Actor(subject="e-hr02", roles=frozenset({Role.HR}), agencies=frozenset({AGENCY}))


def service(pool: asyncpg.Pool, env: WorkflowEnvironment | None, task_queue: str
            ) -> RosterService:
    """What one API process builds (``services.bootstrap``), minus the cycles."""
    applier = RosterApplyClient(env.client, task_queue, batch_size=100) \
        if env is not None else None
    return RosterService(RosterStore(pool, EventLog(pool)), None, RosterUploads(pool), applier)


async def test_an_upload_is_found_by_another_process_and_expires(app_pool: asyncpg.Pool
                                                                  ) -> None:
    first, second = service(app_pool, None, "unused"), service(app_pool, None, "unused")
    staged, report = await first.stage(HR, AGENCY, csv_text(small_org()).encode(), "a.csv")
    assert (report.rows, report.accepted, report.rejected_total) == (4, 4, 0)
    found = await second.staged(HR, AGENCY, staged.id)
    assert found is not None and found.read.rows == staged.read.rows
    assert found.upload.sha256 == staged.upload.sha256
    # Only its uploader, only in its agency.
    assert await second.staged(OTHER_HR, AGENCY, staged.id) is None
    assert await RosterUploads(app_pool).upload(staged.id, "pemkot-lain",
                                                datetime.now(UTC)) is None
    # Expired: not found, and deleted by the next upload.
    uploads = RosterUploads(app_pool)
    old = datetime.now(UTC) - timedelta(hours=1)
    await uploads.stage(StoredUpload(upload_id=uuid.uuid4().hex, agency=AGENCY,
                                     subject=HR.subject, file_name="old.csv", sha256="0" * 64,
                                     content=b"x", rejected=0, uploaded_at=old,
                                     expires_at=old + timedelta(minutes=30)))
    assert await app_pool.fetchval("SELECT count(*) FROM roster_uploads") == 2
    assert await uploads.upload(staged.id, AGENCY, datetime.now(UTC) + timedelta(hours=1)) \
        is None
    await first.stage(HR, AGENCY, csv_text(small_org()).encode(), "b.csv")
    assert await app_pool.fetchval(
        "SELECT array_agg(file_name ORDER BY file_name) FROM roster_uploads") == ["a.csv",
                                                                                  "b.csv"]
    # Nothing was applied by any of this.
    assert await app_pool.fetchval("SELECT count(*) FROM roster_employees") == 0


@asynccontextmanager
async def worker(env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str,
                 hook: object = None) -> AsyncIterator[None]:
    built = build_worker(env.client, pool, task_queue=task_queue,
                         after_roster_batch=hook)  # type: ignore[arg-type]
    async with built:
        yield


async def _applied_keys(pool: asyncpg.Pool) -> list[str]:
    stored = await EventLog(pool).read_stream(roster_stream(AGENCY))
    return [e.data["employee"]["key"] for e in stored if e.type == "employee_hired"]


async def test_an_apply_survives_a_worker_restart_midway_and_applies_each_row_once(
        temporal_dev: WorkflowEnvironment, app_pool: asyncpg.Pool) -> None:
    task_queue = f"roster-{uuid.uuid4().hex[:8]}"
    roster = service(app_pool, temporal_dev, task_queue)
    size = 1200
    staged, report = await roster.stage(HR, AGENCY, csv_text(generated_org(size)).encode(),
                                        "besar.csv")
    assert report.changes.hired == size
    midway = asyncio.Event()

    async def stop_after_two_batches(batch: ApplyBatch) -> None:
        if batch.done >= 2 * 100:
            midway.set()
            await asyncio.Event().wait()  # held here until the worker stops

    uploads = RosterUploads(app_pool)
    async with worker(temporal_dev, app_pool, task_queue, stop_after_two_batches):
        job = await roster.start_apply(HR, AGENCY, staged.id, valid_only=False)
        assert job.status == "queued"
        # A second press (a double click, another process) finds the same apply.
        again = await service(app_pool, temporal_dev, task_queue).start_apply(
            HR, AGENCY, staged.id, valid_only=False)
        assert again.upload_id == job.upload_id
        await asyncio.wait_for(midway.wait(), 60)
    # The worker stopped mid-way: part applied, the progress says how much.
    stopped = await uploads.job(staged.id)
    assert stopped is not None and stopped.status == "running"
    assert stopped.total > size and stopped.done == 200 < stopped.total
    assert len(await _applied_keys(app_pool)) == 200 - 20  # the 20 units came first
    version = await app_pool.fetchval(
        "SELECT version FROM roster_agencies WHERE agency = $1", AGENCY)
    assert version == stopped.version == 200

    async with worker(temporal_dev, app_pool, task_queue):
        async def over() -> bool:
            job = await uploads.job(staged.id)
            return job is not None and job.over

        await poll_async(over, "the apply ends on the second worker", 120, every=0.2)
    done = await uploads.job(staged.id)
    assert done is not None and done.status == "done", done
    assert done.done == done.total == size + 20
    keys = await _applied_keys(app_pool)
    assert len(keys) == len(set(keys)) == size
    versions = [r["version"] for r in await app_pool.fetch(
        "SELECT version FROM events WHERE stream_id = $1 ORDER BY version",
        roster_stream(AGENCY))]
    assert versions == list(range(1, size + 21))
    store = RosterStore(app_pool, EventLog(app_pool))
    assert await store.replay(AGENCY) == await store.current(AGENCY)
    assert len((await store.current(AGENCY)).employees) == size
    assert (await EventLog(app_pool).verify_stream(roster_stream(AGENCY))).ok
    shown = RosterService.apply_report(done)
    assert shown is not None and shown.applied and shown.changes.hired == size
    assert shown.version == size + 20
    # The same file again: a new upload, nothing to apply.
    _, report_again = await roster.stage(
        HR, AGENCY, csv_text(generated_org(size)).encode(), "besar.csv")
    assert report_again.changes.hired == 0


async def test_another_import_meanwhile_stops_the_apply_and_rejected_rows_need_asking(
        temporal_dev: WorkflowEnvironment, app_pool: asyncpg.Pool) -> None:
    task_queue = f"roster-{uuid.uuid4().hex[:8]}"
    roster = service(app_pool, temporal_dev, task_queue)
    store = RosterStore(app_pool, EventLog(app_pool))
    staged, _ = await roster.stage(HR, AGENCY, csv_text(generated_org(300)).encode(),
                                   "a.csv")

    async def import_meanwhile(batch: ApplyBatch) -> None:
        if batch.done == 100:  # a synchronous import (the API, the CLI) in between
            rows = [*small_org()]
            await store.apply(AGENCY, await store.check(AGENCY, rows), HR)

    uploads = RosterUploads(app_pool)
    async with worker(temporal_dev, app_pool, task_queue, import_meanwhile):
        await roster.start_apply(HR, AGENCY, staged.id, valid_only=False)

        async def over() -> bool:
            job = await uploads.job(staged.id)
            return job is not None and job.over

        await poll_async(over, "the apply stops", 60, every=0.2)
        job = await uploads.job(staged.id)
        assert job is not None and (job.status, job.error_code, job.done) == (
            "refused", "roster-conflict", 100)

        # A file with a rejected row: refused unless its valid rows are asked for.
        rows = [*small_org(), row(9, 900, position_kind="direktur")]
        bad, report = await roster.stage(HR, AGENCY, csv_text(rows).encode(), "b.csv")
        assert report.rejected_total == 1
        with pytest.raises(Invalid):
            await roster.start_apply(HR, AGENCY, bad.id, valid_only=False)
        assert await uploads.job(bad.id) is None
        with pytest.raises(NotFound):
            await roster.start_apply(OTHER_HR, AGENCY, bad.id, valid_only=True)
        await roster.start_apply(HR, AGENCY, bad.id, valid_only=True)

        async def bad_over() -> bool:
            job = await uploads.job(bad.id)
            return job is not None and job.over

        await poll_async(bad_over, "the valid rows are applied", 60, every=0.2)
        job = await uploads.job(bad.id)
        assert job is not None and job.status == "done", job
        shown = RosterService.apply_report(job)
        assert shown is not None and shown.rejected_total == 1
        assert sorted((await store.current(AGENCY)).employees) == [
            "e-0001", "e-0002", "e-0003", "e-0004"]


class Unreachable:
    """A Temporal that cannot be reached: starting the apply fails."""

    async def start(self, start: object) -> None:
        raise RPCError("connection refused", RPCStatusCode.UNAVAILABLE, b"")


async def test_an_apply_that_cannot_start_is_not_left_queued(app_pool: asyncpg.Pool) -> None:
    roster = RosterService(RosterStore(app_pool, EventLog(app_pool)), None,
                           RosterUploads(app_pool), Unreachable())  # type: ignore[arg-type]
    staged, _ = await roster.stage(HR, AGENCY, csv_text(small_org()).encode(), "a.csv")
    with pytest.raises(Unavailable):
        await roster.start_apply(HR, AGENCY, staged.id, valid_only=False)
    assert await RosterUploads(app_pool).job(staged.id) is None  # the page offers it again
    assert await roster.staged(HR, AGENCY, staged.id) is not None
    assert await app_pool.fetchval("SELECT count(*) FROM roster_employees") == 0
