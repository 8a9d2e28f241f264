"""Notifications over a real PostgreSQL, a real Temporal server and a real SMTP server:
each event kind tells the right person exactly once, also when the sender dies in the
middle and when the worker starts again; a person's preference silences information
only."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import asyncpg
from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from activities.notifications import NotificationActivities
from activities.notify import Message, Notifier
from domain.appraisal import DeadlineKind
from domain.appraisal.events import (
    DeadlinePassed,
    Event,
    ExplanationsRequested,
    FeedbackGiven,
    ObjectionDecided,
    ObjectionFiled,
    ResultReleased,
    ReviewSubmitted,
    TargetsApproved,
    TargetsReturned,
    TargetsSubmitted,
)
from domain.authorization import Relation
from domain.ratings import Predikat, Rating
from domain.skp import Feedback, ObjectionDecisionOutcome, Ratings, RhkRating
from kinerja.reminders import start_notifications
from kinerja.worker import build_worker
from store.reminders import Claimant
from tests.polling import poll_async
from tests.reminders.conftest import SmtpServer
from workflows.notifications.contract import (
    NotificationConfig,
    NotificationRound,
    NotificationStart,
    NotificationStatus,
)
from workflows.notifications.workflow import NotificationWorkflow

from .conftest import put_contact, record

AT = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
Handle = WorkflowHandle[NotificationWorkflow, None]

ADDRESS = {"e-emp": "siti@pemkot.example", "e-boss": "budi@pemkot.example",
           "e-head": "rina@pemkot.example", "hr": "sdm@pemkot.example"}


def every_kind() -> list[Event]:
    """One event of every kind that tells somebody, and one that tells nobody."""
    review = ReviewSubmitted(
        at=AT, ratings=Ratings(rhk=(RhkRating(rhk_id="rhk-1", rating=Rating.MEETS),)),
        suggested_work_result=Rating.MEETS, work_result=Rating.MEETS,
        suggested_behaviour=Rating.MEETS, behaviour=Rating.MEETS, score=None,
        predikat=Predikat.BAIK, revision=1, by="e-boss")
    return [
        TargetsSubmitted(at=AT),
        TargetsReturned(at=AT, reason="Target kurang terukur"),
        TargetsApproved(at=AT, by="e-boss"),
        FeedbackGiven(at=AT, feedback=Feedback(text="Bagus"), by="e-boss",
                      relation=Relation.APPRAISER),
        review,
        ResultReleased(at=AT, objection_deadline=datetime(2026, 3, 16, 16, 59, 59, tzinfo=UTC),
                       exception_reason=None),
        ObjectionFiled(at=AT, reasons="Tidak sesuai", decision_deadline=AT + timedelta(21)),
        ExplanationsRequested(at=AT, parties=("appraiser", "employee"), questions="Jelaskan"),
        ObjectionDecided(at=AT, outcome=ObjectionDecisionOutcome.UPHOLD, reason="Sesuai",
                         work_result=None, behaviour=None, score=None,
                         predikat=Predikat.BAIK, by="e-head"),
        DeadlinePassed(at=AT, deadline=DeadlineKind.SKP, due=AT, escalated_to=Relation.HR),
        DeadlinePassed(at=AT, deadline=DeadlineKind.REVIEW, due=AT,
                       escalated_to=Relation.SUPERIOR),
    ]


# (kind, address) of each mail every_kind() causes
EXPECTED = sorted([
    ("targets_returned", ADDRESS["e-emp"]), ("targets_approved", ADDRESS["e-emp"]),
    ("feedback_received", ADDRESS["e-emp"]), ("review_done", ADDRESS["e-emp"]),
    ("result_released", ADDRESS["e-emp"]), ("objection_filed", ADDRESS["e-head"]),
    ("explanations_requested", ADDRESS["e-boss"]),
    ("explanations_requested", ADDRESS["e-emp"]),
    ("objection_decided", ADDRESS["e-emp"]), ("objection_decided", ADDRESS["e-boss"]),
    ("escalation", ADDRESS["hr"]), ("escalation", ADDRESS["e-head"]),
])


async def contacts(pool: asyncpg.Pool, agency: str) -> None:
    for key in ("e-emp", "e-boss", "e-head"):
        await put_contact(pool, key, ADDRESS[key], agency=agency)
    await pool.execute("INSERT INTO agency_hr_contacts (agency, email) VALUES ($1, $2)",
                       agency, ADDRESS["hr"])


async def kinds_of(pool: asyncpg.Pool) -> dict[str, str]:
    """notification key -> kind, for the mails' X-Kinerja-Notification header."""
    return {r["notification_key"]: r["kind"]
            for r in await pool.fetch("SELECT notification_key, kind FROM notifications")}


