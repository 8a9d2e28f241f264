"""Benchmark of document rendering (docs/documents.md) against a trivial Typst document
compiled in the same run.

    .venv/bin/python -m bench.documents [--documents N] [--rounds R] [--json FILE]

Renders the evaluation document of a reviewed and released appraisal (three RHK, seven
behaviour values, identity blocks, QR code with a sealed checkpoint's code), each with
another employee's name so no two are alike, and reports documents per second (median
of the rounds):

- ``evaluasi, 1 core``: one process renders ``--documents`` documents in a row;
  baseline: the same number of compilations of a one-line Typst document;
- ``evaluasi, 2 cores``: two processes (a process pool) render them together;
  baseline: the one-line document through the same pool.

Pure CPU: no database, no Temporal. The target of issue 14: at least 50 documents/s
with both cores.

    .venv/bin/python -m bench.documents --zip N [--json FILE]

instead builds the ZIP of a cycle of N appraisals (their SKP documents, the unit's report
and the summary: N + 2 documents) with the ZIP workflow's own activities (run in
Temporal's activity test environment: no Temporal server; an embedded PostgreSQL, the
appraisals seeded straight into the log) and reports the documents per second and the
process's resident memory: sampled after every batch, its peak against the resident
memory before the build (the baseline). The target of issue 14: memory flat, under
300 MB, for 10,000 documents.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import typst

from bench.harness import Figure, machine, print_figures, timed, write_json
from bench.harness.builders import (
    APPRAISER,
    EMPLOYEE,
    HR,
    PARTIES,
    Run,
    open_command,
    ratings,
    sample_skp,
)
from documents.render import render
from domain.appraisal import (
    ApproveTargets,
    DraftTargets,
    ReleaseResult,
    SubmitReview,
    SubmitSelfAssessment,
    SubmitTargets,
)
from domain.checkpoint import generate_private_key, sign_checkpoint
from domain.documents import (
    DocumentCode,
    DocumentKind,
    Identity,
    Reflected,
    Seal,
    TrailEvent,
    reflected,
)
from domain.skp import SelfAssessment

TRIVIAL = b"#set document(date: none)\n= Dokumen\nSatu baris.\n"


def _document() -> tuple[Reflected, DocumentCode]:
    run = Run()
    run.do(open_command(), HR)
    run.do(DraftTargets(skp=sample_skp()), EMPLOYEE)
    run.do(SubmitTargets(), EMPLOYEE)
    run.do(ApproveTargets(), APPRAISER)
    run.do(SubmitSelfAssessment(assessment=SelfAssessment.model_validate({
        "ratings": [{"rhk_id": f"rhk-{i}", "proposed": "meets"} for i in (1, 2, 3)],
        "narrative": "Tercapai."})), EMPLOYEE, at=run.now + timedelta(days=300))
    run.do(SubmitReview(ratings=ratings()), APPRAISER)
    run.do(ReleaseResult(exception_reason="Di luar siklus.", unit_calibrated=False), HR)
    at = datetime(2027, 1, 20, 3, 0, tzinfo=UTC)
    trail = [TrailEvent(version=i, type=e.type, data=e.model_dump(mode="json"),
                        recorded_at=at + timedelta(minutes=i), hash=bytes([i]) * 32)
             for i, e in enumerate(run.events, start=1)]
    people = {key: Identity(name=f"Pegawai {key}", nip="199205202019032003",
                            position="Pranata Komputer Ahli Pertama",
                            unit="Dinas Komunikasi dan Informatika")
              for key in (PARTIES.employee, PARTIES.appraiser or "", PARTIES.superior or "")}
    document = reflected(DocumentKind.EVALUASI, trail, people)
    checkpoint = sign_checkpoint(generate_private_key(), 123_456, bytes(32), at)
    code = DocumentCode("appraisal-2026-k1", DocumentKind.EVALUASI, document.version,
                        document.hash.hex(), Seal(123_000, checkpoint))
    return document, code


def render_many(first: int, count: int) -> int:
    """Render ``count`` evaluation documents, employee names ``first``...; their bytes."""
    document, code = _document()
    total = 0
    for n in range(first, first + count):
        content = {**document.content,
                   "employee": {**document.content["employee"], "name": f"Siti Rahmawati {n}"}}
        total += len(render(Reflected(document.kind, content, document.version,
                                      document.hash, document.recorded_at,
                                      document.event_type), code))
    return total


def trivial_many(first: int, count: int) -> int:
    total = 0
    for n in range(first, first + count):
        pdf = typst.compile(TRIVIAL + f"{n}\n".encode(), format="pdf",
                            ignore_system_fonts=True)
        assert isinstance(pdf, bytes)
        total += len(pdf)
    return total


def _parallel(pool: ProcessPoolExecutor, work: Callable[[int, int], int], count: int,
              workers: int) -> None:
    share = count // workers
    futures = [pool.submit(work, i * share, share) for i in range(workers)]
    for future in futures:
        future.result()


def run(args: argparse.Namespace) -> list[Figure]:
    n, rounds = args.documents, args.rounds
    render_many(0, 3)  # fonts loaded, caches warm
    trivial_many(0, 3)
    samples: dict[str, list[float]] = {name: [] for name in (
        "evaluasi 1 core", "trivial 1 core", "evaluasi 2 cores", "trivial 2 cores")}
    # spawn, not fork: the Typst compiler's threads do not survive a fork
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        _parallel(pool, render_many, 4, 2)  # warm the workers
        _parallel(pool, trivial_many, 4, 2)
        for _ in range(rounds):
            samples["evaluasi 1 core"].append(n / timed(lambda: render_many(0, n))[1])
            samples["trivial 1 core"].append(n / timed(lambda: trivial_many(0, n))[1])
            samples["evaluasi 2 cores"].append(
                2 * n / timed(lambda: _parallel(pool, render_many, 2 * n, 2))[1])
            samples["trivial 2 cores"].append(
                2 * n / timed(lambda: _parallel(pool, trivial_many, 2 * n, 2))[1])
    median = {name: statistics.median(values) for name, values in samples.items()}
    figures = [
        Figure("evaluasi, 1 core", median["evaluasi 1 core"], "documents/s",
               baseline=median["trivial 1 core"], extra={"baseline is": "one-line Typst doc"}),
        Figure("evaluasi, 2 cores", median["evaluasi 2 cores"], "documents/s",
               baseline=median["trivial 2 cores"],
               extra={"baseline is": "one-line Typst doc, same pool",
                      "target": ">= 50 documents/s"}),
    ]
    print(f"{machine()}; Typst compiler of the typst wheel;"
          f" {n} documents per core per round, {rounds} rounds")
    print_figures(figures, extra=["baseline is", "target"])
    return figures


def _rss_mb() -> float:
    """The process's resident memory now, in MB (Linux: /proc/self/statm)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


