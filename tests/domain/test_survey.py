"""The SKM index (PermenPAN-RB 14/2017): a worked example by hand, the categories at
their boundaries, the Krejcie-Morgan minimum sample, and with hypothesis: any set of
responses gives an IKM within 25..100 whose category is the one its range names."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from domain.survey import (
    ELEMENTS,
    SKM_14_2017,
    Category,
    Element,
    SurveyResponse,
    Tally,
    category_of,
    compute,
    minimum_sample,
    period_of,
    tally,
)

# Four respondents, the nine elements in the regulation's order (U1..U9).
WORKED = [
    (4, 3, 3, 4, 3, 3, 4, 3, 3),
    (3, 3, 2, 4, 3, 4, 4, 3, 3),
    (3, 2, 3, 4, 4, 3, 3, 2, 3),
    (4, 3, 3, 4, 3, 4, 4, 3, 2),
]


def _answers(row: tuple[int, ...]) -> dict[Element, int]:
    return dict(zip(ELEMENTS, row, strict=True))


def test_the_worked_example_equals_the_hand_computation() -> None:
    """By hand: element sums 14, 11, 11, 16, 13, 14, 15, 11, 11 over 4 respondents give
    NRR 3.50, 2.75, 2.75, 4.00, 3.25, 3.50, 3.75, 2.75, 2.75; their sum is 29.00, weighted
    by 1/9: 3.2222..., times 25: 80.5555... = 80.56, category B (76.61-88.30)."""
    result = compute(tally(_answers(r) for r in WORKED), population=100)
    assert [e.nrr for e in result.elements] == [Decimal(x) for x in (
        "3.50", "2.75", "2.75", "4.00", "3.25", "3.50", "3.75", "2.75", "2.75")]
    assert [e.answers for e in result.elements] == [4] * 9
    assert result.elements[0].weighted == Decimal("0.3889")  # 3.5 / 9
    assert result.ikm == Decimal("80.56")
    assert result.category is Category.B
    assert result.respondents == 4
    assert result.minimum_sample == 80
    assert result.sample_too_small


def test_all_best_and_all_worst_are_the_ends_of_the_scale() -> None:
    best = compute(tally(_answers((4,) * 9) for _ in range(3)))
    worst = compute(tally(_answers((1,) * 9) for _ in range(3)))
    assert (best.ikm, best.category) == (Decimal("100.00"), Category.A)
    assert (worst.ikm, worst.category) == (Decimal("25.00"), Category.D)
    assert best.minimum_sample is None and not best.sample_too_small


def test_no_responses_no_index() -> None:
    result = compute(Tally(), population=50)
    assert result.ikm is None and result.category is None
    assert all(e.nrr is None for e in result.elements)
    assert result.sample_too_small and result.minimum_sample == 44


@pytest.mark.parametrize(("ikm", "category"), [
    ("100.00", Category.A), ("88.31", Category.A), ("88.30", Category.B),
    ("76.61", Category.B), ("76.60", Category.C), ("65.00", Category.C),
    ("64.99", Category.D), ("25.00", Category.D),
])
def test_categories_at_their_boundaries(ikm: str, category: Category) -> None:
    assert category_of(Decimal(ikm)) is category


@pytest.mark.parametrize(("population", "sample"), [
    (1, 1), (5, 5), (10, 10), (11, 11), (150, 108), (151, 113), (100, 80), (101, 86),
    (1000, 278), (1001, 285),
    (75000, 382), (75001, 384), (1_000_000, 384), (50_000_000, 384),
])
def test_minimum_sample_follows_the_krejcie_morgan_table(population: int, sample: int) -> None:
    assert minimum_sample(population) == sample


def test_a_population_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        minimum_sample(0)


@given(st.integers(min_value=1, max_value=10**9), st.integers(min_value=1, max_value=10**9))
def test_the_minimum_sample_grows_with_the_population_and_never_exceeds_it(
        a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert minimum_sample(low) <= minimum_sample(high) <= 384
    assert minimum_sample(low) <= low


_ROW = st.tuples(*[st.integers(min_value=1, max_value=4)] * 9)


@given(st.lists(_ROW, min_size=1, max_size=60))
def test_any_responses_give_an_index_within_25_and_100_in_its_range(
        rows: list[tuple[int, ...]]) -> None:
    result = compute(tally(_answers(r) for r in rows))
    assert result.ikm is not None
    assert Decimal(25) <= result.ikm <= Decimal(100)
    lows = dict(SKM_14_2017.categories)
    ordered = [c for c, _ in SKM_14_2017.categories]
    assert result.category is not None
    assert result.ikm >= lows[result.category]
    better = ordered.index(result.category) - 1
    if better >= 0:  # below the next better category's lowest value
        assert result.ikm < lows[ordered[better]]
    # the index is the mean of the NRRs times 25 (equal weights), to rounding
    mean = sum(sum(r[i] for r in rows) / len(rows) for i in range(9)) / 9
    assert abs(float(result.ikm) - mean * 25) <= 0.005 + 1e-9


@given(st.lists(_ROW, min_size=1, max_size=30), st.permutations(range(30)))
def test_the_order_of_responses_does_not_matter(rows: list[tuple[int, ...]],
                                                order: list[int]) -> None:
    shuffled = [rows[i] for i in order if i < len(rows)]
    assert compute(tally(_answers(r) for r in rows)) == \
        compute(tally(_answers(r) for r in shuffled))


def test_a_response_must_answer_every_element_within_the_scale() -> None:
    good = {"service": "ktp", "answers": {e.value: 3 for e in ELEMENTS},
            "age_group": "30_39", "sex": "perempuan", "education": "sma",
            "occupation": "swasta"}
    assert SurveyResponse.model_validate(good).comment is None
    for change, where in (({"answers": {e.value: 3 for e in ELEMENTS[:-1]}}, "answers"),
                          ({"answers": {**good["answers"], "waktu": 5}}, "answers"),
                          ({"comment": "ok\x00"}, "comment"),
                          ({"comment": "x" * 1001}, "comment"),
                          ({"sex": "x"}, "sex")):
        with pytest.raises(ValidationError) as refused:
            SurveyResponse.model_validate({**good, **change})
        assert refused.value.errors()[0]["loc"][0] == where


def test_periods_are_semesters_in_the_agency_zone() -> None:
    from datetime import UTC, datetime
    assert period_of(datetime(2026, 6, 30, 16, 59, tzinfo=UTC)) == "2026-S1"
    assert period_of(datetime(2026, 6, 30, 17, 0, tzinfo=UTC)) == "2026-S2"  # 1 July WIB
    assert period_of(datetime(2026, 12, 31, 16, 0, tzinfo=UTC), 9) == "2027-S1"
