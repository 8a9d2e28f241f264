"""One respondent's answers: the nine elements on the 1-4 scale, the profile the
guideline asks for, the service used and an optional comment. Checked where it enters
(the public form), with the rule named for the field."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.survey.policy import (
    ELEMENTS,
    SKM_14_2017,
    AgeGroup,
    Education,
    Element,
    Occupation,
    Sex,
)
from domain.text import Clean

Answer = Annotated[int, Field(ge=SKM_14_2017.scale_min, le=SKM_14_2017.scale_max)]
Comment = Annotated[str, Field(max_length=SKM_14_2017.comment_max_length), Clean]
ServiceKey = Annotated[str, Field(min_length=1, max_length=64,
                                  pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]


class SurveyResponse(BaseModel):
    """What a respondent sends (nothing that names them)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    service: ServiceKey
    answers: dict[Element, Answer]
    age_group: AgeGroup
    sex: Sex
    education: Education
    occupation: Occupation
    comment: Comment | None = None

    @field_validator("answers")
    @classmethod
    def _every_element(cls, answers: dict[Element, int]) -> dict[Element, int]:
        missing = [e for e in ELEMENTS if e not in answers]
        if missing:
            raise ValueError("answer every element: " + ", ".join(e.value for e in missing))
        return answers


SURVEY_RESPONDED = "survey_responded"
"""The type of the one event of a response's stream."""


def survey_stream(agency: str, unit: str, response_id: str) -> str:
    """One stream per response: chained and sealed like every event, and no stream head
    that hundreds of anonymous respondents would race on."""
    return f"survey-{agency}-{unit}-{response_id}"


def response_data(response: SurveyResponse, agency: str, unit: str, period: str
                  ) -> dict[str, object]:
    """The event's data: everything the respondent sent, where and when (the period)."""
    return {"agency": agency, "unit": unit, "period": period, "service": response.service,
            "answers": {e.value: response.answers[e] for e in ELEMENTS},
            "age_group": response.age_group.value, "sex": response.sex.value,
            "education": response.education.value, "occupation": response.occupation.value,
            "comment": response.comment or None}


class PublicService(BaseModel):
    """A service a unit offers the public (what the respondent used)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: ServiceKey
    name: Annotated[str, Field(min_length=1, max_length=200), Clean]
