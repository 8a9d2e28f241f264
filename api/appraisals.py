"""Routes of one appraisal's life, for employees, appraisers, superiors and HR.

Every command route turns its body into the domain's command and hands it to
the use case (:class:`services.appraisals.AppraisalService`): 404 when the
appraisal is unknown *or* out of the caller's scope, 403 when the domain's
authorization says no, 409 for the phase rules and 422 for the content rules.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import Response

from api import examples as ex
from api.access import record_read
from api.auth import CurrentActor
from api.deps import kinerja
from api.edge import INT4_MAX, INT8_MAX
from api.examples import example
from api.problems import not_found
from api.schemas import (
    AppraisalSummaryView,
    AppraisalView,
    CancelBody,
    CommandResponse,
    DecisionBody,
    ExtendDeadlineBody,
    ExtendPeriodDeadlineBody,
    GiveExplanationBody,
    IdempotencyKey,
    ObjectionBody,
    OpenAppraisalBody,
    PeriodReviewBody,
    ReasonBody,
    ReleaseBody,
    RequestExplanationsBody,
    SetTargetsBody,
    TrailEvent,
)
from domain.appraisal import (
    AcceptResult,
    ApproveTargets,
    CancelAppraisal,
    Command,
    DecideObjection,
    DraftTargets,
    ExtendDeadline,
    ExtendPeriodDeadline,
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
    ReviewPeriod,
    SetTargets,
    SubmitReview,
    SubmitSelfAssessment,
    SubmitTargets,
)
from domain.authorization import Actor, Parties
from domain.documents import DocumentKind
from domain.policy import POLICIES, default_calendar
from domain.skp import DailyActivity, Feedback, ProgressReport, Ratings, SelfAssessment, Skp
from services.appraisals import AppraisalService, CommandOutcome
from store.appraisals import AppraisalSummary
from workflows.appraisal.contract import workflow_id

router = APIRouter(prefix="/v1", tags=["appraisals"])



# Bodies with the examples the OpenAPI document shows.
SkpIn = Annotated[Skp, Body(openapi_examples=example(ex.SKP))]
SetTargetsBodyIn = Annotated[SetTargetsBody, Body(openapi_examples=example(ex.SET_TARGETS))]
ProgressReportIn = Annotated[ProgressReport, Body(openapi_examples=example(ex.PROGRESS))]
DailyActivityIn = Annotated[DailyActivity, Body(openapi_examples=example(ex.ACTIVITY))]
FeedbackIn = Annotated[Feedback, Body(openapi_examples=example(ex.FEEDBACK))]
SelfAssessmentIn = Annotated[SelfAssessment, Body(openapi_examples=example(ex.SELF_ASSESSMENT))]
RatingsIn = Annotated[Ratings, Body(openapi_examples=example(ex.REVIEW))]
PeriodReviewIn = Annotated[PeriodReviewBody,
                           Body(openapi_examples=example(ex.PERIOD_REVIEW))]
ExtendDeadlineBodyIn = Annotated[ExtendDeadlineBody, Body(openapi_examples=example(ex.EXTEND))]
ExtendPeriodDeadlineBodyIn = Annotated[ExtendPeriodDeadlineBody,
                                       Body(openapi_examples=example(ex.EXTEND_PERIOD))]
CancelBodyIn = Annotated[CancelBody, Body(openapi_examples=example(ex.CANCEL))]


def _service(request: Request) -> AppraisalService:
    return kinerja(request).appraisals


def _appraisal_read(what: str) -> Any:
    """A dependency: the appraisal the caller may read (404 otherwise), its read recorded
    in the agency's access stream when it is to be (api.access, domain.access)."""

    async def read(request: Request, appraisal_id: str, actor: CurrentActor
                   ) -> AppraisalSummary:
        return await _read_recorded(request, appraisal_id, actor, what)

    return Depends(read)


async def _read_recorded(request: Request, appraisal_id: str, actor: Actor, what: str
                         ) -> AppraisalSummary:
    summary = await _service(request).visible(actor, appraisal_id)
    await record_read(request, actor, summary.parties.agency, what, personal=True,
                      own=actor.is_person(summary.parties.agency, summary.parties.employee),
                      appraisal_id=appraisal_id)
    return summary


async def _command(request: Request, appraisal_id: str, actor: Actor, command: Command,
                   idempotency_key: str | None) -> CommandResponse:
    outcome = await _service(request).command(actor, appraisal_id, command, idempotency_key)
    return _response(outcome)


def _response(outcome: CommandOutcome) -> CommandResponse:
    """The command's events and the state after them."""
    return CommandResponse(events=outcome.events,
                           appraisal=AppraisalView.of_stored(outcome.state))


