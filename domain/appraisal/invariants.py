"""The shape every appraisal state must have."""

from __future__ import annotations

from domain.appraisal.state import AppraisalState
from domain.appraisal.vocabulary import (
    _PHASE_ORDER,
    Phase,
    TargetStatus,
)
from domain.policy import period_count


def invariant_violations(state: AppraisalState) -> list[str]:
    """Every way ``state`` breaks the shape an appraisal must have (empty when sound)."""
    problems: list[str] = []
    phase = state.phase
    opened = phase is not Phase.NOT_OPENED
    if opened != (state.parties is not None and state.policy is not None):
        problems.append("opened exactly when parties and policy are known")
    reached = _PHASE_ORDER.index(phase)
    if phase is not Phase.CANCELLED:
        if reached >= _PHASE_ORDER.index(Phase.SELF_REPORT) and (
                state.skp is None
                or state.targets_status not in (TargetStatus.APPROVED, TargetStatus.SET_BY_HR)):
            problems.append("past target setting only with an agreed SKP")
        if reached >= _PHASE_ORDER.index(Phase.CALIBRATION) and (
                state.review is None or state.predikat is None):
            problems.append("calibration and later only with a review and a predikat")
        if reached >= _PHASE_ORDER.index(Phase.OBJECTION_WINDOW) and state.released_at is None:
            problems.append("objection window and later only after release")
    if phase is Phase.OBJECTION_REVIEW and (
            state.objection is None or state.objection.decision is not None):
        problems.append("objection review needs an undecided objection")
    if phase is Phase.FINAL and (state.finalized_at is None or state.predikat is None):
        problems.append("final needs a predikat and a moment")
    if state.predikat is not None and state.policy is not None \
            and state.predikat not in state.policy.predikat_order:
        problems.append("predikat belongs to the policy")
    if state.policy is not None and any(
            not 1 <= period <= period_count(state.policy)
            for period in (*state.period_reviews, *state.missed_periods)):
        problems.append("a period reviewed or missed is a period of the policy")
    if (state.period_reviews or state.missed_periods or state.period_deadlines) \
            and phase is not Phase.CANCELLED and reached < _PHASE_ORDER.index(Phase.SELF_REPORT):
        problems.append("periods only from the SKP's agreement on")
    if state.targets_status is TargetStatus.SUBMITTED and state.skp is None:
        problems.append("a submitted SKP exists")
    return problems
