"""Evidence files through the HTTP API: attach, refer to from a progress report, download;
on a real Temporal and a real PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from typing import Any

import httpx

from .conftest import SKP, YEAR, Stack
from .test_http_lifecycle import BOSS, EMP, HEAD, HR, call, open_appraisal

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 100
LIMIT = 10 * 1024 * 1024


async def reporting(stack: Stack, employee: str = EMP) -> str:
    """An appraisal in self_report (SKP approved)."""
    appraisal = await open_appraisal(stack, employee)
    base = f"/v1/appraisals/{appraisal}"
    await call(stack, "PUT", f"{base}/targets", employee, body=SKP)
    await call(stack, "POST", f"{base}/targets/submit", employee)
    await call(stack, "POST", f"{base}/targets/approve", BOSS)
    return appraisal


def headers(stack: Stack, who: str, *roles: str) -> dict[str, str]:
    agencies = (stack.agency,) if {"hr", "inspector"} & set(roles) else ()
    return stack.headers(who, *roles, agencies=agencies)


async def upload(stack: Stack, appraisal: str, data: bytes, name: str = "laporan.pdf",
                 who: str = EMP, *roles: str, content_type: str = "application/pdf"
                 ) -> httpx.Response:
    return await stack.http.post(f"/v1/appraisals/{appraisal}/evidence",
                                 files={"file": (name, data, content_type)},
                                 headers=headers(stack, who, *roles))


def multipart(name: bytes, data: bytes, boundary: bytes = b"kinerja-boundary") -> bytes:
    """A multipart body written by hand (a file name with bytes a client library would
    escape)."""
    return (b"--" + boundary + b"\r\nContent-Disposition: form-data; name=\"file\"; "
            b"filename=\"" + name + b"\"\r\nContent-Type: application/pdf\r\n\r\n" + data
            + b"\r\n--" + boundary + b"--\r\n")


async def report_with(stack: Stack, appraisal: str, *digests: str, who: str = EMP,
                      expect: int = 200) -> dict[str, Any]:
    return await call(stack, "POST", f"/v1/appraisals/{appraisal}/progress", who, body={
        "period": f"{YEAR}-02",
        "realisations": [{"indicator_id": "ind-1", "value": "10"}],
        "evidence": [{"kind": "file", "sha256": d, "description": "Laporan"} for d in digests],
    }, expect=expect)


async def test_attach_report_and_download_by_every_reader(stack: Stack) -> None:
    appraisal = await reporting(stack)
    answer = await upload(stack, appraisal, PDF)
    assert answer.status_code == 201, answer.text
    stored = answer.json()
    digest = hashlib.sha256(PDF).hexdigest()
    assert stored["id"] == stored["sha256"] == digest
    assert (stored["size"], stored["media_type"], stored["file_name"]) == (
        len(PDF), "application/pdf", "laporan.pdf")
    assert stored["evidence"] == {"kind": "file", "sha256": digest, "description": "laporan.pdf"}

    reported = await report_with(stack, appraisal, digest)
    assert reported["events"] == ["ProgressReported"]
    events = await call(stack, "GET", f"/v1/appraisals/{appraisal}/events", EMP)
    recorded = next(e for e in events if e["type"] == "ProgressReported")
    assert recorded["data"]["report"]["evidence"][0]["sha256"] == digest  # the link

    for who, roles in ((EMP, ()), (BOSS, ()), (HEAD, ()), (HR, ("employee", "hr")),
                       ("e-insp", ("inspector",))):
        got = await stack.http.get(stored["download"], headers=headers(stack, who, *roles))
        assert got.status_code == 200, (who, got.text)
        assert hashlib.sha256(got.content).hexdigest() == digest
        assert got.headers["content-type"] == "application/pdf"
        assert got.headers["content-disposition"].startswith('attachment; filename="laporan.pdf"')
        assert got.headers["x-content-type-options"] == "nosniff"
    # The inspector's and HR's reads are recorded in the agency's access stream.
    reads = await stack.pool.fetchval(
        "SELECT count(*) FROM events WHERE stream_id = $1 AND type IN ('InspectorRead', "
        "'HrRead') AND convert_from(canonical, 'UTF8') LIKE '%appraisal-evidence%'",
        f"access-{stack.agency}")
    assert reads == 2


async def test_non_parties_get_404_and_unreferenced_files_are_not_served(stack: Stack) -> None:
    appraisal = await reporting(stack)
    digest = (await upload(stack, appraisal, PDF)).json()["sha256"]
    png = (await upload(stack, appraisal, PNG, "foto.png")).json()
    await report_with(stack, appraisal, digest)
    url = f"/v1/appraisals/{appraisal}/evidence/{digest}"
    for who, roles in (("e-peer", ()), ("e-far", ()), ("e-hr9", ("employee", "hr"))):
        agencies = ("elsewhere",) if "hr" in roles else ()
        got = await stack.http.get(url, headers=stack.headers(who, *roles, agencies=agencies))
        assert got.status_code == 404, (who, got.text)
        assert got.headers["content-type"] == "application/problem+json"
    # Uploaded, bytes stored, but no event refers to it: 404 even for the employee.
    unreferenced = await stack.http.get(png["download"], headers=headers(stack, EMP))
    assert unreferenced.status_code == 404
    absent = await stack.http.get(f"/v1/appraisals/{appraisal}/evidence/{'0' * 64}",
                                  headers=headers(stack, EMP))
    assert absent.status_code == 404
    # A stranger naming a file in a report learns nothing of the appraisal or its files:
    # the 404 every refusal gives them, not the 422 the employee would get.
    await report_with(stack, appraisal, "0" * 64, who="e-far", expect=404)
    await report_with(stack, appraisal, digest, who="e-far", expect=404)


async def test_no_reads_or_references_across_appraisals(stack: Stack) -> None:
    first = await reporting(stack)
    digest = (await upload(stack, first, PDF)).json()["sha256"]
    await report_with(stack, first, digest)
    second = await reporting(stack, "e-emp2")
    # The other employee cannot name a file of the first appraisal in their report...
    refused = await report_with(stack, second, digest, who="e-emp2", expect=422)
    assert refused["errors"][0]["field"] == "report.evidence[0].sha256"
    # ...nor read it through their own appraisal, although the bytes exist.
    got = await stack.http.get(f"/v1/appraisals/{second}/evidence/{digest}",
                               headers=headers(stack, "e-emp2"))
    assert got.status_code == 404
    # The same bytes uploaded to the second appraisal are stored once, and then served
    # through it once its report refers to them.
    again = await upload(stack, second, PDF, "salinan.pdf", "e-emp2")
    assert again.status_code == 201 and again.json()["file_name"] == "salinan.pdf"
    await report_with(stack, second, digest, who="e-emp2")
    assert (await stack.http.get(again.json()["download"],
                                 headers=headers(stack, "e-emp2"))).status_code == 200
    assert await stack.pool.fetchval(
        "SELECT count(*) FROM evidence_files WHERE sha256 = $1", digest) == 1


async def test_a_double_upload_answers_the_same_file_stored_once(stack: Stack) -> None:
    appraisal = await reporting(stack)
    first = await upload(stack, appraisal, PNG, "foto.png", content_type="image/png")
    second = await upload(stack, appraisal, PNG, "lain.png", content_type="image/png")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()  # the first upload's name stands
    digest = first.json()["sha256"]
    assert await stack.pool.fetchval(
        "SELECT count(*) FROM evidence_files WHERE sha256 = $1", digest) == 1
    assert await stack.pool.fetchval(
        "SELECT count(*) FROM evidence_uploads WHERE sha256 = $1", digest) == 1


async def test_too_big_is_a_413_naming_the_file(stack: Stack) -> None:
    appraisal = await reporting(stack)
    big = PDF + b"0" * LIMIT
    declared = await upload(stack, appraisal, big)  # Content-Length: refused before reading
    assert declared.status_code == 413, declared.text
    assert declared.json()["errors"][0] == {"field": "file", "rule": "max_bytes",
                                            "message": f"at most {LIMIT} bytes"}

    body = multipart(b"besar.pdf", big)

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it streams
        for start in range(0, len(body), 256 * 1024):
            yield body[start:start + 256 * 1024]

    streamed = await stack.http.post(
        f"/v1/appraisals/{appraisal}/evidence", content=chunks(),
        headers={**headers(stack, EMP),
                 "Content-Type": "multipart/form-data; boundary=kinerja-boundary"})
    assert streamed.status_code == 413, streamed.text
    assert streamed.json()["errors"][0]["field"] == "file"
    assert await stack.pool.fetchval("SELECT count(*) FROM evidence_files") == 0


async def test_the_type_is_judged_by_the_bytes_not_the_name(stack: Stack) -> None:
    appraisal = await reporting(stack)
    exe = await upload(stack, appraisal, EXE, "laporan.pdf")  # a .pdf that is an .exe
    assert exe.status_code == 422, exe.text
    error = exe.json()["errors"][0]
    assert (error["field"], error["rule"]) == ("file", "file_type")
    # A PNG sent as application/pdf named .pdf is a PNG, and its name says so.
    png = await upload(stack, appraisal, PNG, "bukti.pdf", content_type="application/pdf")
    assert png.status_code == 201
    assert (png.json()["media_type"], png.json()["file_name"]) == ("image/png", "bukti.pdf.png")
    empty = await upload(stack, appraisal, b"")
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "file"
    missing = await stack.http.post(f"/v1/appraisals/{appraisal}/evidence",
                                    data={"other": "x"}, files={"lain": ("a", b"b")},
                                    headers=headers(stack, EMP))
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "file"
    assert await stack.pool.fetchval("SELECT count(*) FROM evidence_files") == 1


async def test_control_characters_and_paths_leave_the_name(stack: Stack) -> None:
    appraisal = await reporting(stack)
    got = await stack.http.post(
        f"/v1/appraisals/{appraisal}/evidence",
        content=multipart(b"..\\..\\lap\x00or\x1ban.pdf", PDF),
        headers={**headers(stack, EMP),
                 "Content-Type": "multipart/form-data; boundary=kinerja-boundary"})
    assert got.status_code == 201, got.text
    assert got.json()["file_name"] == "laporan.pdf"
    await report_with(stack, appraisal, got.json()["sha256"])
    served = await stack.http.get(got.json()["download"], headers=headers(stack, BOSS))
    assert served.headers["content-disposition"] == (
        "attachment; filename=\"laporan.pdf\"; filename*=UTF-8''laporan.pdf")


async def test_only_the_employee_attaches_and_only_while_reporting(stack: Stack) -> None:
    appraisal = await open_appraisal(stack)
    early = await upload(stack, appraisal, PDF)
    assert early.status_code == 409, early.text  # the SKP is not approved yet
    base = f"/v1/appraisals/{appraisal}"
    await call(stack, "PUT", f"{base}/targets", EMP, body=SKP)
    await call(stack, "POST", f"{base}/targets/submit", EMP)
    await call(stack, "POST", f"{base}/targets/approve", BOSS)
    assert (await upload(stack, appraisal, PDF, "x.pdf", BOSS)).status_code == 403
    assert (await upload(stack, appraisal, PDF, "x.pdf", "e-far")).status_code == 404
    assert (await upload(stack, f"{appraisal}-nope", PDF)).status_code == 404
    assert await stack.pool.fetchval("SELECT count(*) FROM evidence_files") == 0


async def test_a_daily_activity_refers_to_files_the_same_way(stack: Stack) -> None:
    appraisal = await reporting(stack)
    base = f"/v1/appraisals/{appraisal}"
    activity = {"day": f"{YEAR}-01-05", "rhk_id": "rhk-1", "description": "Rapat koordinasi",
                "evidence": [{"kind": "file", "sha256": hashlib.sha256(PNG).hexdigest(),
                              "description": "Foto rapat"}]}
    refused = await call(stack, "POST", f"{base}/activities", EMP, body=activity, expect=422)
    assert refused["errors"][0]["field"] == "activity.evidence[0].sha256"
    stored = (await upload(stack, appraisal, PNG, "rapat.png", content_type="image/png")).json()
    await call(stack, "POST", f"{base}/activities", EMP, body=activity)
    got = await stack.http.get(stored["download"], headers=headers(stack, HEAD))
    assert got.status_code == 200 and got.content == PNG
    assert got.headers["content-type"] == "image/png"
