"""The roster store: roster events in the stream ``roster-<agency>`` and the current
roster read model, written in one transaction.

An import is :meth:`RosterStore.check` (validate the rows against the keys
already given to the agency's NIPs) and then :meth:`RosterStore.apply`: under
a per-agency row lock it reads the current roster, computes the events from
it to the checked roster (:func:`domain.roster.diff_roster`), appends them and
updates the read model. Applying the same file again finds no difference and
appends nothing. A cycle freezes :meth:`RosterStore.snapshot`: the roster with
the SHA-256 of its canonical JSON.

Roster events carry the NIP of a hired employee (the read model must be
rebuildable from the stream). The event log is PostgreSQL, never Temporal:
NIPs stay out of workflow ids and search attributes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg

from domain.authorization import Actor
from domain.integrity import canonical_json
from domain.roster import (
    EVENT_SCHEMA_VERSION,
    Employee,
    PartialApplyRefused,
    Roster,
    RosterCheck,
    RosterEvent,
    RosterRow,
    Unit,
    changed_keys,
    diff_roster,
    event_data,
    event_from_data,
    fold,
    merge_partial,
    roster_document,
    validate_roster,
)
from store.event_log import EventLog, NewEvent

__all__ = [
    "ApplyBatch",
    "PartialApplyRefused",
    "RosterApplied",
    "RosterConflict",
    "RosterNotClean",
    "RosterSnapshot",
    "RosterStore",
    "roster_digest",
    "roster_stream",
]


def roster_stream(agency: str) -> str:
    """The id of the agency's roster stream."""
    return f"roster-{agency}"


def roster_digest(roster: Roster) -> str:
    """SHA-256 (hex) of the canonical JSON of the sorted roster."""
    return hashlib.sha256(canonical_json(roster_document(roster))).hexdigest()


class RosterNotClean(ValueError):
    """Applying a check with rejected rows without asking for the valid rows only."""


class RosterConflict(RuntimeError):
    """Another import gave keys to the same NIPs meanwhile; check the file again."""


@dataclass(frozen=True)
class RosterApplied:
    """What an import changed: the events appended (none when nothing changed)."""

    events: list[RosterEvent]
    version: int
    digest: str

    def counts(self) -> dict[str, int]:
        return changed_keys(self.events)


@dataclass(frozen=True)
class ApplyBatch:
    """Where a background apply stands after one batch (:meth:`RosterStore.apply_batch`)."""

    status: str
    """``running`` (more to apply), ``applied`` (nothing left), ``refused`` (stopped)."""
    done: int
    total: int
    version: int
    digest: str = ""
    roster: Roster | None = field(default=None, repr=False, compare=False)
    """The roster at ``version`` (after this batch), the target and the events left:
    passed to the next :meth:`RosterStore.apply_batch`, which uses them while the stream
    is still at ``version`` (else it reads the roster again)."""
    target: Roster | None = field(default=None, repr=False, compare=False)
    left: list[RosterEvent] = field(default_factory=list, repr=False, compare=False)


@dataclass(frozen=True)
class RosterSnapshot:
    """The roster at one version of its stream, with its digest: what a cycle freezes."""

    agency: str
    roster: Roster
    version: int
    digest: str

    @property
    def employees(self) -> list[Employee]:
        return [self.roster.employees[k] for k in sorted(self.roster.employees)]


