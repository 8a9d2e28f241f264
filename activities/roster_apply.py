"""The activities of :class:`workflows.roster_apply.workflow.RosterApplyWorkflow`: apply an
uploaded roster batch by batch (heartbeating its progress), then ask the agency's running
cycles to follow it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import asyncpg
import structlog
from temporalio import activity
from temporalio.client import Client

from adapters.roster_files import RosterFileError, read_roster_bytes
from domain.cycle import CycleStatus
from domain.roster import PartialApplyRefused, validate_roster
from store.cycles import CycleStore
from store.event_log import EventLog
from store.roster import ApplyBatch, RosterConflict, RosterStore
from store.roster_uploads import RosterUploads
from workflows.cycle.client import CycleClient
from workflows.cycle.contract import FollowRosterRequest
from workflows.roster_apply.contract import RosterApplyOutcome, RosterApplyStart

LISTED_REJECTED = 1000
"""Rejected rows kept in an apply's report (the first, by line; the total beside)."""

log = structlog.get_logger(__name__)

BatchHook = Callable[[ApplyBatch], Awaitable[None]]


class RosterApplyActivities:
    """Bound to a pool and the Temporal client (the cycles are asked through it)."""

    def __init__(self, pool: asyncpg.Pool, client: Client, *, task_queue: str,
                 after_batch: BatchHook | None = None) -> None:
        self._uploads = RosterUploads(pool)
        self._roster = RosterStore(pool, EventLog(pool))
        self._cycles = CycleStore(pool)
        self._cycle_client = CycleClient(client, task_queue)
        self._after_batch = after_batch
        """Awaited after each committed batch (tests stop a worker there)."""

    @activity.defn
    async def apply_roster_upload(self, start: RosterApplyStart) -> RosterApplyOutcome:
        """Prepare the apply once (read and check the file, record the roster it makes),
        then append its events batch by batch until none is left."""
        job = await self._uploads.job(start.upload_id)
        if job is None or job.status == "refused":
            return RosterApplyOutcome(status="refused")
        if job.status in ("applied", "done"):
            return RosterApplyOutcome(status="applied", version=job.version or 0)
        if job.status == "queued" and not await self._prepare(start, job.valid_only):
            return RosterApplyOutcome(status="refused")
        metadata = {"source_page": "/sdm/pegawai", "request_id": f"apply-{start.upload_id}"}
        batch: ApplyBatch | None = None
        while True:
            batch = await self._roster.apply_batch(start.upload_id, start.agency, start.actor,
                                                   size=start.batch_size, metadata=metadata,
                                                   previous=batch)
            activity.heartbeat(batch.done)
            if batch.status != "running":
                return RosterApplyOutcome(status=batch.status, version=batch.version)
            if self._after_batch is not None:
                await self._after_batch(batch)

    async def _prepare(self, start: RosterApplyStart, valid_only: bool) -> bool:
        now = datetime.now(UTC)
        upload = await self._uploads.upload(start.upload_id, start.agency, now)
        if upload is None:
            await self._uploads.refuse(start.upload_id, "upload-gone",
                                       "the uploaded file is no longer kept", now)
            return False
        try:
            read = await asyncio.to_thread(read_roster_bytes, upload.content, upload.file_name)
        except RosterFileError as error:
            await self._uploads.refuse(start.upload_id, "roster-file", str(error), now)
            return False
        activity.heartbeat(0)
        known = await self._roster.known_keys(start.agency)
        check = await asyncio.to_thread(validate_roster, read.rows, known, today=now.date())
        activity.heartbeat(0)
        report = {"file_name": upload.file_name, "sha256": upload.sha256,
                  "format": read.format, "rows": check.rows,
                  "accepted": len(check.roster.employees),
                  "rejected": [r.model_dump(mode="json")
                               for r in check.rejected[:LISTED_REJECTED]],
                  "rejected_total": len(check.rejected)}
        if check.rejected and not valid_only:
            await self._uploads.refuse(start.upload_id, "roster-rows",
                                       f"{len(check.rejected)} of {check.rows} rows are "
                                       "rejected; nothing was applied", now, report)
            return False
        try:
            await self._roster.prepare_apply(start.upload_id, start.agency, check,
                                             partial=valid_only, report=report, moment=now)
        except PartialApplyRefused as error:
            await self._uploads.refuse(start.upload_id, "roster-rows",
                                       f"the valid rows cannot be applied alone: {error}", now,
                                       report)
            return False
        except RosterConflict as error:
            await self._uploads.refuse(start.upload_id, "roster-conflict", str(error), now,
                                       report)
            return False
        return True

    @activity.defn
    async def follow_roster_cycles(self, start: RosterApplyStart) -> list[str]:
        """Ask each running cycle of the agency to follow its roster (once per roster
        version, as :meth:`services.cycles.CycleService.follow_roster` asks); the apply is
        then done, with the cycles asked in its report."""
        job = await self._uploads.job(start.upload_id)
        if job is None or job.status != "applied":
            return []
        following = []
        for cycle in await self._cycles.list([start.agency]):
            if cycle.status is not CycleStatus.RUNNING or cycle.cycle_id is None:
                continue
            try:
                await self._cycle_client.send(
                    cycle.cycle_id, FollowRosterRequest(), start.actor,
                    f"roster-{start.agency}-v{job.version}-{cycle.cycle_id}")
            except Exception as error:
                log.warning("cycle_not_following", cycle_id=cycle.cycle_id, error=str(error))
                continue
            following.append(cycle.cycle_id)
        await self._uploads.finish(start.upload_id, {"cycles_following": following},
                                   datetime.now(UTC))
        return following
