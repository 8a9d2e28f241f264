"""Handlers that run in any phase: open, deadlines, cancel, reassign."""

from __future__ import annotations

from domain.appraisal.commands import (
    CancelAppraisal,
    ExtendDeadline,
    OpenAppraisal,
    PassDeadline,
    ReassignParties,
)
from domain.appraisal.events import (
    AppraisalCancelled,
    AppraisalFinalized,
    AppraisalOpened,
    DeadlineExtended,
    DeadlinePassed,
    Event,
    PartiesReassigned,
)
from domain.appraisal.registry import (
    Context,
    _policy,
    _require_phase,
    _zone,
    handles,
)
from domain.appraisal.state import AppraisalState
from domain.appraisal.vocabulary import (
    ESCALATION,
    CommandRefused,
    DeadlineKind,
    Phase,
    PositionKind,
)
from domain.authorization import Action
from domain.policy import deadline_set_by_hand


@handles(OpenAppraisal, Action.OPEN)
def _open(state: AppraisalState, command: OpenAppraisal, ctx: Context) -> list[Event]:
    # Who may open was checked by decide, against the parties the command names.
    if state.phase is not Phase.NOT_OPENED:
        raise CommandRefused("phase", "this appraisal is already open")
    if command.is_unit_leader is False and command.position_kind is PositionKind.FUNCTIONAL \
            and command.functional_level is None:
        raise CommandRefused("invalid", "a functional position needs its level",
                             "functional_level")
    if command.policy.scheme == "ratings" and not command.policy.predikat_matrix:
        raise CommandRefused("invalid", "the policy has no predikat matrix", "policy")
    return [
        AppraisalOpened(
            at=ctx.at,
            appraisal_id=command.appraisal_id,
            cycle_id=command.cycle_id,
            parties=command.parties,
            policy=command.policy,
            calendar=command.calendar,
            position_kind=command.position_kind,
            functional_level=command.functional_level,
            is_unit_leader=command.is_unit_leader,
        )
    ]


_EXTENDABLE_IN: dict[DeadlineKind, tuple[Phase, ...]] = {
    DeadlineKind.SKP: (Phase.TARGET_SETTING,),
    DeadlineKind.SELF_ASSESSMENT: (Phase.TARGET_SETTING, Phase.SELF_REPORT),
    DeadlineKind.REVIEW: (Phase.TARGET_SETTING, Phase.SELF_REPORT, Phase.REVIEW),
    DeadlineKind.OBJECTION_WINDOW: (Phase.OBJECTION_WINDOW,),
    DeadlineKind.OBJECTION_DECISION: (Phase.OBJECTION_REVIEW,),
}
"""A deadline can be extended while its step is still ahead or running."""


@handles(ExtendDeadline, Action.EXTEND_DEADLINE)
def _extend_deadline(state: AppraisalState, command: ExtendDeadline, ctx: Context
                     ) -> list[Event]:
    _require_phase(state, *_EXTENDABLE_IN[command.deadline],
                   doing=f"extend the {command.deadline.value.replace('_', ' ')} deadline")
    if command.until.tzinfo is None:
        raise CommandRefused("invalid", "the new deadline needs a time zone", "until")
    # The end of the named day in the agency's zone (domain.policy.deadline_set_by_hand).
    until = deadline_set_by_hand(command.until, _zone(state), _policy(state))
    current = state.deadlines.get(command.deadline)
    if current is not None and until <= current:
        raise CommandRefused(
            "invalid", f"an extension must be later than the current deadline "
                       f"{current.isoformat()}", "until")
    if until <= ctx.at:
        raise CommandRefused("invalid", "an extension must lie in the future", "until")
    return [DeadlineExtended(at=ctx.at, deadline=command.deadline, until=until,
                             reason=command.reason)]


@handles(PassDeadline, Action.PASS_DEADLINE)
def _pass_deadline(state: AppraisalState, command: PassDeadline, ctx: Context) -> list[Event]:
    running = state.next_deadline()
    if running is None or running[0] is not command.deadline:
        raise CommandRefused("phase", f"the {command.deadline.value} deadline is not running")
    due = running[1]
    if ctx.at < due:
        raise CommandRefused("phase", f"the {command.deadline.value} deadline is {due.isoformat()}")
    passed = DeadlinePassed(at=ctx.at, deadline=command.deadline, due=due,
                            escalated_to=ESCALATION[command.deadline])
    if command.deadline is DeadlineKind.OBJECTION_WINDOW:
        assert state.predikat is not None
        return [passed, AppraisalFinalized(at=ctx.at, predikat=state.predikat,
                                           basis="objection_window_closed")]
    return [passed]


@handles(CancelAppraisal, Action.CANCEL)
def _cancel(state: AppraisalState, command: CancelAppraisal, ctx: Context) -> list[Event]:
    return [AppraisalCancelled(at=ctx.at, reason_kind=command.reason_kind, reason=command.reason)]


@handles(ReassignParties, Action.REASSIGN)
def _reassign(state: AppraisalState, command: ReassignParties, ctx: Context) -> list[Event]:
    parties = state.parties
    assert parties is not None
    if (command.appraiser, command.superior) == (parties.appraiser, parties.superior):
        raise CommandRefused("invalid", "the appraiser and superior are already these",
                             "appraiser")
    if parties.employee in (command.appraiser, command.superior):
        raise CommandRefused("invalid", "nobody appraises their own appraisal", "appraiser")
    return [PartiesReassigned(at=ctx.at, appraiser=command.appraiser,
                              superior=command.superior, reason=command.reason)]
