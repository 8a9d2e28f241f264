"""The appraisal lifecycle through the HTTP API, on a real Temporal and a real PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from domain.appraisal import AppraisalState, event_from_data, fold
from store.event_log import EventLog
from workflows.appraisal.workflow import AppraisalWorkflow

from .conftest import LATE_RELEASE, SELF_ASSESSMENT, SKP, YEAR, Stack, open_body, review_body

EMP, BOSS, HEAD, HR = "e-emp", "e-boss", "e-head", "e-hr"
HISTORIES = Path(__file__).parent / "histories"


async def call(stack: Stack, method: str, path: str, who: str, *roles: str,
               body: Any = None, key: str | None = None, expect: int = 200) -> dict[str, Any]:
    agencies = (stack.agency,) if {"hr", "inspector"} & set(roles) else ()
    response = await stack.http.request(method, path, json=body,
                                        headers=stack.headers(who, *roles, key=key,
                                                              agencies=agencies))
    assert response.status_code == expect, response.text
    return response.json()  # type: ignore[no-any-return]


async def open_appraisal(stack: Stack, employee: str = EMP) -> str:
    created = await call(stack, "POST", "/v1/appraisals", HR, "employee", "hr",
                         body=open_body(stack.agency, employee), expect=201)
    assert created["events"] == ["AppraisalOpened"]
    return str(created["appraisal"]["id"])


async def to_review(stack: Stack, appraisal: str) -> None:
    base = f"/v1/appraisals/{appraisal}"
    await call(stack, "PUT", f"{base}/targets", EMP, body=SKP)
    await call(stack, "POST", f"{base}/targets/submit", EMP)
    await call(stack, "POST", f"{base}/targets/approve", BOSS)
    await call(stack, "POST", f"{base}/self-assessment", EMP, body=SELF_ASSESSMENT)


async def assert_trail_folds_to_workflow_state(stack: Stack, appraisal: str,
                                               record_as: str | None = None) -> AppraisalState:
    """The stored trail folds (domain.evolve) to the workflow's state, and its chain verifies.

    With ``KINERJA_RECORD_HISTORIES=1``, the workflow's history is saved under
    ``histories/<record_as>.json`` for the replay test.
    """
    event_log = EventLog(stack.pool)
    recorded = await event_log.read_stream(appraisal)
    folded = fold(event_from_data(e.type, e.data) for e in recorded)
    handle = stack.client.get_workflow_handle_for(AppraisalWorkflow.run, appraisal)
    queried = await handle.query(AppraisalWorkflow.state)
    assert folded == queried
    report = await event_log.verify_stream(appraisal)
    assert report.ok and report.events_checked == len(recorded) == queried.version
    if record_as and os.environ.get("KINERJA_RECORD_HISTORIES") == "1":
        history = await handle.fetch_history()
        (HISTORIES / f"{record_as}.json").write_text(history.to_json())
    return queried


async def test_happy_path_from_targets_to_final(stack: Stack) -> None:
    appraisal = await open_appraisal(stack)
    base = f"/v1/appraisals/{appraisal}"
    assert appraisal == f"appraisal-{stack.agency}-{YEAR}-{EMP}"
    mine = await call(stack, "GET", "/v1/me/appraisals", EMP)
    assert [a["id"] for a in mine] == [appraisal]
    assert mine[0]["phase"] == "target_setting" and mine[0]["next_deadline"] == "skp"

    await call(stack, "PUT", f"{base}/targets", EMP, body=SKP)
    await call(stack, "POST", f"{base}/targets/submit", EMP)
    team = await call(stack, "GET", "/v1/appraisals?role=appraiser", BOSS)
    assert [a["id"] for a in team] == [appraisal]
    await call(stack, "POST", f"{base}/targets/approve", BOSS)
    await call(stack, "POST", f"{base}/progress", EMP, body={
        "period": f"{YEAR}-01",
        "realisations": [{"indicator_id": "ind-1", "value": "12"}],
        "evidence": [{"kind": "link", "description": "Rekap Januari",
                      "url": "https://arsip.example/rekap-januari"}],
    })
    await call(stack, "POST", f"{base}/activities", EMP, body={
        "day": f"{YEAR}-01-15", "rhk_id": "rhk-1", "description": "Melayani 5 permohonan"})
    await call(stack, "POST", f"{base}/feedback", BOSS,
               body={"text": "Pertahankan kecepatan layanan.", "rhk_id": "rhk-1"})
    await call(stack, "POST", f"{base}/self-assessment", EMP, body=SELF_ASSESSMENT)
    reviewed = await call(stack, "POST", f"{base}/review", BOSS,
                          body=review_body("above", "above"))
    assert reviewed["appraisal"]["state"]["predikat"] == "sangat_baik"
    await call(stack, "POST", f"{base}/release", HR, "employee", "hr",
               body=LATE_RELEASE)
    final = await call(stack, "POST", f"{base}/accept", EMP)
    assert final["events"] == ["ResultAccepted", "AppraisalFinalized"]

    state = await call(stack, "GET", base, EMP)
    assert state["phase"] == "final" and state["state"]["predikat"] == "sangat_baik"
    trail = await call(stack, "GET", f"{base}/events", BOSS)
    assert [e["version"] for e in trail] == list(range(1, len(trail) + 1))
    assert trail[0]["type"] == "AppraisalOpened" and trail[-1]["type"] == "AppraisalFinalized"
    assert trail[1]["actor"] == EMP and trail[1]["prev_hash"] == trail[0]["hash"]
    queried = await assert_trail_folds_to_workflow_state(stack, appraisal, "accepted")
    assert queried.phase.value == "final"


async def test_return_and_resubmit_targets(stack: Stack) -> None:
    appraisal = await open_appraisal(stack)
    base = f"/v1/appraisals/{appraisal}"
    await call(stack, "PUT", f"{base}/targets", EMP, body=SKP)
    await call(stack, "POST", f"{base}/targets/submit", EMP)
    returned = await call(stack, "POST", f"{base}/targets/return", BOSS,
                          body={"reason": "Tambahkan indikator kualitas."})
    assert returned["appraisal"]["state"]["targets_status"] == "returned"
    await call(stack, "PUT", f"{base}/targets", EMP, body=SKP)
    await call(stack, "POST", f"{base}/targets/submit", EMP)
    approved = await call(stack, "POST", f"{base}/targets/approve", BOSS)
    assert approved["appraisal"]["phase"] == "self_report"


async def test_objection_upheld(stack: Stack) -> None:
    appraisal = await open_appraisal(stack)
    base = f"/v1/appraisals/{appraisal}"
    await to_review(stack, appraisal)
    await call(stack, "POST", f"{base}/review", BOSS, body=review_body())
    await call(stack, "POST", f"{base}/release", HR, "employee", "hr",
               body=LATE_RELEASE)
    await call(stack, "POST", f"{base}/objection", EMP,
               body={"reasons": "Bukti dukung RHK 1 tidak dipertimbangkan."})
    waiting = await call(stack, "GET", "/v1/appraisals?role=superior&phase=objection_review", HEAD)
    assert [a["id"] for a in waiting] == [appraisal]
    await call(stack, "POST", f"{base}/objection/explanations", HEAD,
               body={"parties": ["appraiser", "employee"], "questions": "Jelaskan."})
    await call(stack, "POST", f"{base}/objection/explanations", BOSS,
               body={"text": "Sudah dipertimbangkan."})
    await call(stack, "POST", f"{base}/objection/explanations", EMP,
               body={"text": "Lihat laporan Maret."})
    decided = await call(stack, "POST", f"{base}/objection/decision", HEAD,
                         body={"outcome": "uphold", "reason": "Penilaian sesuai bukti."})
    assert decided["appraisal"]["phase"] == "final"
    assert decided["appraisal"]["state"]["predikat"] == "baik"
    await assert_trail_folds_to_workflow_state(stack, appraisal, "objection-upheld")


async def test_objection_changes_the_predikat(stack: Stack) -> None:
    appraisal = await open_appraisal(stack)
    base = f"/v1/appraisals/{appraisal}"
    await to_review(stack, appraisal)
    await call(stack, "POST", f"{base}/review", BOSS, body=review_body())
    await call(stack, "POST", f"{base}/release", HR, "employee", "hr",
               body=LATE_RELEASE)
    await call(stack, "POST", f"{base}/objection", EMP, body={"reasons": "Kurang tepat."})
    await call(stack, "POST", f"{base}/objection/explanations", HEAD,
               body={"parties": ["appraiser"], "questions": "Dasar penilaian?"})
    decided = await call(stack, "POST", f"{base}/objection/decision", HEAD, body={
        "outcome": "change", "reason": "Bukti kuat.", "work_result": "above",
        "behaviour": "above"})
    assert decided["appraisal"]["state"]["predikat"] == "sangat_baik"
    assert decided["appraisal"]["state"]["review"]["predikat"] == "baik"
    await assert_trail_folds_to_workflow_state(stack, appraisal, "objection-changed")


async def test_refused_command_at_every_phase(stack: Stack) -> None:
    appraisal = await open_appraisal(stack)
    base = f"/v1/appraisals/{appraisal}"

    async def refused(method: str, path: str, who: str, status: int, *roles: str,
                      body: Any = None) -> dict[str, Any]:
        before = await stack.pool.fetchval(
            "SELECT count(*) FROM events WHERE stream_id = $1", appraisal)
        problem = await call(stack, method, base + path, who, *roles, body=body, expect=status)
        assert problem["status"] == status and problem["detail"]
        after = await stack.pool.fetchval(
            "SELECT count(*) FROM events WHERE stream_id = $1", appraisal)
        assert after == before, "a refused command changes nothing"
        return problem

    # target setting
    await refused("POST", "/targets/submit", EMP, 409)
    await refused("POST", "/targets/approve", EMP, 403)
    problem = await refused("PUT", "/targets", EMP, 422,
                            body={**SKP, "approach": "kualitatif"})
    assert problem["errors"][0]["field"] == "skp.rhk[0].indicators[0].target"
    problem = await refused("PUT", "/targets", EMP, 422, body={"approach": "kuantitatif"})
    assert problem["errors"][0]["field"] == "rhk" and problem["errors"][0]["rule"] == "missing"
    await refused("POST", "/targets/approve", "e-stranger", 404)
    # self-report
    await call(stack, "PUT", f"{base}/targets", EMP, body=SKP)
    await call(stack, "POST", f"{base}/targets/submit", EMP)
    await call(stack, "POST", f"{base}/targets/approve", BOSS)
    await refused("POST", "/review", BOSS, 409, body=review_body())
    await refused("POST", "/progress", EMP, 422, body={
        "period": f"{YEAR}-02", "realisations": [{"indicator_id": "nope", "value": "1"}]})
    # review
    await call(stack, "POST", f"{base}/self-assessment", EMP, body=SELF_ASSESSMENT)
    problem = await refused("POST", "/review", BOSS, 422,
                            body=review_body(work_result="above"))
    assert problem["errors"][0]["field"] == "ratings.work_result_reason"
    # calibration
    await call(stack, "POST", f"{base}/review", BOSS, body=review_body())
    await refused("POST", "/objection", EMP, 409, body={"reasons": "terlalu awal"})
    await refused("POST", "/release", EMP, 403)
    # No cycle released this appraisal's unit: a release on its own needs an exception.
    problem = await refused("POST", "/release", HR, 422, "employee", "hr")
    assert problem["errors"][0]["field"] == "exception_reason"
    # objection window
    await call(stack, "POST", f"{base}/release", HR, "employee", "hr",
               body=LATE_RELEASE)
    await refused("POST", "/objection/decision", HEAD, 409,
                  body={"outcome": "uphold", "reason": "x"})
    # objection review
    await call(stack, "POST", f"{base}/objection", EMP, body={"reasons": "Tidak sesuai."})
    await refused("POST", "/objection", EMP, 409, body={"reasons": "lagi"})
    await refused("POST", "/objection/decision", BOSS, 403,
                  body={"outcome": "uphold", "reason": "x"})
    # final
    await call(stack, "POST", f"{base}/objection/explanations", HEAD,
               body={"parties": ["employee"], "questions": "?"})
    await call(stack, "POST", f"{base}/objection/decision", HEAD,
               body={"outcome": "uphold", "reason": "Sesuai."})
    await refused("POST", "/cancel", HR, 409, "employee", "hr",
                  body={"reason_kind": "transfer", "reason": "Mutasi"})


async def test_idempotent_retry_applies_once(stack: Stack) -> None:
    appraisal = await open_appraisal(stack)
    base = f"/v1/appraisals/{appraisal}"
    first = await call(stack, "PUT", f"{base}/targets", EMP, body=SKP, key="draft-1")
    again = await call(stack, "PUT", f"{base}/targets", EMP, body=SKP, key="draft-1")
    assert first == again
    count = await stack.pool.fetchval(
        "SELECT count(*) FROM events WHERE stream_id = $1 AND type = 'TargetsDrafted'",
        appraisal)
    assert count == 1
    # Opening twice with the same key is the same opening; with another key it is refused.
    body = open_body(stack.agency, "e-other")
    one = await call(stack, "POST", "/v1/appraisals", HR, "employee", "hr", body=body,
                     key="open-1", expect=201)
    two = await call(stack, "POST", "/v1/appraisals", HR, "employee", "hr", body=body,
                     key="open-1", expect=201)
    assert one == two
    await call(stack, "POST", "/v1/appraisals", HR, "employee", "hr", body=body,
               key="open-2", expect=409)


async def test_another_persons_key_never_answers_with_their_result(stack: Stack) -> None:
    """Temporal answers a repeated update id with its first result without asking the
    validator: the key is scoped to the person, so a stranger who sends the employee's
    key is judged as any stranger (404) and sees nothing of the first result."""
    appraisal = await open_appraisal(stack)
    base = f"/v1/appraisals/{appraisal}"
    await call(stack, "PUT", f"{base}/targets", EMP, body=SKP, key="draft-shared")
    response = await stack.http.put(f"{base}/targets", json=SKP,
                                    headers=stack.headers("e-stranger", key="draft-shared"))
    assert response.status_code == 404, response.text
    assert "TargetsDrafted" not in response.text
    # The appraiser (a party) with the same key is another person's request too: refused
    # by the rules (an appraiser does not draft the SKP), not the employee's result.
    response = await stack.http.put(f"{base}/targets", json=SKP,
                                    headers=stack.headers(BOSS, key="draft-shared"))
    assert response.status_code == 403, response.text


async def test_tokens_and_scope(stack: Stack) -> None:
    appraisal = await open_appraisal(stack)
    response = await stack.http.get(f"/v1/appraisals/{appraisal}")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    response = await stack.http.get(f"/v1/appraisals/{appraisal}",
                                    headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401
    await call(stack, "GET", f"/v1/appraisals/{appraisal}", "e-stranger", expect=404)
    await call(stack, "GET", "/v1/appraisals/appraisal-nope", EMP, expect=404)
    other_hr = await stack.http.post("/v1/appraisals", json=open_body(stack.agency, "e-x"),
                                     headers=stack.headers("e-hr2", "hr",
                                                           agencies=("elsewhere",)))
    assert other_hr.status_code == 403, other_hr.text
