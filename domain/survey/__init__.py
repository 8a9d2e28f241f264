"""The public's voice: the Survei Kepuasan Masyarakat (PermenPAN-RB 14/2017)."""

from domain.survey.ikm import (
    PERIOD_PATTERN,
    ElementResult,
    SurveyResult,
    Tally,
    category_of,
    compute,
    minimum_sample,
    period_of,
    tally,
)
from domain.survey.policy import (
    ELEMENTS,
    SKM_14_2017,
    AgeGroup,
    Category,
    Education,
    Element,
    Occupation,
    Sex,
    SurveyPolicy,
)
from domain.survey.response import (
    SURVEY_RESPONDED,
    PublicService,
    SurveyResponse,
    response_data,
    survey_stream,
)

__all__ = ["ELEMENTS", "PERIOD_PATTERN", "SKM_14_2017", "SURVEY_RESPONDED", "AgeGroup", "Category",
           "Education", "Element", "ElementResult", "Occupation", "PublicService", "Sex",
           "SurveyPolicy", "SurveyResponse", "SurveyResult", "Tally", "category_of",
           "compute", "minimum_sample", "period_of", "response_data", "survey_stream", "tally"]
