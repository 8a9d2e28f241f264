"""Routes of the public's voice for HR, inspectors and unit heads: which units serve the
public (and their services, their population of service users), and each unit's
satisfaction survey results per period (PermenPAN-RB 14/2017). The public answers on the
pages (``/publik/survei/{agency}/{unit}``), without sign-in."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import CurrentActor
from domain.complaint import COMPLAINT_POLICY, ComplaintView
from domain.complaint.rules import CODE_PATTERN
from domain.survey import PERIOD_PATTERN, Category, Element, PublicService
from domain.text import AGENCY_PATTERN, Clean
from services.complaints import ComplaintService
from services.public import PublicVoiceService, UnitResults, results_csv
from store.public import PublicUnit

router = APIRouter(prefix="/v1", tags=["public voice"])

AgencyId = Annotated[str, Path(pattern=AGENCY_PATTERN)]
UnitId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
PeriodId = Annotated[str, Path(pattern=PERIOD_PATTERN, description="e.g. 2026-S1")]


def _service(request: Request) -> PublicVoiceService:
    service: PublicVoiceService = request.app.state.kinerja.public
    return service


class PublicUnitBody(BaseModel):
    """A unit that serves the public: its name, its services, and the number of service
    users in a period (the population the minimum sample is read for)."""

    name: Annotated[str, Field(min_length=1, max_length=200), Clean]
    services: Annotated[list[PublicService], Field(min_length=1, max_length=50)]
    population: Annotated[int | None, Field(ge=1, le=2**31 - 1)] = None

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"name": "Dinas Kependudukan dan Pencatatan Sipil", "population": 1200,
         "services": [{"key": "ktp-el", "name": "KTP elektronik"},
                      {"key": "kk", "name": "Kartu Keluarga"}]}]})


class PublicUnitView(BaseModel):
    agency: str
    unit: str
    name: str
    population: int | None
    services: list[PublicService]
    survey_path: str
    """The public survey's address on this site (no sign-in)."""
    updated_at: datetime

    @classmethod
    def of(cls, unit: PublicUnit) -> PublicUnitView:
        return cls(agency=unit.agency, unit=unit.unit, name=unit.name,
                   population=unit.population, services=list(unit.services),
                   survey_path=f"/publik/survei/{unit.agency}/{unit.unit}",
                   updated_at=unit.updated_at)


class ElementView(BaseModel):
    element: Element
    answers: int
    nrr: Decimal | None
    nrr_weighted: Decimal | None


class ResultsView(BaseModel):
    """A unit's survey in one period: NRR per element, IKM, its category, and the
    respondents against the guideline's minimum sample."""

    agency: str
    unit: str
    period: str
    respondents: int
    population: int | None
    minimum_sample: int | None
    sample_too_small: bool
    ikm: Decimal | None
    category: Category | None
    elements: list[ElementView]

    @classmethod
    def of(cls, results: UnitResults) -> ResultsView:
        r = results.result
        return cls(agency=results.unit.agency, unit=results.unit.unit, period=results.period,
                   respondents=r.respondents, population=r.population,
                   minimum_sample=r.minimum_sample, sample_too_small=r.sample_too_small,
                   ikm=r.ikm, category=r.category,
                   elements=[ElementView(element=e.element, answers=e.answers, nrr=e.nrr,
                                         nrr_weighted=e.weighted) for e in r.elements])


@router.put("/agencies/{agency}/public-units/{unit}",
            summary="Define a unit that serves the public")
async def put_public_unit(request: Request, actor: CurrentActor, agency: AgencyId,
                          unit: UnitId, body: PublicUnitBody) -> PublicUnitView:
    """HR of the agency: create or change the unit; the same body again changes nothing."""
    defined = await _service(request).define_unit(actor, agency, unit, body.name,
                                                  body.services, body.population)
    return PublicUnitView.of(defined)


@router.get("/agencies/{agency}/public-units", summary="The units that serve the public")
async def get_public_units(request: Request, actor: CurrentActor, agency: AgencyId
                           ) -> list[PublicUnitView]:
    return [PublicUnitView.of(u) for u in await _service(request).units(agency)]


@router.get("/agencies/{agency}/public-units/{unit}/survey",
            summary="Survey results of every period (the trend)")
async def get_survey_trend(request: Request, actor: CurrentActor, agency: AgencyId,
                           unit: UnitId) -> list[ResultsView]:
    """HR and inspectors of the agency, and the unit's head."""
    return [ResultsView.of(r) for r in await _service(request).trend(actor, agency, unit)]


@router.get("/agencies/{agency}/public-units/{unit}/survey/{period}.csv",
            summary="Survey results of one period (CSV)",
            responses={200: {"content": {"text/csv": {}}}})
