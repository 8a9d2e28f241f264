"""Documents (docs/documents.md) on a real Temporal and PostgreSQL: each kind rendered in
the phases where it exists, its text holding the appraisal's people and numbers; the same
log gives the same bytes; a document printed before an objection decision is superseded;
an edited code or a tampered event fails naming why; only readers get one."""

from __future__ import annotations

import asyncio
import io
import json
import os
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pypdf import PdfReader
from typer.testing import CliRunner

from domain.checkpoint import public_key_bytes, public_key_pem
from domain.documents import parse_code
from domain.integrity import canonical_event
from kinerja.cli import app as cli
from kinerja.settings import get_settings
from services.documents import DocumentService
from store.appraisals import AppraisalReadModel
from store.event_log import EventLog
from store.sealer import Sealer

from .conftest import LATE_RELEASE, SELF_ASSESSMENT, SKP, YEAR, Stack, open_body, review_body
from .test_cycle_exports import COLUMNS, demo_rows, import_roster

EMP, BOSS, HEAD, HR, STRANGER = "e-0001", "e-0002", "e-0003", "e-hr01", "e-0004"
NAME = "Sítì Ñurhalizā Rahmawati"
"""A non-ASCII name for the demo employee."""


async def call(stack: Stack, method: str, path: str, who: str, *roles: str, body: Any = None,
               expect: int = 200) -> Any:
    agencies = (stack.agency,) if {"hr", "inspector"} & set(roles) else ()
    response = await stack.http.request(method, path, json=body,
                                        headers=stack.headers(who, *(roles or ("employee",)),
                                                              agencies=agencies))
    assert response.status_code == expect, response.text
    return response


async def pdf_of(stack: Stack, appraisal: str, kind: str, who: str = EMP, *roles: str
                 ) -> bytes:
    response = await call(stack, "GET", f"/v1/appraisals/{appraisal}/documents/{kind}.pdf",
                          who, *roles)
    assert response.headers["content-type"] == "application/pdf"
    return bytes(response.content)


def text_of(pdf: bytes) -> str:
    """The PDF's text, white space (a table cell's line breaks) as single spaces."""
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(text.split())


@pytest.fixture
async def appraisal(stack: Stack) -> str:
    """The demo roster (the employee with a non-ASCII name) and her appraisal."""
    rows = demo_rows()
    for cells in rows[1:]:
        if cells[COLUMNS["key"]] == EMP:
            cells[COLUMNS["name"]] = NAME
    await import_roster(stack, rows)
    created = await call(stack, "POST", "/v1/appraisals", HR, "employee", "hr",
                         body=open_body(stack.agency, EMP, appraiser=BOSS, superior=HEAD),
                         expect=201)
    return str(created.json()["appraisal"]["id"])


async def to_release(stack: Stack, appraisal: str) -> None:
    base = f"/v1/appraisals/{appraisal}"
    await call(stack, "PUT", f"{base}/targets", EMP, body=SKP)
    await call(stack, "POST", f"{base}/targets/submit", EMP)
    await call(stack, "POST", f"{base}/targets/approve", BOSS)
    await call(stack, "POST", f"{base}/progress", EMP, body={
        "period": f"{YEAR}-01", "realisations": [{"indicator_id": "ind-1", "value": "37"}]})
    await call(stack, "POST", f"{base}/self-assessment", EMP, body=SELF_ASSESSMENT)
    await call(stack, "POST", f"{base}/review", BOSS, body=review_body("meets", "meets"))
    await call(stack, "POST", f"{base}/release", HR, "employee", "hr", body=LATE_RELEASE)


@pytest.fixture
def signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
async def sealer(database_dsn: str, signing_key: Ed25519PrivateKey, tmp_path: Path
                 ) -> AsyncIterator[Sealer]:
    instance = Sealer(database_dsn, signing_key=signing_key,
                      checkpoint_log=tmp_path / "checkpoints.jsonl", checkpoint_interval=0.0,
                      poll_interval=0.01)
    async with instance.connected():
        yield instance


async def seal(sealer: Sealer) -> None:
    await sealer.seal_pending()
    assert await sealer.checkpoint() is not None


def service(stack: Stack, signing_key: Ed25519PrivateKey) -> DocumentService:
    pool = stack.pool
    return DocumentService(pool, AppraisalReadModel(pool), EventLog(pool),
                           public_key=public_key_bytes(signing_key))


