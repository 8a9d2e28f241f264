"""Cascading through the HTTP API on a real Temporal and PostgreSQL: an RHK's link is
checked against the appraiser's approved SKP at submission and approval; the unit's
Matriks Peran Hasil (JSON and CSV) shows who supports which result, and flags a link for
review once the appraiser's approved SKP is gone (the appraiser left)."""

from __future__ import annotations

import copy
import csv
import io
from typing import Any

from api.auth import mint_token
from tests.polling import poll_async

from .conftest import SKP, TOKENS, YEAR, Stack
from .test_cycle import calendar_ahead, call, phases, roster


def skp(**links: str) -> dict[str, Any]:
    """The test SKP with ``rhk-N`` supporting the appraiser's RHK named for it."""
    body = copy.deepcopy(SKP)
    for rhk in body["rhk"]:
        if rhk["id"] in links:
            rhk["supports_rhk"] = links[rhk["id"]]
    return body


async def test_links_are_checked_and_the_matrix_shows_and_flags_them(stack: Stack) -> None:
    members = roster({"diskominfo": 3})
    stack.rosters[stack.agency] = members
    created = await call(stack, "POST", "/v1/cycles", expect=201, body={
        "agency": stack.agency, "year": YEAR, "calendar": calendar_ahead()})
    cycle_id = created["cycle"]["id"]
    await call(stack, "POST", f"/v1/cycles/{cycle_id}/start", expect=202)

    async def opened() -> bool:
        return len(await phases(stack.pool, cycle_id)) == len(members)
    await poll_async(opened, "every appraisal opened", within=60)
    base = f"/v1/appraisals/appraisal-{cycle_id}"
    lead, staff = "e-diskominfo-lead", "e-diskominfo-000"

    # The appraiser has no approved SKP yet: a link cannot be submitted.
    await call(stack, "PUT", f"{base}-{staff}/targets", staff, body=skp(**{"rhk-1": "rhk-2"}))
    refused = await call(stack, "POST", f"{base}-{staff}/targets/submit", staff, expect=422)
    assert refused["errors"][0]["field"] == "skp.rhk[0].supports_rhk"
    assert "no approved SKP" in refused["errors"][0]["message"]

    # The leader's SKP is approved by the agency head; then a link to one of its RHK holds,
    # a link to anything else is refused naming the field.
    await call(stack, "PUT", f"{base}-{lead}/targets", lead, body=skp())
    await call(stack, "POST", f"{base}-{lead}/targets/submit", lead)
    await call(stack, "POST", f"{base}-{lead}/targets/approve", "e-head")
    await call(stack, "PUT", f"{base}-{staff}/targets", staff, body=skp(**{"rhk-1": "rhk-9"}))
    refused = await call(stack, "POST", f"{base}-{staff}/targets/submit", staff, expect=422)
    assert refused["errors"][0]["field"] == "skp.rhk[0].supports_rhk"
    linked = skp(**{"rhk-1": "rhk-2"})
    linked["rhk"][1]["description"] = "=HYPERLINK(\"http://x\")"  # typed by a person
    await call(stack, "PUT", f"{base}-{staff}/targets", staff, body=linked)
    await call(stack, "POST", f"{base}-{staff}/targets/submit", staff)
    await call(stack, "POST", f"{base}-{staff}/targets/approve", lead)

    path = f"/v1/cycles/{cycle_id}/units/diskominfo/matriks-peran-hasil"
    rows = (await call(stack, "GET", path))["rows"]
    mine = [r for r in rows if r["employee"] == staff]
    assert [(r["rhk_id"], r["supports_rhk"], r["link"]) for r in mine] == [
        ("rhk-1", "rhk-2", "ok"), ("rhk-2", None, "none"), ("rhk-3", None, "none")]
    assert mine[0]["supported"] == SKP["rhk"][1]["description"]
    assert mine[0]["appraiser"] == lead and mine[0]["targets_status"] == "approved"
    assert {r["employee"] for r in rows} == {lead, staff}  # SKP drafted: leader and staff

    table = list(csv.reader(io.StringIO(await call(stack, "GET", f"{path}.csv"))))
    assert table[0][:4] == ["employee", "appraisal_id", "targets_status", "rhk_id"]
    cells = [c for row in table for c in row]
    assert "'=HYPERLINK(\"http://x\")" in cells and "=HYPERLINK(\"http://x\")" not in cells

    # The unit's people read it; another unit's people, another agency's HR do not.
    assert (await call(stack, "GET", path, "e-diskominfo-001"))["rows"] == rows
    await call(stack, "GET", path, "e-diskominfo-001", "inspector")
    await call(stack, "GET", f"/v1/cycles/{cycle_id}/units/sekretariat/matriks-peran-hasil",
               "e-diskominfo-001", expect=404)
    await call(stack, "GET", f"/v1/cycles/{cycle_id}/units/nowhere/matriks-peran-hasil",
               expect=404)
    for agency, unit in (("pemkot-other", "diskominfo"), (stack.agency, "sekretariat")):
        token = mint_token(TOKENS, subject="e-hr9", roles=("employee", "hr"), agency=agency,
                           unit=unit, agencies=("pemkot-other",))
        other = await stack.http.get(path, headers={"Authorization": f"Bearer {token}"})
        assert other.status_code == 404, (agency, unit)

    # The leader leaves: their approved SKP is gone, the staff's link is flagged for review.
    stack.rosters[stack.agency] = [m for m in members if m.employee != lead]
    await call(stack, "POST", f"/v1/cycles/{cycle_id}/roster", expect=202)

    async def flagged() -> bool:
        rows = (await call(stack, "GET", path))["rows"]
        return next(r["link"] for r in rows if r["employee"] == staff) == "review"
    await poll_async(flagged, "the link flagged once the appraiser's SKP is gone", within=60)
