"""HR's documents of a cycle on the pages (``/sdm/siklus/<id>/dokumen``): the cycle
summary and each released unit's report as PDF, and ZIPs of the documents built in the
background: HR starts one, its progress is polled (htmx; without JavaScript, the page's
refresh link), and it is downloaded once built. The same use cases as the API
(``services.documents``)."""

from __future__ import annotations

import uuid
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from api.access import record_read
from domain.cycle import CycleState
from domain.documents import ReportKind
from services.documents import DocumentService
from services.errors import Forbidden, Invalid, NotFound, Unavailable
from store.document_zips import ZipJob
from web.hr import _gettext, _hr, _key, _visible_cycle
from web.pages import PageNotFound, _form, render
from web.session import Session

router = APIRouter(include_in_schema=False)


def _documents(request: Request) -> DocumentService:
    service: DocumentService = request.app.state.kinerja.documents
    return service


def _percent(job: ZipJob) -> int:
    return round(100 * job.done / job.total) if job.total else 0


async def _page(request: Request, session: Session, state: CycleState, *,
                errors: dict[str, str] | None = None, status: int = 200) -> Response:
    assert state.cycle_id is not None
    jobs = await _documents(request).zip_jobs(session.actor, state.cycle_id)
    return render(request, "hr/documents.html", {
        "agency": state.agency, "c": state, "units": sorted(state.units), "jobs": jobs,
        "percent": _percent, "errors": errors or {},
        "started": state.status is not None and state.status.value != "created",
    }, status)


@router.get("/sdm/siklus/{cycle_id}/dokumen")
async def documents_page(request: Request, cycle_id: str) -> Response:
    session = _hr(request)
    return await _page(request, session, await _visible_cycle(request, session, cycle_id))


def _pdf(filename: str, pdf: bytes) -> Response:
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{quote(filename)}"',
        "Cache-Control": "private, no-store"})


@router.get("/sdm/siklus/{cycle_id}/dokumen/ringkasan-siklus.pdf")
async def summary_pdf(request: Request, cycle_id: str) -> Response:
    session = _hr(request)
    await _visible_cycle(request, session, cycle_id)
    try:
        document = await _documents(request).report(session.actor, cycle_id,
                                                     ReportKind.SUMMARY)
    except (NotFound, Invalid):
        raise PageNotFound() from None
    return _pdf(document.filename, document.pdf)


@router.get("/sdm/siklus/{cycle_id}/dokumen/laporan-unit/{unit}.pdf")
async def unit_pdf(request: Request, cycle_id: str, unit: str) -> Response:
    session = _hr(request)
    await _visible_cycle(request, session, cycle_id)
    try:
        document = await _documents(request).report(session.actor, cycle_id,
                                                     ReportKind.UNIT, unit)
    except (NotFound, Invalid):
        raise PageNotFound() from None
    return _pdf(document.filename, document.pdf)


@router.post("/sdm/siklus/{cycle_id}/dokumen/zip")
async def start_zip(request: Request, cycle_id: str) -> Response:
    """Start a ZIP of the whole cycle or of one unit; back to the page, which shows it."""
    session = _hr(request)
    state = await _visible_cycle(request, session, cycle_id)
    form = await _form(request)
    unit = str(form.get("unit") or "").strip() or None
    gettext = _gettext(request)
    if unit is not None and unit not in state.units:
        return await _page(request, session, state, status=422,
                           errors={"unit": gettext("Choose a unit of this cycle.")})
    try:
        await _documents(request).start_zip(session.actor, cycle_id, unit,
                                            _key(form, f"page-{uuid.uuid4().hex}"))
    except (Forbidden, NotFound):
        raise PageNotFound() from None
    except Unavailable:
        return await _page(request, session, state, status=503, errors={
            "unit": gettext("The background worker cannot be reached; try again shortly.")})
    return RedirectResponse(f"/sdm/siklus/{quote(cycle_id)}/dokumen", 303)


async def _job(request: Request, session: Session, cycle_id: str, zip_id: str) -> ZipJob:
    try:
        return await _documents(request).zip_job(session.actor, cycle_id, zip_id)
    except NotFound:
        raise PageNotFound() from None


@router.get("/sdm/siklus/{cycle_id}/dokumen/zip/{zip_id}/kemajuan")
async def zip_progress(request: Request, cycle_id: str, zip_id: str) -> Response:
    """One ZIP's row (htmx polls it while the ZIP is built)."""
    session = _hr(request)
    state = await _visible_cycle(request, session, cycle_id)
    job = await _job(request, session, cycle_id, zip_id)
    return render(request, "hr/zip_row.html", {"c": state, "job": job, "percent": _percent})


@router.get("/sdm/siklus/{cycle_id}/dokumen/zip/{zip_id}/unduh")
async def zip_download(request: Request, cycle_id: str, zip_id: str) -> Response:
    session = _hr(request)
    await _visible_cycle(request, session, cycle_id)
    try:
        job, path = await _documents(request).zip_file(session.actor, cycle_id, zip_id)
    except (NotFound, Invalid):
        raise PageNotFound() from None
    await record_read(request, session.actor, job.agency, "documents-zip", personal=True,
                      cycle_id=cycle_id, unit=job.unit)
    return FileResponse(path, media_type="application/zip",
                        filename=f"dokumen-{cycle_id}" + (f"-{job.unit}" if job.unit else "")
                        + ".zip", headers={"Cache-Control": "private, no-store"})
