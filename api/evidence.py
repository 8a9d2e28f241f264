"""Evidence files of an appraisal (:class:`services.evidence.EvidenceService`).

``POST /v1/appraisals/{id}/evidence`` (multipart field ``file``) stores a file and
answers its SHA-256, which a progress report (``POST .../progress``) or an activity then
names as ``{"kind": "file", "sha256": ..., "description": ...}``.
``GET /v1/appraisals/{id}/evidence/{sha256}`` serves a file the appraisal's events refer
to, as an attachment, to whoever may read the appraisal (404 for anyone else, and for a
file the appraisal does not refer to).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel

from api.access import record_read
from api.auth import CurrentActor
from api.deps import kinerja
from api.problems import FieldError, Problem, problem_of
from domain.evidence import SHA256_PATTERN
from services.evidence import Download, Upload, too_large
from store.evidence import StoredFile

router = APIRouter(prefix="/v1", tags=["evidence"])

MULTIPART_OVERHEAD = 64 * 1024
"""Bytes a multipart body may carry besides the file (boundaries, part headers)."""

_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The file as multipart field `file`: PDF, JPEG, PNG, DOCX, XLSX, PPTX, "
                       "ODT or ODS (judged by its bytes), at most the evidence limit "
                       "(KINERJA_EVIDENCE_MAX_BYTES, 10 MiB by default).",
        "content": {"multipart/form-data": {
            "schema": {"type": "object", "required": ["file"],
                       "properties": {"file": {"type": "string", "format": "binary"}}}}},
    },
}


class EvidenceView(BaseModel):
    """A stored evidence file: name it in a progress report by its ``sha256``."""

    id: str
    """The file's id: its SHA-256 (the same bytes are the same file)."""
    sha256: str
    size: int
    media_type: str
    file_name: str
    uploaded_at: datetime
    download: str
    """Where the parties get it back (once a report refers to it)."""
    evidence: dict[str, str]
    """The evidence item to put in a progress report's ``evidence`` list."""

    @classmethod
    def of(cls, stored: StoredFile) -> EvidenceView:
        return cls(id=stored.sha256, sha256=stored.sha256, size=stored.size,
                   media_type=stored.media_type, file_name=stored.file_name,
                   uploaded_at=stored.uploaded_at,
                   download=f"/v1/appraisals/{stored.appraisal_id}/evidence/{stored.sha256}",
                   evidence={"kind": "file", "sha256": stored.sha256,
                             "description": stored.file_name})


def _missing_file() -> Problem:
    return Problem(422, "validation", "The request breaks a rule",
                   "send the file as the multipart field 'file'",
                   errors=[FieldError(field="file", rule="missing",
                                      message="the multipart field 'file' is required")])


@router.post("/appraisals/{appraisal_id}/evidence", status_code=201, tags=["employee"],
             openapi_extra=_UPLOAD_BODY, summary="Attach an evidence file",
             responses={413: {"description": "The file is larger than the evidence limit"},
                        409: {"description": "The appraisal is not reporting progress now"},
                        422: {"description": "No file, an empty file, or a type not accepted "
                                             "(errors[0].field is `file`)"}})
async def attach_evidence(request: Request, appraisal_id: str, actor: CurrentActor
                          ) -> EvidenceView:
    """Store an evidence file for the appraisal's progress reports (the employee, while
    progress is reported). The same bytes again answer the same file (stored once)."""
    service = kinerja(request).evidence
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > service.max_bytes + MULTIPART_OVERHEAD:
        raise problem_of(too_large(service.max_bytes))
    forms: list[Any] = []

    async def receive() -> Upload:
        # Read only once the caller may attach: a stranger's body is not parsed.
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            raise _missing_file()
        form = await request.form(max_files=1, max_fields=10)
        forms.append(form)
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise _missing_file()
        return upload

    try:
        stored = await service.attach(actor, appraisal_id, receive)
    finally:
        for form in forms:
            await form.close()
    return EvidenceView.of(stored)


def file_response(download: Download) -> Response:
    """The file as an attachment, with its recorded media type, never sniffed."""
    name = download.file.file_name
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\;' else "_" for c in name)
    return Response(download.content, media_type=download.file.media_type, headers={
        "Content-Disposition": f"attachment; filename=\"{fallback}\"; "
                               f"filename*=UTF-8''{quote(name, safe='')}",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    })


@router.get("/appraisals/{appraisal_id}/evidence/{sha256}", summary="Download an evidence file",
            response_class=Response,
            responses={200: {"description": "The file, as an attachment",
                             "content": {"application/octet-stream": {}}}})
async def download_evidence(
    request: Request, appraisal_id: str,
    sha256: Annotated[str, Path(pattern=SHA256_PATTERN, description="the file's SHA-256")],
    actor: CurrentActor,
) -> Response:
    """A file a progress report (or activity) of the appraisal refers to, for its parties,
    HR in scope and inspectors; 404 for anyone else and for any other file."""
    download = await kinerja(request).evidence.download(actor, appraisal_id, sha256)
    parties = download.parties
    await record_read(request, actor, parties.agency, "appraisal-evidence", personal=True,
                      own=actor.is_person(parties.agency, parties.employee),
                      appraisal_id=appraisal_id, sha256=sha256)
    return file_response(download)