_LOCK = """
INSERT INTO roster_agencies (agency, version, digest, updated_at)
VALUES ($1, 0, $2, $3) ON CONFLICT (agency) DO NOTHING
"""
_VERSION_FOR_UPDATE = "SELECT version FROM roster_agencies WHERE agency = $1 FOR UPDATE"
_VERSION = "SELECT version FROM roster_agencies WHERE agency = $1"
_EMPLOYEES = """
SELECT employee_key, nip, name, position, kind, level, employment, unit, superior, email
FROM roster_employees WHERE agency = $1
"""
_UNITS = "SELECT code, name, parent, leader FROM roster_units WHERE agency = $1"
_KEYS = "SELECT nip, employee_key FROM roster_keys WHERE agency = $1"
_UPSERT_EMPLOYEES = """
INSERT INTO roster_employees (agency, employee_key, nip, name, position, kind, level,
                              employment, unit, superior, email)
SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                         $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
ON CONFLICT (agency, employee_key) DO UPDATE SET
    nip = EXCLUDED.nip, name = EXCLUDED.name, position = EXCLUDED.position,
    kind = EXCLUDED.kind, level = EXCLUDED.level, employment = EXCLUDED.employment,
    unit = EXCLUDED.unit, superior = EXCLUDED.superior, email = EXCLUDED.email
"""
_DELETE_EMPLOYEES = "DELETE FROM roster_employees WHERE agency = $1 AND employee_key = ANY($2)"
_UPSERT_UNITS = """
INSERT INTO roster_units (agency, code, name, parent, leader)
SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[])
ON CONFLICT (agency, code) DO UPDATE SET
    name = EXCLUDED.name, parent = EXCLUDED.parent, leader = EXCLUDED.leader
"""
_DELETE_UNITS = "DELETE FROM roster_units WHERE agency = $1 AND code = ANY($2)"
_INSERT_KEYS = """
INSERT INTO roster_keys (agency, nip, employee_key, assigned_at)
SELECT $1, * , $4 FROM unnest($2::text[], $3::text[])
ON CONFLICT DO NOTHING
"""
_SET_VERSION = """
UPDATE roster_agencies SET version = $2, digest = $3, updated_at = $4 WHERE agency = $1
"""

_JOB_FOR_UPDATE = "SELECT status FROM roster_applies WHERE upload_id = $1 FOR UPDATE"
_PREPARE = """
UPDATE roster_applies SET status = 'running', target = $2::jsonb, base_version = $3,
       version = $3, total = $4, done = 0, report = $5::jsonb, updated_at = $6
WHERE upload_id = $1
"""
_JOB_STATE_FOR_UPDATE = """
SELECT status, total, done, version FROM roster_applies WHERE upload_id = $1 FOR UPDATE
"""
_JOB_TARGET = "SELECT target::text FROM roster_applies WHERE upload_id = $1"
_REFUSE_JOB = """
UPDATE roster_applies SET status = 'refused', error_code = $2, error = $3, updated_at = $4
WHERE upload_id = $1
"""
_JOB_APPLIED = """
UPDATE roster_applies SET status = 'applied', done = total, target = NULL, updated_at = $2
WHERE upload_id = $1
"""
_JOB_PROGRESS = """
UPDATE roster_applies SET done = $2, version = $3, updated_at = $4 WHERE upload_id = $1
"""


def _employee(row: asyncpg.Record) -> Employee:
    return Employee(key=row["employee_key"], nip=row["nip"], name=row["name"],
                    position=row["position"], kind=row["kind"], level=row["level"],
                    employment=row["employment"], unit=row["unit"], superior=row["superior"],
                    email=row["email"])


async def _read_roster(connection: asyncpg.Connection, agency: str) -> Roster:
    employees = {r["employee_key"]: _employee(r)
                 for r in await connection.fetch(_EMPLOYEES, agency)}
    units = {r["code"]: Unit(code=r["code"], name=r["name"], parent=r["parent"],
                             leader=r["leader"])
             for r in await connection.fetch(_UNITS, agency)}
    return Roster(employees=employees, units=units)


def _actor_metadata(actor: Actor | str) -> dict[str, Any]:
    if isinstance(actor, Actor):
        return actor.log_metadata()
    return {"actor": actor, "roles": []}


