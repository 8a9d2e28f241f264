"""Routes of the agency roster, for the HR performance manager.

``POST /v1/agencies/{agency}/roster`` takes a roster file (CSV or XLSX), as a
multipart upload (field ``file``) or as the raw request body, checks every row
and applies the roster when it is clean (or, with ``apply_valid=true``, its
valid rows). ``GET /v1/agencies/{agency}/roster`` shows the current roster.
``POST /v1/roster/imports?agency=`` is the same import under the path of the
design's route table. HR only (403 for other roles), for the agencies in their
scope (404 otherwise).
"""

from __future__ import annotations

from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel

from api.access import record_read
from api.auth import CurrentActor
from api.deps import kinerja
from api.problems import FieldError, Problem
from domain.authorization import Actor, AgencyAction
from domain.roster import (
    Employee,
    Unit,
)
from domain.text import AGENCY_PATTERN
from services.roster import RosterImportReport, RosterService

log = structlog.get_logger("kinerja.api.roster")
router = APIRouter(prefix="/v1", tags=["roster"])

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
"""Largest roster file accepted (about 50,000 rows of CSV); larger is a 413."""


AgencyId = Annotated[str, Path(pattern=AGENCY_PATTERN,
                               description="the agency's id, e.g. pemkot-demo")]

EXAMPLE_CSV = (
    "nip;nama;jabatan;jenis_jabatan;jenjang;status_kepegawaian;kode_unit;nama_unit;"
    "unit_induk;nip_atasan;email\n"
    "197001011995031001;Rina Wulandari;Kepala Dinas;JPT;;PNS;diskominfo;Dinas Komunikasi dan "
    "Informatika;;;rina@pemkot.go.id\n"
    "198003152005011002;Budi Santoso;Kepala Bidang;administrator;;PNS;diskominfo-ikp;"
    "Bidang Informasi;diskominfo;197001011995031001;budi@pemkot.go.id\n"
    "199205202019032003;Siti Rahmawati;Pranata Komputer;fungsional;Ahli Pertama;PNS;"
    "diskominfo-ikp;Bidang Informasi;diskominfo;198003152005011002;siti@pemkot.go.id\n"
)

_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The whole roster of the agency: a CSV (`,` or `;`, UTF-8) or XLSX "
                       "file, as multipart field `file` or as the raw body. Header names: "
                       "see the README (Indonesian or English).",
        "content": {
            "multipart/form-data": {
                "schema": {"type": "object", "required": ["file"],
                           "properties": {"file": {"type": "string", "format": "binary"}}},
            },
            "text/csv": {"schema": {"type": "string"}, "example": EXAMPLE_CSV},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                "schema": {"type": "string", "format": "binary"}},
        },
    },
}


class RosterView(BaseModel):
    """The agency's current roster."""

    agency: str
    version: int
    digest: str
    employees: list[Employee]
    units: list[Unit]


def _authorize(actor: Actor, action: AgencyAction, agency: str) -> None:
    RosterService.authorize(actor, action, agency)


def _too_large() -> Problem:
    return Problem(413, "too-large", "File too large",
                   f"a roster file may have at most {MAX_UPLOAD_BYTES // (1024 * 1024)} MiB; "
                   "split the agency or remove unused columns")


