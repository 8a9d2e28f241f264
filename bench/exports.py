"""Benchmark of HR's exports over a cycle of 10,000 appraisals: the results
(``/sdm/siklus/{id}/hasil.csv``, ``.xlsx``: one row per appraisal) and the monitoring
(``/sdm/siklus/{id}/pemantauan.csv``, ``.xlsx``: the table per unit and the overdue
listed), answered in the request.

    .venv/bin/python -m bench.exports [--appraisals N] [--units U] [--requests R]
        [--json FILE]

Seeds the started cycle of :mod:`bench.monitoring` (N appraisals, default 10,000, in U
units) with its frozen roster (NIP, name, functional positions for the credit points),
serves the application in this process (no Temporal: reads only) and downloads each
export R times (default 10) as HR's session through the ASGI application. Prints the p50
of each (target: under 2 s for 10,000 rows, so they stay in the request), the median CPU
time of this process (which a loaded machine disturbs less) and the slowest; ``--json``
writes them (value: the p50, baseline: the CPU p50).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from api.app import Services, create_app
from api.auth import TokenVerifier
from bench.harness import (
    Figure,
    log_to_file,
    machine,
    percentile,
    print_figures,
    scratch_database,
    write_json,
)
from bench.monitoring import SESSION_SECRET, TOKENS, seed, session_cookie
from domain.appraisal import PositionKind
from domain.cycle import CycleMember, CycleState
from domain.policy import FunctionalLevel
from store.database import create_pool
from web import WebSettings

TARGET_MS = 2000.0
EXPORTS = ("hasil.csv", "hasil.xlsx", "pemantauan.csv", "pemantauan.xlsx")


async def seed_members(dsn: str, cycle_id: str, appraisals: int, units: int) -> None:
    """The cycle's frozen roster, one member per seeded appraisal; started a month ago."""
    pool = await create_pool(dsn, role=None, min_size=1, max_size=2)
    try:
        records = []
        for n in range(appraisals):
            functional = n % 3 == 0
            member = CycleMember(
                employee=f"e-{n:05d}", unit=f"unit-{n % units:03d}",
                appraiser=f"e-{n % units:05d}", superior=None,
                position_kind=PositionKind.FUNCTIONAL if functional else PositionKind.STAFF,
                functional_level=FunctionalLevel.AHLI_PERTAMA if functional else None,
                nip=f"19800101200501{n % 2 + 1}{n % 1000:03d}", name=f"Pegawai {n}")
            records.append((cycle_id, n, member.employee, member.unit,
                            member.model_dump_json()))
        await pool.copy_records_to_table(
            "cycle_members", records=records,
            columns=["cycle_id", "seq", "employee", "unit", "member"])
        row = await pool.fetchrow("SELECT state FROM cycles WHERE cycle_id = $1", cycle_id)
        state = CycleState.model_validate_json(row["state"]).model_copy(update={
            "started_at": datetime.now(UTC) - timedelta(days=30)})
        await pool.execute("UPDATE cycles SET state = $2::jsonb WHERE cycle_id = $1",
                           cycle_id, state.model_dump_json())
        await pool.execute("ANALYZE cycle_members")
    finally:
        await pool.close()


async def run(args: argparse.Namespace) -> list[Figure]:
    log_to_file(Path(tempfile.gettempdir()) / "kinerja-bench-exports.log")
    timings: dict[str, list[float]] = {name: [] for name in EXPORTS}
    cpu: dict[str, list[float]] = {name: [] for name in EXPORTS}
    sizes: dict[str, int] = {}
    async with scratch_database("kinerja-bench-exports-") as dsn:
        cycle_id = await seed(dsn, args.appraisals, args.units)
        await seed_members(dsn, cycle_id, args.appraisals, args.units)
        pool = await create_pool(dsn, min_size=2, max_size=8)
        try:
            services = Services(pool=pool, temporal=None,  # type: ignore[arg-type]
                                token_verifier=TokenVerifier(TOKENS), task_queue="bench",
                                web=WebSettings(session_secret=SESSION_SECRET,
                                                secure_cookies=False))
            app = create_app(services)
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                         base_url="http://bench", timeout=60) as http:
                http.cookies.set("kinerja_session", session_cookie(app))
                for name in EXPORTS:
                    first = await http.get(f"/sdm/siklus/{cycle_id}/{name}")
                    if first.status_code != 200:
                        raise SystemExit(f"{name} answered {first.status_code}")
                    sizes[name] = len(first.content)
                if sizes["hasil.csv"] < args.appraisals * 20:
                    raise SystemExit("the results export is missing rows")
                if args.profile:
                    import cProfile
                    import pstats

                    profile = cProfile.Profile()
                    profile.enable()
                    await http.get(f"/sdm/siklus/{cycle_id}/hasil.csv")
                    profile.disable()
                    pstats.Stats(profile).sort_stats("tottime").print_stats(25)
                for _ in range(args.requests):
                    for name in EXPORTS:
                        started, cpu_started = time.perf_counter(), time.process_time()
                        answer = await http.get(f"/sdm/siklus/{cycle_id}/{name}")
                        await answer.aread()
                        timings[name].append((time.perf_counter() - started) * 1000)
                        cpu[name].append((time.process_time() - cpu_started) * 1000)
        finally:
            await pool.close()
    figures = [Figure(f"{name} ({sizes[name]:,} bytes) p50", percentile(timings[name], 50),
                      "ms", percentile(cpu[name], 50),
                      {"target": f"< {TARGET_MS:.0f} ms", "baseline is": "CPU p50",
                       "slowest": f"{max(timings[name]):,.0f} ms"})
               for name in EXPORTS]
    print(f"{machine()}; {args.appraisals:,} appraisals in {args.units} units; "
          f"{args.requests} downloads of each")
    print_figures(figures, extra=["target", "baseline is", "slowest"])
    return figures


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the table; ``--json FILE`` also writes the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--appraisals", type=int, default=10_000)
    parser.add_argument("--units", type=int, default=50)
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--profile", action="store_true", help="profile one results CSV")
    parser.add_argument("--json", type=Path, help="write the figures as JSON to this file")
    args = parser.parse_args(argv)
    write_json(args.json, asyncio.run(run(args)))


if __name__ == "__main__":
    main()
