"""HR's pages (the performance manager of an agency, role ``hr``): Pegawai (the roster:
upload, the row report, the preview, apply) and Siklus (cycles).

Every action is a use case of :mod:`services` (``RosterService``, ``CycleService``), the
same the API and ``kinerja`` call; the pages only read forms and show answers. Anyone
without the HR role, or an agency outside their scope, gets the 404 page.

An uploaded roster is kept in PostgreSQL (``store.roster_uploads``, 30 minutes) so that
its report, the download of its rejected rows and the apply act on the same bytes, in
any API process; when it has expired the page asks for the file again. The apply runs in
the worker (``workflows.roster_apply``): the upload's page shows its progress (htmx polls
it; without JavaScript, a link reloads it) and can be left and come back to.
"""

from __future__ import annotations

import asyncio
import csv
import io
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from adapters.roster_files import COLUMNS
from api.access import record_read
from domain.appraisal import CommandRefused, DeadlineKind, Phase
from domain.authorization import Actor, AgencyAction
from domain.calibration import CurveRule, OrganisationRating
from domain.cycle import (
    CreateCycle,
    CycleState,
    CycleStatus,
    MoveDeadline,
    SetOrganisationRating,
    cycle_id_of,
)
from domain.cycle.work import OpenAppraisals
from domain.documents import period_label
from domain.policy import DEFAULT_UTC_OFFSET_HOURS, POLICIES, default_calendar, end_of_day
from domain.ratings import Predikat
from domain.roster import RosterRow
from domain.spreadsheet import Cell
from domain.spreadsheet import row as spreadsheet_row
from services.cycles import Calibration, CycleService
from services.errors import Forbidden, Invalid, NotFound, Unavailable
from services.roster import RosterImportReport, RosterService, Staged
from store.cycles import CycleProgress
from store.roster_uploads import ApplyJob
from web.charts import Bar, bar_chart
from web.i18n import Formats
from web.pages import (
    _KEY,
    N_,
    PageNotFound,
    _form,
    _session,
    _validation_errors,
    language_of,
    period_name,
    render,
    web,
)
from web.session import Session
from web.xlsx import workbook
from workflows.cycle.contract import (
    CloseCycleRequest,
    CycleIntent,
    ReleaseUnitRequest,
    StartCycleRequest,
)

router = APIRouter(include_in_schema=False)

MAX_FILE_BYTES = 10 * 1024 * 1024
"""The largest roster file the page takes (the API's limit, ``api.roster``)."""
APPLY_WAIT_SECONDS = 3.0
"""How long pressing "apply" waits for a small roster's apply to end before it shows the
apply's progress instead."""


# --------------------------------------------------------------------------- who and where


def _hr(request: Request) -> Session:
    """The session of an HR manager; anyone else gets the 404 page."""
    session = _session(request)
    if "hr" not in session.roles:
        raise PageNotFound()
    return session


def agency_of(session: Session, requested: str | None) -> str:
    """The agency the page is about: the one asked for (``?instansi=``), else the HR
    manager's own agency when in scope, else the first of the scope."""
    scope = sorted(a for a in session.agencies if a != "*")
    if requested:
        if requested in session.agencies or "*" in session.agencies:
            return requested
        raise PageNotFound()
    if session.agency and session.actor.in_scope(session.agency):
        return session.agency
    if scope:
        return scope[0]
    raise PageNotFound()


def _roster(request: Request) -> RosterService:
    service: RosterService = request.app.state.kinerja.roster
    return service


def _authorized(actor: Actor, agency: str, action: AgencyAction) -> None:
    try:
        RosterService.authorize(actor, action, agency)
    except (Forbidden, NotFound):
        raise PageNotFound() from None


def _gettext(request: Request) -> Any:
    return web(request).translations(language_of(request)).gettext


# --------------------------------------------------------------------------- Pegawai


COLUMN_NAMES = {name: aliases[0] for name, aliases in COLUMNS.items()}
"""The Indonesian header of each canonical column, as the report names it."""


def _value(row: RosterRow | None, column: str) -> str:
    return str(getattr(row, column, "") or "") if row is not None else ""


def _rejected_rows(staged: Staged | None, report: RosterImportReport
                   ) -> list[dict[str, str | int]]:
    rows = {r.line: r for r in staged.read.rows} if staged is not None else {}
    return [{"line": r.line, "column": COLUMN_NAMES.get(r.field, r.field), "rule": r.rule,
             "reason": r.reason, "value": _value(rows.get(r.line), r.field)}
            for r in report.rejected]


