"""Periodic appraisal over HTTP on real Temporal and PostgreSQL: the appraiser's review of
an ended period, its refusals, and a period's review deadline as a durable timer (the
time-skipping server) that records the missed period and blocks nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from domain.appraisal import DeadlineKind, Phase
from domain.policy import POLICY_6_2022, period_end

from .conftest import SKP, YEAR, Stack, own_time_skipping, review_body
from .test_deadlines import DAY, eventually, open_at, passed_count, settled_state
from .test_http_lifecycle import (
    BOSS,
    EMP,
    HEAD,
    assert_trail_folds_to_workflow_state,
    call,
    open_appraisal,
)

temporal_time_skipping = pytest.fixture(scope="module")(own_time_skipping)
"""A period of the real present's year must still lie ahead: a clock of this module's own."""

FEEDBACK = "Capaian triwulan baik; lengkapi bukti dukung pelatihan."


def period_body(period: int, **ratings: Any) -> dict[str, Any]:
    return {"period": period, "ratings": review_body(**ratings), "feedback": FEEDBACK}


async def approved(stack: Stack, appraisal: str) -> dict[str, Any]:
    base = f"/v1/appraisals/{appraisal}"
    await call(stack, "PUT", f"{base}/targets", EMP, body=SKP)
    await call(stack, "POST", f"{base}/targets/submit", EMP)
    return await call(stack, "POST", f"{base}/targets/approve", BOSS)


async def count(stack: Stack, appraisal: str, type_: str) -> int:
    return int(await stack.pool.fetchval(
        "SELECT count(*) FROM events WHERE stream_id = $1 AND type = $2", appraisal, type_))


def ended_period(now: datetime) -> int | None:
    """The last quarter of the cycle year that has ended by ``now`` (None in Q1)."""
    ended = [p for p in range(1, 5) if period_end(YEAR, p, POLICY_6_2022, 7) < now]
    return ended[-1] if ended else None


async def test_the_appraiser_reviews_a_period_and_the_employee_reads_it(stack: Stack) -> None:
    appraisal = await open_appraisal(stack)
    base = f"/v1/appraisals/{appraisal}"
    # Before the SKP's approval: not now (409).
    await call(stack, "POST", f"{base}/periods", BOSS, body=period_body(1), expect=409)
    await approved(stack, appraisal)
    now = datetime.now().astimezone()
    ended = ended_period(now)
    running = 4 if ended is None or ended < 4 else None
    if running is not None:
        # A period not ended yet: the rule and the field (422), nothing recorded.
        refused = await call(stack, "POST", f"{base}/periods", BOSS, body=period_body(running),
                             expect=422)
        assert "period" in str(refused) and "not ended" in str(refused)
    if ended is None:  # January to March: no quarter of this year has ended yet
        return
    # Bad input: a clear 422 naming the field, never a 500; nothing recorded.
    for bad in (period_body(0), period_body(10**30), {**period_body(ended), "feedback": "a\x00b"},
                {**period_body(ended), "feedback": ""}, {**period_body(ended), "extra": 1}):
        await call(stack, "POST", f"{base}/periods", BOSS, body=bad, expect=422)
    # Only the appraiser: the employee and the superior are refused (403), a stranger
    # learns nothing (404).
    await call(stack, "POST", f"{base}/periods", EMP, body=period_body(ended), expect=403)
    await call(stack, "POST", f"{base}/periods", HEAD, body=period_body(ended), expect=403)
    await call(stack, "POST", f"{base}/periods", "e-far", body=period_body(ended), expect=404)
    assert await count(stack, appraisal, "PeriodReviewed") == 0

    # Given twice with one Idempotency-Key (a double click): one review, the first result.
    body = period_body(ended, rhk="above", values="above")
    first = await call(stack, "POST", f"{base}/periods", BOSS, body=body, key="period-1")
    again = await call(stack, "POST", f"{base}/periods", BOSS, body=body, key="period-1")
    assert first["events"] == again["events"] == ["PeriodReviewed"]
    assert await count(stack, appraisal, "PeriodReviewed") == 1
    review = first["appraisal"]["state"]["period_reviews"][str(ended)]
    assert review["predikat"] == "sangat_baik" and review["feedback"] == FEEDBACK
    # The same period again, with another key: refused, naming the field.
    refused = await call(stack, "POST", f"{base}/periods", BOSS, body=period_body(ended),
                         key="period-2", expect=422)
    assert "period" in str(refused)

    # The employee reads each period's predikat and feedback.
    mine = await call(stack, "GET", base, EMP)
    assert mine["state"]["period_reviews"][str(ended)]["predikat"] == "sangat_baik"
    trail = await call(stack, "GET", f"{base}/events", EMP)
    assert [e["type"] for e in trail].count("PeriodReviewed") == 1
    await assert_trail_folds_to_workflow_state(stack, appraisal)


async def test_a_missed_period_is_recorded_once_and_blocks_nothing(
        skipping_stack: Stack, temporal_time_skipping: WorkflowEnvironment) -> None:
    stack, env = skipping_stack, temporal_time_skipping
    # The phase's deadlines far ahead: the period's timer is the first to run.
    appraisal, _ = await open_at(stack, env, self_assessment=420 * DAY, review=450 * DAY)
    result = await approved(stack, appraisal)
    schedule = {int(p): datetime.fromisoformat(due)
                for p, due in result["appraisal"]["state"]["period_deadlines"].items()}
    assert schedule, "the SKP approved in the cycle year leaves a period to review"
    period, due = min(schedule.items())
    await env.sleep(due - await env.get_current_time() - timedelta(minutes=1))
    state = await settled_state(stack, appraisal)
    assert state.missed_periods == frozenset()
    assert await count(stack, appraisal, "PeriodDeadlinePassed") == 0
    await env.sleep(timedelta(minutes=2))
    state = await eventually(stack, appraisal, lambda s: period in s.missed_periods)
    assert state.phase is Phase.SELF_REPORT  # the year goes on
    assert await count(stack, appraisal, "PeriodDeadlinePassed") == 1
    later = {p: d for p, d in schedule.items() if p != period}
    assert state.next_period_deadline() == (min(later.items()) if later else None)
    # Late, but taken: the appraiser still reviews the period.
    reviewed = await call(stack, "POST", f"/v1/appraisals/{appraisal}/periods", BOSS,
                          body=period_body(period))
    assert reviewed["appraisal"]["state"]["period_reviews"][str(period)]["late"] is True
    await settled_state(stack, appraisal)
    assert await count(stack, appraisal, "PeriodDeadlinePassed") == 1  # once
    if later:  # the next periods' deadlines run, one timer after the other
        await env.sleep(max(later.values()) - await env.get_current_time() + DAY)
        state = await eventually(stack, appraisal,
                                 lambda s: set(later) <= set(s.missed_periods))
        assert await count(stack, appraisal, "PeriodDeadlinePassed") == 1 + len(later)
    # Then the self-assessment's deadline, as before.
    await env.sleep(state.deadlines[DeadlineKind.SELF_ASSESSMENT] - await env.get_current_time()
                    + timedelta(minutes=1))
    state = await eventually(stack, appraisal, lambda s: s.phase is Phase.REVIEW)
    assert await passed_count(stack, appraisal, DeadlineKind.SELF_ASSESSMENT) == 1
    # The annual review is given; no period timer runs after it.
    await call(stack, "POST", f"/v1/appraisals/{appraisal}/review", BOSS, body=review_body())
    state = await settled_state(stack, appraisal)
    assert state.phase is Phase.CALIBRATION and state.next_period_deadline() is None
    # Recorded for the replay test: a history with a period's timer firing.
    await assert_trail_folds_to_workflow_state(stack, appraisal, "period-missed")
