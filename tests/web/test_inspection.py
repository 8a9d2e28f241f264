"""The inspector's pages in the browser: a finished appraisal found by employee key, its
trail walked (each event's actor, roles, time, version, sequence and hash, its data
expanded), the state as of version 3, the difference from version 3 to the last,
field by field as the domain computes it; the stream verified with the signed
checkpoint, the bundle downloaded and checked by ``kinerja verify``; then one event
changed by a database superuser, and the verification page names it with a link to it;
the reads recorded in the access stream, filtered. axe on each page in Indonesian and
English; an employee's session gets the 404 page on each."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import asyncpg
import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from playwright.async_api import Page, expect
from starlette.responses import Response
from typer.testing import CliRunner

from api.auth import mint_token
from api.inspection import AuditSettings
from domain import appraisal as d
from domain.checkpoint import generate_private_key, public_key_bytes, public_key_pem
from domain.integrity import canonical_event
from domain.replay import TrailEntry, replay, state_diff
from domain.skp import Ratings, SelfAssessment, Skp
from kinerja.cli import app as cli
from store.audit import AuditFailure, AuditReport
from store.event_log import EventLog
from store.sealer import Sealer
from tests.lifecycle.conftest import LATE_RELEASE, SELF_ASSESSMENT, SKP, review_body
from tests.web.conftest import SESSION_SECRET, TOKENS, Site, axe_check, shot
from web.inspection import check_results, shown, trail_link
from web.session import SESSION_COOKIE, Sessions


@pytest.fixture
def signing_key() -> Ed25519PrivateKey:
    return generate_private_key()


@pytest.fixture
def audit(signing_key: Ed25519PrivateKey, tmp_path: Path) -> AuditSettings:
    return AuditSettings(public_key=public_key_bytes(signing_key),
                         checkpoint_log=tmp_path / "checkpoints.jsonl")


@pytest.fixture
async def sealer(database_dsn: str, signing_key: Ed25519PrivateKey, tmp_path: Path
                 ) -> AsyncIterator[Sealer]:
    instance = Sealer(database_dsn, signing_key=signing_key,
                      checkpoint_log=tmp_path / "checkpoints.jsonl", checkpoint_interval=0.0,
                      poll_interval=0.01)
    async with instance.connected():
        yield instance


async def _finish(site: Site) -> None:
    """The demo appraisal from its SKP to a final result, through the use cases."""
    employee, appraiser, hr = site.actor("employee"), site.actor("appraiser"), site.actor("hr")
    steps: list[tuple[object, d.Command]] = [
        (employee, d.DraftTargets(skp=Skp.model_validate(SKP))),
        (employee, d.SubmitTargets()),
        (appraiser, d.ApproveTargets()),
        (employee, d.SubmitSelfAssessment(
            assessment=SelfAssessment.model_validate(SELF_ASSESSMENT))),
        (appraiser, d.SubmitReview(ratings=Ratings.model_validate(review_body()))),
        (hr, d.ReleaseResult.model_validate(LATE_RELEASE)),
        (employee, d.AcceptResult()),
    ]
    for number, (actor, command) in enumerate(steps):
        await site.appraisals.command(actor, site.appraisal_id, command, f"finish-{number}")
    state = await site.appraisals.state(employee, site.appraisal_id)
    assert state.phase is d.Phase.FINAL


async def _sealed(sealer: Sealer) -> None:
    await sealer.seal_pending()
    assert await sealer.checkpoint() is not None


async def _entries(site: Site) -> list[TrailEntry]:
    events = await EventLog(site.pool).read_stream(site.appraisal_id)
    return [TrailEntry(e.version, e.type, e.data, e.recorded_at) for e in events]


async def _table(page: Page, selector: str) -> list[list[str]]:
    rows: list[list[str]] = await page.locator(f"{selector} tbody tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.cells).map(c => c.textContent.trim()))")
    return rows


async def _tamper(admin_dsn: str, stream: str, version: int) -> None:
    """What a superuser can do: change one event's data in place (triggers off), its
    hash left as it was."""
    admin = await asyncpg.connect(admin_dsn)
    try:
        row = await admin.fetchrow("SELECT canonical FROM events WHERE stream_id = $1"
                                   " AND version = $2", stream, version)
        document = json.loads(row["canonical"])
        document["data"] = {**document["data"], "tampered": True}
        canonical = canonical_event(
            event_id=document["event_id"], stream_id=stream, version=version,
            type=document["type"], schema_version=document["schema_version"],
            data=document["data"], metadata=document["metadata"],
            recorded_at=datetime.fromisoformat(document["recorded_at"]))
        await admin.execute("ALTER TABLE events DISABLE TRIGGER ALL")
        try:
            await admin.execute("UPDATE events SET canonical = $3 WHERE stream_id = $1"
                                " AND version = $2", stream, version, canonical)
        finally:
            await admin.execute("ALTER TABLE events ENABLE TRIGGER ALL")
    finally:
        await admin.close()


async def test_an_inspector_walks_the_trail_verifies_it_and_sees_the_tampered_event_named(
        site: Site, sealer: Sealer, database_dsn: str, signing_key: Ed25519PrivateKey,
        tmp_path: Path) -> None:
    await _finish(site)
    await _sealed(sealer)
    entries = await _entries(site)
    last = len(entries)
    assert last > 6

    inspector = await site.signed_in("inspector")
    await inspector.get_by_role("link", name="Inspeksi").click()
    await expect(inspector.get_by_role("heading", name="Inspeksi", level=1)).to_be_visible()
    await inspector.get_by_label("Kode pegawai").fill(site.people["employee"].key)
    await inspector.get_by_role("button", name="Cari").click()
    await inspector.get_by_role("link", name=site.appraisal_id, exact=True).click()
    await expect(inspector.get_by_role("heading", level=1)).to_contain_text("Jejak")
    await shot(inspector, "inspection-trail")

    # The timeline: every event with its actor, roles, version, sequence and hash.
    events = inspector.locator("ol.events > li")
    await expect(events).to_have_count(last)
    seals = {r["version"]: r["seq"] for r in await site.pool.fetch(
        "SELECT version, seq FROM seals WHERE stream_id = $1", site.appraisal_id)}
    hashes = {r["version"]: r["hash"].hex() for r in await site.pool.fetch(
        "SELECT version, hash FROM events WHERE stream_id = $1", site.appraisal_id)}
    for version in (1, 3, last):
        item = inspector.locator(f"#v{version}")
        await expect(item).to_contain_text(f"Versi {version}")
        await expect(item).to_contain_text(entries[version - 1].type)
        await expect(item.locator("dd").nth(2)).to_have_text(str(seals[version]))
        await expect(item.locator("code.hash").first).to_have_text(hashes[version])
    await expect(inspector.locator("#v3 dd").first).to_contain_text(site.people["employee"].key)
    await expect(inspector.locator("#v3 pre")).not_to_be_visible()
    await inspector.locator("#v3 summary").click()
    await expect(inspector.locator("#v3 pre")).to_be_visible()

    # The state as of version 3.
    await inspector.get_by_label("Versi", exact=True).select_option("3")
    await inspector.get_by_role("button", name="Tampilkan keadaan").click()
    await expect(inspector.locator("#state-shown")).to_have_text("Keadaan setelah versi 3")
    at_three = replay(entries, version=3)
    fields = await _table(inspector, "section[aria-labelledby=state] table")
    assert ["phase", at_three.phase.value] in fields
    assert ["targets_status", at_three.targets_status.value] in fields

    # The difference from version 3 to the last, field by field as the domain has it.
    await inspector.get_by_label("Dari versi").select_option("3")
    await inspector.get_by_label("Ke versi").select_option(str(last))
    await inspector.get_by_role("button", name="Bandingkan").click()
    expected = state_diff(at_three, replay(entries))
    await expect(inspector.locator("#diff-shown")).to_contain_text(
        f"Dari versi 3 ke versi {last}: {len(expected)} isian berubah")
    changed = await _table(inspector, "section[aria-labelledby=diff] table")
    assert changed == [[c.path, shown(c.before), shown(c.after)] for c in expected]
    assert ["phase", at_three.phase.value, "final"] in changed
    await shot(inspector, "inspection-diff")

    # Verified: chain, seals, tree, checkpoint; the signed checkpoint; the bundle offline.
    await inspector.get_by_role("link", name="Verifikasi jejak ini").click()
    await expect(inspector.get_by_role("heading", name="Terverifikasi: tidak ada yang diubah")
                 ).to_be_visible()
    assert [row[1] for row in await _table(inspector, "section.result table")] == \
        ["lolos"] * 4
    size = await site.pool.fetchval("SELECT max(tree_size) FROM checkpoints")
    await expect(inspector.locator("#checkpoint ~ dl dd").first).to_have_text(str(size))
    await expect(inspector.locator("#signature")).to_have_text(
        "sah untuk kunci publik yang dikonfigurasi")
    command = f"kinerja verify kinerja-{site.appraisal_id}.jsonl"
    await expect(inspector.locator("#verify-command")).to_have_text(command)
    async with inspector.expect_download() as downloading:
        await inspector.get_by_role("link", name="Unduh bundel ekspor").click()
    download = await downloading.value
    assert download.suggested_filename == f"kinerja-{site.appraisal_id}.jsonl"
    bundle = tmp_path / download.suggested_filename
    await download.save_as(bundle)
    key = tmp_path / "key.pem"
    key.write_bytes(public_key_pem(signing_key))
    result = CliRunner().invoke(cli, ["verify", str(bundle), "--public-key", str(key)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    await shot(inspector, "inspection-verified")

    # A superuser changes the data of version 4: the page names that event, and links it.
    await _tamper(database_dsn, site.appraisal_id, 4)
    await inspector.reload()
    await expect(inspector.get_by_role("heading", name="Verifikasi GAGAL")).to_be_visible()
    failure = inspector.locator("#first-failure")
    await expect(failure).to_contain_text("Rantai hash setiap aliran")
    link = failure.get_by_role("link", name=f"{site.appraisal_id}, versi 4")
    await expect(link).to_have_attribute("href", f"/inspeksi/penilaian/{site.appraisal_id}#v4")
    assert [row[1] for row in await _table(inspector, "section.result table")] == \
        ["GAGAL"] + ["tidak diperiksa (setelah kegagalan)"] * 3
    await shot(inspector, "inspection-tampered")
    await link.click()
    await expect(inspector.locator("#v4")).to_contain_text("tampered")
    # Its data no longer fits the domain: the trail is shown, the state cannot be replayed
    # (the API's state route says the same: 409, naming the version).
    await expect(inspector.locator("#unreplayable")).to_contain_text("versi 4")
    person = site.people["inspector"]
    token = mint_token(TOKENS, subject=person.key, roles=person.roles, agency=person.agency,
                       unit=person.unit, agencies=person.agencies)
    async with httpx.AsyncClient(base_url=site.url) as http:
        answer = await http.get(f"/v1/audit/appraisals/{site.appraisal_id}/state",
                                headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 409, answer.text
    assert answer.json()["type"].endswith("unreplayable")
    assert "version 4" in answer.json()["detail"]
    await inspector.get_by_label("Versi", exact=True).select_option("3")
    await inspector.get_by_role("button", name="Tampilkan keadaan").click()
    await expect(inspector.locator("#state-shown")).to_have_text("Keadaan setelah versi 3")

    # Akses: the inspector's reads, recorded; filtered by kind.
    await inspector.get_by_role("link", name="Akses").click()
    reads = inspector.locator("section[aria-labelledby=reads] tbody tr")
    await expect(reads.first).to_contain_text(site.people["inspector"].key)
    total = await reads.count()
    await inspector.get_by_label("Jenis pembacaan").select_option("verify")
    await inspector.get_by_role("button", name="Saring").click()
    await expect(inspector.get_by_role("heading", name="2 pembacaan tercatat")).to_be_visible()
    assert await reads.count() == 2 < total
    for row in await _table(inspector, "section[aria-labelledby=reads] table"):
        assert row[3] == "verify" and site.appraisal_id in row[4]


async def test_each_inspector_page_passes_axe_and_is_a_404_for_an_employee(
        site: Site, sealer: Sealer) -> None:
    await _sealed(sealer)
    pages = ["/inspeksi", f"/inspeksi?pegawai={site.people['employee'].key}",
             f"/inspeksi/penilaian/{site.appraisal_id}",
             f"/inspeksi/penilaian/{site.appraisal_id}?versi=1&dari=0&ke=1",
             f"/inspeksi/verifikasi?penilaian={site.appraisal_id}",
             "/inspeksi/akses?jenis=trail", "/inspeksi/indikator"]
    for lang in ("id", "en"):
        inspector = await site.signed_in("inspector", lang=lang)
        for path in pages:
            response = await inspector.goto(path)
            assert response is not None and response.status == 200, path
            await axe_check(inspector, f"{path} {lang}")
    refused = await site.signed_in("inspector")
    response = await refused.goto(f"/inspeksi/penilaian/{site.appraisal_id}?versi=abc")
    assert response is not None and response.status == 422
    await expect(refused.locator("#err-versi")).to_have_text("Pilih versi antara 0 dan 1.")
    await axe_check(refused, "a refused version")

    # Without JavaScript: the same forms (GET) answer with the whole page.
    plain = await site.signed_in("inspector", javascript=False)
    await plain.goto(f"/inspeksi/penilaian/{site.appraisal_id}")
    await plain.get_by_label("Versi", exact=True).select_option("1")
    await plain.get_by_role("button", name="Tampilkan keadaan").click()
    await expect(plain.locator("#state-shown")).to_have_text("Keadaan setelah versi 1")
    await plain.get_by_label("Dari versi").select_option("0")
    await plain.get_by_label("Ke versi").select_option("1")
    await plain.get_by_role("button", name="Bandingkan").click()
    await expect(plain.locator("#diff-shown")).to_contain_text("Dari versi 0 ke versi 1")
    assert "versi=1" in plain.url and "dari=0" in plain.url
    # As of a moment (in the agency's zone): before the first event, and long after.
    for moment, version in (("2001-01-01T00:00:00", 0), ("2099-01-01T00:00:00", 1)):
        await plain.get_by_label("Versi", exact=True).select_option("")
        await plain.locator("#f-pada").fill(moment)
        await plain.get_by_role("button", name="Tampilkan keadaan").click()
        await expect(plain.locator("#state-shown")).to_contain_text(f"(versi {version})")

    employee = await site.signed_in("employee")
    for path in [*pages, f"/inspeksi/ekspor?penilaian={site.appraisal_id}",
                 "/inspeksi/indikator.csv", "/inspeksi/indikator.xlsx"]:
        response = await employee.goto(path)
        assert response is not None and response.status == 404, path
        await expect(employee.get_by_role("heading", name="Tidak ditemukan")).to_be_visible()
    assert await employee.get_by_role("link", name="Inspeksi").count() == 0


def test_each_check_passes_fails_or_is_not_reached_and_a_failure_links_its_event() -> None:
    assert check_results(AuditReport(ok=True)) == [
        ("chain", "passed"), ("seal", "passed"), ("tree", "passed"), ("checkpoint", "passed")]
    failed = AuditReport(ok=False, first_failure=AuditFailure("tree", "node", seq=4))
    assert check_results(failed) == [
        ("chain", "passed"), ("seal", "passed"), ("tree", "failed"),
        ("checkpoint", "not_reached")]
    assert trail_link("appraisal-x-2026-e-1", 4) == "/inspeksi/penilaian/appraisal-x-2026-e-1#v4"
    assert trail_link("access-x", 2) is None and trail_link(None, None) is None


async def _inspector_of_every_agency(site: Site) -> Page:
    """A browser signed in as an inspector whose scope is every agency (``*``): no demo
    person has it, so the session is made as the sign-in makes it."""
    response = Response()
    Sessions(SESSION_SECRET, seconds=3600).start(
        response, subject="i-all", name="Inspektur Utama", roles=("inspector",), agency=None,
        unit=None, agencies=("*",))
    value = response.headers["set-cookie"].split(";", 1)[0].split("=", 1)[1]
    context = await site.context()
    await context.add_cookies([{"name": SESSION_COOKIE, "value": value, "url": site.url}])
    return await context.new_page()


async def test_an_inspector_of_every_agency_verifies_the_whole_log(
        site: Site, sealer: Sealer, database_dsn: str) -> None:
    await _sealed(sealer)
    inspector = await _inspector_of_every_agency(site)
    await inspector.goto("/inspeksi/verifikasi")
    await inspector.get_by_role("button", name="Verifikasi seluruh log").click()
    await expect(inspector.get_by_role("heading", name="Terverifikasi: tidak ada yang diubah")
                 ).to_be_visible()
    await expect(inspector.locator("section.result")).to_contain_text("Cakupan: seluruh log")
    assert [row[1] for row in await _table(inspector, "section.result table")] == \
        ["lolos"] * 4
    await axe_check(inspector, "the whole log verified")

    await _tamper(database_dsn, site.appraisal_id, 1)
    await inspector.reload()
    await expect(inspector.get_by_role("heading", name="Verifikasi GAGAL")).to_be_visible()
    await expect(inspector.locator("#first-failure").get_by_role(
        "link", name=f"{site.appraisal_id}, versi 1")).to_have_attribute(
        "href", f"/inspeksi/penilaian/{site.appraisal_id}#v1")

    # The agency's inspector may not verify the whole log: no such button, and asking
    # for it anyway verifies nothing.
    own = await site.signed_in("inspector")
    await own.goto("/inspeksi/verifikasi?semua=1")
    assert await own.get_by_role("button", name="Verifikasi seluruh log").count() == 0
    assert await own.locator("section.result").count() == 0
    # HR is no inspector: the 404 page.
    hr = await site.signed_in("hr")
    for path in ("/inspeksi", "/inspeksi/verifikasi", "/inspeksi/akses",
                 f"/inspeksi/penilaian/{site.appraisal_id}"):
        answer = await hr.goto(path)
        assert answer is not None and answer.status == 404, path
