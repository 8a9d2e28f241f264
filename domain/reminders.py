"""Reminders before deadlines: who must act, and which reminders are due now.

Pure rules over the appraisal read model's facts (:class:`DeadlineFacts`): the
deadline now running, the phase, the targets' status and the parties. A
:class:`Reminder` names one person, one deadline (its kind *and* instant) and
one threshold (``days_before``); its :attr:`Reminder.key` is stable, so the
sender can record it and never send it twice, while a deadline moved to another
instant yields new keys (the person is reminded of the new date).

When several thresholds of the same deadline have been crossed since the last
scan (the worker was down, or the appraisal opened late), only the latest one
(the fewest days before) is due: a stale "7 days left" is never sent when one
day is left.

Beside the annual deadline, the periodic review now running (penilaian kinerja
periodik: the earliest period neither reviewed nor missed,
:meth:`domain.appraisal.AppraisalState.next_period_deadline`) reminds the appraiser
by the same thresholds. Its reminders carry the period, and their keys name it
(``period_<n>``), so they never collide with the annual deadline's; a period
reviewed or missed is no longer running and is reminded no more.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.appraisal import AppraisalState, DeadlineKind, Phase, TargetStatus
from domain.appraisal.state import PERIOD_PHASES

PERIOD_REVIEW = "period_review"
"""The name a periodic review's reminder records for its deadline (``reminders_sent``)."""


def missed_unreviewed(state: AppraisalState) -> tuple[tuple[int, datetime], ...]:
    """The periods whose review deadline passed (recorded ``PeriodDeadlinePassed``) and
    that are still not reviewed, with their due dates, in order: what HR's monitoring
    lists as overdue (beside the running period once its due date is behind)."""
    return tuple((period, state.period_deadlines[period])
                 for period in sorted(state.missed_periods)
                 if period not in state.period_reviews and period in state.period_deadlines)


class RecipientRole(StrEnum):
    """What the person reminded is to the appraisal."""

    EMPLOYEE = "employee"
    APPRAISER = "appraiser"
    SUPERIOR = "superior"


