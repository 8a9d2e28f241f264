"""Benchmark of HR's monitoring page (``/sdm/siklus/{id}/pemantauan``) over a cycle of
10,000 appraisals, rendered on the server.

    .venv/bin/python -m bench.monitoring [--appraisals N] [--units U] [--requests R]
        [--json FILE]

Creates a scratch database (embedded PostgreSQL unless ``KINERJA_DATABASE_URL`` names a
superuser's DSN), writes a started cycle of N appraisals (default 10,000) in U units
(default 50) straight into the read models (phases, predikat and deadlines spread, one
in ten overdue; in self-report and review, one in ten with two periodic reviews
overdue), and serves the application in this process (the pages and the API, no
Temporal: reads only). Then, R times each (default 200), alternating:

- ``monitoring page``: ``GET /sdm/siklus/{id}/pemantauan`` as HR's session, through
  the ASGI application (no network): the reads, the charts and the template (target:
  p95 < 200 ms);
- baseline: ``GET /v1/cycles/{id}/progress`` as HR's bearer token, the same reads
  answered as JSON by the API.

Prints p50/p95 of both, and the median CPU time of this process per request (routing,
reads decoded, charts, template: PostgreSQL's own work is in its processes), which a
loaded machine disturbs less than the wall clock; ``--json`` writes them (value: the
page, baseline: the API).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path

import httpx
from starlette.responses import Response

from api.app import Services, create_app
from api.auth import TokenSettings, TokenVerifier, mint_token
from bench.harness import (
    Figure,
    log_to_file,
    machine,
    percentile,
    print_figures,
    scratch_database,
    write_json,
)
from domain.cycle import CycleState, CycleStatus, UnitState
from domain.policy import POLICY_6_2022, default_calendar
from store.database import create_pool
from web import WebSettings

AGENCY = "pemkot-bench"
TARGET_P95_MS = 200.0
PHASES = ("target_setting", "self_report", "review", "calibration", "objection_window",
          "final")
PREDIKAT = ("sangat_baik", "baik", "baik", "baik", "butuh_perbaikan", "kurang")
DEADLINE_OF = {"target_setting": "skp", "self_report": "self_assessment",
               "review": "review", "objection_window": "objection_window"}
TOKENS = TokenSettings(secret="bench-monitoring-secret-" + "x" * 32)
SESSION_SECRET = "bench-monitoring-session-" + "y" * 32


def periodic_state(now: datetime, year: int, *, late: bool) -> dict[str, object]:
    """The periodic reviews of an appraisal in the year's work: quarters 1-3 past due,
    the 4th running; reviewed, or (``late``) quarters 1 and 3 missed and not given."""
    dues = {str(q): (now + timedelta(days=days)).isoformat()
            for q, days in ((1, -200), (2, -110), (3, -20), (4, 70))}
    return {"policy": {"review_periods": "quarterly"}, "calendar": {"year": year},
            "period_deadlines": dues, "missed_periods": [1, 2, 3] if late else [],
            "period_reviews": {"2": {}} if late else {"1": {}, "2": {}, "3": {}}}


async def seed(dsn: str, appraisals: int, units: int) -> str:
    """A started cycle of ``appraisals`` in ``units`` units, in the read models."""
    now = datetime.now(UTC)
    year = now.year + 1
    cycle_id = f"{AGENCY}-{year}"
    unit_codes = [f"unit-{u:03d}" for u in range(units)]
    state = CycleState(version=2 + units, cycle_id=cycle_id, agency=AGENCY, year=year,
                       policy=POLICY_6_2022.name,
                       calendar=default_calendar(year, POLICY_6_2022),
                       status=CycleStatus.RUNNING, roster_digest="0" * 64,
                       members=appraisals, units={u: UnitState() for u in unit_codes})
    rows = []
    for n in range(appraisals):
        phase = PHASES[n % len(PHASES)]
        kind = DEADLINE_OF.get(phase)
        due = now - timedelta(days=1) if n % 10 == 0 else now + timedelta(days=n % 90 + 1)
        reviewed = phase in ("calibration", "objection_window", "final")
        periodic = periodic_state(now, year, late=n % 10 == 0) \
            if phase in ("self_report", "review") else None
        rows.append((f"appraisal-{cycle_id}-e-{n:05d}", cycle_id, AGENCY,
                     unit_codes[n % units], f"e-{n:05d}", f"e-{n % units:05d}", None, phase,
                     PREDIKAT[n % len(PREDIKAT)] if reviewed else None, kind,
                     due if kind else None, 3, now, json.dumps(periodic or {}),
                     4 if periodic else None, now + timedelta(days=70) if periodic else None,
                     [1, 3] if periodic and n % 10 == 0 else [],
                     [now - timedelta(days=200), now - timedelta(days=20)]
                     if periodic and n % 10 == 0 else []))
    pool = await create_pool(dsn, role=None, min_size=1, max_size=2)
    try:
        await pool.execute(
            "INSERT INTO cycles (cycle_id, agency, year, status, version, updated_at, state)"
            " VALUES ($1, $2, $3, 'running', $4, $5, $6::jsonb)", cycle_id, AGENCY, year,
            state.version, now, state.model_dump_json())
        await pool.copy_records_to_table(
            "appraisal_summaries", records=rows,
            columns=["appraisal_id", "cycle_id", "agency", "unit", "employee", "appraiser",
                     "superior", "phase", "predikat", "next_deadline_kind",
                     "next_deadline_at", "version", "updated_at", "state", "next_period",
                     "next_period_due_at", "missed_periods", "missed_due_at"])
        await pool.execute("ANALYZE appraisal_summaries")
    finally:
        await pool.close()
    return cycle_id


def session_cookie(app: object) -> str:
    """HR's session cookie, signed by the application's own session keeper."""
    response = Response()
    app.state.web.sessions.start(  # type: ignore[attr-defined]
        response, subject="e-hr01", name="HR", roles=("employee", "hr"), agency=AGENCY,
        unit=None, agencies=(AGENCY,))
    cookie = SimpleCookie()
    cookie.load(response.headers["set-cookie"])
    return next(iter(cookie.values())).value


async def run(args: argparse.Namespace) -> list[Figure]:
    log_to_file(Path(tempfile.gettempdir()) / "kinerja-bench-monitoring.log")
    async with scratch_database("kinerja-bench-monitoring-") as dsn:
        cycle_id = await seed(dsn, args.appraisals, args.units)
        pool = await create_pool(dsn, min_size=2, max_size=8)
        try:
            services = Services(pool=pool, temporal=None,  # type: ignore[arg-type]
                                token_verifier=TokenVerifier(TOKENS), task_queue="bench",
                                web=WebSettings(session_secret=SESSION_SECRET,
                                                secure_cookies=False))
            app = create_app(services)
            token = mint_token(TOKENS, subject="e-hr01", roles=["employee", "hr"],
                               agency=AGENCY, agencies=[AGENCY])
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                         base_url="http://bench") as http:
                http.cookies.set("kinerja_session", session_cookie(app))
                page_url = f"/sdm/siklus/{cycle_id}/pemantauan"
                api_url = f"/v1/cycles/{cycle_id}/progress"
                headers = {"Authorization": f"Bearer {token}"}
                first = await http.get(page_url)
                if first.status_code != 200 or "chart-phases" not in first.text:
                    raise SystemExit(f"the page answered {first.status_code}")
                answer = await http.get(api_url, headers=headers)
                if answer.status_code != 200 or json.loads(answer.text)["total"] \
                        != args.appraisals:
                    raise SystemExit(f"the API answered {answer.status_code}")
                if args.profile:
                    import cProfile
                    import pstats

                    profile = cProfile.Profile()
                    profile.enable()
                    for _ in range(20):
                        await http.get(page_url)
                    profile.disable()
                    pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
                page_ms: list[float] = []
                api_ms: list[float] = []
                page_cpu: list[float] = []
                api_cpu: list[float] = []
                for _ in range(args.requests):
                    started, cpu = time.perf_counter(), time.process_time()
                    await http.get(page_url)
                    page_ms.append((time.perf_counter() - started) * 1000)
                    page_cpu.append((time.process_time() - cpu) * 1000)
                    started, cpu = time.perf_counter(), time.process_time()
                    await http.get(api_url, headers=headers)
                    api_ms.append((time.perf_counter() - started) * 1000)
                    api_cpu.append((time.process_time() - cpu) * 1000)
        finally:
            await pool.close()
    figures = [
        Figure("monitoring page p95", percentile(page_ms, 95), "ms",
               percentile(api_ms, 95),
               {"target": f"< {TARGET_P95_MS:.0f} ms", "baseline is": "progress API p95"}),
        Figure("monitoring page p50", percentile(page_ms, 50), "ms",
               percentile(api_ms, 50), {"baseline is": "progress API p50"}),
        Figure("monitoring page CPU (median)", percentile(page_cpu, 50), "ms",
               percentile(api_cpu, 50), {"baseline is": "progress API CPU"}),
    ]
    print(f"{machine()}; {args.appraisals:,} appraisals in {args.units} units; "
          f"{args.requests} requests each; page size {len(first.content):,} bytes")
    print_figures(figures, extra=["target", "baseline is"])
    return figures


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the table; ``--json FILE`` also writes the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--appraisals", type=int, default=10_000)
    parser.add_argument("--units", type=int, default=50)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--profile", action="store_true", help="print a profile of 20 pages")
    parser.add_argument("--json", type=Path, help="write the figures as JSON to this file")
    args = parser.parse_args(argv)
    write_json(args.json, asyncio.run(run(args)))


if __name__ == "__main__":
    main()