async def _upload(request: Request) -> tuple[bytes, str]:
    """The uploaded file's bytes and name, read no further than the size limit."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_UPLOAD_BYTES + 64 * 1024:
        raise _too_large()
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_UPLOAD_BYTES + 64 * 1024:
            raise _too_large()
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        data, name = bytes(body), ""
    else:
        request._body = bytes(body)  # parse the form from what was read
        form = await request.form(max_files=1, max_fields=10)
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise Problem(422, "validation", "The request breaks a rule",
                          "send the roster as the multipart field 'file'",
                          errors=[FieldError(field="file", rule="missing",
                                             message="the multipart field 'file' is required")])
        data, name = await upload.read(), upload.filename or ""
        await form.close()
    if len(data) > MAX_UPLOAD_BYTES:
        raise _too_large()
    if not data.strip():
        raise Problem(422, "roster-file", "The roster file cannot be read", "the file is empty")
    return data, name


async def _import(request: Request, actor: Actor, agency: str, apply_valid: bool,
                  dry_run: bool) -> RosterImportReport:
    _authorize(actor, AgencyAction.IMPORT_ROSTER, agency)
    data, name = await _upload(request)
    request_id = request.headers.get("X-Request-Id")
    return await kinerja(request).roster.import_file(
        actor, agency, data, name, apply_valid=apply_valid, dry_run=dry_run,
        metadata={"request_id": request_id} if request_id else None)


_IMPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    413: {"description": "The file is larger than the limit; nothing was read or applied"},
    409: {"description": "Another import for the agency gave out employee keys meanwhile"},
    422: {"description": "Rows rejected (errors[] names each, the first 1,000: field "
                         "rows.<line>.<column>) and nothing applied; or the file cannot be "
                         "read or breaks a limit (errors[0].rule names it)"},
}


@router.post("/agencies/{agency}/roster", response_model=RosterImportReport,
             responses=_IMPORT_RESPONSES, openapi_extra=_UPLOAD_BODY,
             summary="Import the agency's roster (CSV or XLSX)")
async def import_roster(
    request: Request,
    agency: AgencyId,
    actor: CurrentActor,
    apply_valid: Annotated[bool, Query(
        description="apply the valid rows even when some are rejected")] = False,
    dry_run: Annotated[bool, Query(description="check and count the changes; apply nothing")
                       ] = False,
) -> RosterImportReport:
    """Check every row of the roster file and make it the agency's roster.

    The file is the whole roster: employees absent from it have left. Nothing
    is applied while a row is rejected (422 listing each row's line, column
    and reason) unless `apply_valid=true`. Sending the same file again
    changes nothing. Every change is an event of the stream `roster-<agency>`.
    """
    return await _import(request, actor, agency, apply_valid, dry_run)


@router.post("/roster/imports", response_model=RosterImportReport,
             responses=_IMPORT_RESPONSES, openapi_extra=_UPLOAD_BODY,
             summary="Import a roster (the route of the design's table)")
async def import_roster_for(
    request: Request,
    actor: CurrentActor,
    agency: Annotated[str | None, Query(
        pattern=AGENCY_PATTERN,
        description="the agency; may be left out when your scope is one agency")] = None,
    apply_valid: Annotated[bool, Query()] = False,
    dry_run: Annotated[bool, Query()] = False,
) -> RosterImportReport:
    """The same as `POST /v1/agencies/{agency}/roster`."""
    if agency is None:
        scope = sorted(a for a in actor.agencies if a != "*")
        if len(scope) != 1 or "*" in actor.agencies:
            raise Problem(422, "validation", "The request breaks a rule",
                          "name the agency: ?agency=",
                          errors=[FieldError(field="agency", rule="missing",
                                             message="required unless your scope is one "
                                                     "agency")])
        agency = scope[0]
    return await _import(request, actor, agency, apply_valid, dry_run)


@router.get("/agencies/{agency}/roster", response_model=RosterView,
            summary="The agency's current roster")
async def read_roster(
    request: Request,
    agency: AgencyId,
    actor: CurrentActor,
    unit: Annotated[str | None, Query(description="only this unit's employees")] = None,
) -> RosterView:
    """Employees (with their opaque keys, NIP, position, unit and superior) and units."""
    _authorize(actor, AgencyAction.READ_ROSTER, agency)
    await record_read(request, actor, agency, "roster", personal=True, agency=agency)
    snapshot = await kinerja(request).roster.show(actor, agency)
    employees = [e for e in snapshot.employees if unit is None or e.unit == unit]
    units = [snapshot.roster.units[c] for c in sorted(snapshot.roster.units)]
    return RosterView(agency=agency, version=snapshot.version, digest=snapshot.digest,
                      employees=employees, units=units)
