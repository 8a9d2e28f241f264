"""Benchmark of the roster import against raw baselines measured in the same run.

    .venv/bin/python -m bench.roster [--rows N] [--rounds R] [--json FILE]

Generates an agency of ``--rows`` employees (default 10,000) in 200 units, as a
CSV and an XLSX file, and measures, in rows per second (median of the rounds):

- ``parse+validate csv`` / ``xlsx``: adapters.roster_files + domain.roster.validate_roster;
  baseline: ``csv.reader`` over the same text / openpyxl read-only ``iter_rows``
  into lists, no checks;
- ``apply (first import)``: RosterStore.apply into an empty agency: 10,000
  hire events (hash-chained) and the read model in one transaction; baseline:
  ``COPY`` of the same rows into a scratch table of the read model's shape;
- ``background apply, batches of 500 (first import)``: what the page's apply does in
  the worker (``workflows.roster_apply``, without Temporal): the target recorded once,
  then the events 500 a transaction, each re-reading the roster; baseline: the previous
  line, the same import in one transaction;
- ``apply (5% changed)``: a second import where every 20th employee is
  transferred; baseline: ``executemany`` UPDATE of those rows in the scratch table;
- ``re-import (unchanged)``: applying the same roster again (reads, diffs, appends
  nothing); baseline: reading the scratch table's rows.

Starts an embedded PostgreSQL with default durability in a temporary directory
unless KINERJA_DATABASE_URL names a server (a superuser's DSN; a scratch
database is created and dropped).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import statistics
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from openpyxl import Workbook, load_workbook

from adapters.roster_files import read_roster_bytes
from bench.harness import (
    Figure,
    atimed,
    describe_postgres,
    machine,
    print_figures,
    scratch_database,
    server_settings,
    timed,
    write_json,
)
from domain.roster import RosterCheck, validate_roster
from store.database import create_pool
from store.roster import RosterStore
from store.roster_uploads import RosterUploads
from workflows.roster_apply.contract import BATCH_SIZE

HEADER = ["nip", "nama", "jabatan", "jenis_jabatan", "jenjang", "status_kepegawaian",
          "kode_unit", "nama_unit", "unit_induk", "nip_atasan", "email"]


def nip(n: int) -> str:
    day_of_year, sequence = divmod(n, 999)
    month, day = divmod(day_of_year % 336, 28)
    birth = f"{1960 + day_of_year // 336:04d}{month + 1:02d}{day + 1:02d}"
    return f"{birth}2005011{sequence + 1:03d}"


def generate(rows: int, units: int = 200, moved: bool = False) -> list[list[str]]:
    """An agency: unit heads in a tree (4 children per unit), staff under their heads.
    With ``moved``, every 20th staff member is in the next unit."""
    units = min(units, rows)
    table: list[list[str]] = []
    for u in range(units):
        parent = (u - 1) // 4 if u else None
        table.append([nip(u + 1), f"Kepala Unit {u}", f"Kepala Unit {u}",
                      "JPT" if u == 0 else "administrator", "", "PNS", f"u{u}",
                      f"Unit {u}", f"u{parent}" if parent is not None else "",
                      nip(parent + 1) if parent is not None else "", f"k{u}@example.go.id"])
    for n in range(units + 1, rows + 1):
        u = n % units
        if moved and n % 20 == 0:
            u = (u + 1) % units
        parent = (u - 1) // 4 if u else None
        functional = n % 2 == 0
        table.append([nip(n), f"Pegawai {n}", "Analis" if functional else "Pengolah Data",
                      "fungsional" if functional else "pelaksana",
                      "Ahli Muda" if functional else "", "PNS", f"u{u}", f"Unit {u}",
                      f"u{parent}" if parent is not None else "", nip(u + 1),
                      f"p{n}@example.go.id"])
    return table


def to_csv(table: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(table)
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(table: list[list[str]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADER)
    for cells in table:
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def ours_csv(data: bytes) -> RosterCheck:
    return validate_roster(read_roster_bytes(data).rows)


def raw_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def raw_xlsx(data: bytes) -> list[tuple[Any, ...]]:
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return list(book.worksheets[0].iter_rows(values_only=True))
    finally:
        book.close()


_SCRATCH = """
CREATE TABLE scratch_roster (LIKE roster_employees INCLUDING ALL)
"""

_SCRATCH_COLUMNS = ["agency", "employee_key", "nip", "name", "position", "kind", "level",
                    "employment", "unit", "superior", "email"]


def scratch_records(check: RosterCheck, agency: str) -> list[tuple[Any, ...]]:
    return [(agency, e.key, e.nip, e.name, e.position, e.kind.value,
             e.level.value if e.level else None, e.employment.value, e.unit, e.superior,
             e.email) for e in check.roster.employees.values()]


async def run(args: argparse.Namespace) -> list[Figure]:
    table = generate(args.rows)
    moved_table = generate(args.rows, moved=True)
    csv_bytes, xlsx_bytes = to_csv(table), to_xlsx(table)
    moved_csv = to_csv(moved_table)
    rows = len(table)
    samples: dict[str, dict[str, list[float]]] = {}

    def record(name: str, ours: float, raw: float) -> None:
        entry = samples.setdefault(name, {"ours": [], "raw": []})
        entry["ours"].append(rows / ours)
        entry["raw"].append(rows / raw)

    check, _ = timed(lambda: ours_csv(csv_bytes))  # warm-up
    assert check.clean, check.rejected[:3]
    moved_check = ours_csv(moved_csv)
    assert moved_check.clean
    for _round in range(args.rounds):
        _, raw = timed(lambda: raw_csv(csv_bytes))
        _, ours = timed(lambda: ours_csv(csv_bytes))
        record("parse+validate csv", ours, raw)
        _, raw = timed(lambda: raw_xlsx(xlsx_bytes))
        read_x, ours = timed(lambda: validate_roster(read_roster_bytes(xlsx_bytes).rows))
        assert read_x.clean
        record("parse+validate xlsx", ours, raw)

    async with scratch_database("kinerja-bench-roster-") as dsn:
        setup = await asyncpg.connect(dsn)
        await setup.execute(_SCRATCH)
        await setup.execute("GRANT ALL ON scratch_roster TO kinerja_app")
        await setup.close()
        pool = await create_pool(dsn, min_size=1, max_size=2)
        store = RosterStore(pool)
        settings = await server_settings(pool)
        try:
            for r in range(args.rounds):
                agency = f"bench-{r}"
                records = scratch_records(check, agency)

                async def copy(records: list[tuple[Any, ...]] = records) -> None:
                    async with pool.acquire() as connection:
                        await connection.copy_records_to_table(
                            "scratch_roster", records=records, columns=_SCRATCH_COLUMNS)

                _, raw = await atimed(copy)
                _, ours = await atimed(lambda agency=agency: store.apply(agency, check,
                                                                         "bench"))
                record("apply (first import)", ours, raw)
                _, batched = await atimed(lambda r=r: apply_in_batches(
                    store, RosterUploads(pool), f"bench-batched-{r}", check))
                record("background apply, batches of 500 (first import)", batched, ours)

                moved = [(e.unit, agency, e.key) for e in moved_check.roster.employees.values()
                         if e.unit != check.roster.employees[e.key].unit]

                async def update(moved: list[tuple[str, str, str]] = moved) -> None:
                    async with pool.acquire() as connection, connection.transaction():
                        await connection.executemany(
                            "UPDATE scratch_roster SET unit = $1 WHERE agency = $2"
                            " AND employee_key = $3", moved)

                _, raw = await atimed(update)
                applied, ours = await atimed(
                    lambda agency=agency: store.apply(agency, moved_check, "bench"))
                assert applied.counts().get("employee_transferred") == len(moved)
                record("apply (5% changed)", ours, raw)

                _, raw = await atimed(lambda agency=agency: pool.fetch(
                    "SELECT * FROM scratch_roster WHERE agency = $1", agency))
                again, ours = await atimed(
                    lambda agency=agency: store.apply(agency, moved_check, "bench"))
                assert again.events == []
                record("re-import (unchanged)", ours, raw)
        finally:
            await pool.close()
    results = {name: {"ours": statistics.median(v["ours"]), "raw": statistics.median(v["raw"])}
               for name, v in samples.items()}
    figures = [Figure(name, row["ours"], "rows/s", baseline=row["raw"],
                      extra={"baseline is": BASELINES[name]})
               for name, row in results.items()]
    print(f"{describe_postgres(settings)}; {machine()}; {rows} rows, "
          f"CSV {len(csv_bytes) // 1024} KiB, XLSX {len(xlsx_bytes) // 1024} KiB")
    print_figures(figures, extra=["baseline is"])
    return figures


BASELINES = {
    "parse+validate csv": "csv.reader",
    "parse+validate xlsx": "openpyxl iter_rows",
    "apply (first import)": "COPY into scratch table",
    "background apply, batches of 500 (first import)": "apply in one transaction",
    "apply (5% changed)": "executemany UPDATE",
    "re-import (unchanged)": "SELECT scratch table",
}


async def apply_in_batches(store: RosterStore, uploads: RosterUploads, agency: str,
                           check: RosterCheck) -> None:
    """What the worker's background apply does to the database (the activity without
    Temporal): record the target once, then append batches of events until none is left."""
    upload_id = uuid.uuid4().hex
    now = datetime.now(UTC)
    await uploads.start(upload_id, agency, "bench", valid_only=False, now=now)
    await store.prepare_apply(upload_id, agency, check, partial=False, report={}, moment=now)
    batch = None
    while batch is None or batch.status == "running":
        batch = await store.apply_batch(upload_id, agency, "bench", size=BATCH_SIZE,
                                        previous=batch)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the table; ``--json FILE`` also writes the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000, help="employees (default 10000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, median reported")
    parser.add_argument("--json", type=Path, help="write the figures as JSON to this file")
    args = parser.parse_args(argv)
    write_json(args.json, asyncio.run(run(args)))


if __name__ == "__main__":
    main()
