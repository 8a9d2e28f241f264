"""A cycle with many appraisals written straight into the log and the read models (no
workflow, no Temporal): what the documents' ZIP test and bench build archives of.

Each appraisal is opened, its SKP drafted, submitted and approved through the domain's
``decide`` (so its trail is a real one and its SKP document exists), then appended with
its read-model row as the recording activity does. The cycle's stream holds its
creation, its start, the unit's organisation rating and its release (so the summary and
the unit's report exist)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import asyncpg

from activities.appraisal import snapshot_write
from bench.harness.builders import open_command, sample_skp
from domain.appraisal import ApproveTargets, DraftTargets, SubmitTargets
from domain.appraisal.events import event_data as appraisal_event_data
from domain.authorization import Actor, Parties, Role
from domain.calibration import OrganisationRating
from domain.cycle import fold
from domain.cycle.events import (
    CycleCreated,
    CycleEvent,
    CycleStarted,
    OrganisationRatingSet,
    UnitReleased,
)
from domain.cycle.events import event_data as cycle_event_data
from domain.policy import POLICY_6_2022, default_calendar
from domain.ratings import Predikat
from store.cycles import cycle_write
from store.event_log import EventLog, NewEvent
from workflows.appraisal.contract import AppraisalSnapshot

from .builders import Run

YEAR = 2026
UNIT = "unit-zip"


def hr_actor(agency: str) -> Actor:
    return Actor(subject="hr-seed", roles=frozenset({Role.EMPLOYEE, Role.HR}),
                 agencies=frozenset({agency}), agency=agency, unit="bkpsdm")


async def seed_cycle(pool: asyncpg.Pool, agency: str, appraisals: int, *,
                     unit: str = UNIT) -> tuple[str, list[str]]:
    """The cycle ``<agency>-2026`` with ``appraisals`` appraisals of ``unit`` whose SKP is
    approved; (cycle id, appraisal ids)."""
    log = EventLog(pool)
    cycle_id = f"{agency}-{YEAR}"
    now = datetime.now(UTC)
    cycle_events: list[CycleEvent] = [
        CycleCreated(at=now, cycle_id=cycle_id, agency=agency, year=YEAR,
                     policy=POLICY_6_2022.name, calendar=default_calendar(YEAR, POLICY_6_2022)),
        CycleStarted(at=now, roster_digest="0" * 64, members=appraisals, units=(unit,)),
        OrganisationRatingSet(at=now, unit=unit, rating=OrganisationRating.BAIK),
        UnitReleased(at=now, unit=unit, passed=False,
                     counts={Predikat.BAIK: appraisals}, broken=("seeded",),
                     exception_reason="Data uji."),
    ]
    await store_cycle(log, cycle_id, cycle_events, now)
    hr = hr_actor(agency)
    boss = Actor(subject="boss-seed", roles=frozenset({Role.EMPLOYEE}), agency=agency,
                 unit=unit)
    skp = sample_skp()
    ids = []
    for n in range(appraisals):
        employee = f"e-{n:05d}"
        appraisal_id = f"appraisal-{cycle_id}-{employee}"
        parties = Parties(agency=agency, unit=unit, employee=employee, appraiser=boss.subject,
                          superior="head-seed")
        me = Actor(subject=employee, roles=frozenset({Role.EMPLOYEE}), agency=agency,
                   unit=unit)
        run = Run()
        run.do(open_command(appraisal_id=appraisal_id, cycle_id=cycle_id, parties=parties),
               hr)
        run.do(DraftTargets(skp=skp), me)
        run.do(SubmitTargets(), me)
        run.do(ApproveTargets(), boss)
        await store_run(log, run, now)
        ids.append(appraisal_id)
    return cycle_id, ids


async def store_cycle(log: EventLog, cycle_id: str, events: Sequence[CycleEvent],
                      now: datetime) -> None:
    """A new cycle's stream of ``events`` and its read-model row."""
    await log.append_with(f"cycle-{cycle_id}", 0,
                          [NewEvent(type=e.type, data=cycle_event_data(e)) for e in events],
                          cycle_write(fold(events), now))


async def store_run(log: EventLog, run: Run, now: datetime) -> None:
    """A new appraisal's stream of ``run``'s events and its summary row, as the recording
    activity writes them."""
    snapshot = AppraisalSnapshot.of(run.state)
    await log.append_with(
        snapshot.appraisal_id, 0,
        [NewEvent(type=e.type, data=appraisal_event_data(e)) for e in run.events],
        snapshot_write(snapshot, now))


async def retire(pool: asyncpg.Pool, cycle_id: str) -> None:
    """Mark the seeded cycle closed and its appraisals cancelled in the read models: they
    have no workflow, and a test's teardown ends the workflows of the open ones."""
    await pool.execute("UPDATE appraisal_summaries SET phase = 'cancelled'"
                       " WHERE cycle_id = $1", cycle_id)
    await pool.execute("UPDATE cycles SET status = 'closed' WHERE cycle_id = $1", cycle_id)
