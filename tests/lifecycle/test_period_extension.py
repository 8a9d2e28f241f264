"""HR moves a period's review deadline over HTTP, on real Temporal and PostgreSQL: the
refusals (problem+json naming the field), one extension for a repeated Idempotency-Key,
and the workflow's one timer re-armed so the period's deadline passes at the new instant,
not the old (the time-skipping server)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from temporalio.testing import WorkflowEnvironment

from domain.policy import end_of_day

from .conftest import Stack, own_time_skipping
from .test_deadlines import DAY, eventually, open_at, settled_state
from .test_http_lifecycle import BOSS, EMP, HR, assert_trail_folds_to_workflow_state, call
from .test_periodic import approved, count

temporal_time_skipping = pytest.fixture(scope="module")(own_time_skipping)
"""A period of the real present's year must still lie ahead: a clock of this module's own."""

WIB = timezone(timedelta(hours=7))
REASON = "Penilai cuti besar; data triwulan terlambat."


def body(day: date, reason: str = REASON) -> dict[str, str]:
    return {"due": f"{day.isoformat()}T12:00:00+07:00", "reason": reason}


def fields(problem: dict[str, object]) -> set[str]:
    return {str(e["field"]) for e in problem.get("errors") or ()  # type: ignore[attr-defined]
            if isinstance(e, dict)}


async def test_an_extended_period_deadline_passes_at_the_new_instant_not_the_old(
        skipping_stack: Stack, temporal_time_skipping: WorkflowEnvironment) -> None:
    stack, env = skipping_stack, temporal_time_skipping
    # The phase's deadlines far ahead: the period's timer is the first to run.
    appraisal, _ = await open_at(stack, env, self_assessment=420 * DAY, review=450 * DAY)
    result = await approved(stack, appraisal)
    schedule = {int(p): datetime.fromisoformat(due)
                for p, due in result["appraisal"]["state"]["period_deadlines"].items()}
    assert schedule, "the SKP approved in the cycle year leaves a period to review"
    period, old = min(schedule.items(), key=lambda item: item[1])
    new_day = old.astimezone(WIB).date() + timedelta(days=20)
    new = end_of_day(new_day, 7)
    url = f"/v1/appraisals/{appraisal}/periods/{period}/deadline"

    # Only HR (403 to the parties, 404 to a stranger); bad input named, never a 500.
    await call(stack, "POST", url, EMP, body=body(new_day), expect=403)
    await call(stack, "POST", url, BOSS, body=body(new_day), expect=403)
    await call(stack, "POST", url, "e-far", body=body(new_day), expect=404)
    for bad, field in (
            ({**body(new_day), "due": f"{new_day.isoformat()}T12:00:00"}, "due"),
            (body(old.astimezone(WIB).date()), "due"),                 # not a later day
            (body(new_day + timedelta(days=2000)), "due"),             # past the annual review
            ({**body(new_day), "due": "9999-12-31T23:59:59-12:00"}, "due"),
            ({**body(new_day), "due": "kemarin"}, "due"),
            (body(new_day, ""), "reason"),
            (body(new_day, "cuti\x00"), "reason"),
            ({**body(new_day), "extra": 1}, "extra")):
        problem = await call(stack, "POST", url, HR, "employee", "hr", body=bad, expect=422)
        assert any(field in f for f in fields(problem)), problem
    for wrong in ("0", "13", str(10**30), "satu"):
        problem = await call(stack, "POST", f"/v1/appraisals/{appraisal}/periods/{wrong}/deadline",
                             HR, "employee", "hr", body=body(new_day), expect=422)
        assert any("period" in f for f in fields(problem)), problem
    assert await count(stack, appraisal, "PeriodDeadlineExtended") == 0

    # Sent twice with one Idempotency-Key (a double click): one extension, the first result.
    first = await call(stack, "POST", url, HR, "employee", "hr", body=body(new_day),
                       key="extend-period-1")
    again = await call(stack, "POST", url, HR, "employee", "hr", body=body(new_day),
                       key="extend-period-1")
    assert first == again and first["events"] == ["PeriodDeadlineExtended"]
    assert await count(stack, appraisal, "PeriodDeadlineExtended") == 1
    moved = first["appraisal"]["state"]["period_deadlines"][str(period)]
    assert datetime.fromisoformat(moved) == new

    # The old instant passes: nothing is recorded.
    await env.sleep(old - await env.get_current_time() + timedelta(hours=1))
    state = await settled_state(stack, appraisal)
    assert state.missed_periods == frozenset()
    assert state.next_period_deadline() == (period, new)
    assert await count(stack, appraisal, "PeriodDeadlinePassed") == 0
    # Just before the new one: still nothing; just after: the period is missed, once.
    await env.sleep(new - await env.get_current_time() - timedelta(minutes=1))
    state = await settled_state(stack, appraisal)
    assert state.missed_periods == frozenset()
    await env.sleep(timedelta(minutes=2))
    state = await eventually(stack, appraisal, lambda s: period in s.missed_periods)
    assert await count(stack, appraisal, "PeriodDeadlinePassed") == 1
    passed_due = await stack.pool.fetchval(
        "SELECT convert_from(canonical, 'UTF8')::jsonb #>> '{data,due}' FROM events"
        " WHERE stream_id = $1 AND type = 'PeriodDeadlinePassed'", appraisal)
    assert datetime.fromisoformat(passed_due) == new
    # Passed: too late to move (the late review is still taken).
    problem = await call(stack, "POST", url, HR, "employee", "hr",
                         body=body(new_day + timedelta(days=5)), key="extend-period-2",
                         expect=422)
    assert "period" in fields(problem)
    await assert_trail_folds_to_workflow_state(stack, appraisal, "period-extended")
