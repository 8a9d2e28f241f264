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
    text = FileComplaint(kind=ComplaintKind.COMPLAINT, text="Antrean terlalu lama sekali.")

    async def types(code: str) -> list[str]:
        return [e.type for e in await log.read_stream(f"complaint-{agency}-{code}")]

    async with Worker(env.client, task_queue=task_queue, workflows=[ComplaintWorkflow],
                      activities=[ComplaintActivities(app_pool).record_complaint_step],
                      workflow_runner=WORKFLOW_RUNNER):
        start = await env.get_current_time()
        on_time = (await service.file(agency, UNIT, text, uuid.uuid4(), start)).view.code
        late = (await service.file(agency, UNIT, text, uuid.uuid4(), start)).view.code
        again = await service.file(agency, UNIT, text, uuid.uuid4(), start)  # a third
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
