"""What inspectors do, one use case per read, called alike by the API (``api/inspection.py``)
and the pages (``web/inspection.py``): search appraisals, read a trail with its global
sequence, replay the state as of a version or a moment, compare two points, verify one
stream or the whole log, read checkpoints and proofs, export a bundle, and read an
agency's access stream.

Every read needs the inspector role (:class:`Forbidden` otherwise); an appraisal outside
the inspector's agencies is :class:`NotFound`, as an unknown one is. Each read of an
appraisal, a list or an export is recorded in ``access-<agency>`` before its answer
goes out (``services.access``, rule ``domain.access``). The access stream of an agency is
also open to its HR.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.appraisal import AppraisalState
from domain.authorization import (
    Actor,
    ReadScope,
    Role,
    is_inspector,
    may_inspect,
    may_read_access_log,
    may_verify_all,
)
from domain.checkpoint import Checkpoint
from domain.replay import Change, ReplayFailed, TrailEntry, replay, state_diff
from services.access import ReadContext, record_read
from services.errors import Broken, Forbidden, Invalid, NotFound
from store.access_log import AccessLog, AccessQuery
from store.appraisals import AppraisalReadModel, AppraisalSummary
from store.audit import (
    Auditor,
    AuditReport,
    ConsistencyProof,
    InclusionProof,
    ProofRefused,
    access_stream,
)
from store.event_log import EventLog, RecordedEvent

SEARCH_LIMIT = 200
"""The most appraisals one search answers with."""


def field_error(field: str, message: str, status: int = 422) -> Invalid:
    """A parameter that breaks a rule (404: names something that is not there)."""
    return Invalid("validation", "The request breaks a rule", f"{field}: {message}",
                   [Broken(field=field, rule="value_error", message=message)], status=status)


class Unreplayable(Invalid):
    """The domain cannot read or apply an event of the trail (``version``, the first):
    the stored event changed, which verification names. A 409: the request is right,
    the trail is not."""

    def __init__(self, version: int, reason: str) -> None:
        super().__init__("unreplayable", "The trail cannot be replayed",
                         f"the event at version {version} cannot be replayed: {reason}; "
                         "verify the stream", status=409)
        self.version = version
        self.reason = reason


@dataclass(frozen=True)
class Point:
    """A point of a trail: after ``version`` events, and recorded at or before ``at``
    (neither: the whole trail)."""

    version: int | None = None
    at: datetime | None = None


@dataclass(frozen=True)
class TrailItem:
    """One event of a trail with its global sequence (None: not sealed yet)."""

    event: RecordedEvent
    seq: int | None


@dataclass(frozen=True)
class Difference:
    """Two replayed states and what changed between them, field by field."""

    before: AppraisalState
    after: AppraisalState
    changes: list[Change]


@dataclass(frozen=True)
class Export:
    """An export bundle: its agency, a file name and its JSON lines (read as streamed)."""

    agency: str
    name: str
    scope: dict[str, str]
    body: AsyncIterator[bytes]


@dataclass(frozen=True)
class AccessEntry:
    """One recorded read of an agency's access stream."""

    version: int
    recorded_at: datetime
    type: str
    actor: str | None
    roles: list[str]
    actor_agency: str | None
    request_id: str | None
    what: str
    appraisal_id: str | None
    details: dict[str, Any]

    @classmethod
    def of(cls, event: RecordedEvent) -> AccessEntry:
        return cls(version=event.version, recorded_at=event.recorded_at, type=event.type,
                   actor=event.metadata.get("actor"), roles=event.metadata.get("roles", []),
                   actor_agency=event.metadata.get("actor_agency"),
                   request_id=event.metadata.get("request_id"),
                   what=event.data.get("what", ""), appraisal_id=event.data.get("appraisal_id"),
                   details={k: v for k, v in event.data.items()
                            if k not in ("what", "appraisal_id")})


@dataclass(frozen=True)
class AccessFilter:
    """Which recorded reads to show: by reader, kind of read, appraisal and time."""

    actor: str | None = None
    what: str | None = None
    appraisal_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def matches(self, entry: AccessEntry) -> bool:
        return ((self.actor is None or entry.actor == self.actor)
                and (self.what is None or entry.what == self.what)
                and (self.appraisal_id is None or entry.appraisal_id == self.appraisal_id)
                and (self.since is None or entry.recorded_at >= self.since)
                and (self.until is None or entry.recorded_at <= self.until))


