"""Benchmark of whole appraisal lifecycles over HTTP against the raw Temporal update ceiling.

    .venv/bin/python -m bench.lifecycle [--appraisals N] [--clients C] [--single N1]
        [--rounds R] [--serve inline|subprocess|split] [--json FILE]
        [--diagnose] [--breakdown] [--profile FILE] [--keep]

Starts the stack of ``kinerja dev`` in a temporary directory with
``kinerja.devstack.dev_stack``: an embedded PostgreSQL with its default
durability and the Temporal development server with the project's SQLite
pragmas (each unless ``KINERJA_DATABASE_URL`` / ``KINERJA_TEMPORAL_ADDRESS``
names a running one), then the worker and the API on free loopback ports:

- ``--serve inline`` (the default): the worker and the API (uvicorn) in this
  process, wired as ``kinerja dev`` wires them, beside the load generator;
- ``--serve subprocess``: ``kinerja dev`` itself in a child process;
- ``--serve split``: ``kinerja api`` and ``kinerja worker`` in two children.

Logging is ``kinerja dev``'s (structlog JSON at INFO), written to a file in the
data directory. Workloads, on the same servers:

- lifecycle, C clients (``--clients``, default 16): N appraisals
  (``--appraisals``, default 200), each driven through its whole life by one of
  C concurrent clients (each its own HTTP connection and its own appraisals,
  one after the other) with aiohttp over real HTTP: open (HR), save and submit
  the SKP, approve, progress, a daily activity, feedback, self-assessment,
  review, release, then either the objection, a request for explanations and
  the decision (even appraisals, 13 commands) or the acceptance (odd ones, 11):
  12 commands on average, each with a bearer token and an ``Idempotency-Key``;
- raw, C clients: as many workflows and updates, from as many concurrent
  clients, straight through the Temporal client (no HTTP, no database) to a
  trivial workflow defined here whose update handler does nothing. Each
  workflow is started by its first update (update-with-start, like the API's
  open) and completed by its last, as an appraisal is;
- the same two with one client (``--single`` appraisals, default 20).

Each workload is split into ``--rounds`` (default 4), lifecycle and raw taking
turns, so that a slow spell of the machine hits both. Figures: commands
(updates) per second over the summed wall time, client-side latency
percentiles of one command, the ratio lifecycle commands/s over raw updates/s
(targets: >= 0.7; single-client p50 under 60 ms), p50 by command, CPU
milliseconds per command of each process (from /proc: this one, by thread;
the children; the Temporal server; PostgreSQL) and the history of one workflow.

Diagnosis: ``--diagnose`` adds a third workload, the same commands through the
``AppraisalClient`` from this process (no HTTP, no authentication, no
read-model reads); ``--breakdown`` (inline) times the API's reads and its
Temporal call (timing proxies set on the application the bench builds) and each
activity (a Temporal interceptor on the bench's client); ``--profile FILE`` writes a
cProfile of this process's event loop thread during the C-client lifecycle.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from temporalio import activity, workflow
from temporalio import client as temporal_client
from temporalio import worker as temporal_worker
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.worker import Worker

from api.auth import mint_token
from bench.harness import (
    BenchError,
    CpuMeter,
    Figure,
    bench_settings,
    command_line_containing,
    data_directory,
    log_to_file,
    machine,
    percentile,
    print_table,
    serve_children,
    serve_inline,
    thread_kinds,
    write_json,
)
from kinerja.devstack import DevStack, dev_stack
from kinerja.settings import Settings
from kinerja.worker import WORKFLOW_RUNNER, connect_temporal

UNIT = "diskominfo"
YEAR = datetime.now(UTC).year
UPDATE_RPC_TIMEOUT = timedelta(seconds=60)
HTTP_TIMEOUT = 60.0
TARGET_RATIO = 0.7
TARGET_SINGLE_P50_MS = 60.0


# --------------------------------------------------------------------------- #
# The lifecycle (bodies as in tests/lifecycle/conftest.py)

SKP = {
    "approach": "kuantitatif",
    "rhk": [
        {"id": "rhk-1", "kind": "utama", "description": "Layanan informasi publik",
         "indicators": [{"id": "ind-1", "description": "Permohonan terlayani",
                         "aspect": "kuantitas", "target": {"value": "120", "unit": "permohonan"}}]},
        {"id": "rhk-2", "kind": "utama", "description": "Pengelolaan situs web",
         "indicators": [{"id": "ind-2", "description": "Konten dimutakhirkan",
                         "aspect": "waktu", "target": {"value": "52", "unit": "minggu"}}]},
        {"id": "rhk-3", "kind": "tambahan", "description": "Pelatihan internal",
         "indicators": [{"id": "ind-3", "description": "Sesi pelatihan",
                         "aspect": "kuantitas", "target": {"value": "4", "unit": "sesi"}}]},
    ],
}
CORE_VALUES = ["berorientasi_pelayanan", "akuntabel", "kompeten", "harmonis", "loyal",
               "adaptif", "kolaboratif"]
PROGRESS = {
    "period": f"{YEAR}-01",
    "realisations": [{"indicator_id": "ind-1", "value": "12"}],
    "evidence": [{"kind": "link", "description": "Rekap Januari",
                  "url": "https://arsip.example/rekap-januari"}],
}
ACTIVITY = {"day": f"{YEAR}-01-15", "rhk_id": "rhk-1", "description": "Melayani 5 permohonan"}
FEEDBACK = {"text": "Pertahankan kecepatan layanan.", "rhk_id": "rhk-1"}
SELF_ASSESSMENT = {
    "ratings": [{"rhk_id": f"rhk-{i}", "proposed": "above"} for i in (1, 2, 3)],
    "narrative": "Semua target tercapai.",
}
REVIEW = {
    "rhk": [{"rhk_id": f"rhk-{i}", "rating": "meets"} for i in (1, 2, 3)],
    "values": [{"value": v, "rating": "meets"} for v in CORE_VALUES],
}
RELEASE = {"exception_reason": "Penilaian di luar siklus; unitnya tidak dirilis."}
"""A single appraisal, not in a released unit: its release needs a justified exception."""
OBJECTION = {"reasons": "Bukti dukung RHK 1 tidak dipertimbangkan."}
EXPLANATIONS = {"parties": ["appraiser"], "questions": "Dasar penilaian RHK 1?"}
DECISION = {"outcome": "uphold", "reason": "Penilaian sesuai bukti."}


@dataclass(frozen=True)
class Step:
    """One command: its route (below the appraisal's path; the open has none), who sends it."""

    name: str
    method: str
    path: str | None
    who: str  # employee, appraiser, superior, hr
    body: Any = None
    status: int = 200


COMMON_STEPS = (
    Step("open", "POST", None, "hr", status=201),
    Step("targets", "PUT", "/targets", "employee", SKP),
    Step("submit", "POST", "/targets/submit", "employee"),
    Step("approve", "POST", "/targets/approve", "appraiser"),
    Step("progress", "POST", "/progress", "employee", PROGRESS),
    Step("activity", "POST", "/activities", "employee", ACTIVITY),
    Step("feedback", "POST", "/feedback", "appraiser", FEEDBACK),
    Step("self-assessment", "POST", "/self-assessment", "employee", SELF_ASSESSMENT),
    Step("review", "POST", "/review", "appraiser", REVIEW),
    Step("release", "POST", "/release", "hr", RELEASE),
)
OBJECTION_STEPS = (
    Step("objection", "POST", "/objection", "employee", OBJECTION),
    Step("explanations", "POST", "/objection/explanations", "superior", EXPLANATIONS),
    Step("decision", "POST", "/objection/decision", "superior", DECISION),
)
ACCEPT_STEPS = (Step("accept", "POST", "/accept", "employee"),)
STEP_NAMES = [s.name for s in (*COMMON_STEPS, *ACCEPT_STEPS, *OBJECTION_STEPS)]


def lifecycle(index: int) -> tuple[Step, ...]:
    """Even appraisals end with an objection decided (13 commands), odd ones accepted (11)."""
    return COMMON_STEPS + (OBJECTION_STEPS if index % 2 == 0 else ACCEPT_STEPS)


def open_body(agency: str, employee: str, appraiser: str, superior: str) -> dict[str, Any]:
    """An appraisal whose deadlines lie ahead of now."""
    now = datetime.now(UTC)
    return {
        "employee": employee, "appraiser": appraiser, "superior": superior,
        "agency": agency, "unit": UNIT, "year": YEAR,
        "calendar": {
            "skp_deadline": (now + timedelta(days=30)).isoformat(),
            "self_assessment_deadline": (now + timedelta(days=60)).isoformat(),
            "review_deadline": (now + timedelta(days=90)).isoformat(),
        },
    }


# --------------------------------------------------------------------------- #
# Measurements


@dataclass
class Result:
    """One workload: its latencies (seconds) by step, its wall time and CPU."""

    name: str
    clients: int
    appraisals: int
    seconds: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    cpu: dict[str, float] = field(default_factory=dict)
    baseline: Result | None = None
    """The raw workload this one is compared with."""
    rounds: list[tuple[int, float]] = field(default_factory=list)
    """(commands, seconds) of each round."""

    def round_rate(self, number: int) -> float:
        commands, seconds = self.rounds[number]
        return commands / seconds

    def record(self, step: str, seconds: float) -> None:
        self.latencies[step].append(seconds)

    @property
    def all(self) -> list[float]:
        return sorted(s for values in self.latencies.values() for s in values)

    @property
    def commands(self) -> int:
        return sum(len(values) for values in self.latencies.values())

    @property
    def rate(self) -> float:
        return self.commands / self.seconds

    def ms(self, q: float, step: str | None = None) -> float:
        values = sorted(self.latencies[step]) if step else self.all
        return percentile(values, q) * 1000


def cpu_meter(stack: DevStack, settings: Settings, children: dict[str, int]) -> CpuMeter:
    """This process by thread, the serving child processes, and the servers the stack
    started (found by their data directories on their command lines)."""
    meter = CpuMeter(this_process="bench process", by_thread=thread_kinds())
    for name, pid in children.items():
        meter.watch(name, pid)
    if stack.started_temporal:
        meter.watch("temporal server",
                    command_line_containing(str(settings.temporal_db_file.resolve())))
    if stack.started_postgres:
        meter.watch("postgres", command_line_containing(str(settings.postgres_dir.resolve())))
    return meter


# --------------------------------------------------------------------------- #
# The raw ceiling: a workflow whose update handler does nothing


@workflow.defn(name="BenchNoopWorkflow")
class NoopWorkflow:
    """Waits until an update says it is the last one; the handler does nothing else."""

    def __init__(self) -> None:
        self._done = False

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: self._done)
        await workflow.wait_condition(workflow.all_handlers_finished)

    @workflow.update
    async def command(self, last: bool) -> int:
        if last:
            self._done = True
        return 0