async def test_each_kind_in_its_phases_with_names_numbers_and_predikat(
        stack: Stack, appraisal: str) -> None:
    base = f"/v1/appraisals/{appraisal}"
    for kind in ("skp", "evaluasi", "keberatan"):  # nothing before the SKP is approved
        response = await call(stack, "GET", f"{base}/documents/{kind}.pdf", EMP, expect=409)
        assert response.json()["errors"][0]["rule"] == "document_unavailable"
    await call(stack, "PUT", f"{base}/targets", EMP, body=SKP)
    await call(stack, "POST", f"{base}/targets/submit", EMP)
    await call(stack, "GET", f"{base}/documents/skp.pdf", EMP, expect=409)  # not approved
    await call(stack, "POST", f"{base}/targets/approve", BOSS)

    skp = text_of(await pdf_of(stack, appraisal, "skp"))
    assert "SASARAN KINERJA PEGAWAI" in skp
    for expected in (NAME, "199205202019032003", "Pranata Komputer", "Budi Santoso",
                     "198003152005011002", "Dinas Komunikasi dan Informatika",
                     "Layanan informasi publik", "Permohonan terlayani", "120 permohonan",
                     "52 minggu", "Berorientasi Pelayanan", f"31 Desember {YEAR}"):
        assert expected in skp, expected
    assert "Rina Wulandari" not in skp  # the SKP is signed by the employee and appraiser

    await to_release_after_skp(stack, appraisal)
    provisional = text_of(await pdf_of(stack, appraisal, "evaluasi", BOSS))
    assert "DOKUMEN EVALUASI KINERJA PEGAWAI" in provisional and "SEMENTARA" in provisional
    for expected in (NAME, "Rina Wulandari", "197001011995032001", "Sesuai Ekspektasi",
                     "BAIK", "37", "120 permohonan"):
        assert expected in provisional, expected

    await call(stack, "POST", f"{base}/accept", EMP)
    final = text_of(await pdf_of(stack, appraisal, "evaluasi", HEAD))
    assert "SEMENTARA" not in final and "BAIK" in final and NAME in final
    await call(stack, "GET", f"{base}/documents/keberatan.pdf", EMP, expect=409)


async def to_release_after_skp(stack: Stack, appraisal: str) -> None:
    base = f"/v1/appraisals/{appraisal}"
    await call(stack, "POST", f"{base}/progress", EMP, body={
        "period": f"{YEAR}-01", "realisations": [{"indicator_id": "ind-1", "value": "37"}]})
    await call(stack, "POST", f"{base}/self-assessment", EMP, body=SELF_ASSESSMENT)
    await call(stack, "GET", f"{base}/documents/evaluasi.pdf", EMP, expect=409)
    await call(stack, "POST", f"{base}/review", BOSS, body=review_body("meets", "meets"))
    await call(stack, "GET", f"{base}/documents/evaluasi.pdf", EMP, expect=409)  # unreleased
    await call(stack, "POST", f"{base}/release", HR, "employee", "hr", body=LATE_RELEASE)


async def test_same_log_same_bytes_and_a_later_unrelated_event_changes_nothing(
        stack: Stack, appraisal: str) -> None:
    base = f"/v1/appraisals/{appraisal}"
    await call(stack, "PUT", f"{base}/targets", EMP, body=SKP)
    await call(stack, "POST", f"{base}/targets/submit", EMP)
    await call(stack, "POST", f"{base}/targets/approve", BOSS)
    first = await pdf_of(stack, appraisal, "skp")
    assert await pdf_of(stack, appraisal, "skp", HR, "employee", "hr") == first
    await call(stack, "POST", f"{base}/progress", EMP, body={
        "period": f"{YEAR}-01", "realisations": [{"indicator_id": "ind-1", "value": "5"}]})
    response = await call(stack, "GET", f"{base}/documents/skp.pdf", EMP)
    assert response.content == first  # a progress report does not change the SKP
    assert response.headers["x-document-version"] == "4"  # opened, drafted, submitted, approved


