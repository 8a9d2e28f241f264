"""The inspector routes over a real Temporal and PostgreSQL: replay equals the workflow at
every version; trails, verification, checkpoints, proofs, exports; scope and roles."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.bundle import verify_bundle
from domain.checkpoint import Checkpoint, public_key_bytes, verify_checkpoint
from domain.merkle import verify_consistency, verify_inclusion
from store.sealer import Sealer
from tests.lifecycle.conftest import SELF_ASSESSMENT, SKP, UNIT, YEAR, Stack, open_body, review_body
from workflows.appraisal.workflow import AppraisalWorkflow

EMP, BOSS, HR, INSPECTOR = "e-emp", "e-boss", "e-hr", "i-1"


async def call(stack: Stack, method: str, path: str, who: str, *roles: str,
               agencies: tuple[str, ...] | None = None, body: Any = None,
               expect: int = 200) -> Any:
    if agencies is None:
        agencies = (stack.agency,) if {"hr", "inspector"} & set(roles) else ()
    response = await stack.http.request(method, path, json=body,
                                        headers=stack.headers(who, *roles, agencies=agencies))
    assert response.status_code == expect, response.text
    if response.headers.get("content-type", "").startswith("application/x-ndjson"):
        return response.content
    return response.json()


def inspect(stack: Stack, path: str, expect: int = 200, **kwargs: Any) -> Any:
    return call(stack, "GET", f"/v1/audit{path}", INSPECTOR, "inspector", expect=expect,
                **kwargs)


async def test_an_inspector_replays_verifies_proves_and_exports_a_finished_appraisal(
    audit_stack: Stack, make_sealer: Callable[..., Sealer], signing_key: Ed25519PrivateKey,
) -> None:
    stack = audit_stack
    created = await call(stack, "POST", "/v1/appraisals", HR, "employee", "hr",
                         body=open_body(stack.agency, EMP), expect=201)
    appraisal = created["appraisal"]["id"]
    handle = stack.client.get_workflow_handle_for(AppraisalWorkflow.run, appraisal)
    states = {1: await handle.query(AppraisalWorkflow.state)}
    base = f"/v1/appraisals/{appraisal}"
    steps: list[tuple[str, str, str, tuple[str, ...], Any]] = [
        ("PUT", "/targets", EMP, (), SKP),
        ("POST", "/targets/submit", EMP, (), None),
        ("POST", "/targets/approve", BOSS, (), None),
        ("POST", "/activities", EMP, (), {"day": f"{YEAR}-01-15", "rhk_id": "rhk-1",
                                          "description": "Melayani 5 permohonan"}),
        ("POST", "/self-assessment", EMP, (), SELF_ASSESSMENT),
        ("POST", "/review", BOSS, (), review_body("above", "above")),
        ("POST", "/release", HR, ("employee", "hr"),
         {"exception_reason": "Penilaian di luar siklus; unitnya tidak dirilis."}),
        ("POST", "/accept", EMP, (), None),
    ]
    for method, path, who, roles, body in steps:
        await call(stack, method, base + path, who, *roles, body=body)
        state = await handle.query(AppraisalWorkflow.state)
        states[state.version] = state
    assert states[max(states)].phase.value == "final"

    public_key = public_key_bytes(signing_key)
    sealer = make_sealer()
    async with sealer.connected():
        await sealer.seal_pending()
        first = await sealer.checkpoint()
    assert first is not None

    # The trail, with sequence and hashes.
    trail = await inspect(stack, f"/appraisals/{appraisal}/trail")
    versions = len(trail)
    assert [e["version"] for e in trail] == list(range(1, versions + 1))
    assert all(e["seq"] is not None for e in trail)
    assert [e["seq"] for e in trail] == sorted(e["seq"] for e in trail)
    assert trail[1]["actor"] == EMP and trail[1]["roles"] == ["employee"]
    assert trail[1]["prev_hash"] == trail[0]["hash"]

    # The state as of every version is the workflow's state after that command.
    for version in range(1, versions + 1):
        replayed = await inspect(stack, f"/appraisals/{appraisal}/state?version={version}")
        assert replayed["version"] == version
        if version in states:
            assert replayed["state"] == states[version].model_dump(mode="json"), version
    assert set(states) <= set(range(1, versions + 1))
    empty = await inspect(stack, f"/appraisals/{appraisal}/state?version=0")
    assert empty["state"]["phase"] == "not_opened"
    # ... and as of a moment: the time an event was recorded.
    moment = trail[2]["recorded_at"]
    at = await inspect(stack, f"/appraisals/{appraisal}/state?at="
                       + moment.replace("+", "%2B"))
    assert at["version"] >= 3 and at["state"]["version"] == at["version"]
    diff = await inspect(stack, f"/appraisals/{appraisal}/diff?from_version=1"
                         f"&to_version={versions}")
    paths = {c["path"] for c in diff["changes"]}
    assert "phase" in paths and (diff["from_version"], diff["to_version"]) == (1, versions)
    bad = await inspect(stack, f"/appraisals/{appraisal}/state?version=999", expect=404)
    assert bad["errors"][0]["field"] == "query.version"
    naive = await inspect(stack, f"/appraisals/{appraisal}/state?at=2026-01-01T00:00:00",
                          expect=422)
    assert naive["errors"][0]["field"] == "query.at"

    # Verification, the checkpoint, proofs.
    verified = await inspect(stack, f"/verify?stream={appraisal}")
    assert verified["ok"] and verified["events_checked"] == versions, verified
    await inspect(stack, "/verify", expect=403)
    whole = await inspect(stack, "/verify", agencies=("*",))
    assert whole["ok"] and whole["checkpoints_checked"] == 1, whole
    latest = await inspect(stack, "/checkpoints/latest")
    checkpoint = Checkpoint.from_json(latest)
    assert verify_checkpoint(public_key, checkpoint) and checkpoint == first
    proof = await inspect(stack, f"/proofs/inclusion?appraisal={appraisal}&version=2")
    assert verify_inclusion(bytes.fromhex(proof["leaf_hash"]), proof["seq"], proof["tree_size"],
                            [bytes.fromhex(p) for p in proof["proof"]], checkpoint.root)

    # The reads above were appended to the access stream: the tree grew.
    async with sealer.connected():
        await sealer.seal_pending()
        second = await sealer.checkpoint()
    assert second is not None and second.tree_size > first.tree_size
    consistency = await inspect(stack, f"/proofs/consistency?old_size={first.tree_size}")
    assert consistency["new_size"] == second.tree_size
    assert verify_consistency(first.tree_size, second.tree_size, first.root, second.root,
                              [bytes.fromhex(p) for p in consistency["proof"]])
    missing = await inspect(stack, "/proofs/consistency?old_size=999999", expect=404)
    assert missing["errors"][0]["field"] == "query.old_size"

    # Exports: one appraisal, a unit of a cycle; verified offline and replayed.
    for query in (f"appraisal={appraisal}", f"cycle={stack.agency}-{YEAR}&unit={UNIT}",
                  f"cycle={stack.agency}-{YEAR}"):
        bundle = await inspect(stack, f"/exports?{query}")
        lines = bundle.splitlines()
        header = json.loads(lines[0])
        assert base64.b64decode(header["public_key"]) == public_key
        report = verify_bundle(lines, public_key=public_key)
        assert report.ok, report.failure
        assert report.events == versions and report.sealed == versions
        assert report.final_states[appraisal].state() == states[max(states)]
        assert report.anchor is not None and report.anchor.tree_size == second.tree_size
    await inspect(stack, "/exports", expect=422)
    await inspect(stack, "/exports?cycle=nope-2020", expect=404)

    # The access stream: who read which trail, when. HR of the agency may read it.
    access = await call(stack, "GET", f"/v1/audit/access?agency={stack.agency}", HR, "hr")
    kinds = [a["what"] for a in access]
    assert kinds[0] == "trail" and access[0]["actor"] == INSPECTOR
    assert access[0]["appraisal_id"] == appraisal and "export" in kinds
    assert access[0]["roles"] == ["inspector"]
    await call(stack, "GET", f"/v1/audit/access?agency={stack.agency}", EMP, expect=403)
    await call(stack, "GET", f"/v1/audit/access?agency={stack.agency}", HR, "hr",
               agencies=("other",), expect=404)


async def test_inspector_routes_refuse_other_roles_and_hide_other_agencies(
    audit_stack: Stack,
) -> None:
    stack = audit_stack
    created = await call(stack, "POST", "/v1/appraisals", HR, "employee", "hr",
                         body=open_body(stack.agency, EMP), expect=201)
    appraisal = created["appraisal"]["id"]
    paths = [f"/appraisals/{appraisal}/trail", f"/appraisals/{appraisal}/state",
             f"/appraisals/{appraisal}/diff?from_version=0",
             f"/verify?stream={appraisal}", f"/proofs/inclusion?appraisal={appraisal}&version=1",
             f"/exports?appraisal={appraisal}"]
    for path in paths:
        # Wrong role: 403, even for the employee and HR of the appraisal.
        for who, roles in ((EMP, ("employee",)), (HR, ("employee", "hr"))):
            problem = await call(stack, "GET", f"/v1/audit{path}", who, *roles, expect=403)
            assert problem["status"] == 403
        # An inspector of another agency: 404, as for an unknown appraisal.
        await inspect(stack, path, agencies=("elsewhere",), expect=404)
        await inspect(stack, path.replace(appraisal, "appraisal-nope-2026-x"), expect=404)
    await call(stack, "GET", "/v1/audit/checkpoints/latest", EMP, expect=403)
    await inspect(stack, "/checkpoints/latest", expect=404)  # nothing sealed here yet
    problem = await inspect(stack, "/proofs/inclusion?appraisal=x", expect=422)
    assert problem["errors"][0]["field"] == "query.version"
