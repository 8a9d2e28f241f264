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

import asyncio
import hashlib
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from activities.messages import FollowRosterRequest
from api.access import record_read
from api.auth import CurrentActor
from api.problems import FieldError, Problem
from domain.authorization import Actor, AgencyAction, has_agency_role, may_on_agency
from domain.cycle import CycleStatus
from domain.roster import (
    Employee,
    PartialApplyRefused,
    RejectedRow,
    RosterCheck,
    RosterEvent,
    Unit,
    diff_roster,
    merge_partial,
    validate_roster,
)
from kinerja.roster_files import RosterFile, RosterFileError, read_roster_bytes
from store.cycles import CycleStore
from store.roster import RosterConflict, RosterStore, roster_digest

log = structlog.get_logger("kinerja.api.roster")
router = APIRouter(prefix="/v1", tags=["roster"])

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
"""Largest roster file accepted (about 50,000 rows of CSV); larger is a 413."""

MAX_LISTED_ROWS = 1000
"""Rejected rows listed in a 422's errors[] or a report's ``rejected``: the first ones (by
line); the total is given beside them."""

AgencyId = Annotated[str, Path(pattern=r"^[A-Za-z0-9._-]{1,64}$",
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


class RosterChanges(BaseModel):
    """How many of each change an import made (or would make)."""

    hired: int = 0
    left: int = 0
    transferred: int = 0
    superior_changed: int = 0
    position_changed: int = 0
    details_changed: int = 0
    units_defined: int = 0
    units_removed: int = 0

    @classmethod
    def of(cls, events: list[RosterEvent]) -> RosterChanges:
        names = {"employee_hired": "hired", "employee_left": "left",
                 "employee_transferred": "transferred", "superior_changed": "superior_changed",
                 "position_changed": "position_changed", "details_changed": "details_changed",
                 "unit_defined": "units_defined", "unit_removed": "units_removed"}
        counts: dict[str, int] = {}
        for event in events:
            counts[names[event.type]] = counts.get(names[event.type], 0) + 1
        return cls(**counts)


class RosterImportReport(BaseModel):
    """The outcome of a roster upload."""

    agency: str
    format: str = Field(description="csv or xlsx")
    rows: int = Field(description="data rows in the file")
    accepted: int
    rejected: list[RejectedRow] = Field(
        description=f"the rejected rows, by line: the first {MAX_LISTED_ROWS:,} of them")
    rejected_total: int = Field(0, description="how many rows are rejected in all")
    applied: bool = Field(description="false for a dry run")
    changes: RosterChanges
    version: int = Field(description="the roster stream's version after the import")
    digest: str = Field(description="SHA-256 of the canonical roster after the import")
    cycles_following: list[str] = Field(
        default_factory=list,
        description="running cycles of the agency asked to follow the change (reassignments, "
                    "transfers, leavers, newcomers); see GET /v1/cycles/{id}")

    model_config = {"json_schema_extra": {"examples": [{
        "agency": "pemkot-demo", "format": "csv", "rows": 3, "accepted": 3, "rejected": [],
        "rejected_total": 0,
        "applied": True,
        "changes": {"hired": 3, "left": 0, "transferred": 0, "superior_changed": 0,
                    "position_changed": 0, "details_changed": 0, "units_defined": 2,
                    "units_removed": 0},
        "version": 5, "digest": "3f1c...e9"}]}}


class RosterView(BaseModel):
    """The agency's current roster."""

    agency: str
    version: int
    digest: str
    employees: list[Employee]
    units: list[Unit]


def _store(request: Request) -> RosterStore:
    store = getattr(request.app.state, "roster_store", None)
    if store is None:
        store = RosterStore(request.app.state.pool, request.app.state.event_log)
        request.app.state.roster_store = store
    return store


def _authorize(actor: Actor, action: AgencyAction, agency: str) -> None:
    if not has_agency_role(actor, action):
        raise Problem(403, "forbidden", "Not allowed",
                      "only the HR performance manager (pengelola kinerja) works on rosters")
    if not may_on_agency(actor, action, agency):
        raise Problem(404, "not-found", "Not found", "no agency with this id is visible to you")


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


def _rejected_problem(check: RosterCheck, detail: str) -> Problem:
    total = len(check.rejected)
    if total > MAX_LISTED_ROWS:
        detail += f" The first {MAX_LISTED_ROWS:,} of the {total:,} rejected rows are listed."
    return Problem(
        422, "roster-rows", "Rows of the roster are rejected", detail,
        errors=[FieldError(field=f"rows.{r.line}.{r.field}", rule=r.rule,
                           message=f"line {r.line}: {r.reason}")
                for r in check.rejected[:MAX_LISTED_ROWS]])


async def _import(request: Request, actor: Actor, agency: str, apply_valid: bool,
                  dry_run: bool) -> RosterImportReport:
    _authorize(actor, AgencyAction.IMPORT_ROSTER, agency)
    data, name = await _upload(request)
    store = _store(request)
    known = await store.known_keys(agency)

    def parse_and_check() -> tuple[RosterFile, RosterCheck]:
        read = read_roster_bytes(data, name)
        return read, validate_roster(read.rows, known)

    try:
        read, check = await asyncio.to_thread(parse_and_check)
    except RosterFileError as error:
        raise Problem(422, "roster-file", "The roster file cannot be read", str(error),
                      errors=[FieldError(field="file", rule=error.rule,
                                         message=str(error))]) from None
    if check.rejected and not apply_valid:
        raise _rejected_problem(
            check, f"{len(check.rejected)} of {check.rows} rows are rejected; nothing was "
                   "applied. Fix them, or send again with apply_valid=true to apply the "
                   "valid rows.")
    partial = bool(check.rejected)
    try:
        if dry_run:
            current = await store.snapshot(agency)
            target = merge_partial(current.roster, check) if partial else check.roster
            events, version, digest = (diff_roster(current.roster, target), current.version,
                                       roster_digest(target))
        else:
            applied = await store.apply(
                agency, check, actor, partial=partial,
                metadata={"source": name or "upload",
                          "file_sha256": hashlib.sha256(data).hexdigest(),
                          **({"request_id": request.headers["X-Request-Id"]}
                             if "X-Request-Id" in request.headers else {})})
            events, version, digest = applied.events, applied.version, applied.digest
    except PartialApplyRefused as error:
        raise _rejected_problem(check, f"the valid rows cannot be applied alone: {error}"
                                ) from None
    except RosterConflict as error:
        raise Problem(409, "roster-conflict", "Roster changed meanwhile", str(error)) from None
    following = [] if dry_run or not events else \
        await _cycles_follow(request, actor, agency, version)
    return RosterImportReport(
        agency=agency, format=read.format, rows=check.rows,
        accepted=len(check.roster.employees), rejected=list(check.rejected[:MAX_LISTED_ROWS]),
        rejected_total=len(check.rejected),
        applied=not dry_run, changes=RosterChanges.of(events), version=version, digest=digest,
        cycles_following=following)


async def _cycles_follow(request: Request, actor: Actor, agency: str, version: int
                         ) -> list[str]:
    """Ask each running cycle of ``agency`` to follow the roster (once per roster version)."""
    following = []
    for cycle in await CycleStore(request.app.state.pool).list([agency]):
        if cycle.status is not CycleStatus.RUNNING or cycle.cycle_id is None:
            continue
        try:
            await request.app.state.cycle_gateway.send(
                cycle.cycle_id, FollowRosterRequest(), actor,
                f"roster-{agency}-v{version}-{cycle.cycle_id}")
        except Problem as problem:  # nothing to change there, or Temporal is down
            log.warning("cycle did not follow the roster", cycle=cycle.cycle_id,
                        detail=problem.detail)
            continue
        following.append(cycle.cycle_id)
    return following


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
        pattern=r"^[A-Za-z0-9._-]{1,64}$",
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
    snapshot = await _store(request).snapshot(agency)
    employees = [e for e in snapshot.employees if unit is None or e.unit == unit]
    units = [snapshot.roster.units[c] for c in sorted(snapshot.roster.units)]
    return RosterView(agency=agency, version=snapshot.version, digest=snapshot.digest,
                      employees=employees, units=units)
