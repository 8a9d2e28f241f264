"""A roster applied in the background (the Pegawai page's apply) while a cycle runs: the
running cycle follows it as after an import over the API (a leaver's appraisal cancelled),
and the apply's report names the cycles asked."""

from __future__ import annotations

from pathlib import Path

from domain.authorization import Actor, Role
from services.bootstrap import bootstrap
from store.roster_uploads import RosterUploads
from tests.polling import poll_async

from .conftest import Stack
from .test_cycle import HR, YEAR, calendar_ahead, call, phases


async def test_a_running_cycle_follows_a_roster_applied_in_the_background(
        stack: Stack) -> None:
    demo = (Path(__file__).parents[2] / "deploy" / "demo-roster.csv").read_bytes()
    imported = await stack.http.post(
        "/v1/roster/imports", params={"agency": stack.agency},
        files={"file": ("roster.csv", demo, "text/csv")},
        headers=stack.headers(HR, "employee", "hr", agencies=(stack.agency,)))
    assert imported.status_code == 200, imported.text
    created = await call(stack, "POST", "/v1/cycles", expect=201, body={
        "agency": stack.agency, "year": YEAR, "calendar": calendar_ahead()})
    cycle_id = created["cycle"]["id"]
    await call(stack, "POST", f"/v1/cycles/{cycle_id}/start", expect=202)

    async def opened() -> bool:
        cycle = await call(stack, "GET", f"/v1/cycles/{cycle_id}")
        return cycle["state"]["status"] == "running" and \
            len(await phases(stack.pool, cycle_id)) == 8
    await poll_async(opened, "every employee of the roster has an appraisal", within=60)

    # Dewi (e-insp1) leaves: the file without her row, applied by the worker.
    changed = "\n".join(line for line in demo.decode().splitlines()
                        if not line.startswith("e-insp1;")).encode()
    hr = Actor(subject=HR, roles=frozenset({Role.EMPLOYEE, Role.HR}),
               agencies=frozenset({stack.agency}), agency=stack.agency)
    roster = bootstrap(stack.pool, stack.client, stack.task_queue).roster
    staged, report = await roster.stage(hr, stack.agency, changed, "roster.csv")
    assert report.changes.left == 1
    await roster.start_apply(hr, stack.agency, staged.id, valid_only=False)
    uploads = RosterUploads(stack.pool)

    async def done() -> bool:
        job = await uploads.job(staged.id)
        return job is not None and job.over
    await poll_async(done, "the background apply ends", within=60)
    job = await uploads.job(staged.id)
    assert job is not None and job.status == "done", job
    shown = roster.apply_report(job)
    assert shown is not None and shown.cycles_following == [cycle_id]
    assert shown.changes.left == 1

    async def followed() -> bool:
        state = (await call(stack, "GET", f"/v1/cycles/{cycle_id}"))["state"]
        return not state["pending"] and state["work_done"] >= 2
    await poll_async(followed, "the cycle follows the roster", within=60)
    dewi = await stack.pool.fetchrow(
        "SELECT phase, state->>'cancel_reason_kind' AS why FROM appraisal_summaries"
        " WHERE appraisal_id = $1", f"appraisal-{cycle_id}-e-insp1")
    assert (dewi["phase"], dewi["why"]) == ("cancelled", "other")
