"""ZIPs of a cycle's documents (docs/documents.md, *ZIP of a unit or a cycle*): the
archive written entry by entry resumes after a cut-off write; a cycle ZIP of 1,000
documents built by the background workflow survives a worker restart in the middle and
holds each document once (real Temporal, real PostgreSQL, real Typst)."""

from __future__ import annotations

import uuid
import zipfile
from pathlib import Path

import asyncpg
import pytest
from temporalio.testing import WorkflowEnvironment

from bench.harness.seed import UNIT, hr_actor, seed_cycle
from documents import ziparchive
from documents.render import code_in_pdf
from domain.authorization import Actor, Role
from kinerja.worker import running_worker
from services.bootstrap import bootstrap
from services.errors import Forbidden, Invalid, NotFound
from tests.polling import poll_async


def test_an_archive_cut_off_in_the_middle_of_an_entry_resumes_without_it(tmp_path: Path
                                                                         ) -> None:
    path = tmp_path / "a.zip"
    out = ziparchive.open_at(path, 0)
    first = ziparchive.append(out, "a/satu.pdf", b"%PDF-1 satu")
    end = out.tell()
    ziparchive.append(out, "a/dua.pdf", b"%PDF-1 dua yang terpotong")
    out.truncate(end + 17)  # the crash: half of the second entry on disk
    out.close()

    out = ziparchive.open_at(path, end)  # resumed where the recorded entries end
    second = ziparchive.append(out, "a/dua.pdf", b"%PDF-1 dua")
    size = ziparchive.finish(out, [first, second])
    out.close()
    assert path.stat().st_size == size
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == ["a/satu.pdf", "a/dua.pdf"]
        assert archive.read("a/dua.pdf") == b"%PDF-1 dua"


def test_too_many_entries_for_a_plain_zip_are_refused() -> None:
    with pytest.raises(ziparchive.TooLarge):
        ziparchive.check_limits(70_000, 10)


DOCUMENTS = 1000


async def test_a_cycle_zip_of_1000_documents_survives_a_worker_restart(
        temporal_dev: WorkflowEnvironment, app_pool: asyncpg.Pool, tmp_path: Path) -> None:
    agency = f"zip-{uuid.uuid4().hex[:8]}"
    cycle_id, appraisals = await seed_cycle(app_pool, agency, DOCUMENTS - 2)
    queue = f"test-zip-{agency}"
    kinerja = bootstrap(app_pool, temporal_dev.client, queue, document_zip_dir=tmp_path)
    service = kinerja.documents
    hr = hr_actor(agency)

    async with running_worker(temporal_dev.client, app_pool, task_queue=queue,
                              zip_dir=tmp_path):
        job = await service.start_zip(hr, cycle_id, None, "zip-1")
        again = await service.start_zip(hr, cycle_id, None, "zip-1")  # a double click
        assert again.zip_id == job.zip_id

        async def some_written() -> bool:
            current = await service.zip_job(hr, cycle_id, job.zip_id)
            return current.done >= 150

        await poll_async(some_written, "150 items written", 120, every=0.2)
    # the worker is gone in the middle of the build
    middle = await service.zip_job(hr, cycle_id, job.zip_id)
    assert middle.status == "building" and middle.total == DOCUMENTS
    assert middle.done < DOCUMENTS
    with pytest.raises(Invalid, match="the ZIP is building"):
        await service.zip_file(hr, cycle_id, job.zip_id)

    async with running_worker(temporal_dev.client, app_pool, task_queue=queue,
                              zip_dir=tmp_path):
        async def finished() -> bool:
            return (await service.zip_job(hr, cycle_id, job.zip_id)).status == "done"

        await poll_async(finished, "the ZIP built", 240, every=0.5)

    done, path = await service.zip_file(hr, cycle_id, job.zip_id)
    assert done.done == done.total == DOCUMENTS and done.documents == DOCUMENTS
    assert path.stat().st_size == done.size
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        assert len(names) == len(set(names)) == DOCUMENTS
        assert set(names) == {f"ringkasan-siklus-{cycle_id}.pdf", f"laporan-unit-{UNIT}.pdf",
                              *(f"{UNIT}/skp-{a}.pdf" for a in appraisals)}
        assert archive.testzip() is None  # every entry's CRC holds
        for name in (names[0], names[1], names[500], names[-1]):
            assert archive.read(name).startswith(b"%PDF-")
        first = archive.read(f"{UNIT}/skp-{appraisals[0]}.pdf")
        report = archive.read(f"laporan-unit-{UNIT}.pdf")
        summary = archive.read(f"ringkasan-siklus-{cycle_id}.pdf")
    code = code_in_pdf(first)
    assert code is not None and f"~{appraisals[0]}~skp~4~" in code
    assert (await service.check_code(code)).verdict.status == "match"
    for pdf, kind in ((report, "laporan-unit"), (summary, "ringkasan-siklus")):
        code = code_in_pdf(pdf)
        assert code is not None and f"~cycle-{cycle_id}~{kind}~4~" in code
        assert (await service.check_code(code)).verdict.status == "match", kind


