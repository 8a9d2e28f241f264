"""The Temporal worker: appraisal workflows and their activities, on one task queue."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import structlog
from temporalio.client import Client, Interceptor
from temporalio.contrib.pydantic import PydanticPayloadConverter, pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.service import RetryConfig, TLSConfig
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from activities.appraisal import AppraisalActivities
from activities.complaints import ComplaintActivities
from activities.cycle import CycleActivities, RosterSource
from activities.documents import DocumentZipActivities
from activities.indicators import IndicatorActivities
from activities.notifications import NotificationActivities
from activities.notify import Notifier
from activities.reminders import ReminderActivities
from activities.roster_apply import BatchHook, RosterApplyActivities
from domain.cycle import CycleMember, cycle_members
from kinerja.reminders import reminder_config, start_notifications, start_reminders
from kinerja.settings import Settings, get_settings
from services.complaints import ComplaintService
from store.complaints import ComplaintStore
from store.event_log import EventLog
from store.public import PublicStore
from store.reminders import RecipientDirectory
from store.roster import RosterStore
from workflows.appraisal.workflow import AppraisalWorkflow
from workflows.complaint.client import ComplaintClient
from workflows.complaint.workflow import ComplaintWorkflow
from workflows.cycle.workflow import CycleWorkflow, NextCycleWorkflow
from workflows.document_zip.workflow import DocumentZipWorkflow
from workflows.indicators.workflow import IndicatorsWorkflow
from workflows.notifications.contract import NotificationConfig
from workflows.notifications.workflow import NotificationWorkflow
from workflows.reminders.contract import ReminderConfig
from workflows.reminders.workflow import ReminderWorkflow
from workflows.roster_apply.workflow import RosterApplyWorkflow

TASK_QUEUE = "kinerja-appraisals"

log = structlog.get_logger("kinerja.worker")

WORKFLOW_RUNNER = UnsandboxedWorkflowRunner()
"""How Kinerja's workers run workflow code (see ``build_worker``)."""


def temporal_tls(settings: Settings) -> TLSConfig | bool:
    """The TLS of the connection to Temporal: off, on with the system's CAs (``True``), or
    with the configured CA, client certificate (mTLS) and server name. An API key or any
    TLS file implies TLS."""
    files = (settings.temporal_tls_ca_file, settings.temporal_tls_cert_file,
             settings.temporal_tls_key_file)
    if not any(files) and not settings.temporal_tls_server_name:
        return bool(settings.temporal_tls or settings.temporal_api_key)
    if bool(settings.temporal_tls_cert_file) != bool(settings.temporal_tls_key_file):
        raise ValueError("KINERJA_TEMPORAL_TLS_CERT_FILE and KINERJA_TEMPORAL_TLS_KEY_FILE "
                         "go together (mTLS): set both or neither")
    ca, cert, key = (path.read_bytes() if path else None for path in files)
    return TLSConfig(server_root_ca_cert=ca, client_cert=cert, client_private_key=key,
                     domain=settings.temporal_tls_server_name)


async def connect_temporal(address: str, namespace: str = "default", *,
                           settings: Settings | None = None,
                           interceptors: Sequence[Interceptor] | None = None,
                           retry_config: RetryConfig | None = None) -> Client:
    """A Temporal client that carries pydantic models (the project's data converter).

    TLS, the API key and payload encryption come from ``settings`` (the process's when
    None); the interceptors default to the process's (OpenTelemetry tracing when it is
    on, see ``kinerja.observability``); the SDK runtime is its default one (which
    ``kinerja.observability.configure_sdk_metrics`` may have set to export metrics).
    """
    settings = settings or get_settings()
    if interceptors is None:
        from kinerja.observability import temporal_interceptors

        interceptors = temporal_interceptors()
    options: dict[str, Any] = {}
    if retry_config is not None:
        options["retry_config"] = retry_config
    return await Client.connect(address, namespace=namespace,
                                data_converter=data_converter(settings),
                                tls=temporal_tls(settings), api_key=settings.temporal_api_key,
                                interceptors=interceptors, **options)


_SHARED_PAYLOAD_CONVERTER = PydanticPayloadConverter()


