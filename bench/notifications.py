"""Benchmark of the notifications' derivation and sending, beside reading the same log.

    .venv/bin/python -m bench.notifications [--appraisals N] [--json FILE]

Starts an embedded PostgreSQL (or a scratch database on KINERJA_DATABASE_URL's server),
records ``--appraisals`` appraisal streams of eleven events each (every kind that tells
somebody, and one that tells nobody: twelve notifications per appraisal), then times,
once each on the same log:

- derivation (``NotificationFeed.derive`` in pages of 500 until caught up: read the log,
  map each event, insert the inbox rows, advance the cursor), in events per second;
  baseline: reading the same events with ``EventLog.read_all`` in pages of 500;
- sending every notification with a notifier that accepts at once (claim, compose, mark:
  the database's share of each e-mail), in notifications per second; no baseline.

This runs after the commands, in the worker: it adds nothing to a command's path.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from activities.notifications import NotificationActivities
from activities.notify import Message
from bench.harness import Figure, print_figures, scratch_database, write_json
from domain.appraisal import DeadlineKind, event_data
from domain.appraisal.events import (
    DeadlinePassed,
    Event,
    ExplanationsRequested,
    FeedbackGiven,
    ObjectionDecided,
    ObjectionFiled,
    ResultReleased,
    TargetsApproved,
    TargetsReturned,
    TargetsSubmitted,
)
from domain.authorization import Relation
from domain.ratings import Predikat
from domain.skp import Feedback, ObjectionDecisionOutcome
from store.database import create_pool
from store.event_log import EventLog, NewEvent, Position
from store.notifications import CURSOR, NotificationFeed
from store.reminders import Claimant
from workflows.notifications.contract import NotificationRound

AT = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
PAGE = 500


def events() -> list[Event]:
    return [
        TargetsSubmitted(at=AT), TargetsReturned(at=AT, reason="Target kurang terukur"),
        TargetsApproved(at=AT, by="e-boss"),
        FeedbackGiven(at=AT, feedback=Feedback(text="Bagus"), by="e-boss",
                      relation=Relation.APPRAISER),
        ResultReleased(at=AT, objection_deadline=AT + timedelta(days=14),
                       exception_reason=None),
        ObjectionFiled(at=AT, reasons="Tidak sesuai", decision_deadline=AT + timedelta(21)),
        ExplanationsRequested(at=AT, parties=("appraiser", "employee"), questions="Jelaskan"),
        ObjectionDecided(at=AT, outcome=ObjectionDecisionOutcome.UPHOLD, reason="Sesuai",
                         work_result=None, behaviour=None, score=None,
                         predikat=Predikat.BAIK, by="e-head"),
        DeadlinePassed(at=AT, deadline=DeadlineKind.SKP, due=AT, escalated_to=Relation.HR),
        DeadlinePassed(at=AT, deadline=DeadlineKind.REVIEW, due=AT,
                       escalated_to=Relation.SUPERIOR),
        DeadlinePassed(at=AT, deadline=DeadlineKind.SELF_ASSESSMENT, due=AT,
                       escalated_to=Relation.APPRAISER),
    ]


class Accepting:
    """A notifier that accepts every message at once."""

    async def send(self, message: Message) -> str:
        return "null"


async def run(appraisals: int) -> list[Figure]:
    async with scratch_database("kinerja-bench-notify-") as dsn:
        pool = await create_pool(dsn, min_size=2, max_size=4)
        try:
            log = EventLog(pool)
            batch = [NewEvent(type=e.type, data=event_data(e)) for e in events()]
            for n in range(appraisals):
                appraisal_id = f"appraisal-bench-2026-e-{n:05d}"
                await pool.execute(
                    "INSERT INTO appraisal_summaries (appraisal_id, cycle_id, agency, unit,"
                    " employee, appraiser, superior, phase, version, updated_at, state)"
                    " VALUES ($1, 'bench-2026', 'bench', 'u', $2, 'e-boss', 'e-head',"
                    " 'final', 11, now(), $3::jsonb)", appraisal_id, f"e-{n:05d}",
                    json.dumps({"phase": "final"}))
                await log.append(appraisal_id, 0, batch)
            async with pool.acquire() as connection:
                row = await connection.fetchrow(
                    "SELECT tx_id::text AS tx_id, stream_id, version FROM notification_cursor"
                    " WHERE name = $1", CURSOR)
            start = Position(int(row["tx_id"]), row["stream_id"], row["version"])
            total = appraisals * len(batch)

            began = time.perf_counter()
            after, read = start, 0
            while page := await log.read_all(after, PAGE):
                read += len(page)
                after = page[-1].position
            reading = time.perf_counter() - began

            activities = NotificationActivities(pool, notifier=Accepting())
            feed = NotificationFeed(pool)
            began = time.perf_counter()
            derived = 0
            while True:
                count, inserted, _more = await feed.derive(PAGE)
                derived += inserted
                if count == 0:
                    break
            deriving = time.perf_counter() - began

            began = time.perf_counter()
            sent = 0
            attempt = 0
            while True:
                attempt += 1
                outcome = await activities.deliver(
                    NotificationRound(link_base_url="http://bench", time_zone="Asia/Jakarta",
                                      batch=PAGE), Claimant(f"bench/{attempt}", 1))
                sent += outcome.sent
                if outcome.sent == 0:
                    break
            sending = time.perf_counter() - began
            assert read == total and derived == appraisals * 12 and sent == derived
        finally:
            await pool.close()
    return [
        Figure("derive notifications from the log", total / deriving, "events/s",
               baseline=total / reading,
               extra={"baseline": "read_all of the same events"}),
        Figure("send each once (claim, compose, mark)", sent / sending, "notifications/s"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appraisals", type=int, default=500)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    figures = asyncio.run(run(args.appraisals))
    print_figures(figures)
    write_json(args.json, figures)


if __name__ == "__main__":
    main()
