"""The inspectors' pages under ``/inspeksi``: search an appraisal (Cari), its trail with the
state as of any version or moment and the difference between two versions (Jejak),
verification of one stream or the whole log with the latest signed checkpoint and the
export bundle (Verifikasi), and who read what (Akses).

Every page is one or more use cases of :class:`services.inspection.InspectionService`,
the same the API's ``/v1/audit`` routes call; each read is recorded in the agency's
access stream there. Nothing here changes state: every form is a GET (no CSRF token
needed), and works without JavaScript. Someone who is not an inspector of the agency
(an employee, HR on another page than Akses) sees the 404 page, as for an unknown id.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from domain.appraisal import AppraisalState
from domain.authorization import Actor, Role, may_verify_all
from domain.checkpoint import verify_checkpoint
from services.access import ReadContext
from services.errors import Forbidden, Invalid, NotFound
from services.inspection import (
    AccessEntry,
    AccessFilter,
    InspectionService,
    Point,
    Unreplayable,
    scope_agencies,
)
from store.audit import AuditReport
from web.i18n import Formats
from web.pages import PageNotFound, SignInNeeded, language_of, render, web
from web.session import Session

router = APIRouter(include_in_schema=False)

_TEXT = re.compile(r"^[A-Za-z0-9._*-]{1,200}$")
"""What an id typed into a search field may hold (keys, unit codes, cycle and appraisal
ids): anything else is refused beside the field."""

CHECKS = ("chain", "seal", "tree", "checkpoint")
"""What a verification checks, in its order (``store.audit``)."""

READ_KINDS = ("trail", "state", "diff", "verify", "export", "inclusion-proof", "appraisal",
              "appraisal-events", "appraisal-list", "cycle-progress", "cycle-progress-csv",
              "cycle-results-csv", "roster", "indicator-health")
"""The kinds of read the access stream records (``what``), for the Akses filter."""

ACCESS_SHOWN = 100
"""The recorded reads one Akses page shows (the newest first; older ones a page further)."""


def _service(request: Request) -> InspectionService:
    service: InspectionService = request.app.state.kinerja.inspection
    return service


def _session(request: Request) -> Session:
    session = web(request).sessions.of(request)
    if session is None:
        raise SignInNeeded()
    return session


def _inspector(request: Request) -> Actor:
    """The signed-in inspector; anyone else sees the 404 page (as the API's 404)."""
    actor = _session(request).actor
    if Role.INSPECTOR not in actor.roles:
        raise PageNotFound()
    return actor


def _context(request: Request) -> ReadContext:
    """What the access stream records of a page's read: the page's route and query, and
    the request id every response carries (``X-Request-Id``)."""
    route = request.scope.get("route")
    request_id = (structlog.contextvars.get_contextvars().get("request_id")
                  or request.headers.get("X-Request-Id"))
    return ReadContext(route=getattr(route, "path", None) or request.url.path,
                       query=dict(request.query_params), request_id=request_id)


def _gettext(request: Request) -> Any:
    return web(request).translations(language_of(request)).gettext


@dataclass
class _Fields:
    """The values a form sent (shown again) and the refusal beside each field."""

    values: dict[str, str]
    errors: dict[str, str]

    def text(self, name: str, request: Request) -> str | None:
        """An id-like field: None when empty; refused beside it when malformed."""
        value = self.values.get(name, "").strip()
        if not value:
            return None
        if not _TEXT.match(value):
            gettext = _gettext(request)
            self.errors[name] = gettext(
                "Use only letters, digits, dots, hyphens and underscores.")
            return None
        return value

    def number(self, name: str, request: Request, *, most: int) -> int | None:
        value = self.values.get(name, "").strip()
        if not value:
            return None
        if not value.isdigit() or len(value) > 10 or int(value) > most:
            gettext = _gettext(request)
            self.errors[name] = gettext("Choose a version between 0 and %(most)d.") \
                % {"most": most}
            return None
        return int(value)

    def moment(self, name: str, request: Request, fmt: Formats) -> datetime | None:
        """A date and time typed in the agency's zone (``datetime-local``)."""
        value = self.values.get(name, "").strip()
        if not value:
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            gettext = _gettext(request)
            self.errors[name] = gettext("Enter a date and a time.")
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=fmt.zone)


def _fields(request: Request, *names: str) -> _Fields:
    return _Fields({n: request.query_params.get(n, "")[:300] for n in names}, {})


# --------------------------------------------------------------------------- Cari


