"""The appraisal's words: phases, deadline kinds, position kinds, and CommandRefused."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict

from domain.authorization import Relation


class Phase(StrEnum):
    NOT_OPENED = "not_opened"
    TARGET_SETTING = "target_setting"
    SELF_REPORT = "self_report"
    REVIEW = "review"
    CALIBRATION = "calibration"
    """Reviewed; the result waits for its unit's calibration (or HR's release)."""
    OBJECTION_WINDOW = "objection_window"
    OBJECTION_REVIEW = "objection_review"
    FINAL = "final"
    CANCELLED = "cancelled"


TERMINAL_PHASES = frozenset({Phase.FINAL, Phase.CANCELLED})


class TargetStatus(StrEnum):
    NONE = "none"
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"
    SET_BY_HR = "set_by_hr"


class DeadlineKind(StrEnum):
    SKP = "skp"
    """SKP approved; when it passes, HR may set the SKP."""
    SELF_ASSESSMENT = "self_assessment"
    """Self-assessment submitted; when it passes, the review starts without it."""
    REVIEW = "review"
    """Review submitted; when it passes, the appraiser's superior is told and may review."""
    OBJECTION_WINDOW = "objection_window"
    """No objection filed; when it passes, the result is final."""
    OBJECTION_DECISION = "objection_decision"
    """Objection decided; when it passes, HR is told (the superior still decides)."""


DEADLINE_OF_PHASE: dict[Phase, DeadlineKind] = {
    Phase.TARGET_SETTING: DeadlineKind.SKP,
    Phase.SELF_REPORT: DeadlineKind.SELF_ASSESSMENT,
    Phase.REVIEW: DeadlineKind.REVIEW,
    Phase.OBJECTION_WINDOW: DeadlineKind.OBJECTION_WINDOW,
    Phase.OBJECTION_REVIEW: DeadlineKind.OBJECTION_DECISION,
}
"""The deadline that runs in each phase."""

ESCALATION: dict[DeadlineKind, Relation | None] = {
    DeadlineKind.SKP: Relation.HR,
    DeadlineKind.SELF_ASSESSMENT: Relation.APPRAISER,
    DeadlineKind.REVIEW: Relation.SUPERIOR,
    DeadlineKind.OBJECTION_WINDOW: None,
    DeadlineKind.OBJECTION_DECISION: Relation.HR,
}
"""Who is told when a deadline passes with its step undone."""

_PHASE_ORDER = list(Phase)


class PositionKind(StrEnum):
    JPT = "jpt"
    ADMINISTRATOR = "administrator"
    SUPERVISOR = "supervisor"
    STAFF = "staff"
    FUNCTIONAL = "functional"


class CancelReason(StrEnum):
    TRANSFER = "transfer"
    RETIREMENT = "retirement"
    OTHER = "other"


class CommandRefused(Exception):
    """A command that the rules refuse, with a reason a user can read.

    ``code``: ``forbidden`` (the caller may not), ``phase`` (not now),
    ``invalid`` (the content breaks a rule; ``field`` names where).
    """

    def __init__(self, code: Literal["forbidden", "phase", "invalid"], reason: str,
                 field: str | None = None) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.field = field


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