def _summary_view(summary: AppraisalSummary) -> AppraisalSummaryView:
    return AppraisalSummaryView(
        id=summary.appraisal_id, cycle_id=summary.cycle_id, parties=summary.parties,
        phase=summary.phase, predikat=summary.predikat,
        next_deadline=summary.next_deadline_kind, next_deadline_at=summary.next_deadline_at,
        version=summary.version, updated_at=summary.updated_at)


# --------------------------------------------------------------------------- reads


@router.get("/me/appraisals", tags=["employee"], summary="My appraisals")
async def my_appraisals(request: Request, actor: CurrentActor) -> list[AppraisalSummaryView]:
    return [_summary_view(r) for r in await _service(request).mine(actor)]


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
    rows = await _service(request).list(actor, cycle=cycle, unit=unit, phase=phase, role=role,
                                        limit=limit, offset=offset)
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
    stored = await kinerja(request).read_model.view(appraisal_id)
    if stored is None:  # pragma: no cover - the summary and the state are one row
        raise not_found()
    return AppraisalView.of_stored(stored)


@router.get("/appraisals/{appraisal_id}/events", summary="The appraisal's event trail")
async def get_events(request: Request, appraisal_id: str, actor: CurrentActor,
                     from_version: Annotated[int, Query(ge=1, le=INT4_MAX)] = 1
                     ) -> list[TrailEvent]:
    # Read and recorded here, not in a dependency: a query that breaks its bounds is a
    # 422 before anything is looked up (dependencies run before the query is checked).
    await _read_recorded(request, appraisal_id, actor, "appraisal-events")
    events = await _service(request).events(actor, appraisal_id, from_version)
    return [TrailEvent.of(e) for e in events]


@router.get("/appraisals/{appraisal_id}/documents/{kind}.pdf",
            summary="A document of the appraisal as PDF (skp, evaluasi, keberatan)",
            response_class=Response,
            responses={200: {"content": {"application/pdf": {}},
                             "description": "The PDF; the same log gives the same bytes"},
                       409: {"description": "The document does not exist yet"}})
async def get_document(request: Request, appraisal_id: str, kind: DocumentKind,
                       actor: CurrentActor) -> Response:
    """The SKP (after approval), the evaluation document (provisional from the release,
    final once the appraisal is) or the objection decision; its footer and QR code carry
    the code ``kinerja verify-document`` and ``/verifikasi`` check (docs/documents.md).
    Only the parties, HR in scope and inspectors get one (404 for anyone else)."""
    await _read_recorded(request, appraisal_id, actor, f"document-{kind.value}")
    document = await kinerja(request).documents.document(actor, appraisal_id, kind)
    return Response(document.pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{document.filename}"',
        "X-Document-Version": str(document.version),
        "X-Document-SHA256": document.sha256,
        "Cache-Control": "private, no-store",
    })


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
    return _response(await _service(request).open(actor, command, idempotency_key))


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


@router.post("/appraisals/{appraisal_id}/periods", tags=["appraiser"],
             summary="Give a periodic review (penilaian kinerja periodik) of an ended period")
async def review_period(request: Request, appraisal_id: str, body: PeriodReviewIn,
                        actor: CurrentActor, idempotency_key: IdempotencyKey = None
                        ) -> CommandResponse:
    command = ReviewPeriod(period=body.period, ratings=body.ratings, feedback=body.feedback)
    return await _command(request, appraisal_id, actor, command, idempotency_key)


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


@router.post("/appraisals/{appraisal_id}/periods/{period}/deadline", tags=["hr"],
             summary="Move a period's review deadline to a later day, with a reason")
async def extend_period_deadline(
        request: Request, appraisal_id: str,
        period: Annotated[int, Path(ge=1, le=12, description="the period of the cycle year")],
        body: ExtendPeriodDeadlineBodyIn, actor: CurrentActor,
        idempotency_key: IdempotencyKey = None) -> CommandResponse:
    command = ExtendPeriodDeadline(period=period, due=body.due, reason=body.reason)
    return await _command(request, appraisal_id, actor, command, idempotency_key)


@router.post("/appraisals/{appraisal_id}/cancel", tags=["hr"],
             summary="Cancel (transfer, retirement) with a reason")
async def cancel(request: Request, appraisal_id: str, body: CancelBodyIn,
                 actor: CurrentActor,
                 idempotency_key: IdempotencyKey = None) -> CommandResponse:
    return await _command(request, appraisal_id, actor, CancelAppraisal(**body.model_dump()),
                          idempotency_key)
