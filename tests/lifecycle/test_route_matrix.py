"""Every route with every role: who is allowed (anything but 403/404), who is forbidden
(403: in scope, not allowed), and who cannot even see the appraisal (404)."""

from __future__ import annotations

from typing import Any

from .conftest import SELF_ASSESSMENT, SKP, YEAR, Stack, open_body, review_body

ACTORS: dict[str, tuple[str, tuple[str, ...], str]] = {
    # relation: (subject, roles, scope: "own" agency, "other" agency or "none")
    "self": ("e-emp", ("employee",), "none"),
    "appraiser": ("e-boss", ("employee",), "none"),
    "superior": ("e-head", ("employee",), "none"),
    "peer": ("e-peer", ("employee",), "none"),
    "stranger": ("e-far", ("employee",), "none"),
    # Keys are numbered per agency: the same keys in another agency, or in a token that
    # names no agency, are other people (or nobody) and see nothing.
    "twin": ("e-emp", ("employee",), "none"),
    "twin_appraiser": ("e-boss", ("employee",), "none"),
    "twin_superior": ("e-head", ("employee",), "none"),
    "no_agency": ("e-emp", ("employee",), "none"),
    "other_hr": ("e-hr9", ("employee", "hr"), "other"),
    "inspector": ("e-insp", ("inspector",), "own"),
    "hr": ("e-hr", ("employee", "hr"), "own"),
}
READERS = {"self", "appraiser", "superior", "inspector", "hr"}

ROUTES: list[tuple[str, str, Any, set[str]]] = [
    ("GET", "", None, READERS),
    ("GET", "/events", None, READERS),
    ("GET", "/documents/skp.pdf", None, READERS),  # 409 before it exists: still not a 404
    ("GET", "/documents/evaluasi.pdf", None, READERS),
    ("GET", "/documents/keberatan.pdf", None, READERS),
    ("PUT", "/targets", SKP, {"self"}),
    ("POST", "/targets/submit", None, {"self"}),
    ("POST", "/targets/return", {"reason": "Perbaiki."}, {"appraiser"}),
    ("POST", "/targets/approve", None, {"appraiser"}),
    ("PUT", "/targets/set", {"skp": SKP, "reason": "Tenggat lewat."}, {"hr"}),
    ("POST", "/progress", {"period": f"{YEAR}-01",
                           "realisations": [{"indicator_id": "ind-1", "value": "1"}]}, {"self"}),
    ("POST", "/activities", {"day": f"{YEAR}-01-02", "rhk_id": "rhk-1",
                             "description": "Rapat"}, {"self"}),
    ("POST", "/feedback", {"text": "Bagus."}, {"appraiser", "peer"}),
    ("POST", "/self-assessment", SELF_ASSESSMENT, {"self"}),
    ("POST", "/review", review_body(), {"appraiser", "superior"}),
    ("POST", "/release", {"exception_reason": "Penilaian di luar siklus."}, {"hr"}),
    ("POST", "/accept", None, {"self"}),
    ("POST", "/objection", {"reasons": "Tidak sesuai."}, {"self"}),
    ("POST", "/objection/explanations", {"parties": ["employee"], "questions": "?"},
     {"superior"}),
    ("POST", "/objection/explanations", {"text": "Penjelasan."}, {"self", "appraiser"}),
    ("POST", "/objection/decision", {"outcome": "uphold", "reason": "Sesuai."}, {"superior"}),
    ("POST", "/periods/1/deadline", {"due": f"{YEAR}-04-30T12:00:00+07:00",
                                     "reason": "Penilai cuti."}, {"hr"}),
    ("POST", "/deadlines", {"deadline": "review", "until": f"{YEAR + 5}-01-01T00:00:00Z",
                            "reason": "Perpanjangan."}, {"hr"}),
    ("GET", "/documents/skp.pdf", None, READERS),  # exists now
    ("POST", "/cancel", {"reason_kind": "transfer", "reason": "Mutasi."}, {"hr"}),  # last
]


def _headers(stack: Stack, relation: str) -> dict[str, str]:
    subject, roles, scope = ACTORS[relation]
    agencies = {"own": (stack.agency,), "other": ("elsewhere",), "none": ()}[scope]
    token_agency: str | None = stack.agency
    if relation in ("stranger", "other_hr") or relation.startswith("twin"):
        token_agency = "elsewhere"
    elif relation == "no_agency":
        token_agency = None
    from api.auth import mint_token

    from .conftest import TOKENS, UNIT

    unit = "bkpsdm" if scope != "none" else UNIT  # HR and inspectors work elsewhere
    token = mint_token(TOKENS, subject=subject, roles=roles, agency=token_agency, unit=unit,
                       agencies=agencies)
    return {"Authorization": f"Bearer {token}"}


async def test_every_route_with_every_role(stack: Stack) -> None:
    hr = _headers(stack, "hr")
    created = await stack.http.post("/v1/appraisals", json=open_body(stack.agency), headers=hr)
    assert created.status_code == 201, created.text
    base = f"/v1/appraisals/{created.json()['appraisal']['id']}"

    outcomes: dict[tuple[str, str, str], int] = {}
    for method, path, body, allowed in ROUTES:
        for relation in ACTORS:  # hr comes last: its cancel ends the appraisal
            response = await stack.http.request(method, base + path, json=body,
                                                headers=_headers(stack, relation))
            outcomes[(method, path, relation)] = response.status_code
            status = response.status_code
            if relation in allowed:
                assert status not in (401, 403, 404), (method, path, relation, response.text)
            elif relation in READERS:
                assert status == 403, (method, path, relation, response.text)
            else:
                assert status == 404, (method, path, relation, response.text)
            assert status < 500, response.text
    assert outcomes[("POST", "/cancel", "hr")] == 200
    assert outcomes[("PUT", "/targets", "self")] == 200


async def test_only_hr_of_the_agency_opens_appraisals(stack: Stack) -> None:
    for relation in ACTORS:
        response = await stack.http.post("/v1/appraisals", json=open_body(stack.agency),
                                         headers=_headers(stack, relation))
        expected = 201 if relation == "hr" else 403
        assert response.status_code == expected, (relation, response.text)
