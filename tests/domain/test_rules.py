"""The numbers of the rules (docs/architecture.md, "Where each rule lives"), rule by rule."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.calibration import OrganisationRating, check_distribution
from domain.integrity import GENESIS_HASH, canonical_event, canonical_json, chain_hash, event_id
from domain.nip import InvalidNip, is_valid_nip, parse_nip
from domain.policy import (
    POLICY_6_2022,
    POLICY_PP30_2019,
    FunctionalLevel,
    credit_points,
    default_calendar,
    objection_deadline,
)
from domain.ratings import Predikat, Rating, predikat_from_matrix, suggest_overall_rating

A, M, B = Rating.ABOVE, Rating.MEETS, Rating.BELOW
SB, BA, BP, K, SK = (Predikat.SANGAT_BAIK, Predikat.BAIK, Predikat.BUTUH_PERBAIKAN,
                     Predikat.KURANG, Predikat.SANGAT_KURANG)


@pytest.mark.parametrize(
    ("work", "behaviour", "expected"),
    [
        (A, B, K), (A, M, BA), (A, A, SB),
        (M, B, K), (M, M, BA), (M, A, BA),
        (B, B, SK), (B, M, BP), (B, A, BP),
    ],
)
def test_predikat_matrix_of_6_2022(work: Rating, behaviour: Rating, expected: Predikat) -> None:
    assert predikat_from_matrix(POLICY_6_2022.predikat_matrix, work, behaviour) is expected


def test_predikat_order_best_first() -> None:
    assert POLICY_6_2022.predikat_order == (SB, BA, BP, K, SK)
    assert POLICY_6_2022.rank(SB) < POLICY_6_2022.rank(SK)


SMALL = POLICY_6_2022.small_share_main_below


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([(A, True), (A, True), (M, False)], A),
        ([(A, True), (A, True), (A, True), (B, True)], M),  # a main result below: not above
        ([(A, True), (A, False), (B, False)], A),  # an additional one below is fine
        ([(M, True), (M, True), (M, True), (B, True)], M),  # 1 of 4 main below = 25%
        ([(M, True), (M, True), (B, True)], B),  # 1 of 3 main below > 25%
        ([(B, True), (B, True), (M, True)], B),
        ([(M, False), (B, False)], B),  # no majority
        ([], B),
    ],
)
def test_suggested_overall_rating(pairs: list[tuple[Rating, bool]], expected: Rating) -> None:
    assert suggest_overall_rating(pairs, SMALL) is expected


@given(st.lists(st.tuples(st.sampled_from(list(Rating)), st.booleans()), max_size=20))
def test_suggestion_never_above_with_a_main_result_below(pairs: list[tuple[Rating, bool]]
                                                        ) -> None:
    suggested = suggest_overall_rating(pairs, SMALL)
    if any(r is B and main for r, main in pairs):
        assert suggested is not A
    if pairs and all(r is A for r, _ in pairs):
        assert suggested is A


def _unit(**counts: int) -> list[Predikat]:
    return [Predikat(name) for name, n in counts.items() for _ in range(n)]


def test_curve_istimewa_passes_and_breaks() -> None:
    ok = check_distribution(OrganisationRating.ISTIMEWA,
                            _unit(sangat_baik=6, baik=4), POLICY_6_2022.curve)
    assert ok.passed
    too_many = check_distribution(OrganisationRating.ISTIMEWA,
                                  _unit(sangat_baik=8, baik=2), POLICY_6_2022.curve)
    assert not too_many.passed
    (broken,) = too_many.broken
    assert broken.description == "Sangat Baik at most 70%"
    assert (broken.count, broken.total, broken.share) == (8, 10, Decimal("0.8000"))
    not_largest = check_distribution(OrganisationRating.ISTIMEWA,
                                      _unit(sangat_baik=3, baik=7), POLICY_6_2022.curve)
    assert [b.description for b in not_largest.broken] == ["Sangat Baik more than 50%"]
    assert not_largest.broken[0].share == Decimal("0.3000")


def test_curve_baik_needs_one_below_expectation() -> None:
    result = check_distribution(OrganisationRating.BAIK, _unit(sangat_baik=2, baik=8),
                                POLICY_6_2022.curve)
    assert [b.description for b in result.broken] == [
        "Baik at most 70%", "at least 1 Butuh Perbaikan or Kurang"]
    fixed = check_distribution(OrganisationRating.BAIK,
                               _unit(sangat_baik=3, baik=6, kurang=1), POLICY_6_2022.curve)
    assert fixed.passed


def test_curve_lower_ratings() -> None:
    curve = POLICY_6_2022.curve
    assert check_distribution(OrganisationRating.BUTUH_PERBAIKAN,
                              _unit(butuh_perbaikan=6, baik=3, sangat_baik=1), curve).passed
    bp = check_distribution(OrganisationRating.BUTUH_PERBAIKAN,
                            _unit(butuh_perbaikan=5, baik=3, sangat_baik=2), curve)
    assert {b.description for b in bp.broken} == {
        "Butuh Perbaikan at least 60%", "Sangat Baik at most 10%"}
    assert check_distribution(OrganisationRating.KURANG,
                              _unit(kurang=6, butuh_perbaikan=1, baik=3), curve).passed
    kurang = check_distribution(OrganisationRating.KURANG, _unit(kurang=9, baik=1), curve)
    assert [b.description for b in kurang.broken] == ["Butuh Perbaikan at least 10%"]
    assert check_distribution(OrganisationRating.SANGAT_KURANG,
                              _unit(sangat_kurang=6, kurang=1, baik=3), curve).passed
    sk = check_distribution(OrganisationRating.SANGAT_KURANG,
                            _unit(sangat_kurang=8, butuh_perbaikan=1, sangat_baik=1), curve)
    assert [b.description for b in sk.broken] == ["Sangat Baik at most 0%"]


def test_empty_unit_passes() -> None:
    assert check_distribution(OrganisationRating.BAIK, [], POLICY_6_2022.curve).passed


@given(st.sampled_from(list(OrganisationRating)),
       st.lists(st.sampled_from(list(POLICY_6_2022.predikat_order)), max_size=40))
def test_curve_figures_are_the_units_own(rating: OrganisationRating,
                                         predikat: list[Predikat]) -> None:
    result = check_distribution(rating, predikat, POLICY_6_2022.curve)
    assert result.total == len(predikat) == sum(result.counts.values())
    for broken in result.broken:
        assert broken.total == len(predikat)
        assert broken.count == sum(1 for p in predikat if p in broken.rule.predikat)


@pytest.mark.parametrize(
    ("level", "predikat", "expected"),
    [
        (FunctionalLevel.AHLI_PERTAMA, BA, Decimal("12.5")),
        (FunctionalLevel.AHLI_MUDA, SB, Decimal("37.5")),
        (FunctionalLevel.AHLI_MADYA, BP, Decimal("28.125")),
        (FunctionalLevel.AHLI_UTAMA, K, Decimal("25")),
        (FunctionalLevel.PEMULA, SK, Decimal("0.9375")),
        (FunctionalLevel.TERAMPIL, BA, Decimal("5")),
        (FunctionalLevel.MAHIR, SB, Decimal("18.75")),
        (FunctionalLevel.PENYELIA, BA, Decimal("25")),
    ],
)
def test_credit_points(level: FunctionalLevel, predikat: Predikat, expected: Decimal) -> None:
    assert credit_points(level, predikat, POLICY_6_2022) == expected


def test_credit_points_pro_rata() -> None:
    assert credit_points(FunctionalLevel.AHLI_MUDA, BA, POLICY_6_2022, months=6) == Decimal("12.5")
    with pytest.raises(ValueError, match="months"):
        credit_points(FunctionalLevel.AHLI_MUDA, BA, POLICY_6_2022, months=13)


def test_default_calendar_ends_january_in_wib() -> None:
    calendar = default_calendar(2026, POLICY_6_2022)
    assert calendar.skp_deadline.date() == date(2026, 1, 31)
    assert calendar.skp_deadline.utcoffset() == timedelta(hours=7)
    assert calendar.skp_deadline.astimezone(UTC) == datetime(2026, 1, 31, 16, 59, 59, 999999,
                                                             tzinfo=UTC)
    assert calendar.review_deadline.date() == date(2027, 1, 31)
    wit = default_calendar(2026, POLICY_6_2022, utc_offset_hours=9)
    assert wit.skp_deadline < calendar.skp_deadline


def test_objection_window_is_fourteen_calendar_days() -> None:
    released = datetime(2027, 2, 10, 3, 0, tzinfo=UTC)  # 10:00 WIB
    assert objection_deadline(released, POLICY_6_2022) == datetime(
        2027, 2, 24, 16, 59, 59, 999999, tzinfo=UTC)  # the end of 24 February WIB
    recorded = POLICY_6_2022.model_copy(update={"deadline_days_end": "elapsed"})
    assert objection_deadline(released, recorded) == datetime(2027, 2, 24, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("skp", "behaviour", "peers", "innovation", "expected"),
    [
        (Decimal(120), Decimal(110), False, True, SB),  # 117 with innovation
        (Decimal(120), Decimal(110), False, False, BA),  # 117 without innovation
        (Decimal(90), Decimal(90), False, False, BA),
        (Decimal(80), Decimal(80), False, False, Predikat.CUKUP),
        (Decimal(60), Decimal(60), False, False, K),
        (Decimal(40), Decimal(60), False, False, SK),  # 46
        (Decimal(100), Decimal(60), True, False, Predikat.CUKUP),  # 60/40 -> 84
        (Decimal(100), Decimal(60), False, False, Predikat.CUKUP),  # 70/30 -> 88
        (Decimal(110), Decimal(110), False, True, SB),  # exactly 110 with innovation
    ],
)
def test_pp30_numeric_bands(skp: Decimal, behaviour: Decimal, peers: bool, innovation: bool,
                            expected: Predikat) -> None:
    from domain.appraisal.review import _predikat
    from domain.skp import NumericScores

    _, predikat = _predikat(POLICY_PP30_2019, M, M,
                            NumericScores(skp_score=skp, behaviour_score=behaviour,
                                          with_peer_input=peers, innovation=innovation),
                            "numeric")
    assert predikat is expected


class TestNip:
    VALID = "198507122010011003"

    def test_valid_pns_nip_is_split(self) -> None:
        nip = parse_nip("19850712 201001 1 003")
        assert nip.value == self.VALID
        assert nip.birth_date == date(1985, 7, 12)
        assert (nip.appointment_year, nip.appointment_month) == (2010, 1)
        assert nip.sex == "male" and nip.sequence == 3 and nip.employment == "PNS"

    @pytest.mark.parametrize(
        ("text", "rule"),
        [
            ("19850712201001100", "18 digits"),
            ("1985071220100110031", "18 digits"),
            ("19850712201001100a", "18 digits"),
            ("198502302010011003", "real birth date"),
            ("198507122010131003", "YYYYMM"),
            ("198507121984011003", "after the birth"),
            ("198507122010013003", "sex"),
            ("198507122010011000", "sequence"),
        ],
    )
    def test_invalid_nip_names_the_rule(self, text: str, rule: str) -> None:
        with pytest.raises(InvalidNip, match=rule):
            parse_nip(text)
        assert not is_valid_nip(text)

    def test_pppk_number_has_its_own_middle(self) -> None:
        pppk = "199001012021212001"  # appointed 2021, code 21, female, 001
        assert not is_valid_nip(pppk)  # month 21 is not a month
        nip = parse_nip(pppk, pppk=True)
        assert nip.employment == "PPPK" and nip.appointment_year == 2021
        assert nip.sex == "female"
        with pytest.raises(InvalidNip, match="after the birth"):
            parse_nip("199001011989212001", pppk=True)


def test_canonical_json_is_sorted_compact_and_refuses_floats() -> None:
    expected = '{"a":[true,null,"é"],"b":1}'.encode()
    assert canonical_json({"b": 1, "a": [True, None, "é"]}) == expected
    with pytest.raises(TypeError, match="floats"):
        canonical_json({"x": {"y": [1.5]}})

    class Ratio(float):
        pass

    for hidden in ({"t": (1, Ratio(0.5))}, [{"deep": [[{"f": 2.0}]]}]):
        with pytest.raises(TypeError, match="floats"):
            canonical_json(hidden)


def test_event_ids_and_chain_are_deterministic() -> None:
    assert event_id("s", 1) == event_id("s", 1) != event_id("s", 2) != event_id("t", 2)
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    one = canonical_event(event_id=event_id("s", 1), stream_id="s", version=1, type="T",
                          schema_version=1, data={"k": "v"}, metadata={}, recorded_at=moment)
    assert b'"recorded_at":"2026-01-01T00:00:00.000000Z"' in one
    first = chain_hash(GENESIS_HASH, one)
    assert len(first) == 32 and first == chain_hash(GENESIS_HASH, one)
    assert chain_hash(first, one) != first
