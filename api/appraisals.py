"""Routes of one appraisal's life, for employees, appraisers, superiors and HR.

Every command route does the same three things: find the appraisal in the
read model (404 when unknown *or* out of the caller's scope), check the
domain's authorization for the action (403), then send one update to the
workflow, whose validator gives the phase rules (409) and content rules (422).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request

from activities.messages import CommandResult, workflow_id
from api import examples as ex
from api.access import record_read
from api.auth import CurrentActor
from api.edge import INT4_MAX, INT8_MAX
from api.examples import example
from api.gateway import CommandGateway
from api.problems import Problem, not_found
from api.schemas import (
    AppraisalSummaryView,
    AppraisalView,
    CancelBody,
    CommandResponse,
    DecisionBody,
    ExtendDeadlineBody,
    GiveExplanationBody,
    IdempotencyKey,
    ObjectionBody,
    OpenAppraisalBody,
    ReasonBody,
    ReleaseBody,
    RequestExplanationsBody,
    SetTargetsBody,
    TrailEvent,
)
from domain.appraisal import (
    COMMAND_ACTION,
    TERMINAL_PHASES,
    AcceptResult,
    AppraisalState,
    ApproveTargets,
    CancelAppraisal,
    Command,
    CommandRefused,
    DecideObjection,
    DraftTargets,
    ExtendDeadline,
    FileObjection,
    GiveExplanation,
    GiveFeedback,
    LogActivity,
    OpenAppraisal,
    Phase,
    ReleaseResult,
    ReportProgress,
    RequestExplanations,
    ReturnTargets,
    SetTargets,
    SubmitReview,
    SubmitSelfAssessment,
    SubmitTargets,
    decide,
)
from domain.authorization import Actor, Parties, may, may_read, read_scope
from domain.policy import POLICIES, default_calendar
from domain.skp import DailyActivity, Feedback, ProgressReport, Ratings, SelfAssessment, Skp
from store.appraisals import AppraisalReadModel, AppraisalSummary
from store.event_log import EventLog

router = APIRouter(prefix="/v1", tags=["appraisals"])



# Bodies with the examples the OpenAPI document shows.
SkpIn = Annotated[Skp, Body(openapi_examples=example(ex.SKP))]
SetTargetsBodyIn = Annotated[SetTargetsBody, Body(openapi_examples=example(ex.SET_TARGETS))]
ProgressReportIn = Annotated[ProgressReport, Body(openapi_examples=example(ex.PROGRESS))]
DailyActivityIn = Annotated[DailyActivity, Body(openapi_examples=example(ex.ACTIVITY))]
FeedbackIn = Annotated[Feedback, Body(openapi_examples=example(ex.FEEDBACK))]
SelfAssessmentIn = Annotated[SelfAssessment, Body(openapi_examples=example(ex.SELF_ASSESSMENT))]
RatingsIn = Annotated[Ratings, Body(openapi_examples=example(ex.REVIEW))]
ExtendDeadlineBodyIn = Annotated[ExtendDeadlineBody, Body(openapi_examples=example(ex.EXTEND))]
CancelBodyIn = Annotated[CancelBody, Body(openapi_examples=example(ex.CANCEL))]


def _read_model(request: Request) -> AppraisalReadModel:
    return request.app.state.read_model  # type: ignore[no-any-return]


def _gateway(request: Request) -> CommandGateway:
    return request.app.state.gateway  # type: ignore[no-any-return]


async def _visible(request: Request, appraisal_id: str, actor: Actor) -> AppraisalSummary:
    summary = await _read_model(request).summary(appraisal_id)
    if summary is None or not may_read(actor, summary.parties):
        raise not_found()
    return summary


def _appraisal_read(what: str) -> Any:
    """A dependency: the appraisal the caller may read (404 otherwise), its read recorded
    in the agency's access stream when it is to be (api.access, domain.access)."""

    async def read(request: Request, appraisal_id: str, actor: CurrentActor
                   ) -> AppraisalSummary:
        summary = await _visible(request, appraisal_id, actor)
        await record_read(request, actor, summary.parties.agency, what, personal=True,
                          own=summary.parties.employee == actor.subject,
                          appraisal_id=appraisal_id)
        return summary

    return Depends(read)


