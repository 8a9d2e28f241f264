"""The review, the organisation rating, release and acceptance of the result."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from domain.appraisal.commands import (
    AcceptResult,
    RecordOrganisationRating,
    ReleaseResult,
    SubmitReview,
)
from domain.appraisal.events import (
    AppraisalFinalized,
    Event,
    OrganisationRatingRecorded,
    ResultAccepted,
    ResultReleased,
    ReviewSubmitted,
)
from domain.appraisal.registry import (
    Context,
    _policy,
    _require_exact_rhk,
    _require_phase,
    _skp,
    _zone,
    handles,
)
from domain.appraisal.state import AppraisalState
from domain.appraisal.vocabulary import (
    CommandRefused,
    DeadlineKind,
    Phase,
)
from domain.authorization import Action, Relation
from domain.calibration import leader_work_result_rating
from domain.policy import (
    Policy,
    objection_deadline,
)
from domain.ratings import (
    Predikat,
    Rating,
    numeric_predikat,
    numeric_score,
    predikat_from_matrix,
    suggest_behaviour_rating,
    suggest_weighted_rating,
)
from domain.skp import (
    NumericScores,
    Ratings,
    RhkKind,
)


@handles(SubmitReview, Action.SUBMIT_REVIEW)
def _submit_review(state: AppraisalState, command: SubmitReview, ctx: Context) -> list[Event]:
    if ctx.relation is Relation.SUPERIOR:
        if state.phase is not Phase.REVIEW or DeadlineKind.REVIEW not in state.passed_deadlines:
            raise CommandRefused(
                "phase", "the superior may review only after the review deadline has passed"
            )
    _require_phase(state, Phase.REVIEW, Phase.CALIBRATION, doing="submit the review")
    ratings = command.ratings
    _require_values(state, ratings)
    suggested_work, suggested_behaviour = suggested_ratings(state, ratings)
    if state.is_unit_leader and ratings.work_result not in (None, suggested_work):
        raise CommandRefused(
            "invalid", "a unit leader takes the unit's organisation rating as the work-result"
            " rating", "ratings.work_result")
    result = _rated(state, ratings, suggested_work, suggested_behaviour)
    revision = state.review.revision + 1 if state.review else 1
    return [
        ReviewSubmitted(
            at=ctx.at, ratings=ratings, suggested_work_result=result.suggested_work_result,
            work_result=result.work_result, suggested_behaviour=result.suggested_behaviour,
            behaviour=result.behaviour, score=result.score, predikat=result.predikat,
            revision=revision, by=ctx.actor.subject,
        )
    ]


@dataclass(frozen=True)
class RatedResult:
    """Overall ratings (suggested and chosen), score and predikat of a set of ratings."""

    suggested_work_result: Rating
    work_result: Rating
    suggested_behaviour: Rating
    behaviour: Rating
    score: Decimal | None
    predikat: Predikat


def _require_values(state: AppraisalState, ratings: Ratings) -> None:
    _require_exact_rhk(state, [r.rhk_id for r in ratings.rhk], "ratings.rhk")
    if sorted(v.value for v in ratings.values) != sorted(
            b.value for b in _skp(state).behaviour):
        raise CommandRefused("invalid", "rate each of the seven BerAKHLAK values exactly once",
                             "ratings.values")


def _rated(state: AppraisalState, ratings: Ratings, suggested_work: Rating,
           suggested_behaviour: Rating) -> RatedResult:
    work_result = _overall(ratings.work_result, suggested_work, ratings.work_result_reason,
                           "ratings.work_result_reason")
    behaviour = _overall(ratings.behaviour, suggested_behaviour, ratings.behaviour_reason,
                         "ratings.behaviour_reason")
    score, predikat = _predikat(_policy(state), work_result, behaviour, ratings.numeric,
                                "ratings.numeric")
    return RatedResult(suggested_work, work_result, suggested_behaviour, behaviour, score,
                       predikat)


def period_result(state: AppraisalState, ratings: Ratings) -> RatedResult:
    """A periodic review's result by the annual review's rule: every RHK and value rated,
    the suggested overall ratings (overridden with a reason), the predikat of the policy.
    A unit leader's work result is suggested from the RHK too: the organisation rating is
    the year's, not the period's."""
    _require_values(state, ratings)
    suggested_work, suggested_behaviour = suggested_ratings(
        state, ratings, leader_from_organisation=False)
    return _rated(state, ratings, suggested_work, suggested_behaviour)


def suggested_ratings(state: AppraisalState, ratings: Ratings, *,
                      leader_from_organisation: bool = True) -> tuple[Rating, Rating]:
    """The suggested work-result and behaviour ratings of ``ratings``, each of which the
    appraiser may override with a reason (the review form shows them before it is sent).
    Refused as the review is when the RHK rated are not the SKP's, or a unit leader's
    organisation rating is still missing."""
    policy = _policy(state)
    _require_exact_rhk(state, [r.rhk_id for r in ratings.rhk], "ratings.rhk")
    if state.is_unit_leader and leader_from_organisation:
        if state.organisation_rating is None:
            raise CommandRefused(
                "phase", "a unit leader's review waits for the unit's organisation rating")
        suggested_work = leader_work_result_rating(
            state.organisation_rating, policy.leader_rating_from_organisation)
    else:
        kinds = {r.id: r.kind for r in _skp(state).rhk}
        weights = {r.id: (r.weight if policy.rhk_weights and r.weight is not None
                          else Decimal(1)) for r in _skp(state).rhk}
        suggested_work = suggest_weighted_rating(
            ((r.rating, kinds[r.rhk_id] is RhkKind.MAIN, weights[r.rhk_id])
             for r in ratings.rhk),
            policy.small_share_main_below,
        )
    return suggested_work, suggest_behaviour_rating(
        (v.rating for v in ratings.values), policy.behaviour_below_from)


def _overall(chosen: Rating | None, suggested: Rating, reason: str | None, field: str) -> Rating:
    if chosen is None or chosen is suggested:
        return suggested
    if not reason:
        raise CommandRefused(
            "invalid",
            f"overriding the suggested rating ({suggested.value}) needs a reason", field
        )
    return chosen


def _predikat(policy: Policy, work_result: Rating, behaviour: Rating,
              numeric: NumericScores | None, field: str) -> tuple[Decimal | None, Predikat]:
    if policy.scheme == "ratings":
        return None, predikat_from_matrix(policy.predikat_matrix, work_result, behaviour)
    if numeric is None:
        raise CommandRefused("invalid", f"the {policy.title} policy needs numeric scores", field)
    for name in ("skp_score", "behaviour_score"):
        if getattr(numeric, name) > policy.numeric_max_score:
            raise CommandRefused(
                "invalid", f"a score is at most {policy.numeric_max_score}", f"{field}.{name}")
    skp_weight, behaviour_weight = (
        (policy.skp_weight_with_peers, policy.behaviour_weight_with_peers)
        if numeric.with_peer_input else (policy.skp_weight, policy.behaviour_weight)
    )
    score = numeric_score(numeric.skp_score, numeric.behaviour_score,
                          skp_weight=skp_weight, behaviour_weight=behaviour_weight)
    return score, numeric_predikat(
        score, innovation=numeric.innovation, bands=policy.numeric_bands,
        top_band_needs_innovation_from=policy.numeric_top_needs_innovation_from,
    )


@handles(RecordOrganisationRating, Action.RECORD_ORGANISATION_RATING)
def _record_organisation_rating(state: AppraisalState, command: RecordOrganisationRating,
                                ctx: Context) -> list[Event]:
    if state.phase in (Phase.OBJECTION_WINDOW, Phase.OBJECTION_REVIEW):
        raise CommandRefused("phase", "the result is already released")
    return [OrganisationRatingRecorded(at=ctx.at, rating=command.rating)]


@handles(ReleaseResult, Action.RELEASE)
def _release(state: AppraisalState, command: ReleaseResult, ctx: Context) -> list[Event]:
    """A result is released only when its unit's calibration passed or HR records a
    justified exception (SE MenPAN-RB 3/2023's curve as Kinerja applies it: the unit's
    release, :mod:`domain.cycle.decide`, asks the same). One appraisal on its own is for
    a late appraisal of a unit already released: it follows the unit's release (passed)
    or needs its own exception reason.
    """
    _require_phase(state, Phase.CALIBRATION, doing="release the result")
    if command.unit_calibrated is False and not command.exception_reason:
        raise CommandRefused(
            "invalid", "release the unit once its calibration passes, or record a justified "
            "exception (exception_reason) to release this result on its own",
            "exception_reason")
    return [
        ResultReleased(
            at=ctx.at,
            objection_deadline=objection_deadline(ctx.at, _policy(state), _zone(state)),
            exception_reason=command.exception_reason,
        )
    ]


@handles(AcceptResult, Action.ACCEPT_RESULT)
def _accept_result(state: AppraisalState, command: AcceptResult, ctx: Context) -> list[Event]:
    _require_phase(state, Phase.OBJECTION_WINDOW, doing="accept the result")
    assert state.predikat is not None
    return [ResultAccepted(at=ctx.at),
            AppraisalFinalized(at=ctx.at, predikat=state.predikat, basis="accepted")]
