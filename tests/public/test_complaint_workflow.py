"""A complaint's durable deadline on the time-skipping server: unanswered, it is reminded
two days before its deadline and escalated to the unit's head at the deadline, once
each; answered in time, neither; its response time is recorded when answered."""

from __future__ import annotations

import uuid
from datetime import timedelta

import asyncpg
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.complaints import ComplaintActivities
from domain.authorization import Actor, Role
from domain.complaint import ComplaintKind, FileComplaint
from domain.survey import PublicService
from kinerja.worker import WORKFLOW_RUNNER
from services.complaints import ComplaintService
from services.public import PublicVoiceService
from store.complaints import ComplaintStore
from store.event_log import EventLog
from store.public import PublicStore
from tests.polling import poll_async
from workflows.complaint.client import ComplaintClient
from workflows.complaint.contract import workflow_id
from workflows.complaint.workflow import ComplaintWorkflow

DAY = timedelta(days=1)
UNIT = "dishub"


def _complaint() -> FileComplaint:
    """A complaint with a text of its own (the same text twice to a unit within a day is a
    duplicate)."""
    return FileComplaint(kind=ComplaintKind.COMPLAINT,
                         text=f"Antrean terlalu lama sekali ({uuid.uuid4().hex[:8]}).")


async def test_unanswered_is_reminded_then_escalated_once_answered_in_time_neither(
        temporal_time_skipping: WorkflowEnvironment, app_pool: asyncpg.Pool) -> None:
    env = temporal_time_skipping
    task_queue = f"complaints-{uuid.uuid4().hex[:8]}"
    agency = f"pemkot-{task_queue}"
    hr = Actor(subject="e-hr", roles=frozenset({Role.HR}), agencies=frozenset({agency}))
    await PublicVoiceService(PublicStore(app_pool)).define_unit(
        hr, agency, UNIT, "Dishub", [PublicService(key="kir", name="Uji KIR")], 100)
    await app_pool.execute("INSERT INTO roster_units (agency, code, name, parent, leader)"
                           " VALUES ($1, $2, 'Dishub', NULL, 'e-0100')", agency, UNIT)
    log = EventLog(app_pool)
    service = ComplaintService(ComplaintStore(app_pool, log), PublicStore(app_pool),
                               ComplaintClient(env.client, task_queue))

    async def types(code: str) -> list[str]:
        return [e.type for e in await log.read_stream(f"complaint-{agency}-{code}")]

    async with Worker(env.client, task_queue=task_queue, workflows=[ComplaintWorkflow],
                      activities=[ComplaintActivities(app_pool).record_complaint_step],
                      workflow_runner=WORKFLOW_RUNNER):
        start = await env.get_current_time()
        on_time = (await service.file(agency, UNIT, _complaint(), uuid.uuid4(), start)).view.code
        late = (await service.file(agency, UNIT, _complaint(), uuid.uuid4(), start)).view.code
        again = await service.file(agency, UNIT, _complaint(), uuid.uuid4(), start)  # a third
        await env.sleep(3 * DAY)
        answered = await service.answer(hr, agency, on_time, "Loket kini buka 07.30.",
                                        await env.get_current_time())
        assert answered.response_seconds is not None
        assert 3 * 86400 <= answered.response_seconds < 3 * 86400 + 3600
        handle = env.client.get_workflow_handle(workflow_id(agency, on_time))
        assert await handle.result() == "answered"

        await env.sleep(10 * DAY)  # day 13: past the reminder (day 12), before the deadline
        await poll_async(lambda: types(late), "the reminder", within=30,
                         until=lambda t: t == ["complaint_filed", "complaint_reminded"])
        await env.sleep(2 * DAY)  # day 15: past the deadline
        await poll_async(lambda: types(late), "the escalation", within=30,
                         until=lambda t: t[-1] == "complaint_escalated")
        view = await service.track(agency, late)
        assert view.escalated_to == "e-0100" and view.late(view.escalated_at or start)
        await env.sleep(5 * DAY)
        assert await types(late) == ["complaint_filed", "complaint_reminded",
                                     "complaint_escalated"]  # once each
        assert await types(on_time) == ["complaint_filed", "complaint_answered"]
        answered_late = await service.answer(hr, agency, late, "Maaf terlambat.",
                                             await env.get_current_time())
        assert answered_late.response_seconds is not None
        assert answered_late.response_seconds >= 20 * 86400
        late_handle = env.client.get_workflow_handle(workflow_id(agency, late))
        assert await late_handle.result() == "answered late"
        await env.client.get_workflow_handle(
            workflow_id(agency, again.view.code)).terminate("test over")
    assert (await log.verify_stream(f"complaint-{agency}-{late}")).ok