async def _command(request: Request, appraisal_id: str, actor: Actor, command: Command,
                   idempotency_key: str | None) -> CommandResponse:
    summary = await _read_model(request).summary(appraisal_id)
    if summary is None:
        raise not_found()
    if not may(actor, COMMAND_ACTION[command.kind], summary.parties):
        if not may_read(actor, summary.parties):  # a peer may give feedback, not read
            raise not_found()
        raise Problem(403, "forbidden", "Not allowed",
                      f"you may not {command.kind.replace('_', ' ')} on this appraisal")
    gateway = _gateway(request)
    if summary.phase in TERMINAL_PHASES:  # its workflow has ended; the domain's answer,
        # unless this is the repeat of a request that was applied (its first result)
        first = await gateway.first_result(appraisal_id, idempotency_key, actor)
        if first is not None:
            return await _response(request, first)
        raise Problem(409, "command-phase", "Command refused",
                      f"the appraisal is {summary.phase.value}; nothing changes it")
    result = await gateway.send(appraisal_id, command, actor, idempotency_key)
    return await _response(request, result)


async def _response(request: Request, result: CommandResult) -> CommandResponse:
    """The command's events and the state after them (from the read model, which the
    workflow wrote in the same transaction as the events, before answering)."""
    stored = await _read_model(request).view(result.appraisal_id)
    if stored is None:  # pragma: no cover - written before the update completes
        raise not_found()
    return CommandResponse(events=result.events, appraisal=AppraisalView.of_stored(stored))


def _summary_view(summary: AppraisalSummary) -> AppraisalSummaryView:
    return AppraisalSummaryView(
        id=summary.appraisal_id, cycle_id=summary.cycle_id, parties=summary.parties,
        phase=summary.phase, predikat=summary.predikat,
        next_deadline=summary.next_deadline_kind, next_deadline_at=summary.next_deadline_at,
        version=summary.version, updated_at=summary.updated_at)


# --------------------------------------------------------------------------- reads


@router.get("/me/appraisals", tags=["employee"], summary="My appraisals")
async def my_appraisals(request: Request, actor: CurrentActor) -> list[AppraisalSummaryView]:
    if actor.agency is None:  # keys are numbered per agency: no agency, no "me"
        return []
    rows = await _read_model(request).list(read_scope(actor), employee=actor.subject,
                                           agency=actor.agency)
    return [_summary_view(r) for r in rows]


@router.get("/appraisals", summary="Appraisals in your scope",
            description="Employees see their own; appraisers their team (`role=appraiser`); "
                        "superiors their reports' reports (`role=superior`, e.g. with "
                        "`phase=objection_review` for objections waiting for you); HR their "
                        "agency; inspectors their scope.")
async def list_appraisals(
    request: Request,
    actor: CurrentActor,
    cycle: Annotated[str | None, Query(max_length=100)] = None,
    unit: Annotated[str | None, Query(max_length=64)] = None,
    phase: Phase | None = None,
    role: Annotated[str | None, Query(pattern="^(employee|appraiser|superior)$",
                                      description="only those where you are this party")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=INT8_MAX)] = 0,
) -> list[AppraisalSummaryView]:
    mine: dict[str, str | None] = {role: actor.subject, "agency": actor.agency} if role else {}
    rows = await _read_model(request).list(read_scope(actor), cycle_id=cycle, unit=unit,
                                           phase=phase, limit=limit, offset=offset, **mine)
    by_agency: dict[str, list[str]] = {}
    for row in rows:
        by_agency.setdefault(row.parties.agency, []).append(row.appraisal_id)
    for agency, ids in sorted(by_agency.items()):  # an inspector's list, per agency
        await record_read(request, actor, agency, "appraisal-list", appraisal_ids=ids)
    return [_summary_view(r) for r in rows]


@router.get("/appraisals/{appraisal_id}", summary="An appraisal's current state")
async def get_appraisal(
    request: Request, appraisal_id: str,
    _read: Annotated[AppraisalSummary, _appraisal_read("appraisal")],
) -> AppraisalView:
    stored = await _read_model(request).view(appraisal_id)
    if stored is None:  # pragma: no cover - the summary and the state are one row
        raise not_found()
    return AppraisalView.of_stored(stored)


@router.get("/appraisals/{appraisal_id}/events", summary="The appraisal's event trail")
async def get_events(request: Request, appraisal_id: str,
                     _read: Annotated[AppraisalSummary, _appraisal_read("appraisal-events")],
                     from_version: Annotated[int, Query(ge=1, le=INT4_MAX)] = 1
                     ) -> list[TrailEvent]:
    event_log: EventLog = request.app.state.event_log
    events = await event_log.read_stream(appraisal_id, from_version=from_version)
    return [TrailEvent.of(e) for e in events]


# --------------------------------------------------------------------------- HR: open


