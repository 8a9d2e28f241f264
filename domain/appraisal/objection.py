"""The objection: filed, explanations requested and given, decided."""

from __future__ import annotations

from typing import Literal

from domain.appraisal.commands import (
    DecideObjection,
    FileObjection,
    GiveExplanation,
    RequestExplanations,
)
from domain.appraisal.events import (
    AppraisalFinalized,
    Event,
    ExplanationGiven,
    ExplanationsRequested,
    ObjectionDecided,
    ObjectionFiled,
)
from domain.appraisal.registry import (
    Context,
    _policy,
    _require_phase,
    _zone,
    handles,
)
from domain.appraisal.review import _predikat
from domain.appraisal.state import AppraisalState
from domain.appraisal.vocabulary import (
    CommandRefused,
    DeadlineKind,
    Phase,
)
from domain.authorization import Action, Relation
from domain.policy import objection_decision_deadline
from domain.skp import ObjectionDecisionOutcome


@handles(FileObjection, Action.FILE_OBJECTION)
def _file_objection(state: AppraisalState, command: FileObjection, ctx: Context
                    ) -> list[Event]:
    _require_phase(state, Phase.OBJECTION_WINDOW, doing="file an objection")
    deadline = state.deadlines[DeadlineKind.OBJECTION_WINDOW]
    if ctx.at > deadline:
        raise CommandRefused("phase", f"the objection window closed at {deadline.isoformat()}")
    return [ObjectionFiled(at=ctx.at, reasons=command.reasons,
                           decision_deadline=objection_decision_deadline(
                               ctx.at, _policy(state), _zone(state)))]


@handles(RequestExplanations, Action.REQUEST_EXPLANATIONS)
def _request_explanations(state: AppraisalState, command: RequestExplanations, ctx: Context
                          ) -> list[Event]:
    _require_phase(state, Phase.OBJECTION_REVIEW, doing="request explanations")
    return [ExplanationsRequested(at=ctx.at, parties=tuple(sorted(command.parties)),
                                  questions=command.questions)]


@handles(GiveExplanation, Action.GIVE_EXPLANATION)
def _give_explanation(state: AppraisalState, command: GiveExplanation, ctx: Context
                      ) -> list[Event]:
    _require_phase(state, Phase.OBJECTION_REVIEW, doing="give an explanation")
    assert state.objection is not None
    party: Literal["appraiser", "employee"] = (
        "employee" if ctx.relation is Relation.SELF else "appraiser"
    )
    if party not in state.objection.awaiting_from():
        raise CommandRefused("phase", "the superior has not asked you for an explanation")
    return [ExplanationGiven(at=ctx.at, party=party, text=command.text)]


@handles(DecideObjection, Action.DECIDE_OBJECTION)
def _decide_objection(state: AppraisalState, command: DecideObjection, ctx: Context
                      ) -> list[Event]:
    _require_phase(state, Phase.OBJECTION_REVIEW, doing="decide the objection")
    assert state.objection is not None and state.review is not None
    if not state.objection.explanations_requested and not state.objection.explanations:
        raise CommandRefused(
            "phase", "ask the appraiser and the employee for explanations before deciding")
    policy = _policy(state)
    if command.outcome is ObjectionDecisionOutcome.UPHOLD:
        if command.work_result or command.behaviour or command.numeric:
            raise CommandRefused("invalid", "upholding keeps the ratings; send none", "outcome")
        predikat = state.review.predikat
        decided = ObjectionDecided(at=ctx.at, outcome=command.outcome, reason=command.reason,
                                   work_result=None, behaviour=None, score=None,
                                   predikat=predikat, by=ctx.actor.subject)
    else:
        work_result = command.work_result or state.review.work_result
        behaviour = command.behaviour or state.review.behaviour
        score, predikat = _predikat(policy, work_result, behaviour, command.numeric, "numeric")
        if (work_result, behaviour, score) == (
                state.review.work_result, state.review.behaviour, state.review.score):
            raise CommandRefused("invalid", "a change must change a rating; or uphold",
                                 "work_result")
        decided = ObjectionDecided(at=ctx.at, outcome=command.outcome, reason=command.reason,
                                   work_result=work_result, behaviour=behaviour, score=score,
                                   predikat=predikat, by=ctx.actor.subject)
    return [decided,
            AppraisalFinalized(at=ctx.at, predikat=decided.predikat, basis="objection_decided")]
