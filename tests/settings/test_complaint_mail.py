"""A complaint's reminder and escalation e-mailed on the time-skipping server through a
real SMTP server: the unit's head at the reminder, the head and the agency's HR
addresses at the escalation, each once, within the agency's own complaint days and with
the deadline in its zone; a worker dying in the middle of sending the escalation sends
what was left on the retry, nothing twice."""

from __future__ import annotations

import uuid
from datetime import timedelta, timezone

import asyncpg
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.complaints import ComplaintActivities
from activities.notify import Message, Notifier
from domain.authorization import Actor, Role
from domain.complaint import ComplaintKind, FileComplaint
from domain.policy import end_of_day
from domain.settings import AgencySettings
from domain.survey import PublicService
from kinerja.worker import WORKFLOW_RUNNER
from services.complaints import ComplaintService
from services.public import PublicVoiceService
from services.settings import AgencySettingsService
from store.complaints import ComplaintStore
from store.event_log import EventLog
from store.public import PublicStore
from store.reminders import Claimant
from store.settings import SettingsStore
from tests.polling import poll_async
from tests.reminders.conftest import SmtpServer, put_contact
from workflows.complaint.client import ComplaintClient
from workflows.complaint.contract import ComplaintStep, workflow_id
from workflows.complaint.workflow import ComplaintWorkflow

DAY = timedelta(days=1)
UNIT = "dishub"


class DiesOnceAtTheEscalation:
    """The worker dies after the first escalation mail was handed to the SMTP server and
    before the second (the HR's): the activity fails, Temporal tries it again."""

    def __init__(self, inner: Notifier) -> None:
        self.inner, self.died = inner, False

    async def send(self, message: Message) -> str:
        if "melewati batas waktu" in message.subject and "hr" == getattr(
                message, "log_fields", {}).get("recipient") and not self.died:
            self.died = True
            raise RuntimeError("worker killed in the middle of the escalation's mails")
        return await self.inner.send(message)


async def test_an_escalation_sends_one_mail_to_each_once_across_a_crash(
        temporal_time_skipping: WorkflowEnvironment, app_pool: asyncpg.Pool,
        smtp_server: SmtpServer) -> None:
    env = temporal_time_skipping
    task_queue = f"complaint-mail-{uuid.uuid4().hex[:8]}"
    agency = f"pemkot-{task_queue}"
    hr = Actor(subject="e-hr", roles=frozenset({Role.HR}), agencies=frozenset({agency}))
    await PublicVoiceService(PublicStore(app_pool)).define_unit(
        hr, agency, UNIT, "Dishub", [PublicService(key="kir", name="Uji KIR")], 100)
    await app_pool.execute("INSERT INTO roster_units (agency, code, name, parent, leader)"
                           " VALUES ($1, $2, 'Dishub', NULL, 'e-0100')", agency, UNIT)
    await put_contact(app_pool, "e-0100", "kadishub@pemkot.example", agency=agency)
    log = EventLog(app_pool)
    settings = AgencySettingsService(SettingsStore(app_pool, log))
    await settings.change(hr, agency, AgencySettings(
        hr_contacts=("sdm@pemkot.example", "kepegawaian@pemkot.example"),
        utc_offset_hours=8, complaint_response_days=5))
    service = ComplaintService(ComplaintStore(app_pool, log), PublicStore(app_pool),
                               ComplaintClient(env.client, task_queue), settings)
    notifier = DiesOnceAtTheEscalation(smtp_server.notifier())
    activities = ComplaintActivities(app_pool, notifier=notifier,
                                     link_base_url="http://kinerja.test")
    inbox = smtp_server.inbox

    async def types(code: str) -> list[str]:
        return [e.type for e in await log.read_stream(f"complaint-{agency}-{code}")]

    async with Worker(env.client, task_queue=task_queue, workflows=[ComplaintWorkflow],
                      activities=[activities.record_complaint_step],
                      workflow_runner=WORKFLOW_RUNNER):
        start = await env.get_current_time()
        filed = await service.file(agency, UNIT, FileComplaint(
            kind=ComplaintKind.COMPLAINT, text="Antrean uji KIR terlalu lama."),
            uuid.uuid4(), start)
        code = filed.view.code
        # The agency's days, not the 14, to the end of a day in its zone (WITA).
        local_start = start.astimezone(timezone(timedelta(hours=8)))
        assert filed.view.deadline == end_of_day(local_start.date() + 5 * DAY, 8)
        assert 5 * DAY <= filed.view.deadline - start < 6 * DAY

        await env.sleep(4 * DAY)  # past the reminder (day 3)
        (reminder,) = await inbox.wait_for(1, within=30)
        assert reminder.recipients == ["kadishub@pemkot.example"]
        assert code in str(reminder.message["Subject"])
        assert "WITA" in reminder.message.get_content()  # the deadline in the agency's zone
        assert "/survei/" + agency + "/dishub/pengaduan" in reminder.message.get_content()

        await env.sleep(2 * DAY)  # past the deadline (day 5)
        await poll_async(lambda: types(code), "the escalation", within=30,
                         until=lambda t: t[-1] == "complaint_escalated")
        messages = await inbox.wait_for(3, within=30)
        escalations = [m for m in messages if "melewati batas waktu" in str(
            m.message["Subject"])]
        assert sorted(m.recipients for m in escalations) == [
            ["kadishub@pemkot.example"],
            ["sdm@pemkot.example", "kepegawaian@pemkot.example"]]  # HR: one mail to all
        assert notifier.died  # the first attempt died between the two mails
        handle = env.client.get_workflow_handle(workflow_id(agency, code))
        await env.sleep(3 * DAY)
        # The step again (a retry after everything was sent): nothing more.
        again = await activities.record(
            ComplaintStep(agency=agency, code=code, step="escalated",
                          at=await env.get_current_time()), Claimant("late-retry", 9))
        assert again == "done before"
        assert len(inbox) == 3
        assert await types(code) == ["complaint_filed", "complaint_reminded",
                                     "complaint_escalated"]
        rows = await app_pool.fetch(
            "SELECT step, recipient, status, tries FROM complaint_mails WHERE code = $1"
            " ORDER BY step, recipient", code)
        assert [tuple(r) for r in rows] == [
            ("escalated", "e-0100", "sent", 1), ("escalated", "hr", "sent", 2),
            ("reminded", "e-0100", "sent", 1)]
        await handle.terminate("test over")