@router.post("/appraisals", tags=["hr"], status_code=201, summary="Open one appraisal")
async def open_appraisal(request: Request, body: OpenAppraisalBody, actor: CurrentActor,
                         idempotency_key: IdempotencyKey = None) -> CommandResponse:
    policy = POLICIES[body.policy]
    calendar = default_calendar(body.year, policy, body.utc_offset_hours).model_copy(
        update=body.calendar.model_dump(exclude_none=True))
    cycle_id = f"{body.agency}-{body.year}"
    command = OpenAppraisal(
        appraisal_id=workflow_id(cycle_id, body.employee), cycle_id=cycle_id,
        parties=Parties(agency=body.agency, unit=body.unit, employee=body.employee,
                        appraiser=body.appraiser, superior=body.superior),
        policy=policy, calendar=calendar, position_kind=body.position_kind,
        functional_level=body.functional_level, is_unit_leader=body.is_unit_leader,
    )
    try:  # refuse early what the workflow would refuse, without starting one
        decide(AppraisalState(), command, actor=actor, at=datetime.now(UTC))
    except CommandRefused as refused:
        status = 403 if refused.code == "forbidden" else 422
        raise Problem(status, f"command-{refused.code}", "Command refused",
                      refused.reason) from None
    result = await _gateway(request).open(command, actor, idempotency_key)
    return await _response(request, result)


# --------------------------------------------------------------------------- targets


@router.put("/appraisals/{appraisal_id}/targets", tags=["employee"],
            summary="Save the SKP draft")
async def draft_targets(request: Request, appraisal_id: str, skp: SkpIn,
                        actor: CurrentActor,
                        idempotency_key: IdempotencyKey = None) -> CommandResponse:
    return await _command(request, appraisal_id, actor, DraftTargets(skp=skp), idempotency_key)


@router.post("/appraisals/{appraisal_id}/targets/submit", tags=["employee"],
             summary="Submit the SKP to the appraiser")
async def submit_targets(request: Request, appraisal_id: str, actor: CurrentActor,
                         idempotency_key: IdempotencyKey = None) -> CommandResponse:
    return await _command(request, appraisal_id, actor, SubmitTargets(), idempotency_key)


@router.post("/appraisals/{appraisal_id}/targets/return", tags=["appraiser"],
             summary="Return the SKP with a reason")
async def return_targets(request: Request, appraisal_id: str, body: ReasonBody,
                         actor: CurrentActor, idempotency_key: IdempotencyKey = None
                         ) -> CommandResponse:
    return await _command(request, appraisal_id, actor, ReturnTargets(reason=body.reason),
                          idempotency_key)


@router.post("/appraisals/{appraisal_id}/targets/approve", tags=["appraiser"],
             summary="Approve the SKP")
async def approve_targets(request: Request, appraisal_id: str, actor: CurrentActor,
                          idempotency_key: IdempotencyKey = None) -> CommandResponse:
    return await _command(request, appraisal_id, actor, ApproveTargets(), idempotency_key)


@router.put("/appraisals/{appraisal_id}/targets/set", tags=["hr"],
            summary="Set the SKP after its deadline passed unapproved")
async def set_targets(request: Request, appraisal_id: str, body: SetTargetsBodyIn,
                      actor: CurrentActor, idempotency_key: IdempotencyKey = None
                      ) -> CommandResponse:
    return await _command(request, appraisal_id, actor,
                          SetTargets(skp=body.skp, reason=body.reason), idempotency_key)


# --------------------------------------------------------------------------- self-report


@router.post("/appraisals/{appraisal_id}/progress", tags=["employee"],
             summary="Report periodic progress with evidence")
async def report_progress(request: Request, appraisal_id: str, report: ProgressReportIn,
                          actor: CurrentActor, idempotency_key: IdempotencyKey = None
                          ) -> CommandResponse:
    return await _command(request, appraisal_id, actor, ReportProgress(report=report),
                          idempotency_key)


@router.post("/appraisals/{appraisal_id}/activities", tags=["employee"],
             summary="Log a daily activity")
async def log_activity(request: Request, appraisal_id: str, activity: DailyActivityIn,
                       actor: CurrentActor, idempotency_key: IdempotencyKey = None
                       ) -> CommandResponse:
    return await _command(request, appraisal_id, actor, LogActivity(activity=activity),
                          idempotency_key)


@router.post("/appraisals/{appraisal_id}/feedback", tags=["appraiser"],
             summary="Give feedback (appraiser or peer)")
async def give_feedback(request: Request, appraisal_id: str, feedback: FeedbackIn,
                        actor: CurrentActor, idempotency_key: IdempotencyKey = None
                        ) -> CommandResponse:
    return await _command(request, appraisal_id, actor, GiveFeedback(feedback=feedback),
                          idempotency_key)


