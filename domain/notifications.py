"""Notifications: who is told what when something happens to an appraisal.

Derived from the event log after the fact (``activities.notifications``), never in the
command's path: :func:`notifications_for` maps one recorded appraisal event, with the
appraisal's parties, to the messages it causes, each with its recipient and whether the
recipient must act. Pure; the sender stores each once (its :attr:`Notification.key`)
and delivers it by e-mail and in the in-app inbox.

Sources: PermenPAN-RB 6/2022 gives each step its actor (the employee agrees the SKP with
the appraiser, the appraiser gives feedback and reviews, the result is released with a
14-day right of objection to the appraiser's superior, who may ask for explanations and
decides); it says nothing about how people are told. Who is told, and which messages
need action (:data:`NEEDS_ACTION`), is Kinerja's choice, written here and in the README.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from domain.appraisal.events import (
    DeadlinePassed,
    Event,
    ExplanationsRequested,
    FeedbackGiven,
    ObjectionDecided,
    ObjectionFiled,
    ResultReleased,
    ReviewSubmitted,
    TargetsApproved,
    TargetsReturned,
)
from domain.authorization import Parties, Relation


class NotificationKind(StrEnum):
    TARGETS_RETURNED = "targets_returned"
    TARGETS_APPROVED = "targets_approved"
    FEEDBACK_RECEIVED = "feedback_received"
    REVIEW_DONE = "review_done"
    RESULT_RELEASED = "result_released"
    OBJECTION_FILED = "objection_filed"
    EXPLANATIONS_REQUESTED = "explanations_requested"
    OBJECTION_DECIDED = "objection_decided"
    ESCALATION = "escalation"


NEEDS_ACTION: frozenset[NotificationKind] = frozenset({
    NotificationKind.TARGETS_RETURNED,        # revise and submit the SKP again
    NotificationKind.OBJECTION_FILED,         # the superior decides it
    NotificationKind.EXPLANATIONS_REQUESTED,  # the party asked explains
    NotificationKind.ESCALATION,              # whoever it escalates to acts
})
"""The kinds whose recipient must act; the others inform (Kinerja's choice: a released
result is information, the objection being a right, not a duty)."""


class Recipient(BaseModel):
    """Who is told: an employee of the agency, or (``employee`` None) the agency's HR."""

    model_config = ConfigDict(frozen=True)

    agency: str
    employee: str | None
    relation: Relation

    @property
    def label(self) -> str:
        return self.employee if self.employee is not None else "hr"


class Notification(BaseModel):
    """One message for one person about one event."""

    model_config = ConfigDict(frozen=True)

    kind: NotificationKind
    recipient: Recipient
    needs_action: bool
    appraisal_id: str
    event_id: str
    at: datetime
    detail: dict[str, str] = {}
    """What the message names: a reason, a deadline (ISO 8601), a predikat, a party."""

    @property
    def key(self) -> str:
        """Stable for the event, kind and person: a retried derivation finds it."""
        return f"{self.event_id}:{self.kind.value}:{self.recipient.label}"

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.key.encode()).hexdigest()


def email_wanted(needs_action: bool, email_information: bool) -> bool:
    """Whether a notification goes out by e-mail: always when it needs action (a
    preference never silences that), else as the person chose (``email_information``).
    The in-app inbox holds every notification either way."""
    return needs_action or email_information


def _to(parties: Parties, relation: Relation) -> Recipient:
    """The person in ``relation`` to the appraisal; the agency's HR when the appraisal
    has nobody there (the top of an agency has no appraiser or superior)."""
    key = {Relation.SELF: parties.employee, Relation.APPRAISER: parties.appraiser,
           Relation.SUPERIOR: parties.superior}.get(relation)
    if key is None:
        return Recipient(agency=parties.agency, employee=None, relation=Relation.HR)
    return Recipient(agency=parties.agency, employee=key, relation=relation)


def notifications_for(event: Event, *, appraisal_id: str, event_id: str,
                      parties: Parties) -> tuple[Notification, ...]:
    """The notifications ``event`` causes, given the appraisal's ``parties``."""
    found: list[tuple[NotificationKind, Relation, dict[str, str]]] = []
    match event:
        case TargetsReturned(reason=reason):
            found.append((NotificationKind.TARGETS_RETURNED, Relation.SELF,
                          {"reason": reason}))
        case TargetsApproved():
            found.append((NotificationKind.TARGETS_APPROVED, Relation.SELF, {}))
        case FeedbackGiven(relation=relation):
            found.append((NotificationKind.FEEDBACK_RECEIVED, Relation.SELF,
                          {"from": relation.value}))
        case ReviewSubmitted(predikat=predikat, revision=revision):
            found.append((NotificationKind.REVIEW_DONE, Relation.SELF,
                          {"predikat": predikat.value, "revision": str(revision)}))
        case ResultReleased(objection_deadline=deadline):
            found.append((NotificationKind.RESULT_RELEASED, Relation.SELF,
                          {"objection_deadline": deadline.isoformat()}))
        case ObjectionFiled(decision_deadline=deadline):
            found.append((NotificationKind.OBJECTION_FILED, Relation.SUPERIOR,
                          {"decision_deadline": deadline.isoformat()}))
        case ExplanationsRequested(parties=asked):
            for party in dict.fromkeys(asked):
                relation = Relation.SELF if party == "employee" else Relation.APPRAISER
                found.append((NotificationKind.EXPLANATIONS_REQUESTED, relation,
                              {"party": party}))
        case ObjectionDecided(outcome=outcome, predikat=predikat):
            detail = {"outcome": outcome.value, "predikat": predikat.value}
            found.append((NotificationKind.OBJECTION_DECIDED, Relation.SELF, detail))
            found.append((NotificationKind.OBJECTION_DECIDED, Relation.APPRAISER, detail))
        case DeadlinePassed(deadline=deadline, due=due, escalated_to=escalated_to) \
                if escalated_to is not None:
            found.append((NotificationKind.ESCALATION, escalated_to,
                          {"deadline": deadline.value, "due": due.isoformat()}))
        case _:
            pass
    notes: dict[str, Notification] = {}
    for kind, relation, detail in found:
        note = Notification(
            kind=kind, recipient=_to(parties, relation), needs_action=kind in NEEDS_ACTION,
            appraisal_id=appraisal_id, event_id=event_id, at=event.at, detail=detail)
        notes.setdefault(note.key, note)  # one per person, who may hold two relations
    return tuple(notes.values())
