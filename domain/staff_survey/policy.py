"""The staff's survey of the appraisal system itself, as policy data (issue 15 section 5).

No regulation fixes its questions: they are Kinerja's choice (README, rules section), a
few Likert questions (1 = sangat tidak setuju ... 5 = sangat setuju) on the four things
the issue names (fairness, clarity of the indicators, usefulness of the feedback, time
spent) and one free-text question. Their wording is in the page's catalogue, by key.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Question(StrEnum):
    """The Likert statements, in the form's order (each is answered 1 to 5)."""

    FAIRNESS = "adil"
    """"My appraisal this year was fair."""
    CLARITY = "indikator"
    """"The indicators of my SKP were clear and measurable."""
    FEEDBACK = "umpan_balik"
    """"The feedback I received helped me improve my work."""
    TIME = "waktu"
    """"The time the appraisal took was reasonable." """


class StaffSurveyPolicy(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    questions: tuple[Question, ...]
    scale_min: int
    scale_max: int
    agree_from: int
    """An answer at or above this counts as agreeing (the chart's share)."""
    minimum_group: int
    """No figure of a group with fewer respondents, nor one that lets it be inferred."""
    open_days: int
    """The survey is open this many days from the cycle's close; results are shown only
    after it ends (so that no one compares a group before and after one more answer)."""
    comment_max_length: int


STAFF_SURVEY = StaffSurveyPolicy(
    name="kinerja-staff-survey-1",
    questions=tuple(Question),
    scale_min=1,
    scale_max=5,
    agree_from=4,
    minimum_group=5,
    open_days=30,
    comment_max_length=2000,
)
"""The built-in policy: every value a choice (the README's rules section)."""


def survey_ends(closed_at: datetime, policy: StaffSurveyPolicy = STAFF_SURVEY) -> datetime:
    return closed_at + timedelta(days=policy.open_days)


def survey_open(closed_at: datetime | None, now: datetime,
                policy: StaffSurveyPolicy = STAFF_SURVEY) -> bool:
    """Answers are taken from the cycle's close until ``open_days`` later."""
    return closed_at is not None and closed_at <= now < survey_ends(closed_at, policy)


def results_visible(closed_at: datetime | None, now: datetime,
                    policy: StaffSurveyPolicy = STAFF_SURVEY) -> bool:
    """Figures are shown once the survey has ended (the set of answers no longer moves)."""
    return closed_at is not None and now >= survey_ends(closed_at, policy)