@router.post("/appraisals/{appraisal_id}/self-assessment", tags=["employee"],
             summary="Submit the annual self-assessment")
async def submit_self_assessment(request: Request, appraisal_id: str,
                                 assessment: SelfAssessmentIn,
                                 actor: CurrentActor,
                                 idempotency_key: IdempotencyKey = None) -> CommandResponse:
    return await _command(request, appraisal_id, actor,
                          SubmitSelfAssessment(assessment=assessment), idempotency_key)


# --------------------------------------------------------------------------- review, release


@router.post("/appraisals/{appraisal_id}/review", tags=["appraiser"],
             summary="Submit (or, while held for calibration, revise) the review")
async def submit_review(request: Request, appraisal_id: str, ratings: RatingsIn,
                        actor: CurrentActor, idempotency_key: IdempotencyKey = None
                        ) -> CommandResponse:
    return await _command(request, appraisal_id, actor, SubmitReview(ratings=ratings),
                          idempotency_key)


@router.post("/appraisals/{appraisal_id}/release", tags=["hr"],
             summary="Release the result: the objection window opens")
async def release(request: Request, appraisal_id: str, actor: CurrentActor,
                  body: ReleaseBody | None = None, idempotency_key: IdempotencyKey = None
                  ) -> CommandResponse:
    reason = body.exception_reason if body else None
    return await _command(request, appraisal_id, actor,
                          ReleaseResult(exception_reason=reason), idempotency_key)


@router.post("/appraisals/{appraisal_id}/accept", tags=["employee"],
             summary="Accept the result without objection: it becomes final now")
async def accept(request: Request, appraisal_id: str, actor: CurrentActor,
                 idempotency_key: IdempotencyKey = None) -> CommandResponse:
    return await _command(request, appraisal_id, actor, AcceptResult(), idempotency_key)


# --------------------------------------------------------------------------- objection


@router.post("/appraisals/{appraisal_id}/objection", tags=["employee"],
             summary="Object to the result, with reasons, within the window")
async def file_objection(request: Request, appraisal_id: str, body: ObjectionBody,
                         actor: CurrentActor, idempotency_key: IdempotencyKey = None
                         ) -> CommandResponse:
    return await _command(request, appraisal_id, actor, FileObjection(reasons=body.reasons),
                          idempotency_key)


@router.post("/appraisals/{appraisal_id}/objection/explanations", tags=["superior"],
             summary="The superior asks for explanations; the appraiser and employee answer")
async def explanations(
    request: Request, appraisal_id: str, actor: CurrentActor,
    body: Annotated[RequestExplanationsBody | GiveExplanationBody, Body(openapi_examples={
        "superior asks": {"value": {"parties": ["appraiser", "employee"],
                                    "questions": "Jelaskan dasar penilaian RHK 1."}},
        "party answers": {"value": {"text": "Bukti dukung terlampir pada laporan Maret."}},
    })],
    idempotency_key: IdempotencyKey = None,
) -> CommandResponse:
    command: Command
    if isinstance(body, RequestExplanationsBody):
        command = RequestExplanations(parties=frozenset(body.parties), questions=body.questions)
    else:
        command = GiveExplanation(text=body.text)
    return await _command(request, appraisal_id, actor, command, idempotency_key)


@router.post("/appraisals/{appraisal_id}/objection/decision", tags=["superior"],
             summary="Decide the objection: uphold or change; final")
async def decide_objection(request: Request, appraisal_id: str, body: DecisionBody,
                           actor: CurrentActor, idempotency_key: IdempotencyKey = None
                           ) -> CommandResponse:
    command = DecideObjection(**body.model_dump())
    return await _command(request, appraisal_id, actor, command, idempotency_key)


# --------------------------------------------------------------------------- HR


@router.post("/appraisals/{appraisal_id}/deadlines", tags=["hr"], summary="Extend a deadline")
async def extend_deadline(request: Request, appraisal_id: str, body: ExtendDeadlineBodyIn,
                          actor: CurrentActor, idempotency_key: IdempotencyKey = None
                          ) -> CommandResponse:
    return await _command(request, appraisal_id, actor, ExtendDeadline(**body.model_dump()),
                          idempotency_key)


@router.post("/appraisals/{appraisal_id}/cancel", tags=["hr"],
             summary="Cancel (transfer, retirement) with a reason")
async def cancel(request: Request, appraisal_id: str, body: CancelBodyIn,
                 actor: CurrentActor,
                 idempotency_key: IdempotencyKey = None) -> CommandResponse:
    return await _command(request, appraisal_id, actor, CancelAppraisal(**body.model_dump()),
                          idempotency_key)