def noop_worker(client: Client, run_id: str) -> Worker:
    """A worker of the trivial workflow, run as Kinerja's worker runs the appraisal
    workflow (``kinerja.worker.WORKFLOW_RUNNER``), so the baseline pays what ours does."""
    return Worker(client, task_queue=f"bench-noop-{run_id}", workflows=[NoopWorkflow],
                  workflow_runner=WORKFLOW_RUNNER)


async def drive_raw(client: Client, task_queue: str, tag: str, indices: list[int],
                    result: Result) -> None:
    """One client: each of its workflows started by its first update, completed by its last."""
    for index in indices:
        count = len(lifecycle(index))
        workflow_id = f"bench-noop-{tag}-{index:05d}"
        start = WithStartWorkflowOperation(
            NoopWorkflow.run, id=workflow_id, task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING)
        started = time.perf_counter()
        await client.execute_update_with_start_workflow(
            NoopWorkflow.command, False, start_workflow_operation=start,
            id=uuid.uuid4().hex, rpc_timeout=UPDATE_RPC_TIMEOUT)
        result.record("open", time.perf_counter() - started)
        handle = client.get_workflow_handle_for(NoopWorkflow.run, workflow_id)
        for k in range(1, count):
            started = time.perf_counter()
            await handle.execute_update(NoopWorkflow.command, k == count - 1,
                                        id=uuid.uuid4().hex, rpc_timeout=UPDATE_RPC_TIMEOUT)
            result.record("update", time.perf_counter() - started)


