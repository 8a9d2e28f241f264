"""Benchmark of the event log against two baselines on the same server, in the same run.

    .venv/bin/python -m bench.event_log [--events N] [--append-scale F] [--json FILE]

Starts an embedded PostgreSQL with its DEFAULT durability (fsync and
synchronous commit on) in a temporary directory, unless KINERJA_DATABASE_URL
names a server (a superuser's DSN; a scratch database is created and dropped).

Figures, in events per second:

- appends of one event from 1 writer and from 16 concurrent writers, and of
  ten events per append from 16 writers (each writer appends to its own
  streams, 20 events per stream, like an appraisal); three rounds with the
  systems taking turns, the median round reported;
- reading everything in commit order (``read_all`` pages of 1,000);
- verifying everything (``verify_all``) on at least ``--events`` events;
  reads and verification: a warm-up round, then the median of three.

Baselines:

- raw: asyncpg INSERTs of the same rows into a plain table of the same shape
  (``LIKE events INCLUDING ALL``: same columns and indexes, no trigger, no
  function), one autocommitted statement per append; for reads, keyset pages
  of that table with no decoding; for verification, the same rows read in
  stream order and checked in Python (hashlib, json);
- eventsourcing: the ``eventsourcing`` library's PostgresApplicationRecorder
  (psycopg 3), from as many threads as writers; for reads and verification,
  ``select_notifications`` pages (the library has no integrity check, so the
  verification baseline only reads).

Every system builds the same canonical event bytes in Python inside its timed
loop (``domain.integrity.canonical_event``), so the ratios compare what the
database side costs.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import asyncpg

from bench.harness import (
    Figure,
    Timing,
    describe_postgres,
    machine,
    print_table,
    scratch_database,
    server_settings,
    write_json,
)
from domain.integrity import (
    GENESIS_HASH,
    canonical_event,
    chain_hash,
    event_id,
    format_timestamp,
)
from store.database import create_pool
from store.event_log import EventLog, NewEvent

STREAM_LENGTH = 20
"""Events per stream: about one appraisal's worth."""

ROUNDS = 3
"""Rounds of each append workload; the median round is reported."""

NIP = "199001012015031001"


# --------------------------------------------------------------------------- #
# The events: a mix shaped like an appraisal's


def make_event(version: int, writer: int) -> NewEvent:
    """The event at ``version`` (1-based) of a stream: a mix of small and larger events."""
    at = "2025-03-01T08:00:00.000000Z"
    metadata = {
        "actor": NIP,
        "role": "employee" if version % 3 else "appraiser",
        "request_id": f"{writer:08x}-0000-4000-8000-{version:012x}",
        "workflow_id": f"appraisal-2025-{writer:04d}",
        "run_id": "5f0c2a7e-9b1d-4c3e-8a6f-2d4b7e9c1a30",
    }
    kind = version % 5
    if version == 1:
        return NewEvent("AppraisalOpened", {
            "at": at, "cycle_id": "kemenpan-2025", "position_kind": "fungsional",
            "parties": {"employee": NIP, "appraiser": "198501012010011002",
                        "superior": "197901012005011003", "agency": "kemenpan", "unit": "biro-sdm"},
        }, metadata)
    if kind == 0:
        return NewEvent("ProgressReported", {"at": at, "report": {
            "quarter": 1 + version % 4, "target_id": f"t{version % 3}",
            "realisation": "Laporan kinerja triwulan disusun dan disampaikan tepat waktu",
            "evidence": [f"https://arsip.example.go.id/dokumen/{version:06d}.pdf"]}}, metadata)
    if kind == 1:
        return NewEvent("TargetsDrafted", {"at": at, "skp": {"targets": [
            {"id": f"t{i}", "text": "Menyusun rekomendasi kebijakan pengelolaan kinerja",
             "indicator": "dokumen", "quantity": "4"} for i in range(2)]}}, metadata)
    if kind == 2:
        return NewEvent("ActivityLogged", {"at": at, "activity": {
            "date": "2025-03-01", "minutes": 90,
            "text": "Rapat koordinasi penyusunan SKP unit kerja"}}, metadata)
    if kind == 3:
        return NewEvent("FeedbackGiven", {"at": at, "by": "198501012010011002",
                                          "relation": "appraiser",
                                          "feedback": {"text": "Pertahankan"}}, metadata)
    return NewEvent("TargetsSubmitted", {"at": at}, metadata)


