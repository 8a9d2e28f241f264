"""The roster routes over the real application and PostgreSQL (no Temporal needed:
the routes never reach it)."""

from __future__ import annotations

import io
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import asyncpg
import httpx
import pytest
from openpyxl import Workbook

from api import roster as roster_api
from api.app import Services, create_app
from api.auth import TokenSettings, TokenVerifier, mint_token

from .builders import HEADER, as_cells, csv_text, nip, row, small_org

TOKENS = TokenSettings(secret="test-secret-" + "y" * 32)
AGENCY = "pemkot-roster"


def headers(*roles: str, agencies: tuple[str, ...] = (AGENCY,)) -> dict[str, str]:
    token = mint_token(TOKENS, subject="e-hr01", roles=roles, agency=AGENCY, unit="bkpsdm",
                       agencies=agencies)
    return {"Authorization": f"Bearer {token}"}


HR = headers("employee", "hr")


@pytest.fixture
async def http(app_pool: asyncpg.Pool) -> AsyncIterator[httpx.AsyncClient]:
    services = Services(pool=app_pool, temporal=None,  # type: ignore[arg-type]
                        token_verifier=TokenVerifier(TOKENS), task_queue="unused")
    transport = httpx.ASGITransport(app=create_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://kinerja.test") as client:
        yield client


def upload(text: str, name: str = "roster.csv") -> dict[str, Any]:
    return {"files": {"file": (name, text.encode(), "text/csv")}}


async def test_a_clean_upload_applies_and_a_second_changes_nothing(
        http: httpx.AsyncClient) -> None:
    url = f"/v1/agencies/{AGENCY}/roster"
    response = await http.post(url, headers=HR, **upload(csv_text(small_org(), ";")))
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["applied"] and report["rows"] == 4 and report["accepted"] == 4
    assert report["changes"]["hired"] == 4 and report["changes"]["units_defined"] == 2
    assert report["version"] == 6 and len(report["digest"]) == 64
    again = (await http.post(url, headers=HR, **upload(csv_text(small_org())))).json()
    assert again["changes"]["hired"] == 0 and again["version"] == 6
    assert again["digest"] == report["digest"]

    shown = await http.get(url, headers=HR)
    assert shown.status_code == 200
    body = shown.json()
    assert [e["key"] for e in body["employees"]] == ["e-0001", "e-0002", "e-0003", "e-0004"]
    assert body["employees"][2]["superior"] == "e-0002"
    assert [u["code"] for u in body["units"]] == ["u1", "u2"]
    assert body["digest"] == report["digest"]
    only = (await http.get(url, headers=HR, params={"unit": "u1"})).json()
    assert [e["key"] for e in only["employees"]] == ["e-0001"]


async def test_rejected_rows_are_a_422_listing_each_and_nothing_is_applied(
        http: httpx.AsyncClient) -> None:
    url = f"/v1/agencies/{AGENCY}/roster"
    rows = [*small_org(), row(6, 9, email="nope", unit_code="u2", unit_name="Bidang",
                              parent_unit="u1", superior_nip=nip(2)),
            row(7, 10, superior_nip=nip(77))]
    response = await http.post(url, headers=HR, **upload(csv_text(rows)))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "roster-rows"
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [
        ("rows.6.email", "roster-row"), ("rows.7.superior_nip", "roster-row")]
    assert problem["errors"][1]["message"] == "line 7: unknown superior: no row has this NIP"
    assert (await http.get(url, headers=HR)).json()["version"] == 0

    dry = await http.post(url, headers=HR, params={"apply_valid": "true", "dry_run": "true"},
                          **upload(csv_text(rows)))
    assert dry.status_code == 200 and not dry.json()["applied"]
    assert dry.json()["changes"]["hired"] == 4
    assert (await http.get(url, headers=HR)).json()["version"] == 0

    partial = await http.post(url, headers=HR, params={"apply_valid": "true"},
                              **upload(csv_text(rows)))
    assert partial.status_code == 200
    report = partial.json()
    assert report["accepted"] == 4 and [r["line"] for r in report["rejected"]] == [6, 7]
    assert report["changes"]["hired"] == 4


async def test_an_xlsx_upload_and_a_raw_body_and_the_design_route(
        http: httpx.AsyncClient) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(HEADER))
    for r in small_org():
        sheet.append(as_cells(r))
    out = io.BytesIO()
    book.save(out)
    response = await http.post(
        f"/v1/agencies/{AGENCY}/roster", headers=HR,
        files={"file": ("roster.xlsx", out.getvalue(), "application/octet-stream")})
    assert response.status_code == 200, response.text
    assert response.json()["format"] == "xlsx" and response.json()["changes"]["hired"] == 4

    moved = small_org()
    moved[3] = replace(moved[3], unit_code="u1", unit_name="Dinas", parent_unit="",
                       superior_nip=nip(1))
    raw = await http.post(f"/v1/agencies/{AGENCY}/roster",
                          headers={**HR, "Content-Type": "text/csv"},
                          content=csv_text(moved).encode())
    assert raw.status_code == 200, raw.text
    assert raw.json()["changes"] == {
        "hired": 0, "left": 0, "transferred": 1, "superior_changed": 1,
        "position_changed": 0, "details_changed": 0, "units_defined": 0, "units_removed": 0}

    design = await http.post("/v1/roster/imports", headers=HR, **upload(csv_text(moved)))
    assert design.status_code == 200 and design.json()["agency"] == AGENCY
    assert design.json()["version"] == raw.json()["version"]


