"""The reminder workflow on real Temporal servers: exactly once across worker restarts
(development server), and its timers on the time-skipping test server."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from activities.notify import Notifier, ReminderMessage
from domain.appraisal import (
    ApproveTargets,
    DraftTargets,
    OpenAppraisal,
    ReviewPeriod,
    SubmitTargets,
)
from domain.appraisal.periodic import period_deadlines
from domain.authorization import Actor, Parties, Role
from domain.documents import MONTHS, period_label
from domain.policy import POLICY_6_2022, CycleCalendar
from domain.reminders import ReminderPolicy
from domain.skp import Ratings, Skp
from kinerja.reminders import start_reminders
from kinerja.worker import build_worker
from tests.polling import poll_async
from workflows.appraisal.client import AppraisalClient
from workflows.reminders.contract import ReminderConfig, ReminderStart, ReminderStatus
from workflows.reminders.workflow import ReminderWorkflow

from .conftest import SmtpServer, put_contact, put_deadline, sent_rows

DAY = timedelta(days=1)
CORE_VALUES = ["berorientasi_pelayanan", "akuntabel", "kompeten", "harmonis", "loyal",
               "adaptif", "kolaboratif"]
Handle = WorkflowHandle[ReminderWorkflow, None]


def config(**overrides: object) -> ReminderConfig:
    values: dict[str, object] = {"policy": ReminderPolicy(days_before=(7, 1)),
                                 "scan_seconds": 3600.0, "link_base_url": "http://kinerja.test"}
    values.update(overrides)
    return ReminderConfig.model_validate(values)


@asynccontextmanager
async def worker(client: Client, pool: asyncpg.Pool, task_queue: str,
                 notifier: Notifier) -> AsyncIterator[Worker]:
    async with build_worker(client, pool, task_queue=task_queue, notifier=notifier) as running:
        yield running


async def status_when(handle: Handle, check: Callable[[ReminderStatus], bool],
                      within: float = 20.0) -> ReminderStatus:
    """The workflow's status once ``check`` holds; fails after ``within`` seconds."""
    return await poll_async(lambda: handle.query(ReminderWorkflow.status),
                            "the reminder workflow's status passes the check", within=within,
                            until=check)


async def rows_when(pool: asyncpg.Pool, check: Callable[[list[asyncpg.Record]], bool],
                    within: float = 20.0) -> list[asyncpg.Record]:
    return await poll_async(lambda: sent_rows(pool), "the reminders_sent rows pass the check",
                            within=within, until=check)


