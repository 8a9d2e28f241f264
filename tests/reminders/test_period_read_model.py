"""The read model's running periodic review (``next_period``, ``next_period_due_at``) and
its periods past due and not reviewed (``missed_periods``, ``missed_due_at``): migrations
0095 and 0096 fill the rows written before them by the domain's rules, and a scan over
real PostgreSQL and a real SMTP server reminds the appraiser of it beside the annual
deadline, each once, under keys of their own."""

from __future__ import annotations

import itertools
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from activities.reminders import ReminderActivities
from domain.appraisal import AppraisalState, Phase
from domain.reminders import ReminderPolicy, missed_unreviewed
from store.migrations import MIGRATIONS_DIR
from store.reminders import Claimant
from workflows.reminders.contract import ReminderConfig, ReminderScan

from .conftest import SmtpServer, put_contact, put_deadline, sent_rows

DAY = timedelta(days=1)
DUE = {p: datetime(2026, 3 * p, 28, 17, tzinfo=UTC) + 13 * DAY for p in range(1, 5)}


def _backfill(name: str = "0095_period_deadlines.sql") -> str:
    text = (MIGRATIONS_DIR / name).read_text()
    match = re.search(r"UPDATE appraisal_summaries.*?;", text, re.S)
    assert match is not None
    return match.group(0)


def _states() -> list[tuple[AppraisalState, dict[str, Any]]]:
    """Every phase of interest x every schedule (periods from the first after the SKP's
    approval) x every period reviewed, missed or open."""
    states = []
    for phase in (Phase.TARGET_SETTING, Phase.SELF_REPORT, Phase.REVIEW, Phase.FINAL):
        for first in range(1, 6):
            periods = list(range(first, 5))
            for fates in itertools.product(("open", "reviewed", "missed"), repeat=len(periods)):
                state = AppraisalState(
                    phase=phase, period_deadlines={p: DUE[p] for p in periods},
                    missed_periods=frozenset(
                        p for p, f in zip(periods, fates, strict=True) if f == "missed"))
                stored = json.loads(state.model_dump_json())
                reviewed = [p for p, f in zip(periods, fates, strict=True) if f == "reviewed"]
                stored["period_reviews"] = {str(p): {"period": p} for p in reviewed}
                states.append((state.model_copy(update={"period_reviews": dict.fromkeys(
                    reviewed)}), stored))
    return states


async def test_the_migration_fills_existing_rows_by_the_domains_rule(
        admin_connection: asyncpg.Connection) -> None:
    states = _states()
    for i, (state, stored) in enumerate(states):
        await admin_connection.execute(
            "INSERT INTO appraisal_summaries (appraisal_id, cycle_id, agency, unit, employee,"
            " phase, version, updated_at, state) VALUES ($1, 'c', 'ag', 'u', $1, $2, 1, now(),"
            " $3::jsonb)", f"a-{i:04d}", state.phase.value, json.dumps(stored))
    await admin_connection.execute(_backfill())
    await admin_connection.execute(_backfill("0096_missed_periods.sql"))
    rows = await admin_connection.fetch(
        "SELECT appraisal_id, next_period, next_period_due_at, missed_periods, missed_due_at"
        " FROM appraisal_summaries ORDER BY appraisal_id")
    assert len(rows) == len(states)
    filled = missed = 0
    for row, (state, _) in zip(rows, states, strict=True):
        expected = state.next_period_deadline()
        got = (row["next_period"], row["next_period_due_at"]) \
            if row["next_period"] is not None else None
        assert got == expected, (state.phase, state.period_deadlines, state.missed_periods,
                                 state.period_reviews)
        filled += got is not None
        assert tuple(zip(row["missed_periods"], row["missed_due_at"], strict=True)) \
            == missed_unreviewed(state)
        missed += bool(row["missed_periods"])
    assert filled > 0 and missed > 0


async def put_period(pool: asyncpg.Pool, appraisal_id: str, period: int | None,
                     due: datetime | None) -> None:
    await pool.execute(
        "UPDATE appraisal_summaries SET next_period = $2, next_period_due_at = $3,"
        " state = state || jsonb_build_object('policy',"
        " jsonb_build_object('review_periods', 'quarterly'), 'calendar',"
        " jsonb_build_object('year', 2026)) WHERE appraisal_id = $1",
        appraisal_id, period, due)


async def test_a_scan_reminds_the_appraiser_of_the_period_beside_the_annual_deadline(
        app_pool: asyncpg.Pool, smtp_server: SmtpServer) -> None:
    now = datetime.now(UTC)
    # the annual review and the running period 4, both within the week
    await put_deadline(app_pool, "a-1", now + 3 * DAY, kind="review", phase="review",
                       targets_status="approved")
    await put_period(app_pool, "a-1", 4, now + 5 * DAY)
    # only a period running (the annual deadline far off): still read by the scan
    await put_deadline(app_pool, "a-2", now + 200 * DAY, kind="self_assessment",
                       phase="self_report", targets_status="approved", employee="e-two")
    await put_period(app_pool, "a-2", 3, now + 2 * DAY)
    await put_contact(app_pool, "e-boss", "budi@pemkot.example")
    activities = ReminderActivities(app_pool, notifier=smtp_server.notifier())
    config = ReminderConfig(policy=ReminderPolicy(days_before=(7, 1)),
                            link_base_url="http://kinerja.test")
    outcome = await activities.scan(ReminderScan(now=now, config=config), Claimant("s-1", 1))
    assert (outcome.due, outcome.sent) == (3, 3)
    received = await smtp_server.inbox.wait_for(3)
    assert all(r.recipients == ["budi@pemkot.example"] for r in received)
    subjects = sorted(str(r.message["Subject"]) for r in received)
    assert sum("penilaian kinerja periodik Triwulan IV 2026" in s for s in subjects) == 1
    assert sum("penilaian kinerja periodik Triwulan III 2026" in s for s in subjects) == 1
    assert sum("batas waktu penilaian kinerja 7 hari" in s for s in subjects) == 1
    rows = await sent_rows(app_pool)
    assert sorted((r["appraisal_id"], r["deadline_kind"]) for r in rows) == [
        ("a-1", "period_review"), ("a-1", "review"), ("a-2", "period_review")]
    assert len({r["reminder_key"] for r in rows}) == 3
    # the same scan again: nothing twice
    again = await activities.scan(ReminderScan(now=now + timedelta(hours=1), config=config),
                                  Claimant("s-2", 1))
    assert (again.due, again.sent) == (0, 0)
    # a-2's period reviewed: the next one runs (not yet near); no 1-day reminder of 3
    await put_period(app_pool, "a-2", 4, now + 95 * DAY)
    later = await activities.scan(ReminderScan(now=now + DAY + timedelta(hours=1),
                                               config=config), Claimant("s-3", 1))
    assert later.sent == 0 and len(smtp_server.inbox) == 3