async def _roster_page(request: Request, session: Session, agency: str, *,
                       staged: Staged | None = None, report: RosterImportReport | None = None,
                       errors: dict[str, str] | None = None, applied: bool = False,
                       job: ApplyJob | None = None, status: int = 200) -> Response:
    service = _roster(request)
    snapshot = await service.show(session.actor, agency)
    running = [j for j in await service.recent_applies(session.actor, agency)
               if not j.over and (job is None or j.upload_id != job.upload_id)]
    unit = request.query_params.get("unit") or ""
    units = [snapshot.roster.units[c] for c in sorted(snapshot.roster.units)]
    names = {e.key: e.name for e in snapshot.employees}
    by_unit = [(u, [e for e in snapshot.employees if e.unit == u.code])
               for u in units if not unit or u.code == unit]
    return render(request, "hr/roster.html", {
        "agency": agency, "snapshot": snapshot, "units": units, "by_unit": by_unit,
        "unit": unit, "names": names, "staged": staged, "report": report,
        "rejected": _rejected_rows(staged, report) if report else [],
        "errors": errors or {}, "applied": applied, "max_mib": MAX_FILE_BYTES // 2**20,
        "job": job, "running": running,
        "upload_id": job.upload_id if job else staged.id if staged else None,
    }, status)


@router.get("/sdm")
async def hr_home(request: Request) -> Response:
    _hr(request)
    return RedirectResponse("/sdm/siklus", 303)


@router.get("/sdm/pegawai")
async def roster_page(request: Request, instansi: str | None = None) -> Response:
    session = _hr(request)
    agency = agency_of(session, instansi)
    _authorized(session.actor, agency, AgencyAction.READ_ROSTER)
    await record_read(request, session.actor, agency, "roster", personal=True, agency=agency)
    return await _roster_page(request, session, agency)


