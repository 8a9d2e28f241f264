"""An agency's settings in PostgreSQL: each change an event of ``settings-<agency>`` in the
log, and in the same transaction the read model ``agency_settings`` and the HR addresses
the mail path reads (``agency_hr_contacts``)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from domain.settings import (
    NO_SETTINGS,
    SETTINGS_CHANGED,
    AgencySettings,
    fold,
    iana_zone,
    settings_stream,
)
from store.event_log import ConcurrencyConflict, EventLog, NewEvent, RecordedEvent

_UPSERT = """
INSERT INTO agency_settings (agency, utc_offset_hours, complaint_response_days, hr_contacts,
                             version, updated_at, updated_by)
VALUES ($1, $2, $3, $4::text[], $5, $6, $7)
ON CONFLICT (agency) DO UPDATE SET
    utc_offset_hours = EXCLUDED.utc_offset_hours,
    complaint_response_days = EXCLUDED.complaint_response_days,
    hr_contacts = EXCLUDED.hr_contacts, version = EXCLUDED.version,
    updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
"""

_CONTACTS = """
INSERT INTO agency_hr_contacts (agency, email) VALUES ($1, $2)
ON CONFLICT (agency) DO UPDATE SET email = EXCLUDED.email
"""


@dataclass(frozen=True)
class StoredSettings:
    agency: str
    settings: AgencySettings
    version: int
    """The stream's version (0: never set)."""
    updated_at: datetime | None
    updated_by: str | None


@dataclass(frozen=True)
class SettingsChange:
    """One recorded change: who, when, what (the fields and their new values)."""

    version: int
    at: datetime
    actor: str
    changes: dict[str, Any]


class SettingsStore:
    def __init__(self, pool: asyncpg.Pool, event_log: EventLog | None = None) -> None:
        self._pool = pool
        self._log = event_log or EventLog(pool)

    async def get(self, agency: str) -> StoredSettings:
        row = await self._pool.fetchrow(
            "SELECT * FROM agency_settings WHERE agency = $1", agency)
        if row is None:
            return StoredSettings(agency, NO_SETTINGS, 0, None, None)
        return StoredSettings(
            agency, AgencySettings(
                hr_contacts=tuple(row["hr_contacts"]),
                utc_offset_hours=row["utc_offset_hours"],
                complaint_response_days=row["complaint_response_days"]),
            row["version"], row["updated_at"], row["updated_by"])

    async def history(self, agency: str) -> list[SettingsChange]:
        return [SettingsChange(e.version, e.recorded_at, str(e.metadata.get("actor", "")),
                               dict(e.data))
                for e in await self._events(agency)]

    async def _events(self, agency: str) -> list[RecordedEvent]:
        return [e for e in await self._log.read_stream(settings_stream(agency))
                if e.type == SETTINGS_CHANGED]

    async def change(self, agency: str, settings: AgencySettings, *, actor: str,
                     request_id: str, at: datetime) -> StoredSettings:
        """Record what differs from the stored settings (nothing when nothing does). A
        ``request_id`` recorded before changes nothing and answers its first result."""
        stream = settings_stream(agency)
        for _attempt in range(3):
            stored = await self.get(agency)
            events = await self._log.read_stream(stream)
            first = next((e for e in events if e.metadata.get("request_id") == request_id),
                         None)
            if first is not None:  # its first result: the settings as that change left them
                return StoredSettings(
                    agency, fold([e.data for e in events if e.version <= first.version
                                  and e.type == SETTINGS_CHANGED]),
                    first.version, first.recorded_at, str(first.metadata.get("actor", "")))
            changes = settings.changes_from(stored.settings)
            if not changes:
                return stored
            version = len(events)
            try:
                async with self._pool.acquire() as connection, connection.transaction():
                    await self._log.append(stream, version, [NewEvent(
                        SETTINGS_CHANGED, changes,
                        {"request_id": request_id, "actor": actor, "agency": agency},
                        recorded_at=at)], connection=connection)
                    await connection.execute(
                        _UPSERT, agency, settings.utc_offset_hours,
                        settings.complaint_response_days, list(settings.hr_contacts),
                        version + 1, at, actor)
                    if settings.hr_contacts:
                        await connection.execute(_CONTACTS, agency,
                                                 ", ".join(settings.hr_contacts))
                    else:
                        await connection.execute(
                            "DELETE FROM agency_hr_contacts WHERE agency = $1", agency)
            except ConcurrencyConflict:
                continue  # another change meanwhile: compare with it
            return StoredSettings(agency, settings, version + 1, at, actor)
        raise ConcurrencyConflict(stream, version, version + 1)

    async def utc_offset(self, agency: str) -> int | None:
        """The agency's zone as set (None: not set)."""
        value = await self._pool.fetchval(
            "SELECT utc_offset_hours FROM agency_settings WHERE agency = $1", agency)
        return int(value) if value is not None else None


class AgencyZones:
    """The zone (IANA name) each agency's e-mails show deadlines in: its setting, else the
    fallback (``KINERJA_REMINDER_TIME_ZONE``). Read once per agency for
    ``ttl`` seconds."""

    def __init__(self, pool: asyncpg.Pool, ttl: float = 60.0) -> None:
        self._pool = pool
        self._ttl = ttl
        self._known: dict[str, tuple[float, int | None]] = {}

    async def zone(self, agency: str, fallback: str) -> str:
        now = time.monotonic()
        known = self._known.get(agency)
        if known is None or now - known[0] > self._ttl:
            try:
                value = await self._pool.fetchval(
                    "SELECT utc_offset_hours FROM agency_settings WHERE agency = $1", agency)
            except asyncpg.UndefinedTableError:  # a database before 0082
                value = None
            known = (now, int(value) if value is not None else None)
            self._known[agency] = known
        return iana_zone(known[1]) if known[1] is not None else fallback
