"""What a crash, a retry or a hostile input must never do to an appraisal: freeze it,
apply a command twice, answer a repeated request differently, or store what the log
cannot hold. Real Temporal, real PostgreSQL, through the HTTP API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from activities.appraisal import AppraisalActivities
from domain.appraisal import (
    DraftTargets,
    OpenAppraisal,
    SubmitTargets,
    decide,
    event_data,
    event_from_data,
    fold,
)
from domain.authorization import Actor, Parties, Role
from domain.policy import POLICY_6_2022, CycleCalendar
from domain.skp import Skp
from kinerja.worker import WORKFLOW_RUNNER
from services.appraisals import AppraisalService
from store.appraisals import AppraisalReadModel
from store.event_log import EventLog
from workflows.appraisal.client import AppraisalClient
from workflows.appraisal.contract import (
    AppraisalSnapshot,
    EventRecord,
    RecordAppraisalEvents,
    RecordedVersion,
)
from workflows.appraisal.workflow import AppraisalWorkflow

from .conftest import LATE_RELEASE, SKP, UNIT, Stack, review_body
from .test_http_lifecycle import (
    BOSS,
    EMP,
    HR,
    assert_trail_folds_to_workflow_state,
    call,
    open_appraisal,
    to_review,
)


async def _store_as_an_earlier_attempt(stack: Stack, appraisal: str, request_id: str,
                                       at: datetime) -> None:
    """Write to the log what an attempt of "draft the SKP" decided at ``at`` would have
    written, as if its acknowledgement was lost in a crash (the workflow never saw it)."""
    handle = stack.client.get_workflow_handle_for(AppraisalWorkflow.run, appraisal)
    state = await handle.query(AppraisalWorkflow.state)
    employee = Actor(subject=EMP, roles=frozenset({Role.EMPLOYEE}), agency=stack.agency,
                     unit=UNIT)
    events = decide(state, DraftTargets(skp=Skp.model_validate(SKP)), actor=employee, at=at)
    after = fold(events, state)
    activities = AppraisalActivities(stack.pool, EventLog(stack.pool))
    recorded = await activities.record_appraisal_events(RecordAppraisalEvents(
        stream_id=appraisal, expected_version=state.version,
        events=[EventRecord(type=e.type, data=event_data(e)) for e in events],
        metadata={**employee.log_metadata(), "request_id": request_id},
        recorded_at=at, snapshot=AppraisalSnapshot.of(after)))
    assert recorded.outcome == "appended"


async def test_a_command_whose_acknowledgement_was_lost_is_recognised_when_retried(
        stack: Stack) -> None:
    appraisal = await open_appraisal(stack)
    base = f"/v1/appraisals/{appraisal}"
    earlier = datetime.now(UTC) - timedelta(minutes=3)
    await _store_as_an_earlier_attempt(stack, appraisal, "draft-1", earlier)

    # The retry is decided again now (another "at"); the log's first attempt wins.
    again = await call(stack, "PUT", f"{base}/targets", EMP, body=SKP, key="draft-1")
    assert again["events"] == ["TargetsDrafted"] and again["appraisal"]["version"] == 2
    trail = await EventLog(stack.pool).read_stream(appraisal)
    assert [e.type for e in trail] == ["AppraisalOpened", "TargetsDrafted"]
    assert trail[1].data["at"] == earlier.isoformat().replace("+00:00", "Z")
    await assert_trail_folds_to_workflow_state(stack, appraisal)
    # ...and the appraisal goes on.
    submitted = await call(stack, "POST", f"{base}/targets/submit", EMP, key="submit-1")
    assert submitted["appraisal"]["version"] == 3
    await assert_trail_folds_to_workflow_state(stack, appraisal)


class _LostAcknowledgement(AppraisalActivities):
    """Stores the events of request ``flaky``, then fails as if the acknowledgement was
    lost and the retry window closed: the workflow must not trust its own state."""

    failed = False

    @activity.defn(name="record_appraisal_events")
    async def record_appraisal_events(self, request: RecordAppraisalEvents) -> RecordedVersion:
        recorded = await super().record_appraisal_events(request)
        if request.metadata.get("request_id") == "flaky" and not self.failed:
            type(self).failed = True
            raise ApplicationError("acknowledgement lost", non_retryable=True)
        return recorded


async def test_a_command_that_failed_after_its_append_leaves_no_workflow_behind(
        stack: Stack) -> None:
    task_queue = f"{stack.task_queue}-flaky"
    activities = _LostAcknowledgement(stack.pool, EventLog(stack.pool))
    service = AppraisalService(AppraisalReadModel(stack.pool), EventLog(stack.pool),
                               AppraisalClient(stack.client, task_queue))
    now = datetime.now(UTC)
    appraisal = f"appraisal-{stack.agency}-{now.year}-{EMP}"
    hr = Actor(subject=HR, roles=frozenset({Role.HR}), agencies=frozenset({stack.agency}))
    employee = Actor(subject=EMP, roles=frozenset({Role.EMPLOYEE}), agency=stack.agency,
                     unit=UNIT)
    async with Worker(stack.client, task_queue=task_queue, workflows=[AppraisalWorkflow],
                      activities=[activities.record_appraisal_events,
                                  activities.read_appraisal_events],
                      workflow_runner=WORKFLOW_RUNNER):
        await service.open(hr, OpenAppraisal(
            appraisal_id=appraisal, cycle_id=f"{stack.agency}-{now.year}",
            parties=Parties(agency=stack.agency, unit=UNIT, employee=EMP, appraiser=BOSS,
                            superior="e-head"),
            policy=POLICY_6_2022,
            calendar=CycleCalendar(year=now.year, utc_offset_hours=7,
                                   skp_deadline=now + timedelta(days=30),
                                   self_assessment_deadline=now + timedelta(days=60),
                                   review_deadline=now + timedelta(days=90))), "open")
        skp = Skp.model_validate(SKP)
        # The update failed, but its events are in the log: the answer says so.
        drafted = await service.command(employee, appraisal, DraftTargets(skp=skp), "flaky")
        assert activities.failed and drafted.events == ["TargetsDrafted"]
        assert drafted.state.version == 2
        # The next command is judged on the state the log gives (a draft exists).
        submitted = await service.command(employee, appraisal, SubmitTargets(), "submit")
        assert submitted.events == ["TargetsSubmitted"] and submitted.state.version == 3
        handle = stack.client.get_workflow_handle_for(AppraisalWorkflow.run, appraisal)
        state = await handle.query(AppraisalWorkflow.state)
        trail = await EventLog(stack.pool).read_stream(appraisal)
        assert fold(event_from_data(e.type, e.data) for e in trail) == state
        assert [e.type for e in trail] == ["AppraisalOpened", "TargetsDrafted",
                                           "TargetsSubmitted"]


async def test_control_characters_in_free_text_are_refused_and_change_nothing(
        stack: Stack) -> None:
    appraisal = await open_appraisal(stack)
    base = f"/v1/appraisals/{appraisal}"
    for bad in ("Layanan\u0000informasi", "Layanan\u001binformasi"):
        skp = {**SKP, "rhk": [{**SKP["rhk"][0], "description": bad}, *SKP["rhk"][1:]]}
        refused = await stack.http.put(f"{base}/targets", json=skp,
                                       headers=stack.headers(EMP, key=f"nul-{bad!r}"))
        assert refused.status_code == 422, refused.text
        errors = refused.json()["errors"]
        assert any(e["field"].endswith("rhk.0.description") and e["rule"] == "control_character"
                   for e in errors), errors
    # Nothing was stored, and the appraisal still takes its next command.
    assert await EventLog(stack.pool).stream_version(appraisal) == 1
    drafted = await call(stack, "PUT", f"{base}/targets", EMP, body=SKP, key="good")
    assert drafted["appraisal"]["version"] == 2


async def test_an_ended_appraisal_is_not_opened_again(stack: Stack) -> None:
    appraisal = await open_appraisal(stack)
    await call(stack, "POST", f"/v1/appraisals/{appraisal}/cancel", HR, "employee", "hr",
               body={"reason_kind": "transfer", "reason": "Mutasi."}, key="cancel-1")
    from .conftest import open_body

    again = await stack.http.post("/v1/appraisals", json=open_body(stack.agency),
                                  headers=stack.headers(HR, "employee", "hr", key="reopen",
                                                        agencies=(stack.agency,)))
    assert again.status_code == 409, again.text
    assert "cannot be opened again" in again.json()["detail"]
    assert await EventLog(stack.pool).stream_version(appraisal) == 2
    # The repeat of the cancel answers with its first result.
    repeated = await call(stack, "POST", f"/v1/appraisals/{appraisal}/cancel", HR,
                          "employee", "hr", body={"reason_kind": "transfer", "reason": "Mutasi."},
                          key="cancel-1")
    assert repeated["events"] == ["AppraisalCancelled"]


async def test_a_repeated_finalizing_request_answers_with_its_first_result(
        stack: Stack) -> None:
    appraisal = await open_appraisal(stack)
    base = f"/v1/appraisals/{appraisal}"
    await to_review(stack, appraisal)
    await call(stack, "POST", f"{base}/review", BOSS, body=review_body())
    await call(stack, "POST", f"{base}/release", HR, "employee", "hr",
               body=LATE_RELEASE)
    first = await call(stack, "POST", f"{base}/accept", EMP, key="accept-1")
    assert first["events"] == ["ResultAccepted", "AppraisalFinalized"]
    version = await EventLog(stack.pool).stream_version(appraisal)

    repeated = await call(stack, "POST", f"{base}/accept", EMP, key="accept-1")
    assert repeated["events"] == first["events"]
    assert repeated["appraisal"]["phase"] == "final"
    assert await EventLog(stack.pool).stream_version(appraisal) == version  # nothing twice
    # Another key is a new request, refused in the final phase; another person's
    # repeat of the same key is not their result.
    other = await stack.http.post(f"{base}/accept", headers=stack.headers(EMP, key="accept-2"))
    assert other.status_code == 409, other.text
    stranger = await stack.http.post(f"{base}/accept",
                                     headers=stack.headers(BOSS, key="accept-1"))
    assert stranger.status_code in (403, 409), stranger.text
