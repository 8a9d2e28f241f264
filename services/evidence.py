"""Use cases of evidence files: the employee attaches one to their appraisal; a party
(or HR in scope, an inspector) downloads one that the appraisal's events refer to.

Attaching stores the bytes (once per SHA-256, :mod:`store.evidence`) and answers the
digest the progress report (or daily activity) then names in its
:class:`domain.skp.Evidence`; :class:`services.appraisals.AppraisalService` refuses a
report naming a file not attached to the same appraisal. Downloading serves only a file
that a recorded event of that appraisal refers to (:func:`domain.evidence.referenced_files`):
bytes uploaded elsewhere, or never referred to, are a 404 like an appraisal one may not see.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from domain.appraisal import Command, CommandRefused, LogActivity, Phase, ReportProgress
from domain.authorization import Action, Actor, Parties, may, may_read
from domain.evidence import (
    SHA256_PATTERN,
    accepted,
    clean_file_name,
    file_digests,
    referenced_files,
)
from domain.policy import EVIDENCE_MEDIA_TYPES
from services.errors import Broken, Forbidden, Invalid, NotFound
from store.appraisals import AppraisalReadModel
from store.event_log import EventLog
from store.evidence import EvidenceStore, StoredFile

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
"""The largest evidence file by default (``KINERJA_EVIDENCE_MAX_BYTES``)."""

ATTACH_PHASES = frozenset({Phase.SELF_REPORT})
"""Evidence is attached while progress is reported and activities logged (the only
commands that refer to it)."""

_CHUNK = 64 * 1024


class Upload(Protocol):
    """An uploaded file as a door has it (a Starlette ``UploadFile``)."""

    filename: str | None

    async def read(self, size: int = -1) -> bytes: ...


@dataclass(frozen=True)
class Download:
    file: StoredFile
    content: bytes
    parties: Parties
    """The appraisal's parties (a door records an HR's or inspector's read by them)."""


def too_large(max_bytes: int, field: str = "file") -> Invalid:
    """The answer to a file over the limit (413, the field named)."""
    return Invalid("too-large", "File too large",
                   f"an evidence file may have at most {max_bytes} bytes",
                   [Broken(field=field, rule="max_bytes",
                           message=f"at most {max_bytes} bytes")], status=413)


class EvidenceService:
    def __init__(self, read_model: AppraisalReadModel, event_log: EventLog,
                 store: EvidenceStore, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self._read_model = read_model
        self._event_log = event_log
        self._store = store
        self.max_bytes = max_bytes

    async def attach(self, actor: Actor, appraisal_id: str,
                     receive: Callable[[], Awaitable[Upload]]) -> StoredFile:
        """Store the file ``receive`` gives as evidence of the appraisal (the employee,
        while the year's work is reported); ``receive`` is called only once the caller
        may attach (a stranger's body is not read). The same bytes again answer the same
        file, stored once."""
        summary = await self._read_model.summary(appraisal_id)
        if summary is None:
            raise NotFound()
        if not may(actor, Action.ATTACH_EVIDENCE, summary.parties):
            if not may_read(actor, summary.parties):
                raise NotFound()
            raise Forbidden("only the employee attaches evidence to their appraisal")
        if summary.phase not in ATTACH_PHASES:
            raise CommandRefused("phase", f"the appraisal is {summary.phase.value}; evidence "
                                          "is attached while progress is reported")
        upload = await receive()
        content = await self._read(upload)
        if not content:
            raise Invalid("validation", "The request breaks a rule", "the file is empty",
                          [Broken(field="file", rule="empty", message="the file is empty")])
        file_type = accepted(content)
        if file_type is None:
            raise Invalid(
                "validation", "The request breaks a rule",
                "the file is not one of the accepted types (PDF, JPEG, PNG, DOCX, XLSX, PPTX, "
                "ODT, ODS), judged by its content, not its name",
                [Broken(field="file", rule="file_type",
                        message="accepted: " + ", ".join(sorted(EVIDENCE_MEDIA_TYPES)))])
        return await self._store.put(
            appraisal_id, hashlib.sha256(content).hexdigest(), file_type.media_type, content,
            clean_file_name(upload.filename, file_type), actor.subject)

    async def _read(self, upload: Upload) -> bytes:
        """The upload's bytes, read in chunks and refused as soon as they pass the limit."""
        content = bytearray()
        while chunk := await upload.read(_CHUNK):
            content.extend(chunk)
            if len(content) > self.max_bytes:
                raise too_large(self.max_bytes)
        return bytes(content)

    async def download(self, actor: Actor, appraisal_id: str, sha256: str) -> Download:
        """The file ``sha256`` of the appraisal, if ``actor`` may read the appraisal and one
        of its events refers to the file; NotFound otherwise."""
        summary = await self._read_model.summary(appraisal_id)
        if summary is None or not may_read(actor, summary.parties):
            raise NotFound()
        if not re.fullmatch(SHA256_PATTERN, sha256):
            raise NotFound("evidence file")
        events = await self._event_log.read_stream(appraisal_id)
        if sha256 not in referenced_files((e.type, e.data) for e in events):
            raise NotFound("evidence file")
        stored = await self._store.upload(appraisal_id, sha256)
        content = await self._store.content(sha256)
        if stored is None or content is None:  # pragma: no cover - refused at the report
            raise NotFound("evidence file")
        return Download(file=stored, content=content, parties=summary.parties)


async def check_attached(store: EvidenceStore, appraisal_id: str, command: Command) -> None:
    """Refuse (422, the field named) a progress report or activity naming a file that was
    not attached to the same appraisal."""
    if isinstance(command, ReportProgress):
        where, evidence = "report", command.report.evidence
    elif isinstance(command, LogActivity):
        where, evidence = "activity", command.activity.evidence
    else:
        return
    digests = file_digests(evidence)
    if not digests:
        return
    found = await store.uploaded(appraisal_id, (d for _, d in digests))
    for i, digest in digests:
        if digest not in found:
            raise CommandRefused("invalid", "no file with this sha256 was attached to this "
                                            "appraisal: upload it first",
                                 f"{where}.evidence[{i}].sha256")