class SharedPydanticPayloadConverter(PydanticPayloadConverter):
    """The pydantic payload converter, made once per process.

    The SDK makes a new data converter for every workflow activation (to give it the
    workflow's serialization context) and so, through its ``payload_converter_class``,
    a new payload converter, whose type adapters are cached per instance: each
    activation paid for building the converter and then an adapter for each type it
    decoded (a few percent of a command's CPU, twice per command). This class gives
    the one instance instead (stateless but for that cache, a thread-safe
    ``functools.lru_cache``); it takes no serialization context.
    """

    def __new__(cls) -> PydanticPayloadConverter:  # type: ignore[misc]
        return _SHARED_PAYLOAD_CONVERTER  # not an instance of cls: __init__ is not run again


def data_converter(settings: Settings) -> DataConverter:
    """Pydantic payloads (one converter per process: :class:`SharedPydanticPayloadConverter`),
    encrypted (``workflows.codec``) when ``KINERJA_PAYLOAD_KEYS`` is set."""
    converter = dataclasses.replace(pydantic_data_converter,
                                    payload_converter_class=SharedPydanticPayloadConverter)
    if not settings.payload_keys:
        return converter
    from workflows.codec import PayloadEncryptionCodec, parse_keys

    keys = parse_keys(settings.payload_keys)
    current = settings.payload_key_id or next(iter(keys))
    return dataclasses.replace(converter, payload_codec=PayloadEncryptionCodec(keys, current))


@dataclass(frozen=True)
class WorkerTuning:
    """How much a worker takes on at once; the defaults are the SDK's (and local
    activities 64), as before these were settings."""

    max_concurrent_workflow_tasks: int = 100
    max_concurrent_activities: int = 100
    max_concurrent_local_activities: int = 64
    max_cached_workflows: int = 1000

    @classmethod
    def of(cls, settings: Settings) -> WorkerTuning:
        return cls(
            max_concurrent_workflow_tasks=settings.worker_max_concurrent_workflow_tasks,
            max_concurrent_activities=settings.worker_max_concurrent_activities,
            max_concurrent_local_activities=settings.worker_max_concurrent_local_activities,
            max_cached_workflows=settings.worker_max_cached_workflows)


def roster_of(pool: asyncpg.Pool) -> RosterSource:
    """The agencies' current rosters (``kinerja roster import``) as cycle members."""
    store = RosterStore(pool)

    async def members(agency: str) -> list[CycleMember]:
        return cycle_members((await store.snapshot(agency)).roster)

    return members


def build_worker(client: Client, pool: asyncpg.Pool, *, task_queue: str = TASK_QUEUE,
                 roster_source: RosterSource | None = None, cycle_concurrency: int = 16,
                 notifier: Notifier | None = None, directory: RecipientDirectory | None = None,
                 tuning: WorkerTuning | None = None, zip_dir: Path | None = None,
                 after_roster_batch: BatchHook | None = None) -> Worker:
    """A worker with every workflow and activity of Kinerja registered.

    Workflows run without the SDK's import sandbox: it re-enters its import
    machinery on every activation and every payload, about a third of the
    worker's CPU per command. Determinism is guarded instead by the replay test
    (``tests/lifecycle/test_replay.py``), which replays the committed histories
    *with* the sandbox, so a restricted call in workflow code still fails CI.

    ``tuning``: slots and sticky cache; None: the process's settings (``KINERJA_WORKER_*``).
    ``zip_dir``: where ZIPs of documents are built (None: the process's settings).
    ``after_roster_batch``: awaited after each batch of a background roster apply (tests).
    """
    tuning = tuning or WorkerTuning.of(get_settings())
    appraisal_activities = AppraisalActivities(pool, EventLog(pool))
    cycle_activities = CycleActivities(pool, client, task_queue=task_queue,
                                       roster_source=roster_source or roster_of(pool),
                                       concurrency=cycle_concurrency)
    reminder_activities = ReminderActivities(pool, notifier=notifier, directory=directory)
    notification_activities = NotificationActivities(pool, notifier=notifier,
                                                     directory=directory)
    mail = reminder_config(get_settings())  # the links and the fallback zone of e-mails
    complaint_activities = ComplaintActivities(
        pool, notifier=notifier, directory=directory, link_base_url=mail.link_base_url,
        time_zone=mail.time_zone)
    zips = DocumentZipActivities(pool, zip_dir or get_settings().document_zip_path)
    roster_apply = RosterApplyActivities(pool, client, task_queue=task_queue,
                                         after_batch=after_roster_batch)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[AppraisalWorkflow, CycleWorkflow, NextCycleWorkflow, ReminderWorkflow,
                   NotificationWorkflow, ComplaintWorkflow, IndicatorsWorkflow,
                   DocumentZipWorkflow, RosterApplyWorkflow],
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
            notification_activities.deliver_notifications,
            complaint_activities.record_complaint_step,
            IndicatorActivities(pool, client, task_queue=task_queue).measure_cycle_indicators,
            zips.plan_document_zip,
            zips.write_document_zip,
            zips.finish_document_zip,
            zips.fail_document_zip,
            roster_apply.apply_roster_upload,
            roster_apply.follow_roster_cycles,
        ],
        max_concurrent_workflow_tasks=tuning.max_concurrent_workflow_tasks,
        max_concurrent_activities=tuning.max_concurrent_activities,
        max_concurrent_local_activities=tuning.max_concurrent_local_activities,
        max_cached_workflows=tuning.max_cached_workflows,
        workflow_runner=WORKFLOW_RUNNER,
    )


