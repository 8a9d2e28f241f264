"""The staff survey's rules: answers, the window, and figures never of a group under 5,
shown or inferable by subtraction (hypothesis over any split of an agency into units)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from domain.staff_survey import (
    STAFF_SURVEY,
    GroupTally,
    Hidden,
    Question,
    StaffAnswer,
    figures_of,
    results,
    results_visible,
    shown_units,
    survey_open,
    tally,
)

MIN = STAFF_SURVEY.minimum_group
sheet = st.fixed_dictionaries({q: st.integers(1, 5) for q in STAFF_SURVEY.questions})
units = st.dictionaries(st.sampled_from([f"u{i}" for i in range(8)]),
                        st.lists(sheet, max_size=12), max_size=8)


@given(units)
def test_no_group_under_the_minimum_is_shown_or_inferable(
        split: dict[str, list[dict[Question, int]]]) -> None:
    tallies = {u: tally(s) for u, s in split.items()}
    total = sum(t.respondents for t in tallies.values())
    out = results("agency", tallies)
    shown = [r for r in out.units if r.figures is not None]
    hidden = [r for r in out.units if r.figures is None]
    for row in shown:
        assert row.figures is not None and row.figures.respondents >= MIN
    assert (out.agency.figures is not None) == (total >= MIN)
    if out.agency.figures is None:
        assert not shown and out.comments == ()
    else:
        # the agency minus every unit shown: the hidden together, none or at least 5
        residual = sum(tallies[r.group].respondents for r in hidden)
        assert residual == 0 or residual >= MIN
    for row in hidden:
        assert row.hidden is (Hidden.TOO_FEW if tallies[row.group].respondents < MIN
                              else Hidden.INFERABLE)


@given(st.lists(sheet, min_size=1, max_size=30))
def test_figures_are_the_answers_counted(sheets: list[dict[Question, int]]) -> None:
    figures = figures_of(tally(sheets))
    assert figures.respondents == len(sheets)
    for q in figures.questions:
        values = [s[q.question] for s in sheets]
        assert sum(q.distribution) == len(sheets)
        assert abs(q.mean - Decimal(sum(values)) / len(values)) <= Decimal("0.005")
        agree = sum(v >= 4 for v in values) * 100 / len(values)
        assert abs(q.agree_percent - agree) <= 0.5


def test_one_small_unit_hides_the_smallest_other_so_it_cannot_be_subtracted() -> None:
    assert shown_units({"a": 6, "b": 7, "c": 2}, 5) == {"b"}
    assert shown_units({"a": 6, "b": 7, "c": 0}, 5) == {"a", "b"}
    assert shown_units({"a": 6, "c": 2}, 5) == set()
    assert shown_units({"a": 3, "b": 1}, 5) == set()
    assert shown_units({"a": 3, "b": 2, "c": 9}, 5) == {"c"}  # 3 + 2 hidden together: 5


def test_an_agency_of_four_shows_nothing() -> None:
    four = tally([dict.fromkeys(STAFF_SURVEY.questions, 5)] * 4)
    out = results("agency", {"a": four}, comments=["bagus"])
    assert out.agency.figures is None and out.units[0].figures is None
    assert out.comments == ()


def test_comments_are_the_agencys_sorted_not_in_arrival_order() -> None:
    five = tally([dict.fromkeys(STAFF_SURVEY.questions, 3)] * 5)
    out = results("agency", {"a": five}, comments=["zebra", "apel"])
    assert out.comments == ("apel", "zebra")


def test_an_answer_needs_every_question_on_the_scale_and_a_clean_comment() -> None:
    every = {q.value: 3 for q in Question}
    assert StaffAnswer.model_validate({"answers": every}).comment is None
    with pytest.raises(ValidationError):
        StaffAnswer.model_validate({"answers": {**every, "adil": 6}})
    with pytest.raises(ValidationError):
        StaffAnswer.model_validate({"answers": {"adil": 3}})
    with pytest.raises(ValidationError, match=r"control characters"):
        StaffAnswer.model_validate({"answers": every, "comment": "a\x00b"})
    with pytest.raises(ValidationError):
        StaffAnswer.model_validate({"answers": every, "comment": "x" * 2001})


def test_the_survey_is_open_thirty_days_and_its_figures_come_after() -> None:
    closed = datetime(2026, 1, 10, tzinfo=UTC)
    assert not survey_open(None, closed)
    assert not survey_open(closed, closed - timedelta(seconds=1))
    assert survey_open(closed, closed + timedelta(days=29))
    assert not survey_open(closed, closed + timedelta(days=30))
    assert not results_visible(closed, closed + timedelta(days=29))
    assert results_visible(closed, closed + timedelta(days=30))


def test_tallies_add() -> None:
    a = GroupTally(1, {Question.FAIRNESS: {5: 1}})
    b = GroupTally(2, {Question.FAIRNESS: {5: 1, 2: 1}})
    assert (a + b).answers[Question.FAIRNESS] == {5: 2, 2: 1}
    assert (a + b).respondents == 3
