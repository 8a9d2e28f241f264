"""Reads recorded in the agency's access stream: every read by an inspector (appraisals,
their events, lists, cycle progress and results), HR's reads of personal data (an
appraisal and its events, the results export, the roster); not the parties' own reads."""

from __future__ import annotations

from typing import Any

from tests.lifecycle.conftest import UNIT, YEAR, Stack, open_body

EMP, BOSS, HR, INSPECTOR = "e-emp", "e-boss", "e-hr", "i-1"


async def get(stack: Stack, path: str, who: str, *roles: str, request_id: str | None = None,
              agencies: tuple[str, ...] | None = None, expect: int = 200) -> Any:
    if agencies is None:
        agencies = (stack.agency,) if {"hr", "inspector"} & set(roles) else ()
    headers = stack.headers(who, *roles, agencies=agencies)
    if request_id is not None:
        headers["X-Request-Id"] = request_id
    response = await stack.http.get(path, headers=headers)
    assert response.status_code == expect, response.text
    return response


async def access(stack: Stack) -> list[dict[str, Any]]:
    response = await get(stack, f"/v1/audit/access?agency={stack.agency}", HR, "hr")
    return response.json()  # type: ignore[no-any-return]


async def test_inspector_and_hr_reads_of_appraisals_are_recorded_the_parties_are_not(
    audit_stack: Stack,
) -> None:
    stack = audit_stack
    response = await stack.http.post("/v1/appraisals", json=open_body(stack.agency, EMP),
                                     headers=stack.headers(HR, "employee", "hr",
                                                           agencies=(stack.agency,)))
    assert response.status_code == 201, response.text
    appraisal = response.json()["appraisal"]["id"]
    response = await stack.http.post("/v1/appraisals", json=open_body(stack.agency, HR),
                                     headers=stack.headers(HR, "employee", "hr",
                                                           agencies=(stack.agency,)))
    assert response.status_code == 201, response.text
    hr_own = response.json()["appraisal"]["id"]
    one, events = f"/v1/appraisals/{appraisal}", f"/v1/appraisals/{appraisal}/events"
    listed = f"/v1/appraisals?cycle={stack.agency}-{YEAR}"

    # Not recorded: the employee's own reads, the appraiser's, HR's own appraisal and
    # HR's list (no personal data beyond the phase), and a 404 for another agency.
    await get(stack, one, EMP)
    await get(stack, events, EMP)
    await get(stack, "/v1/me/appraisals", EMP)
    await get(stack, one, BOSS)
    await get(stack, f"/v1/appraisals/{hr_own}", HR, "employee", "hr")
    await get(stack, listed, HR, "employee", "hr")
    await get(stack, one, INSPECTOR, "inspector", agencies=("elsewhere",), expect=404)
    await get(stack, listed, INSPECTOR, "inspector", agencies=("elsewhere",))
    assert await access(stack) == []

    # Recorded: the inspector's reads, then HR's reads of the appraisal and its events.
    await get(stack, one, INSPECTOR, "inspector", request_id="req-1")
    await get(stack, events + "?from_version=1", INSPECTOR, "inspector", request_id="req-2")
    rows = (await get(stack, listed, INSPECTOR, "inspector", request_id="req-3")).json()
    await get(stack, one, HR, "employee", "hr", request_id="req-4")
    await get(stack, events, HR, "employee", "hr")
    recorded = await access(stack)
    assert [(r["type"], r["what"], r["actor"], r["appraisal_id"]) for r in recorded] == [
        ("InspectorRead", "appraisal", INSPECTOR, appraisal),
        ("InspectorRead", "appraisal-events", INSPECTOR, appraisal),
        ("InspectorRead", "appraisal-list", INSPECTOR, None),
        ("HrRead", "appraisal", HR, appraisal),
        ("HrRead", "appraisal-events", HR, appraisal),
    ]
    assert [r["request_id"] for r in recorded[:4]] == ["req-1", "req-2", "req-3", "req-4"]
    assert recorded[4]["request_id"]  # made up by the API when the client sends none
    assert recorded[0]["roles"] == ["inspector"] and recorded[3]["roles"] == ["employee", "hr"]
    assert {r["actor_agency"] for r in recorded} == {stack.agency}
    assert recorded[0]["details"]["route"] == "/v1/appraisals/{appraisal_id}"
    assert recorded[1]["details"]["query"] == {"from_version": "1"}
    assert recorded[2]["details"]["query"] == {"cycle": f"{stack.agency}-{YEAR}"}
    assert sorted(recorded[2]["details"]["appraisal_ids"]) == sorted(r["id"] for r in rows)
    assert {appraisal, hr_own} == set(recorded[2]["details"]["appraisal_ids"])

    # Nothing was sealed here (no sealer runs): the verify answer shows the backlog.
    whole = (await get(stack, "/v1/audit/verify", INSPECTOR, "inspector",
                       agencies=("*",))).json()
    total = await stack.pool.fetchval("SELECT count(*) FROM events")
    assert whole["ok"] and whole["sealed"] and whole["warnings"] == []
    assert whole["backlog"]["unsealed_events"] == total > 0
    assert whole["backlog"]["oldest_unsealed_age_seconds"] >= 0
    assert whole["backlog"]["warn_after_seconds"] == 60.0
    stream = (await get(stack, f"/v1/audit/verify?stream={appraisal}", INSPECTOR,
                        "inspector")).json()
    versions = await stack.pool.fetchval(
        "SELECT count(*) FROM events WHERE stream_id = $1", appraisal)
    assert stream["backlog"]["unsealed_versions"] == list(range(1, versions + 1))


async def test_cycle_progress_results_and_roster_reads_are_recorded(
    audit_stack: Stack,
) -> None:
    stack = audit_stack
    response = await stack.http.post("/v1/cycles", json={"agency": stack.agency, "year": YEAR + 1},
                                     headers=stack.headers(HR, "employee", "hr",
                                                           agencies=(stack.agency,)))
    assert response.status_code == 201, response.text
    cycle = response.json()["cycle"]["id"]
    base = f"/v1/cycles/{cycle}"

    # HR's progress (counts, no personal data) is not recorded.
    await get(stack, f"{base}/progress", HR, "employee", "hr")
    await get(stack, f"{base}/progress.csv", HR, "employee", "hr")
    await get(stack, f"{base}/results.csv", INSPECTOR, "inspector", agencies=("elsewhere",),
              expect=404)
    assert await access(stack) == []

    await get(stack, f"{base}/progress?unit={UNIT}", INSPECTOR, "inspector")
    await get(stack, f"{base}/progress.csv", INSPECTOR, "inspector")
    await get(stack, f"{base}/results.csv", INSPECTOR, "inspector")
    await get(stack, f"{base}/results.csv", HR, "employee", "hr")
    await get(stack, f"/v1/agencies/{stack.agency}/roster?unit={UNIT}", HR, "employee", "hr")
    recorded = await access(stack)
    assert [(r["type"], r["what"], r["actor"]) for r in recorded] == [
        ("InspectorRead", "cycle-progress", INSPECTOR),
        ("InspectorRead", "cycle-progress-csv", INSPECTOR),
        ("InspectorRead", "cycle-results-csv", INSPECTOR),
        ("HrRead", "cycle-results-csv", HR),
        ("HrRead", "roster", HR),
    ]
    assert all(r["details"]["cycle_id"] == cycle for r in recorded[:4])
    assert recorded[0]["details"]["query"] == {"unit": UNIT}
    assert recorded[4]["details"] == {"agency": stack.agency, "query": {"unit": UNIT},
                                      "route": "/v1/agencies/{agency}/roster"}