async def test_printed_before_the_objection_decision_is_superseded_and_codes_verify(
        stack: Stack, appraisal: str, sealer: Sealer, signing_key: Ed25519PrivateKey,
        tmp_path: Path, database_dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    base = f"/v1/appraisals/{appraisal}"
    await to_release(stack, appraisal)
    await seal(sealer)
    documents = service(stack, signing_key)
    printed = await pdf_of(stack, appraisal, "evaluasi")
    code = parse_code(documents_code(printed))
    assert code.seal is not None and code.version > 1  # sealed and signed at printing

    check = await documents.check_pdf(printed)
    assert check.verdict.status == "match", check.verdict.reasons
    assert "the checkpoint's signature verifies" in check.verdict.reasons
    typed = await documents.check_code(code.short())
    assert typed.verdict.status == "match"

    await call(stack, "POST", f"{base}/objection", EMP,
               body={"reasons": "Realisasi layanan melampaui target."})
    await call(stack, "POST", f"{base}/objection/explanations", HEAD,
               body={"parties": ["appraiser", "employee"], "questions": "Mohon penjelasan."})
    await call(stack, "POST", f"{base}/objection/explanations", BOSS, body={"text": "Sesuai."})
    await call(stack, "POST", f"{base}/objection/explanations", EMP, body={"text": "Lebih."})
    await call(stack, "POST", f"{base}/objection/decision", HEAD,
               body={"outcome": "change", "reason": "Bukti realisasi kuat.",
                     "work_result": "above", "behaviour": "above"})
    check = await documents.check_pdf(printed)
    assert check.verdict.status == "superseded"
    assert "ObjectionDecided" in (check.verdict.later or "")

    decision = await pdf_of(stack, appraisal, "keberatan", HEAD)
    text = text_of(decision)
    for expected in ("KEPUTUSAN ATAS KEBERATAN", NAME, "Realisasi layanan melampaui target.",
                     "Bukti realisasi kuat.", "Sangat Baik", "Rina Wulandari"):
        assert expected in text, expected
    await seal(sealer)
    assert (await documents.check_pdf(await pdf_of(stack, appraisal, "keberatan"))
            ).verdict.status == "match"

    # The command: superseded (exit 3) with the configured database and a pinned key.
    key_file = tmp_path / "key.pem"
    key_file.write_bytes(public_key_pem(signing_key))
    pdf_file = tmp_path / "evaluasi.pdf"
    pdf_file.write_bytes(printed)
    for name in list(os.environ):
        if name.startswith("KINERJA_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("KINERJA_DATABASE_URL", database_dsn)
    monkeypatch.chdir(tmp_path)  # no .env
    get_settings.cache_clear()
    try:
        result = await asyncio.to_thread(  # the command runs its own event loop
            CliRunner().invoke, cli, ["verify-document", str(pdf_file), "--public-key",
                                      str(key_file)], catch_exceptions=False)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 3, result.output
    assert "superseded" in result.output and "ObjectionDecided" in result.output


def documents_code(pdf: bytes) -> str:
    from documents.render import code_in_pdf

    code = code_in_pdf(pdf)
    assert code is not None
    return code


async def test_an_edited_code_or_a_tampered_event_fails_naming_why(
        stack: Stack, appraisal: str, sealer: Sealer, signing_key: Ed25519PrivateKey,
        admin_connection: asyncpg.Connection) -> None:
    await to_release(stack, appraisal)
    await seal(sealer)
    documents = service(stack, signing_key)
    code = parse_code(documents_code(await pdf_of(stack, appraisal, "evaluasi")))
    text = code.text()

    other_hash = text.replace(code.hash_hex, "0" * 64)
    assert (await documents.check_code(other_hash)).verdict.reasons == (
        f"the log has no event {code.version} of this appraisal with this hash",)
    assert code.seal is not None
    other_root = text.replace(code.seal.checkpoint.root.hex(), "1" * 64)
    verdict = (await documents.check_code(other_root)).verdict
    assert verdict.status == "tampered"
    assert verdict.reasons == ("the checkpoint's signature does not verify with the public key",)
    earlier = text.replace(f"~{code.version}~", f"~{code.version - 1}~", 1)
    assert (await documents.check_code(earlier)).verdict.status == "tampered"

    # The event behind the document rewritten in place (triggers off, as an intruder would)
    row = await admin_connection.fetchrow(
        "SELECT canonical FROM events WHERE stream_id = $1 AND version = $2",
        appraisal, code.version - 1)
    document = json.loads(row["canonical"])
    document["data"]["ratings"]["note"] = "diubah"
    canonical = canonical_event(
        event_id=document["event_id"], stream_id=appraisal, version=code.version - 1,
        type=document["type"], schema_version=document["schema_version"],
        data=document["data"], metadata=document["metadata"],
        recorded_at=datetime.fromisoformat(document["recorded_at"]))
    await admin_connection.execute("ALTER TABLE events DISABLE TRIGGER ALL")
    try:
        await admin_connection.execute(
            "UPDATE events SET canonical = $3 WHERE stream_id = $1 AND version = $2",
            appraisal, code.version - 1, canonical)
    finally:
        await admin_connection.execute("ALTER TABLE events ENABLE TRIGGER ALL")
    verdict = (await documents.check_code(text)).verdict
    assert verdict.status == "tampered"
    assert verdict.reasons == (f"event {code.version - 1}'s stored content does not give its "
                               "hash (the log was altered)",)


async def test_only_parties_hr_in_scope_and_inspectors_get_a_document(
        stack: Stack, appraisal: str) -> None:
    base = f"/v1/appraisals/{appraisal}"
    await call(stack, "PUT", f"{base}/targets", EMP, body=SKP)
    await call(stack, "POST", f"{base}/targets/submit", EMP)
    await call(stack, "POST", f"{base}/targets/approve", BOSS)
    path = f"{base}/documents/skp.pdf"
    for who, roles in ((EMP, ()), (BOSS, ()), (HEAD, ()), (HR, ("employee", "hr")),
                       ("e-insp1", ("inspector",))):
        await call(stack, "GET", path, who, *roles)
    await call(stack, "GET", path, STRANGER, expect=404)  # a colleague
    await call(stack, "GET", path, HR, "employee", expect=404)  # HR's person without the role
    response = await stack.http.get(path, headers={
        "Authorization": f"Bearer {stack.token('e-hr', 'hr', agencies=('other-agency',))}"})
    assert response.status_code == 404  # HR of another agency
    await call(stack, "GET", f"/v1/appraisals/{appraisal}x/documents/skp.pdf", EMP, expect=404)
    await call(stack, "GET", f"{base}/documents/rapor.pdf", EMP, expect=422)