# --------------------------------------------------------------------------- #
# The lifecycle over HTTP


class Tokens:
    """Bearer tokens of the people of one run, minted once each."""

    def __init__(self, settings: Settings, agency: str) -> None:
        self._settings = settings.token_settings()
        self._agency = agency
        self._cache: dict[tuple[str, bool], str] = {}

    def header(self, subject: str, hr: bool = False) -> str:
        key = (subject, hr)
        if key not in self._cache:
            token = mint_token(self._settings, subject=subject,
                               roles=("employee", "hr") if hr else ("employee",),
                               agency=self._agency, unit=UNIT,
                               agencies=(self._agency,) if hr else ())
            self._cache[key] = f"Bearer {token}"
        return self._cache[key]


async def drive_lifecycles(http: aiohttp.ClientSession, tokens: Tokens, agency: str, tag: str,
                           client: int, indices: list[int], result: Result) -> None:
    """One client: its appraisals, one after the other, each through its whole life."""
    people = {"appraiser": f"e-boss-{tag}-{client:02d}", "superior": f"e-head-{tag}",
              "hr": "e-hr"}
    for index in indices:
        employee = f"e-{tag}-{index:05d}"
        people["employee"] = employee
        base = f"/v1/appraisals/appraisal-{agency}-{YEAR}-{employee}"
        final: dict[str, Any] | None = None
        for step in lifecycle(index):
            if step.path is None:
                url = "/v1/appraisals"
                body: Any = open_body(agency, employee, people["appraiser"], people["superior"])
            else:
                url, body = base + step.path, step.body
            headers = {"Authorization": tokens.header(people[step.who], hr=step.who == "hr"),
                       "Idempotency-Key": uuid.uuid4().hex}
            started = time.perf_counter()
            async with http.request(step.method, url, json=body, headers=headers) as response:
                text = await response.text()
            elapsed = time.perf_counter() - started
            if response.status != step.status:
                raise BenchError(f"{step.name} of {employee}: {response.status} {text[:500]}")
            result.record(step.name, elapsed)
            final = json.loads(text)
        if final is None or final["appraisal"]["phase"] != "final":
            raise BenchError(f"{employee} did not end final: {str(final)[:300]}")