@router.get("/inspeksi")
async def search(request: Request) -> Response:
    actor = _inspector(request)
    fields = _fields(request, "pegawai", "unit", "siklus")
    employee = fields.text("pegawai", request)
    unit = fields.text("unit", request)
    cycle = fields.text("siklus", request)
    asked = any(fields.values.values())
    found = []
    if asked and not fields.errors and (employee or unit or cycle):
        found = await _service(request).search(actor, _context(request), employee=employee,
                                               unit=unit, cycle=cycle)
    return render(request, "inspection/search.html", {
        "values": fields.values, "errors": fields.errors, "asked": asked, "found": found,
        "agencies": scope_agencies(actor), "all_agencies": "*" in actor.agencies,
    }, 422 if fields.errors else 200)


# --------------------------------------------------------------------------- Jejak


def flatten(value: Any, path: str = "") -> list[tuple[str, Any]]:
    """Every leaf of a JSON-like value by dotted path (lists by index), in order."""
    if isinstance(value, Mapping):
        rows: list[tuple[str, Any]] = []
        for key in value:
            rows += flatten(value[key], f"{path}.{key}" if path else str(key))
        return rows or [(path or ".", {})]
    if isinstance(value, list):
        rows = []
        for index, item in enumerate(value):
            rows += flatten(item, f"{path}[{index}]")
        return rows or [(path or ".", [])]
    return [(path or ".", value)]


def shown(value: Any) -> str:
    """A JSON value as the page shows it (text as itself, the rest as JSON; none: -)."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _state_rows(state: AppraisalState) -> list[tuple[str, Any]]:
    document = state.model_dump(mode="json")
    document.pop("policy", None)  # the same for every version: named in the facts
    return flatten(document)


def _offset(state: AppraisalState) -> int:
    return state.calendar.utc_offset_hours if state.calendar is not None else 7


@router.get("/inspeksi/penilaian/{appraisal_id}")
async def trail(request: Request, appraisal_id: str) -> Response:
    actor = _inspector(request)
    service = _service(request)
    context = _context(request)
    unreplayable: Unreplayable | None = None
    latest: AppraisalState | None = None
    try:
        summary, items = await service.trail(actor, appraisal_id, context)
        _, latest = await service.state(actor, appraisal_id, Point(), context)
    except (NotFound, Forbidden):
        raise PageNotFound() from None
    except Unreplayable as failed:  # a changed event: the trail is shown, not its states
        unreplayable = failed
    last = len(items)
    offset = _offset(latest) if latest is not None else 7
    fmt = Formats(language_of(request), offset)
    fields = _fields(request, "versi", "pada", "dari", "ke")
    version = fields.number("versi", request, most=last)
    at = fields.moment("pada", request, fmt)
    before_version = fields.number("dari", request, most=last)
    after_version = fields.number("ke", request, most=last)
    state, state_point, changes = latest, Point(), None
    try:
        if (version is not None or at is not None) and not fields.errors:
            state_point = Point(version, at)
            _, state = await service.state(actor, appraisal_id, state_point, context)
        if before_version is not None and not fields.errors:
            _, difference = await service.diff(
                actor, appraisal_id, Point(before_version),
                Point(after_version if after_version is not None else last), context)
            changes = difference.changes
    except Unreplayable as failed:
        unreplayable, state, changes = failed, None, None
    except Invalid as invalid:
        for broken in invalid.broken:
            name = {"query.version": "versi", "query.at": "pada", "query.from_version": "dari",
                    "query.to_version": "ke"}.get(broken.field, "versi")
            fields.errors[name] = broken.message
    return render(request, "inspection/trail.html", {
        "a": summary, "items": items, "last": last, "state": state,
        "state_point": state_point, "state_rows": _state_rows(state) if state else [],
        "changes": changes, "shown": shown, "values": fields.values, "errors": fields.errors,
        "before": before_version, "after": after_version if after_version is not None else last,
        "json": lambda data: json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True),
        "policy": latest.policy.name if latest is not None and latest.policy else None,
        "unreplayable": unreplayable,
    }, 422 if fields.errors else 200, offset=offset)


# --------------------------------------------------------------------------- Verifikasi


def check_results(report: AuditReport) -> list[tuple[str, str]]:
    """Each check of :data:`CHECKS` with ``passed``, ``failed`` or ``not_reached`` (after
    the first failure nothing further was checked)."""
    failed = report.first_failure.check if report.first_failure else None
    results, reached = [], True
    for check in CHECKS:
        if not reached:
            results.append((check, "not_reached"))
        elif check == failed:
            results.append((check, "failed"))
            reached = False
        else:
            results.append((check, "passed"))
    return results


def trail_link(stream_id: str | None, version: int | None) -> str | None:
    """The inspector's page of a stream's event, when the stream is an appraisal's."""
    if not stream_id or not stream_id.startswith("appraisal-"):
        return None
    return f"/inspeksi/penilaian/{stream_id}" + (f"#v{version}" if version else "")


