"""Benchmark of the pages: server render time and the weight of a first load.

    .venv/bin/python -m bench.web [--requests N] [--appraisees M] [--json FILE] [--keep]

Starts the stack of ``kinerja dev`` in a temporary directory (an embedded PostgreSQL and
the Temporal development server, or ``KINERJA_DATABASE_URL`` / ``KINERJA_TEMPORAL_ADDRESS``)
with the worker and the API serving the pages in this process (``serve_inline``), fills
one agency through the use cases, signs the demo people in through ``/masuk/dev`` and
asks for each page N times (``--requests``, default 300, after 20 warm-ups), one request
at a time over one HTTP connection:

- home: the employee's Beranda (their appraisal, in target setting);
- appraisal: the appraiser's view of an appraisal in review (the SKP of 5 RHK with
  3 indicators each approved, progress, 10 activities, the self-assessment, feedback;
  the review form);
- skp editor: the employee's appraisal with that SKP as a draft, in the editor;
- inbox: the appraiser's Beranda with ``--appraisees`` (default 30) appraisals;
- trail: the history of the appraisal in review.

Render time is measured in the server: from the ASGI call of the whole application (its
middleware, gzip included) to the last byte of the answer, and the CPU time of the
server's event-loop thread meanwhile (which other load on the machine does not lengthen);
the baseline is ``/healthz`` measured the same way, in turns with the pages.

Page weight is what a first load downloads with ``Accept-Encoding: gzip``: the HTML and
every stylesheet, script and image it names, compressed bytes; its baseline is the same
bytes uncompressed.
Targets: render p95 under 50 ms, page weight under 150 KB.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.harness import (
    Figure,
    bench_settings,
    data_directory,
    log_to_file,
    machine,
    percentile,
    print_figures,
    serve_inline,
    write_json,
)
from domain.appraisal import (
    ApproveTargets,
    DraftTargets,
    GiveFeedback,
    LogActivity,
    OpenAppraisal,
    PositionKind,
    ReportProgress,
    SubmitSelfAssessment,
    SubmitTargets,
)
from domain.authorization import Actor, Parties, Role
from domain.policy import POLICY_6_2022, FunctionalLevel, default_calendar
from domain.skp import DailyActivity, Feedback, ProgressReport, SelfAssessment, Skp
from kinerja.demo import PEOPLE
from kinerja.devstack import dev_stack
from web import DevPerson, WebSettings
from workflows.appraisal.contract import workflow_id

UNIT = "bench-unit"
PAGES = ("home", "appraisal", "skp editor", "inbox", "trail")
RENDER_TARGET_MS = 50.0
WEIGHT_TARGET_KB = 150.0


class ServerTimer:
    """ASGI wrapper: the seconds of each HTTP request, from the call to the last byte, and
    the CPU seconds of the event loop's thread meanwhile (what the machine's other load
    does not lengthen; PostgreSQL's own work not included)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.last = 0.0
        self.last_cpu = 0.0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, started_cpu = time.perf_counter(), time.thread_time()

        async def timed_send(message: Any) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self.last = time.perf_counter() - started
                self.last_cpu = time.thread_time() - started_cpu

        await self.app(scope, receive, timed_send)


def skp(rhk: int = 5, indicators: int = 3) -> Skp:
    return Skp.model_validate({"approach": "kuantitatif", "rhk": [
        {"id": f"rhk-{r}", "kind": "utama" if r < 3 else "tambahan",
         "description": f"Rencana hasil kerja nomor {r} untuk layanan informasi publik",
         "indicators": [
             {"id": f"ind-{r}-{i}", "description": f"Indikator {i} dari RHK {r}",
              "aspect": "kuantitas", "target": {"value": str(10 * (i + 1)), "unit": "dokumen"}}
             for i in range(indicators)]}
        for r in range(rhk)]})