class Stuck:
    """A notifier that never returns: the process holding it is about to die."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()

    async def send(self, message: Message) -> str:
        self.entered.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


@asynccontextmanager
async def worker(client: Client, pool: asyncpg.Pool, task_queue: str,
                 notifier: Notifier) -> AsyncIterator[Worker]:
    async with build_worker(client, pool, task_queue=task_queue, notifier=notifier) as running:
        yield running


async def status_when(handle: Handle, check: Callable[[NotificationStatus], bool],
                      within: float = 30.0) -> NotificationStatus:
    return await poll_async(lambda: handle.query(NotificationWorkflow.status),
                            "the notification workflow's status passes the check",
                            within=within, until=check)


async def test_each_kind_once_to_the_right_person_across_a_crash_and_a_restart(
        temporal_dev: WorkflowEnvironment, app_pool: asyncpg.Pool,
        smtp_server: SmtpServer) -> None:
    client, task_queue = temporal_dev.client, f"note-{uuid.uuid4().hex[:8]}"
    agency = f"pemkot-{task_queue}"
    appraisal_id = f"appraisal-{agency}-2026-e-emp"
    await contacts(app_pool, agency)
    await record(app_pool, appraisal_id, every_kind(), agency=agency)
    config = NotificationConfig(poll_seconds=3600.0, link_base_url="http://kinerja.test")
    workflow_id = f"notifications-{task_queue}"
    stuck = Stuck()
    handle: Handle | None = None
    try:
        # the first sender derives everything, claims the first mail and dies sending it
        async with worker(client, app_pool, task_queue, stuck):
            handle = await start_notifications(client, config, task_queue=task_queue,
                                               workflow_id=workflow_id)
            async with asyncio.timeout(30):
                await stuck.entered.wait()
        claimed = await app_pool.fetch(
            "SELECT * FROM notifications WHERE email_status = 'sending'")
        assert len(claimed) == 1 and len(smtp_server.inbox) == 0
        assert await app_pool.fetchval("SELECT count(*) FROM notifications") == len(EXPECTED)
        # a new worker: the retried activity takes its claim back and sends everything
        async with worker(client, app_pool, task_queue, smtp_server.notifier()):
            await smtp_server.inbox.wait_for(len(EXPECTED))
            await status_when(handle, lambda s: s.totals.sent == len(EXPECTED))
        # and once more: start-up again, a round woken by hand, nothing new goes out
        async with worker(client, app_pool, task_queue, smtp_server.notifier()):
            again = await start_notifications(client, config, task_queue=task_queue,
                                              workflow_id=workflow_id)
            assert again.result_run_id == handle.result_run_id
            before = (await handle.query(NotificationWorkflow.status)).totals.rounds
            await handle.signal(NotificationWorkflow.wake)
            await status_when(handle, lambda s: s.totals.rounds >= before + 2)
        kinds = await kinds_of(app_pool)
        mails = sorted((kinds[str(m.message["X-Kinerja-Notification"]).strip()], m.recipients[0])
                       for m in smtp_server.inbox.messages)
        assert mails == EXPECTED  # each kind once, to the right address, nothing twice
        assert len({m.message_id for m in smtp_server.inbox.messages}) == len(EXPECTED)
        statuses = await app_pool.fetch("SELECT email_status, tries FROM notifications")
        assert {r["email_status"] for r in statuses} == {"sent"}
        assert sorted(r["tries"] for r in statuses)[-1] == 2  # the one taken back
        released = next(m for m in smtp_server.inbox.messages
                        if kinds[str(m.message["X-Kinerja-Notification"]).strip()]
                        == "result_released")
        # the end of the objection window, in the agency's zone
        assert "16 Maret 2026 pukul 23.59 WIB" in released.message.get_content()
    finally:
        if handle is not None:
            await handle.terminate("test over")


async def test_preference_silences_information_never_action(
        app_pool: asyncpg.Pool, smtp_server: SmtpServer) -> None:
    agency = "pemkot-pref"
    await contacts(app_pool, agency)
    await app_pool.execute(
        "INSERT INTO notification_preferences (agency, employee_key, email_information)"
        " VALUES ($1, 'e-emp', false)", agency)
    await record(app_pool, f"appraisal-{agency}-2026-e-emp", every_kind(), agency=agency)
    activities = NotificationActivities(app_pool, notifier=smtp_server.notifier())
    outcome = await activities.deliver(
        NotificationRound(link_base_url="http://kinerja.test", time_zone="Asia/Jakarta",
                          batch=100), Claimant("test/run/1", 1))
    kinds = await kinds_of(app_pool)
    mails = sorted((kinds[str(m.message["X-Kinerja-Notification"]).strip()], m.recipients[0])
                   for m in smtp_server.inbox.messages)
    employee_mails = [kind for kind, to in mails if to == ADDRESS["e-emp"]]
    # what needs Siti's action still reaches her; the information does not
    assert employee_mails == ["explanations_requested", "targets_returned"]
    assert len(mails) == len(EXPECTED) - 5 and outcome.skipped == 5
    # the inbox holds everything either way
    assert await app_pool.fetchval(
        "SELECT count(*) FROM notifications WHERE recipient = 'e-emp'") == 7
    # a second round sends nothing again
    again = await activities.deliver(
        NotificationRound(link_base_url="http://kinerja.test", time_zone="Asia/Jakarta",
                          batch=100), Claimant("test/run/2", 1))
    assert (again.sent, again.derived, len(smtp_server.inbox)) == (0, 0, len(mails))


async def test_continues_as_new_keeping_totals_and_replays_in_the_sandbox(
        temporal_dev: WorkflowEnvironment, app_pool: asyncpg.Pool) -> None:
    client, task_queue = temporal_dev.client, f"note-{uuid.uuid4().hex[:8]}"
    agency = f"pemkot-{task_queue}"
    await record(app_pool, f"appraisal-{agency}-2026-e-emp", every_kind()[:3], agency=agency)
    handle: Handle | None = None
    try:
        async with build_worker(client, app_pool, task_queue=task_queue):  # the log notifier
            handle = await client.start_workflow(
                NotificationWorkflow.run,
                NotificationStart(config=NotificationConfig(poll_seconds=0.1),
                                  rounds_per_run=2),
                id=f"notifications-{task_queue}", task_queue=task_queue)
            first_run = handle.result_run_id
            status = await status_when(
                client.get_workflow_handle_for(NotificationWorkflow.run, handle.id),
                lambda s: s.totals.rounds >= 3 and s.run_rounds >= 1)
            description = await client.get_workflow_handle(handle.id).describe()
        assert description.run_id != first_run
        assert status.totals.derived == 2 and status.totals.sent == 2  # log: no address
        history = await client.get_workflow_handle(handle.id, run_id=first_run
                                                   ).fetch_history()
        replayer = Replayer(workflows=[NotificationWorkflow],
                            data_converter=pydantic_data_converter)
        replayed = await replayer.replay_workflow(history, raise_on_replay_failure=True)
        assert replayed.replay_failure is None
    finally:
        if handle is not None:
            await client.get_workflow_handle(handle.id).terminate("test over")