class ReminderPolicy(BaseModel):
    """When to remind: thresholds in whole days before a deadline; whether the
    employee is told (for information) that the objection window closes."""

    model_config = ConfigDict(frozen=True)

    days_before: tuple[int, ...] = (7, 1)
    objection_window: bool = True

    @field_validator("days_before")
    @classmethod
    def _thresholds(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value:
            raise ValueError("at least one threshold is needed")
        if any(days < 1 for days in value):
            raise ValueError("thresholds are whole days, at least 1")
        return tuple(sorted(set(value), reverse=True))


def parse_days_before(text: str) -> tuple[int, ...]:
    """``"7,1"`` -> ``(7, 1)``: the thresholds of a setting, largest first."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    try:
        days = tuple(int(part) for part in parts)
    except ValueError:
        raise ValueError(f"days before must be whole numbers separated by commas: {text!r}"
                         ) from None
    return ReminderPolicy(days_before=days).days_before


class DeadlineFacts(BaseModel):
    """What the reminder rules need from one appraisal's read-model row."""

    model_config = ConfigDict(frozen=True)

    appraisal_id: str
    cycle_id: str
    agency: str
    unit: str
    employee: str
    appraiser: str | None
    superior: str | None
    phase: Phase
    targets_status: TargetStatus = TargetStatus.NONE
    deadline_kind: DeadlineKind | None
    deadline_at: datetime | None
    period: int | None = Field(default=None, ge=1)
    """The periodic review now running (its period's number), if any."""
    period_due_at: datetime | None = None
    period_label: str | None = None
    """The running period as people name it (:func:`period_label`)."""

    @field_validator("deadline_at", "period_due_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("deadlines must carry a time zone")
        return value


class MustAct(BaseModel):
    """The person a deadline waits for, and whether the reminder is only for information."""

    model_config = ConfigDict(frozen=True)

    person: str
    role: RecipientRole
    informational: bool = False


def who_must_act(facts: DeadlineFacts, policy: ReminderPolicy | None = None) -> MustAct | None:
    """Who the running deadline waits for; None when nobody is to be reminded.

    SKP: the employee while the targets are not drafted, drafted or returned; the
    appraiser while they are submitted. Self-assessment: the employee. Review: the
    appraiser. Objection window: the employee, for information (the result becomes
    final by itself), unless the policy says not to. Objection decision: the
    appraiser's superior. A party that is absent (the top of an agency has no
    appraiser; HR acts of record and watches its progress lists) is not reminded.
    """
    policy = policy or ReminderPolicy()
    kind = facts.deadline_kind
    if kind is None or facts.phase in (Phase.FINAL, Phase.CANCELLED):
        return None
    person: str | None
    role: RecipientRole
    informational = False
    if kind is DeadlineKind.SKP:
        if facts.targets_status in (TargetStatus.NONE, TargetStatus.DRAFT,
                                    TargetStatus.RETURNED):
            person, role = facts.employee, RecipientRole.EMPLOYEE
        elif facts.targets_status is TargetStatus.SUBMITTED:
            person, role = facts.appraiser, RecipientRole.APPRAISER
        else:
            return None
    elif kind is DeadlineKind.SELF_ASSESSMENT:
        person, role = facts.employee, RecipientRole.EMPLOYEE
    elif kind is DeadlineKind.REVIEW:
        person, role = facts.appraiser, RecipientRole.APPRAISER
    elif kind is DeadlineKind.OBJECTION_WINDOW:
        if not policy.objection_window:
            return None
        person, role, informational = facts.employee, RecipientRole.EMPLOYEE, True
    else:
        person, role = facts.superior, RecipientRole.SUPERIOR
    if person is None:
        return None
    return MustAct(person=person, role=role, informational=informational)


class Reminder(BaseModel):
    """One reminder: one person, one deadline at one instant, one threshold."""

    model_config = ConfigDict(frozen=True)

    appraisal_id: str
    cycle_id: str
    agency: str
    unit: str
    employee: str
    """The appraisal's employee (the subject, whoever is reminded)."""
    deadline_kind: DeadlineKind
    deadline_at: datetime
    days_before: int = Field(ge=1)
    recipient: str
    role: RecipientRole
    informational: bool = False
    due_at: datetime
    period: int | None = Field(default=None, ge=1)
    """A periodic review's reminder: its period (``deadline_kind`` is then ``review``)."""
    period_label: str | None = None

    @property
    def deadline_name(self) -> str:
        """The deadline as the record names it: the annual kind, or ``period_review``."""
        return PERIOD_REVIEW if self.period is not None else self.deadline_kind.value

    @property
    def key(self) -> str:
        """Stable and readable: appraisal, deadline (its kind, or ``period_<n>``), deadline
        instant (UTC, to the microsecond), threshold, recipient."""
        instant = self.deadline_at.astimezone(UTC).isoformat(timespec="microseconds")
        deadline = (f"period_{self.period}" if self.period is not None
                    else self.deadline_kind.value)
        return (f"{self.appraisal_id}|{deadline}|{instant}"
                f"|{self.days_before}d|{self.recipient}")

    @property
    def digest(self) -> str:
        """SHA-256 of :attr:`key`, hex: the sent-reminder record's id and the message id."""
        return hashlib.sha256(self.key.encode("utf-8")).hexdigest()


def _threshold(deadline_at: datetime, days: int) -> datetime:
    return deadline_at - timedelta(days=days)


def period_must_act(facts: DeadlineFacts) -> MustAct | None:
    """Who the running periodic review waits for: the appraiser, while the year's work
    runs (self-report and the annual review); None without one (HR appraises the top
    of an agency) or without a running period."""
    if (facts.period is None or facts.period_due_at is None
            or facts.phase not in PERIOD_PHASES or facts.appraiser is None):
        return None
    return MustAct(person=facts.appraiser, role=RecipientRole.APPRAISER)


def _running(item: DeadlineFacts, policy: ReminderPolicy
             ) -> list[tuple[DeadlineKind, datetime, int | None, MustAct]]:
    """The deadlines of one appraisal that wait for someone: (kind, instant, period,
    who); the annual one first."""
    running: list[tuple[DeadlineKind, datetime, int | None, MustAct]] = []
    if item.deadline_kind is not None and item.deadline_at is not None:
        acting = who_must_act(item, policy)
        if acting is not None:
            running.append((item.deadline_kind, item.deadline_at, None, acting))
    period_acting = period_must_act(item)
    if period_acting is not None:
        assert item.period is not None and item.period_due_at is not None
        running.append((DeadlineKind.REVIEW, item.period_due_at, item.period, period_acting))
    return running


def due_reminders(facts: Iterable[DeadlineFacts], now: datetime,
                  policy: ReminderPolicy | None = None) -> list[Reminder]:
    """The reminders due at ``now``: for each running deadline still ahead
    (``now < deadline``: the annual one and the running periodic review) whose first
    threshold has been reached, the reminder of the latest threshold reached, to
    whoever must act. Ordered by deadline, then appraisal id. Whether one was already
    sent is the sender's record, not this function's concern: the same inputs always
    give the same keys."""
    if now.tzinfo is None:
        raise ValueError("now must carry a time zone")
    policy = policy or ReminderPolicy()
    due: list[Reminder] = []
    for item in facts:
        for kind, deadline_at, period, acting in _running(item, policy):
            if now >= deadline_at:
                continue
            reached = [days for days in policy.days_before
                       if _threshold(deadline_at, days) <= now]
            if not reached:
                continue
            days = min(reached)
            due.append(Reminder(
                appraisal_id=item.appraisal_id, cycle_id=item.cycle_id, agency=item.agency,
                unit=item.unit, employee=item.employee, deadline_kind=kind,
                deadline_at=deadline_at, days_before=days, recipient=acting.person,
                role=acting.role, informational=acting.informational,
                due_at=_threshold(deadline_at, days), period=period,
                period_label=item.period_label if period is not None else None))
    due.sort(key=lambda r: (r.deadline_at, r.appraisal_id, r.period or 0, r.days_before))
    return due


def next_due_at(facts: Iterable[DeadlineFacts], now: datetime,
                policy: ReminderPolicy | None = None) -> datetime | None:
    """The earliest instant after ``now`` at which a new reminder becomes due for these
    facts (the next threshold to be crossed), or None."""
    policy = policy or ReminderPolicy()
    earliest: datetime | None = None
    for item in facts:
        for _kind, deadline_at, _period, _acting in _running(item, policy):
            if now >= deadline_at:
                continue
            for days in policy.days_before:
                at = _threshold(deadline_at, days)
                if at > now and (earliest is None or at < earliest):
                    earliest = at
    return earliest


def scan_horizon(now: datetime, policy: ReminderPolicy, look_ahead: timedelta) -> datetime:
    """The latest deadline whose reminders can fall due within ``look_ahead`` of ``now``:
    a scan that reads the deadlines in ``(now, horizon]`` sees every reminder due now
    and every threshold crossed before the next scan."""
    return now + timedelta(days=max(policy.days_before)) + look_ahead
