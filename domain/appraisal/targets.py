"""Target setting: the SKP drafted, submitted, returned, approved or set by HR."""

from __future__ import annotations

from domain.appraisal.cascading import check_links, supported_at_approval
from domain.appraisal.commands import (
    ApproveTargets,
    DraftTargets,
    ReturnTargets,
    SetTargets,
    SubmitTargets,
)
from domain.appraisal.events import (
    Event,
    TargetsApproved,
    TargetsDrafted,
    TargetsReturned,
    TargetsSet,
    TargetsSubmitted,
)
from domain.appraisal.periodic import schedule_at_approval
from domain.appraisal.registry import (
    Context,
    _policy,
    _require_phase,
    handles,
)
from domain.appraisal.state import AppraisalState
from domain.appraisal.vocabulary import (
    CommandRefused,
    DeadlineKind,
    Phase,
    PositionKind,
    TargetStatus,
)
from domain.authorization import Action
from domain.policy import Policy
from domain.skp import (
    Approach,
    RhkKind,
    Skp,
)


def validate_skp(skp: Skp, policy: Policy, position_kind: PositionKind | None) -> None:
    """Rules of an SKP that depend on the policy and the position; CommandRefused if broken."""
    if not any(r.kind is RhkKind.MAIN for r in skp.rhk):
        raise CommandRefused("invalid", "an SKP needs at least one main (utama) RHK", "skp.rhk")
    for i, rhk in enumerate(skp.rhk):
        if rhk.weight is not None and not policy.rhk_weights:
            raise CommandRefused(
                "invalid", f"the {policy.title} policy does not weigh RHK", f"skp.rhk[{i}].weight")
        for j, indicator in enumerate(rhk.indicators):
            where = f"skp.rhk[{i}].indicators[{j}].target"
            target = indicator.target
            if skp.approach is Approach.QUANTITATIVE and (target.value is None or
                                                          target.unit is None):
                raise CommandRefused(
                    "invalid", "a quantitative SKP needs a number and a unit for every target",
                    where)
            if skp.approach is Approach.QUALITATIVE and target.text is None:
                raise CommandRefused(
                    "invalid", "a qualitative SKP needs a text for every target", where)
        if position_kind is PositionKind.JPT:
            if rhk.perspective not in policy.jpt_perspectives:
                raise CommandRefused(
                    "invalid",
                    "a JPT groups every RHK by a perspective: "
                    + ", ".join(policy.jpt_perspectives),
                    f"skp.rhk[{i}].perspective",
                )
        elif rhk.perspective is not None:
            raise CommandRefused(
                "invalid", "only JPT group their RHK by perspective", f"skp.rhk[{i}].perspective"
            )


@handles(DraftTargets, Action.DRAFT_TARGETS)
def _draft_targets(state: AppraisalState, command: DraftTargets, ctx: Context) -> list[Event]:
    _require_phase(state, Phase.TARGET_SETTING, doing="draft targets")
    if state.targets_status is TargetStatus.SUBMITTED:
        raise CommandRefused("phase", "the SKP is with the appraiser; wait for approval or return")
    validate_skp(command.skp, _policy(state), state.position_kind)
    return [TargetsDrafted(at=ctx.at, skp=command.skp)]


@handles(SubmitTargets, Action.SUBMIT_TARGETS)
def _submit_targets(state: AppraisalState, command: SubmitTargets, ctx: Context
                    ) -> list[Event]:
    _require_phase(state, Phase.TARGET_SETTING, doing="submit targets")
    if state.targets_status not in (TargetStatus.DRAFT, TargetStatus.RETURNED):
        raise CommandRefused("phase", "there is no SKP draft to submit")
    assert state.skp is not None
    check_links(state.skp, command.appraiser_rhk)
    return [TargetsSubmitted(at=ctx.at)]


@handles(ReturnTargets, Action.RETURN_TARGETS)
def _return_targets(state: AppraisalState, command: ReturnTargets, ctx: Context
                    ) -> list[Event]:
    _require_phase(state, Phase.TARGET_SETTING, doing="return targets")
    if state.targets_status is not TargetStatus.SUBMITTED:
        raise CommandRefused("phase", "no submitted SKP is waiting for you")
    return [TargetsReturned(at=ctx.at, reason=command.reason)]


@handles(ApproveTargets, Action.APPROVE_TARGETS)
def _approve_targets(state: AppraisalState, command: ApproveTargets, ctx: Context
                     ) -> list[Event]:
    _require_phase(state, Phase.TARGET_SETTING, doing="approve targets")
    if state.targets_status is not TargetStatus.SUBMITTED:
        raise CommandRefused("phase", "no submitted SKP is waiting for you")
    assert state.skp is not None
    check_links(state.skp, command.appraiser_rhk)
    return [TargetsApproved(at=ctx.at, by=ctx.actor.subject,
                            period_deadlines=schedule_at_approval(state, ctx.at),
                            supported=supported_at_approval(state.skp, command.appraiser_rhk))]


@handles(SetTargets, Action.SET_TARGETS)
def _set_targets(state: AppraisalState, command: SetTargets, ctx: Context) -> list[Event]:
    _require_phase(state, Phase.TARGET_SETTING, doing="set targets")
    if DeadlineKind.SKP not in state.passed_deadlines:
        raise CommandRefused(
            "phase", "HR may set the SKP only after its deadline has passed unapproved"
        )
    validate_skp(command.skp, _policy(state), state.position_kind)
    check_links(command.skp, command.appraiser_rhk)
    return [TargetsSet(at=ctx.at, skp=command.skp, reason=command.reason, by=ctx.actor.subject,
                       supported=supported_at_approval(command.skp, command.appraiser_rhk),
                       period_deadlines=schedule_at_approval(state, ctx.at))]