async def fill(service: Any, agency: str, appraisees: int) -> dict[str, str]:
    """The agency's appraisals; the paths of the pages measured."""
    now = datetime.now(UTC)
    cycle = f"{agency}-{now.year}"
    calendar = default_calendar(now.year, POLICY_6_2022).model_copy(update={
        "skp_deadline": now + timedelta(days=30),
        "self_assessment_deadline": now + timedelta(days=60),
        "review_deadline": now + timedelta(days=90)})
    people = {p.role: p for p in PEOPLE}

    def actor(who: str) -> Actor:
        person = people[who]
        return Actor(subject=person.key, roles=frozenset(Role(r) for r in person.roles),
                     agency=agency, unit=UNIT, agencies=frozenset(
                         agency for _ in person.agencies))

    async def open_for(employee: str) -> str:
        command = OpenAppraisal(
            appraisal_id=workflow_id(cycle, employee), cycle_id=cycle,
            parties=Parties(agency=agency, unit=UNIT, employee=employee,
                            appraiser=people["appraiser"].key,
                            superior=people["superior"].key),
            policy=POLICY_6_2022, calendar=calendar, position_kind=PositionKind.FUNCTIONAL,
            functional_level=FunctionalLevel.AHLI_PERTAMA)
        await service.open(actor("hr"), command, f"open-{command.appraisal_id}")
        return command.appraisal_id

    def key() -> str:
        return uuid.uuid4().hex

    mine = await open_for(people["employee"].key)
    await service.command(actor("employee"), mine, DraftTargets(skp=skp()), key())
    reviewed = await open_for("e-9000")
    for n in range(max(0, appraisees - 2)):
        await open_for(f"e-{9001 + n}")
    # The appraisal in review: its employee acts through the use cases as e-9000.
    employee = Actor(subject="e-9000", roles=frozenset({Role.EMPLOYEE}), agency=agency,
                     unit=UNIT, agencies=frozenset())
    await service.command(employee, reviewed, DraftTargets(skp=skp()), key())
    await service.command(employee, reviewed, SubmitTargets(), key())
    await service.command(actor("appraiser"), reviewed, ApproveTargets(), key())
    for day in range(10):
        await service.command(employee, reviewed, LogActivity(activity=DailyActivity(
            day=(now - timedelta(days=day)).date(), rhk_id=f"rhk-{day % 5}",
            description=f"Kegiatan harian nomor {day}", minutes=90)), key())
    await service.command(employee, reviewed, ReportProgress(report=ProgressReport.model_validate(
        {"period": now.strftime("%Y-%m"), "realisations": [
            {"indicator_id": f"ind-{r}-{i}", "value": "5"} for r in range(5)
            for i in range(3)]})), key())
    await service.command(actor("appraiser"), reviewed, GiveFeedback(
        feedback=Feedback(text="Pertahankan.")), key())
    await service.command(employee, reviewed, SubmitSelfAssessment(
        assessment=SelfAssessment.model_validate({
            "ratings": [{"rhk_id": f"rhk-{r}", "proposed": "meets"} for r in range(5)],
            "narrative": "Target tercapai."})), key())
    return {"home": "/", "appraisal": f"/penilaian/{reviewed}",
            "skp editor": f"/penilaian/{mine}", "inbox": "/",
            "trail": f"/penilaian/{reviewed}/riwayat"}


async def sign_in(url: str, person: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=url, timeout=30)
    page = await client.get("/masuk/dev")
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    if match is None:
        raise RuntimeError("no CSRF token on the sign-in page")
    answer = await client.post("/masuk/dev", data={"csrf": match[1], "person": person,
                                                  "next": "/"})
    if answer.status_code != 303:
        raise RuntimeError(f"sign-in as {person}: {answer.status_code}")
    return client


async def weight(client: httpx.AsyncClient, path: str) -> tuple[int, int]:
    """Compressed and uncompressed bytes of a first load of ``path``."""
    async with client.stream("GET", path, headers={"accept-encoding": "gzip"}) as r:
        body = await r.aread()
        compressed, plain, html = r.num_bytes_downloaded, len(body), body.decode()
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    for asset in dict.fromkeys(assets):
        async with client.stream("GET", asset, headers={"accept-encoding": "gzip"}) as r:
            body = await r.aread()
            compressed += r.num_bytes_downloaded
            plain += len(body)
    return compressed, plain


