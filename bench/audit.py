"""Benchmark of the audit side: sealing, online and offline verification, proofs, replay.

    .venv/bin/python -m bench.audit [--events N] [--append-seconds S] [--samples K]
        [--json FILE]

Starts an embedded PostgreSQL with its DEFAULT durability in a temporary
directory, unless KINERJA_DATABASE_URL names a server (a superuser's DSN; a
scratch database is created and dropped). Loads ``--events`` valid chained
events (default 1,000,000) by COPY: appraisal streams of 20 events each, a
real domain trail (opened, targets drafted, submitted, approved, then daily
activities), so that every stream replays through ``domain.evolve``.

Figures (target in brackets; baseline measured in the same run):

- sealing: the whole backlog sealed (batches of 10,000) WHILE 16 writers
  append 10-event batches with EventLog as fast as they can; baseline: the
  append rate those writers reach alone just before (the sealer must keep up
  with the peak append rate: ratio >= 1);
- online verification (``Auditor.verify_all``: chains, seals, tree,
  checkpoints) [>= 150,000 events/s]; baseline: the chains alone
  (``EventLog.verify_all``);
- offline bundle verification (``kinerja verify``'s ``verify_bundle_file`` of an
  export of every appraisal stream, replaying each, in worker processes)
  [>= 100,000 events/s]; baseline: the same file's lines split, parsed and
  their chains recomputed in Python (nothing else), and the check without
  replay; the same per CPU second of every process (the workers too), which a
  loaded machine moves less than the wall time; the bundle's size per event
  against the canonical bytes;
- inclusion proof p99 (an event's seal, the proof from stored nodes, one
  connection, 2,000 random events) [< 20 ms]; baseline: p99 of reading the
  event alone;
- one appraisal's state replayed (read its 20 events, fold) p99 [< 5 ms];
  baseline: p99 of reading them alone.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from bench.harness import (
    Figure,
    data_directory,
    describe_postgres,
    machine,
    percentile,
    print_figures,
    scratch_database,
    server_settings,
    write_json,
)
from bench.harness.builders import APPRAISER, EMPLOYEE, HR, Run, open_command, sample_skp
from domain.appraisal import (
    ApproveTargets,
    DraftTargets,
    LogActivity,
    SubmitTargets,
    event_data,
)
from domain.checkpoint import generate_private_key, key_id, public_key_bytes
from domain.integrity import GENESIS_HASH, canonical_event, chain_hash, event_id
from domain.replay import TrailEntry, replay
from domain.skp import DailyActivity
from kinerja.audit import verify_bundle_file
from store import tree
from store.audit import Auditor
from store.database import create_pool
from store.event_log import EventLog, NewEvent
from store.sealer import Sealer

STREAM_LENGTH = 20
LOAD_TRANSACTION = 20_000
"""Events per loading transaction (so the log holds many transaction ids)."""


# --------------------------------------------------------------------------- #
# A real trail, as the domain produces it


def template_trail() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(type, data, metadata) of a 20-event appraisal trail made by domain.decide."""
    run = Run()
    run.do(open_command(), HR)
    run.do(DraftTargets(skp=sample_skp()), EMPLOYEE)
    run.do(SubmitTargets(), EMPLOYEE)
    run.do(ApproveTargets(), APPRAISER)
    rhk = sample_skp().rhk[0].id
    while len(run.events) < STREAM_LENGTH:
        day = (run.now + timedelta(days=1)).date()
        run.do(LogActivity(activity=DailyActivity(
            day=day, rhk_id=rhk, description="Melayani permohonan informasi publik",
            minutes=90)), EMPLOYEE, advance=timedelta(days=1))
    trail = []
    for index, event in enumerate(run.events[:STREAM_LENGTH]):
        actor = "hr-1" if index == 0 else "boss-1" if index == 3 else "emp-1"
        trail.append((event.type, event_data(event), {
            "actor": actor, "roles": ["employee"], "request_id": f"req-{index}",
            "workflow_id": "appraisal-bench", "run_id": "5f0c2a7e-9b1d-4c3e-8a6f-2d4b7e9c1a30"}))
    return trail


