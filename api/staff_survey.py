"""Routes of the staff's survey of the appraisal system (docs/public-voice.md): an
employee of a closed cycle takes their one-time token and sends their answers with it;
HR reads the figures per agency and unit once the survey has ended.

Sending answers takes no bearer token and reads none: the survey token is the proof of
eligibility, and who sends it is not asked.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import CurrentActor
from domain.staff_survey import GroupResult, Question, StaffAnswer
from services.errors import Conflict
from services.staff_survey import StaffResults, StaffSurveyService, results_csv

router = APIRouter(prefix="/v1", tags=["staff survey"])

CycleId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[a-z0-9][a-z0-9-]*$",
                              description="e.g. pemkot-demo-2026")]


def _service(request: Request) -> StaffSurveyService:
    service: StaffSurveyService = request.app.state.kinerja.staff_survey
    return service


class TokenView(BaseModel):
    token: str
    """Send it with the answers; it is given once and kept nowhere on the server."""
    ends: datetime
    """The survey takes answers until then."""


class AnswersBody(StaffAnswer):
    """The answers (every question, 1 to 5), an optional comment, and the token."""

    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_extra={"examples": [
        {"token": "<the token>", "answers": {"adil": 4, "indikator": 3, "umpan_balik": 2,
                                             "waktu": 3},
         "comment": "Indikator perlu disederhanakan."}]})

    token: Annotated[str, Field(min_length=1, max_length=400)]


class QuestionView(BaseModel):
    question: Question
    mean: Decimal
    agree_percent: int
    distribution: list[int]
    """How many answered 1, 2, 3, 4, 5."""


class GroupView(BaseModel):
    group: str
    respondents: int | None
    """None when hidden."""
    hidden: str | None
    """``too_few`` (under 5) or ``inferable`` (shown, a smaller group could be computed)."""
    questions: list[QuestionView]


class StaffResultsView(BaseModel):
    cycle_id: str
    ends: datetime
    visible: bool
    """False while the survey is open: no figures until it ends."""
    agency: GroupView | None
    units: list[GroupView]
    comments: list[str]


def _group(group: GroupResult) -> GroupView:
    figures = group.figures
    return GroupView(
        group=group.group, respondents=figures.respondents if figures else None,
        hidden=group.hidden.value if group.hidden else None,
        questions=[QuestionView(question=q.question, mean=q.mean,
                                agree_percent=q.agree_percent,
                                distribution=list(q.distribution))
                   for q in (figures.questions if figures else ())])


def _view(found: StaffResults) -> StaffResultsView:
    r = found.results
    return StaffResultsView(
        cycle_id=found.cycle.cycle_id, ends=found.ends, visible=found.visible,
        agency=_group(r.agency) if r else None,
        units=[_group(u) for u in r.units] if r else [],
        comments=list(r.comments) if r else [])


@router.post("/cycles/{cycle_id}/staff-survey/token", status_code=201,
             summary="Take my one-time token for the cycle's staff survey")
async def take_token(request: Request, actor: CurrentActor, cycle_id: CycleId) -> TokenView:
    """An employee of the closed cycle's roster, while the survey is open: the token, once
    (409 when it was given before: it is not kept, so it cannot be given again)."""
    service = _service(request)
    invitation = await service.invitation(actor, cycle_id)
    token = await service.issue(actor, cycle_id)
    if token is None:
        raise Conflict("token_given", "Token already given",
                       "your token for this survey was given before; it is given once")
    return TokenView(token=token.value, ends=invitation.ends)


@router.post("/cycles/{cycle_id}/staff-survey/answers", status_code=204,
             summary="Send the staff survey's answers with a token (anonymous)")
async def send_answers(request: Request, cycle_id: CycleId, body: AnswersBody) -> Response:
    """No sign-in is read. 422 for a token not of this cycle or answers off the scale,
    409 when the token was spent (answered once) or the survey is closed."""
    answer = StaffAnswer(answers=body.answers, comment=body.comment)
    await _service(request).submit(body.token, cycle_id, answer)
    return Response(status_code=204)


@router.get("/cycles/{cycle_id}/staff-survey.csv", summary="The staff survey's figures (CSV)",
            responses={200: {"content": {"text/csv": {}}}})
async def get_results_csv(request: Request, actor: CurrentActor, cycle_id: CycleId
                          ) -> Response:
    found = await _service(request).results(actor, cycle_id)
    return Response(results_csv(found), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="survei-pegawai-{cycle_id}.csv"'})


@router.get("/cycles/{cycle_id}/staff-survey", summary="The staff survey's figures")
async def get_results(request: Request, actor: CurrentActor, cycle_id: CycleId
                      ) -> StaffResultsView:
    """HR of the agency: per agency and unit, none of a group under 5 nor inferable;
    ``visible`` false (no figures) until the survey ends."""
    return _view(await _service(request).results(actor, cycle_id))