def gateway_commands(agency: str, employee: str, people: dict[str, str],
                     index: int) -> list[tuple[str, Any, Any]]:
    """(step, domain command, actor) of one lifecycle, built as the API's routes build them."""
    from api.schemas import DecisionBody, OpenAppraisalBody, RequestExplanationsBody
    from domain import appraisal as d
    from domain.authorization import Actor, Parties, Role
    from domain.policy import POLICIES, default_calendar
    from domain.skp import (
        DailyActivity,
        Feedback,
        ProgressReport,
        Ratings,
        SelfAssessment,
        Skp,
    )
    from workflows.appraisal.contract import workflow_id

    body = OpenAppraisalBody.model_validate(
        open_body(agency, employee, people["appraiser"], people["superior"]))
    policy = POLICIES[body.policy]
    calendar = default_calendar(body.year, policy, body.utc_offset_hours).model_copy(
        update=body.calendar.model_dump(exclude_none=True))
    cycle_id = f"{body.agency}-{body.year}"
    opening = d.OpenAppraisal(
        appraisal_id=workflow_id(cycle_id, body.employee), cycle_id=cycle_id,
        parties=Parties(agency=body.agency, unit=body.unit, employee=body.employee,
                        appraiser=body.appraiser, superior=body.superior),
        policy=policy, calendar=calendar, position_kind=body.position_kind,
        functional_level=body.functional_level, is_unit_leader=body.is_unit_leader)
    explanations = RequestExplanationsBody.model_validate(EXPLANATIONS)
    commands: dict[str, Any] = {
        "open": opening,
        "targets": d.DraftTargets(skp=Skp.model_validate(SKP)),
        "submit": d.SubmitTargets(),
        "approve": d.ApproveTargets(),
        "progress": d.ReportProgress(report=ProgressReport.model_validate(PROGRESS)),
        "activity": d.LogActivity(activity=DailyActivity.model_validate(ACTIVITY)),
        "feedback": d.GiveFeedback(feedback=Feedback.model_validate(FEEDBACK)),
        "self-assessment": d.SubmitSelfAssessment(
            assessment=SelfAssessment.model_validate(SELF_ASSESSMENT)),
        "review": d.SubmitReview(ratings=Ratings.model_validate(REVIEW)),
        "release": d.ReleaseResult(exception_reason=None),
        "accept": d.AcceptResult(),
        "objection": d.FileObjection(reasons=OBJECTION["reasons"]),
        "explanations": d.RequestExplanations(parties=frozenset(explanations.parties),
                                              questions=explanations.questions),
        "decision": d.DecideObjection(**DecisionBody.model_validate(DECISION).model_dump()),
    }

    def actor(who: str) -> Actor:
        hr = who == "hr"
        return Actor(subject=people[who],
                     roles=frozenset({Role.EMPLOYEE, Role.HR} if hr else {Role.EMPLOYEE}),
                     agency=agency, unit=UNIT, agencies=frozenset({agency} if hr else ()))

    return [(step.name, commands[step.name], actor(step.who)) for step in lifecycle(index)]


