"""Indicators filled from data, through real Temporal and PostgreSQL (issue 15 section 3):
an indicator bound to the unit's IKM shows the computed realisation in the employee's
appraisal at the period's end; the employee could not type it; a second measurement
changes nothing; creating a cycle starts its measurement."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from domain.authorization import Actor, Role
from domain.indicators import period_bounds
from domain.survey import ELEMENTS, AgeGroup, Education, Occupation, PublicService, Sex
from domain.survey.response import SurveyResponse
from services.public import PublicVoiceService
from store.event_log import EventLog
from store.public import PublicStore
from tests.polling import poll_async
from workflows.indicators.client import IndicatorsClient
from workflows.indicators.contract import MeasureCycle, MeasureOutcome, workflow_id
from workflows.indicators.workflow import IndicatorsWorkflow

from .conftest import SKP, UNIT, YEAR, Stack, open_body, own_time_skipping
from .test_cycle import calendar_ahead
from .test_http_lifecycle import BOSS, EMP, HR, call

WIB = 7


temporal_time_skipping = pytest.fixture(scope="module")(own_time_skipping)
"""These tests need the real present as the start of their year: a clock of their own."""


def bound_skp() -> dict[str, Any]:
    skp = copy.deepcopy(SKP)
    skp["rhk"][0]["indicators"].append(
        {"id": "ind-ikm", "description": "IKM unit layanan", "aspect": "kualitas",
         "target": {"value": "85", "unit": "IKM"}, "source": {"kind": "ikm_unit"}})
    return skp


async def answer_survey(stack: Stack, period: str, answers: int, times: int) -> None:
    store = PublicStore(stack.pool)
    for _ in range(times):
        await store.add_response(
            uuid.uuid4(), stack.agency, UNIT, period,
            SurveyResponse(service="ppid", answers={e: answers for e in ELEMENTS},
                           age_group=AgeGroup.FROM_30, sex=Sex.FEMALE,
                           education=Education.S1, occupation=Occupation.PNS),
            datetime.now(UTC))


async def test_an_indicator_bound_to_the_units_ikm_shows_the_computed_realisation(
        skipping_stack: Stack, temporal_time_skipping: WorkflowEnvironment) -> None:
    """... in the employee's appraisal at the period's end (the issue's test)."""
    stack = skipping_stack
    hr = Actor(subject=HR, roles=frozenset({Role.HR}), agencies=frozenset({stack.agency}))
    await PublicVoiceService(PublicStore(stack.pool)).define_unit(
        hr, stack.agency, UNIT, "Diskominfo", [PublicService(key="ppid", name="PPID")], 1200)
    # The year's responses, both semesters together: 3 x all-3 and 1 x all-4 -> NRR 3.25,
    # IKM 81.25; last year's (all 1) is not of this period.
    await answer_survey(stack, f"{YEAR}-S1", 3, 2)
    await answer_survey(stack, f"{YEAR}-S2", 3, 1)
    await answer_survey(stack, f"{YEAR}-S2", 4, 1)
    await answer_survey(stack, f"{YEAR - 1}-S2", 1, 3)

    _, period_end = period_bounds(YEAR, WIB)
    body = open_body(stack.agency, EMP)
    body["calendar"]["self_assessment_deadline"] = (period_end + timedelta(days=15)).isoformat()
    body["calendar"]["review_deadline"] = (period_end + timedelta(days=31)).isoformat()
    created = await call(stack, "POST", "/v1/appraisals", HR, "employee", "hr", body=body,
                         expect=201)
    appraisal = created["appraisal"]["id"]
    base = f"/v1/appraisals/{appraisal}"
    # A source outside the closed set, a control character, a text target: refused, naming
    # the field; nothing stored.
    for source, target, field in (
            ({"kind": "jumlah_kegiatan"}, None, "rhk.0.indicators.1.source.kind"),
            ({"kind": "ikm_unit", "unit": "x\u0000"}, None, "rhk.0.indicators.1.source.unit"),
            ({"kind": "ikm_unit"}, {"text": "baik"}, "rhk.0.indicators.1")):
        bad = bound_skp()
        bad["rhk"][0]["indicators"][1]["source"] = source
        if target:
            bad["rhk"][0]["indicators"][1]["target"] = target
        problem = await call(stack, "PUT", f"{base}/targets", EMP, body=bad, expect=422)
        assert problem["errors"][0]["field"] == field, problem
    assert [e.type for e in await EventLog(stack.pool).read_stream(appraisal)] == [
        "AppraisalOpened"]
    await call(stack, "PUT", f"{base}/targets", EMP, body=bound_skp())
    await call(stack, "POST", f"{base}/targets/submit", EMP)
    await call(stack, "POST", f"{base}/targets/approve", BOSS)
    # Others of the cycle: an SKP without a bound indicator, and a bound one not yet
    # approved: neither is sent anything.
    for employee, skp, approve in (("e-plain", SKP, True), ("e-draft", bound_skp(), False)):
        other = (await call(stack, "POST", "/v1/appraisals", HR, "employee", "hr",
                            body={**body, "employee": employee}, expect=201))["appraisal"]["id"]
        await call(stack, "PUT", f"/v1/appraisals/{other}/targets", employee, body=skp)
        if approve:
            await call(stack, "POST", f"/v1/appraisals/{other}/targets/submit", employee)
            await call(stack, "POST", f"/v1/appraisals/{other}/targets/approve", BOSS)

    # The employee cannot type its realisation (the other indicators still are typed).
    refused = await call(stack, "POST", f"{base}/progress", EMP, expect=422, body={
        "period": f"{YEAR}-03", "realisations": [{"indicator_id": "ind-ikm", "value": "99"}]})
    assert "filled from its source" in str(refused)

    cycle_id = f"{stack.agency}-{YEAR}"
    started = await IndicatorsClient(stack.client, stack.task_queue).start(MeasureCycle(
        cycle_id=cycle_id, agency=stack.agency, year=YEAR, utc_offset_hours=WIB))
    assert started
    log = EventLog(stack.pool)

    async def types() -> list[str]:
        return [e.type for e in await log.read_stream(appraisal)]

    assert "RealisationMeasured" not in await types()
    env = temporal_time_skipping
    await env.sleep(period_end - await env.get_current_time() + timedelta(minutes=1))
    await poll_async(types, "the measured realisation", within=30,
                     until=lambda t: "RealisationMeasured" in t)
    outcome = await stack.client.get_workflow_handle(
        workflow_id(cycle_id), result_type=MeasureOutcome).result()
    assert outcome == MeasureOutcome(recorded=1, skipped=0)

    view = await call(stack, "GET", base, EMP)
    measured = view["state"]["measured"]["ind-ikm"]
    assert measured["value"] == "81.25"
    assert measured["source"]["kind"] == "ikm_unit"
    assert (measured["unit"], measured["period"]) == (UNIT, str(YEAR))
    assert measured["figures"] == {"respondents": 4}
    assert view["phase"] == "self_report"

    # The log shows where the number came from, appended by the system actor.
    recorded = await log.read_stream(appraisal)
    event = recorded[-1]
    assert event.type == "RealisationMeasured"
    assert event.metadata["actor"] == "system"
    assert event.recorded_at >= period_end
    assert event.data["measurement"]["figures"] == {"respondents": 4}

    # Measuring again (a retried activity, another run) records nothing more.
    again = await stack.client.execute_workflow(
        IndicatorsWorkflow.run, MeasureCycle(cycle_id=cycle_id, agency=stack.agency,
                                             year=YEAR, utc_offset_hours=WIB),
        id=f"{workflow_id(cycle_id)}-again", task_queue=stack.task_queue)
    assert again == MeasureOutcome(recorded=1, skipped=0)
    assert [e.type for e in await EventLog(stack.pool).read_stream(appraisal)].count(
        "RealisationMeasured") == 1
    assert (await EventLog(stack.pool).verify_stream(appraisal)).ok
    for employee in ("e-plain", "e-draft"):
        other = [e.type for e in await log.read_stream(f"appraisal-{cycle_id}-{employee}")]
        assert other and "RealisationMeasured" not in other


async def test_creating_a_cycle_starts_its_measurement(stack: Stack) -> None:
    created = await call(stack, "POST", "/v1/cycles", HR, "employee", "hr", expect=201,
                         body={"agency": stack.agency, "year": YEAR,
                               "calendar": calendar_ahead()})
    cycle_id = created["cycle"]["id"]
    handle = stack.client.get_workflow_handle(workflow_id(cycle_id))
    described = await handle.describe()
    assert described.status is WorkflowExecutionStatus.RUNNING  # asleep to the year's end
    await handle.terminate("test over")
