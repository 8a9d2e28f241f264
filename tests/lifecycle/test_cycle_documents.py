"""HR's documents of a cycle over HTTP: the summary and a unit's report as PDF, 404
outside the agency; a ZIP started (a repeated Idempotency-Key answers with the first),
followed until done and downloaded; bad input is a 422 naming the field."""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bench.harness.seed import UNIT, retire, seed_cycle
from documents.render import code_in_pdf
from tests.polling import poll_async
from workflows.document_zip.contract import workflow_id

from .conftest import Stack


@pytest.fixture
async def seeded(stack: Stack) -> AsyncIterator[tuple[str, list[str]]]:
    cycle_id, appraisals = await seed_cycle(stack.pool, stack.agency, 3)
    yield cycle_id, appraisals
    # seeded without workflows: nothing for the stack's teardown to end
    await retire(stack.pool, cycle_id)


async def test_reports_and_a_zip_over_http(stack: Stack, seeded: tuple[str, list[str]]
                                           ) -> None:
    cycle_id, appraisals = seeded
    hr = stack.headers("hr-1", "hr", agencies=(stack.agency,))
    base = f"/v1/cycles/{cycle_id}"

    summary = await stack.http.get(f"{base}/documents/ringkasan-siklus.pdf", headers=hr)
    assert summary.status_code == 200, summary.text
    assert summary.headers["content-type"] == "application/pdf"
    unit = await stack.http.get(f"{base}/units/{UNIT}/documents/laporan-unit.pdf", headers=hr)
    assert unit.status_code == 200 and unit.headers["x-document-version"] == "4"
    code = code_in_pdf(unit.content)
    assert code is not None and code.startswith(f"KINERJA-DOK1~cycle-{cycle_id}~laporan-unit~4~")

    missing = await stack.http.get(f"{base}/units/nowhere/documents/laporan-unit.pdf",
                                   headers=hr)
    assert missing.status_code == 404
    stranger = stack.headers("hr-9", "hr", agencies=("pemkot-lain",))
    assert (await stack.http.get(f"{base}/documents/ringkasan-siklus.pdf",
                                 headers=stranger)).status_code == 404
    employee = stack.headers("e-00000")
    assert (await stack.http.post(f"{base}/zips", json={}, headers=employee)).status_code \
        == 404
    bad = await stack.http.post(f"{base}/zips", json={"unit": "no/such\u0000"}, headers=hr)
    assert bad.status_code == 422 and "unit" in bad.text

    key = {**hr, "Idempotency-Key": "zip-once"}
    started = await stack.http.post(f"{base}/zips", json={"unit": UNIT}, headers=key)
    assert started.status_code == 202, started.text
    again = await stack.http.post(f"{base}/zips", json={"unit": UNIT}, headers=key)
    assert again.json()["zip_id"] == started.json()["zip_id"]
    location = started.headers["location"]

    async def status() -> str:
        return str((await stack.http.get(location, headers=hr)).json()["status"])

    await poll_async(status, "the ZIP built", 60, until=lambda s: s == "done", every=0.2)
    view = (await stack.http.get(location, headers=hr)).json()
    assert view["done"] == view["total"] == 4 and view["documents"] == 4
    listed = (await stack.http.get(f"{base}/zips", headers=hr)).json()
    assert [z["zip_id"] for z in listed] == [view["zip_id"]]
    archive = await stack.http.get(view["download"], headers=hr)
    assert archive.status_code == 200 and archive.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.content)) as z:
        assert sorted(z.namelist()) == sorted(
            [f"laporan-unit-{UNIT}.pdf", *(f"{UNIT}/skp-{a}.pdf" for a in appraisals)])

    if os.environ.get("KINERJA_RECORD_HISTORIES") == "1":  # a finished build, for replay
        handle = stack.client.get_workflow_handle(workflow_id(view["zip_id"]))
        (Path(__file__).parent / "histories" / "document-zip.json").write_text(
            (await handle.fetch_history()).to_json())
