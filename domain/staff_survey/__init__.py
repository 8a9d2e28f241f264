"""The staff's say on the appraisal system: an anonymous survey at the cycle's close
(issue 15 section 5; docs/public-voice.md)."""

from domain.staff_survey.answer import StaffAnswer
from domain.staff_survey.policy import (
    STAFF_SURVEY,
    Question,
    StaffSurveyPolicy,
    results_visible,
    survey_ends,
    survey_open,
)
from domain.staff_survey.results import (
    Figures,
    GroupResult,
    GroupTally,
    Hidden,
    QuestionFigures,
    SurveyResults,
    figures_of,
    results,
    shown_units,
    tally,
)

__all__ = ["STAFF_SURVEY", "Figures", "GroupResult", "GroupTally", "Hidden", "Question",
           "QuestionFigures", "StaffAnswer", "StaffSurveyPolicy", "SurveyResults",
           "figures_of", "results", "results_visible", "shown_units", "survey_ends",
           "survey_open", "tally"]
