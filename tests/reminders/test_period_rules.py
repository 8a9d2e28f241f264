"""The periodic review's reminders (penilaian kinerja periodik): to the appraiser, by the
annual thresholds, keys distinct from the annual deadline's (hypothesis where they combine)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.appraisal import DeadlineKind, Phase, TargetStatus
from domain.documents import period_label
from domain.reminders import (
    PERIOD_REVIEW,
    DeadlineFacts,
    RecipientRole,
    ReminderPolicy,
    due_reminders,
    next_due_at,
    scan_horizon,
)

T0 = datetime(2026, 10, 1, tzinfo=UTC)
DAY = timedelta(days=1)
POLICY = ReminderPolicy(days_before=(7, 1))
ROMAN = {1: "Triwulan I", 2: "Triwulan II", 3: "Triwulan III", 4: "Triwulan IV"}


def facts(*, phase: Phase = Phase.SELF_REPORT, period: int | None = 3,
          period_due_at: datetime | None = T0 + 10 * DAY,
          kind: DeadlineKind | None = DeadlineKind.SELF_ASSESSMENT,
          at: datetime | None = T0 + 90 * DAY, appraiser: str | None = "e-boss",
          appraisal: str = "a-1") -> DeadlineFacts:
    return DeadlineFacts(
        appraisal_id=appraisal, cycle_id="c", agency="ag", unit="u", employee="e-emp",
        appraiser=appraiser, superior="e-head", phase=phase,
        targets_status=TargetStatus.APPROVED, deadline_kind=kind, deadline_at=at,
        period=period, period_due_at=period_due_at,
        period_label=period_label("quarterly", period, 2026) if period else None)


def test_period_labels() -> None:
    assert period_label("quarterly", 3, 2026) == "Triwulan III 2026"
    assert period_label("quarterly", 1, 2027) == "Triwulan I 2027"
    assert period_label("monthly", 3, 2026) == "Maret 2026"
    assert period_label("monthly", 12, 2026) == "Desember 2026"


def test_the_running_period_reminds_the_appraiser_seven_then_one_day_before() -> None:
    item = facts()
    assert due_reminders([item], T0 + 2 * DAY, POLICY) == []
    assert next_due_at([item], T0, POLICY) == T0 + 3 * DAY
    (week,) = due_reminders([item], T0 + 4 * DAY, POLICY)
    assert (week.recipient, week.role, week.days_before) == ("e-boss", RecipientRole.APPRAISER, 7)
    assert (week.period, week.period_label, week.deadline_name) == (
        3, "Triwulan III 2026", PERIOD_REVIEW)
    assert week.key == (f"a-1|period_3|{(T0 + 10 * DAY).isoformat(timespec='microseconds')}"
                        "|7d|e-boss")
    (day,) = due_reminders([item], T0 + 9 * DAY + timedelta(hours=1), POLICY)
    assert day.days_before == 1 and day.key != week.key
    assert due_reminders([item], T0 + 10 * DAY, POLICY) == []  # passed: nothing more


def test_beside_the_annual_review_deadline_both_are_reminded_with_distinct_keys() -> None:
    # the review phase: the annual review and the last period both due within the week
    item = facts(phase=Phase.REVIEW, kind=DeadlineKind.REVIEW, at=T0 + 10 * DAY, period=4,
                 period_due_at=T0 + 10 * DAY)
    annual, periodic = due_reminders([item], T0 + 5 * DAY, POLICY)
    assert (annual.period, periodic.period) == (None, 4)
    assert annual.deadline_name == "review" and periodic.deadline_name == PERIOD_REVIEW
    assert annual.key != periodic.key and annual.digest != periodic.digest
    assert annual.key == f"a-1|review|{(T0 + 10 * DAY).isoformat(timespec='microseconds')}" \
        "|7d|e-boss"  # the annual key as before


@pytest.mark.parametrize("phase", [Phase.TARGET_SETTING, Phase.CALIBRATION,
                                   Phase.OBJECTION_WINDOW, Phase.FINAL, Phase.CANCELLED])
def test_no_period_reminder_outside_the_years_work(phase: Phase) -> None:
    assert [r for r in due_reminders([facts(phase=phase, kind=None, at=None)],
                                     T0 + 5 * DAY, POLICY) if r.period] == []


def test_no_appraiser_or_no_running_period_is_no_period_reminder() -> None:
    assert due_reminders([facts(appraiser=None, kind=None, at=None)], T0 + 5 * DAY,
                         POLICY) == []
    assert due_reminders([facts(period=None, period_due_at=None, kind=None, at=None)],
                         T0 + 5 * DAY, POLICY) == []


# ------------------------------------------------------------------ properties

offsets = st.integers(min_value=-5 * 86400, max_value=40 * 86400).map(
    lambda s: timedelta(seconds=s))
policies = st.builds(ReminderPolicy, days_before=st.lists(
    st.integers(min_value=1, max_value=30), min_size=1, max_size=4).map(tuple))


@st.composite
def running(draw: st.DrawFn) -> list[tuple[DeadlineFacts, ...]]:
    """Appraisals, each as the read model shows it over time: the periods run one after
    another (a period reviewed or missed gives way to the next), beside an annual
    deadline."""
    histories = []
    for i in range(draw(st.integers(min_value=0, max_value=4))):
        phase = draw(st.sampled_from([Phase.SELF_REPORT, Phase.REVIEW]))
        kind = DeadlineKind.SELF_ASSESSMENT if phase is Phase.SELF_REPORT else \
            DeadlineKind.REVIEW
        at = T0 + draw(offsets)
        first = draw(st.integers(min_value=1, max_value=4))
        dues = sorted(T0 + draw(offsets) for _ in range(first, 5))
        histories.append(tuple(
            facts(phase=phase, kind=kind, at=at, period=p, period_due_at=due,
                  appraisal=f"a-{i}", appraiser=draw(st.sampled_from(["e-boss", None])))
            for p, due in zip(range(first, 5), dues, strict=True)))
    return histories


@given(running(), st.lists(st.integers(min_value=-86400, max_value=45 * 86400), min_size=1,
                           max_size=30), policies, st.data())
@settings(max_examples=200, deadline=None)
def test_each_reminder_once_per_deadline_in_order_never_after_its_period_moved_on(
        histories: list[tuple[DeadlineFacts, ...]], seconds: list[int],
        policy: ReminderPolicy, data: st.DataObject) -> None:
    times = [T0 + timedelta(seconds=s) for s in sorted(seconds)]
    stage = dict.fromkeys(range(len(histories)), 0)
    sent: dict[str, tuple[str, int | None, int]] = {}
    per_deadline: dict[tuple[str, str, int | None], list[int]] = {}
    for now in times:
        # between scans, some periods are reviewed (or missed): the next one runs
        for i, history in enumerate(histories):
            stage[i] = min(len(history) - 1, stage[i] + data.draw(st.integers(0, 1)))
        current = [history[stage[i]] for i, history in enumerate(histories)]
        due = due_reminders(current, now, policy)
        names = [(r.appraisal_id, r.deadline_name) for r in due]
        assert len(set(names)) == len(names)  # one per deadline per scan
        assert len({r.digest for r in due}) == len(due)
        for reminder in due:
            item = next(c for c in current if c.appraisal_id == reminder.appraisal_id)
            if reminder.period is not None:  # only the running period, to its appraiser
                assert reminder.period == item.period and item.appraiser is not None
                assert reminder.recipient == item.appraiser
                assert reminder.deadline_at == item.period_due_at
                assert reminder.period_label == ROMAN[reminder.period] + " 2026"
            else:
                assert reminder.deadline_at == item.deadline_at
            assert reminder.due_at <= now < reminder.deadline_at
            if reminder.digest in sent:
                continue
            sent[reminder.digest] = (reminder.appraisal_id, reminder.period,
                                     reminder.days_before)
            per_deadline.setdefault(
                (reminder.appraisal_id, reminder.deadline_name, reminder.period), []
            ).append(reminder.days_before)
    for thresholds in per_deadline.values():
        assert thresholds == sorted(set(thresholds), reverse=True)


@given(running(), st.integers(min_value=-86400, max_value=40 * 86400), policies,
       st.lists(st.integers(min_value=1, max_value=40 * 86400), max_size=5))
@settings(max_examples=200, deadline=None)
def test_nothing_new_falls_due_before_next_due_at_periods_included(
        histories: list[tuple[DeadlineFacts, ...]], start: int, policy: ReminderPolicy,
        probes: list[int]) -> None:
    items = [history[0] for history in histories]
    now = T0 + timedelta(seconds=start)
    known = {r.digest for r in due_reminders(items, now, policy)}
    upcoming = next_due_at(items, now, policy)
    for probe in probes:
        later = now + timedelta(seconds=probe)
        if upcoming is not None and later >= upcoming:
            continue
        assert not {r.digest for r in due_reminders(items, later, policy)} - known
    if upcoming is not None:
        assert {r.digest for r in due_reminders(items, upcoming, policy)} - known


def _windowed(item: DeadlineFacts, now: datetime, horizon: datetime) -> DeadlineFacts | None:
    """``item`` as the scan's read (``store.reminders.running_deadlines``) gives it: each
    deadline outside ``(now, horizon]`` left out; None when neither is inside."""
    def inside(at: datetime | None) -> bool:
        return at is not None and now < at <= horizon
    annual, period = inside(item.deadline_at), inside(item.period_due_at)
    if not (annual or period):
        return None
    return item.model_copy(update={
        "deadline_kind": item.deadline_kind if annual else None,
        "deadline_at": item.deadline_at if annual else None,
        "period": item.period if period else None,
        "period_due_at": item.period_due_at if period else None})


@given(running(), st.integers(min_value=-86400, max_value=40 * 86400), policies,
       st.integers(min_value=60, max_value=7 * 86400))
@settings(max_examples=200, deadline=None)
def test_a_scan_within_the_horizon_misses_no_period_reminder(
        histories: list[tuple[DeadlineFacts, ...]], start: int, policy: ReminderPolicy,
        look_ahead: int) -> None:
    items = [history[0] for history in histories]
    now = T0 + timedelta(seconds=start)
    ahead = timedelta(seconds=look_ahead)
    horizon = scan_horizon(now, policy, ahead)
    window = [w for w in (_windowed(i, now, horizon) for i in items) if w is not None]
    assert due_reminders(window, now, policy) == due_reminders(items, now, policy)
    upcoming = next_due_at(items, now, policy)
    if upcoming is not None and upcoming <= now + ahead:
        assert next_due_at(window, now, policy) == upcoming