async def drive_gateway(gateway: Any, agency: str, tag: str, client: int, indices: list[int],
                        result: Result) -> None:
    """One client of the diagnosis: the same commands through the AppraisalClient
    (one Temporal update each), without HTTP, authentication or read-model reads."""
    people = {"appraiser": f"e-boss-{tag}-{client:02d}", "superior": f"e-head-{tag}",
              "hr": "e-hr"}
    for index in indices:
        employee = f"e-{tag}-{index:05d}"
        people["employee"] = employee
        appraisal_id = f"appraisal-{agency}-{YEAR}-{employee}"
        for name, command, actor in gateway_commands(agency, employee, people, index):
            started = time.perf_counter()
            if name == "open":
                await gateway.open(command, actor, uuid.uuid4().hex)
            else:
                await gateway.send(appraisal_id, command, actor, uuid.uuid4().hex)
            result.record(name, time.perf_counter() - started)


async def timed(result: Result, meter: CpuMeter, clients: list[Awaitable[None]]) -> None:
    """Run the clients together; add their wall time, commands and CPU to ``result``."""
    commands = result.commands
    with meter.measure() as used:
        started = time.perf_counter()
        await asyncio.gather(*clients)
        seconds = time.perf_counter() - started
    result.seconds += seconds
    result.rounds.append((result.commands - commands, seconds))
    for name, cpu in used.items():
        result.cpu[name] = result.cpu.get(name, 0.0) + cpu


def shares(indices: list[int], clients: int) -> list[list[int]]:
    """The appraisal indices of each client (round robin)."""
    return [indices[c::clients] for c in range(clients)]


# --------------------------------------------------------------------------- #
# Breakdown (inline only): the parts of a command inside the API and the worker, timed
# through explicit hooks: proxies set on the application the bench builds, and a
# Temporal interceptor on the bench's client (the worker's activities)

PARTS: dict[str, list[float]] = defaultdict(list)