class InspectionService:
    """The inspectors' reads (see the module)."""

    def __init__(self, read_model: AppraisalReadModel, event_log: EventLog,
                 auditor: Auditor) -> None:
        self._read_model = read_model
        self._event_log = event_log
        self._auditor = auditor

    @property
    def public_key(self) -> bytes | None:
        """The checkpoints' public key verification trusts (None: not configured)."""
        return self._auditor.public_key

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def require_inspector(actor: Actor) -> None:
        if not is_inspector(actor):
            raise Forbidden("the audit routes are for inspectors")

    async def inspected(self, actor: Actor, appraisal_id: str) -> AppraisalSummary:
        """The appraisal's summary if ``actor`` inspects its agency; Forbidden without
        the inspector role, NotFound when unknown or out of scope."""
        self.require_inspector(actor)
        summary = await self._read_model.summary(appraisal_id)
        if summary is None or not may_inspect(actor, summary.parties.agency):
            raise NotFound()
        return summary

    async def _record(self, actor: Actor, agency: str, what: str, context: ReadContext,
                      **details: Any) -> None:
        await record_read(self._auditor, actor, agency, what, context, **details)

    async def _replayed(self, events: Sequence[RecordedEvent], point: Point, prefix: str = ""
                        ) -> AppraisalState:
        if point.at is not None and point.at.tzinfo is None:
            raise field_error(f"query.{prefix}at", "a moment needs a time zone, e.g. Z")
        if point.version is not None and point.version > len(events):
            raise field_error(f"query.{prefix}version", f"the trail has {len(events)} events",
                              404)
        entries = [TrailEntry(e.version, e.type, e.data, e.recorded_at) for e in events]
        try:
            return replay(entries, version=point.version, at=point.at)
        except ReplayFailed as failed:
            raise Unreplayable(failed.version, failed.reason) from None

    # ------------------------------------------------------------------ reads

    async def search(self, actor: Actor, context: ReadContext, *, employee: str | None = None,
                     unit: str | None = None, cycle: str | None = None,
                     agency: str | None = None, limit: int = SEARCH_LIMIT
                     ) -> list[AppraisalSummary]:
        """Appraisals of the inspector's agencies by employee key, unit or cycle (each
        optional), at most ``limit``; recorded per agency when something is found."""
        self.require_inspector(actor)
        if agency is not None and not actor.in_scope(agency):
            return []
        scope = ReadScope(subject=None, agencies=frozenset(a for a in actor.agencies
                                                           if a != "*"),
                          all_agencies="*" in actor.agencies)
        rows = await self._read_model.list(scope, employee=employee, unit=unit, cycle_id=cycle,
                                           agency=agency, limit=min(limit, SEARCH_LIMIT))
        by_agency: dict[str, list[str]] = {}
        for row in rows:
            by_agency.setdefault(row.parties.agency, []).append(row.appraisal_id)
        for found_in, ids in sorted(by_agency.items()):
            await self._record(actor, found_in, "appraisal-list", context, appraisal_ids=ids)
        return rows

    async def trail(self, actor: Actor, appraisal_id: str, context: ReadContext
                    ) -> tuple[AppraisalSummary, list[TrailItem]]:
        """The appraisal's events with their global sequence."""
        summary = await self.inspected(actor, appraisal_id)
        events = await self._auditor.trail(appraisal_id)
        await self._record(actor, summary.parties.agency, "trail", context,
                           appraisal_id=appraisal_id)
        return summary, [TrailItem(event, seq) for event, seq in events]

    async def state(self, actor: Actor, appraisal_id: str, point: Point, context: ReadContext
                    ) -> tuple[AppraisalSummary, AppraisalState]:
        """The state as of ``point`` (replayed with the one fold)."""
        summary = await self.inspected(actor, appraisal_id)
        events = await self._event_log.read_stream(appraisal_id)
        replayed = await self._replayed(events, point)
        await self._record(actor, summary.parties.agency, "state", context,
                           appraisal_id=appraisal_id, version=point.version,
                           at=point.at.isoformat() if point.at else None)
        return summary, replayed

    async def diff(self, actor: Actor, appraisal_id: str, before: Point, after: Point,
                   context: ReadContext) -> tuple[AppraisalSummary, Difference]:
        """What changed from ``before`` to ``after``, field by field
        (``domain.replay.state_diff``)."""
        summary = await self.inspected(actor, appraisal_id)
        if before.version is None and before.at is None:
            raise field_error("query.from_version", "give from_version or from_at")
        events = await self._event_log.read_stream(appraisal_id)
        old = await self._replayed(events, before, "from_")
        new = await self._replayed(events, after, "to_")
        await self._record(actor, summary.parties.agency, "diff", context,
                           appraisal_id=appraisal_id)
        return summary, Difference(old, new, state_diff(old, new))

    async def verify(self, actor: Actor, stream: str | None, context: ReadContext
                     ) -> AuditReport:
        """One appraisal's stream (chain, seals, inclusion in the latest checkpoint), or,
        without ``stream``, the whole log (an inspector of every agency only)."""
        self.require_inspector(actor)
        if stream is not None:
            summary = await self.inspected(actor, stream)
            report = await self._auditor.verify_stream(stream)
            await self._record(actor, summary.parties.agency, "verify", context,
                               appraisal_id=stream)
            return report
        if not may_verify_all(actor):
            raise Forbidden("verifying the whole log needs an inspector of every agency (*); "
                            "give stream= for one appraisal")
        return await self._auditor.verify_all()

    async def latest_checkpoint(self, actor: Actor) -> Checkpoint | None:
        self.require_inspector(actor)
        return await self._auditor.latest_checkpoint()

    async def inclusion(self, actor: Actor, appraisal_id: str, version: int,
                        tree_size: int | None, context: ReadContext) -> InclusionProof:
        summary = await self.inspected(actor, appraisal_id)
        try:
            found = await self._auditor.inclusion(appraisal_id, version, tree_size)
        except ProofRefused as refused:
            raise field_error(f"query.{refused.parameter}", refused.reason,
                              refused.status) from None
        await self._record(actor, summary.parties.agency, "inclusion-proof", context,
                           appraisal_id=appraisal_id, version=version)
        return found

    async def consistency(self, actor: Actor, old_size: int, new_size: int | None
                          ) -> ConsistencyProof:
        self.require_inspector(actor)
        try:
            return await self._auditor.consistency(old_size, new_size)
        except ProofRefused as refused:
            raise field_error(f"query.{refused.parameter}", refused.reason,
                              refused.status) from None

    async def export(self, actor: Actor, context: ReadContext, *, appraisal: str | None = None,
                     cycle: str | None = None, unit: str | None = None,
                     public_key: bytes | None = None) -> Export:
        """A bundle of one appraisal, of a cycle's unit or of a whole cycle (one agency);
        the read is recorded before the first byte."""
        self.require_inspector(actor)
        if appraisal is not None:
            summary = await self.inspected(actor, appraisal)
            agency, streams = summary.parties.agency, [appraisal]
            scope = {"appraisal": appraisal}
            name = appraisal
        elif cycle is not None:
            rows = await self._auditor.cycle_streams(cycle, unit)
            agencies = {row_agency for _, row_agency in rows}
            if not rows or len(agencies) != 1 or not may_inspect(actor, agencies.pop()):
                raise NotFound("cycle or unit")
            agency = rows[0][1]
            streams = [stream for stream, _ in rows]
            scope = {"cycle": cycle, **({"unit": unit} if unit is not None else {})}
            name = f"{cycle}-{unit}" if unit is not None else cycle
        else:
            raise field_error("query.appraisal", "give appraisal, or cycle (and unit)")
        await self._record(actor, agency, "export", context, **scope)
        return Export(agency=agency, name=name, scope=scope,
                      body=self._auditor.export(streams, scope, public_key))

    async def access_page(self, actor: Actor, agency: str, matching: AccessFilter, *,
                          before: int | None = None, limit: int = 100
                          ) -> tuple[list[AccessEntry], int, int | None]:
        """A page of the agency's recorded reads matching the filter, newest first,
        filtered and paged by PostgreSQL (:mod:`store.access_log`): the entries, how many
        match in all, and the ``before`` of the next (older) page, None on the last.
        Refused as :meth:`access`."""
        if not may_read_access_log(actor, agency):
            if actor.roles & {Role.INSPECTOR, Role.HR}:
                raise NotFound("agency")
            raise Forbidden("the access stream is for inspectors and HR of the agency")
        page = await AccessLog(self._event_log).page(
            access_stream(agency), AccessQuery(
                actor=matching.actor, what=matching.what, appraisal_id=matching.appraisal_id,
                since=matching.since, until=matching.until), before=before, limit=limit)
        return [AccessEntry.of(e) for e in page.events], page.total, page.older

    async def access(self, actor: Actor, agency: str, *, from_version: int = 1,
                     matching: AccessFilter | None = None) -> list[AccessEntry]:
        """The agency's recorded reads (its inspectors and HR); Forbidden for other roles,
        NotFound for an agency outside the scope."""
        if not may_read_access_log(actor, agency):
            if actor.roles & {Role.INSPECTOR, Role.HR}:
                raise NotFound("agency")
            raise Forbidden("the access stream is for inspectors and HR of the agency")
        events = await self._event_log.read_stream(access_stream(agency),
                                                   from_version=from_version)
        entries = [AccessEntry.of(e) for e in events]
        return [e for e in entries if matching.matches(e)] if matching else entries


def scope_agencies(actor: Actor) -> list[str]:
    """The agencies named in ``actor``'s scope (``*`` left out), sorted."""
    return sorted(a for a in actor.agencies if a != "*")


__all__ = ["AccessEntry", "AccessFilter", "Difference", "Export", "InspectionService",
           "Point", "TrailItem", "Unreplayable", "field_error", "scope_agencies"]
