"""Benchmark of an agency's cycle: starting N appraisals, and the progress route over them.

    .venv/bin/python -m bench.cycle [--employees N] [--units U] [--concurrency C]
        [--rounds R] [--progress-requests R] [--json FILE] [--keep]

Starts the stack of ``kinerja dev`` in a temporary directory (embedded
PostgreSQL, the Temporal development server; each unless
``KINERJA_DATABASE_URL`` / ``KINERJA_TEMPORAL_ADDRESS`` names a running one),
then the worker and the API in this process, as ``kinerja dev`` wires them,
with a generated roster of N employees (default 10,000) in U units (default 50).

- start: HR creates the cycle and starts it over HTTP (``--rounds R`` splits the
  employees into R agencies, each round raw starts first, then a cycle); the clock runs from the
  start request until every appraisal is open in the read model (its workflow
  started, its first task run, its ``AppraisalOpened`` event stored). The
  worker opens appraisals ``--concurrency`` at a time (default 16, as the
  worker's default).
- raw: as many workflow starts of a trivial workflow, from as many concurrent
  callers, straight through the Temporal client, timed until every one has run
  its first workflow task (the baseline; target: start >= 0.7 of it).
- progress: ``GET /v1/cycles/{id}/progress`` R times (default 200) over HTTP
  with the N appraisals in place, p50/p95/p99 (target p99 < 100 ms), beside the
  same three SQL queries run straight through asyncpg (the baseline).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import asyncpg
from temporalio import workflow
from temporalio.client import Client
from temporalio.worker import Worker

from api.auth import mint_token
from bench.harness import (
    Figure,
    bench_settings,
    data_directory,
    log_to_file,
    percentile,
    print_figures,
    serve_inline,
    write_json,
)
from domain.appraisal import PositionKind
from domain.cycle import CycleMember
from kinerja.devstack import dev_stack
from kinerja.worker import WORKFLOW_RUNNER

YEAR = datetime.now(UTC).year
TARGET_START_RATIO = 0.7
TARGET_PROGRESS_P99_MS = 100.0

_first_tasks = 0


@workflow.defn(name="BenchCycleNoopWorkflow")
class NoopWorkflow:
    """Counts its first task (outside replay), then waits to be terminated."""

    @workflow.run
    async def run(self) -> None:
        global _first_tasks
        if not workflow.unsafe.is_replaying():
            _first_tasks += 1
        await workflow.wait_condition(lambda: False)


def generate_roster(employees: int, units: int) -> list[CycleMember]:
    """A head of agency, a leader per unit appraised by the head, staff under each leader."""
    members = [CycleMember(employee="e-head", unit="sekretariat", appraiser=None, superior=None,
                           position_kind=PositionKind.JPT, is_unit_leader=True)]
    per_unit = max(1, (employees - 1) // units)
    for u in range(units):
        unit = f"unit-{u:03d}"
        leader = f"e-{u:03d}-lead"
        members.append(CycleMember(employee=leader, unit=unit, appraiser="e-head", superior=None,
                                   position_kind=PositionKind.ADMINISTRATOR,
                                   is_unit_leader=True))
        for n in range(per_unit - 1):
            if len(members) >= employees:
                break
            members.append(CycleMember(employee=f"e-{u:03d}-{n:05d}", unit=unit,
                                       appraiser=leader, superior="e-head"))
    return members[:employees]


async def run(args: argparse.Namespace) -> list[Figure]:
    run_id = uuid.uuid4().hex[:8]
    rounds = max(1, args.rounds)
    agencies = [f"bench-{run_id}-{r}" for r in range(rounds)]
    rosters = {agency: generate_roster(args.employees // rounds, max(1, args.units // rounds))
               for agency in agencies}
    total = sum(len(r) for r in rosters.values())
    ours_seconds = raw_seconds = 0.0

    async def roster_source(agency: str) -> list[CycleMember]:
        return rosters.get(agency, [])

    async with data_directory("kinerja-bench-cycle-", keep=args.keep) as base:
        settings = bench_settings(base, f"bench-cycle-{run_id}")
        log_to_file(base / "kinerja.log")
        token = mint_token(settings.token_settings(), subject="e-hr", roles=["employee", "hr"],
                           agencies=agencies)
        headers = {"Authorization": f"Bearer {token}"}
        print(f"data in {base}; {total} employees in {rounds} agencies (rounds)",
              file=sys.stderr)
        async with dev_stack(settings) as stack, \
                serve_inline(settings, stack, roster_source=roster_source,
                             cycle_concurrency=args.concurrency) as served, \
                aiohttp.ClientSession(base_url=served.url, headers=headers) as http:
            pool, client = served.pool, served.client
            for number, agency in enumerate(agencies):
                # Raw first: our round then runs beside the raw round's live workflows, which
                # can only slow ours (the conservative order).
                raw = await raw_starts(client, f"{run_id}-{number}", len(rosters[agency]),
                                       args.concurrency)
                raw_seconds += raw
                seconds = await start_cycle(http, pool, agency, len(rosters[agency]))
                ours_seconds += seconds
                print(f"  round {number + 1}/{rounds}: {len(rosters[agency])} appraisals "
                      f"{len(rosters[agency]) / seconds:.1f}/s; raw "
                      f"{len(rosters[agency]) / raw:.1f} starts/s", file=sys.stderr)
            start_rate, raw_rate = total / ours_seconds, total / raw_seconds
            largest = f"{agencies[0]}-{YEAR}"
            ours, sql = await progress_latency(http, pool, largest, args.progress_requests,
                                               cycle_ids=[f"{a}-{YEAR}" for a in agencies])

    figures = [Figure(f"cycle start, {total} appraisals", start_rate, "appraisals/s",
                      baseline=raw_rate)]
    figures += [Figure(f"progress route p{q}, {total} appraisals in the database",
                       percentile(ours, q), "ms", baseline=percentile(sql, q))
                for q in (50, 95, 99)]
    ratio = start_rate / raw_rate
    print()
    print(f"Kinerja cycle bench: {total} employees in {args.units} units, {rounds} rounds "
          f"(raw starts, then a cycle, each), concurrency {args.concurrency}")
    print_figures(figures)
    print("baselines: raw Temporal workflow starts (trivial workflow, first task run) from as "
          "many callers; the progress route's SQL (store.cycles) straight through asyncpg")
    print(f"target: start ratio {ratio:.2f} "
          f"({'meets' if ratio >= TARGET_START_RATIO else 'misses'} >= {TARGET_START_RATIO}); "
          f"progress p99 {percentile(ours, 99):.1f} ms "
          f"({'meets' if percentile(ours, 99) < TARGET_PROGRESS_P99_MS else 'misses'} < "
          f"{TARGET_PROGRESS_P99_MS:.0f} ms)")
    return figures


async def start_cycle(http: aiohttp.ClientSession, pool: asyncpg.Pool, agency: str,
                      members: int) -> float:
    """Seconds from HR's start request until every appraisal of the cycle is open."""
    cycle_id = f"{agency}-{YEAR}"
    now = datetime.now(UTC)
    body = {"agency": agency, "year": YEAR, "calendar": {
        "skp_deadline": (now + timedelta(days=30)).isoformat(),
        "self_assessment_deadline": (now + timedelta(days=60)).isoformat(),
        "review_deadline": (now + timedelta(days=90)).isoformat()}}
    async with http.post("/v1/cycles", json=body) as response:
        assert response.status == 201, await response.text()
    started = time.perf_counter()
    async with http.post(f"/v1/cycles/{cycle_id}/start") as response:
        assert response.status == 202, await response.text()
    opened = 0
    while opened < members:
        await asyncio.sleep(0.1)
        opened = await pool.fetchval(
            "SELECT count(*) FROM appraisal_summaries WHERE cycle_id = $1", cycle_id)
    return time.perf_counter() - started


