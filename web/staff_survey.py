"""The staff's survey of the appraisal system (issue 15 section 5): the employee's form
after a cycle closes, HR's results per agency and unit.

Anonymity at this door: the form is served to the signed-in employee with their one-time
token (also kept in an HttpOnly cookie for this cycle's path, signed and naming the person
so that only they get it back, so a reload shows the same form: the server keeps no
token). Sending it (``POST``) never reads the session: the
token is the proof of eligibility and the form's CSRF defence (a third site cannot read
it), and the answers are stored with the token's cycle and unit only. Nothing here logs;
the request's one log line (``api.app``) names the path, status and duration, never the
person.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeSerializer
from pydantic import ValidationError

from domain.authorization import Actor
from domain.staff_survey import STAFF_SURVEY, Question, StaffAnswer
from domain.text import first_refused_character
from services.errors import Conflict, Forbidden, Invalid, NotFound
from services.staff_survey import (
    Invitation,
    StaffSurveyService,
    Token,
    results_csv,
)
from web.charts import Bar, bar_chart
from web.pages import N_, PageNotFound, SignInNeeded, language_of, render, web
from web.public import REQUIRED, unfilled_or_refused

router = APIRouter(include_in_schema=False)

COOKIE = "kinerja_staff_survey"
_FIELDS = (*(f"q.{q.value}" for q in STAFF_SURVEY.questions), "comment")

TOO_LONG = N_("This text is too long.")
BAD_TOKEN = N_("This form is not valid for this survey. Open the survey from your own page again.")
ANSWERED = N_("This survey was already answered with your token: it is answered once.")
CLOSED = N_("This survey is closed.")


def _service(request: Request) -> StaffSurveyService:
    service: StaffSurveyService = request.app.state.kinerja.staff_survey
    return service


def _actor(request: Request) -> Actor:
    session = web(request).sessions.of(request)
    if session is None:
        raise SignInNeeded()
    return session.actor


def _path(cycle_id: str) -> str:
    return f"/survei-pegawai/{cycle_id}"


def _cookie(request: Request) -> URLSafeSerializer:
    return URLSafeSerializer(web(request).settings.session_secret,
                             salt="kinerja-staff-survey-cookie")


def _kept(request: Request, actor: Actor) -> str | None:
    """The unspent token this browser keeps for this person (another person signed in on
    the same browser does not get it)."""
    raw = request.cookies.get(COOKIE)
    if not raw or len(raw) > 1000:
        return None
    try:
        kept = _cookie(request).loads(raw)
        if kept["s"] != actor.subject or kept["a"] != actor.agency:
            return None
        return str(kept["t"])
    except (BadSignature, KeyError, TypeError):
        return None


def _form(request: Request, cycle_id: str, token: Token, *,
          values: Mapping[str, str] | None = None, errors: Mapping[str, str] | None = None,
          status: int = 200) -> Response:
    _ = web(request).translations(language_of(request)).gettext
    return render(request, "staff_survey/form.html", {
        "labels": _question_labels(_),
        "cycle_id": cycle_id, "token": token.value, "questions": STAFF_SURVEY.questions,
        "scale": range(STAFF_SURVEY.scale_min, STAFF_SURVEY.scale_max + 1),
        "values": values or {}, "errors": errors or {},
        "comment_max": STAFF_SURVEY.comment_max_length}, status)


def _notice(request: Request, cycle_id: str, message: str, status: int) -> Response:
    return render(request, "staff_survey/notice.html",
                  {"cycle_id": cycle_id, "message": message}, status)


@router.get("/survei-pegawai/{cycle_id}")
async def survey_form(request: Request, cycle_id: str) -> Response:
    """The form with the employee's token: the one in this browser's cookie while it is
    unspent, else a new one if they were never given one."""
    actor = _actor(request)
    service = _service(request)
    try:
        invitation = await service.invitation(actor, cycle_id)
    except NotFound:
        raise PageNotFound() from None
    kept = service.token(_kept(request, actor), cycle_id)
    if kept is not None and not await service.spent(kept):
        return _form(request, cycle_id, kept)
    token = await service.issue(actor, cycle_id) \
        if invitation.status is Invitation.OPEN else None
    if token is None:
        return render(request, "staff_survey/taken.html", {"cycle_id": cycle_id})
    response = _form(request, cycle_id, token)
    response.set_cookie(COOKIE, _cookie(request).dumps(
                            {"s": actor.subject, "a": actor.agency, "t": token.value}),
                        httponly=True, secure=web(request).sessions.secure,
                        samesite="strict", path=_path(cycle_id),
                        max_age=int((invitation.ends - datetime.now(UTC)).total_seconds()))
    return response


def _checked(values: Mapping[str, str]) -> tuple[StaffAnswer | None, dict[str, str]]:
    errors = unfilled_or_refused(values, _FIELDS)
    if errors:
        return None, errors
    comment = values.get("comment", "").strip()
    try:
        return StaffAnswer.model_validate({
            "answers": {q.value: values[f"q.{q.value}"] for q in STAFF_SURVEY.questions},
            "comment": comment or None}), {}
    except ValidationError as refused:
        for error in refused.errors():
            loc = [str(p) for p in error["loc"]]
            name = f"q.{loc[1]}" if loc[:1] == ["answers"] and len(loc) > 1 else "comment"
            errors.setdefault(name, TOO_LONG if error["type"] == "string_too_long"
                              else REQUIRED)
        return None, errors


@router.post("/survei-pegawai/{cycle_id}")
async def survey_submit(request: Request, cycle_id: str) -> Response:
    """Spend the token and store the answers. Reads no session: who sends is not asked."""
    form = await request.form(max_fields=len(_FIELDS) + 4, max_files=0)
    values = {name: str(form.get(name) or "") for name in _FIELDS
              if isinstance(form.get(name) or "", str)}
    service = _service(request)
    token = service.token(form.get("token"), cycle_id)
    if token is None:
        return _notice(request, cycle_id, BAD_TOKEN, 400)
    answer, errors = _checked(values)
    if answer is None:
        shown = {k: v for k, v in values.items() if first_refused_character(v) is None}
        return _form(request, cycle_id, token, values=shown, errors=errors, status=422)
    try:
        await service.submit(token.value, cycle_id, answer)
    except Invalid:
        return _notice(request, cycle_id, BAD_TOKEN, 400)
    except Conflict as refused:
        return _notice(request, cycle_id,
                       ANSWERED if refused.kind == "already_answered" else CLOSED, 409)
    response = RedirectResponse(f"{_path(cycle_id)}/terima-kasih", 303)
    response.delete_cookie(COOKIE, path=_path(cycle_id), httponly=True,
                           secure=web(request).sessions.secure, samesite="strict")
    return response


@router.get("/survei-pegawai/{cycle_id}/terima-kasih")
async def survey_thanks(request: Request, cycle_id: str) -> Response:
    return render(request, "staff_survey/thanks.html", {"cycle_id": cycle_id})


# --------------------------------------------------------------------------- HR


async def _results(request: Request, cycle_id: str) -> Any:
    actor = _actor(request)
    try:
        return await _service(request).results(actor, cycle_id)
    except (NotFound, Forbidden):
        raise PageNotFound() from None


@router.get("/sdm/survei-pegawai/{cycle_id}")
async def results_page(request: Request, cycle_id: str) -> Response:
    """The figures per agency and unit: none of a group under 5, nor inferable."""
    found = await _results(request, cycle_id)
    _ = web(request).translations(language_of(request)).gettext
    chart = None
    if found.results is not None and found.results.agency.figures is not None:
        labels = _question_labels(_)
        chart = bar_chart("staff-survey-chart", _("Share agreeing (4 or 5), per question"),
                          [Bar(labels[q.question], q.agree_percent, key=q.question.value)
                           for q in found.results.agency.figures.questions], unit="%")
    return render(request, "staff_survey/results.html", {
        "found": found, "chart": chart, "labels": _question_labels(_),
        "minimum": STAFF_SURVEY.minimum_group,
        "scale": range(STAFF_SURVEY.scale_min, STAFF_SURVEY.scale_max + 1)})


@router.get("/sdm/survei-pegawai/{cycle_id}/hasil.csv")
async def results_file(request: Request, cycle_id: str) -> Response:
    found = await _results(request, cycle_id)
    return Response(results_csv(found), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="survei-pegawai-{cycle_id}.csv"',
        "Cache-Control": "no-store"})


def _question_labels(_: Any) -> dict[Question, str]:
    return {Question.FAIRNESS: _("My appraisal this year was fair."),
            Question.CLARITY: _("The indicators of my SKP were clear and measurable."),
            Question.FEEDBACK: _("The feedback I received helped me improve my work."),
            Question.TIME: _("The time the appraisal took was reasonable.")}
