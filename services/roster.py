"""Use cases of an agency's roster: import a file (parse, check, preview, apply, and the
running cycles follow), show the roster. The HTTP API and ``kinerja roster`` call the
same functions; the file readers (:mod:`adapters.roster_files`) sit below them."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import BaseModel, Field
from temporalio.service import RPCError

from adapters.roster_files import (
    ReadLimits,
    RosterFile,
    RosterFileError,
    read_roster_bytes,
)
from domain.authorization import Actor, AgencyAction, has_agency_role, may_on_agency
from domain.roster import (
    PartialApplyRefused,
    RejectedRow,
    RosterCheck,
    RosterEvent,
    validate_roster,
)
from services.cycles import CycleService
from services.errors import (
    Broken,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    Unavailable,
)
from store.roster import RosterConflict, RosterSnapshot, RosterStore
from store.roster_uploads import UPLOAD_KEEP, ApplyJob, RosterUploads, StoredUpload
from workflows.roster_apply.client import RosterApplyClient
from workflows.roster_apply.contract import RosterApplyStart

MAX_LISTED_ROWS = 1000
"""Rejected rows listed in a report: the first ones (by line); the total is given beside."""

ProgressCallback = Callable[[int, int], None]


class RosterChanges(BaseModel):
    """How many of each change an import made (or would make)."""

    hired: int = 0
    left: int = 0
    transferred: int = 0
    superior_changed: int = 0
    position_changed: int = 0
    details_changed: int = 0
    units_defined: int = 0
    units_removed: int = 0

    @classmethod
    def of(cls, events: list[RosterEvent]) -> RosterChanges:
        names = {"employee_hired": "hired", "employee_left": "left",
                 "employee_transferred": "transferred", "superior_changed": "superior_changed",
                 "position_changed": "position_changed", "details_changed": "details_changed",
                 "unit_defined": "units_defined", "unit_removed": "units_removed"}
        counts: dict[str, int] = {}
        for event in events:
            counts[names[event.type]] = counts.get(names[event.type], 0) + 1
        return cls(**counts)


class RosterImportReport(BaseModel):
    """The outcome of a roster import."""

    agency: str
    format: str = Field(description="csv or xlsx")
    rows: int = Field(description="data rows in the file")
    accepted: int
    rejected: list[RejectedRow] = Field(
        description=f"the rejected rows, by line: the first {MAX_LISTED_ROWS:,} of them")
    rejected_total: int = Field(0, description="how many rows are rejected in all")
    applied: bool = Field(description="false for a dry run")
    changes: RosterChanges
    version: int = Field(description="the roster stream's version after the import")
    digest: str = Field(description="SHA-256 of the canonical roster after the import")
    cycles_following: list[str] = Field(
        default_factory=list,
        description="running cycles of the agency asked to follow the change (reassignments, "
                    "transfers, leavers, newcomers); see GET /v1/cycles/{id}")

    model_config = {"json_schema_extra": {"examples": [{
        "agency": "pemkot-demo", "format": "csv", "rows": 3, "accepted": 3, "rejected": [],
        "rejected_total": 0, "applied": True,
        "changes": {"hired": 3, "left": 0, "transferred": 0, "superior_changed": 0,
                    "position_changed": 0, "details_changed": 0, "units_defined": 2,
                    "units_removed": 0},
        "version": 5, "digest": "3f1c...e9"}]}}


class RowsRejected(Invalid):
    """Rows of the file break rules and nothing was applied. ``report`` says what
    applying the valid rows would change (the preview)."""

    def __init__(self, detail: str, check: RosterCheck, report: RosterImportReport) -> None:
        super().__init__("roster-rows", "Rows of the roster are rejected", detail,
                         rejected_broken(check))
        self.check = check
        self.report = report


def rejected_broken(check: RosterCheck) -> list[Broken]:
    return [Broken(field=f"rows.{r.line}.{r.field}", rule=r.rule,
                   message=f"line {r.line}: {r.reason}")
            for r in check.rejected[:MAX_LISTED_ROWS]]


def _listed(check: RosterCheck, detail: str) -> str:
    total = len(check.rejected)
    if total > MAX_LISTED_ROWS:
        detail += f" The first {MAX_LISTED_ROWS:,} of the {total:,} rejected rows are listed."
    return detail


EVENT_CHANGES = {"employee_hired": "hired", "employee_left": "left",
                 "employee_transferred": "transferred", "superior_changed": "superior_changed",
                 "position_changed": "position_changed", "details_changed": "details_changed",
                 "unit_defined": "units_defined", "unit_removed": "units_removed"}


@dataclass(frozen=True)
class Staged:
    """An uploaded roster file kept in PostgreSQL (any API process finds it), read."""

    upload: StoredUpload
    read: RosterFile

    @property
    def id(self) -> str:
        return self.upload.upload_id

    @property
    def name(self) -> str:
        return self.upload.file_name


class RosterService:
    """Roster imports and reads for the HR performance manager of an agency."""

    def __init__(self, store: RosterStore, cycles: CycleService | None,
                 uploads: RosterUploads | None = None,
                 applier: RosterApplyClient | None = None) -> None:
        self._store = store
        self._cycles = cycles
        """None when Temporal is out of reach (a CLI with no worker): running cycles are
        then not asked to follow; they can be asked later."""
        self._uploads = uploads
        self._applier = applier
        """Uploads kept for the pages and their background applies (None: a CLI)."""

    # ----------------------------------------------------------------- kept uploads

    def _kept(self) -> RosterUploads:
        if self._uploads is None:
            raise Unavailable("uploads are not kept by this process")
        return self._uploads

    async def stage(self, actor: Actor, agency: str, data: bytes, name: str
                    ) -> tuple[Staged, RosterImportReport]:
        """Read and check an uploaded file (nothing applied) and keep it
        (:data:`store.roster_uploads.UPLOAD_KEEP`) for its report, its rejected rows and
        its apply; the upload and what applying it would change."""
        self.authorize(actor, AgencyAction.IMPORT_ROSTER, agency)
        try:
            read = await asyncio.to_thread(read_roster_bytes, data, name)
        except RosterFileError as error:
            raise Invalid("roster-file", "The roster file cannot be read", str(error),
                          [Broken(field="file", rule=error.rule, message=str(error))]) from None
        sha256 = hashlib.sha256(data).hexdigest()
        try:
            report = await self.import_read(actor, agency, read, sha256, name, dry_run=True)
        except RowsRejected as rejected:
            report = rejected.report
        now = datetime.now(UTC)
        upload = StoredUpload(upload_id=uuid.uuid4().hex, agency=agency,
                              subject=actor.subject, file_name=name, sha256=sha256,
                              content=data, rejected=report.rejected_total, uploaded_at=now,
                              expires_at=now + UPLOAD_KEEP)
        await self._kept().stage(upload)
        return Staged(upload=upload, read=read), report

    async def staged(self, actor: Actor, agency: str, upload_id: str) -> Staged | None:
        """The actor's upload ``upload_id`` to ``agency``, read again; None once expired."""
        self.authorize(actor, AgencyAction.IMPORT_ROSTER, agency)
        upload = await self._kept().upload(upload_id, agency, datetime.now(UTC))
        if upload is None or upload.subject != actor.subject:
            return None
        read = await asyncio.to_thread(read_roster_bytes, upload.content, upload.file_name)
        return Staged(upload=upload, read=read)

    async def check_staged(self, actor: Actor, agency: str, staged: Staged
                           ) -> RosterImportReport:
        """What applying the upload would change now (the preview, rejected rows listed)."""
        try:
            return await self.import_read(actor, agency, staged.read, staged.upload.sha256,
                                          staged.name, dry_run=True)
        except RowsRejected as rejected:
            return rejected.report

    async def start_apply(self, actor: Actor, agency: str, upload_id: str, *,
                          valid_only: bool) -> ApplyJob:
        """Apply the upload in the background (the worker, batch by batch; then the running
        cycles follow). Once per upload: pressing again answers the apply already
        started. :class:`NotFound` when the upload is gone; :class:`RowsRejected`-like
        :class:`Invalid` when rows were rejected and not only the valid ones asked for."""
        self.authorize(actor, AgencyAction.IMPORT_ROSTER, agency)
        if self._applier is None:
            raise Unavailable("no worker is reachable to apply the roster")
        uploads = self._kept()
        now = datetime.now(UTC)
        upload = await uploads.upload(upload_id, agency, now)
        existing = await uploads.job(upload_id)
        if existing is not None and existing.agency == agency \
                and existing.subject == actor.subject:
            job = existing
        elif upload is None or upload.subject != actor.subject:
            raise NotFound("upload")
        elif upload.rejected and not valid_only:
            raise Invalid("roster-rows", "Rows of the roster are rejected",
                          f"{upload.rejected} rows are rejected; nothing was applied",
                          [Broken(field="do", rule="roster-rows",
                                  message="apply the valid rows, or fix the file")])
        else:
            job = await uploads.start(upload_id, agency, actor.subject,
                                      valid_only=valid_only, now=now)
        if job.status == "queued":
            try:
                await self._applier.start(RosterApplyStart(upload_id=upload_id, agency=agency,
                                                           actor=actor))
            except RPCError:
                await uploads.forget(upload_id)
                raise Unavailable("Temporal is not reachable; press again") from None
        return job

    async def apply_job(self, actor: Actor, agency: str, upload_id: str) -> ApplyJob | None:
        """The apply of the actor's upload ``upload_id``, as it stands."""
        self.authorize(actor, AgencyAction.IMPORT_ROSTER, agency)
        job = await self._kept().job(upload_id)
        return job if job is not None and job.agency == agency else None

    async def recent_applies(self, actor: Actor, agency: str) -> list[ApplyJob]:
        """The agency's latest background applies (a running one can be returned to)."""
        self.authorize(actor, AgencyAction.IMPORT_ROSTER, agency)
        return await self._kept().jobs(agency)

    @staticmethod
    def apply_report(job: ApplyJob) -> RosterImportReport | None:
        """The report of an apply once it has one (from its start: what it changes)."""
        report = job.report
        if report is None or "rows" not in report:
            return None
        counts = report.get("event_counts", {})
        changes = RosterChanges(**{EVENT_CHANGES[t]: n for t, n in counts.items()
                                   if t in EVENT_CHANGES})
        return RosterImportReport(
            agency=job.agency, format=report["format"], rows=report["rows"],
            accepted=report["accepted"],
            rejected=[RejectedRow.model_validate(r) for r in report["rejected"]],
            rejected_total=report["rejected_total"],
            applied=job.status in ("applied", "done"), changes=changes,
            version=job.version or 0, digest="",
            cycles_following=report.get("cycles_following", []))

    @staticmethod
    def authorize(actor: Actor, action: AgencyAction, agency: str) -> None:
        if not has_agency_role(actor, action):
            raise Forbidden("only the HR performance manager (pengelola kinerja) works on "
                            "rosters")
        if not may_on_agency(actor, action, agency):
            raise NotFound("agency")

    async def import_file(self, actor: Actor, agency: str, data: bytes, name: str = "", *,
                          apply_valid: bool = False, dry_run: bool = False,
                          metadata: dict[str, str] | None = None,
                          limits: ReadLimits | None = None,
                          progress: ProgressCallback | None = None) -> RosterImportReport:
        """Check every row of the file and make it the agency's roster.

        The file is the whole roster: employees absent from it have left. Nothing
        is applied while a row is rejected (:class:`RowsRejected`, with what the
        valid rows would change) unless ``apply_valid``. The same file again
        changes nothing. Every change is an event of the stream ``roster-<agency>``;
        the agency's running cycles are then asked to follow it.
        """
        self.authorize(actor, AgencyAction.IMPORT_ROSTER, agency)
        try:
            read = await asyncio.to_thread(
                read_roster_bytes, data, name, progress,
                **({"limits": limits} if limits is not None else {}))
        except RosterFileError as error:
            raise Invalid("roster-file", "The roster file cannot be read", str(error),
                          [Broken(field="file", rule=error.rule, message=str(error))]) from None
        return await self.import_read(actor, agency, read, hashlib.sha256(data).hexdigest(),
                                      name, apply_valid=apply_valid, dry_run=dry_run,
                                      metadata=metadata)

    async def import_read(self, actor: Actor, agency: str, read: RosterFile, sha256: str,
                          name: str = "", *, apply_valid: bool = False, dry_run: bool = False,
                          metadata: dict[str, str] | None = None) -> RosterImportReport:
        """:meth:`import_file` for a file its caller has read already (the CLI reads a
        path with a progress bar); ``sha256``: the file's digest, recorded."""
        self.authorize(actor, AgencyAction.IMPORT_ROSTER, agency)
        known = await self._store.known_keys(agency)
        check = await asyncio.to_thread(validate_roster, read.rows, known,
                                        today=datetime.now(UTC).date())
        partial = bool(check.rejected)
        if check.rejected and not apply_valid:
            report = await self._preview(agency, read, check)
            raise RowsRejected(_listed(check, (
                f"{len(check.rejected)} of {check.rows} rows are rejected; nothing was "
                "applied. Fix them, or send again with apply_valid=true to apply the "
                "valid rows.")), check, report)
        if dry_run:
            return await self._preview(agency, read, check)
        try:
            applied = await self._store.apply(
                agency, check, actor, partial=partial,
                metadata={"source": name or "upload", "file_sha256": sha256,
                          **(metadata or {})})
        except PartialApplyRefused as error:
            raise Invalid("roster-rows", "Rows of the roster are rejected", _listed(
                check, f"the valid rows cannot be applied alone: {error}"),
                rejected_broken(check)) from None
        except RosterConflict as error:
            raise Conflict("roster-conflict", "Roster changed meanwhile", str(error)) from None
        following = [] if not applied.events or self._cycles is None else \
            await self._cycles.follow_roster(actor, agency, applied.version)
        return self._report(agency, read, check, applied.events, applied.version,
                            applied.digest, applied=True, following=following)

    async def _preview(self, agency: str, read: RosterFile, check: RosterCheck
                       ) -> RosterImportReport:
        """What applying would change now (with rejected rows: applying the valid ones,
        their employees kept, not counted as gone)."""
        current = await self._store.snapshot(agency)
        events = await self._store.preview(agency, check, partial=bool(check.rejected))
        return self._report(agency, read, check, events, current.version, current.digest,
                            applied=False)

    @staticmethod
    def _report(agency: str, read: RosterFile, check: RosterCheck, events: list[RosterEvent],
                version: int, digest: str, *, applied: bool, following: list[str] | None = None
                ) -> RosterImportReport:
        return RosterImportReport(
            agency=agency, format=read.format, rows=check.rows,
            accepted=len(check.roster.employees), rejected=list(check.rejected[:MAX_LISTED_ROWS]),
            rejected_total=len(check.rejected), applied=applied,
            changes=RosterChanges.of(events), version=version, digest=digest,
            cycles_following=following or [])

    async def show(self, actor: Actor, agency: str) -> RosterSnapshot:
        """The agency's current roster, its version and digest."""
        self.authorize(actor, AgencyAction.READ_ROSTER, agency)
        return await self._store.snapshot(agency)