class _Timed:
    """``inner`` with the named coroutine methods timed into ``PARTS``."""

    def __init__(self, inner: Any, methods: dict[str, str]) -> None:
        self._inner = inner
        self._methods = methods

    def __getattr__(self, attribute: str) -> Any:
        value = getattr(self._inner, attribute)
        part = self._methods.get(attribute)
        if part is None:
            return value

        async def timed_call(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await value(*args, **kwargs)
            finally:
                PARTS[part].append(time.perf_counter() - started)
        return timed_call


def timed_app(app: Any) -> Any:
    """The API with its appraisal use case's read model and Temporal client timed, inside a
    timer of whole requests (the bench's own instances, wrapped; no class is patched)."""
    service = app.state.kinerja.appraisals
    service._read_model = _Timed(service._read_model, {
        "summary": "api: read summary (before)", "view": "api: read state (after)"})
    service._client = _Timed(service._client, {
        "send": "api: Temporal update (send)", "open": "api: Temporal update-with-start (open)"})

    async def whole(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        try:
            await app(scope, receive, send)
        finally:
            PARTS["api: whole request (ASGI)"].append(time.perf_counter() - started)
    return whole


class ActivityTimer(temporal_client.Interceptor, temporal_worker.Interceptor):
    """A client interceptor that is also a worker one: the worker on the bench's client
    times each activity it runs, by activity type."""

    def intercept_activity(self, next: temporal_worker.ActivityInboundInterceptor
                           ) -> temporal_worker.ActivityInboundInterceptor:
        return _TimedActivity(next)


class _TimedActivity(temporal_worker.ActivityInboundInterceptor):
    async def execute_activity(self, input: temporal_worker.ExecuteActivityInput) -> Any:
        started = time.perf_counter()
        try:
            return await super().execute_activity(input)
        finally:
            PARTS[f"activity: {activity.info().activity_type}"].append(
                time.perf_counter() - started)


async def history_shape(client: Client, workflow_id: str) -> dict[str, int]:
    """How many history events of each kind one workflow wrote."""
    counts: dict[str, int] = defaultdict(int)
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    for event in history.events:
        counts[str(event.WhichOneof("attributes")).removesuffix("_event_attributes")] += 1
    return dict(counts)


# --------------------------------------------------------------------------- #
# The run


async def run(args: argparse.Namespace) -> list[Figure]:
    run_id = uuid.uuid4().hex[:8]
    agency = f"bench-{run_id}"
    results: list[Result] = []
    shape: dict[str, dict[str, int]] = {}
    async with data_directory("kinerja-bench-lifecycle-", keep=args.keep) as base:
        settings = bench_settings(base, f"bench-{run_id}")
        log_to_file(base / "kinerja.log")
        print(f"data in {base}; agency {agency}", file=sys.stderr)
        async with dev_stack(settings) as stack:
            client = await connect_temporal(stack.temporal_address, settings.temporal_namespace)
            serving_context = (
                serve_inline(settings, stack, wrap_app=timed_app,
                             interceptors=[ActivityTimer()]) if args.breakdown else
                serve_inline(settings, stack) if args.serve == "inline" else
                serve_children(settings, stack, {"kinerja dev (API+worker)": "dev"})
                if args.serve == "subprocess" else
                serve_children(settings, stack, {"kinerja api": "api", "kinerja worker": "worker"}))
            async with serving_context as serving, noop_worker(client, run_id):
                meter = cpu_meter(stack, settings, serving.children)
                tokens = Tokens(settings, agency)

                async def lifecycle_round(result: Result, tag: str, indices: list[int]) -> None:
                    https = [aiohttp.ClientSession(
                        base_url=serving.url, timeout=aiohttp.ClientTimeout(total=HTTP_TIMEOUT),
                        connector=aiohttp.TCPConnector(limit=1))  # one connection each
                        for _ in range(result.clients)]  # made before the clock starts
                    try:
                        await timed(result, meter, [
                            drive_lifecycles(https[c], tokens, agency, tag, c, part, result)
                            for c, part in enumerate(shares(indices, result.clients))])
                    finally:
                        for http in https:
                            await http.close()

                async def raw_round(result: Result, tag: str, indices: list[int]) -> None:
                    await timed(result, meter, [
                        drive_raw(client, f"bench-noop-{run_id}", f"{run_id}-{tag}", part,
                                  result)
                        for part in shares(indices, result.clients)])

                async def gateway_round(result: Result, tag: str, indices: list[int]) -> None:
                    from workflows.appraisal.client import AppraisalClient

                    gateway = AppraisalClient(client, settings.task_queue)
                    await timed(result, meter, [
                        drive_gateway(gateway, agency, tag, c, part, result)
                        for c, part in enumerate(shares(indices, result.clients))])

                warm = max(2, min(args.clients, 8))
                print(f"warming up: {warm} lifecycles and {warm} raw workflows", file=sys.stderr)
                await lifecycle_round(Result("warm-up", warm, warm), "w", list(range(warm)))
                await raw_round(Result("warm-up", warm, warm), "w", list(range(warm)))
                PARTS.clear()

                plan = [("m", args.appraisals, args.clients), ("s", args.single, 1)]
                profiler = cProfile.Profile() if args.profile else None
                for tag, appraisals, clients in plan:
                    if appraisals <= 0:
                        continue
                    label = f"{clients} client{'s' if clients > 1 else ''}"
                    ours = Result(f"lifecycle HTTP, {label}", clients, appraisals)
                    raw = Result(f"raw Temporal updates, {label}", clients, appraisals)
                    gateway = Result(f"lifecycle gateway, no HTTP, {label}", clients, appraisals)
                    parts: dict[str, list[float]] = defaultdict(list)
                    rounds = max(1, min(args.rounds, appraisals))
                    for number in range(rounds):
                        # Contiguous slices keep the objection/accept mix of each round.
                        indices = list(range(appraisals * number // rounds,
                                             appraisals * (number + 1) // rounds))
                        PARTS.clear()
                        if profiler and tag == "m":
                            profiler.enable()
                        await lifecycle_round(ours, tag, indices)
                        if profiler and tag == "m":
                            profiler.disable()
                        for name, values in PARTS.items():
                            parts[name] += values
                        if args.diagnose:
                            await gateway_round(gateway, tag + "g", indices)
                        await raw_round(raw, tag, indices)
                        print(f"  {label}, round {number + 1}/{rounds}: {len(indices)} "
                              f"appraisals; lifecycle {ours.round_rate(-1):.1f} commands/s, "
                              + (f"gateway {gateway.round_rate(-1):.1f}/s, "
                                 if args.diagnose else "")
                              + f"raw {raw.round_rate(-1):.1f} updates/s", file=sys.stderr)
                    if args.breakdown:
                        print_breakdown(ours, parts)
                    compared = [ours, gateway] if args.diagnose else [ours]
                    for row in compared:
                        row.baseline = raw
                    results += [*compared, raw]
                if profiler:
                    profiler.dump_stats(args.profile)
                shape["lifecycle (objection)"] = await history_shape(
                    client, f"appraisal-{agency}-{YEAR}-e-m-00000")
                shape["raw"] = await history_shape(client, f"bench-noop-{run_id}-m-00000")

    print_results(results, args, shape)
    return to_figures(results)


# --------------------------------------------------------------------------- #
# Output


def print_breakdown(result: Result, parts: dict[str, list[float]]) -> None:
    print(f"  breakdown of {result.name} ({result.commands} commands), wall time inside this "
          "process:", file=sys.stderr)
    for name, values in sorted(parts.items()):
        ordered = sorted(values)
        print(f"    {name:<42}{len(values):>6} x  p50 {percentile(ordered, 50) * 1000:6.1f} ms"
              f"  p95 {percentile(ordered, 95) * 1000:6.1f} ms  total {sum(values):6.1f} s",
              file=sys.stderr)


def print_results(results: list[Result], args: argparse.Namespace,
                  shape: dict[str, dict[str, int]]) -> None:
    print(f"Kinerja lifecycle over HTTP ({args.serve}), Temporal dev server (SQLite WAL, "
          f"synchronous=normal), embedded PostgreSQL (default durability); {machine()}")
    print_table(["workload", "commands", "cmds/s", "p50 ms", "p95 ms", "p99 ms", "baseline",
                 "ratio"],
                [[row.name, row.commands, f"{row.rate:.1f}", f"{row.ms(50):.1f}",
                  f"{row.ms(95):.1f}", f"{row.ms(99):.1f}",
                  f"{row.baseline.rate:.1f}" if row.baseline else "",
                  f"{row.rate / row.baseline.rate:.2f}" if row.baseline else ""]
                 for row in results])
    print("baseline: raw Temporal updates/s of the same run (same server, same concurrency, "
          "same number of workflows and updates; handler does nothing)")
    for row in results:
        if row.baseline is None or not row.name.startswith("lifecycle HTTP"):
            continue
        ratio = row.rate / row.baseline.rate
        verdict = [f"ratio {ratio:.2f} ({'meets' if ratio >= TARGET_RATIO else 'misses'} "
                   f">= {TARGET_RATIO})"]
        if row.clients == 1:
            p50 = row.ms(50)
            met = "meets" if p50 < TARGET_SINGLE_P50_MS else "misses"
            verdict.append(f"p50 {p50:.1f} ms ({met} < {TARGET_SINGLE_P50_MS:.0f} ms)")
        if len(row.rounds) > 1:
            verdict.append("per round " + " ".join(
                f"{row.round_rate(i) / row.baseline.round_rate(i):.2f}"
                for i in range(len(row.rounds))))
        print(f"target, {row.clients} client(s): " + "; ".join(verdict))

    print("\np50 ms by command (open = update-with-start; raw: open, then updates)")
    names = [n for n in STEP_NAMES if any(r.latencies.get(n) for r in results)] + ["update"]
    print_table(["workload", *(n[:8] for n in names)],
                [[row.name, *(f"{row.ms(50, n):.1f}" if row.latencies.get(n) else ""
                              for n in names)] for row in results])

    print("\nCPU ms per command, by process (busy: share of the machine's CPUs over the "
          "workload); this process by thread")
    groups = [g for g in results[0].cpu if not g.startswith(" ")]
    threads = [g for g in results[0].cpu if g.startswith(" ")]
    rows = []
    for row in results:
        busy = sum(row.cpu[g] for g in groups) / (row.seconds * (os.cpu_count() or 1))
        rows.append([row.name,
                     *(f"{row.cpu.get(g, 0.0) * 1000 / row.commands:.2f}" for g in groups),
                     f"{busy:.0%}",
                     *(f"{row.cpu.get(g, 0.0) * 1000 / row.commands:.2f}" for g in threads)])
    print_table(["workload", *groups, "busy", *(g.strip() for g in threads)], rows)
    if shape:
        print("\nhistory events of one workflow: " + "; ".join(
            f"{name}: {sum(counts.values())} ("
            + ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))
            + ")" for name, counts in shape.items()))


def to_figures(results: list[Result]) -> list[Figure]:
    """Commands (or updates) per second and latency percentiles of each workload, against
    the raw workload of the same run."""
    figures: list[Figure] = []
    for row in results:
        base = row.baseline
        unit = "commands/s" if base else "updates/s"
        figures.append(Figure(f"{row.name} {unit}", row.rate, unit,
                              baseline=base.rate if base else None))
        figures += [Figure(f"{row.name} p{q}", row.ms(q), "ms",
                           baseline=base.ms(q) if base else None) for q in (50, 95, 99)]
    return figures


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the table; ``--json FILE`` also writes the figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--appraisals", type=int, default=200,
                        help="appraisals driven by the concurrent clients (default 200)")
    parser.add_argument("--clients", type=int, default=16,
                        help="concurrent clients, each its own appraisals in turn (default 16)")
    parser.add_argument("--single", type=int, default=20,
                        help="appraisals of the single-client workload (default 20; 0: skip)")
    parser.add_argument("--rounds", type=int, default=4,
                        help="split each workload into rounds, lifecycle and raw taking turns, "
                             "so that a slow spell of the machine hits both (default 4)")
    parser.add_argument("--serve", choices=("inline", "subprocess", "split"), default="inline",
                        help="API and worker in this process (inline), `kinerja dev` in a child "
                             "process (subprocess), or `kinerja api` and `kinerja worker` in "
                             "two (split)")
    parser.add_argument("--json", type=Path, help="write the figures as JSON to this file")
    parser.add_argument("--profile", type=Path,
                        help="write a cProfile of this process's event loop thread during the "
                             "C-client lifecycle (workflow activations run in other threads)")
    parser.add_argument("--diagnose", action="store_true",
                        help="also drive the same commands through the AppraisalClient "
                             "in this process (no HTTP, no reads): where the time goes")
    parser.add_argument("--breakdown", action="store_true",
                        help="time the API's reads, its Temporal call and the activity's "
                             "statements (inline only)")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    args = parser.parse_args(argv)
    if args.appraisals < 1 or args.clients < 1 or args.rounds < 1:
        parser.error("--appraisals, --clients and --rounds must be at least 1")
    if args.breakdown and args.serve != "inline":
        parser.error("--breakdown needs --serve inline")
    write_json(args.json, asyncio.run(run(args)))
    if args.profile:
        stats = pstats.Stats(str(args.profile), stream=sys.stderr)
        stats.sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
