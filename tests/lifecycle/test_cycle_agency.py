"""A 200-employee agency from the cycle's start to its close: reviews, a unit failing
calibration then fixed, releases, some objections (one changing the predikat), the
rest accepted, the close with its final distribution and the results export."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import uuid
from collections import Counter
from collections.abc import Awaitable

from domain import appraisal as d
from domain.appraisal import PositionKind
from domain.authorization import Actor, Role
from domain.cycle import CycleMember
from domain.policy import FunctionalLevel
from domain.ratings import Rating
from domain.skp import Ratings, SelfAssessment, Skp
from tests.polling import poll_async
from workflows.appraisal.client import AppraisalClient
from workflows.cycle.contract import cycle_workflow_id

from .conftest import SELF_ASSESSMENT, SKP, YEAR, Stack, review_body
from .test_cycle import calendar_ahead, call, phases
from .test_http_lifecycle import HISTORIES

UNITS = ("dinkes", "disdik", "dishub", "bappeda")
PER_UNIT = 50


def agency_roster() -> list[CycleMember]:
    members = [CycleMember(employee="e-head", unit="sekretariat", appraiser=None,
                           superior=None, position_kind=PositionKind.JPT, is_unit_leader=True)]
    for unit in UNITS:
        leader = f"e-{unit}-lead"
        members.append(CycleMember(employee=leader, unit=unit, appraiser="e-head",
                                   superior=None, position_kind=PositionKind.ADMINISTRATOR,
                                   is_unit_leader=True))
        for n in range(PER_UNIT - 1):
            functional = n % 5 == 0
            members.append(CycleMember(
                employee=f"e-{unit}-{n:03d}", unit=unit, appraiser=leader, superior="e-head",
                position_kind=PositionKind.FUNCTIONAL if functional else PositionKind.STAFF,
                functional_level=FunctionalLevel.AHLI_PERTAMA if functional else None))
    return members


def rated(member: CycleMember, unit_passes_at_first: bool) -> tuple[str, str]:
    """(work result, behaviour) of a member's first review: a unit that passes gets a
    mix of Baik, Sangat Baik and Butuh Perbaikan; the other unit all Baik."""
    if member.is_unit_leader or not unit_passes_at_first:
        return "meets", "meets"
    n = int(member.employee.rsplit("-", 1)[1])
    return ("above", "above") if n % 5 == 1 else ("below", "meets") if n % 5 == 2 \
        else ("meets", "meets")


async def test_a_200_employee_agency_from_start_to_close(stack: Stack) -> None:
    members = agency_roster()
    assert len(members) == 201
    stack.rosters[stack.agency] = members
    created = await call(stack, "POST", "/v1/cycles", expect=201, body={
        "agency": stack.agency, "year": YEAR, "calendar": calendar_ahead(), "page_size": 64})
    cycle_id = created["cycle"]["id"]
    await call(stack, "POST", f"/v1/cycles/{cycle_id}/start", expect=202)

    async def no_work_under_way() -> bool:
        state = (await call(stack, "GET", f"/v1/cycles/{cycle_id}"))["state"]
        return state["status"] in ("running", "closed") and not state["pending"]
    await poll_async(no_work_under_way, "every appraisal is open", within=120)
    assert len(await phases(stack.pool, cycle_id)) == 201

    for unit in (*UNITS, "sekretariat"):
        await call(stack, "PUT", f"/v1/cycles/{cycle_id}/units/{unit}/organisation-rating",
                   body={"rating": "baik"}, expect=202)
    await poll_async(no_work_under_way, "every leader's appraisal has its unit's rating", within=60)

    gateway = AppraisalClient(stack.client, stack.task_queue)
    by_key = {m.employee: m for m in members}
    limit = asyncio.Semaphore(16)

    hr = Actor(subject="e-hr", roles=frozenset({Role.EMPLOYEE, Role.HR}),
               agencies=frozenset({stack.agency}))

    def actor(key: str) -> Actor:
        if key == "hr":  # the appraiser of record of the agency's head
            return hr
        return Actor(subject=key, roles=frozenset({Role.EMPLOYEE}), agency=stack.agency,
                     unit=by_key[key].unit)

    async def send(employee: str, command: d.Command, who: str) -> None:
        async with limit:
            await gateway.send(f"appraisal-{cycle_id}-{employee}", command, actor(who),
                               uuid.uuid4().hex)

    async def review(member: CycleMember, work: str, behaviour: str) -> None:
        appraiser = member.appraiser or "hr"
        skp = Skp.model_validate(SKP)
        if member.position_kind is PositionKind.JPT:  # RHK grouped by perspective
            skp = skp.model_copy(update={"rhk": [
                rhk.model_copy(update={"perspective": "penerima layanan"}) for rhk in skp.rhk]})
        await send(member.employee, d.DraftTargets(skp=skp), member.employee)
        await send(member.employee, d.SubmitTargets(), member.employee)
        await send(member.employee, d.ApproveTargets(), appraiser)
        await send(member.employee, d.SubmitSelfAssessment(
            assessment=SelfAssessment.model_validate(SELF_ASSESSMENT)), member.employee)
        await send(member.employee, d.SubmitReview(ratings=Ratings.model_validate(
            review_body(rhk=work, values=behaviour))), appraiser)

    async def all_of(tasks: list[Awaitable[None]]) -> None:
        await asyncio.gather(*tasks)

    # Everyone reviewed; dinkes all Baik (breaks the Baik curve), the others mixed.
    head = by_key["e-head"]
    await review(head, "meets", "meets")
    await all_of([review(m, *rated(m, m.unit != "dinkes")) for m in members
                  if m.employee != "e-head"])
    assert set((await phases(stack.pool, cycle_id)).values()) == {"calibration"}

    calibration = await call(stack, "GET", f"/v1/cycles/{cycle_id}/units/dinkes/calibration")
    assert calibration["check"]["counts"] == {"baik": 50}
    assert len(calibration["check"]["broken"]) == 2
    await call(stack, "POST", f"/v1/cycles/{cycle_id}/units/dinkes/release", body={},
               expect=422)
    # The fix: appraisers revise 15 reviews while dinkes is held (Baik 35 of 50 = 70%).
    revised = [m for m in members if m.unit == "dinkes" and not m.is_unit_leader][:15]
    await all_of([send(m.employee, d.SubmitReview(ratings=Ratings.model_validate(
        review_body(rhk="below", values="meets"))), m.appraiser or "") for m in revised])
    calibration = await call(stack, "GET", f"/v1/cycles/{cycle_id}/units/dinkes/calibration")
    assert calibration["check"]["broken"] == [], calibration["check"]
    for unit in (*UNITS, "sekretariat"):
        await call(stack, "POST", f"/v1/cycles/{cycle_id}/units/{unit}/release",
                   body={} if unit != "sekretariat" else {
                       "exception_reason": "Satu pegawai: kurva tidak bermakna."}, expect=202)
    await poll_async(no_work_under_way, "every unit is released", within=120)
    assert set((await phases(stack.pool, cycle_id)).values()) == {"objection_window"}

    # Objections: in each unit, two staff object; one is upheld, one changes the result.
    objecting = [m for unit in UNITS
                 for m in [x for x in members if x.unit == unit and not x.is_unit_leader][:2]]
    for number, m in enumerate(objecting):
        await send(m.employee, d.FileObjection(reasons="Bukti dukung tidak dipertimbangkan."),
                   m.employee)
        await send(m.employee, d.RequestExplanations(
            parties=frozenset({"appraiser"}), questions="Dasar penilaian RHK 1?"),
            m.superior or "")
        decision = d.DecideObjection(outcome="uphold", reason="Sesuai bukti.") if number % 2 \
            else d.DecideObjection(outcome="change", reason="Bukti baru sah.",
                                   work_result=Rating.ABOVE, behaviour=Rating.ABOVE)
        await send(m.employee, decision, m.superior or "")
    objected = {m.employee for m in objecting}
    await all_of([send(m.employee, d.AcceptResult(), m.employee) for m in members
                  if m.employee not in objected])
    assert set((await phases(stack.pool, cycle_id)).values()) == {"final"}

    closed = await call(stack, "POST", f"/v1/cycles/{cycle_id}/close")
    assert closed["events"] == ["CycleClosed"]
    distribution = closed["cycle"]["state"]["distribution"]
    assert sum(sum(counts.values()) for counts in distribution.values()) == 201
    dinkes = Counter(distribution["dinkes"])
    assert dinkes["baik"] + dinkes.get("sangat_baik", 0) + dinkes["butuh_perbaikan"] == 50
    assert dinkes.get("sangat_baik", 0) == 1  # the changed objection
    await call(stack, "POST", f"/v1/cycles/{cycle_id}/close", expect=409)  # closed: once

    if os.environ.get("KINERJA_RECORD_HISTORIES") == "1":  # the closing run, for replay
        handle = stack.client.get_workflow_handle(cycle_workflow_id(cycle_id))
        (HISTORIES / "cycle-closed.json").write_text((await handle.fetch_history()).to_json())

    results = list(csv.DictReader(io.StringIO(
        await call(stack, "GET", f"/v1/cycles/{cycle_id}/results.csv"))))
    assert len(results) == 201 and {r["phase"] for r in results} == {"final"}
    functional = [r for r in results if r["credit_points"]]
    assert len(functional) == len(UNITS) * 10
    assert all(float(r["credit_points"]) > 0 for r in functional)
