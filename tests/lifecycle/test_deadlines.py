"""Every deadline on the time-skipping test server: a 14-day window in milliseconds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from temporalio.testing import WorkflowEnvironment

from domain.appraisal import AppraisalState, DeadlineKind, Phase
from domain.policy import end_of_local_day
from tests.polling import poll_async
from workflows.appraisal.workflow import AppraisalWorkflow

from .conftest import LATE_RELEASE, SELF_ASSESSMENT, SKP, Stack, open_body, review_body
from .test_http_lifecycle import (
    BOSS,
    EMP,
    HEAD,
    HR,
    assert_trail_folds_to_workflow_state,
    call,
)

DAY = timedelta(days=1)


async def eventually(stack: Stack, appraisal: str, check: Callable[[AppraisalState], bool],
                     within: float = 15.0) -> AppraisalState:
    """The workflow's state once ``check`` holds; fails after ``within`` seconds.

    A query waits for the workflow's pending task, so a timer that fired during
    a skip has been processed by the time the query answers.
    """
    handle = stack.client.get_workflow_handle_for(AppraisalWorkflow.run, appraisal)
    return await poll_async(lambda: handle.query(AppraisalWorkflow.state),
                            f"the state of {appraisal} passes the check", within=within,
                            until=check, every=0.02)


async def settled_state(stack: Stack, appraisal: str) -> AppraisalState:
    """The state once the workflow has processed everything due so far."""
    return await eventually(stack, appraisal, lambda _: True)


async def passed_count(stack: Stack, appraisal: str, kind: DeadlineKind) -> int:
    return int(await stack.pool.fetchval(
        "SELECT count(*) FROM events WHERE stream_id = $1 AND type = 'DeadlinePassed'"
        " AND convert_from(canonical, 'UTF8')::jsonb #>> '{data,deadline}' = $2",
        appraisal, kind.value))


async def open_at(stack: Stack, env: WorkflowEnvironment, **offsets: timedelta
                  ) -> tuple[str, datetime]:
    now = await env.get_current_time()
    calendar = {
        "skp_deadline": now + offsets.get("skp", 30 * DAY),
        "self_assessment_deadline": now + offsets.get("self_assessment", 60 * DAY),
        "review_deadline": now + offsets.get("review", 90 * DAY),
    }
    body = open_body(stack.agency, EMP, calendar={k: v.isoformat() for k, v in calendar.items()})
    created = await call(stack, "POST", "/v1/appraisals", HR, "employee", "hr", body=body,
                         expect=201)
    return str(created["appraisal"]["id"]), now


async def released(stack: Stack, appraisal: str) -> dict[str, Any]:
    base = f"/v1/appraisals/{appraisal}"
    await call(stack, "PUT", f"{base}/targets", EMP, body=SKP)
    await call(stack, "POST", f"{base}/targets/submit", EMP)
    await call(stack, "POST", f"{base}/targets/approve", BOSS)
    await call(stack, "POST", f"{base}/self-assessment", EMP, body=SELF_ASSESSMENT)
    await call(stack, "POST", f"{base}/review", BOSS, body=review_body())
    return await call(stack, "POST", f"{base}/release", HR, "employee", "hr",
               body=LATE_RELEASE)


async def test_objection_window_closing_finalizes(
        skipping_stack: Stack, temporal_time_skipping: WorkflowEnvironment) -> None:
    stack, env = skipping_stack, temporal_time_skipping
    appraisal, _ = await open_at(stack, env)
    result = await released(stack, appraisal)
    due = datetime.fromisoformat(result["appraisal"]["state"]["deadlines"]["objection_window"])
    await env.sleep(due - await env.get_current_time() - timedelta(minutes=1))
    state = await settled_state(stack, appraisal)
    assert state.phase is Phase.OBJECTION_WINDOW
    await env.sleep(timedelta(minutes=2))
    state = await eventually(stack, appraisal, lambda s: s.phase is Phase.FINAL)
    assert state.final_basis == "objection_window_closed"
    assert await passed_count(stack, appraisal, DeadlineKind.OBJECTION_WINDOW) == 1
    summary = await call(stack, "GET", f"/v1/appraisals/{appraisal}", EMP)
    assert summary["phase"] == "final"
    await assert_trail_folds_to_workflow_state(stack, appraisal, "objection-window-closed")


async def test_skp_deadline_escalates_to_hr_once(
        skipping_stack: Stack, temporal_time_skipping: WorkflowEnvironment) -> None:
    stack, env = skipping_stack, temporal_time_skipping
    appraisal, _ = await open_at(stack, env, skp=10 * DAY)
    await env.sleep(9 * DAY)
    await eventually(stack, appraisal, lambda s: s.phase is Phase.TARGET_SETTING)
    assert await passed_count(stack, appraisal, DeadlineKind.SKP) == 0
    await env.sleep(2 * DAY)
    state = await eventually(stack, appraisal,
                             lambda s: DeadlineKind.SKP in s.passed_deadlines)
    assert state.phase is Phase.TARGET_SETTING
    await env.sleep(30 * DAY)
    await settled_state(stack, appraisal)
    assert await passed_count(stack, appraisal, DeadlineKind.SKP) == 1
    # Now HR may set the SKP.
    set_by_hr = await call(stack, "PUT", f"/v1/appraisals/{appraisal}/targets/set", HR,
                           "employee", "hr", body={"skp": SKP, "reason": "Tenggat lewat."})
    assert set_by_hr["appraisal"]["state"]["targets_status"] == "set_by_hr"


async def test_extension_moves_the_deadline(
        skipping_stack: Stack, temporal_time_skipping: WorkflowEnvironment) -> None:
    stack, env = skipping_stack, temporal_time_skipping
    appraisal, start = await open_at(stack, env, skp=10 * DAY)
    await env.sleep(5 * DAY)
    # A day no date can carry in the agency's zone: the field's rule, not a 500.
    far = await call(stack, "POST", f"/v1/appraisals/{appraisal}/deadlines", HR, "employee",
                     "hr", body={"deadline": "skp", "until": "9999-12-31T23:00:00+00:00",
                                 "reason": "Gangguan sistem."}, expect=422)
    assert "until" in str(far), far
    await call(stack, "POST", f"/v1/appraisals/{appraisal}/deadlines", HR, "employee", "hr",
               body={"deadline": "skp", "until": (start + 20 * DAY).isoformat(),
                     "reason": "Gangguan sistem."})
    await env.sleep(10 * DAY)  # day 15: past the old deadline, before the new one
    state = await settled_state(stack, appraisal)
    assert DeadlineKind.SKP not in state.passed_deadlines
    # An extension ends at the end of its day in the agency's zone (WIB here).
    assert state.next_deadline() == (DeadlineKind.SKP, end_of_local_day(start + 20 * DAY, 7))
    assert await passed_count(stack, appraisal, DeadlineKind.SKP) == 0
    await env.sleep(6 * DAY)  # day 21
    await eventually(stack, appraisal, lambda s: DeadlineKind.SKP in s.passed_deadlines)
    assert await passed_count(stack, appraisal, DeadlineKind.SKP) == 1


async def test_review_deadline_escalates_to_the_superior_once(
        skipping_stack: Stack, temporal_time_skipping: WorkflowEnvironment) -> None:
    stack, env = skipping_stack, temporal_time_skipping
    appraisal, _ = await open_at(stack, env, review=40 * DAY)
    base = f"/v1/appraisals/{appraisal}"
    await call(stack, "PUT", f"{base}/targets", EMP, body=SKP)
    await call(stack, "POST", f"{base}/targets/submit", EMP)
    await call(stack, "POST", f"{base}/targets/approve", BOSS)
    await call(stack, "POST", f"{base}/self-assessment", EMP, body=SELF_ASSESSMENT)
    await env.sleep(41 * DAY)
    await eventually(stack, appraisal, lambda s: DeadlineKind.REVIEW in s.passed_deadlines)
    await env.sleep(10 * DAY)
    await settled_state(stack, appraisal)
    assert await passed_count(stack, appraisal, DeadlineKind.REVIEW) == 1
    trail = await call(stack, "GET", f"{base}/events", HEAD)
    (passed,) = [e for e in trail if e["type"] == "DeadlinePassed"]
    assert passed["data"]["escalated_to"] == "superior" and passed["actor"] == "system"
    reviewed = await call(stack, "POST", f"{base}/review", HEAD, body=review_body())
    assert reviewed["appraisal"]["phase"] == "calibration"


async def test_self_assessment_deadline_starts_the_review(
        skipping_stack: Stack, temporal_time_skipping: WorkflowEnvironment) -> None:
    stack, env = skipping_stack, temporal_time_skipping
    appraisal, _ = await open_at(stack, env, self_assessment=20 * DAY)
    base = f"/v1/appraisals/{appraisal}"
    await call(stack, "PUT", f"{base}/targets", EMP, body=SKP)
    await call(stack, "POST", f"{base}/targets/submit", EMP)
    await call(stack, "POST", f"{base}/targets/approve", BOSS)
    await env.sleep(21 * DAY)
    state = await eventually(stack, appraisal, lambda s: s.phase is Phase.REVIEW)
    assert state.self_assessment is None
    assert await passed_count(stack, appraisal, DeadlineKind.SELF_ASSESSMENT) == 1


async def test_objection_decision_deadline_escalates_to_hr_once(
        skipping_stack: Stack, temporal_time_skipping: WorkflowEnvironment) -> None:
    stack, env = skipping_stack, temporal_time_skipping
    appraisal, _ = await open_at(stack, env)
    base = f"/v1/appraisals/{appraisal}"
    await released(stack, appraisal)
    await call(stack, "POST", f"{base}/objection", EMP, body={"reasons": "Tidak sesuai."})
    await env.sleep(15 * DAY)
    state = await eventually(
        stack, appraisal, lambda s: DeadlineKind.OBJECTION_DECISION in s.passed_deadlines)
    assert state.phase is Phase.OBJECTION_REVIEW  # escalated, never decided by itself
    await env.sleep(30 * DAY)
    await settled_state(stack, appraisal)
    assert await passed_count(stack, appraisal, DeadlineKind.OBJECTION_DECISION) == 1
