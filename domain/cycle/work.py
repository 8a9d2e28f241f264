"""Pending work: what a cycle still has to do over many appraisals, page by page."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, TypeAlias

from pydantic import Field

from domain.appraisal.vocabulary import DeadlineKind
from domain.calibration import OrganisationRating
from domain.cycle.membership import MembershipChange
from domain.cycle.vocabulary import _Model


class OpenAppraisals(_Model):
    kind: Literal["open_appraisals"] = "open_appraisals"


class BroadcastDeadline(_Model):
    kind: Literal["broadcast_deadline"] = "broadcast_deadline"
    deadline: DeadlineKind
    until: datetime
    reason: str
    unit: str | None


class BroadcastRating(_Model):
    kind: Literal["broadcast_rating"] = "broadcast_rating"
    unit: str
    rating: OrganisationRating


class BroadcastRelease(_Model):
    kind: Literal["broadcast_release"] = "broadcast_release"
    unit: str
    exception_reason: str | None


class ApplyMembershipChanges(_Model):
    kind: Literal["apply_membership_changes"] = "apply_membership_changes"
    changes: tuple[MembershipChange, ...]


Work: TypeAlias = Annotated[
    OpenAppraisals | BroadcastDeadline | BroadcastRating | BroadcastRelease
    | ApplyMembershipChanges,
    Field(discriminator="kind"),
]


class PendingWork(_Model):
    """One item of work over many appraisals, and how far it has come."""

    index: int
    work: Work
    offset: int = 0
    reached: int = 0
    skipped: int = 0