class RosterStore:
    """Roster imports and reads over an asyncpg pool acting as ``kinerja_app``."""

    def __init__(self, pool: asyncpg.Pool, event_log: EventLog | None = None) -> None:
        self._pool = pool
        self._event_log = event_log or EventLog(pool)

    async def known_keys(self, agency: str) -> dict[str, str]:
        """Every NIP ever imported for ``agency`` with its employee key."""
        rows = await self._pool.fetch(_KEYS, agency)
        return {r["nip"]: r["employee_key"] for r in rows}

    async def check(self, agency: str, rows: Iterable[RosterRow]) -> RosterCheck:
        """Validate ``rows`` with the keys the agency's NIPs already have."""
        return validate_roster(rows, await self.known_keys(agency),
                               today=datetime.now(UTC).date())

    async def apply(
        self,
        agency: str,
        check: RosterCheck,
        actor: Actor | str,
        *,
        partial: bool = False,
        metadata: Mapping[str, Any] | None = None,
        recorded_at: datetime | None = None,
    ) -> RosterApplied:
        """Make ``check``'s roster the agency's roster, recording the changes as events.

        A check with rejected rows is refused (:class:`RosterNotClean`) unless
        ``partial``: then the valid rows are applied and an employee whose row
        was rejected keeps their current record (:func:`domain.roster.merge_partial`,
        which may refuse with :class:`PartialApplyRefused`). Idempotent: when
        nothing differs, nothing is appended. :class:`RosterConflict` when
        another import gave keys to the same NIPs since the check.
        """
        if check.rejected and not partial:
            raise RosterNotClean(f"{len(check.rejected)} row(s) rejected; nothing applied")
        moment = recorded_at or datetime.now(UTC)
        async with self._pool.acquire() as connection, connection.transaction():
            await connection.execute(_LOCK, agency, bytes.fromhex(roster_digest(Roster())),
                                     moment)
            version = int(await connection.fetchval(_VERSION_FOR_UPDATE, agency))
            current = await _read_roster(connection, agency)
            known = {r["nip"]: r["employee_key"] for r in await connection.fetch(_KEYS, agency)}
            _check_keys(check.roster, known)
            target = merge_partial(current, check) if check.rejected else check.roster
            events = diff_roster(current, target)
            digest = roster_digest(target)
            if not events:
                return RosterApplied(events=[], version=version, digest=roster_digest(current))
            new_version = await self._record(
                connection, agency, version, events,
                {**_actor_metadata(actor), **(metadata or {})},
                current, target, known, digest, moment)
        return RosterApplied(events=events, version=new_version, digest=digest)

    async def _record(self, connection: asyncpg.Connection, agency: str, version: int,
                      events: Sequence[RosterEvent], meta: Mapping[str, Any],
                      current: Roster, after: Roster, known: Mapping[str, str],
                      digest: str, moment: datetime) -> int:
        """Append ``events`` to the agency's roster stream at ``version``, bring the read
        model from ``current`` to ``after`` and record the new version and ``digest``, in
        ``connection``'s transaction; the stream's new version."""
        recorded = await self._event_log.append(
            roster_stream(agency), version,
            [NewEvent(type=e.type, data=event_data(e), metadata=dict(meta),
                      schema_version=EVENT_SCHEMA_VERSION, recorded_at=moment)
             for e in events],
            connection=connection)
        new_version = recorded[-1].version
        await _write_read_model(connection, agency, current, after, known, moment)
        await connection.execute(_SET_VERSION, agency, new_version, bytes.fromhex(digest),
                                 moment)
        return new_version

    async def prepare_apply(self, upload_id: str, agency: str, check: RosterCheck, *,
                            partial: bool, report: Mapping[str, Any], moment: datetime
                            ) -> list[RosterEvent] | None:
        """Start the background apply ``upload_id`` (queued in ``roster_applies``): under the
        agency's roster lock, the roster it makes (``check``'s, or with ``partial`` its
        valid rows merged into the current one), the stream's version now and how many
        events it takes are recorded once; ``report`` (what the page shows) with the count
        of each type of event. The events, or None when the apply was prepared already (a
        retried activity). :class:`RosterConflict`, :class:`PartialApplyRefused` as
        :meth:`apply`."""
        async with self._pool.acquire() as connection, connection.transaction():
            status = await connection.fetchval(_JOB_FOR_UPDATE, upload_id)
            if status != "queued":
                return None
            await connection.execute(_LOCK, agency, bytes.fromhex(roster_digest(Roster())),
                                     moment)
            version = int(await connection.fetchval(_VERSION_FOR_UPDATE, agency))
            current = await _read_roster(connection, agency)
            known = {r["nip"]: r["employee_key"] for r in await connection.fetch(_KEYS, agency)}
            _check_keys(check.roster, known)
            target = merge_partial(current, check) if partial and check.rejected \
                else check.roster
            events = diff_roster(current, target)
            counts: dict[str, int] = {}
            for event in events:
                counts[event.type] = counts.get(event.type, 0) + 1
            await connection.execute(
                _PREPARE, upload_id, json.dumps(target.model_dump(mode="json")), version,
                len(events), json.dumps({**report, "event_counts": counts}), moment)
        return events

    async def apply_batch(self, upload_id: str, agency: str, actor: Actor | str, *,
                          size: int, metadata: Mapping[str, Any] | None = None,
                          moment: datetime | None = None, previous: ApplyBatch | None = None
                          ) -> ApplyBatch:
        """Append the next ``size`` events of the background apply ``upload_id`` and write
        the read model, in one transaction with the apply's progress (its ``done`` and the
        stream's ``version``). The events are the difference between the current roster
        and the apply's recorded target, so a batch committed is never applied again (a
        worker that restarts continues with the rest); the stream must still be at the
        version the apply's last batch left (another import meanwhile: ``refused``).
        ``previous``: this process's last batch of the same apply, whose roster, target and
        events left are used when the stream is still at its version (a batch by another
        attempt meanwhile moved it: then they are read again)."""
        moment = moment or datetime.now(UTC)
        async with self._pool.acquire() as connection, connection.transaction():
            job = await connection.fetchrow(_JOB_STATE_FOR_UPDATE, upload_id)
            if job is None or job["status"] != "running":
                status = job["status"] if job is not None else "refused"
                return ApplyBatch(status=status, done=job["done"] if job else 0,
                                  total=job["total"] if job else 0,
                                  version=job["version"] or 0 if job else 0)
            version = int(await connection.fetchval(_VERSION_FOR_UPDATE, agency))
            if version != job["version"]:
                await connection.execute(
                    _REFUSE_JOB, upload_id, "roster-conflict",
                    "the roster changed meanwhile (another import); check the file again",
                    moment)
                return ApplyBatch(status="refused", done=job["done"], total=job["total"],
                                  version=version)
            if previous is not None and previous.version == version \
                    and previous.roster is not None and previous.target is not None:
                current, target, events = previous.roster, previous.target, previous.left
            else:
                current = await _read_roster(connection, agency)
                target = Roster.model_validate_json(
                    await connection.fetchval(_JOB_TARGET, upload_id))
                events = diff_roster(current, target)
            if not events:
                await connection.execute(_JOB_APPLIED, upload_id, moment)
                return ApplyBatch(status="applied", done=job["done"], total=job["total"],
                                  version=version, digest=roster_digest(current))
            batch = events[:size]
            known = {r["nip"]: r["employee_key"] for r in await connection.fetch(_KEYS, agency)}
            after = fold(batch, current)
            digest = roster_digest(after)
            new_version = await self._record(
                connection, agency, version, batch,
                {**_actor_metadata(actor), **(metadata or {}), "apply": upload_id},
                current, after, known, digest, moment)
            done = min(job["done"] + len(batch), job["total"])
            await connection.execute(_JOB_PROGRESS, upload_id, done, new_version, moment)
        return ApplyBatch(status="running", done=done, total=job["total"], version=new_version,
                          digest=digest, roster=after, target=target, left=events[size:])

    async def preview(self, agency: str, check: RosterCheck, *, partial: bool = False
                      ) -> list[RosterEvent]:
        """The events :meth:`apply` would append now (a dry run; writes nothing)."""
        current = await self.current(agency)
        target = merge_partial(current, check) if partial and check.rejected else check.roster
        return diff_roster(current, target)

    async def current(self, agency: str) -> Roster:
        """The agency's roster now (empty when none was imported)."""
        return (await self.snapshot(agency)).roster

    async def snapshot(self, agency: str) -> RosterSnapshot:
        """The roster, its stream version and digest, read in one consistent snapshot."""
        async with self._pool.acquire() as connection, connection.transaction(
                isolation="repeatable_read", readonly=True):
            version = await connection.fetchval(_VERSION, agency)
            roster = await _read_roster(connection, agency)
        return RosterSnapshot(agency=agency, roster=roster, version=int(version or 0),
                              digest=roster_digest(roster))

    async def events(self, agency: str) -> list[RosterEvent]:
        """The agency's roster events, in order."""
        stored = await self._event_log.read_stream(roster_stream(agency))
        return [event_from_data(e.type, e.data) for e in stored]

    async def changes_since(self, agency: str, version: int
                            ) -> list[tuple[int, RosterEvent]]:
        """The roster events after ``version`` (e.g. a cycle's frozen snapshot), with
        their versions: what a running cycle turns into reassignments and transfers."""
        stored = await self._event_log.read_stream(roster_stream(agency), version + 1)
        return [(e.version, event_from_data(e.type, e.data)) for e in stored]

    async def replay(self, agency: str) -> Roster:
        """The roster folded from its stream (equals :meth:`current`; for audits)."""
        return fold(await self.events(agency))


