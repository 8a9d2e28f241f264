"""Routes of an agency's yearly cycle, for HR (and, read-only, inspectors in scope).

A cycle's id is ``<agency>-<year>``. Every request becomes one update of the
cycle's workflow (``CycleWorkflow``); reads come from the read models. Work
over many appraisals (opening them, moving a deadline, releasing a unit)
continues after the request returns: its progress shows in the cycle's
``pending`` list and in ``/progress``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from api.access import record_read
from api.auth import CurrentActor
from api.deps import kinerja
from api.schemas import IdempotencyKey, Key, ReleaseBody
from domain.appraisal import DeadlineKind
from domain.appraisal.cascading import MATRIX_HEADER, MatrixRow
from domain.authorization import Actor
from domain.calibration import CurveCheck, OrganisationRating
from domain.cycle import (
    AGENCY_PATTERN,
    PAGE_SIZE,
    CreateCycle,
    CycleState,
    MoveDeadline,
    SetOrganisationRating,
    cycle_id_of,
)
from domain.policy import POLICIES, GivenDeadline
from domain.ratings import Predikat
from domain.skp import Text
from domain.spreadsheet import Cell
from domain.spreadsheet import row as spreadsheet_row
from services.cycles import CycleOutcome, CycleService, Matriks
from store.cycles import CycleProgress, Overdue, UnitPhaseCount
from workflows.cycle.contract import (
    CloseCycleRequest,
    CycleIntent,
    FollowRosterRequest,
    ReleaseUnitRequest,
    StartCycleRequest,
)

router = APIRouter(prefix="/v1", tags=["cycles"])



# --------------------------------------------------------------------------- bodies and views


DeadlineDay = Annotated[datetime | date | None, Field(union_mode="left_to_right")]
"""A date (``2026-01-31``): the end of that day in the agency's zone; an instant is rounded
up to the end of the day it falls on there (``domain.policy.deadline_given``)."""


class CycleDates(BaseModel):
    """Deadlines HR gives instead of the policy's, each the end of its day."""

    model_config = ConfigDict(extra="forbid")

    skp_deadline: DeadlineDay = None
    self_assessment_deadline: DeadlineDay = None
    review_deadline: DeadlineDay = None


class CreateCycleBody(BaseModel):
    """Create the cycle of ``agency`` for ``year``; deadlines default from the policy."""

    agency: Annotated[str, Field(pattern=AGENCY_PATTERN)]
    year: Annotated[int, Field(ge=2020, le=2100)]
    policy: Literal[tuple(POLICIES)] = "permenpan-rb-6-2022"  # type: ignore[valid-type]
    utc_offset_hours: Annotated[int, Field(ge=7, le=9)] | None = None
    """The agency's zone when its settings have none (then 7, WIB, when left out); when
    they have one, it is theirs and another is refused."""
    calendar: CycleDates = Field(default_factory=CycleDates)
    page_size: Annotated[int, Field(ge=1, le=5000)] = PAGE_SIZE
    """Appraisals opened per page of the start (and reached per page of a broadcast)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"agency": "pemkot-bandung", "year": 2026},
        {"agency": "pemkot-bandung", "year": 2026, "utc_offset_hours": 7,
         "calendar": {"skp_deadline": "2026-02-14"}},
    ]})


class MoveDeadlineBody(BaseModel):
    deadline: DeadlineKind
    until: GivenDeadline
    reason: Text
    unit: Key | None = None
    """Only this unit's appraisals; none: the whole cycle."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"deadline": "skp", "until": "2026-02-14T23:59:59+07:00",
         "reason": "Gangguan jaringan e-Kinerja pada akhir Januari."},
        {"deadline": "review", "until": "2027-01-20T23:59:59+07:00", "unit": "diskominfo",
         "reason": "Pejabat penilai cuti besar."},
    ]})


class OrganisationRatingBody(BaseModel):
    rating: OrganisationRating
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"rating": "baik"}]})


class CycleView(BaseModel):
    """A cycle's state: status, frozen roster digest, units, work under way."""

    id: str
    state: dict[str, Any]

    @classmethod
    def of(cls, state: CycleState) -> CycleView:
        assert state.cycle_id is not None
        return cls(id=state.cycle_id, state=state.model_dump(mode="json"))


class CycleResponse(BaseModel):
    events: list[str]
    cycle: CycleView


class ProgressView(BaseModel):
    """A cycle's progress: appraisals per unit and phase, the overdue ones (oldest
    deadline first) with their count per deadline, and the predikat per unit."""

    as_of: datetime
    total: int
    by_unit_phase: list[UnitPhaseCount]
    overdue_counts: dict[DeadlineKind, int]
    overdue: list[Overdue]
    distribution: dict[str, dict[Predikat, int]]

    @classmethod
    def of(cls, progress: CycleProgress) -> ProgressView:
        return cls(as_of=progress.as_of, total=progress.total,
                   by_unit_phase=progress.by_unit_phase,
                   overdue_counts=progress.overdue_counts, overdue=progress.overdue,
                   distribution=progress.distribution)


