"""The staff survey's figures per agency and per unit, with no figure of a group under the
policy's minimum (5), whether shown or inferable by subtraction.

A pure function of the counts (``GroupTally`` per unit: the respondents and, per question,
how many gave each answer), so the database hands it one aggregate row per unit, question
and answer, never an answer sheet.

Suppression, in two steps:

1. **Primary**: a unit with fewer respondents than the minimum shows no figure (not its
   count either: "fewer than 5").
2. **Secondary (by subtraction)**: the agency's figures minus the units shown are the
   figures of the hidden units taken together. When those together are 1 to 4
   respondents, the shown unit with the fewest respondents is hidden too (then the next),
   until the hidden units together are none or at least the minimum. When no unit is left
   to hide, every unit is hidden and the hidden together are the agency itself.
3. The agency shows figures only with at least the minimum respondents; without them every
   unit is hidden too.

What this does not cover: a reader comparing two moments of the same survey (the answers
of one person between them); the survey's figures are therefore shown only after it ends
(``policy.results_visible``), when the set no longer changes. Comments are listed for the
agency only (never by unit), sorted by their text (not in the order they came), and only
when the agency shows figures.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from domain.staff_survey.policy import STAFF_SURVEY, Question, StaffSurveyPolicy


@dataclass(frozen=True)
class GroupTally:
    """What the figures need of one group's answers."""

    respondents: int = 0
    answers: Mapping[Question, Mapping[int, int]] = field(default_factory=dict)
    """Per question, the number of respondents who gave each answer (1..5)."""

    def __add__(self, other: GroupTally) -> GroupTally:
        merged: dict[Question, dict[int, int]] = {}
        for tally in (self, other):
            for question, counts in tally.answers.items():
                into = merged.setdefault(question, {})
                for value, count in counts.items():
                    into[value] = into.get(value, 0) + count
        return GroupTally(self.respondents + other.respondents, merged)


def tally(sheets: Iterable[Mapping[Question, int]]) -> GroupTally:
    """The tally of answer sheets (tests and benches; the store counts in SQL)."""
    total = GroupTally()
    for sheet in sheets:
        total = total + GroupTally(1, {q: {v: 1} for q, v in sheet.items()})
    return total


@dataclass(frozen=True)
class QuestionFigures:
    question: Question
    mean: Decimal
    """Rounded half up to two places."""
    agree_percent: int
    """The share answering at or above ``agree_from``, in whole percent (half up)."""
    distribution: tuple[int, ...]
    """How many answered each value of the scale, lowest first."""


@dataclass(frozen=True)
class Figures:
    respondents: int
    questions: tuple[QuestionFigures, ...]


class Hidden(StrEnum):
    TOO_FEW = "too_few"
    """Fewer respondents than the minimum (or none)."""
    INFERABLE = "inferable"
    """Enough respondents, hidden so that a smaller group cannot be computed by subtraction."""


@dataclass(frozen=True)
class GroupResult:
    group: str
    figures: Figures | None
    hidden: Hidden | None


@dataclass(frozen=True)
class SurveyResults:
    agency: GroupResult
    units: tuple[GroupResult, ...]
    comments: tuple[str, ...]
    """Only when the agency shows figures; sorted by text."""


def _half_up(value: Decimal, quantum: str) -> Decimal:
    return value.quantize(Decimal(quantum), rounding=ROUND_HALF_UP)


def figures_of(group: GroupTally, policy: StaffSurveyPolicy = STAFF_SURVEY) -> Figures:
    """The figures of a group (whatever its size: the caller decides what is shown)."""
    scale = range(policy.scale_min, policy.scale_max + 1)
    questions = []
    for question in policy.questions:
        counts = group.answers.get(question, {})
        answered = sum(counts.values())
        total = sum(value * count for value, count in counts.items())
        agree = sum(count for value, count in counts.items() if value >= policy.agree_from)
        mean = _half_up(Decimal(total) / Decimal(answered), "0.01") if answered \
            else Decimal(0)
        percent = int(_half_up(Decimal(agree * 100) / Decimal(answered), "1")) \
            if answered else 0
        questions.append(QuestionFigures(question, mean, percent,
                                         tuple(counts.get(v, 0) for v in scale)))
    return Figures(group.respondents, tuple(questions))


def shown_units(respondents: Mapping[str, int], minimum: int) -> set[str]:
    """The units whose figures may be shown: at least ``minimum`` respondents each, and
    the hidden ones together none or at least ``minimum`` (else the smallest shown are
    hidden too, fewest respondents first, then by key)."""
    shown = {u for u, n in respondents.items() if n >= minimum}
    if sum(respondents.values()) < minimum:
        return set()

    def residual() -> int:
        return sum(n for u, n in respondents.items() if u not in shown)

    while shown and 0 < residual() < minimum:
        shown.remove(min(shown, key=lambda u: (respondents[u], u)))
    return shown


def results(agency: str, units: Mapping[str, GroupTally], comments: Iterable[str] = (),
            policy: StaffSurveyPolicy = STAFF_SURVEY) -> SurveyResults:
    """The agency's and each unit's figures, each only where the policy allows
    (``units``: every unit of the cycle, those without answers with an empty tally)."""
    minimum = policy.minimum_group
    total = sum(units.values(), GroupTally())
    shown = shown_units({u: t.respondents for u, t in units.items()}, minimum)
    agency_shown = total.respondents >= minimum
    rows = tuple(
        GroupResult(u, figures_of(t, policy), None) if u in shown
        else GroupResult(u, None, Hidden.TOO_FEW if t.respondents < minimum
                         else Hidden.INFERABLE)
        for u, t in sorted(units.items()))
    return SurveyResults(
        agency=GroupResult(agency, figures_of(total, policy), None) if agency_shown
        else GroupResult(agency, None, Hidden.TOO_FEW),
        units=rows,
        comments=tuple(sorted(comments)) if agency_shown else ())
