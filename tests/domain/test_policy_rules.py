"""Rules whose reading is Kinerja's choice: each test pins the choice named in the policy."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.harness.builders import (
    APPRAISER,
    EMPLOYEE,
    HR,
    Run,
    open_command,
    ratings,
    sample_skp,
)
from domain.appraisal import (
    ApproveTargets,
    CommandRefused,
    DraftTargets,
    SubmitReview,
    SubmitSelfAssessment,
    SubmitTargets,
)
from domain.calibration import OrganisationRating, check_distribution
from domain.nip import PPPK_CODE_UNCHECKED, InvalidNip, is_valid_nip, parse_nip
from domain.policy import POLICY_6_2022, POLICY_PP30_2019, Policy
from domain.ratings import (
    Predikat,
    Rating,
    suggest_behaviour_rating,
    suggest_overall_rating,
    suggest_weighted_rating,
)
from domain.skp import CoreValue, RhkRating, RhkSelfRating, SelfAssessment, Skp, ValueRating


def _unit(**counts: int) -> list[Predikat]:
    return [Predikat(name) for name, n in counts.items() for _ in range(n)]


# Item: PP 30/2019 has no curve of its own (it never produces Butuh Perbaikan).

def test_pp30_unit_rated_butuh_perbaikan_can_pass_calibration() -> None:
    # Under the 6/2022 curve this unit needs 60% Butuh Perbaikan, which PP 30 never gives.
    unit = _unit(cukup=6, baik=3, kurang=1)
    assert not check_distribution(
        OrganisationRating.BUTUH_PERBAIKAN, unit, POLICY_6_2022.curve).passed
    check = check_distribution(OrganisationRating.BUTUH_PERBAIKAN, unit,
                               POLICY_PP30_2019.curve)
    assert check.passed and not check.curve_applies
    assert check.counts == {Predikat.CUKUP: 6, Predikat.BAIK: 3, Predikat.KURANG: 1}


@given(st.sampled_from(list(OrganisationRating)),
       st.lists(st.sampled_from(list(POLICY_PP30_2019.predikat_order)), max_size=30))
def test_pp30_has_no_curve_so_every_unit_passes(rating: OrganisationRating,
                                                 predikat: list[Predikat]) -> None:
    assert POLICY_PP30_2019.curve is None
    assert check_distribution(rating, predikat, POLICY_PP30_2019.curve).passed


def test_6_2022_curve_still_applies() -> None:
    check = check_distribution(OrganisationRating.ISTIMEWA, _unit(baik=7, sangat_baik=3),
                               POLICY_6_2022.curve)
    assert check.curve_applies and not check.passed


def test_cukup_credit_share_is_marked_as_an_assumption() -> None:
    assert "credit_share_percent.cukup" in POLICY_PP30_2019.assumptions
    assert "curve" in POLICY_PP30_2019.assumptions


# Item: "sebagian besar (maksimal 70%)" is a majority, not a plurality with ties.

def test_istimewa_plurality_of_40_30_30_does_not_pass() -> None:
    check = check_distribution(OrganisationRating.ISTIMEWA,
                               _unit(sangat_baik=4, baik=3, kurang=3), POLICY_6_2022.curve)
    assert [b.description for b in check.broken] == ["Sangat Baik more than 50%"]
    assert check.broken[0].share == Decimal("0.4000")


def test_istimewa_majority_boundary() -> None:
    curve = POLICY_6_2022.curve
    half = check_distribution(OrganisationRating.ISTIMEWA, _unit(sangat_baik=5, baik=5), curve)
    assert not half.passed  # exactly half is not "sebagian besar"
    assert check_distribution(OrganisationRating.ISTIMEWA,
                              _unit(sangat_baik=51, baik=49), curve).passed
    assert check_distribution(OrganisationRating.ISTIMEWA,
                              _unit(sangat_baik=7, baik=3), curve).passed
    assert not check_distribution(OrganisationRating.ISTIMEWA,
                                  _unit(sangat_baik=71, baik=29), curve).passed


def test_baik_needs_a_majority_of_baik_too() -> None:
    curve = POLICY_6_2022.curve
    assert not check_distribution(OrganisationRating.BAIK,
                                  _unit(baik=4, sangat_baik=3, kurang=3), curve).passed
    assert check_distribution(OrganisationRating.BAIK,
                              _unit(baik=6, sangat_baik=3, kurang=1), curve).passed


def test_majority_reading_is_written_in_the_policy() -> None:
    assert "majority" in POLICY_6_2022.assumptions["curve.sebagian_besar"]


# Item: NIP checks: appointment at 18 at least, no future dates, PPPK code flagged.

TODAY = date(2026, 11, 30)


@pytest.mark.parametrize(("text", "pppk", "rule"), [
    ("200801012025121001", False, "18 years of age"),   # appointed at 17 (Dec 2025)
    ("200801152025121001", False, "18 years of age"),   # 17 for the whole month
    ("200801012025212001", True, "18 years of age"),    # PPPK appointed in the year she is 17
    ("202701012045011001", False, "birth date"),        # born in the future
    ("199001012027011001", False, "appointment lies in the future"),
    ("199001012026121001", False, "appointment lies in the future"),  # next month
    ("199001012027212001", True, "appointment lies in the future"),
])
def test_nip_dates_are_possible(text: str, pppk: bool, rule: str) -> None:
    with pytest.raises(InvalidNip, match=rule):
        parse_nip(text, pppk=pppk, today=TODAY)
    assert not is_valid_nip(text, pppk=pppk, today=TODAY)


@pytest.mark.parametrize(("text", "pppk"), [
    ("200801012026011001", False),  # 18 in January 2026, appointed that month
    ("200712312025121001", False),  # 18 on 31 December, appointed that month (may be after)
    ("200812312026212001", True),   # PPPK: the year of the 18th birthday
    ("199001012026111001", False),  # appointed this month
])
def test_nip_boundaries_that_pass(text: str, pppk: bool) -> None:
    assert parse_nip(text, pppk=pppk, today=TODAY).value == text


def test_future_is_checked_only_against_a_given_day() -> None:
    assert is_valid_nip("199001012027011001")  # the domain reads no clock


def test_pppk_code_is_flagged_unchecked_and_pns_is_not() -> None:
    pppk = parse_nip("199001012021212001", pppk=True, today=TODAY)
    assert pppk.unchecked == (PPPK_CODE_UNCHECKED,)
    assert parse_nip("199001012021991001", pppk=True).unchecked  # any code: not checked
    assert parse_nip("198507122010011003", today=TODAY).unchecked == ()


# Item: the suggested behaviour rating is Kinerja's, its threshold policy data.

@given(st.lists(st.sampled_from(list(Rating)), min_size=7, max_size=7))
def test_behaviour_suggestion_keeps_the_rule_reviews_were_made_under(
        values: list[Rating]) -> None:
    old = suggest_overall_rating(((v, True) for v in values), Decimal("0.25"))
    assert suggest_behaviour_rating(values, POLICY_6_2022.behaviour_below_from) is old


def test_behaviour_threshold_is_policy_data() -> None:
    two_below = [Rating.BELOW] * 2 + [Rating.MEETS] * 5
    assert POLICY_6_2022.behaviour_below_from == 2
    assert suggest_behaviour_rating(two_below, 2) is Rating.BELOW
    assert suggest_behaviour_rating(two_below, 3) is Rating.MEETS
    assert suggest_behaviour_rating([Rating.BELOW] + [Rating.ABOVE] * 6, 2) is Rating.MEETS
    assert suggest_behaviour_rating([Rating.ABOVE] * 4 + [Rating.MEETS] * 3, 2) is Rating.ABOVE
    assert "no source" in POLICY_6_2022.assumptions["behaviour_below_from"]


def test_stored_policy_without_the_threshold_reads_with_the_old_rule() -> None:
    stored = POLICY_6_2022.model_dump(mode="json")
    del stored["behaviour_below_from"], stored["assumptions"]
    assert type(POLICY_6_2022).model_validate(stored).behaviour_below_from == 2


def _review_two_values_below(policy: Policy) -> Rating:
    run = Run()
    run.do(open_command(policy=policy), HR)
    run.do(DraftTargets(skp=sample_skp()), EMPLOYEE)
    run.do(SubmitTargets(), EMPLOYEE)
    run.do(ApproveTargets(), APPRAISER)
    run.do(SubmitSelfAssessment(assessment=SelfAssessment(
        ratings=tuple(RhkSelfRating(rhk_id=f"rhk-{i}", proposed=Rating.MEETS)
                      for i in (1, 2, 3)), narrative="Target tercapai.")), EMPLOYEE)
    values = tuple(ValueRating(value=v, rating=Rating.BELOW if i < 2 else Rating.MEETS)
                   for i, v in enumerate(CoreValue))
    run.do(SubmitReview(ratings=ratings().model_copy(update={"values": values})), APPRAISER)
    assert run.state.review is not None
    return run.state.review.suggested_behaviour


def test_review_takes_the_behaviour_threshold_from_the_policy() -> None:
    assert _review_two_values_below(POLICY_6_2022) is Rating.BELOW
    lenient = POLICY_6_2022.model_copy(update={"behaviour_below_from": 3})
    assert _review_two_values_below(lenient) is Rating.MEETS


# Item: optional RHK weights, as policy data (off under 6/2022).

_A, _M, _B = Rating.ABOVE, Rating.MEETS, Rating.BELOW
_SMALL = POLICY_6_2022.small_share_main_below


@pytest.mark.parametrize(("triples", "unweighted", "weighted"), [
    # a heavy main RHK above carries the suggestion up
    ([(_A, True, "3"), (_M, True, "1"), (_M, False, "1")], _M, _A),
    # a light main RHK below is a small share of the main weight
    ([(_B, True, "1"), (_M, True, "4")], _B, _M),
    # a heavy main RHK below pulls it down
    ([(_B, True, "3"), (_M, True, "1"), (_M, True, "1"), (_M, True, "1"),
      (_M, True, "1")], _M, _B),
])
def test_suggested_rating_with_and_without_weights(
        triples: list[tuple[Rating, bool, str]], unweighted: Rating, weighted: Rating) -> None:
    assert suggest_overall_rating(((r, m) for r, m, _ in triples), _SMALL) is unweighted
    assert suggest_weighted_rating(
        ((r, m, Decimal(w)) for r, m, w in triples), _SMALL) is weighted


@given(st.lists(st.tuples(st.sampled_from(list(Rating)), st.booleans()), max_size=12),
       st.decimals(min_value=Decimal("0.1"), max_value=Decimal(100), places=1))
def test_equal_weights_give_the_unweighted_suggestion(
        pairs: list[tuple[Rating, bool]], weight: Decimal) -> None:
    assert suggest_weighted_rating(((r, m, weight) for r, m in pairs), _SMALL) is (
        suggest_overall_rating(pairs, _SMALL))


def _weighted_skp(weights: tuple[str | None, ...]) -> Skp:
    skp = sample_skp()
    return skp.model_copy(update={"rhk": tuple(
        r.model_copy(update={"weight": None if w is None else Decimal(w)})
        for r, w in zip(skp.rhk, weights, strict=True))})


def _suggested_work(policy: Policy, skp: Skp) -> Rating:
    run = Run()
    run.do(open_command(policy=policy), HR)
    run.do(DraftTargets(skp=skp), EMPLOYEE)
    run.do(SubmitTargets(), EMPLOYEE)
    run.do(ApproveTargets(), APPRAISER)
    run.do(SubmitSelfAssessment(assessment=SelfAssessment(
        ratings=tuple(RhkSelfRating(rhk_id=f"rhk-{i}", proposed=Rating.MEETS)
                      for i in (1, 2, 3)), narrative="Target tercapai.")), EMPLOYEE)
    rhk = tuple(RhkRating(rhk_id=f"rhk-{i}", rating=_A if i == 1 else _M) for i in (1, 2, 3))
    run.do(SubmitReview(ratings=ratings().model_copy(update={"rhk": rhk})), APPRAISER)
    assert run.state.review is not None
    return run.state.review.suggested_work_result


WEIGHING = POLICY_6_2022.model_copy(update={"name": "agency-weighted", "rhk_weights": True})


def test_review_weighs_rhk_only_under_a_weighing_policy() -> None:
    assert POLICY_6_2022.rhk_weights is False and POLICY_PP30_2019.rhk_weights is False
    assert _suggested_work(POLICY_6_2022, sample_skp()) is _M
    assert _suggested_work(WEIGHING, sample_skp()) is _M  # no weights: each counts 1
    assert _suggested_work(WEIGHING, _weighted_skp(("4", "1", None))) is _A


def test_6_2022_refuses_weights_in_the_skp() -> None:
    run = Run()
    run.do(open_command(), HR)
    with pytest.raises(CommandRefused, match="does not weigh") as refused:
        run.do(DraftTargets(skp=_weighted_skp(("4", "1", "1"))), EMPLOYEE)
    assert refused.value.field == "skp.rhk[0].weight"