@asynccontextmanager
async def running_worker(client: Client, pool: asyncpg.Pool, *, task_queue: str = TASK_QUEUE,
                         roster_source: RosterSource | None = None,
                         cycle_concurrency: int = 16,
                         notifier: Notifier | None = None,
                         reminders: ReminderConfig | None = None,
                         notifications: NotificationConfig | None = None,
                         zip_dir: Path | None = None,
                         after_roster_batch: BatchHook | None = None,
                         complaint_sweep_seconds: float | None = None
                         ) -> AsyncIterator[Worker]:
    """Run a worker in the background for the duration of the block; with ``reminders``
    and ``notifications``, start those workflows (or reconfigure the running ones) once
    it runs; with ``complaint_sweep_seconds``, start the missed complaint workflows once
    it runs and again every so many seconds (``sweep_complaints``)."""
    worker = build_worker(client, pool, task_queue=task_queue, roster_source=roster_source,
                          cycle_concurrency=cycle_concurrency, notifier=notifier,
                          zip_dir=zip_dir, after_roster_batch=after_roster_batch)
    async with worker:
        if reminders is not None:
            await start_reminders(client, reminders, task_queue=task_queue)
        if notifications is not None:
            await start_notifications(client, notifications, task_queue=task_queue)
        sweep = None if complaint_sweep_seconds is None else asyncio.create_task(
            sweep_complaints(client, pool, task_queue=task_queue,
                             every=complaint_sweep_seconds))
        try:
            yield worker
        finally:
            if sweep is not None:
                sweep.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sweep


COMPLAINT_SWEEP_SECONDS = 300.0
"""How often ``kinerja worker`` looks for complaints whose workflow was not started."""


async def sweep_complaints(client: Client, pool: asyncpg.Pool, *, task_queue: str = TASK_QUEUE,
                           every: float = COMPLAINT_SWEEP_SECONDS) -> None:
    """Start the workflow of every complaint filed without one (Temporal down, or a crash
    between the filing and the start: ``ComplaintService.start_missed``), now and every
    ``every`` seconds, until cancelled. A failed sweep is logged and tried again."""
    service = ComplaintService(ComplaintStore(pool, EventLog(pool)), PublicStore(pool),
                               ComplaintClient(client, task_queue))
    while True:
        try:
            started = await service.start_missed()
            if started:
                log.info("missed complaint workflows started", started=started)
        except Exception as error:  # the database away, a closing pool: next time
            log.warning("complaint sweep failed", error=str(error))
        await asyncio.sleep(every)


async def run_worker_until_cancelled(client: Client, pool: asyncpg.Pool) -> None:
    """Run a worker until the task is cancelled (``kinerja worker``), sweeping missed
    complaint workflows."""
    async with running_worker(client, pool, complaint_sweep_seconds=COMPLAINT_SWEEP_SECONDS):
        await asyncio.Event().wait()