@router.get("/inspeksi/verifikasi")
async def verification(request: Request) -> Response:
    actor = _inspector(request)
    service = _service(request)
    fields = _fields(request, "penilaian", "semua")
    stream = fields.text("penilaian", request)
    whole = fields.values.get("semua") == "1" and may_verify_all(actor)
    report: AuditReport | None = None
    if (stream or whole) and not fields.errors:
        try:
            report = await service.verify(actor, None if whole else stream, _context(request))
        except (NotFound, Forbidden):
            gettext = _gettext(request)
            fields.errors["penilaian"] = gettext("No appraisal with this id is visible to you.")
    checkpoint = await service.latest_checkpoint(actor)
    public_key = service.public_key
    signature = None
    if checkpoint is not None:
        signature = "unchecked" if public_key is None else (
            "valid" if verify_checkpoint(public_key, checkpoint) else "invalid")
    failure = report.first_failure if report else None
    return render(request, "inspection/verify.html", {
        "values": fields.values, "errors": fields.errors, "report": report,
        "scope": ("all" if whole else stream) if report else None,
        "checks": check_results(report) if report else [],
        "failure": failure,
        "failure_link": trail_link(failure.stream_id, failure.version) if failure else None,
        "checkpoint": checkpoint, "signature": signature,
        "may_verify_all": may_verify_all(actor),
        "export_query": urlencode({"penilaian": stream}) if stream and report else None,
        "bundle_name": f"kinerja-{stream}.jsonl" if stream else None,
    }, 422 if fields.errors else 200)


@router.get("/inspeksi/ekspor")
async def export(request: Request) -> Response:
    """The export bundle of one appraisal, as a download."""
    actor = _inspector(request)
    fields = _fields(request, "penilaian")
    appraisal = fields.text("penilaian", request)
    if appraisal is None:
        raise PageNotFound()
    service = _service(request)
    try:
        bundle = await service.export(actor, _context(request), appraisal=appraisal,
                                      public_key=service.public_key)
    except (NotFound, Forbidden):
        raise PageNotFound() from None

    async def body() -> AsyncIterator[bytes]:
        async for chunk in bundle.body:
            yield chunk

    return StreamingResponse(body(), media_type="application/x-ndjson", headers={
        "Content-Disposition": f'attachment; filename="kinerja-{bundle.name}.jsonl"',
        "Cache-Control": "no-store"})


# --------------------------------------------------------------------------- Akses


@router.get("/inspeksi/akses")
async def access(request: Request) -> Response:
    """The agency's recorded reads, filtered and paged by PostgreSQL, newest first
    (``sebelum``: the oldest version of the page before, for the next page)."""
    actor = _inspector(request)
    agencies = scope_agencies(actor)
    fields = _fields(request, "instansi", "pembaca", "jenis", "penilaian", "sejak", "sampai",
                     "sebelum")
    fmt = Formats(language_of(request))
    agency = fields.text("instansi", request) or (agencies[0] if len(agencies) == 1 else None)
    matching = AccessFilter(actor=fields.text("pembaca", request),
                            what=fields.text("jenis", request),
                            appraisal_id=fields.text("penilaian", request),
                            since=fields.moment("sejak", request, fmt),
                            until=fields.moment("sampai", request, fmt))
    before = fields.number("sebelum", request, most=2**31 - 1)
    entries: list[AccessEntry] | None = None
    total, older = 0, None
    if agency is not None and not fields.errors:
        try:
            entries, total, older = await _service(request).access_page(
                actor, agency, matching, before=before, limit=ACCESS_SHOWN)
        except (NotFound, Forbidden):
            gettext = _gettext(request)
            fields.errors["instansi"] = gettext("This agency is not in your scope.")
    values = {**fields.values, "instansi": agency or fields.values.get("instansi", "")}
    query = {k: v for k, v in values.items() if v and k != "sebelum"}
    return render(request, "inspection/access.html", {
        "values": values, "errors": fields.errors, "agencies": agencies, "entries": entries,
        "total": total, "limit": ACCESS_SHOWN, "kinds": READ_KINDS, "shown": shown,
        "older_query": urlencode({**query, "sebelum": older}) if older else None,
        "newest_query": urlencode(query) if before is not None else None,
    }, 422 if fields.errors else 200)


__all__ = ["check_results", "flatten", "router", "shown", "trail_link"]
