"""The inbox over HTTP, fed by real commands through the real workflow and the
notification workflow: the unread count, the list, mark as read, whose it is, the HR
inbox, the e-mail preference; bad input is a 422 that changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from api.auth import mint_token
from api.edge import INT8_MAX
from domain.appraisal import DeadlineKind
from domain.appraisal.events import DeadlinePassed
from domain.authorization import Relation
from kinerja.reminders import start_notifications
from tests.lifecycle.conftest import SKP, TOKENS, UNIT, Stack, open_body
from tests.polling import poll_async
from workflows.notifications.contract import NotificationConfig

from .conftest import record

EMP, BOSS = "e-emp", "e-boss"


def headers(stack: Stack, who: str, *roles: str, agency: str | None = None,
            agencies: tuple[str, ...] = ()) -> dict[str, str]:
    token = mint_token(TOKENS, subject=who, roles=roles or ("employee",),
                       agency=agency or stack.agency, unit=UNIT, agencies=agencies)
    return {"Authorization": f"Bearer {token}"}


async def inbox(stack: Stack, who: str, *roles: str, **options: Any) -> dict[str, Any]:
    response = await stack.http.get("/v1/me/notifications",
                                    headers=headers(stack, who, *roles, **options))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_inbox_from_a_real_command(stack: Stack) -> None:
    hr = headers(stack, "e-hr", "employee", "hr", agencies=(stack.agency,))
    created = await stack.http.post("/v1/appraisals", json=open_body(stack.agency), headers=hr)
    assert created.status_code == 201, created.text
    base = f"/v1/appraisals/{created.json()['appraisal']['id']}"
    handle = await start_notifications(
        stack.client, NotificationConfig(poll_seconds=0.2), task_queue=stack.task_queue,
        workflow_id=f"notifications-{stack.task_queue}")
    try:
        assert (await inbox(stack, EMP)) == {"unread": 0, "items": [], "next_before": None}
        for method, path, who, body in (("PUT", "/targets", EMP, SKP),
                                        ("POST", "/targets/submit", EMP, None),
                                        ("POST", "/targets/return", BOSS,
                                         {"reason": "Tambahkan indikator kualitas."})):
            response = await stack.http.request(method, base + path, json=body,
                                                headers=headers(stack, who))
            assert response.status_code == 200, response.text
        page = await poll_async(lambda: inbox(stack, EMP), "the employee is told",
                                within=30, until=lambda p: p["unread"] == 1)
        (note,) = page["items"]
        assert (note["kind"], note["needs_action"], note["to"], note["read"]) == (
            "targets_returned", True, "self", False)
        assert note["detail"]["reason"] == "Tambahkan indikator kualitas."
        # nobody else sees it: not the appraiser, not an "e-emp" of another agency
        assert (await inbox(stack, BOSS))["items"] == []
        assert (await inbox(stack, EMP, agency="elsewhere"))["items"] == []
        read = f"/v1/me/notifications/{note['id']}/read"
        for who, agency in ((BOSS, None), (EMP, "elsewhere")):
            refused = await stack.http.post(read, headers=headers(stack, who, agency=agency))
            assert refused.status_code == 404, refused.text
        assert (await inbox(stack, EMP))["unread"] == 1  # the refusals changed nothing
        for _ in range(2):  # twice: the same answer, still read once
            marked = await stack.http.post(read, headers=headers(stack, EMP))
            assert marked.status_code == 200 and marked.json()["read"] is True
        assert (await inbox(stack, EMP))["unread"] == 0
        assert (await inbox(stack, EMP, ))["items"][0]["read"] is True
        unread_only = await stack.http.get("/v1/me/notifications?unread=true",
                                           headers=headers(stack, EMP))
        assert unread_only.json()["items"] == []
        # bad ids are a 422 naming the parameter, never a 500
        for bad in ("abc", "0", str(INT8_MAX + 1)):
            response = await stack.http.post(f"/v1/me/notifications/{bad}/read",
                                             headers=headers(stack, EMP))
            assert response.status_code == 422, response.text
            assert response.json()["errors"][0]["field"] == "path.notification_id"
        unauthenticated = await stack.http.get("/v1/me/notifications")
        assert unauthenticated.status_code == 401
    finally:
        await handle.terminate("test over")


async def test_escalation_to_hr_is_in_the_agency_hr_inbox(stack: Stack) -> None:
    now = datetime.now(UTC)
    late = f"appraisal-{stack.agency}-2026-e-late"
    await record(stack.pool, late, [
        DeadlinePassed(at=now, deadline=DeadlineKind.SKP, due=now, escalated_to=Relation.HR)],
        agency=stack.agency)
    handle = await start_notifications(
        stack.client, NotificationConfig(poll_seconds=0.2), task_queue=stack.task_queue,
        workflow_id=f"notifications-{stack.task_queue}")
    try:
        page = await poll_async(
            lambda: inbox(stack, "e-hr", "employee", "hr", agencies=(stack.agency,)),
            "HR is told", within=30, until=lambda p: p["unread"] == 1)
        (note,) = page["items"]
        assert (note["kind"], note["to"], note["needs_action"], note["detail"]["deadline"]) == (
            "escalation", "hr", True, "skp")
        # HR of another agency, and an employee who is not HR, do not see it
        other = await inbox(stack, "e-hr", "employee", "hr", agencies=("elsewhere",))
        assert other["items"] == []
        assert (await inbox(stack, "e-hr"))["items"] == []
    finally:
        await handle.terminate("test over")
        # the row stands for no workflow: the stack's teardown must not look for one
        await stack.pool.execute("UPDATE appraisal_summaries SET phase = 'cancelled'"
                                 " WHERE appraisal_id = $1", late)


async def test_preference_route(stack: Stack) -> None:
    url = "/v1/me/notification-preferences"
    mine = headers(stack, EMP)
    assert (await stack.http.get(url, headers=mine)).json() == {"email_information": True}
    for bad in ({"email_information": "sometimes"}, {"email_information": False, "x": 1}, {}):
        refused = await stack.http.put(url, json=bad, headers=mine)
        assert refused.status_code == 422, refused.text
    assert (await stack.http.get(url, headers=mine)).json() == {"email_information": True}
    saved = await stack.http.put(url, json={"email_information": False}, headers=mine)
    assert saved.status_code == 200 and saved.json() == {"email_information": False}
    assert (await stack.http.get(url, headers=mine)).json() == {"email_information": False}
    # another person's preference is their own
    assert (await stack.http.get(url, headers=headers(stack, BOSS))).json() == {
        "email_information": True}
    row = await stack.pool.fetchrow(
        "SELECT email_information FROM notification_preferences"
        " WHERE agency = $1 AND employee_key = $2", stack.agency, EMP)
    assert row is not None and row["email_information"] is False