async def raw_starts(client: Client, run_id: str, count: int, concurrency: int) -> float:
    """Seconds to start ``count`` trivial workflows until each has run its first task."""
    global _first_tasks
    task_queue = f"bench-cycle-noop-{run_id}"
    _first_tasks = 0
    async with Worker(client, task_queue=task_queue, workflows=[NoopWorkflow],
                      workflow_runner=WORKFLOW_RUNNER, max_cached_workflows=count + 10):
        queue: asyncio.Queue[int] = asyncio.Queue()
        for n in range(count):
            queue.put_nowait(n)

        async def caller() -> None:
            while not queue.empty():
                n = queue.get_nowait()
                await client.start_workflow(NoopWorkflow.run, id=f"bench-noop-{run_id}-{n}",
                                            task_queue=task_queue)

        started = time.perf_counter()
        await asyncio.gather(*(caller() for _ in range(concurrency)))
        while _first_tasks < count:  # noqa: ASYNC110 - counted inside workflow code
            await asyncio.sleep(0.05)
        return time.perf_counter() - started


async def progress_latency(http: aiohttp.ClientSession, pool: asyncpg.Pool, cycle_id: str,
                           requests: int, cycle_ids: list[str]
                           ) -> tuple[list[float], list[float]]:
    """Milliseconds of the progress route, and of its SQL alone, ``requests`` times each,
    over the cycles in turn."""
    from store.cycles import CycleStore

    store = CycleStore(pool)
    ours: list[float] = []
    sql: list[float] = []
    for _ in range(5):  # warm both up
        async with http.get(f"/v1/cycles/{cycle_id}/progress") as response:
            await response.read()
        await store.progress(cycle_id, datetime.now(UTC))
    for number in range(requests):
        cycle_id = cycle_ids[number % len(cycle_ids)]
        started = time.perf_counter()
        async with http.get(f"/v1/cycles/{cycle_id}/progress") as response:
            await response.read()
            assert response.status == 200
        ours.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        await store.progress(cycle_id, datetime.now(UTC))
        sql.append((time.perf_counter() - started) * 1000)
    return sorted(ours), sorted(sql)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--units", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=1,
                        help="cycles (agencies) the employees are split into; each round starts "
                             "as many raw workflows, then one cycle (the progress route is "
                             "measured on the first cycle)")
    parser.add_argument("--progress-requests", type=int, default=200)
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    args = parser.parse_args(argv)
    write_json(args.json, asyncio.run(run(args)))


if __name__ == "__main__":
    main()