async def run(args: argparse.Namespace) -> list[Figure]:
    run_id = uuid.uuid4().hex[:8]
    agency = f"bench-web-{run_id}"
    people = tuple(DevPerson(key=p.key, name=p.name, roles=p.roles, agency=agency, unit=UNIT,
                             agencies=tuple(agency for _ in p.agencies)) for p in PEOPLE)
    web = WebSettings(session_secret="bench-web-session-secret-" + "z" * 32, development=True,
                      secure_cookies=False, demo_people=people)
    timer: list[ServerTimer] = []

    def wrap(app: Any) -> Any:
        timer.append(ServerTimer(app))
        return timer[0]

    async with data_directory("kinerja-bench-web-", keep=args.keep) as base:
        settings = bench_settings(base, f"bench-web-{run_id}")
        log_to_file(base / "kinerja.log")
        print(f"data in {base}", file=sys.stderr)
        async with dev_stack(settings) as stack, \
                serve_inline(settings, stack, wrap_app=wrap, web=web) as served:
            paths = await fill(served.app.state.kinerja.appraisals, agency, args.appraisees)
            employee = await sign_in(served.url, "e-0001")
            appraiser = await sign_in(served.url, "e-0002")
            clients = {"home": employee, "appraisal": appraiser, "skp editor": employee,
                       "inbox": appraiser, "trail": appraiser}
            try:
                return await measure(args, paths, clients, timer[0])
            finally:
                for client in (employee, appraiser):
                    await client.aclose()


async def measure(args: argparse.Namespace, paths: dict[str, str],
                  clients: dict[str, httpx.AsyncClient], timer: ServerTimer) -> list[Figure]:
    seconds: dict[str, list[float]] = {page: [] for page in (*PAGES, "healthz")}
    cpu: dict[str, list[float]] = {page: [] for page in seconds}
    gzip = {"accept-encoding": "gzip"}

    def request(page: str) -> Callable[[], Awaitable[httpx.Response]]:
        client = clients.get(page, clients["home"])
        path = paths.get(page, "/healthz")
        return lambda: client.get(path, headers=gzip)

    for turn in range(args.warmups + args.requests):
        for page in seconds:  # in turns: a slow spell of the machine hits every page
            answer = await request(page)()
            if answer.status_code != 200:
                raise RuntimeError(f"{page}: {answer.status_code}")
            if turn >= args.warmups:
                seconds[page].append(timer.last)
                cpu[page].append(timer.last_cpu)
    base = seconds.pop("healthz")
    figures: list[Figure] = []
    for q in (50, 95, 99):
        baseline = percentile(base, q) * 1000
        for page in PAGES:
            value = percentile(seconds[page], q) * 1000
            figures.append(Figure(f"render p{q} {page}", value, "ms", baseline, extra={
                "target": f"< {RENDER_TARGET_MS:.0f} ms" if q == 95 else ""}))
    for q in (50, 95):
        baseline = percentile(cpu["healthz"], q) * 1000
        for page in PAGES:
            figures.append(Figure(f"render CPU p{q} {page}", percentile(cpu[page], q) * 1000,
                                  "ms", baseline))
    for page in PAGES:
        compressed, plain = await weight(clients[page], paths[page])
        figures.append(Figure(f"first load {page}", compressed / 1000, "KB", plain / 1000,
                              extra={"target": f"< {WEIGHT_TARGET_KB:.0f} KB"}))
    print(f"\nKinerja pages bench: {args.requests} requests of each page (after "
          f"{args.warmups} warm-ups), one at a time; {machine()}")
    print_figures(figures, extra=["target"])
    print("baselines: render: /healthz measured the same way, in turns with the pages; "
          "first load: the same bytes uncompressed. Render CPU: CPU time of the server's "
          "event-loop thread during the request (PostgreSQL's work not included)")
    worst = max(f.value for f in figures if f.name.startswith("render p95"))
    heaviest = max(f.value for f in figures if f.name.startswith("first load"))
    print(f"target: render p95 at most {worst:.1f} ms "
          f"({'meets' if worst < RENDER_TARGET_MS else 'misses'} < {RENDER_TARGET_MS:.0f} ms);"
          f" first load at most {heaviest:.1f} KB "
          f"({'meets' if heaviest < WEIGHT_TARGET_KB else 'misses'} "
          f"< {WEIGHT_TARGET_KB:.0f} KB)")
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmups", type=int, default=20)
    parser.add_argument("--appraisees", type=int, default=30,
                        help="appraisals on the appraiser's Beranda (the inbox)")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    args = parser.parse_args(argv)
    write_json(args.json, asyncio.run(run(args)))


if __name__ == "__main__":
    main()