async def get_survey_results_csv(request: Request, actor: CurrentActor, agency: AgencyId,
                                 unit: UnitId, period: Annotated[str, Path(
                                     pattern=PERIOD_PATTERN)]) -> Response:
    results = await _service(request).results(actor, agency, unit, period)
    return Response(results_csv(results), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="skm-{unit}-{period}.csv"'})


@router.get("/agencies/{agency}/public-units/{unit}/survey/{period}",
            summary="Survey results of one period")
async def get_survey_results(request: Request, actor: CurrentActor, agency: AgencyId,
                             unit: UnitId, period: PeriodId) -> ResultsView:
    return ResultsView.of(await _service(request).results(actor, agency, unit, period))


# --------------------------------------------------------------------------- complaints

CodeId = Annotated[str, Path(pattern=CODE_PATTERN, description="e.g. PGD-ABCD-EFGH")]


def _complaints(request: Request) -> ComplaintService:
    service: ComplaintService = request.app.state.kinerja.complaints
    return service


class ComplaintForUnitView(BaseModel):
    """A complaint as the unit sees it: with the contact (unless erased) and whether it
    is late."""

    code: str
    unit: str
    kind: str
    service: str | None
    text: str
    filed_at: datetime
    deadline: datetime
    status: str
    late: bool
    answer: str | None
    answered_at: datetime | None
    response_seconds: int | None
    contact: str | None
    contact_erased: bool
    hidden: bool
    """Hidden from public view by moderation."""
    reminded_at: datetime | None
    escalated_at: datetime | None
    """Unanswered at its deadline: escalated to the unit's head (``escalated_to``)."""
    escalated_to: str | None
    photo_sha256: str | None = None
    """The SHA-256 of the complaint's photo (``GET .../photo``), as its filing event names it."""
    photo_erased: bool = False

    @classmethod
    def of(cls, view: ComplaintView, contact: str | None = None,
           erased: bool = False, photo_erased: bool = False) -> ComplaintForUnitView:
        return cls(code=view.code, unit=view.unit, kind=view.kind.value, service=view.service,
                   text=view.text, filed_at=view.filed_at, deadline=view.deadline,
                   status=view.status.value, late=view.late(datetime.now(UTC)),
                   answer=view.answer, answered_at=view.answered_at,
                   response_seconds=view.response_seconds, contact=contact,
                   contact_erased=erased, hidden=view.hidden, reminded_at=view.reminded_at,
                   escalated_at=view.escalated_at, escalated_to=view.escalated_to,
                   photo_sha256=view.photo_sha256, photo_erased=photo_erased)


class AnswerBody(BaseModel):
    text: Annotated[str, Field(min_length=1, max_length=COMPLAINT_POLICY.answer_max), Clean]
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"text": "Terima kasih. Antrean kini dibuka pukul 07.30."}]})


@router.get("/agencies/{agency}/public-units/{unit}/complaints",
            summary="Complaints and suggestions about a unit (the unit's head, HR)")
async def get_complaints(request: Request, actor: CurrentActor, agency: AgencyId,
                         unit: UnitId) -> list[ComplaintForUnitView]:
    return [ComplaintForUnitView.of(c.view, c.contact, c.contact_erased,
                                    c.photo is not None and c.photo.erased)
            for c in await _complaints(request).list(actor, agency, unit)]


@router.post("/agencies/{agency}/complaints/{code}/answer",
             summary="Answer a complaint (once; the complainant reads it with the code)")
async def post_complaint_answer(request: Request, actor: CurrentActor, agency: AgencyId,
                                code: CodeId, body: AnswerBody) -> ComplaintForUnitView:
    return ComplaintForUnitView.of(
        await _complaints(request).answer(actor, agency, code, body.text))


class HideBody(BaseModel):
    reason: Annotated[str, Field(min_length=1, max_length=500), Clean]
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"reason": "Berisi kata-kata kasar dan data pribadi orang lain."}]})


@router.post("/agencies/{agency}/complaints/{code}/hide",
             summary="Hide a complaint's text from public view (HR; an event, nothing deleted)")
async def post_complaint_hide(request: Request, actor: CurrentActor, agency: AgencyId,
                              code: CodeId, body: HideBody) -> ComplaintForUnitView:
    return ComplaintForUnitView.of(
        await _complaints(request).hide(actor, agency, code, body.reason))


@router.delete("/agencies/{agency}/complaints/{code}/contact", status_code=204,
               summary="Erase the complainant's contact (the complaint's events stay whole)")
async def delete_complaint_contact(request: Request, actor: CurrentActor, agency: AgencyId,
                                   code: CodeId) -> Response:
    await _complaints(request).erase_contact(actor, agency, code)
    return Response(status_code=204)


@router.get("/agencies/{agency}/complaints/{code}/photo",
            summary="The complaint's photo (the unit only; 404 when none or erased)",
            response_class=Response,
            responses={200: {"description": "The photo (JPEG or PNG, by its bytes)",
                             "content": {"image/jpeg": {}, "image/png": {}}}})
async def get_complaint_photo(request: Request, actor: CurrentActor, agency: AgencyId,
                              code: CodeId) -> Response:
    photo = await _complaints(request).photo(actor, agency, code)
    return Response(photo.content, media_type=photo.media_type, headers={
        "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})


@router.delete("/agencies/{agency}/complaints/{code}/photo", status_code=204,
               summary="Erase the complaint's photo (the complaint's events stay whole)")
async def delete_complaint_photo(request: Request, actor: CurrentActor, agency: AgencyId,
                                 code: CodeId) -> Response:
    await _complaints(request).erase_photo(actor, agency, code)
    return Response(status_code=204)