async def test_the_sweep_starts_the_workflows_a_filing_missed_once_each(
        temporal_dev: WorkflowEnvironment, app_pool: asyncpg.Pool) -> None:
    """Complaints stored while Temporal was unreachable (or by a process that died before
    the start) get their workflow from the sweep; one started already is found running,
    not started again; an answered one is left alone; the worker's loop does the same."""
    import asyncio
    from datetime import UTC, datetime

    from temporalio.client import WorkflowExecutionStatus
    from temporalio.service import RPCError

    from kinerja.worker import sweep_complaints

    env = temporal_dev
    task_queue = f"sweep-{uuid.uuid4().hex[:8]}"
    agency = f"pemkot-{task_queue}"
    hr = Actor(subject="e-hr", roles=frozenset({Role.HR}), agencies=frozenset({agency}))
    await PublicVoiceService(PublicStore(app_pool)).define_unit(
        hr, agency, UNIT, "Dishub", [PublicService(key="kir", name="Uji KIR")], 100)
    store = ComplaintStore(app_pool, EventLog(app_pool))
    down = ComplaintService(store, PublicStore(app_pool), ComplaintClient(None, task_queue))
    up = ComplaintService(store, PublicStore(app_pool), ComplaintClient(env.client, task_queue))
    long_ago = datetime.now(UTC) - timedelta(minutes=5)

    missed = (await down.file(agency, UNIT, _complaint(), uuid.uuid4(), long_ago)).view.code
    answered = (await down.file(agency, UNIT, _complaint(), uuid.uuid4(), long_ago)).view.code
    await down.answer(hr, agency, answered, "Sudah ditangani.")
    running = (await up.file(agency, UNIT, _complaint(), uuid.uuid4(), long_ago)).view.code

    async def status(code: str) -> WorkflowExecutionStatus | None:
        try:
            return (await env.client.get_workflow_handle(workflow_id(agency, code))
                    .describe()).status
        except RPCError:  # not found: never started
            return None

    assert await status(missed) is None and await status(answered) is None
    first_run = (await env.client.get_workflow_handle(workflow_id(agency, running))
                 .describe()).run_id
    assert await up.start_missed() == 1  # only the missed one
    assert await status(missed) == WorkflowExecutionStatus.RUNNING
    assert await status(answered) is None
    assert await up.start_missed() == 0  # recorded: nothing to do

    # A crash after the start but before its record: the sweep finds it running.
    await app_pool.execute("UPDATE complaints SET workflow_started_at = NULL WHERE code = $1",
                           running)
    assert await up.start_missed() == 1
    assert (await env.client.get_workflow_handle(workflow_id(agency, running))
            .describe()).run_id == first_run
    assert await up.start_missed() == 0

    # The worker's loop: a complaint filed while Temporal was down is started by it.
    late = (await down.file(agency, UNIT, _complaint(), uuid.uuid4(), long_ago)).view.code
    sweeping = asyncio.create_task(sweep_complaints(env.client, app_pool,
                                                    task_queue=task_queue, every=0.1))
    try:
        await poll_async(lambda: status(late), "the sweep's start", within=30,
                         until=lambda s: s == WorkflowExecutionStatus.RUNNING)
    finally:
        sweeping.cancel()
    for code in (missed, running, late):
        await env.client.get_workflow_handle(workflow_id(agency, code)).terminate("test over")
    assert await app_pool.fetchval(
        "SELECT count(*) FROM complaints WHERE workflow_started_at IS NULL") == 1  # answered