async def _zip(documents: int) -> list[Figure]:
    from temporalio.testing import ActivityEnvironment

    from activities.documents import DocumentZipActivities, zip_path
    from bench.harness import scratch_database
    from bench.harness.seed import seed_cycle
    from store.database import create_pool
    from store.document_zips import ZipStore
    from workflows.document_zip.contract import ZipBatch

    appraisals = documents - 2
    async with scratch_database("kinerja-bench-documents-") as dsn:
        pool = await create_pool(dsn, min_size=1, max_size=4)
        try:
            print(f"seeding {appraisals} appraisals ...", flush=True)
            cycle_id, _ = await seed_cycle(pool, "bench-zip", appraisals)
            with tempfile.TemporaryDirectory(prefix="kinerja-bench-zip-") as directory:
                activities = DocumentZipActivities(pool, Path(directory))
                env = ActivityEnvironment()
                job = await ZipStore(pool).create("bench", "bench-zip", cycle_id, None,
                                                  "bench", datetime.now(UTC))
                total = await env.run(activities.plan_document_zip, job.zip_id)
                gc.collect()
                before = _rss_mb()
                samples = [before]
                started = time.perf_counter()
                done = 0
                while done < total:
                    done = (await env.run(activities.write_document_zip,
                                          ZipBatch(zip_id=job.zip_id))).done
                    samples.append(_rss_mb())
                    if done % 500 < 25:
                        print(f"  {done}/{total} items, RSS {samples[-1]:.0f} MB", flush=True)
                size = await env.run(activities.finish_document_zip, job.zip_id)
                seconds = time.perf_counter() - started
                samples.append(_rss_mb())
                on_disk = zip_path(Path(directory), job.zip_id).stat().st_size
                assert on_disk == size
        finally:
            await pool.close()
    tenth = max(1, len(samples) // 10)
    first, last = statistics.median(samples[1:tenth + 1]), statistics.median(samples[-tenth:])
    figures = [
        Figure(f"zip of {documents} documents", documents / seconds, "documents/s",
               extra={"note": f"{size / 1e6:.0f} MB archive, {seconds:.0f} s"}),
        Figure("zip peak RSS", max(samples), "MB", baseline=before,
               extra={"note": "baseline: RSS before the build", "target": "< 300 MB"}),
        Figure("zip RSS, last tenth vs first tenth", last, "MB", baseline=first,
               extra={"note": "flat: ratio near 1", "target": "flat"}),
    ]
    print(f"{machine()}; ZIP of {documents} documents built by the workflow's activities")
    print_figures(figures, extra=["note", "target"])
    return figures


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the table; ``--json FILE`` also writes the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=100,
                        help="documents per core per round (default 100)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, median reported")
    parser.add_argument("--json", type=Path, help="write the figures as JSON to this file")
    parser.add_argument("--zip", type=int, default=0, metavar="N",
                        help="instead: build the ZIP of N documents, peak memory measured")
    args = parser.parse_args(argv)
    if args.zip:
        if args.zip < 3:
            parser.error("--zip needs at least 3 documents")
        write_json(args.json, asyncio.run(_zip(args.zip)))
        return
    write_json(args.json, run(args))


if __name__ == "__main__":
    main()