def _check_keys(roster: Roster, known: Mapping[str, str]) -> None:
    owners = {key: nip for nip, key in known.items()}
    for employee in roster.employees.values():
        owner = owners.get(employee.key)
        if known.get(employee.nip, employee.key) != employee.key or (
                owner is not None and owner != employee.nip):
            raise RosterConflict(
                "another roster import for this agency gave out employee keys meanwhile; "
                "check the file again")


def _columns(employees: Sequence[Employee]) -> list[list[str | None]]:
    return [
        [e.key for e in employees], [e.nip for e in employees], [e.name for e in employees],
        [e.position for e in employees], [e.kind.value for e in employees],
        [e.level.value if e.level else None for e in employees],
        [e.employment.value for e in employees], [e.unit for e in employees],
        [e.superior for e in employees], [e.email for e in employees],
    ]


async def _write_read_model(connection: asyncpg.Connection, agency: str, old: Roster,
                            new: Roster, known: Mapping[str, str], moment: datetime) -> None:
    gone = [k for k in old.employees if k not in new.employees]
    if gone:
        await connection.execute(_DELETE_EMPLOYEES, agency, gone)
    changed = [e for k, e in new.employees.items() if old.employees.get(k) != e]
    if changed:
        await connection.execute(_UPSERT_EMPLOYEES, agency, *_columns(changed))
    fresh = [e for e in new.employees.values() if e.nip not in known]
    if fresh:
        await connection.execute(_INSERT_KEYS, agency, [e.nip for e in fresh],
                                 [e.key for e in fresh], moment)
    removed = [c for c in old.units if c not in new.units]
    if removed:
        await connection.execute(_DELETE_UNITS, agency, removed)
    units = [u for c, u in new.units.items() if old.units.get(c) != u]
    if units:
        await connection.execute(
            _UPSERT_UNITS, agency, [u.code for u in units], [u.name for u in units],
            [u.parent for u in units], [u.leader for u in units])