def build_row(stream_id: str, version: int, event: NewEvent, prev: bytes) -> tuple[Any, ...]:
    """The row the event log would store for ``event``, built in Python (raw baseline)."""
    moment = datetime.now(UTC)
    identifier = event_id(stream_id, version)
    canonical = canonical_event(
        event_id=identifier, stream_id=stream_id, version=version, type=event.type,
        schema_version=event.schema_version, data=event.data, metadata=event.metadata,
        recorded_at=moment,
    )
    return (identifier, stream_id, version, event.type, moment, canonical, prev,
            chain_hash(prev, canonical))


def event_state(stream_id: str, version: int, event: NewEvent) -> bytes:
    """The same canonical bytes, as the state of an eventsourcing stored event."""
    return canonical_event(
        event_id=event_id(stream_id, version), stream_id=stream_id, version=version,
        type=event.type, schema_version=event.schema_version, data=event.data,
        metadata=event.metadata, recorded_at=datetime.now(UTC),
    )


# --------------------------------------------------------------------------- #
# Append workloads: each writer its own streams


def plan(writers: int, batch: int, total: int) -> int:
    """Appends per writer so that ``writers * appends * batch`` is about ``total``."""
    return max(1, total // (writers * batch))


async def append_ours(log: EventLog, tag: str, writers: int, batch: int, appends: int) -> float:
    async def writer(w: int) -> None:
        stream, version = 0, 0
        for _ in range(appends):
            if version + batch > STREAM_LENGTH:
                stream, version = stream + 1, 0
            sid = f"{tag}-{w}-{stream}"
            events = [make_event(version + i + 1, w) for i in range(batch)]
            await log.append(sid, version, events)
            version += batch

    started = time.perf_counter()
    await asyncio.gather(*(writer(w) for w in range(writers)))
    return time.perf_counter() - started


_RAW_INSERT_ONE = """
INSERT INTO raw_events (event_id, stream_id, version, type, recorded_at, canonical, prev_hash, hash)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
"""
_RAW_INSERT_MANY = """
INSERT INTO raw_events (event_id, stream_id, version, type, recorded_at, canonical, prev_hash, hash)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::timestamptz[],
                     $6::bytea[], $7::bytea[], $8::bytea[])
"""


async def append_raw(pool: asyncpg.Pool, tag: str, writers: int, batch: int, appends: int) -> float:
    async def writer(w: int) -> None:
        stream, version, prev = 0, 0, GENESIS_HASH
        for _ in range(appends):
            if version + batch > STREAM_LENGTH:
                stream, version, prev = stream + 1, 0, GENESIS_HASH
            sid = f"{tag}-{w}-{stream}"
            rows = []
            for i in range(batch):
                row = build_row(sid, version + i + 1, make_event(version + i + 1, w), prev)
                prev = row[-1]
                rows.append(row)
            if batch == 1:
                await pool.execute(_RAW_INSERT_ONE, *rows[0])
            else:
                columns = [list(column) for column in zip(*rows, strict=True)]
                await pool.execute(_RAW_INSERT_MANY, *columns)
            version += batch

    started = time.perf_counter()
    await asyncio.gather(*(writer(w) for w in range(writers)))
    return time.perf_counter() - started


def append_eventsourcing(
    recorder: Any, tag: str, writers: int, batch: int, appends: int
) -> float:
    from eventsourcing.persistence import StoredEvent

    def writer(w: int) -> None:
        stream, version = 0, 0
        for _ in range(appends):
            if version + batch > STREAM_LENGTH:
                stream, version = stream + 1, 0
            sid = f"{tag}-{w}-{stream}"
            stored = []
            for i in range(batch):
                event = make_event(version + i + 1, w)
                stored.append(StoredEvent(sid, version + i + 1, event.type,
                                          event_state(sid, version + i + 1, event)))
            recorder.insert_events(stored)
            version += batch

    barrier = threading.Barrier(writers + 1)

    def gated(w: int) -> None:
        barrier.wait()
        writer(w)

    with ThreadPoolExecutor(max_workers=writers) as executor:
        futures = [executor.submit(gated, w) for w in range(writers)]
        barrier.wait()
        started = time.perf_counter()
        for future in futures:
            future.result()
        return time.perf_counter() - started


# --------------------------------------------------------------------------- #
# Reading and verification


async def read_ours(log: EventLog) -> tuple[int, float]:
    started = time.perf_counter()
    count, position = 0, None
    while page := await log.read_all(after=position, limit=1000):
        count += len(page)
        position = page[-1].position
    return count, time.perf_counter() - started


_RAW_PAGE = """
SELECT event_id, stream_id, version, type, recorded_at, canonical, prev_hash, hash, tx_id
FROM raw_events
WHERE (tx_id, stream_id, version) > ($1::xid8, $2::text, $3::integer)
ORDER BY tx_id, stream_id, version
LIMIT 1000
"""


async def read_raw(pool: asyncpg.Pool) -> tuple[int, float]:
    started = time.perf_counter()
    count, key = 0, (0, "", 0)
    async with pool.acquire() as connection:
        while page := await connection.fetch(_RAW_PAGE, *key):
            count += len(page)
            last = page[-1]
            key = (last["tx_id"], last["stream_id"], last["version"])
    return count, time.perf_counter() - started


def read_eventsourcing(recorder: Any) -> tuple[int, float]:
    started = time.perf_counter()
    count, start = 0, 1
    while page := recorder.select_notifications(start, 1000):
        count += len(page)
        start = page[-1].id + 1
    return count, time.perf_counter() - started


async def verify_ours(log: EventLog) -> tuple[int, float]:
    started = time.perf_counter()
    report = await log.verify_all()
    elapsed = time.perf_counter() - started
    if not report.ok:
        raise SystemExit(f"verification failed: {report}")
    return report.events_checked, elapsed


async def verify_raw_in_python(pool: asyncpg.Pool) -> tuple[int, float]:
    """The same checks, done the obvious way: read in stream order, check in Python."""
    started = time.perf_counter()
    count = 0
    stream, expected, prev = None, 0, GENESIS_HASH
    async with pool.acquire() as connection, connection.transaction(readonly=True):
        async for row in connection.cursor(
            "SELECT event_id, stream_id, version, type, recorded_at, canonical, prev_hash, hash"
            " FROM raw_events ORDER BY stream_id, version",
            prefetch=5000,
        ):
            if row["stream_id"] != stream:
                stream, expected, prev = row["stream_id"], 0, GENESIS_HASH
            expected += 1
            canonical = row["canonical"]
            document = json.loads(canonical)
            ok = (
                row["version"] == expected
                and row["prev_hash"] == prev
                and hashlib.sha256(prev + canonical).digest() == row["hash"]
                and document["event_id"] == str(row["event_id"])
                and document["stream_id"] == stream
                and document["version"] == row["version"]
                and document["type"] == row["type"]
                and document["recorded_at"] == format_timestamp(row["recorded_at"])
            )
            if not ok:
                raise SystemExit(f"raw verification failed at {stream} {row['version']}")
            prev = row["hash"]
            count += 1
    return count, time.perf_counter() - started


# --------------------------------------------------------------------------- #
# The server


def psycopg_params(dsn: str) -> dict[str, Any]:
    """host/port/user/password/dbname of ``dsn``, for eventsourcing's datastore."""
    parts = urlsplit(dsn)
    query = parse_qs(parts.query)
    host = query.get("host", [parts.hostname or "localhost"])[0]
    port = query.get("port", [str(parts.port or 5432)])[0]
    return {
        "dbname": parts.path.lstrip("/"),
        "host": host,
        "port": port,
        "user": unquote(parts.username or "postgres"),
        "password": unquote(parts.password or ""),
    }


# --------------------------------------------------------------------------- #
# The run


async def run(args: argparse.Namespace) -> list[Figure]:
    from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

    datastores: list[Any] = []
    async with scratch_database() as dsn:
        try:
            admin = await asyncpg.connect(dsn)
            await admin.execute("CREATE TABLE raw_events (LIKE events INCLUDING ALL)")
            settings = await server_settings(admin)

            def recorder_for(writers: int) -> Any:
                datastore = PostgresDatastore(
                    **psycopg_params(dsn), pool_size=writers, originator_id_type="text"
                )
                datastores.append(datastore)
                recorder = PostgresApplicationRecorder(datastore, events_table_name="es_events")
                recorder.create_table()
                return recorder

            results: dict[str, dict[str, float]] = {}
            scale = args.append_scale
            workloads = [
                ("append 1 writer x1", 1, 1, int(1000 * scale)),
                ("append 16 writers x1", 16, 1, int(6400 * scale)),
                ("append 16 writers x10", 16, 10, int(16000 * scale)),
            ]
            for index, (name, writers, batch, total) in enumerate(workloads):
                appends = plan(writers, batch, total)
                events = writers * batch * appends
                warm = max(1, appends // 20)
                pool = await create_pool(dsn, min_size=writers, max_size=writers)
                raw_pool = await create_pool(dsn, role=None, min_size=writers, max_size=writers)
                recorder = recorder_for(writers)
                try:
                    log = EventLog(pool)
                    await append_ours(log, f"warm{index}", writers, batch, warm)
                    await append_raw(raw_pool, f"warm{index}", writers, batch, warm)
                    await asyncio.to_thread(
                        append_eventsourcing, recorder, f"warm{index}", writers, batch, warm
                    )
                    # Three rounds, the systems taking turns; the median round of each.
                    times: dict[str, list[float]] = {"ours": [], "raw": [], "eventsourcing": []}
                    for round_ in range(ROUNDS):
                        tag = f"b{index}r{round_}"
                        times["ours"].append(await append_ours(log, tag, writers, batch, appends))
                        times["raw"].append(
                            await append_raw(raw_pool, tag, writers, batch, appends))
                        times["eventsourcing"].append(await asyncio.to_thread(
                            append_eventsourcing, recorder, tag, writers, batch, appends))
                        print(f"  {name}, round {round_}: {events} events; " + ", ".join(
                            f"{system} {events / times[system][-1]:,.0f}/s" for system in times),
                            file=sys.stderr)
                finally:
                    await pool.close()
                    await raw_pool.close()
                results[name] = {system: Timing(seconds).rate(events)
                                 for system, seconds in times.items()}
                results[name]["events"] = events

            # The dataset for reading and verification: --events events in the log.
            have = await admin.fetchval("SELECT count(*) FROM events")
            missing = max(0, args.events - have)
            load_started = time.perf_counter()
            pool = await create_pool(dsn, min_size=4, max_size=4)
            try:
                log = EventLog(pool)
                streams = -(-missing // STREAM_LENGTH)

                async def loader(part: int) -> None:
                    for s in range(part, streams, 4):
                        await log.append(f"load-{s}", 0, [
                            make_event(v, s % 997) for v in range(1, STREAM_LENGTH + 1)])

                await asyncio.gather(*(loader(part) for part in range(4)))
            finally:
                await pool.close()
            await admin.execute("TRUNCATE raw_events")
            await admin.execute("INSERT INTO raw_events SELECT * FROM events")
            await admin.execute("TRUNCATE es_events")
            await admin.execute(
                "INSERT INTO es_events (originator_id, originator_version, topic, state)"
                " SELECT stream_id, version, type, canonical FROM events"
                " ORDER BY tx_id, stream_id, version"
            )
            await admin.execute("VACUUM ANALYZE events")
            await admin.execute("VACUUM ANALYZE raw_events")
            await admin.execute("VACUUM ANALYZE es_events")
            await admin.execute("CHECKPOINT")
            total = await admin.fetchval("SELECT count(*) FROM events")
            average = await admin.fetchval("SELECT avg(octet_length(canonical))::int FROM events")
            print(f"  loaded to {total} events ({average} canonical bytes on average) in "
                  f"{time.perf_counter() - load_started:.1f}s", file=sys.stderr)

            pool = await create_pool(dsn, min_size=2, max_size=2)
            raw_pool = await create_pool(dsn, role=None, min_size=1, max_size=1)
            recorder = recorder_for(1)
            try:
                log = EventLog(pool)
                # A warm-up round, then the median of three: a checkpoint or
                # autovacuum landing in one round does not decide the figure.
                rounds: dict[str, list[tuple[int, float]]] = {}
                for round_ in range(4):
                    measured = {
                        "read": await read_ours(log),
                        "raw read": await read_raw(raw_pool),
                        "es read": await asyncio.to_thread(read_eventsourcing, recorder),
                        "verify": await verify_ours(log),
                        "raw verify": await verify_raw_in_python(raw_pool),
                    }
                    if round_:
                        for label, figure in measured.items():
                            rounds.setdefault(label, []).append(figure)
                    print("  round " + str(round_) + ": " + ", ".join(
                        f"{label} {count / seconds:,.0f}/s"
                        for label, (count, seconds) in measured.items()), file=sys.stderr)
                read, read_raw_, read_es, verified, verified_raw = (
                    sorted(rounds[label], key=lambda figure: figure[1])[1]
                    for label in ("read", "raw read", "es read", "verify", "raw verify")
                )
            finally:
                await pool.close()
                await raw_pool.close()
            for label, figure in (("read", read), ("raw read", read_raw_), ("es read", read_es),
                                  ("verify", verified), ("raw verify", verified_raw)):
                if figure[0] != total:
                    raise SystemExit(f"{label} saw {figure[0]} events of {total}")
            results["read_all (pages of 1,000)"] = {
                "ours": total / read[1], "raw": total / read_raw_[1],
                "eventsourcing": total / read_es[1], "events": total}
            results["verify_all"] = {
                "ours": total / verified[1], "raw": total / verified_raw[1],
                "eventsourcing": total / read_es[1], "events": total}
            await admin.close()
        finally:
            for datastore in datastores:
                datastore.close()

    print_results(results, settings, average)
    return to_figures(results)


BASELINE_NAMES = {"raw": "raw insert", "eventsourcing": "eventsourcing"}
READ_BASELINE_NAMES = {"raw": "raw read", "eventsourcing": "eventsourcing read"}
VERIFY_BASELINE_NAMES = {"raw": "raw read + Python check",
                         "eventsourcing": "eventsourcing read (no check)"}


def baseline_names(name: str) -> dict[str, str]:
    if name.startswith("read"):
        return READ_BASELINE_NAMES
    if name.startswith("verify"):
        return VERIFY_BASELINE_NAMES
    return BASELINE_NAMES


def to_figures(results: dict[str, dict[str, float]]) -> list[Figure]:
    figures: list[Figure] = []
    for name, row in results.items():
        figures.append(Figure(name, row["ours"], "events/s"))
        figures += [Figure(f"{name} vs {label}", row["ours"], "events/s", baseline=row[key])
                    for key, label in baseline_names(name).items()]
    return figures


def print_results(
    results: dict[str, dict[str, float]], settings: dict[str, str], average: int
) -> None:
    print(f"{describe_postgres(settings)}; {machine()}; {average} canonical bytes per event")
    print_table(
        ["workload (events/s)", "events", "kinerja", "raw", "ratio", "eventsrc", "ratio"],
        [[name, int(row["events"]), row["ours"], row["raw"], f"{row['ours'] / row['raw']:.2f}",
          row["eventsourcing"], f"{row['ours'] / row['eventsourcing']:.2f}"]
         for name, row in results.items()])
    print("raw: asyncpg INSERT into LIKE events INCLUDING ALL (no trigger, no function); reads:"
          " keyset pages, no decoding; verify: ordered read + the same checks in Python.")
    print("eventsourcing: PostgresApplicationRecorder, one thread per writer; read and verify:"
          " select_notifications pages (it has no integrity check).")


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the table; ``--json FILE`` also writes the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200_000,
                        help="events in the log for reading and verification (default 200000)")
    parser.add_argument("--append-scale", type=float, default=1.0,
                        help="multiply the append workloads' sizes (default 1.0)")
    parser.add_argument("--json", type=Path, help="write the figures as JSON to this file")
    args = parser.parse_args(argv)
    write_json(args.json, asyncio.run(run(args)))


if __name__ == "__main__":
    main()

