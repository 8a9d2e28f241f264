"""The indicator-health report as a page (the periodic review of indicators): HR at
``/sdm/indikator``, inspectors at ``/inspeksi/indikator``. Per cycle or across every
year, for the agency or one unit: how many met, exceeded or missed each indicator, the
ones to review as too hard or too easy, the appraisals behind each (linked), a chart
with its table, and CSV/XLSX of what is shown. The use case is
:class:`services.indicator_health.IndicatorHealthService`, the rule
:mod:`domain.indicator_health`. Nothing here changes state: the form is a GET."""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from api.access import record_read
from domain.authorization import Role
from domain.indicator_health import INDICATOR_HEALTH, Flag, IndicatorHealth, Outcome
from domain.spreadsheet import row as spreadsheet_row
from services.errors import Forbidden, NotFound
from services.indicator_health import IndicatorHealthReport, IndicatorHealthService
from web.charts import Segment, Stack, stacked_bar_chart
from web.hr import XLSX, agency_of, download, xlsx
from web.pages import N_, PageNotFound, _session, language_of, render, web
from web.session import Session

router = APIRouter(include_in_schema=False)

CHARTED = 20
"""The most indicators the chart draws (flagged and most missed first); the table and
the exports have every one."""

APPRAISALS_SHOWN = 50
"""The most appraisals listed under one indicator on the page (the exports count all)."""

OUTCOME_NAMES = {Outcome.EXCEEDED: N_("Exceeded"), Outcome.MET: N_("Met"),
                 Outcome.MISSED: N_("Missed")}
FLAG_NAMES = {Flag.TOO_HARD: N_("Too hard?"), Flag.TOO_EASY: N_("Too easy?")}


def _service(request: Request) -> IndicatorHealthService:
    service: IndicatorHealthService = request.app.state.kinerja.indicator_health
    return service


def _reader(request: Request, role: Role) -> Session:
    """The signed-in HR manager (``/sdm``) or inspector (``/inspeksi``); anyone else sees
    the 404 page."""
    session = _session(request)
    if role.value not in session.roles:
        raise PageNotFound()
    return session


def _text(request: Request, name: str) -> str | None:
    value = request.query_params.get(name, "")[:100]
    return value or None


async def _report(request: Request, role: Role) -> IndicatorHealthReport:
    session = _reader(request, role)
    agency = agency_of(session, _text(request, "instansi"))
    try:
        found = await _service(request).report(
            session.actor, agency, cycle_id=_text(request, "siklus"),
            unit=_text(request, "unit"))
    except (Forbidden, NotFound):
        raise PageNotFound() from None
    await record_read(request, session.actor, agency, "indicator-health", personal=True,
                      cycle_id=found.cycle_id, unit=found.unit)
    return found


def chart(found: IndicatorHealthReport, gettext: Any) -> Markup:
    names = {o: gettext(n) for o, n in OUTCOME_NAMES.items()}
    return stacked_bar_chart("chart-indicators", gettext("Indicators: exceeded, met, missed"), [
        Stack(label=row.wording,
              segments=[Segment(o.value, names[o], row.counts[o]) for o in Outcome],
              note=gettext(FLAG_NAMES[row.flag]) if row.flag else "",
              flagged=row.flag is not None)
        for row in found.rows[:CHARTED]])


def _query(found: IndicatorHealthReport) -> str:
    pairs = [("instansi", found.agency)] + [
        (k, v) for k, v in (("siklus", found.cycle_id), ("unit", found.unit)) if v]
    return "?" + urlencode(pairs)


async def _page(request: Request, role: Role) -> Response:
    found = await _report(request, role)
    gettext = web(request).translations(language_of(request)).gettext
    base = "/sdm/indikator" if role is Role.HR else "/inspeksi/indikator"
    appraisal_page = "/penilaian/" if role is Role.HR else "/inspeksi/penilaian/"
    return render(request, "indicators.html", {
        "r": found, "agency": found.agency, "role": role.value, "base": base,
        "appraisal_page": appraisal_page, "chart": chart(found, gettext),
        "outcomes": list(Outcome), "outcome_names": OUTCOME_NAMES, "flag_names": FLAG_NAMES,
        "rule": INDICATOR_HEALTH, "charted": CHARTED, "shown": APPRAISALS_SHOWN,
        "query": _query(found), "missed": Outcome.MISSED,
        "percent": _percent})


def _percent(row: IndicatorHealth) -> str:
    return f"{row.share(Outcome.MISSED) * 100:.0f}%"


def _name(found: IndicatorHealthReport, extension: str) -> str:
    return "indikator-" + (found.cycle_id or found.agency) \
        + (f"-{found.unit}" if found.unit else "") + f".{extension}"


async def _csv(request: Request, role: Role) -> Response:
    found = await _report(request, role)
    buffer = io.StringIO()
    csv.writer(buffer).writerows(spreadsheet_row(r) for r in found.table())
    return download(buffer.getvalue().encode("utf-8-sig"), "text/csv; charset=utf-8",
                    _name(found, "csv"))


async def _xlsx(request: Request, role: Role) -> Response:
    found = await _report(request, role)
    return download(xlsx({"indikator": found.table()}), XLSX, _name(found, "xlsx"))


@router.get("/sdm/indikator")
async def hr_page(request: Request) -> Response:
    return await _page(request, Role.HR)


@router.get("/sdm/indikator.csv")
async def hr_csv(request: Request) -> Response:
    return await _csv(request, Role.HR)


@router.get("/sdm/indikator.xlsx")
async def hr_xlsx(request: Request) -> Response:
    return await _xlsx(request, Role.HR)


@router.get("/inspeksi/indikator")
async def inspector_page(request: Request) -> Response:
    return await _page(request, Role.INSPECTOR)


@router.get("/inspeksi/indikator.csv")
async def inspector_csv(request: Request) -> Response:
    return await _csv(request, Role.INSPECTOR)


@router.get("/inspeksi/indikator.xlsx")
async def inspector_xlsx(request: Request) -> Response:
    return await _xlsx(request, Role.INSPECTOR)
