"""The Temporal worker: appraisal workflows and their activities, on one task queue."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from activities.appraisal import AppraisalActivities
from activities.cycle import CycleActivities, RosterSource
from activities.notify import Notifier
from activities.reminders import ReminderActivities
from domain.cycle import CycleMember, cycle_members
from kinerja.reminders import start_reminders
from store.event_log import EventLog
from store.reminders import RecipientDirectory
from store.roster import RosterStore
from workflows.appraisal.workflow import AppraisalWorkflow
from workflows.cycle.workflow import CycleWorkflow, NextCycleWorkflow
from workflows.reminders.contract import ReminderConfig
from workflows.reminders.workflow import ReminderWorkflow

TASK_QUEUE = "kinerja-appraisals"

WORKFLOW_RUNNER = UnsandboxedWorkflowRunner()
"""How Kinerja's workers run workflow code (see ``build_worker``)."""


async def connect_temporal(address: str, namespace: str = "default") -> Client:
    """A Temporal client that carries pydantic models (the project's data converter)."""
    return await Client.connect(address, namespace=namespace,
                                data_converter=pydantic_data_converter)


def roster_of(pool: asyncpg.Pool) -> RosterSource:
    """The agencies' current rosters (``kinerja roster import``) as cycle members."""
    store = RosterStore(pool)

    async def members(agency: str) -> list[CycleMember]:
        return cycle_members((await store.snapshot(agency)).roster)

    return members


def build_worker(client: Client, pool: asyncpg.Pool, *, task_queue: str = TASK_QUEUE,
                 roster_source: RosterSource | None = None, cycle_concurrency: int = 16,
                 notifier: Notifier | None = None, directory: RecipientDirectory | None = None
                 ) -> Worker:
    """A worker with every workflow and activity of Kinerja registered.

    Workflows run without the SDK's import sandbox: it re-enters its import
    machinery on every activation and every payload, about a third of the
    worker's CPU per command. Determinism is guarded instead by the replay test
    (``tests/lifecycle/test_replay.py``), which replays the committed histories
    *with* the sandbox, so a restricted call in workflow code still fails CI.
    """
    appraisal_activities = AppraisalActivities(pool, EventLog(pool))
    cycle_activities = CycleActivities(pool, client, task_queue=task_queue,
                                       roster_source=roster_source or roster_of(pool),
                                       concurrency=cycle_concurrency)
    reminder_activities = ReminderActivities(pool, notifier=notifier, directory=directory)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[AppraisalWorkflow, CycleWorkflow, NextCycleWorkflow, ReminderWorkflow],
        activities=[
            appraisal_activities.record_appraisal_events,
            appraisal_activities.read_appraisal_events,
            cycle_activities.record_cycle_events,
            cycle_activities.freeze_cycle_roster,
            cycle_activities.check_unit_curve,
            cycle_activities.tally_cycle,
            cycle_activities.run_cycle_page,
            cycle_activities.diff_cycle_roster,
            reminder_activities.send_due_reminders,
        ],
        max_concurrent_local_activities=64,
        workflow_runner=WORKFLOW_RUNNER,
    )


@asynccontextmanager
async def running_worker(client: Client, pool: asyncpg.Pool, *, task_queue: str = TASK_QUEUE,
                         roster_source: RosterSource | None = None,
                         cycle_concurrency: int = 16,
                         notifier: Notifier | None = None,
                         reminders: ReminderConfig | None = None) -> AsyncIterator[Worker]:
    """Run a worker in the background for the duration of the block; with ``reminders``,
    start the reminder workflow (or reconfigure the running one) once it runs."""
    worker = build_worker(client, pool, task_queue=task_queue, roster_source=roster_source,
                          cycle_concurrency=cycle_concurrency, notifier=notifier)
    async with worker:
        if reminders is not None:
            await start_reminders(client, reminders, task_queue=task_queue)
        yield worker


async def run_worker_until_cancelled(client: Client, pool: asyncpg.Pool) -> None:
    """Run a worker until the task is cancelled (``kinerja worker``)."""
    async with running_worker(client, pool):
        await asyncio.Event().wait()
