"""An agency's cycle through the HTTP API, on a real Temporal and a real PostgreSQL:
start (roster frozen, appraisals opened page by page), progress, a unit's deadline
moved, calibration failing then fixed, release, close; and a start interrupted by
a worker going away, resumed by another with no duplicate and no gap."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import sys
import time
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from temporalio.client import ScheduleActionExecutionStartWorkflow
from temporalio.testing import WorkflowEnvironment

from domain.appraisal import CommandRefused, PositionKind
from domain.authorization import Actor, Role
from domain.credit import PositionChange, months_served, position_span
from domain.cycle import CreateCycle, CycleMember, CycleStatus, roster_digest
from domain.policy import (
    POLICY_6_2022,
    FunctionalLevel,
    credit_points,
    default_calendar,
    end_of_local_day,
)
from domain.ratings import Predikat
from kinerja.schedules import ensure_next_cycle_schedules
from kinerja.settings import Settings
from kinerja.worker import running_worker
from store.cycles import CycleStore
from store.event_log import EventLog
from tests.polling import poll_async
from workflows.cycle.client import CycleClient
from workflows.cycle.contract import StartCycleRequest, cycle_workflow_id

from .conftest import (
    LATE_RELEASE,
    SELF_ASSESSMENT,
    SKP,
    YEAR,
    Stack,
    history_text,
    open_body,
    review_body,
)

HR = "e-hr"


def roster(units: dict[str, int]) -> list[CycleMember]:
    """Each unit: a leader (appraised by the agency head ``e-head``) and staff under them."""
    members = [CycleMember(employee="e-head", unit="sekretariat", appraiser=None,
                           superior=None, position_kind=PositionKind.JPT, is_unit_leader=True)]
    for unit, size in units.items():
        leader = f"e-{unit}-lead"
        members.append(CycleMember(employee=leader, unit=unit, appraiser="e-head",
                                   superior=None, position_kind=PositionKind.ADMINISTRATOR,
                                   is_unit_leader=True))
        members += [CycleMember(employee=f"e-{unit}-{n:03d}", unit=unit, appraiser=leader,
                                superior="e-head") for n in range(size - 1)]
    return members


async def call(stack: Stack, method: str, path: str, who: str = HR, *roles: str,
               body: Any = None, expect: int = 200) -> Any:
    roles = roles or (("employee", "hr") if who == HR else ("employee",))
    agencies = (stack.agency,) if {"hr", "inspector"} & set(roles) else ()
    response = await stack.http.request(method, path, json=body,
                                        headers=stack.headers(who, *roles, agencies=agencies))
    assert response.status_code == expect, response.text
    return response.json() if "json" in response.headers.get("content-type", "") \
        else response.text


def calendar_ahead() -> dict[str, str]:
    now = datetime.now(UTC)
    return {"skp_deadline": (now + timedelta(days=30)).isoformat(),
            "self_assessment_deadline": (now + timedelta(days=60)).isoformat(),
            "review_deadline": (now + timedelta(days=90)).isoformat()}


def change(at: datetime) -> PositionChange:
    """A transfer recorded at ``at``, on its day in WIB."""
    return PositionChange(at=at, on=at.astimezone(timezone(timedelta(hours=7))).date(),
                          kind="transferred")


async def phases(pool: asyncpg.Pool, cycle_id: str, unit: str | None = None) -> dict[str, str]:
    rows = await pool.fetch("SELECT employee, phase FROM appraisal_summaries WHERE cycle_id = $1"
                            " AND ($2::text IS NULL OR unit = $2)", cycle_id, unit)
    return {r["employee"]: r["phase"] for r in rows}


async def review(stack: Stack, cycle_id: str, employee: str, appraiser: str,
                 **ratings: str) -> None:
    base = f"/v1/appraisals/appraisal-{cycle_id}-{employee}"
    await call(stack, "PUT", f"{base}/targets", employee, body=SKP)
    await call(stack, "POST", f"{base}/targets/submit", employee)
    await call(stack, "POST", f"{base}/targets/approve", appraiser)
    await call(stack, "POST", f"{base}/self-assessment", employee, body=SELF_ASSESSMENT)
    await call(stack, "POST", f"{base}/review", appraiser, body=review_body(**ratings))


async def kinerja(*args: str, database_url: str) -> str:
    """Run the ``kinerja`` command against ``database_url``; its standard output."""
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "kinerja"), *args,
        env={**os.environ, "KINERJA_DATABASE_URL": database_url, "COLUMNS": "200"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_a_cycle_from_start_to_release_with_a_calibration_failure(
        stack: Stack, database_dsn: str) -> None:
    members = roster({"dinkes": 12, "diskominfo": 6})
    stack.rosters[stack.agency] = members
    created = await call(stack, "POST", "/v1/cycles", expect=201, body={
        "agency": stack.agency, "year": YEAR, "calendar": calendar_ahead(), "page_size": 7})
    cycle_id = created["cycle"]["id"]
    assert cycle_id == f"{stack.agency}-{YEAR}" and created["events"] == ["CycleCreated"]
    # Nobody but HR of the agency runs it (an inspector reads it); others do not see it.
    await call(stack, "POST", f"/v1/cycles/{cycle_id}/start", "e-insp", "inspector",
               expect=403)
    await call(stack, "GET", f"/v1/cycles/{cycle_id}", "e-insp", "inspector")
    await call(stack, "POST", f"/v1/cycles/{cycle_id}/start", "e-dinkes-001", expect=404)
    await call(stack, "GET", "/v1/cycles/pemkot-nowhere-2020", expect=404)

    started = await call(stack, "POST", f"/v1/cycles/{cycle_id}/start", expect=202)
    assert started["events"] == ["CycleStarted"]
    assert started["cycle"]["state"]["roster_digest"] == roster_digest(members)
    assert started["cycle"]["state"]["members"] == len(members) == 19
    await call(stack, "POST", f"/v1/cycles/{cycle_id}/start", expect=409)  # once

    async def all_opened() -> bool:
        cycle = await call(stack, "GET", f"/v1/cycles/{cycle_id}")
        return cycle["state"]["status"] == "running" and \
            len(await phases(stack.pool, cycle_id)) == len(members)
    await poll_async(all_opened, "every member's appraisal is open", within=60)
    assert set((await phases(stack.pool, cycle_id)).values()) == {"target_setting"}

    progress = await call(stack, "GET", f"/v1/cycles/{cycle_id}/progress")
    assert progress["total"] == 19
    assert {(c["unit"], c["count"]) for c in progress["by_unit_phase"]} == {
        ("dinkes", 12), ("diskominfo", 6), ("sekretariat", 1)}
    assert progress["overdue_counts"] == {} and progress["distribution"] == {}
    table = list(csv.DictReader(io.StringIO(
        await call(stack, "GET", f"/v1/cycles/{cycle_id}/progress.csv"))))
    assert [(r["unit"], r["total"], r["target_setting"]) for r in table] == [
        ("dinkes", "12", "12"), ("diskominfo", "6", "6"), ("sekretariat", "1", "1")]

    printed = await kinerja("cycle", "status", cycle_id, database_url=database_dsn)
    assert "running" in printed and "dinkes" in printed and "12" in printed
    printed = await kinerja("cycle", "status", cycle_id, "--csv", database_url=database_dsn)
    assert list(csv.reader(io.StringIO(printed))) == [[c for c in row] for row in csv.reader(
        io.StringIO(await call(stack, "GET", f"/v1/cycles/{cycle_id}/progress.csv")))]

    # One unit's SKP deadline moves; the other unit's stays.
    until = datetime.now(UTC).replace(microsecond=0) + timedelta(days=45)
    moved = await call(stack, "POST", f"/v1/cycles/{cycle_id}/deadlines", expect=202, body={
        "deadline": "skp", "until": until.isoformat(), "reason": "Gangguan jaringan",
        "unit": "diskominfo"})
    assert moved["events"] == ["CycleDeadlineMoved"]

    async def moved_for_the_unit() -> bool:
        rows = await stack.pool.fetch(
            "SELECT unit, next_deadline_at FROM appraisal_summaries WHERE cycle_id = $1",
            cycle_id)
        # at the end of its day in the agency's zone (WIB)
        return all((r["next_deadline_at"] == end_of_local_day(until, 7))
                   == (r["unit"] == "diskominfo") for r in rows)
    await poll_async(moved_for_the_unit, "diskominfo's SKP deadline moved, and only its", within=60)
    await call(stack, "POST", f"/v1/cycles/{cycle_id}/deadlines", expect=422, body={
        "deadline": "skp", "until": until.isoformat(), "reason": "x", "unit": "nowhere"})

    # Calibration of diskominfo: rated Baik; everyone "meets" breaks the curve.
    await call(stack, "PUT", f"/v1/cycles/{cycle_id}/units/diskominfo/organisation-rating",
               body={"rating": "baik"}, expect=202)
    staff = [m for m in members if m.unit == "diskominfo" and not m.is_unit_leader]
    leader = next(m for m in members if m.unit == "diskominfo" and m.is_unit_leader)

    async def leader_has_rating() -> bool:
        state = await stack.pool.fetchval(
            "SELECT state->>'organisation_rating' FROM appraisal_summaries"
            " WHERE employee = $1 AND cycle_id = $2", leader.employee, cycle_id)
        return bool(state == "baik")
    await poll_async(leader_has_rating, "the unit leader's appraisal has the unit's rating",
                     within=60)
    await review(stack, cycle_id, leader.employee, "e-head")
    for m in staff:
        await review(stack, cycle_id, m.employee, leader.employee)
    calibration = await call(stack, "GET", f"/v1/cycles/{cycle_id}/units/diskominfo/calibration")
    assert calibration["check"]["total"] == 6 and calibration["check"]["counts"] == {"baik": 6}
    broken = sorted(b["description"] for b in calibration["check"]["broken"])
    assert len(broken) == 2 and "70%" in broken[0] + broken[1]  # at most 70%; one BP or K
    refused = await call(stack, "POST", f"/v1/cycles/{cycle_id}/units/diskominfo/release",
                         body={}, expect=422)
    assert refused["errors"][0]["field"] == "exception_reason"

    # Two appraisers revise their reviews while the unit is held: now it passes.
    for m in staff[:2]:
        await call(stack, "POST", f"/v1/appraisals/appraisal-{cycle_id}-{m.employee}/review",
                   leader.employee, body=review_body(rhk="below", values="meets"))
    calibration = await call(stack, "GET", f"/v1/cycles/{cycle_id}/units/diskominfo/calibration")
    assert calibration["check"]["broken"] == [], calibration
    released = await call(stack, "POST", f"/v1/cycles/{cycle_id}/units/diskominfo/release",
                          body={}, expect=202)
    assert released["events"] == ["UnitReleased"]

    async def unit_released() -> bool:
        return set((await phases(stack.pool, cycle_id, "diskominfo")).values()) == {
            "objection_window"}
    await poll_async(unit_released, "diskominfo's results are released", within=60)
    assert set((await phases(stack.pool, cycle_id, "dinkes")).values()) == {"target_setting"}

    async def no_work_under_way() -> bool:
        return not (await call(stack, "GET", f"/v1/cycles/{cycle_id}"))["state"]["pending"]
    await poll_async(no_work_under_way, "the release is recorded as done", within=60)
    # Not every appraisal has ended: the cycle does not close.
    refused = await call(stack, "POST", f"/v1/cycles/{cycle_id}/close", expect=409)
    assert refused["detail"].startswith("19 appraisal(s) are neither final nor cancelled")

    results = list(csv.DictReader(io.StringIO(
        await call(stack, "GET", f"/v1/cycles/{cycle_id}/results.csv"))))
    assert len(results) == 19 and {r["unit"] for r in results} == {
        "dinkes", "diskominfo", "sekretariat"}

    if os.environ.get("KINERJA_RECORD_HISTORIES") == "1":  # a running cycle, for replay
        handle = stack.client.get_workflow_handle(cycle_workflow_id(cycle_id))
        (Path(__file__).parent / "histories" / "cycle-released.json").write_text(
            (await handle.fetch_history()).to_json())

    # A late appraisal in diskominfo, released after its calibration passed: released on
    # its own without an exception (the use case reads the unit's release from the cycle).
    late = "e-late"
    await call(stack, "POST", "/v1/appraisals", body=open_body(
        stack.agency, late, unit="diskominfo", appraiser=leader.employee,
        superior="e-head"), expect=201)
    await review(stack, cycle_id, late, leader.employee)
    late_released = await call(stack, "POST",
                               f"/v1/appraisals/appraisal-{cycle_id}-{late}/release", body={})
    assert late_released["events"] == ["ResultReleased"]
    # In dinkes, not released: the same request is refused without an exception reason.
    other = "e-late-dinkes"
    await call(stack, "POST", "/v1/appraisals", body=open_body(
        stack.agency, other, unit="dinkes", appraiser=leader.employee,
        superior="e-head"), expect=201)
    await review(stack, cycle_id, other, leader.employee)
    refused = await call(stack, "POST", f"/v1/appraisals/appraisal-{cycle_id}-{other}/release",
                         body={}, expect=422)
    assert refused["errors"][0]["field"] == "exception_reason"

    # The cycle's trail: every event chained, the pages contiguous.
    trail = await EventLog(stack.pool).read_stream(cycle_workflow_id(cycle_id))
    pages = [(e.data["work"], e.data["offset"]) for e in trail if e.type == "PageDone"]
    assert [o for w, o in pages if w == 0] == [0, 7, 14]
    assert (await EventLog(stack.pool).verify_stream(cycle_workflow_id(cycle_id))).ok


async def test_an_interrupted_start_resumes_with_no_duplicate_and_no_gap(
        temporal_dev: WorkflowEnvironment, app_pool: asyncpg.Pool) -> None:
    agency = f"pemkab-{int(time.time() * 1000) % 10**9}"
    members = roster({"dinkes": 40})
    cycle_id = f"{agency}-{YEAR}"

    async def source(_: str) -> list[CycleMember]:
        return members

    hr = Actor(subject=HR, roles=frozenset({Role.HR}), agencies=frozenset({agency}))
    calendar = default_calendar(YEAR, POLICY_6_2022).model_copy(update={
        "skp_deadline": datetime.now(UTC) + timedelta(days=30),
        "self_assessment_deadline": datetime.now(UTC) + timedelta(days=60),
        "review_deadline": datetime.now(UTC) + timedelta(days=90)})
    task_queue = f"test-interrupt-{agency}"
    gateway = CycleClient(temporal_dev.client, task_queue)
    async with running_worker(temporal_dev.client, app_pool, task_queue=task_queue,
                              roster_source=source):
        await gateway.send(cycle_id, CreateCycle(agency=agency, year=YEAR, calendar=calendar,
                                                 page_size=4), hr, "c1")
        await gateway.send(cycle_id, StartCycleRequest(), hr, "s1")

        async def some_opened() -> bool:
            return len(await phases(app_pool, cycle_id)) >= 4
        await poll_async(some_opened, "a first page is opened", within=60)
    # The worker is gone mid-start: only part of the roster has an appraisal.
    assert len(await phases(app_pool, cycle_id)) < len(members)
    async with running_worker(temporal_dev.client, app_pool, task_queue=task_queue,
                              roster_source=source):
        async def all_opened() -> bool:
            state = await CycleStore(app_pool).state(cycle_id)
            return state is not None and state.status is CycleStatus.RUNNING
        await poll_async(all_opened, "the start is resumed and finished", within=60)
        opened = await app_pool.fetch(
            "SELECT employee, count(*) AS n FROM appraisal_summaries WHERE cycle_id = $1"
            " GROUP BY employee", cycle_id)
        assert sorted(r["employee"] for r in opened) == sorted(m.employee for m in members)
        assert all(r["n"] == 1 for r in opened)
        trail = await EventLog(app_pool).read_stream(cycle_workflow_id(cycle_id))
        offsets = [e.data["offset"] for e in trail if e.type == "PageDone"]
        assert offsets == list(range(0, len(members) + 1, 4))[:len(offsets)]
        assert sum(e.data["reached"] for e in trail if e.type == "PageDone") <= len(members)
        with pytest.raises(CommandRefused) as refused:  # started once
            await gateway.send(cycle_id, StartCycleRequest(), hr, "s2")
        assert refused.value.code == "phase"
        await temporal_dev.client.get_workflow_handle(cycle_workflow_id(cycle_id)).terminate()
        for row in opened:
            await temporal_dev.client.get_workflow_handle(
                f"appraisal-{cycle_id}-{row['employee']}").terminate()


async def test_the_yearly_schedule_creates_next_years_cycle(stack: Stack) -> None:
    settings = Settings(next_cycle_on="12-01", next_cycle_agencies=f" {stack.agency} ",
                        task_queue=stack.task_queue)
    assert await ensure_next_cycle_schedules(stack.client, Settings(task_queue="x")) == []
    made = await ensure_next_cycle_schedules(stack.client, settings)
    assert made == [f"next-cycle-{stack.agency}"]
    assert await ensure_next_cycle_schedules(stack.client, settings) == made  # updated in place
    handle = stack.client.get_schedule_handle(made[0])
    described = await handle.describe()
    calendar = described.schedule.spec.calendars[0]
    assert (calendar.month[0].start, calendar.day_of_month[0].start) == (12, 1)
    await handle.trigger()  # as if it were the 1st of December
    next_year = f"{stack.agency}-{datetime.now(UTC).year + 1}"

    async def created() -> bool:
        state = await CycleStore(stack.pool).state(next_year)
        return state is not None and state.status is CycleStatus.CREATED
    await poll_async(created, "next year's cycle is created", within=60)
    await handle.trigger()  # again: the cycle exists, nothing changes

    async def ran_twice() -> bool:
        return len((await handle.describe()).info.recent_actions) == 2
    await poll_async(ran_twice, "the schedule ran twice", within=60)
    for action in (await handle.describe()).info.recent_actions:
        assert isinstance(action.action, ScheduleActionExecutionStartWorkflow)
        ran = stack.client.get_workflow_handle(action.action.workflow_id)
        assert await ran.result() == next_year
    trail = await EventLog(stack.pool).read_stream(cycle_workflow_id(next_year))
    assert [e.type for e in trail] == ["CycleCreated"]
    assert trail[0].metadata["actor"] == "system"
    await handle.delete()


async def test_a_cycle_starts_from_the_imported_roster(stack: Stack) -> None:
    demo = (Path(__file__).parents[2] / "deploy" / "demo-roster.csv").read_bytes()
    imported = await stack.http.post(
        "/v1/roster/imports", params={"agency": stack.agency},
        files={"file": ("roster.csv", demo, "text/csv")},
        headers=stack.headers(HR, "employee", "hr", agencies=(stack.agency,)))
    assert imported.status_code == 200, imported.text
    created = await call(stack, "POST", "/v1/cycles", expect=201, body={
        "agency": stack.agency, "year": YEAR, "calendar": calendar_ahead()})
    cycle_id = created["cycle"]["id"]
    started = await call(stack, "POST", f"/v1/cycles/{cycle_id}/start", expect=202)
    assert started["cycle"]["state"]["members"] == 8
    assert started["cycle"]["state"]["units"].keys() == {
        "setda", "diskominfo", "bkpsdm", "inspektorat"}

    async def opened() -> bool:  # and the start recorded as done: the cycle is running
        cycle = await call(stack, "GET", f"/v1/cycles/{cycle_id}")
        return cycle["state"]["status"] == "running" and \
            len(await phases(stack.pool, cycle_id)) == 8
    await poll_async(opened, "every employee of the roster has an appraisal", within=60)
    siti = await stack.pool.fetchrow(
        "SELECT unit, appraiser, superior, state->>'functional_level' AS level,"
        " (state->>'is_unit_leader')::boolean AS leader FROM appraisal_summaries"
        " WHERE appraisal_id = $1", f"appraisal-{cycle_id}-e-0001")
    assert dict(siti) == {"unit": "diskominfo", "appraiser": "e-0002", "superior": "e-0003",
                          "level": "ahli_pertama", "leader": False}
    rina_leads = await stack.pool.fetchval(
        "SELECT (state->>'is_unit_leader')::boolean FROM appraisal_summaries"
        " WHERE appraisal_id = $1", f"appraisal-{cycle_id}-e-0003")
    assert rina_leads is True
    results = {r["employee"]: r for r in csv.DictReader(io.StringIO(
        await call(stack, "GET", f"/v1/cycles/{cycle_id}/results.csv")))}
    assert results["e-0001"]["nip"] == "199205202019032003"
    assert results["e-0001"]["name"] == "Siti Rahmawati"
    # Nothing of Temporal holds a NIP: not the workflow ids, not the opening command (the
    # payloads decoded: in the history's JSON they are base64).
    history = await history_text(stack.client, f"appraisal-{cycle_id}-e-0001")
    assert "e-0002" in history  # the appraiser's key: what is there is read
    assert "199205202019032003" not in history and "Siti" not in history

    # The roster changes while the cycle runs: Rina now reports to Sri (so Budi's appraiser's
    # superior changes too), Siti moves to BKPSDM under Sri, Dewi leaves.
    rows = demo.decode().splitlines()
    changed = []
    for row in rows:
        cells = row.split(";")
        if cells[0] == "e-0003":
            cells[10] = "197204211997012002"
        elif cells[0] == "e-0001":
            cells[7:11] = ["bkpsdm", "Badan Kepegawaian dan Pengembangan SDM", "setda",
                           "197204211997012002"]
        elif cells[0] == "e-insp1":
            continue
        changed.append(";".join(cells))
    report = await stack.http.post(
        "/v1/roster/imports", params={"agency": stack.agency},
        files={"file": ("roster.csv", "\n".join(changed).encode(), "text/csv")},
        headers=stack.headers(HR, "employee", "hr", agencies=(stack.agency,)))
    assert report.status_code == 200, report.text
    assert report.json()["cycles_following"] == [cycle_id]

    async def followed() -> bool:
        state = (await call(stack, "GET", f"/v1/cycles/{cycle_id}"))["state"]
        return not state["pending"] and state["work_done"] == 2
    await poll_async(followed, "the cycle follows the roster", within=60)
    rows_now = {r["appraisal_id"]: r for r in await stack.pool.fetch(
        "SELECT appraisal_id, employee, unit, phase, appraiser, superior,"
        " state->>'cancel_reason_kind' AS why FROM appraisal_summaries"
        " WHERE cycle_id = $1", cycle_id)}
    base = f"appraisal-{cycle_id}"
    assert (rows_now[f"{base}-e-0001"]["phase"], rows_now[f"{base}-e-0001"]["why"]) == (
        "cancelled", "transfer")
    moved = [r for r in rows_now.values()
             if r["employee"] == "e-0001" and r["phase"] != "cancelled"]
    assert len(moved) == 1 and moved[0]["appraisal_id"].startswith(f"{base}-e-0001~")
    assert (moved[0]["unit"], moved[0]["appraiser"], moved[0]["superior"]) == (
        "bkpsdm", "e-0011", "e-0010")
    assert (rows_now[f"{base}-e-0003"]["appraiser"], rows_now[f"{base}-e-0003"]["superior"]) \
        == ("e-0011", "e-0010")
    assert rows_now[f"{base}-e-0002"]["superior"] == "e-0011"
    assert (rows_now[f"{base}-e-insp1"]["phase"], rows_now[f"{base}-e-insp1"]["why"]) == (
        "cancelled", "other")
    trail = await EventLog(stack.pool).read_stream(f"{base}-e-0002")
    assert trail[-1].type == "PartiesReassigned"
    # The same roster again: nothing to follow.
    again = await stack.http.post(
        "/v1/roster/imports", params={"agency": stack.agency},
        files={"file": ("roster.csv", "\n".join(changed).encode(), "text/csv")},
        headers=stack.headers(HR, "employee", "hr", agencies=(stack.agency,)))
    assert again.status_code == 200 and again.json()["cycles_following"] == []

    # Credit points for the months served in the position (PermenPAN-RB 1/2023): Siti's
    # transfer splits her year; each of her two appraisals counts its own months.
    new = f"/v1/appraisals/{moved[0]['appraisal_id']}"
    await call(stack, "PUT", f"{new}/targets", "e-0001", body=SKP)
    await call(stack, "POST", f"{new}/targets/submit", "e-0001")
    await call(stack, "POST", f"{new}/targets/approve", "e-0011")
    await call(stack, "POST", f"{new}/self-assessment", "e-0001", body=SELF_ASSESSMENT)
    await call(stack, "POST", f"{new}/review", "e-0011", body=review_body())
    await call(stack, "POST", f"{new}/release", HR, "employee", "hr", body=LATE_RELEASE)
    await call(stack, "POST", f"{new}/accept", "e-0001")
    siti_rows = [r for r in csv.DictReader(io.StringIO(
        await call(stack, "GET", f"/v1/cycles/{cycle_id}/results.csv")))
        if r["employee"] == "e-0001"]
    assert [(r["unit"], r["phase"]) for r in siti_rows] == [
        ("diskominfo", "cancelled"), ("bkpsdm", "final")]
    transfer_at = next(e.recorded_at for e in await EventLog(stack.pool).read_stream(
        f"roster-{stack.agency}") if e.type == "employee_transferred")
    changes = [change(transfer_at)]
    expected = [months_served(position_span(YEAR, changes, opened), YEAR, POLICY_6_2022)
                for opened in (transfer_at - timedelta(seconds=1), transfer_at)]
    assert [int(r["months"]) for r in siti_rows] == expected
    assert sum(expected) <= 12
    assert siti_rows[0]["credit_points"] == ""  # cancelled: no predikat
    assert Decimal(siti_rows[1]["credit_points"]) == credit_points(
        FunctionalLevel.AHLI_PERTAMA, Predikat(siti_rows[1]["predikat"]), POLICY_6_2022,
        expected[1])
    if transfer_at.astimezone(timezone(timedelta(hours=7))).date() > date(YEAR, 1, 16):
        assert expected[1] < 12  # a year counted whole would give more
