"""Use cases of an agency's settings: HR of the agency reads and changes them (the HR
addresses, the zone, the complaint response days); the other use cases read what they
need of them (the zone of a cycle's calendar, the days of a complaint's deadline)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from domain.authorization import Actor, AgencyAction, may_on_agency
from domain.complaint.rules import ComplaintPolicy
from domain.settings import AgencySettings, complaint_policy, utc_offset_of
from services.errors import Conflict, NotFound
from store.event_log import ConcurrencyConflict
from store.settings import SettingsChange, SettingsStore, StoredSettings


class AgencySettingsService:
    def __init__(self, store: SettingsStore) -> None:
        self._store = store

    @staticmethod
    def _hr(actor: Actor, agency: str) -> None:
        # The agency's settings are HR's, as its cycles are; anyone else: not found.
        if not may_on_agency(actor, AgencyAction.RUN_CYCLE, agency):
            raise NotFound("agency")

    async def read(self, actor: Actor, agency: str) -> StoredSettings:
        self._hr(actor, agency)
        return await self._store.get(agency)

    async def history(self, actor: Actor, agency: str) -> list[SettingsChange]:
        """Who changed what, oldest first."""
        self._hr(actor, agency)
        return await self._store.history(agency)

    async def change(self, actor: Actor, agency: str, settings: AgencySettings,
                     idempotency_key: str | None = None, now: datetime | None = None
                     ) -> StoredSettings:
        """Set the agency's settings to ``settings`` (what differs is recorded, with who
        and when). The same request again (its ``Idempotency-Key``) changes nothing."""
        self._hr(actor, agency)
        key = idempotency_key or f"settings-{uuid.uuid4()}"  # no key: a new request
        try:
            return await self._store.change(
                agency, settings, actor=actor.subject, request_id=f"{actor.subject}:{key}",
                at=now or datetime.now(UTC))
        except ConcurrencyConflict:
            raise Conflict("settings_changed", "Changed meanwhile",
                           "the settings were changed by someone else meanwhile; "
                           "look at them and send yours again") from None

    # ------------------------------------------------------------------ for other use cases

    async def utc_offset(self, agency: str, calendar_offset: int | None = None) -> int:
        """The agency's zone: its setting, else ``calendar_offset``, else WIB."""
        return utc_offset_of((await self._store.get(agency)).settings, calendar_offset)

    async def zone_set(self, agency: str) -> int | None:
        """The agency's zone when HR set one."""
        return await self._store.utc_offset(agency)

    async def complaint_policy(self, agency: str) -> ComplaintPolicy:
        return complaint_policy((await self._store.get(agency)).settings)
