"""The indicator-health report over HTTP: JSON and CSV, for HR and inspectors of the
agency (``services.indicator_health``; the rule in ``domain.indicator_health``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from api.access import record_read
from api.auth import CurrentActor
from api.cycles import csv_download
from api.deps import kinerja
from domain.indicator_health import Flag, Outcome
from domain.text import AGENCY_PATTERN
from services.indicator_health import IndicatorHealthReport

router = APIRouter(prefix="/v1", tags=["indicator health"])

Agency = Annotated[str, Path(pattern=AGENCY_PATTERN, max_length=64)]
CycleQuery = Annotated[str | None, Query(max_length=100)]
UnitQuery = Annotated[str | None, Query(max_length=100)]


class AppraisalBehind(BaseModel):
    appraisal_id: str
    employee: str
    unit: str
    year: int
    outcome: Outcome


class IndicatorRow(BaseModel):
    """One indicator wording: how many met, exceeded or missed it, per year too, its flag
    (``too_hard``: most missed; ``too_easy``: all exceeded) and the appraisals behind it."""

    wording: str
    key: str
    employees: int
    exceeded: int
    met: int
    missed: int
    missed_share: Decimal
    flag: Flag | None
    by_year: dict[int, dict[Outcome, int]]
    units: list[str]
    appraisals: list[AppraisalBehind]


class IndicatorHealthView(BaseModel):
    agency: str
    cycle_id: str | None
    unit: str | None
    indicators: list[IndicatorRow]

    @classmethod
    def of(cls, found: IndicatorHealthReport) -> IndicatorHealthView:
        return cls(agency=found.agency, cycle_id=found.cycle_id, unit=found.unit, indicators=[
            IndicatorRow(
                wording=r.wording, key=r.key, employees=r.employees,
                exceeded=r.counts[Outcome.EXCEEDED], met=r.counts[Outcome.MET],
                missed=r.counts[Outcome.MISSED],
                missed_share=r.share(Outcome.MISSED).quantize(Decimal("0.0001")),
                flag=r.flag, by_year=r.by_year, units=list(r.units),
                appraisals=[AppraisalBehind(appraisal_id=a.appraisal_id, employee=a.employee,
                                            unit=a.unit, year=a.year, outcome=a.outcome)
                            for a in r.appraisals])
            for r in found.rows])


async def _report(request: Request, actor: CurrentActor, agency: str, cycle_id: str | None,
                  unit: str | None) -> IndicatorHealthReport:
    found = await kinerja(request).indicator_health.report(
        actor, agency, cycle_id=cycle_id or None, unit=unit or None)
    await record_read(request, actor, agency, "indicator-health", personal=True,
                      cycle_id=found.cycle_id, unit=found.unit)
    return found


@router.get("/agencies/{agency}/indicator-health",
            summary="Indicators met, exceeded or missed; those to review as too hard or easy")
async def get_indicator_health(request: Request, agency: Agency, actor: CurrentActor,
                               cycle_id: CycleQuery = None, unit: UnitQuery = None
                               ) -> IndicatorHealthView:
    """Per cycle (``cycle_id``) or across every year, for the agency or one ``unit``."""
    return IndicatorHealthView.of(await _report(request, actor, agency, cycle_id, unit))


@router.get("/agencies/{agency}/indicator-health.csv", summary="The same report as CSV",
            response_class=StreamingResponse, responses={200: {"content": {"text/csv": {}}}})
async def get_indicator_health_csv(request: Request, agency: Agency, actor: CurrentActor,
                                   cycle_id: CycleQuery = None, unit: UnitQuery = None
                                   ) -> StreamingResponse:
    found = await _report(request, actor, agency, cycle_id, unit)
    return csv_download(found.table(), f"indikator-{found.cycle_id or agency}.csv")