class Stuck:
    """A notifier that never returns: the process holding it is about to die."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()

    async def send(self, message: ReminderMessage) -> str:
        self.entered.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def test_exactly_once_across_a_worker_restart(
        temporal_dev: WorkflowEnvironment, app_pool: asyncpg.Pool,
        smtp_server: SmtpServer) -> None:
    client, task_queue = temporal_dev.client, f"rem-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    await put_deadline(app_pool, "a-1", now + 3 * DAY)
    await put_deadline(app_pool, "a-2", now + timedelta(hours=12),
                       employee="e-two", kind="self_assessment", phase="self_report")
    await put_contact(app_pool, "e-emp", "siti@pemkot.example")
    await put_contact(app_pool, "e-two", "dua@pemkot.example")
    workflow_id = f"reminders-{task_queue}"
    handle: Handle | None = None
    try:
        async with worker(client, app_pool, task_queue, smtp_server.notifier()):
            handle = await start_reminders(client, config(), task_queue=task_queue,
                                           workflow_id=workflow_id)
            await smtp_server.inbox.wait_for(2)
            await status_when(handle, lambda s: s.totals.sent == 2)
        # the first worker is gone; a second one starts, and start-up runs again
        async with worker(client, app_pool, task_queue, smtp_server.notifier()):
            again = await start_reminders(client, config(), task_queue=task_queue,
                                          workflow_id=workflow_id)
            assert again.result_run_id == handle.result_run_id  # the same run, reconfigured
            before = (await handle.query(ReminderWorkflow.status)).totals.scans
            await handle.signal(ReminderWorkflow.scan_now)
            status = await status_when(handle, lambda s: s.totals.scans >= before + 2)
        assert status.totals.sent == 2
        assert sorted(r.recipients[0] for r in smtp_server.inbox.messages) == [
            "dua@pemkot.example", "siti@pemkot.example"]
        assert [r["status"] for r in await sent_rows(app_pool)] == ["sent", "sent"]
    finally:
        if handle is not None:
            await handle.terminate("test over")


async def test_crash_between_claim_and_send_across_a_worker_restart(
        temporal_dev: WorkflowEnvironment, app_pool: asyncpg.Pool,
        smtp_server: SmtpServer) -> None:
    client, task_queue = temporal_dev.client, f"rem-{uuid.uuid4().hex[:8]}"
    await put_deadline(app_pool, "a-1", datetime.now(UTC) + 3 * DAY)
    await put_contact(app_pool, "e-emp", "siti@pemkot.example")
    stuck = Stuck()
    handle: Handle | None = None
    try:
        async with worker(client, app_pool, task_queue, stuck):
            handle = await start_reminders(client, config(), task_queue=task_queue,
                                           workflow_id=f"reminders-{task_queue}")
            async with asyncio.timeout(20):
                await stuck.entered.wait()  # claimed, and now the worker goes down
        (claimed,) = await sent_rows(app_pool)
        assert (claimed["status"], claimed["attempt"]) == ("sending", 1)
        assert len(smtp_server.inbox) == 0
        async with worker(client, app_pool, task_queue, smtp_server.notifier()):
            (received,) = await smtp_server.inbox.wait_for(1)
            (row,) = await rows_when(app_pool, lambda rows: rows[0]["status"] == "sent")
            await handle.signal(ReminderWorkflow.scan_now)
            status = await status_when(handle, lambda s: s.totals.scans >= 2)
        assert received.recipients == ["siti@pemkot.example"]
        assert row["attempt"] >= 2 and row["tries"] == 2
        assert row["claimed_by"] == claimed["claimed_by"]  # the same activity, retried
        assert status.totals.sent == 1 and len(smtp_server.inbox) == 1
    finally:
        if handle is not None:
            await handle.terminate("test over")


async def test_configure_and_continue_as_new_keep_the_totals(
        temporal_dev: WorkflowEnvironment, app_pool: asyncpg.Pool) -> None:
    client, task_queue = temporal_dev.client, f"rem-{uuid.uuid4().hex[:8]}"
    await put_deadline(app_pool, "a-1", datetime.now(UTC) + 3 * DAY)
    handle: Handle | None = None
    try:
        async with build_worker(client, app_pool, task_queue=task_queue):  # the log notifier
            handle = await client.start_workflow(
                ReminderWorkflow.run, ReminderStart(config=config(), scans_per_run=2),
                id=f"reminders-{task_queue}", task_queue=task_queue)
            first_run = handle.result_run_id
            await status_when(handle, lambda s: s.totals.sent == 1)
            await handle.signal(ReminderWorkflow.configure, config(scan_seconds=7200.0))
            await status_when(handle, lambda s: s.totals.scans == 2)  # then a 2-hour timer
            await handle.signal(ReminderWorkflow.scan_now)  # ends it: the run is done
            status = await status_when(
                client.get_workflow_handle_for(ReminderWorkflow.run, handle.id),
                lambda s: s.totals.scans >= 3 and s.run_scans >= 1)
            description = await client.get_workflow_handle(handle.id).describe()
        assert description.run_id != first_run  # continued as new after two scans
        # the finished run replays, in the SDK's sandbox, against today's code
        history = await client.get_workflow_handle(handle.id, run_id=first_run
                                                   ).fetch_history()
        replayer = Replayer(workflows=[ReminderWorkflow], data_converter=pydantic_data_converter)
        replayed = await replayer.replay_workflow(history, raise_on_replay_failure=True)
        assert replayed.replay_failure is None
        assert status.config.scan_seconds == 7200.0 and status.totals.sent == 1
        assert len(await sent_rows(app_pool)) == 1
    finally:
        if handle is not None:
            await client.get_workflow_handle(handle.id).terminate("test over")


async def test_time_skipping_seven_day_then_one_day_reminder_each_once(
        temporal_time_skipping: WorkflowEnvironment, app_pool: asyncpg.Pool,
        smtp_server: SmtpServer) -> None:
    env = temporal_time_skipping
    client, task_queue = env.client, f"rem-{uuid.uuid4().hex[:8]}"
    agency = f"pemkot-{task_queue}"
    start = await env.get_current_time()
    skp_deadline = start + 10 * DAY
    appraisal_id = f"appraisal-{agency}-{start.year}-e-emp"
    open_command = OpenAppraisal(
        appraisal_id=appraisal_id, cycle_id=f"{agency}-{start.year}",
        parties=Parties(agency=agency, unit="diskominfo", employee="e-emp",
                        appraiser="e-boss", superior="e-head"),
        policy=POLICY_6_2022,
        calendar=CycleCalendar(year=start.year, utc_offset_hours=7, skp_deadline=skp_deadline,
                               self_assessment_deadline=start + 60 * DAY,
                               review_deadline=start + 90 * DAY))
    hr = Actor(subject="e-hr", roles=frozenset({Role.HR}), agencies=frozenset({agency}))
    await put_contact(app_pool, "e-emp", "siti@pemkot.example", agency=agency)
    handle: Handle | None = None
    try:
        async with worker(client, app_pool, task_queue, smtp_server.notifier()):
            gateway = AppraisalClient(client, task_queue)
            await gateway.open(open_command, hr, f"open-{task_queue}")
            handle = await start_reminders(client, config(scan_seconds=86400.0),
                                           task_queue=task_queue,
                                           workflow_id=f"reminders-{task_queue}")

            async def scanned_through(at: datetime) -> ReminderStatus:
                return await status_when(handle, lambda s: s.totals.last_scan_at is not None
                                         and s.totals.last_scan_at >= at
                                         and s.totals.next_scan_at is not None
                                         and s.totals.next_scan_at > at)

            status = await scanned_through(start)
            assert status.totals.last_scan_at is not None  # deadline beyond the horizon:
            assert status.totals.next_scan_at == status.totals.last_scan_at + DAY  # a day on
            await env.sleep(2 * DAY + timedelta(hours=23))  # just before the 7-day mark
            await scanned_through(start + 2 * DAY)
            assert len(smtp_server.inbox) == 0
            await env.sleep(2 * timedelta(hours=1))  # past it
            (seven,) = await smtp_server.inbox.wait_for(1)
            assert seven.recipients == ["siti@pemkot.example"]
            assert "7 hari lagi" in str(seven.message["Subject"])
            await env.sleep(6 * DAY)  # day 9 and an hour: past the 1-day mark
            _, one = await smtp_server.inbox.wait_for(2)
            assert "1 hari lagi" in str(one.message["Subject"])
            await env.sleep(3 * DAY)  # past the deadline itself
            await scanned_through(start + 12 * DAY)
        rows = await sent_rows(app_pool)
        assert [(r["days_before"], r["status"], r["recipient"]) for r in rows] == [
            (7, "sent", "e-emp"), (1, "sent", "e-emp")]
        # each was sent by a scan at its threshold (in the workflow's skipped time), not up
        # to a scan interval (a day here) later: the timer aims at the next threshold
        for row, mark in zip(rows, (skp_deadline - 7 * DAY, skp_deadline - DAY), strict=True):
            assert timedelta(0) <= row["scanned_at"] - mark < timedelta(minutes=1)
        assert len(smtp_server.inbox) == 2
        assert seven.message_id != one.message_id
    finally:
        if handle is not None:
            await handle.terminate("test over")
        await client.get_workflow_handle(appraisal_id).terminate("test over")


SKP = {
    "approach": "kuantitatif",
    "rhk": [{"id": "rhk-1", "kind": "utama", "description": "Layanan informasi publik",
             "indicators": [{"id": "ind-1", "description": "Permohonan terlayani",
                             "aspect": "kuantitas",
                             "target": {"value": "120", "unit": "permohonan"}}]}],
}


def _appraisal(task_queue: str, start: datetime, self_assessment_days: int,
               review_days: int) -> tuple[str, str, OpenAppraisal, Callable[..., Actor]]:
    """An agency of its own, the opening of e-emp's appraisal (appraiser e-boss) with the
    SKP due in 10 days and the other deadlines as given, and a maker of its people:
    (agency, appraisal id, the opening, person)."""
    agency = f"pemkot-{task_queue}"
    appraisal_id = f"appraisal-{agency}-{start.year}-e-emp"
    parties = Parties(agency=agency, unit="diskominfo", employee="e-emp", appraiser="e-boss",
                      superior="e-head")
    opening = OpenAppraisal(
        appraisal_id=appraisal_id, cycle_id=f"{agency}-{start.year}", parties=parties,
        policy=POLICY_6_2022,
        calendar=CycleCalendar(year=start.year, utc_offset_hours=7,
                               skp_deadline=start + 10 * DAY,
                               self_assessment_deadline=start + self_assessment_days * DAY,
                               review_deadline=start + review_days * DAY))

    def person(key: str, *roles: Role) -> Actor:
        return Actor(subject=key, roles=frozenset(roles or {Role.EMPLOYEE}), agency=agency,
                     unit="diskominfo", agencies=frozenset({agency}))

    return agency, appraisal_id, opening, person


async def test_time_skipping_reminders_follow_whoever_must_act(
        temporal_time_skipping: WorkflowEnvironment, app_pool: asyncpg.Pool,
        smtp_server: SmtpServer) -> None:
    """Through the real appraisal workflow: the employee is reminded of the SKP; once it is
    submitted the appraiser must act and is reminded at the next scan (a new person: the
    latest threshold reached, 7 days) and at the 1-day mark; then the employee of the
    self-assessment."""
    env = temporal_time_skipping
    client, task_queue = env.client, f"rem-{uuid.uuid4().hex[:8]}"
    start = await env.get_current_time()
    agency, appraisal_id, open_command, person = _appraisal(task_queue, start, 20, 90)
    for key, address in (("e-emp", "siti@pemkot.example"), ("e-boss", "budi@pemkot.example")):
        await put_contact(app_pool, key, address, agency=agency)
    gateway = AppraisalClient(client, task_queue)
    handle: Handle | None = None
    try:
        async with worker(client, app_pool, task_queue, smtp_server.notifier()):
            await gateway.open(open_command, person("e-hr", Role.HR), f"open-{task_queue}")
            handle = await start_reminders(client, config(scan_seconds=6 * 3600.0),
                                           task_queue=task_queue,
                                           workflow_id=f"reminders-{task_queue}")
            await env.sleep(3 * DAY + timedelta(hours=1))
            (skp,) = await smtp_server.inbox.wait_for(1)
            await gateway.send(appraisal_id, DraftTargets(skp=Skp.model_validate(SKP)),
                               person("e-emp"), f"draft-{task_queue}")
            await gateway.send(appraisal_id, SubmitTargets(), person("e-emp"),
                               f"submit-{task_queue}")
            await env.sleep(6 * DAY)  # day 9 and an hour
            _, submitted, approve = await smtp_server.inbox.wait_for(3)
            await gateway.send(appraisal_id, ApproveTargets(), person("e-boss"),
                               f"approve-{task_queue}")
            await env.sleep(4 * DAY)  # day 13 and an hour: 7 days before the self-assessment
            *_, assess = await smtp_server.inbox.wait_for(4)
        assert skp.recipients == ["siti@pemkot.example"]
        assert "Susun dan ajukan" in skp.message.get_content()
        assert submitted.recipients == approve.recipients == ["budi@pemkot.example"]
        assert "7 hari lagi" in str(submitted.message["Subject"])
        assert "1 hari lagi" in str(approve.message["Subject"])
        assert "Setujui atau kembalikan SKP" in approve.message.get_content()
        assert assess.recipients == ["siti@pemkot.example"]
        assert "penilaian mandiri" in str(assess.message["Subject"])
        rows = await sent_rows(app_pool)
        assert [(r["deadline_kind"], r["days_before"], r["recipient"]) for r in rows] == [
            ("skp", 7, "e-emp"), ("skp", 7, "e-boss"), ("skp", 1, "e-boss"),
            ("self_assessment", 7, "e-emp")]
        assert len(smtp_server.inbox) == 4
    finally:
        if handle is not None:
            await handle.terminate("test over")
        await client.get_workflow_handle(appraisal_id).terminate("test over")


async def test_time_skipping_the_running_period_reminds_its_appraiser_until_reviewed(
        temporal_time_skipping: WorkflowEnvironment, app_pool: asyncpg.Pool,
        smtp_server: SmtpServer) -> None:
    """Periodic appraisal (PermenPAN-RB 6/2022, quarterly) through the real appraisal
    workflow: the SKP approved, the read model names the running period and its due date;
    the appraiser is reminded 7 days before it, in Indonesian, naming the period and the
    date in the agency's zone; the period reviewed, no 1-day reminder follows."""
    env = temporal_time_skipping
    client, task_queue = env.client, f"rem-{uuid.uuid4().hex[:8]}"
    start = await env.get_current_time()
    # The annual deadlines far beyond the period's.
    agency, appraisal_id, open_command, person = _appraisal(task_queue, start, 400, 430)
    await put_contact(app_pool, "e-boss", "budi@pemkot.example", agency=agency)
    gateway = AppraisalClient(client, task_queue)
    handle: Handle | None = None
    try:
        async with worker(client, app_pool, task_queue, smtp_server.notifier()):
            await gateway.open(open_command, person("e-hr", Role.HR), f"open-{task_queue}")
            for command, who in ((DraftTargets(skp=Skp.model_validate(SKP)), "e-emp"),
                                 (SubmitTargets(), "e-emp"), (ApproveTargets(), "e-boss")):
                await gateway.send(appraisal_id, command, person(who),
                                   f"{command.kind}-{task_queue}")
            row = await app_pool.fetchrow(
                "SELECT next_period, next_period_due_at FROM appraisal_summaries"
                " WHERE appraisal_id = $1", appraisal_id)
            approved_at = await env.get_current_time()
            schedule = period_deadlines(POLICY_6_2022, start.year, 7, approved_at)
            assert schedule
            period = min(schedule)
            due = schedule[period]
            assert (row["next_period"], row["next_period_due_at"]) == (period, due)
            handle = await start_reminders(client, config(scan_seconds=86400.0),
                                           task_queue=task_queue,
                                           workflow_id=f"reminders-{task_queue}")

            async def scanned_through(at: datetime) -> ReminderStatus:
                return await status_when(handle, lambda s: s.totals.last_scan_at is not None
                                         and s.totals.last_scan_at >= at
                                         and s.totals.next_scan_at is not None
                                         and s.totals.next_scan_at > at)

            await env.sleep(due - 7 * DAY + timedelta(hours=1) - approved_at)
            (week,) = await smtp_server.inbox.wait_for(1)
            label = period_label("quarterly", period, start.year)
            local = due.astimezone(ZoneInfo("Asia/Jakarta"))
            assert week.recipients == ["budi@pemkot.example"]
            subject = str(week.message["Subject"])
            assert f"penilaian kinerja periodik {label}" in subject and "7 hari lagi" in subject
            body = week.message.get_content()
            assert f"Berikan penilaian kinerja periodik {label} untuk pegawai e-emp" in body
            assert f"{local.day} {MONTHS[local.month - 1]} {local.year} pukul " \
                   f"{local:%H.%M} WIB" in body
            # the period has ended (10 days before its due date): the appraiser reviews it
            ratings = Ratings.model_validate({
                "rhk": [{"rhk_id": "rhk-1", "rating": "meets"}],
                "values": [{"value": v, "rating": "meets"} for v in CORE_VALUES]})
            await gateway.send(appraisal_id, ReviewPeriod(
                period=period, ratings=ratings, feedback="Capaian triwulan baik."),
                person("e-boss"), f"period-{task_queue}")
            after = await app_pool.fetchrow(
                "SELECT next_period, next_period_due_at FROM appraisal_summaries"
                " WHERE appraisal_id = $1", appraisal_id)
            following = sorted(p for p in schedule if p > period)
            assert after["next_period"] == (following[0] if following else None)
            await env.sleep(7 * DAY)  # past the 1-day mark and the due date itself
            await scanned_through(due)
        rows = await sent_rows(app_pool)
        assert [(r["deadline_kind"], r["days_before"], r["recipient"]) for r in rows] == [
            ("period_review", 7, "e-boss")]
        assert f"|period_{period}|" in rows[0]["readable_key"]
        assert len(smtp_server.inbox) == 1
    finally:
        if handle is not None:
            await handle.terminate("test over")
        await client.get_workflow_handle(appraisal_id).terminate("test over")