class CalibrationView(BaseModel):
    unit: str
    organisation_rating: OrganisationRating | None
    released: bool
    check: CurveCheck | None
    """None until the unit has an organisation rating."""


# --------------------------------------------------------------------------- helpers


def _service(request: Request) -> CycleService:
    return kinerja(request).cycles


def _cycle_read(what: str, *, personal: bool = False) -> Any:
    """A dependency: the cycle the caller may read (404 otherwise), its read recorded in
    the agency's access stream when it is to be (api.access)."""

    async def read(request: Request, cycle_id: str, actor: CurrentActor) -> CycleState:
        state = await _service(request).visible(actor, cycle_id)
        assert state.agency is not None
        await record_read(request, actor, state.agency, what, personal=personal,
                          cycle_id=cycle_id)
        return state

    return Depends(read)


async def _send(request: Request, cycle_id: str, actor: Actor, intent: CycleIntent,
                key: str | None) -> CycleResponse:
    return _response(await _service(request).request(actor, cycle_id, intent, key))


def _response(outcome: CycleOutcome) -> CycleResponse:
    return CycleResponse(events=outcome.events, cycle=CycleView.of(outcome.state))


# --------------------------------------------------------------------------- routes


@router.post("/cycles", status_code=201, summary="Create an agency's cycle for a year")
async def create_cycle(request: Request, body: CreateCycleBody, actor: CurrentActor,
                       idempotency_key: IdempotencyKey = None) -> CycleResponse:
    policy = POLICIES[body.policy]
    calendar = await _service(request).calendar(
        body.agency, body.year, policy, body.calendar.model_dump(exclude_none=True),
        utc_offset_hours=body.utc_offset_hours)
    cycle_id = cycle_id_of(body.agency, body.year)
    intent = CreateCycle(agency=body.agency, year=body.year, policy=body.policy,
                         calendar=calendar, page_size=body.page_size)
    return _response(await _service(request).create(actor, intent, cycle_id,
                                                     idempotency_key))


@router.get("/cycles", summary="Cycles in the caller's scope")
async def list_cycles(request: Request, actor: CurrentActor) -> list[CycleView]:
    return [CycleView.of(s) for s in await _service(request).list(actor)]


@router.get("/cycles/{cycle_id}", summary="A cycle's state")
async def get_cycle(request: Request, cycle_id: str, actor: CurrentActor) -> CycleView:
    return CycleView.of(await _service(request).visible(actor, cycle_id))


@router.post("/cycles/{cycle_id}/start", status_code=202,
             summary="Freeze the roster and open every appraisal (continues in the background)")
async def start_cycle(request: Request, cycle_id: str, actor: CurrentActor,
                      idempotency_key: IdempotencyKey = None) -> CycleResponse:
    return await _send(request, cycle_id, actor, StartCycleRequest(), idempotency_key)


@router.post("/cycles/{cycle_id}/deadlines", status_code=202,
             summary="Move a deadline for the whole cycle or one unit")
async def move_deadline(request: Request, cycle_id: str, body: MoveDeadlineBody,
                        actor: CurrentActor, idempotency_key: IdempotencyKey = None
                        ) -> CycleResponse:
    intent = MoveDeadline(deadline=body.deadline, until=body.until, reason=body.reason,
                          unit=body.unit)
    return await _send(request, cycle_id, actor, intent, idempotency_key)


@router.put("/cycles/{cycle_id}/units/{unit}/organisation-rating", status_code=202,
            summary="Set a unit's organisation rating (its curve)")
async def set_organisation_rating(request: Request, cycle_id: str, unit: str,
                                  body: OrganisationRatingBody, actor: CurrentActor,
                                  idempotency_key: IdempotencyKey = None) -> CycleResponse:
    intent = SetOrganisationRating(unit=unit, rating=body.rating)
    return await _send(request, cycle_id, actor, intent, idempotency_key)


@router.get("/cycles/{cycle_id}/units/{unit}/calibration",
            summary="A unit's predikat against its curve, with each broken rule")
async def get_calibration(request: Request, cycle_id: str, unit: str, actor: CurrentActor
                          ) -> CalibrationView:
    found = await _service(request).calibration(actor, cycle_id, unit)
    return CalibrationView(unit=found.unit, organisation_rating=found.organisation_rating,
                           released=found.released, check=found.check)


@router.post("/cycles/{cycle_id}/units/{unit}/release", status_code=202,
             summary="Release a unit's results (opens their objection windows)")
async def release_unit(request: Request, cycle_id: str, unit: str, body: ReleaseBody,
                       actor: CurrentActor, idempotency_key: IdempotencyKey = None
                       ) -> CycleResponse:
    intent = ReleaseUnitRequest(unit=unit, exception_reason=body.exception_reason)
    return await _send(request, cycle_id, actor, intent, idempotency_key)


