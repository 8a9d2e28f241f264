"""One employee's answers: every Likert question on the policy's scale and an optional
comment. Nothing in it names the employee."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.staff_survey.policy import STAFF_SURVEY, Question
from domain.text import Clean

Answer = Annotated[int, Field(ge=STAFF_SURVEY.scale_min, le=STAFF_SURVEY.scale_max)]
Comment = Annotated[str, Field(max_length=STAFF_SURVEY.comment_max_length), Clean]


class StaffAnswer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    answers: dict[Question, Answer]
    comment: Comment | None = None

    @model_validator(mode="after")
    def _every_question(self) -> StaffAnswer:
        missing = [q.value for q in STAFF_SURVEY.questions if q not in self.answers]
        if missing:
            raise ValueError(f"every question needs an answer: {', '.join(missing)}")
        return self
