"""Benchmark of evidence files: attach and download through the use case, against a raw
bytea INSERT and SELECT of the same sizes measured in the same run.

    .venv/bin/python -m bench.evidence [--rounds R] [--json FILE]

For files of 100 KiB, 1 MiB and 10 MiB (a PDF header then random bytes, like a scan that
does not compress), in MiB per second (median of the rounds; each round a new file, so
each attach stores):

- ``attach <size>``: ``EvidenceService.attach`` (read in chunks, SHA-256, type by the
  bytes, name, the file and its upload row in one transaction); baseline: one
  ``INSERT`` of the same number of bytes into a scratch bytea table;
- ``download <size>``: ``EvidenceService.download`` (the appraisal's read model row, its
  event stream searched for the digest, the upload row, the bytes); baseline: one
  ``SELECT`` of the bytes from the scratch table.

Starts an embedded PostgreSQL with default durability in a temporary directory unless
KINERJA_DATABASE_URL names a server (a superuser's DSN; a scratch database is created and
dropped).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
from datetime import UTC, datetime
from pathlib import Path

from bench.harness import (
    Figure,
    atimed,
    describe_postgres,
    machine,
    print_figures,
    scratch_database,
    server_settings,
    write_json,
)
from domain.appraisal import Phase
from domain.authorization import Actor, Parties, Role
from services.evidence import EvidenceService
from store.appraisals import AppraisalReadModel, summary_write
from store.database import create_pool
from store.event_log import EventLog, NewEvent
from store.evidence import EvidenceStore

SIZES = {"100 KiB": 100 * 1024, "1 MiB": 1024 * 1024, "10 MiB": 10 * 1024 * 1024 - 64}
APPRAISAL = "appraisal-bench-2026-e-0001"
PARTIES = Parties(agency="bench", unit="u", employee="e-0001", appraiser="e-0002",
                  superior="e-0003")
EMPLOYEE = Actor(subject="e-0001", roles=frozenset({Role.EMPLOYEE}), agency="bench", unit="u")
APPRAISER = Actor(subject="e-0002", roles=frozenset({Role.EMPLOYEE}), agency="bench",
                  unit="u")


class Upload:
    """An uploaded file in memory, read in chunks as a door's upload is."""

    def __init__(self, data: bytes, filename: str) -> None:
        self._data, self._at, self.filename = data, 0, filename

    async def read(self, size: int = -1) -> bytes:
        end = len(self._data) if size < 0 else self._at + size
        chunk = self._data[self._at:end]
        self._at += len(chunk)
        return chunk


async def run(args: argparse.Namespace) -> list[Figure]:
    mib = 1024 * 1024
    rows: dict[str, dict[str, list[float]]] = {}
    async with scratch_database("kinerja-bench-evidence-") as dsn:
        admin = await create_pool(dsn, role=None, min_size=1, max_size=1)
        await admin.execute("CREATE TABLE bench_blobs (id serial PRIMARY KEY, content bytea)")
        await admin.execute("GRANT SELECT, INSERT ON bench_blobs TO kinerja_app;"
                            "GRANT USAGE ON SEQUENCE bench_blobs_id_seq TO kinerja_app")
        await admin.close()
        pool = await create_pool(dsn, min_size=1, max_size=2)
        settings = await server_settings(pool)
        event_log = EventLog(pool)
        service = EvidenceService(AppraisalReadModel(pool), event_log, EvidenceStore(pool),
                                  max_bytes=10 * mib)
        summary = summary_write(
            appraisal_id=APPRAISAL, cycle_id="bench-2026", parties=PARTIES,
            phase=Phase.SELF_REPORT, predikat=None, next_deadline=None, version=1,
            state_json="{}", updated_at=datetime.now(UTC))
        await pool.execute(summary.sql, *summary.args)
        version = 0
        for label, size in SIZES.items():
            row = rows.setdefault(label, {"attach": [], "insert": [], "download": [],
                                          "select": []})
            for _round in range(args.rounds + 1):  # the first round warms up
                content = b"%PDF-1.7\n" + os.urandom(size - 9)
                raw = b"%PDF-1.7\n" + os.urandom(size - 9)

                async def given(data: bytes = content) -> Upload:
                    return Upload(data, "laporan.pdf")

                stored, attach = await atimed(
                    lambda: service.attach(EMPLOYEE, APPRAISAL, given))
                blob_id, insert = await atimed(lambda raw=raw: pool.fetchval(
                    "INSERT INTO bench_blobs (content) VALUES ($1) RETURNING id", raw))
                await event_log.append(APPRAISAL, version, [NewEvent(
                    "ProgressReported", {"report": {"evidence": [
                        {"kind": "file", "sha256": stored.sha256, "description": "x"}]}})])
                version += 1
                _served, download = await atimed(
                    lambda sha=stored.sha256: service.download(APPRAISER, APPRAISAL, sha))
                _selected, select = await atimed(lambda blob_id=blob_id: pool.fetchval(
                    "SELECT content FROM bench_blobs WHERE id = $1", blob_id))
                for name, seconds in (("attach", attach), ("insert", insert),
                                      ("download", download), ("select", select)):
                    row[name].append(size / mib / seconds)
            for name in row:
                row[name] = row[name][1:]  # without the warm-up
        await pool.close()
    figures: list[Figure] = []
    for label, row in rows.items():
        figures.append(Figure(f"attach {label}", statistics.median(row["attach"]), "MiB/s",
                              baseline=statistics.median(row["insert"]),
                              extra={"baseline is": "bytea INSERT"}))
        figures.append(Figure(f"download {label}", statistics.median(row["download"]),
                              "MiB/s", baseline=statistics.median(row["select"]),
                              extra={"baseline is": "bytea SELECT"}))
    print(f"{describe_postgres(settings)}; {machine()}; {args.rounds} rounds, median")
    print_figures(figures, extra=["baseline is"])
    return figures


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the table; ``--json FILE`` also writes the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds, median reported")
    parser.add_argument("--json", type=Path, help="write the figures as JSON to this file")
    args = parser.parse_args(argv)
    write_json(args.json, asyncio.run(run(args)))


if __name__ == "__main__":
    main()
