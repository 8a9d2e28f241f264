"""Routes of an agency's settings (HR of the agency): where HR is reached by e-mail, the
agency's zone, the days a complaint must be answered in; and who changed what."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from api.auth import CurrentActor
from api.schemas import IdempotencyKey
from domain.complaint import COMPLAINT_POLICY
from domain.settings import AgencySettings, HrContacts, UtcOffset, zone_name
from domain.text import AGENCY_PATTERN
from services.settings import AgencySettingsService
from store.settings import StoredSettings

router = APIRouter(prefix="/v1", tags=["agency settings"])

AgencyId = Annotated[str, Path(pattern=AGENCY_PATTERN)]


def _service(request: Request) -> AgencySettingsService:
    service: AgencySettingsService = request.app.state.kinerja.settings
    return service


class AgencySettingsBody(BaseModel):
    """The whole of the agency's settings; a field left out or null is the policy's value
    (no HR address: escalations to HR go to the log)."""

    hr_contacts: HrContacts = ()
    utc_offset_hours: UtcOffset | None = None
    """7 WIB, 8 WITA, 9 WIT: the zone of new cycles' calendars, of the deadlines in
    e-mails, of an HR-given deadline date."""
    complaint_response_days: Annotated[int, Field(ge=1, le=365)] | None = None
    """Calendar days from a complaint's filing to its deadline (the policy's: 14)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"hr_contacts": ["sdm@pemkot-makassar.go.id"], "utc_offset_hours": 8,
         "complaint_response_days": 10}]})


class AgencySettingsView(BaseModel):
    agency: str
    hr_contacts: list[str]
    utc_offset_hours: int | None
    zone: str | None
    """WIB, WITA or WIT when set."""
    complaint_response_days: int | None
    complaint_response_days_in_force: int
    """The setting, or the policy's days when unset."""
    version: int
    updated_at: datetime | None
    updated_by: str | None

    @classmethod
    def of(cls, stored: StoredSettings) -> AgencySettingsView:
        s = stored.settings
        return cls(agency=stored.agency, hr_contacts=list(s.hr_contacts),
                   utc_offset_hours=s.utc_offset_hours,
                   zone=zone_name(s.utc_offset_hours) if s.utc_offset_hours else None,
                   complaint_response_days=s.complaint_response_days,
                   complaint_response_days_in_force=(s.complaint_response_days
                                                     or COMPLAINT_POLICY.response_days),
                   version=stored.version, updated_at=stored.updated_at,
                   updated_by=stored.updated_by)


class SettingsChangeView(BaseModel):
    version: int
    at: datetime
    actor: str
    changes: dict[str, Any]


@router.get("/agencies/{agency}/settings", summary="An agency's settings (HR)")
async def get_settings(request: Request, agency: AgencyId, actor: CurrentActor
                       ) -> AgencySettingsView:
    return AgencySettingsView.of(await _service(request).read(actor, agency))


@router.put("/agencies/{agency}/settings", summary="Set an agency's settings (HR)")
async def put_settings(request: Request, agency: AgencyId, body: AgencySettingsBody,
                       actor: CurrentActor, idempotency_key: IdempotencyKey = None
                       ) -> AgencySettingsView:
    settings = AgencySettings.model_validate(body.model_dump())
    return AgencySettingsView.of(await _service(request).change(
        actor, agency, settings, idempotency_key))


@router.get("/agencies/{agency}/settings/history",
            summary="Who changed the agency's settings, what and when (HR)")
async def get_settings_history(request: Request, agency: AgencyId, actor: CurrentActor
                               ) -> list[SettingsChangeView]:
    return [SettingsChangeView(version=c.version, at=c.at, actor=c.actor, changes=c.changes)
            for c in await _service(request).history(actor, agency)]
