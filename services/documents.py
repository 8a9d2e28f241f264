"""The documents of an appraisal (the SKP, the evaluation, the objection decision) as
PDF, and the check of a printed document against the log (docs/documents.md).

Documents are derived, never stored: each request renders the document of the last
event that changed it, so the same log gives the same bytes. Who gets one: whoever may
read the appraisal (its parties, HR in scope, inspectors); anyone else: NotFound.
Checking a code needs no sign-in: a code names an appraisal and an event hash, and the
answer says no more than whether the log holds that event and whether a later one
changed the document.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from documents.render import code_in_pdf, render
from domain.authorization import Actor, AgencyAction, may_on_agency, may_read
from domain.cycle import CycleState
from domain.documents import (
    NO_SUCH_EVENT,
    BadCode,
    DocumentCode,
    DocumentKind,
    Reason,
    ReportKind,
    Seal,
    Unavailable,
    Verdict,
    parse_code,
    reflected,
    verdict,
)
from domain.reports import cycle_stream, report, report_changes, unit_of_code
from services.errors import SENDING_FAILURES, Broken, Forbidden, Invalid, NotFound
from services.errors import Unavailable as ServiceUnavailable
from store.appraisals import AppraisalReadModel
from store.cycles import CycleStore
from store.document_zips import ZipJob, ZipStore
from store.documents import covering_seal, party_keys, seal_and_proof, trail_of, unit_names
from store.documents import people as store_people
from store.event_log import EventLog, RecordedEvent
from workflows.document_zip.client import DocumentZipClient

MAX_PDF_BYTES = 10 * 1024 * 1024
"""The largest PDF the check reads (a document is well under 1 MB)."""


@dataclass(frozen=True)
class Document:
    filename: str
    pdf: bytes
    version: int
    code: str
    agency: str = ""
    """The agency whose log the document comes from (set for HR's reports)."""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.pdf).hexdigest()


@dataclass(frozen=True)
class Check:
    """The answer to a check: the code read and what the log says of it."""

    code: DocumentCode
    verdict: Verdict


def _agency(events: list[RecordedEvent]) -> str:
    parties = events[0].data.get("parties") if events else None
    return str(parties.get("agency", "")) if isinstance(parties, dict) else ""


class DocumentService:
    """Render an appraisal's documents; check printed ones (see the module)."""

    def __init__(self, pool: asyncpg.Pool, read_model: AppraisalReadModel,
                 event_log: EventLog, *,
                 public_key: bytes | None = None, zips: DocumentZipClient | None = None,
                 zip_dir: Path | None = None) -> None:
        self._pool = pool
        self._read_model = read_model
        self._event_log = event_log
        self.public_key = public_key
        self._zip_client = zips
        self._zip_dir = zip_dir or Path(".data") / "zips"
        self._zips = ZipStore(pool)

    # ------------------------------------------------------------------ ZIPs

    async def _readable_cycle(self, actor: Actor, cycle_id: str) -> CycleState:
        state = await CycleStore(self._pool).state(cycle_id)
        if state is None or state.agency is None \
                or not may_on_agency(actor, AgencyAction.READ_CYCLE, state.agency):
            raise NotFound("cycle")
        return state

    async def start_zip(self, actor: Actor, cycle_id: str, unit: str | None,
                        idempotency_key: str | None = None) -> ZipJob:
        """Start building the ZIP of the cycle's documents (of ``unit``'s only): HR of the
        agency; a repeated key answers with the first request's ZIP."""
        state = await self._readable_cycle(actor, cycle_id)
        assert state.agency is not None
        if not may_on_agency(actor, AgencyAction.RUN_CYCLE, state.agency):
            raise Forbidden("only HR of the agency may build its documents' ZIP")
        if unit is not None and unit not in state.units:
            raise NotFound("cycle")
        if self._zip_client is None:
            raise ServiceUnavailable("the background worker")
        key = idempotency_key or uuid.uuid4().hex
        zip_id = uuid.uuid5(uuid.NAMESPACE_URL,
                            f"kinerja-zip:{state.agency}:{actor.subject}:{key}").hex
        job = await self._zips.create(zip_id, state.agency, cycle_id, unit, actor.subject,
                                      datetime.now(UTC))
        if job.cycle_id != cycle_id or job.unit != unit:
            raise Invalid("idempotency-key-reused", "Idempotency-Key reused",
                          "this key was used for another ZIP",
                          [Broken("Idempotency-Key", "reused", "the key names another ZIP")],
                          status=422)
        try:
            await self._zip_client.start(zip_id)
        except SENDING_FAILURES:
            raise ServiceUnavailable("temporal") from None
        return job

    async def zip_job(self, actor: Actor, cycle_id: str, zip_id: str) -> ZipJob:
        """A ZIP of the cycle and its progress (NotFound when not the caller's to read)."""
        await self._readable_cycle(actor, cycle_id)
        job = await self._zips.get(zip_id)
        if job is None or job.cycle_id != cycle_id:
            raise NotFound("zip")
        return job

    async def zip_jobs(self, actor: Actor, cycle_id: str) -> list[ZipJob]:
        await self._readable_cycle(actor, cycle_id)
        return await self._zips.of_cycle(cycle_id)

    async def zip_file(self, actor: Actor, cycle_id: str, zip_id: str) -> tuple[ZipJob, Path]:
        """The finished archive on disk; Invalid (409) while it is being built."""
        job = await self.zip_job(actor, cycle_id, zip_id)
        path = self._zip_dir / f"{zip_id}.zip"
        if job.status != "done" or not path.exists():
            raise Invalid("zip-not-ready", "The ZIP is not ready",
                          f"the ZIP is {job.status} ({job.done} of {job.total or '?'} items)",
                          [Broken("zip", "not_ready", "the ZIP is not ready yet")],
                          status=409)
        return job, path

    async def document(self, actor: Actor, appraisal_id: str, kind: DocumentKind) -> Document:
        """The PDF of ``kind``; NotFound when the appraisal is not the caller's to read
        or the document does not exist (yet) for it (the reason in ``Invalid``)."""
        summary = await self._read_model.summary(appraisal_id)
        if summary is None or not may_read(actor, summary.parties):
            raise NotFound()
        events = await self._event_log.read_stream(appraisal_id)
        trail = trail_of(events)
        people = await store_people(self._pool, summary.parties.agency, party_keys(events))
        try:
            document = reflected(kind, trail, people)
        except Unavailable as missing:
            raise Invalid("document-unavailable", "No such document yet",
                          f"no {kind.value} document: {missing.reason}",
                          [Broken("kind", "document_unavailable", missing.reason)],
                          status=409) from None
        covered = await covering_seal(self._pool, appraisal_id, document.version)
        code = DocumentCode(appraisal_id, kind, document.version, document.hash.hex(),
                            Seal(*covered) if covered else None)
        opened = events[0].data.get("calendar", {}) if events else {}
        offset = int(opened.get("utc_offset_hours", 7)) if isinstance(opened, dict) else 7
        pdf = await asyncio.to_thread(render, document, code, utc_offset_hours=offset)
        return Document(filename=f"{kind.value}-{appraisal_id}-v{document.version}.pdf",
                        pdf=pdf, version=document.version, code=code.text())

    async def report(self, actor: Actor, cycle_id: str, kind: ReportKind,
                     unit: str | None = None) -> Document:
        """HR's report of ``kind`` for the cycle (of ``unit`` for a unit report): HR and
        inspectors of the cycle's agency; NotFound for anyone else, an unknown cycle or a
        unit not in it; Invalid (409) while it does not exist (the unit not released)."""
        state = await CycleStore(self._pool).state(cycle_id)
        if state is None or state.agency is None \
                or not may_on_agency(actor, AgencyAction.READ_CYCLE, state.agency) \
                or (kind is ReportKind.UNIT and (unit is None or unit not in state.units)):
            raise NotFound("cycle")
        stream = cycle_stream(cycle_id)
        events = await self._event_log.read_stream(stream)
        names = await unit_names(self._pool, state.agency)
        try:
            document = report(kind, trail_of(events), names, unit=unit)
        except Unavailable as missing:
            raise Invalid("document-unavailable", "No such document yet",
                          f"no {kind.value} document: {missing.reason}",
                          [Broken("kind", "document_unavailable", missing.reason)],
                          status=409) from None
        covered = await covering_seal(self._pool, stream, document.version)
        code = DocumentCode(stream, kind, document.version, document.hash.hex(),
                            Seal(*covered) if covered else None)
        offset = state.calendar.utc_offset_hours if state.calendar is not None else 7
        pdf = await asyncio.to_thread(render, document, code, utc_offset_hours=offset)
        name = f"{kind.value}-{cycle_id}" + (f"-{unit}" if unit else "")
        return Document(filename=f"{name}-v{document.version}.pdf", pdf=pdf,
                        version=document.version, code=code.text(), agency=state.agency)

    async def check_pdf(self, pdf: bytes) -> Check:
        """Check the code a PDF carries (its metadata); Invalid when it carries none."""
        if len(pdf) > MAX_PDF_BYTES:
            raise Invalid("file-too-large", "File too large",
                          f"a document is at most {MAX_PDF_BYTES} bytes",
                          [Broken("file", "too_large", "the file is too large")], status=413)
        text = await asyncio.to_thread(code_in_pdf, pdf)
        if text is None:
            raise Invalid("no-document-code", "No document code",
                          "this file is not a PDF made by Kinerja (it carries no code)",
                          [Broken("file", "no_code", "the file carries no Kinerja code")])
        return await self.check_code(text)

    async def check_code(self, text: str) -> Check:
        """What the log says of the code ``text`` (see :func:`domain.documents.verdict`)."""
        try:
            code = parse_code(text)
        except BadCode as bad:
            raise Invalid("bad-document-code", "Not a document code", str(bad),
                          [Broken("code", "document_code", str(bad))]) from None
        events = await self._event_log.read_stream(code.appraisal_id)
        if not events:
            return Check(code, Verdict("tampered", (Reason(NO_SUCH_EVENT, version=code.version),)))
        people = await store_people(self._pool, _agency(events), party_keys(events))
        log_seq, proof = None, None
        if code.seal is not None:
            log_seq, proof = await seal_and_proof(self._pool, code.appraisal_id, code.version,
                                                  code.seal.checkpoint.tree_size)
        trail = trail_of(events)
        versions = None
        if isinstance(code.kind, ReportKind):  # HR's report: the cycle's stream
            unit = unit_of_code(trail, code.version)
            versions = [] if code.kind is ReportKind.UNIT and unit is None \
                else report_changes(code.kind, trail, {}, unit=unit)
        return Check(code, verdict(code, trail, people, public_key=self.public_key,
                                   log_seq=log_seq, proof=proof, versions=versions))