def stream_rows(stream: str, trail: list[tuple[str, dict[str, Any], dict[str, Any]]],
                moment: datetime) -> list[tuple[Any, ...]]:
    prev = GENESIS_HASH
    rows = []
    for version, (type_, data, metadata) in enumerate(trail, start=1):
        identifier = event_id(stream, version)
        at = moment + timedelta(seconds=version)
        canonical = canonical_event(event_id=identifier, stream_id=stream, version=version,
                                    type=type_, schema_version=1, data=data, metadata=metadata,
                                    recorded_at=at)
        hash_ = chain_hash(prev, canonical)
        rows.append((identifier, stream, version, type_, at, canonical, prev, hash_))
        prev = hash_
    return rows


async def load(admin: asyncpg.Connection, events: int) -> int:
    trail = template_trail()
    streams = -(-events // STREAM_LENGTH)
    moment = datetime(2026, 2, 1, tzinfo=UTC)
    per_transaction = max(1, LOAD_TRANSACTION // STREAM_LENGTH)
    for first in range(0, streams, per_transaction):
        rows: list[tuple[Any, ...]] = []
        for s in range(first, min(streams, first + per_transaction)):
            rows += stream_rows(f"appraisal-bench-{s:07d}", trail, moment)
        async with admin.transaction():
            await admin.copy_records_to_table(
                "events", records=rows,
                columns=("event_id", "stream_id", "version", "type", "recorded_at",
                         "canonical", "prev_hash", "hash"))
    return streams


# --------------------------------------------------------------------------- #
# Workloads


async def append_peak(log: EventLog, tag: str, writers: int, seconds: float,
                      stop: asyncio.Event | None = None) -> tuple[int, float]:
    """16 writers appending 10-event batches for ``seconds`` (or until ``stop``)."""
    started = time.perf_counter()
    counts = [0] * writers

    async def writer(w: int) -> None:
        stream, version = 0, 0
        while time.perf_counter() - started < seconds and not (stop and stop.is_set()):
            if version + 10 > STREAM_LENGTH:
                stream, version = stream + 1, 0
            await log.append(f"{tag}-{w}-{stream}", version,
                             [NewEvent("Noted", {"n": version + i}) for i in range(10)])
            version += 10
            counts[w] += 10

    await asyncio.gather(*(writer(w) for w in range(writers)))
    return sum(counts), time.perf_counter() - started


def python_chain_check(path: Path) -> int:
    """Baseline of offline verification: split each event line, parse its members and its
    canonical JSON, and recompute its chain hash (nothing else)."""
    count = 0
    stream, prev = None, GENESIS_HASH
    with path.open("rb") as file:
        for line in file:
            if not line.startswith(b'{"kind":"event",'):
                continue
            cut = line.find(b',"event":')
            members = json.loads(line[:cut] + b"}")
            canonical = line[cut + 9:len(line.rstrip()) - 1]
            content = json.loads(canonical)
            if content["stream_id"] != stream:
                stream, prev = content["stream_id"], GENESIS_HASH
            prev = hashlib.sha256(prev + canonical).digest()
            if prev.hex() != members["hash"]:
                raise SystemExit("baseline: a hash differs")
            count += 1
    return count


def cpu_seconds() -> float:
    """CPU seconds of this process and of its children already waited for: the replays'
    worker processes count once their pool has shut down (verify_bundle_file returns)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def figure(name: str, value: float, unit: str, baseline: float | None, target: str,
           baseline_name: str) -> Figure:
    return Figure(name, value, unit, baseline,
                  extra={"target": target, "baseline is": baseline_name})


def say(message: str) -> None:
    print("  " + message, file=sys.stderr, flush=True)


async def run(args: argparse.Namespace) -> list[Figure]:
    rows: list[Figure] = []
    async with scratch_database() as dsn, data_directory("kinerja-bench-audit-") as workdir:
        admin = await asyncpg.connect(dsn)
        settings = await server_settings(admin)
        started = time.perf_counter()
        streams = await load(admin, args.events)
        await admin.execute("VACUUM ANALYZE events")
        total = await admin.fetchval("SELECT count(*) FROM events")
        average = await admin.fetchval("SELECT avg(octet_length(canonical))::int FROM events")
        say(f"loaded {total:,} events in {streams:,} streams ({average} canonical bytes on"
            f" average) in {time.perf_counter() - started:.1f}s")

        key = generate_private_key()
        public = public_key_bytes(key)
        pool = await create_pool(dsn, min_size=16, max_size=16)
        log = EventLog(pool)
        try:
            # Peak append rate alone, then the sealer on the whole backlog beside it.
            await append_peak(log, "warm", 16, 2.0)
            appended, seconds = await append_peak(log, "alone", 16, args.append_seconds)
            append_rate = appended / seconds
            say(f"appends alone: {append_rate:,.0f} events/s")
            backlog = await admin.fetchval("SELECT count(*) FROM events")
            sealer = Sealer(dsn, signing_key=key, batch_size=10_000,
                            checkpoint_log=workdir / "checkpoints.jsonl")
            stop = asyncio.Event()
            async with sealer.connected():
                writers = asyncio.create_task(append_peak(log, "beside", 16, 1e9, stop))
                seal_started = time.perf_counter()
                sealed = 0
                while sealed < backlog:
                    sealed += await sealer.seal_batch()
                seal_seconds = time.perf_counter() - seal_started
                stop.set()
                beside, beside_seconds = await writers
                await sealer.seal_pending()
                await sealer.checkpoint()
            seal_rate = sealed / seal_seconds
            say(f"sealed {sealed:,} in {seal_seconds:.1f}s: {seal_rate:,.0f}/s while appends"
                f" ran at {beside / beside_seconds:,.0f}/s")
            rows.append(figure("sealing (backlog, beside peak appends)", seal_rate, "events/s",
                               append_rate, "ratio >= 1", "peak append rate (16x10)"))
            rows.append(figure("appends while sealing", beside / beside_seconds, "events/s",
                               append_rate, "", "peak append rate (16x10)"))
            await admin.execute("VACUUM ANALYZE")
            total = await admin.fetchval("SELECT count(*) FROM events")

            # Online verification, against the chains alone.
            auditor = Auditor(pool, public_key=public)
            await auditor.verify_all()  # warm
            chain_times, audit_times = [], []
            for _ in range(2):
                t = time.perf_counter()
                chains = await log.verify_all()
                chain_times.append(time.perf_counter() - t)
                t = time.perf_counter()
                report = await auditor.verify_all()
                audit_times.append(time.perf_counter() - t)
                if not (report.ok and chains.ok):
                    raise SystemExit(f"verification failed: {report.first_failure}")
            online = total / min(audit_times)
            say(f"online verification: {online:,.0f}/s (chains alone "
                f"{total / min(chain_times):,.0f}/s)")
            rows.append(figure("online verification (verify_all)", online, "events/s",
                               total / min(chain_times), ">= 150,000",
                               "chains alone (EventLog.verify_all)"))

            # Offline: export every appraisal stream, verify the file.
            stream_ids = [r["stream_id"] for r in await admin.fetch(
                "SELECT DISTINCT stream_id FROM events WHERE stream_id LIKE 'appraisal-%'"
                " ORDER BY stream_id")]
            bundle = workdir / "bundle.jsonl"
            t = time.perf_counter()
            with bundle.open("wb") as file:
                async for chunk in auditor.export(stream_ids, {"bench": "all"}, public):
                    file.write(chunk)
            export_seconds = time.perf_counter() - t
            size_mb = bundle.stat().st_size / 1e6
            # As `kinerja verify` runs it (kinerja.audit.verify_bundle_file).
            t, cpu = time.perf_counter(), cpu_seconds()
            result, failed = await asyncio.to_thread(verify_bundle_file, bundle)
            offline_seconds = time.perf_counter() - t
            offline_cpu = cpu_seconds() - cpu
            if failed is not None or result.key_id != key_id(public):
                raise SystemExit(f"offline verification failed: {failed}")
            t = time.perf_counter()
            no_replay, _ = await asyncio.to_thread(verify_bundle_file, bundle, replay=False)
            no_replay_seconds = time.perf_counter() - t
            t, cpu = time.perf_counter(), cpu_seconds()
            baseline_count = await asyncio.to_thread(python_chain_check, bundle)
            baseline_seconds = time.perf_counter() - t
            baseline_cpu = cpu_seconds() - cpu
            offline = result.events / offline_seconds
            say(f"export {result.events:,} events ({size_mb:,.0f} MB) in {export_seconds:.1f}s;"
                f" offline verification {offline:,.0f}/s with replay,"
                f" {no_replay.events / no_replay_seconds:,.0f}/s without")
            rows.append(figure("offline bundle verification (with replay)", offline, "events/s",
                               baseline_count / baseline_seconds, ">= 100,000",
                               "parse + SHA-256 chain only"))
            # Per CPU second (every process's): what a shared machine's load does not move.
            rows.append(figure("offline bundle verification (with replay), per CPU second",
                               result.events / offline_cpu, "events/CPU-s",
                               baseline_count / baseline_cpu, "",
                               "parse + SHA-256 chain only, per CPU second"))
            rows.append(figure("offline bundle verification (no replay)",
                               no_replay.events / no_replay_seconds, "events/s",
                               baseline_count / baseline_seconds, "",
                               "parse + SHA-256 chain only"))
            rows.append(figure("export bundle (streamed)", result.events / export_seconds,
                               "events/s", None, "", ""))
            rows.append(figure("bundle size", bundle.stat().st_size / result.events,
                               "bytes/event", average, "", "canonical bytes per event"))

            # Inclusion proofs at the full tree size.
            rng = random.Random(7)
            async with pool.acquire() as connection:
                size = await tree.sealed_size(connection)
                picks = await connection.fetch(
                    "SELECT stream_id, version FROM seals WHERE seq = ANY($1::bigint[])",
                    [rng.randrange(size) for _ in range(args.samples)])
                proof_ms, read_ms = [], []
                for pick in picks:
                    t = time.perf_counter()
                    seal = await tree.seal_of(connection, pick["stream_id"], pick["version"])
                    assert seal is not None
                    await tree.inclusion_proof(connection, seal.seq, size)
                    proof_ms.append((time.perf_counter() - t) * 1000)
                    t = time.perf_counter()
                    await connection.fetchrow(
                        "SELECT canonical, hash FROM events WHERE stream_id = $1"
                        " AND version = $2", pick["stream_id"], pick["version"])
                    read_ms.append((time.perf_counter() - t) * 1000)
            say(f"inclusion proof at size {size:,}: p50 {percentile(proof_ms, 50):.2f} ms,"
                f" p99 {percentile(proof_ms, 99):.2f} ms")
            rows.append(figure("inclusion proof p99", percentile(proof_ms, 99), "ms",
                               percentile(read_ms, 99), "< 20", "read the event alone p99"))

            # Replaying one appraisal.
            replay_ms, plain_ms = [], []
            for stream in rng.sample(stream_ids, min(args.samples, len(stream_ids))):
                t = time.perf_counter()
                events = await log.read_stream(stream)
                state = replay([TrailEntry(e.version, e.type, e.data, e.recorded_at)
                                for e in events])
                replay_ms.append((time.perf_counter() - t) * 1000)
                assert state.version == STREAM_LENGTH
                t = time.perf_counter()
                await log.read_stream(stream)
                plain_ms.append((time.perf_counter() - t) * 1000)
            say(f"replay one appraisal: p50 {percentile(replay_ms, 50):.2f} ms, p99 "
                f"{percentile(replay_ms, 99):.2f} ms")
            rows.append(figure("replay one appraisal (20 events) p99",
                               percentile(replay_ms, 99), "ms", percentile(plain_ms, 99),
                               "< 5", "read its events alone p99"))
        finally:
            await pool.close()
            await admin.close()
    print(f"{describe_postgres(settings)}; {machine()}; {total:,} events, {average} canonical"
          " bytes per event")
    print_figures(rows, extra=["target", "baseline is"])
    return rows


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the table; ``--json FILE`` also writes the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000,
                        help="events loaded before sealing (default 1000000)")
    parser.add_argument("--append-seconds", type=float, default=5.0,
                        help="seconds of the peak-append baseline (default 5)")
    parser.add_argument("--samples", type=int, default=2000,
                        help="proofs and replays sampled for the percentiles (default 2000)")
    parser.add_argument("--json", type=Path, help="write the figures as JSON to this file")
    args = parser.parse_args(argv)
    write_json(args.json, asyncio.run(run(args)))


if __name__ == "__main__":
    main()