async def test_who_may_upload_and_read(http: httpx.AsyncClient) -> None:
    url = f"/v1/agencies/{AGENCY}/roster"
    body = csv_text(small_org())
    for who in (headers("employee"), headers("inspector")):
        assert (await http.post(url, headers=who, **upload(body))).status_code == 403
        assert (await http.get(url, headers=who)).status_code == 403
    other = headers("hr", agencies=("another-agency",))
    assert (await http.post(url, headers=other, **upload(body))).status_code == 404
    assert (await http.get(url, headers=other)).status_code == 404
    assert (await http.post(url, **upload(body))).status_code == 401
    everywhere = headers("hr", agencies=("*",))
    assert (await http.get(url, headers=everywhere)).status_code == 200


async def test_too_large_unreadable_and_missing_files(http: httpx.AsyncClient,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"/v1/agencies/{AGENCY}/roster"
    monkeypatch.setattr(roster_api, "MAX_UPLOAD_BYTES", 1000)
    big = csv_text(small_org() * 10)
    response = await http.post(url, headers=HR, **upload(big))
    assert response.status_code == 413 and response.json()["code"] == "too-large"
    monkeypatch.undo()
    bad = await http.post(url, headers=HR, **upload("nip,nama\n1,2\n"))
    assert bad.status_code == 422 and bad.json()["code"] == "roster-file"
    assert "jabatan" in bad.json()["detail"]
    missing = await http.post(url, headers=HR, files={"other": ("x.csv", b"a", "text/csv")})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "file"


async def test_the_routes_are_in_the_openapi_document(http: httpx.AsyncClient) -> None:
    document = (await http.get("/openapi.json")).json()
    post = document["paths"]["/v1/agencies/{agency}/roster"]["post"]
    content = post["requestBody"]["content"]
    assert "multipart/form-data" in content and "example" in content["text/csv"]
    assert {"200", "403", "404", "413", "422"} <= set(post["responses"])
    assert "get" in document["paths"]["/v1/agencies/{agency}/roster"]
    assert "post" in document["paths"]["/v1/roster/imports"]


@pytest.mark.parametrize("bad", ["Siti\x00Rahmawati", "Siti\x1bRahmawati", "Siti\rX"])
async def test_a_control_character_in_a_name_is_refused_in_the_dry_run_and_the_apply(
        http: httpx.AsyncClient, bad: str) -> None:
    url = f"/v1/agencies/{AGENCY}/roster"
    rows = small_org()
    rows[2] = replace(rows[2], name=bad)
    body = csv_text(rows, ";")
    for params in ({"dry_run": "true"}, {}):
        response = await http.post(url, headers=HR, params=params, **upload(body))
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert [(e["field"], e["rule"]) for e in problem["errors"]] == [
            ("rows.4.name", "control-character")]
        assert "U+00" in problem["errors"][0]["message"]
    assert (await http.get(url, headers=HR)).json()["version"] == 0
    # A tab is not refused: spreadsheets put one in a cell now and then.
    rows[2] = replace(rows[2], name="Siti\tRahmawati")
    fine = await http.post(url, headers=HR, params={"dry_run": "true"},
                           **upload(csv_text(rows, ";")))
    assert fine.status_code == 200, fine.text


async def test_bombs_and_malformed_workbooks_are_a_422_naming_the_file_and_the_rule(
        http: httpx.AsyncClient) -> None:
    from .test_file_limits import MALFORMED, bomb

    url = f"/v1/agencies/{AGENCY}/roster"
    cases = {**{name: (data, "xlsx-unreadable") for name, data in MALFORMED.items()},
             "20 million empty rows": (bomb(20_000_000), "too-many-rows")}
    for case, (data, rule) in cases.items():
        started = time.process_time()
        response = await http.post(url, headers=HR, files={
            "file": ("roster.xlsx", data, "application/octet-stream")})
        assert response.status_code == 422, (case, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["code"] == "roster-file", case
        assert [(e["field"], e["rule"]) for e in problem["errors"]] == [("file", rule)], case
        assert problem["detail"].startswith("roster.xlsx: "), case
        assert time.process_time() - started < 5, case
    assert (await http.get(url, headers=HR)).json()["version"] == 0


async def test_the_rejected_rows_listed_are_the_first_thousand_with_the_total(
        http: httpx.AsyncClient) -> None:
    url = f"/v1/agencies/{AGENCY}/roster"
    bad = [row(10 + n, 100 + n, email="nope") for n in range(1500)]
    body = csv_text([*small_org(), *bad])
    response = await http.post(url, headers=HR, **upload(body))
    assert response.status_code == 422
    problem = response.json()
    assert len(problem["errors"]) == 1000
    assert problem["errors"][0]["field"] == "rows.6.email"  # the first, by line
    assert problem["detail"].startswith("1500 of 1504 rows are rejected")
    assert "The first 1,000 of the 1,500 rejected rows are listed." in problem["detail"]
    dry = await http.post(url, headers=HR, params={"apply_valid": "true", "dry_run": "true"},
                          **upload(body))
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert len(report["rejected"]) == 1000 and report["rejected_total"] == 1500
    assert report["accepted"] == 4