@router.post("/cycles/{cycle_id}/roster", status_code=202,
            summary="Follow the roster's changes: reassign, transfer, cancel, open")
async def follow_roster(request: Request, cycle_id: str, actor: CurrentActor,
                        idempotency_key: IdempotencyKey = None) -> CycleResponse:
    """A new appraiser or appraiser's superior is recorded as a reassignment in the
    appraisal; a transfer cancels the appraisal (reason: transfer) and opens one in the
    new unit; an employee gone from the roster is cancelled, a newcomer opened. The
    roster upload does this by itself for the agency's running cycles."""
    return await _send(request, cycle_id, actor, FollowRosterRequest(), idempotency_key)


@router.post("/cycles/{cycle_id}/close", summary="Close the cycle (every appraisal ended)")
async def close_cycle(request: Request, cycle_id: str, actor: CurrentActor,
                      idempotency_key: IdempotencyKey = None) -> CycleResponse:
    return await _send(request, cycle_id, actor, CloseCycleRequest(), idempotency_key)


@router.get("/cycles/{cycle_id}/progress",
            summary="Counts per unit and phase, overdue lists, predikat distribution")
async def get_progress(request: Request, cycle_id: str,
                       _read: Annotated[CycleState, _cycle_read("cycle-progress")],
                       unit: Annotated[str | None, Query(max_length=100)] = None,
                       overdue_limit: Annotated[int, Query(ge=0, le=10_000)] = 1000
                       ) -> ProgressView:
    progress = await _service(request).progress(cycle_id, unit=unit,
                                                overdue_limit=overdue_limit)
    return ProgressView.of(progress)


@router.get("/cycles/{cycle_id}/progress.csv", summary="Progress as CSV, one row per unit",
            response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}}}})
async def get_progress_csv(
    request: Request, cycle_id: str,
    _read: Annotated[CycleState, _cycle_read("cycle-progress-csv")],
) -> StreamingResponse:
    progress = await _service(request).progress(cycle_id, overdue_limit=0)
    return csv_download(progress.table(), f"progress-{cycle_id}.csv")


@router.get("/cycles/{cycle_id}/results.csv", summary="Results export (CSV)",
            response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}}}})
async def get_results_csv(
    request: Request, cycle_id: str,
    state: Annotated[CycleState, _cycle_read("cycle-results-csv", personal=True)],
) -> StreamingResponse:
    return csv_download(await _service(request).results(state), f"results-{cycle_id}.csv")


class MatriksView(BaseModel):
    """A unit's Matriks Peran Hasil: per employee and RHK, the appraiser's result it
    supports (``supports_rhk``, ``supported`` as the appraiser's approved SKP reads now)
    and ``link``: ``ok``, ``review`` (that result is gone or changed since the approval) or
    ``none``."""

    unit: str
    rows: list[MatrixRow]


async def _matriks(request: Request, actor: Actor, cycle_id: str, unit: str) -> Matriks:
    found = await _service(request).matriks(actor, cycle_id, unit)
    await record_read(request, actor, found.agency, "cycle-matriks-peran-hasil",
                      cycle_id=cycle_id, unit=unit)
    return found


@router.get("/cycles/{cycle_id}/units/{unit}/matriks-peran-hasil",
            summary="Matriks Peran Hasil: who supports which result of their superior")
async def get_matriks(request: Request, cycle_id: str, unit: str, actor: CurrentActor
                      ) -> MatriksView:
    """For HR and inspectors with the agency in scope and for the unit's own people."""
    found = await _matriks(request, actor, cycle_id, unit)
    return MatriksView(unit=found.unit, rows=found.rows)


@router.get("/cycles/{cycle_id}/units/{unit}/matriks-peran-hasil.csv",
            summary="Matriks Peran Hasil (CSV)", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}}}})
async def get_matriks_csv(request: Request, cycle_id: str, unit: str, actor: CurrentActor
                          ) -> StreamingResponse:
    found = await _matriks(request, actor, cycle_id, unit)
    table: list[list[Cell]] = [list(MATRIX_HEADER)]
    table += [[getattr(row, name) for name in MATRIX_HEADER] for row in found.rows]
    return csv_download(table, f"matriks-peran-hasil-{cycle_id}-{unit}.csv")


def csv_download(rows: Sequence[Sequence[Cell]], filename: str) -> StreamingResponse:
    """Every row as CSV, each text cell neutralised against formula injection
    (``domain.spreadsheet``: names, units and keys are text HR typed; numbers stay numbers)."""
    async def chunks() -> AsyncIterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for start in range(0, len(rows), 500):
            writer.writerows(spreadsheet_row(r) for r in rows[start:start + 500])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()

    return StreamingResponse(chunks(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})
