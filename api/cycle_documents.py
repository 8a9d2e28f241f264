"""HR's documents of a cycle over HTTP (docs/documents.md, *HR's reports* and *ZIP of a
unit or a cycle*): the cycle summary and a unit's report as PDF, and ZIPs of the
documents built in the background, their progress and their download."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict

from api.access import record_read
from api.auth import CurrentActor
from api.deps import kinerja
from api.schemas import IdempotencyKey, Key
from domain.documents import ReportKind
from services.documents import Document, DocumentService
from store.document_zips import ZipJob

router = APIRouter(prefix="/v1", tags=["documents"])

UnitKey = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]


def _service(request: Request) -> DocumentService:
    return kinerja(request).documents


def _pdf(document: Document) -> Response:
    return Response(document.pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{document.filename}"',
        "X-Document-Version": str(document.version),
        "X-Document-SHA256": document.sha256,
        "Cache-Control": "private, no-store",
    })


_PDF = {200: {"content": {"application/pdf": {}},
              "description": "The PDF; the same log gives the same bytes"},
        409: {"description": "The document does not exist yet"}}


@router.get("/cycles/{cycle_id}/documents/ringkasan-siklus.pdf", response_class=Response,
            summary="The cycle's summary as PDF (per unit and in total)", responses=_PDF)
async def cycle_summary(request: Request, cycle_id: str, actor: CurrentActor) -> Response:
    """Per unit its organisation rating, release and predikat counts as released (final
    once the cycle is closed; SEMENTARA before), with totals. HR and inspectors of the
    agency; 409 before the cycle is started."""
    document = await _service(request).report(actor, cycle_id, ReportKind.SUMMARY)
    await record_read(request, actor, document.agency, "cycle-summary-pdf",
                      cycle_id=cycle_id)
    return _pdf(document)


@router.get("/cycles/{cycle_id}/units/{unit}/documents/laporan-unit.pdf",
            response_class=Response, responses=_PDF,
            summary="A unit's calibration report as PDF (distribution against the curve)")
async def unit_report(request: Request, cycle_id: str, unit: UnitKey, actor: CurrentActor
                      ) -> Response:
    """The unit's predikat distribution against its curve, drawn, and the release
    decision with any exception reason. HR and inspectors of the agency; 409 before the
    unit is released."""
    document = await _service(request).report(actor, cycle_id, ReportKind.UNIT, unit)
    await record_read(request, actor, document.agency, "unit-report-pdf",
                      cycle_id=cycle_id, unit=unit)
    return _pdf(document)


class ZipBody(BaseModel):
    unit: Key | None = None
    """One unit's documents (its report and its appraisals'); none: the whole cycle."""
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {}, {"unit": "diskominfo"}]})


class ZipView(BaseModel):
    zip_id: str
    cycle_id: str
    unit: str | None
    status: str
    """``pending``, ``building``, ``done`` or ``failed``."""
    done: int
    total: int | None
    documents: int
    size: int | None
    requested_at: datetime
    finished_at: datetime | None
    download: str | None

    @classmethod
    def of(cls, job: ZipJob) -> ZipView:
        return cls(zip_id=job.zip_id, cycle_id=job.cycle_id, unit=job.unit, status=job.status,
                   done=job.done, total=job.total, documents=job.documents, size=job.size,
                   requested_at=job.requested_at, finished_at=job.finished_at,
                   download=f"/v1/cycles/{job.cycle_id}/zips/{job.zip_id}.zip"
                   if job.status == "done" else None)


@router.post("/cycles/{cycle_id}/zips", status_code=202,
             summary="Build a ZIP of the cycle's (or a unit's) documents in the background")
async def start_zip(request: Request, cycle_id: str, body: ZipBody, actor: CurrentActor,
                    response: Response, idempotency_key: IdempotencyKey = None) -> ZipView:
    """The cycle summary, the released units' reports and every appraisal's documents
    (SKP, evaluation, objection decision: those that exist), one PDF each; follow
    ``GET .../zips/{zip_id}`` until ``done``, then download. HR of the agency."""
    job = await _service(request).start_zip(actor, cycle_id, body.unit, idempotency_key)
    response.headers["Location"] = f"/v1/cycles/{cycle_id}/zips/{job.zip_id}"
    return ZipView.of(job)


@router.get("/cycles/{cycle_id}/zips", summary="The cycle's ZIPs, newest first")
async def list_zips(request: Request, cycle_id: str, actor: CurrentActor) -> list[ZipView]:
    return [ZipView.of(j) for j in await _service(request).zip_jobs(actor, cycle_id)]


@router.get("/cycles/{cycle_id}/zips/{zip_id}.zip", response_class=FileResponse,
            summary="Download a finished ZIP",
            responses={200: {"content": {"application/zip": {}}},
                       409: {"description": "Not built yet"}})
async def download_zip(request: Request, cycle_id: str, zip_id: str, actor: CurrentActor
                       ) -> FileResponse:
    job, path = await _service(request).zip_file(actor, cycle_id, zip_id)
    await record_read(request, actor, job.agency, "documents-zip", personal=True,
                      cycle_id=cycle_id, unit=job.unit)
    return FileResponse(path, media_type="application/zip",
                        filename=f"dokumen-{cycle_id}" + (f"-{job.unit}" if job.unit else "")
                        + ".zip", headers={"Cache-Control": "private, no-store"})


# after the download: "{zip_id}" alone would also match "<id>.zip"
@router.get("/cycles/{cycle_id}/zips/{zip_id}", summary="A ZIP's progress")
async def get_zip(request: Request, cycle_id: str, zip_id: str, actor: CurrentActor
                  ) -> ZipView:
    return ZipView.of(await _service(request).zip_job(actor, cycle_id, zip_id))
