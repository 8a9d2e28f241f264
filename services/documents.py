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
from dataclasses import dataclass

import asyncpg

from documents.render import code_in_pdf, render
from domain.authorization import Actor, may_read
from domain.documents import (
    BadCode,
    DocumentCode,
    DocumentKind,
    Seal,
    TrailEvent,
    Unavailable,
    Verdict,
    parse_code,
    reflected,
    verdict,
)
from services.errors import Broken, Invalid, NotFound
from store.appraisals import AppraisalReadModel
from store.documents import covering_seal, seal_and_proof
from store.documents import people as store_people
from store.event_log import EventLog, RecordedEvent

MAX_PDF_BYTES = 10 * 1024 * 1024
"""The largest PDF the check reads (a document is well under 1 MB)."""


@dataclass(frozen=True)
class Document:
    filename: str
    pdf: bytes
    version: int
    code: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.pdf).hexdigest()


@dataclass(frozen=True)
class Check:
    """The answer to a check: the code read and what the log says of it."""

    code: DocumentCode
    verdict: Verdict


def _trail(events: list[RecordedEvent]) -> list[TrailEvent]:
    return [TrailEvent(version=e.version, type=e.type, data=e.data, recorded_at=e.recorded_at,
                       hash=e.hash, prev_hash=e.prev_hash, canonical=e.canonical)
            for e in events]


def _keys(events: list[RecordedEvent]) -> set[str]:
    """Everyone the trail names as a party (at the opening or a reassignment)."""
    keys: set[str] = set()
    for event in events:
        for holder in (event.data.get("parties") or {}, event.data):
            if isinstance(holder, dict):
                keys.update(str(holder[k]) for k in ("employee", "appraiser", "superior")
                            if isinstance(holder.get(k), str))
    return keys


def _agency(events: list[RecordedEvent]) -> str:
    parties = events[0].data.get("parties") if events else None
    return str(parties.get("agency", "")) if isinstance(parties, dict) else ""


class DocumentService:
    """Render an appraisal's documents; check printed ones (see the module)."""

    def __init__(self, pool: asyncpg.Pool, read_model: AppraisalReadModel,
                 event_log: EventLog, *,
                 public_key: bytes | None = None) -> None:
        self._pool = pool
        self._read_model = read_model
        self._event_log = event_log
        self.public_key = public_key

    async def document(self, actor: Actor, appraisal_id: str, kind: DocumentKind) -> Document:
        """The PDF of ``kind``; NotFound when the appraisal is not the caller's to read
        or the document does not exist (yet) for it (the reason in ``Invalid``)."""
        summary = await self._read_model.summary(appraisal_id)
        if summary is None or not may_read(actor, summary.parties):
            raise NotFound()
        events = await self._event_log.read_stream(appraisal_id)
        trail = _trail(events)
        people = await store_people(self._pool, summary.parties.agency, _keys(events))
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
            return Check(code, Verdict("tampered", (
                f"the log has no event {code.version} of this appraisal with this hash",)))
        people = await store_people(self._pool, _agency(events), _keys(events))
        log_seq, proof = None, None
        if code.seal is not None:
            log_seq, proof = await seal_and_proof(self._pool, code.appraisal_id, code.version,
                                                  code.seal.checkpoint.tree_size)
        return Check(code, verdict(code, _trail(events), people, public_key=self.public_key,
                                   log_seq=log_seq, proof=proof))
