"""The reminder rules: who must act, which reminders are due, stable keys (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.appraisal import DeadlineKind, Phase, TargetStatus
from domain.reminders import (
    DeadlineFacts,
    RecipientRole,
    ReminderPolicy,
    due_reminders,
    next_due_at,
    parse_days_before,
    scan_horizon,
    who_must_act,
)

T0 = datetime(2027, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)

PHASE_OF = {
    DeadlineKind.SKP: Phase.TARGET_SETTING,
    DeadlineKind.SELF_ASSESSMENT: Phase.SELF_REPORT,
    DeadlineKind.REVIEW: Phase.REVIEW,
    DeadlineKind.OBJECTION_WINDOW: Phase.OBJECTION_WINDOW,
    DeadlineKind.OBJECTION_DECISION: Phase.OBJECTION_REVIEW,
}


def facts(kind: DeadlineKind = DeadlineKind.SKP, at: datetime = T0 + 10 * DAY, *,
          status: TargetStatus = TargetStatus.DRAFT, appraisal: str = "a-1",
          appraiser: str | None = "e-boss", superior: str | None = "e-head") -> DeadlineFacts:
    return DeadlineFacts(appraisal_id=appraisal, cycle_id="c", agency="ag", unit="u",
                         employee="e-emp", appraiser=appraiser, superior=superior,
                         phase=PHASE_OF[kind], targets_status=status, deadline_kind=kind,
                         deadline_at=at)


# ------------------------------------------------------------------ who must act


@pytest.mark.parametrize(("kind", "status", "person", "role"), [
    (DeadlineKind.SKP, TargetStatus.NONE, "e-emp", RecipientRole.EMPLOYEE),
    (DeadlineKind.SKP, TargetStatus.DRAFT, "e-emp", RecipientRole.EMPLOYEE),
    (DeadlineKind.SKP, TargetStatus.RETURNED, "e-emp", RecipientRole.EMPLOYEE),
    (DeadlineKind.SKP, TargetStatus.SUBMITTED, "e-boss", RecipientRole.APPRAISER),
    (DeadlineKind.SELF_ASSESSMENT, TargetStatus.APPROVED, "e-emp", RecipientRole.EMPLOYEE),
    (DeadlineKind.REVIEW, TargetStatus.APPROVED, "e-boss", RecipientRole.APPRAISER),
    (DeadlineKind.OBJECTION_WINDOW, TargetStatus.APPROVED, "e-emp", RecipientRole.EMPLOYEE),
    (DeadlineKind.OBJECTION_DECISION, TargetStatus.APPROVED, "e-head", RecipientRole.SUPERIOR),
])
def test_who_must_act(kind: DeadlineKind, status: TargetStatus, person: str,
                      role: RecipientRole) -> None:
    acting = who_must_act(facts(kind, status=status))
    assert acting is not None
    assert (acting.person, acting.role) == (person, role)
    assert acting.informational == (kind is DeadlineKind.OBJECTION_WINDOW)


def test_nobody_to_remind() -> None:
    assert who_must_act(facts(DeadlineKind.SKP, status=TargetStatus.APPROVED)) is None
    assert who_must_act(facts(DeadlineKind.REVIEW, appraiser=None)) is None
    assert who_must_act(facts(DeadlineKind.OBJECTION_DECISION, superior=None)) is None
    assert who_must_act(facts(DeadlineKind.OBJECTION_WINDOW),
                        ReminderPolicy(objection_window=False)) is None
    final = facts().model_copy(update={"phase": Phase.FINAL})
    assert who_must_act(final) is None


def test_days_before_setting() -> None:
    assert parse_days_before("7,1") == (7, 1)
    assert parse_days_before(" 1, 14 ,7,7") == (14, 7, 1)
    for bad in ("", "7,x", "0", "-1", "1.5"):
        with pytest.raises(ValueError):
            parse_days_before(bad)


# ------------------------------------------------------------------ due reminders, by example


def test_ten_days_out_gets_the_seven_day_then_the_one_day_reminder() -> None:
    item = facts(at=T0 + 10 * DAY)
    assert due_reminders([item], T0 + 3 * DAY - timedelta(seconds=1)) == []
    (seven,) = due_reminders([item], T0 + 3 * DAY)
    assert (seven.days_before, seven.recipient, seven.due_at) == (7, "e-emp", T0 + 3 * DAY)
    assert due_reminders([item], T0 + 8 * DAY) == [seven]
    (one,) = due_reminders([item], T0 + 9 * DAY)
    assert one.days_before == 1 and one.key != seven.key
    assert due_reminders([item], T0 + 10 * DAY) == []  # the deadline itself: too late
    assert next_due_at([item], T0) == T0 + 3 * DAY
    assert next_due_at([item], T0 + 3 * DAY) == T0 + 9 * DAY
    assert next_due_at([item], T0 + 9 * DAY) is None


def test_late_scan_sends_only_the_latest_threshold() -> None:
    (only,) = due_reminders([facts(at=T0 + 10 * DAY)], T0 + 9 * DAY + timedelta(hours=1))
    assert only.days_before == 1


def test_a_moved_deadline_is_a_new_reminder_and_the_same_one_keeps_its_key() -> None:
    (before,) = due_reminders([facts(at=T0 + 10 * DAY)], T0 + 4 * DAY)
    (again,) = due_reminders([facts(at=T0 + 10 * DAY)], T0 + 5 * DAY)
    (moved,) = due_reminders([facts(at=T0 + 11 * DAY)], T0 + 5 * DAY)
    assert again.key == before.key and again.digest == before.digest
    assert moved.key != before.key and moved.days_before == 7
    # the same instant in another zone is the same deadline
    jakarta = (T0 + 10 * DAY).astimezone(ZoneInfo("Asia/Jakarta"))
    (same,) = due_reminders([facts(at=jakarta)], T0 + 4 * DAY)
    assert same.key == before.key


def test_the_submitted_skp_reminds_the_appraiser_not_the_employee() -> None:
    (drafted,) = due_reminders([facts(status=TargetStatus.DRAFT)], T0 + 4 * DAY)
    (submitted,) = due_reminders([facts(status=TargetStatus.SUBMITTED)], T0 + 4 * DAY)
    assert drafted.recipient == "e-emp" and submitted.recipient == "e-boss"
    assert drafted.key != submitted.key


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        due_reminders([facts()], datetime(2027, 1, 5))
    with pytest.raises(ValueError):
        facts(at=datetime(2027, 1, 5))


# ------------------------------------------------------------------ properties

kinds = st.sampled_from(list(DeadlineKind))
statuses = st.sampled_from(list(TargetStatus))
offsets = st.integers(min_value=-5 * 86400, max_value=40 * 86400).map(
    lambda s: timedelta(seconds=s))
policies = st.builds(
    ReminderPolicy,
    days_before=st.lists(st.integers(min_value=1, max_value=30), min_size=1, max_size=4
                         ).map(tuple),
    objection_window=st.booleans())


@st.composite
def many_facts(draw: st.DrawFn) -> list[DeadlineFacts]:
    count = draw(st.integers(min_value=0, max_value=6))
    return [facts(draw(kinds), T0 + draw(offsets), status=draw(statuses), appraisal=f"a-{i}",
                  appraiser=draw(st.sampled_from(["e-boss", None])),
                  superior=draw(st.sampled_from(["e-head", None])))
            for i in range(count)]


scan_times = st.lists(st.integers(min_value=-86400, max_value=45 * 86400), min_size=1,
                      max_size=30).map(lambda xs: [T0 + timedelta(seconds=x) for x in sorted(xs)])


@given(many_facts(), scan_times, policies)
@settings(max_examples=200, deadline=None)
def test_due_reminders_are_for_whoever_must_act_before_the_deadline(
        items: list[DeadlineFacts], times: list[datetime], policy: ReminderPolicy) -> None:
    by_id = {item.appraisal_id: item for item in items}
    for now in times:
        due = due_reminders(items, now, policy)
        # at most one per deadline per scan
        assert len({(r.appraisal_id, r.deadline_kind) for r in due}) == len(due)
        for reminder in due:
            item = by_id[reminder.appraisal_id]
            acting = who_must_act(item, policy)
            assert acting is not None and acting.person == reminder.recipient
            assert reminder.due_at <= now < reminder.deadline_at == item.deadline_at
            assert reminder.days_before in policy.days_before
            # the latest threshold reached: the next smaller one is still ahead
            smaller = [d for d in policy.days_before if d < reminder.days_before]
            assert all(reminder.deadline_at - timedelta(days=d) > now for d in smaller)


@given(many_facts(), scan_times, policies)
@settings(max_examples=200, deadline=None)
def test_a_sender_that_records_keys_sends_each_threshold_at_most_once_in_order(
        items: list[DeadlineFacts], times: list[datetime], policy: ReminderPolicy) -> None:
    sent: dict[str, int] = {}
    per_deadline: dict[tuple[str, str], list[int]] = {}
    for now in times:
        for reminder in due_reminders(items, now, policy):
            if reminder.digest in sent:
                continue
            sent[reminder.digest] = reminder.days_before
            per_deadline.setdefault((reminder.appraisal_id, reminder.recipient), []).append(
                reminder.days_before)
    for thresholds in per_deadline.values():
        # each threshold at most once, and ever closer to the deadline
        assert thresholds == sorted(set(thresholds), reverse=True)


@given(many_facts(), st.integers(min_value=-86400, max_value=40 * 86400), policies,
       st.lists(st.integers(min_value=1, max_value=40 * 86400), max_size=5))
@settings(max_examples=200, deadline=None)
def test_nothing_new_falls_due_before_next_due_at(
        items: list[DeadlineFacts], start: int, policy: ReminderPolicy, probes: list[int]
) -> None:
    now = T0 + timedelta(seconds=start)
    known = {r.digest for r in due_reminders(items, now, policy)}
    upcoming = next_due_at(items, now, policy)
    for probe in probes:
        later = now + timedelta(seconds=probe)
        if upcoming is not None and later >= upcoming:
            continue
        new = {r.digest for r in due_reminders(items, later, policy)} - known
        assert not new, "a reminder fell due before next_due_at"
    if upcoming is not None:
        assert upcoming > now
        at_next = {r.digest for r in due_reminders(items, upcoming, policy)}
        assert at_next - known, "next_due_at names an instant where nothing new is due"


@given(many_facts(), st.integers(min_value=-86400, max_value=40 * 86400), policies,
       st.integers(min_value=60, max_value=7 * 86400))
@settings(max_examples=200, deadline=None)
def test_a_scan_within_the_horizon_misses_nothing(
        items: list[DeadlineFacts], start: int, policy: ReminderPolicy, look_ahead: int) -> None:
    now = T0 + timedelta(seconds=start)
    ahead = timedelta(seconds=look_ahead)
    horizon = scan_horizon(now, policy, ahead)
    window = [i for i in items if i.deadline_at is not None and now < i.deadline_at <= horizon]
    assert due_reminders(window, now, policy) == due_reminders(items, now, policy)
    upcoming = next_due_at(items, now, policy)
    if upcoming is not None and upcoming <= now + ahead:
        assert next_due_at(window, now, policy) == upcoming