@router.post("/sdm/pegawai/periksa")
async def check_roster(request: Request, instansi: str | None = None) -> Response:
    """Upload a roster file: check every row and show what applying would change
    (nothing is applied); the file is kept (in PostgreSQL) for its apply."""
    session = _hr(request)
    agency = agency_of(session, instansi)
    _authorized(session.actor, agency, AgencyAction.IMPORT_ROSTER)
    form = await _form(request)
    gettext = _gettext(request)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return await _roster_page(request, session, agency, status=422,
                                  errors={"file": gettext("Choose a CSV or XLSX file.")})
    data = await upload.read(MAX_FILE_BYTES + 1)
    name = upload.filename or ""
    if len(data) > MAX_FILE_BYTES:
        return await _roster_page(request, session, agency, status=413, errors={
            "file": gettext("The file is larger than %(mib)d MiB.")
            % {"mib": MAX_FILE_BYTES // 2**20}})
    if not data.strip():
        return await _roster_page(request, session, agency, status=422,
                                  errors={"file": gettext("The file is empty.")})
    try:
        staged, report = await _roster(request).stage(session.actor, agency, data, name)
    except Invalid as invalid:
        detail = invalid.broken[0].message if invalid.broken else invalid.detail
        rule = invalid.broken[0].rule if invalid.broken else invalid.kind
        return await _roster_page(request, session, agency, status=422, errors={
            "file": gettext("The file cannot be read:") + f" {detail} ({rule})"})
    return await _roster_page(request, session, agency, staged=staged, report=report)


def _gone(request: Request) -> dict[str, str]:
    gettext = _gettext(request)
    return {"file": gettext("The uploaded file is no longer kept here; upload it again.")}


def _upload_url(upload_id: str, agency: str) -> str:
    return f"/sdm/pegawai/unggahan/{quote(upload_id)}?instansi={quote(agency)}"


async def _upload_page(request: Request, session: Session, agency: str, upload_id: str, *,
                       errors: dict[str, str] | None = None, status: int = 200) -> Response:
    """The upload's page: its apply's progress or outcome, else its check."""
    service = _roster(request)
    job = await service.apply_job(session.actor, agency, upload_id)
    staged = await service.staged(session.actor, agency, upload_id)
    errors = dict(errors or {})
    if job is not None and job.status != "refused":
        return await _roster_page(request, session, agency, staged=staged, job=job,
                                  report=service.apply_report(job), errors=errors,
                                  applied=job.status in ("applied", "done"), status=status)
    if job is not None:
        errors.setdefault("apply", _refusal(request, job))
        status = 409 if job.error_code == "roster-conflict" else 422
    if staged is None:
        return await _roster_page(request, session, agency, status=410 if job is None
                                  else status, errors={**errors, **_gone(request)})
    report = await service.check_staged(session.actor, agency, staged)
    return await _roster_page(request, session, agency, staged=staged, report=report,
                              errors=errors, status=status)


def _refusal(request: Request, job: ApplyJob) -> str:
    gettext = _gettext(request)
    if job.error_code == "roster-rows":
        return str(gettext("Rows are rejected; nothing was applied."))
    if job.error_code == "roster-conflict":
        return str(gettext("The roster changed meanwhile; check the file again."))
    return str(gettext("The roster was not applied:")) + f" {job.error or job.error_code}"


@router.get("/sdm/pegawai/unggahan/{upload_id}")
async def upload_page(request: Request, upload_id: str, instansi: str | None = None
                      ) -> Response:
    """An upload's page: what applying it would change, or its apply's progress (the
    person may leave and come back: the apply runs in the worker) and outcome."""
    session = _hr(request)
    agency = agency_of(session, instansi)
    _authorized(session.actor, agency, AgencyAction.IMPORT_ROSTER)
    return await _upload_page(request, session, agency, upload_id)


@router.get("/sdm/pegawai/unggahan/{upload_id}/kemajuan")
async def apply_progress(request: Request, upload_id: str, instansi: str | None = None
                         ) -> Response:
    """The apply's progress bar alone (htmx polls it); once the apply is over, htmx is
    told to load the upload's page."""
    session = _hr(request)
    agency = agency_of(session, instansi)
    _authorized(session.actor, agency, AgencyAction.IMPORT_ROSTER)
    job = await _roster(request).apply_job(session.actor, agency, upload_id)
    if job is None:
        raise PageNotFound()
    response = render(request, "hr/apply_progress.html", {"job": job, "agency": agency})
    if job.over or job.status == "applied":
        response.headers["HX-Redirect"] = _upload_url(upload_id, agency)
    return response


@router.post("/sdm/pegawai/unggahan/{upload_id}/terapkan")
async def apply_roster(request: Request, upload_id: str, instansi: str | None = None
                       ) -> Response:
    """Apply the checked file (``do=valid``: its valid rows) in the background; a small
    roster's outcome is waited for a moment, a large one's progress is shown. Pressed
    again (a double click, a retry), the apply already started is answered."""
    session = _hr(request)
    agency = agency_of(session, instansi)
    _authorized(session.actor, agency, AgencyAction.IMPORT_ROSTER)
    form = await _form(request)
    gettext = _gettext(request)
    service = _roster(request)
    try:
        job = await service.start_apply(session.actor, agency, upload_id,
                                        valid_only=form.get("do") == "valid")
    except NotFound:
        return await _roster_page(request, session, agency, errors=_gone(request), status=410)
    except Invalid:
        return await _upload_page(request, session, agency, upload_id, status=422, errors={
            "apply": gettext("Rows are rejected; nothing was applied.")})
    except Unavailable:
        return await _upload_page(request, session, agency, upload_id, status=503, errors={
            "apply": gettext("The service is busy; nothing was changed. Send the form "
                             "again.")})
    deadline = time.monotonic() + APPLY_WAIT_SECONDS
    while not job.over and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        job = await service.apply_job(session.actor, agency, upload_id) or job
    return RedirectResponse(_upload_url(upload_id, agency), 303)


@router.get("/sdm/pegawai/unggahan/{upload_id}/ditolak.csv")
async def rejected_csv(request: Request, upload_id: str, instansi: str | None = None
                       ) -> Response:
    """The rejected rows of the checked file as CSV: line, column, rule, reason, then the
    row's own cells (under the file's column names), so they can be fixed and sent
    again (the reader ignores the extra columns)."""
    session = _hr(request)
    agency = agency_of(session, instansi)
    _authorized(session.actor, agency, AgencyAction.IMPORT_ROSTER)
    staged = await _roster(request).staged(session.actor, agency, upload_id)
    if staged is None:
        raise PageNotFound()
    report = await _roster(request).check_staged(session.actor, agency, staged)
    rows = {r.line: r for r in staged.read.rows}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    columns = list(COLUMN_NAMES)
    writer.writerow(["baris", "kolom_ditolak", "aturan", "alasan",
                     *(COLUMN_NAMES[c] for c in columns)])
    for rejected_row in report.rejected:
        source = rows.get(rejected_row.line)
        writer.writerow(spreadsheet_row([
            rejected_row.line, COLUMN_NAMES.get(rejected_row.field, rejected_row.field),
            rejected_row.rule, rejected_row.reason, *(_value(source, c) for c in columns)]))
    return Response(buffer.getvalue().encode("utf-8-sig"),
                    media_type="text/csv; charset=utf-8", headers={
                        "Content-Disposition":
                            f'attachment; filename="ditolak-{quote(agency)}.csv"',
                        "Cache-Control": "no-store"})


# --------------------------------------------------------------------------- Siklus


def _cycles(request: Request) -> CycleService:
    service: CycleService = request.app.state.kinerja.cycles
    return service


def _cycle_errors(request: Request, error: ValidationError | CommandRefused,
                  prefix: str = "") -> dict[str, str]:
    if isinstance(error, ValidationError):
        return _validation_errors(request, error, prefix)
    return _refused(request, error)


def _refused(request: Request, refused: CommandRefused) -> dict[str, str]:
    gettext = _gettext(request)
    lead = {"phase": N_("The cycle's current state does not allow this now."),
            "forbidden": N_("You may not do this on this cycle."),
            "invalid": N_("This breaks a rule of the cycle.")}[refused.code]
    field_name = (refused.field or "_").removeprefix("calendar.")
    return {field_name: f"{gettext(lead)} ({refused.reason})"}


def _busy(request: Request) -> dict[str, str]:
    gettext = _gettext(request)
    return {"_": gettext("The service is busy; nothing was changed. Send the form again.")}


async def _agency_cycles(request: Request, session: Session, agency: str
                         ) -> list[CycleState]:
    try:
        cycles = await _cycles(request).list(session.actor)
    except Forbidden:
        raise PageNotFound() from None
    return sorted((c for c in cycles if c.agency == agency), key=lambda c: -(c.year or 0))


async def _cycles_page(request: Request, session: Session, agency: str, *,
                       errors: dict[str, str] | None = None,
                       values: dict[str, str] | None = None, status: int = 200) -> Response:
    cycles = await _agency_cycles(request, session, agency)
    year = datetime.now(UTC).year
    if any(c.year == year for c in cycles):
        year += 1
    if values is None:
        calendar = default_calendar(year, POLICIES[DEFAULT_POLICY])
        values = {"year": str(year), **{name: getattr(calendar, name).date().isoformat()
                                         for name in DEADLINE_FIELDS}}
    return render(request, "hr/cycles.html", {
        "agency": agency, "cycles": cycles, "errors": errors or {}, "values": values,
    }, status)


DEFAULT_POLICY = "permenpan-rb-6-2022"
DEADLINE_FIELDS = ("skp_deadline", "self_assessment_deadline", "review_deadline")


@router.get("/sdm/siklus")
async def cycles_page(request: Request, instansi: str | None = None) -> Response:
    session = _hr(request)
    agency = agency_of(session, instansi)
    _authorized(session.actor, agency, AgencyAction.READ_ROSTER)
    return await _cycles_page(request, session, agency)


@router.post("/sdm/siklus")
async def create_cycle(request: Request, instansi: str | None = None) -> Response:
    """Create the agency's cycle of a year: each deadline the end of the day chosen in the
    agency's zone (the policy's default when left empty)."""
    session = _hr(request)
    agency = agency_of(session, instansi)
    _authorized(session.actor, agency, AgencyAction.READ_ROSTER)
    form = await _form(request)
    values = {k: str(form.get(k) or "").strip() for k in ("year", *DEADLINE_FIELDS)}
    gettext = _gettext(request)
    errors: dict[str, str] = {}
    year = int(values["year"]) if values["year"].isdigit() and len(values["year"]) == 4 \
        else None
    if year is None:
        errors["year"] = gettext("Enter a year, e.g. 2027.")
    days: dict[str, date] = {}
    for name in DEADLINE_FIELDS:
        if values[name]:
            try:
                days[name] = date.fromisoformat(values[name])
            except ValueError:
                errors[name] = gettext("Enter a date.")
    if errors or year is None:
        return await _cycles_page(request, session, agency, errors=errors, values=values,
                                  status=422)
    policy = POLICIES[DEFAULT_POLICY]
    try:  # in the agency's zone (its settings), each date the end of that day
        calendar = await _cycles(request).calendar(agency, year, policy, dict(days))
        intent = CreateCycle(agency=agency, year=year, policy=policy.name, calendar=calendar)
    except ValidationError as error:
        return await _cycles_page(request, session, agency, values=values, status=422,
                                  errors=_cycle_errors(request, error))
    except Invalid as invalid:  # a date far from the cycle's year
        far = gettext("Enter a date from the year before the cycle's to two years after it.")
        return await _cycles_page(request, session, agency, values=values, status=422,
                                  errors={b.field.removeprefix("calendar."): far
                                          for b in invalid.broken})
    cycle_id = cycle_id_of(agency, year)
    try:
        await _cycles(request).create(session.actor, intent, cycle_id,
                                      _key(form, f"create-{cycle_id}"))
    except (Forbidden, NotFound):
        raise PageNotFound() from None
    except CommandRefused as refused:
        return await _cycles_page(request, session, agency, values=values, status=422,
                                  errors=_refused(request, refused))
    except Unavailable:
        return await _cycles_page(request, session, agency, values=values, status=503,
                                  errors=_busy(request))
    return RedirectResponse(f"/sdm/siklus/{quote(cycle_id)}", 303)


def _key(form: FormData, fallback: str) -> str:
    key = str(form.get("idempotency_key") or "")
    return key if _KEY.match(key) else fallback


async def _visible_cycle(request: Request, session: Session, cycle_id: str) -> CycleState:
    try:
        state = await _cycles(request).visible(session.actor, cycle_id)
    except NotFound:
        raise PageNotFound() from None
    if state.agency is None or not session.actor.in_scope(state.agency):
        raise PageNotFound()
    return state


def start_progress(state: CycleState) -> tuple[int, int]:
    """How many of the frozen roster's members have their appraisal opened, of how many
    (the start's pending work; all of them once the cycle runs)."""
    if state.status in (CycleStatus.RUNNING, CycleStatus.CLOSED):
        return state.members, state.members
    for item in state.pending:
        if isinstance(item.work, OpenAppraisals):
            return min(item.offset, state.members), state.members
    return 0, state.members


async def _cycle_page(request: Request, session: Session, cycle_id: str, *,
                      errors: dict[str, str] | None = None,
                      values: dict[str, str] | None = None, status: int = 200) -> Response:
    state = await _visible_cycle(request, session, cycle_id)
    done, total = start_progress(state)
    offset = state.calendar.utc_offset_hours if state.calendar else DEFAULT_UTC_OFFSET_HOURS
    labels = _labels(request)
    gettext = _gettext(request)
    final = state.distribution
    return render(request, "hr/cycle.html", {
        "agency": state.agency, "c": state, "done": done, "total": total,
        "errors": errors or {}, "values": values or {}, "units": sorted(state.units),
        "deadline_kinds": [k.value for k in MOVABLE_DEADLINES], "labels": labels,
        "final_predikats": predikat_shown(*final.values()),
        "final_charts": [(unit, predikat_chart(f"chart-final-{unit}",
                                               gettext("Final predikat:") + f" {unit}",
                                               final[unit], labels))
                         for unit in sorted(final)],
    }, status, offset=offset)


MOVABLE_DEADLINES = (DeadlineKind.SKP, DeadlineKind.SELF_ASSESSMENT, DeadlineKind.REVIEW)


@router.get("/sdm/siklus/{cycle_id}")
async def cycle_page(request: Request, cycle_id: str) -> Response:
    session = _hr(request)
    return await _cycle_page(request, session, cycle_id)


@router.get("/sdm/siklus/{cycle_id}/kemajuan")
async def start_progress_fragment(request: Request, cycle_id: str) -> Response:
    """The start's progress bar alone (htmx polls it while appraisals are opened)."""
    session = _hr(request)
    state = await _visible_cycle(request, session, cycle_id)
    done, total = start_progress(state)
    return render(request, "hr/start_progress.html", {"c": state, "done": done,
                                                       "total": total})


async def _send(request: Request, session: Session, cycle_id: str, intent: CycleIntent,
                form: FormData, values: dict[str, str] | None = None) -> Response:
    try:
        await _cycles(request).request(session.actor, cycle_id, intent,
                                       _key(form, f"page-{uuid.uuid4().hex}"))
    except (Forbidden, NotFound):
        raise PageNotFound() from None
    except CommandRefused as refused:
        return await _cycle_page(request, session, cycle_id, errors=_refused(request, refused),
                                 values=values, status=409 if refused.code == "phase" else 422)
    except Unavailable:
        return await _cycle_page(request, session, cycle_id, errors=_busy(request),
                                 values=values, status=503)
    return RedirectResponse(f"/sdm/siklus/{quote(cycle_id)}", 303)


@router.post("/sdm/siklus/{cycle_id}/mulai")
async def start_cycle(request: Request, cycle_id: str) -> Response:
    session = _hr(request)
    await _visible_cycle(request, session, cycle_id)
    form = await _form(request)
    return await _send(request, session, cycle_id, StartCycleRequest(), form)


@router.post("/sdm/siklus/{cycle_id}/tenggat")
async def move_deadline(request: Request, cycle_id: str) -> Response:
    """Move a deadline for the cycle or one unit, to the end of the day chosen."""
    session = _hr(request)
    state = await _visible_cycle(request, session, cycle_id)
    form = await _form(request)
    values = {k: str(form.get(k) or "").strip() for k in ("deadline", "until", "unit",
                                                           "reason")}
    gettext = _gettext(request)
    offset = state.calendar.utc_offset_hours if state.calendar else DEFAULT_UTC_OFFSET_HOURS
    try:
        until = end_of_day(date.fromisoformat(values["until"]), offset)
    except ValueError:
        return await _cycle_page(request, session, cycle_id, values=values, status=422,
                                 errors={"until": gettext("Enter a date.")})
    try:
        intent = MoveDeadline.model_validate({
            "deadline": values["deadline"], "until": until, "reason": values["reason"],
            "unit": values["unit"] or None})
    except ValidationError as error:
        return await _cycle_page(request, session, cycle_id, values=values, status=422,
                                 errors=_cycle_errors(request, error))
    return await _send(request, session, cycle_id, intent, form, values)


# --------------------------------------------------------------------------- Pemantauan


OVERDUE_SHOWN = 200
"""Overdue appraisals listed on the page (the oldest deadlines first; counts are of all)."""

PHASES_SHOWN = tuple(p for p in Phase if p is not Phase.NOT_OPENED)


@dataclass(frozen=True)
class Monitoring:
    """What the monitoring page shows (and its exports write)."""

    state: CycleState
    unit: str | None
    progress: CycleProgress

    def units(self) -> list[str]:
        return sorted({c.unit for c in self.progress.by_unit_phase})

    def phase_counts(self) -> dict[str, dict[Phase, int]]:
        counts: dict[str, dict[Phase, int]] = {}
        for c in self.progress.by_unit_phase:
            counts.setdefault(c.unit, {})[c.phase] = c.count
        return counts

    def phase_totals(self) -> dict[Phase, int]:
        totals: dict[Phase, int] = {}
        for c in self.progress.by_unit_phase:
            totals[c.phase] = totals.get(c.phase, 0) + c.count
        return totals

    def predikat_totals(self) -> dict[Predikat, int]:
        totals: dict[Predikat, int] = {}
        for spread in self.progress.distribution.values():
            for predikat, n in spread.items():
                totals[predikat] = totals.get(predikat, 0) + n
        return totals

    def overdue_table(self) -> list[list[Cell]]:
        rows: list[list[Cell]] = [["appraisal", "employee", "appraiser", "unit", "phase",
                                   "deadline", "due_at"]]
        rows += [[o.appraisal_id, o.employee, o.appraiser, o.unit, o.phase.value,
                  o.deadline.value, o.due_at.isoformat()] for o in self.progress.overdue]
        return rows

    def period_kind(self) -> tuple[str | None, int | None]:
        """The cycle's review periods (``quarterly``, ``monthly``) and its year."""
        policy = POLICIES.get(self.state.policy) if self.state.policy else None
        return (policy.review_periods if policy else None), self.state.year

    def overdue_periods_table(self) -> list[list[Cell]]:
        """The periodic reviews past due, by unit: period (its number and its Indonesian
        name: ``Triwulan III 2026``), due date, appraiser."""
        review_periods, year = self.period_kind()
        rows: list[list[Cell]] = [["appraisal", "employee", "appraiser", "unit", "period",
                                   "period_name", "due_at"]]
        rows += [[o.appraisal_id, o.employee, o.appraiser, o.unit, o.period,
                  period_label(review_periods, o.period, year or 0), o.due_at.isoformat()]
                 for o in self.progress.overdue_periods]
        return rows


async def _monitoring(request: Request, cycle_id: str, unit: str | None) -> Monitoring:
    session = _hr(request)
    state = await _visible_cycle(request, session, cycle_id)
    if unit is not None and unit not in state.units:
        unit = None
    assert state.agency is not None
    await record_read(request, session.actor, state.agency, "cycle-progress",
                      cycle_id=cycle_id, unit=unit)
    progress = await _cycles(request).progress(cycle_id, unit=unit,
                                               overdue_limit=OVERDUE_SHOWN)
    return Monitoring(state, unit, progress)


def phase_chart(view: Monitoring, gettext: Any, labels: dict[str, str]) -> Markup:
    totals = view.phase_totals()
    return bar_chart("chart-phases", gettext("Appraisals per phase"),
                     [Bar(labels[p.value], totals.get(p, 0), key=p.value) for p in PHASES_SHOWN])


def predikat_chart(chart_id: str, title: str, counts: dict[Predikat, int],
                   labels: dict[str, str]) -> Markup:
    return bar_chart(chart_id, title,
                     [Bar(labels[p.value], counts.get(p, 0), key=p.value)
                      for p in predikat_shown(counts)])


def predikat_shown(*counts: dict[Predikat, int]) -> list[Predikat]:
    """The predikat of PermenPAN-RB 6/2022, and Cukup (PP 30/2019) when it is counted."""
    return [p for p in Predikat if p is not Predikat.CUKUP or any(c.get(p) for c in counts)]


def _labels(request: Request) -> dict[str, str]:
    """Phases and predikat in the page's language (the names macros.html shows)."""
    gettext = _gettext(request)
    names = {
        "target_setting": N_("Setting targets (SKP)"),
        "self_report": N_("Working: progress and activities"),
        "review": N_("Review"), "calibration": N_("Calibration"),
        "objection_window": N_("Result released: objection window"),
        "objection_review": N_("Objection under review"), "final": N_("Final"),
        "cancelled": N_("Cancelled"), "sangat_baik": N_("Very good"), "baik": N_("Good"),
        "cukup": N_("Fair"), "butuh_perbaikan": N_("Needs improvement"),
        "kurang": N_("Poor"), "sangat_kurang": N_("Very poor")}
    return {key: gettext(text) for key, text in names.items()}


def _deadline_labels(request: Request) -> dict[str, str]:
    """Deadlines in the page's language (the names macros.html shows), once a page."""
    gettext = _gettext(request)
    names = {"skp": N_("SKP approved"), "self_assessment": N_("Self-assessment"),
             "review": N_("Review"), "objection_window": N_("Objection window closes"),
             "objection_decision": N_("Objection decided")}
    return {key: gettext(text) for key, text in names.items()}


def _due_texts(view: Monitoring, fmt: Formats) -> dict[datetime, str]:
    """Each overdue moment written once (many share their cycle's deadline)."""
    moments = {o.due_at for o in view.progress.overdue} \
        | {o.due_at for o in view.progress.overdue_periods}
    return {moment: fmt.datetime(moment) for moment in moments}


def _period_names(request: Request, view: Monitoring) -> dict[int, str]:
    """Each overdue period named once in the page's language (as the appraisal page
    names it): ``Triwulan 3, 2026``, ``Maret 2026``."""
    review_periods, year = view.period_kind()
    return {period: period_name(request, review_periods, period, year or 0)
            for period in {o.period for o in view.progress.overdue_periods}}


@router.get("/sdm/siklus/{cycle_id}/pemantauan")
async def monitoring_page(request: Request, cycle_id: str, unit: str | None = None
                          ) -> Response:
    """Per unit and phase the counts, who is overdue on which deadline (with the
    appraiser), the predikat so far; filtered by unit; charts with their tables."""
    view = await _monitoring(request, cycle_id, unit or None)
    gettext = _gettext(request)
    labels = _labels(request)
    offset = view.state.calendar.utc_offset_hours if view.state.calendar \
        else DEFAULT_UTC_OFFSET_HOURS
    return render(request, "hr/monitoring.html", {
        "agency": view.state.agency, "c": view.state, "v": view, "unit": view.unit,
        "units": sorted(view.state.units), "phases": PHASES_SHOWN,
        "predikats": predikat_shown(view.predikat_totals()), "labels": labels,
        "counts": view.phase_counts(),
        "phase_totals": view.phase_totals(), "predikat_totals": view.predikat_totals(),
        "phase_chart": phase_chart(view, gettext, labels),
        "predikat_chart": predikat_chart("chart-predikat", gettext("Predikat so far"),
                                         view.predikat_totals(), labels),
        "overdue_shown": OVERDUE_SHOWN,
        "deadline_labels": _deadline_labels(request),
        "due": _due_texts(view, Formats(language_of(request), offset)),
        "period_names": _period_names(request, view),
        "query": f"?unit={quote(view.unit)}" if view.unit else "",
    }, offset=offset)


@router.get("/sdm/siklus/{cycle_id}/pemantauan.csv")
async def monitoring_csv(request: Request, cycle_id: str, unit: str | None = None
                         ) -> Response:
    """What the page shows: the table per unit, a blank line, the overdue list, a blank
    line, the overdue periodic reviews."""
    view = await _monitoring(request, cycle_id, unit or None)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows(spreadsheet_row(r) for r in view.progress.table())
    writer.writerow([])
    writer.writerows(spreadsheet_row(r) for r in view.overdue_table())
    writer.writerow([])
    writer.writerows(spreadsheet_row(r) for r in view.overdue_periods_table())
    return download(buffer.getvalue().encode("utf-8-sig"), "text/csv; charset=utf-8",
                     _export_name(view, "csv"))


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/sdm/siklus/{cycle_id}/pemantauan.xlsx")
async def monitoring_xlsx(request: Request, cycle_id: str, unit: str | None = None
                          ) -> Response:
    """The same as the CSV, a sheet each: ``unit``, ``terlambat`` (overdue) and
    ``periodik_terlambat`` (the overdue periodic reviews)."""
    view = await _monitoring(request, cycle_id, unit or None)
    sheets = {"unit": view.progress.table(), "terlambat": view.overdue_table(),
              "periodik_terlambat": view.overdue_periods_table()}
    return download(xlsx(sheets), XLSX, _export_name(view, "xlsx"))


def xlsx(sheets: dict[str, Sequence[Sequence[Cell]]]) -> bytes:
    """A workbook of ``sheets``: numbers as numbers, text neutralised as in the CSV
    exports (``domain.spreadsheet``: a cell starting with ``=`` would be a formula);
    written straight as SpreadsheetML (:mod:`web.xlsx`: 10,000 rows in well under 2 s)."""
    return workbook(sheets)


def _export_name(view: Monitoring, extension: str) -> str:
    return f"pemantauan-{view.state.cycle_id}" + (f"-{view.unit}" if view.unit else "") \
        + f".{extension}"


def download(body: bytes, media_type: str, filename: str) -> Response:
    return Response(body, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{quote(filename)}"',
        "Cache-Control": "no-store"})


# --------------------------------------------------------------------------- Kurva


def curve_rules(state: CycleState, rating: OrganisationRating | None
                ) -> tuple[CurveRule, ...]:
    curve = POLICIES[state.policy].curve if state.policy else None
    return curve[rating] if curve is not None and rating is not None else ()


def rule_rows(calibration: Calibration, rules: Sequence[CurveRule]) -> list[dict[str, Any]]:
    """Each rule of the unit's curve with the unit's figures, broken or kept (the check's
    own verdict: a broken rule is one the check names)."""
    check = calibration.check
    if check is None:
        return []
    broken = {b.rule: b for b in check.broken}
    rows = []
    for rule in rules:
        count = sum(check.counts.get(p, 0) for p in rule.predikat)
        rows.append({"rule": rule, "description": rule.describe(), "count": count,
                     "total": check.total, "broken": rule in broken,
                     "percent": round(100 * count / check.total) if check.total else 0,
                     "limit": round(100 * rule.share) if rule.share is not None else None})
    return rows


def curve_chart(chart_id: str, title: str, rows: list[dict[str, Any]], *, broken: str,
                kept: str) -> Markup:
    """The unit's share of each rule's group (in %), the rule's limit marked; ``broken``,
    ``kept``: the words said of each rule."""
    return bar_chart(chart_id, title, [
        Bar(r["description"], r["percent"], key=str(i), marker=r["limit"],
            note=broken if r["broken"] else kept, flagged=r["broken"])
        for i, r in enumerate(rows)], unit="%")


async def _calibration_page(request: Request, session: Session, cycle_id: str, unit: str, *,
                            errors: dict[str, str] | None = None,
                            values: dict[str, str] | None = None, status: int = 200
                            ) -> Response:
    state = await _visible_cycle(request, session, cycle_id)
    try:
        calibration = await _cycles(request).calibration(session.actor, cycle_id, unit)
    except NotFound:
        raise PageNotFound() from None
    gettext = _gettext(request)
    labels = _labels(request)
    rows = rule_rows(calibration, curve_rules(state, calibration.organisation_rating))
    counts = dict(calibration.check.counts) if calibration.check else {}
    if calibration.check is None:
        predikat = await _cycles(request).progress(cycle_id, unit=unit, overdue_limit=0)
        counts = predikat.distribution.get(unit, {})
    unit_state = state.units[unit]
    return render(request, "hr/calibration.html", {
        "agency": state.agency, "c": state, "unit": unit, "cal": calibration, "rows": rows,
        "counts": counts, "labels": labels, "predikats": predikat_shown(counts),
        "ratings": [r.value for r in OrganisationRating], "unit_state": unit_state,
        "predikat_chart": predikat_chart("chart-unit-predikat",
                                         gettext("Predikat of the unit"), counts, labels),
        "curve_chart": curve_chart("chart-curve", gettext("The unit against its curve"), rows,
                                   broken=gettext("Broken"), kept=gettext("Kept"))
        if rows else None,
        "errors": errors or {}, "values": values or {},
    }, status)


@router.get("/sdm/siklus/{cycle_id}/kurva/{unit}")
async def calibration_page(request: Request, cycle_id: str, unit: str) -> Response:
    session = _hr(request)
    return await _calibration_page(request, session, cycle_id, unit)


async def _send_unit(request: Request, session: Session, cycle_id: str, unit: str,
                     intent: CycleIntent, form: FormData, values: dict[str, str]) -> Response:
    try:
        await _cycles(request).request(session.actor, cycle_id, intent,
                                       _key(form, f"page-{uuid.uuid4().hex}"))
    except (Forbidden, NotFound):
        raise PageNotFound() from None
    except CommandRefused as refused:
        return await _calibration_page(request, session, cycle_id, unit, values=values,
                                       errors=_refused(request, refused),
                                       status=409 if refused.code == "phase" else 422)
    except Unavailable:
        return await _calibration_page(request, session, cycle_id, unit, values=values,
                                       errors=_busy(request), status=503)
    return RedirectResponse(f"/sdm/siklus/{quote(cycle_id)}/kurva/{quote(unit)}", 303)


@router.post("/sdm/siklus/{cycle_id}/kurva/{unit}/peringkat")
async def set_rating(request: Request, cycle_id: str, unit: str) -> Response:
    """Set the unit's organisation rating (its curve)."""
    session = _hr(request)
    await _visible_cycle(request, session, cycle_id)
    form = await _form(request)
    values = {"rating": str(form.get("rating") or "")}
    try:
        intent = SetOrganisationRating.model_validate({"unit": unit, **values})
    except ValidationError as error:
        return await _calibration_page(request, session, cycle_id, unit, values=values,
                                       errors=_cycle_errors(request, error), status=422)
    return await _send_unit(request, session, cycle_id, unit, intent, form, values)


@router.post("/sdm/siklus/{cycle_id}/kurva/{unit}/umumkan")
async def release_unit(request: Request, cycle_id: str, unit: str) -> Response:
    """Release the unit's results: when it passes its curve, or with the exception's
    reason recorded."""
    session = _hr(request)
    await _visible_cycle(request, session, cycle_id)
    form = await _form(request)
    values = {"exception_reason": str(form.get("exception_reason") or "").strip()}
    try:
        intent = ReleaseUnitRequest.model_validate({
            "unit": unit, "exception_reason": values["exception_reason"] or None})
    except ValidationError as error:
        return await _calibration_page(request, session, cycle_id, unit, values=values,
                                       errors=_cycle_errors(request, error), status=422)
    return await _send_unit(request, session, cycle_id, unit, intent, form, values)


# --------------------------------------------------------------------------- Penutupan


@router.post("/sdm/siklus/{cycle_id}/tutup")
async def close_cycle(request: Request, cycle_id: str) -> Response:
    """Close the cycle once every appraisal is final or cancelled."""
    session = _hr(request)
    await _visible_cycle(request, session, cycle_id)
    form = await _form(request)
    return await _send(request, session, cycle_id, CloseCycleRequest(), form)


async def _results(request: Request, cycle_id: str) -> tuple[CycleState, list[list[Cell]]]:
    session = _hr(request)
    state = await _visible_cycle(request, session, cycle_id)
    assert state.agency is not None
    await record_read(request, session.actor, state.agency, "cycle-results", personal=True,
                      cycle_id=cycle_id)
    return state, await _cycles(request).results(state)


@router.get("/sdm/siklus/{cycle_id}/hasil.csv")
async def results_csv(request: Request, cycle_id: str) -> Response:
    """The results (NIP, name, key, unit, phase, predikat, credit points)."""
    _, rows = await _results(request, cycle_id)
    buffer = io.StringIO()
    csv.writer(buffer).writerows(spreadsheet_row(r) for r in rows)
    return download(buffer.getvalue().encode("utf-8-sig"), "text/csv; charset=utf-8",
                     f"hasil-{cycle_id}.csv")


@router.get("/sdm/siklus/{cycle_id}/hasil.xlsx")
async def results_xlsx(request: Request, cycle_id: str) -> Response:
    _, rows = await _results(request, cycle_id)
    return download(xlsx({"hasil": rows}), XLSX, f"hasil-{cycle_id}.xlsx")