async def test_only_hr_of_the_agency_builds_and_reads_a_zip(
        temporal_dev: WorkflowEnvironment, app_pool: asyncpg.Pool, tmp_path: Path) -> None:
    agency = f"zip-{uuid.uuid4().hex[:8]}"
    cycle_id, _ = await seed_cycle(app_pool, agency, 2)
    kinerja = bootstrap(app_pool, temporal_dev.client, f"test-zip-{agency}",
                        document_zip_dir=tmp_path)
    other = Actor(subject="hr-9", roles=frozenset({Role.HR}), agencies=frozenset({"other"}))
    inspector = Actor(subject="insp", roles=frozenset({Role.INSPECTOR}),
                      agencies=frozenset({agency}))
    with pytest.raises(NotFound):
        await kinerja.documents.start_zip(other, cycle_id, None)
    with pytest.raises(Forbidden):
        await kinerja.documents.start_zip(inspector, cycle_id, None)
    with pytest.raises(NotFound):
        await kinerja.documents.start_zip(hr_actor(agency), cycle_id, "no-such-unit")
    with pytest.raises(NotFound):
        await kinerja.documents.zip_job(hr_actor(agency), cycle_id, "nothing")


async def test_a_second_writer_of_the_same_zip_is_refused_while_the_first_writes(
        app_pool: asyncpg.Pool, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from temporalio.testing import ActivityEnvironment

    from activities.documents import DocumentZipActivities
    from store.document_zips import ZipStore
    from workflows.document_zip.contract import ZipBatch

    agency = f"zip-{uuid.uuid4().hex[:8]}"
    cycle_id, _ = await seed_cycle(app_pool, agency, 2)
    job = await ZipStore(app_pool).create("z-" + agency, agency, cycle_id, None, "hr",
                                          datetime.now(UTC))
    activities = DocumentZipActivities(app_pool, tmp_path)
    env = ActivityEnvironment()
    assert await env.run(activities.plan_document_zip, job.zip_id) == 4
    async with app_pool.acquire() as zombie:  # an earlier attempt, still writing
        await zombie.execute("SELECT pg_advisory_lock(hashtext($1))",
                             f"document-zip:{job.zip_id}")
        with pytest.raises(RuntimeError, match="another attempt"):
            await env.run(activities.write_document_zip, ZipBatch(zip_id=job.zip_id))
        await zombie.execute("SELECT pg_advisory_unlock(hashtext($1))",
                             f"document-zip:{job.zip_id}")
    progress = await env.run(activities.write_document_zip, ZipBatch(zip_id=job.zip_id))
    assert (progress.done, progress.total) == (4, 4)
    size = await env.run(activities.finish_document_zip, job.zip_id)
    with zipfile.ZipFile(tmp_path / f"{job.zip_id}.zip") as archive:
        assert len(archive.namelist()) == 4 and archive.testzip() is None
    assert (tmp_path / f"{job.zip_id}.zip").stat().st_size == size
