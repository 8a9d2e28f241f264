"""HR's page of the agency's settings (``/sdm/pengaturan``): the HR addresses, the zone,
the complaint response days, and who changed what. The same use case as
``PUT /v1/agencies/{agency}/settings``."""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from domain.complaint import COMPLAINT_POLICY
from domain.settings import ZONES, AgencySettings
from domain.text import strip_refused
from services.errors import Conflict, NotFound
from services.settings import AgencySettingsService
from web.hr import _gettext, _hr, _key, agency_of
from web.pages import N_, PageNotFound, _form, render

router = APIRouter(include_in_schema=False)

FIELDS = ("hr_contacts", "utc_offset_hours", "complaint_response_days")
_SEPARATORS = re.compile(r"[\s,;]+")


def _service(request: Request) -> AgencySettingsService:
    service: AgencySettingsService = request.app.state.kinerja.settings
    return service


def _errors(request: Request, error: ValidationError) -> dict[str, str]:
    gettext = _gettext(request)
    messages = {
        "email": N_("Not an e-mail address, e.g. sdm@pemkot.go.id:"),
        "duplicate": N_("Write each address once."),
        "too_long": N_("At most 10 addresses."),
        "literal_error": N_("Choose one of the options."),
        "int_parsing": N_("Enter a whole number of days, or leave it empty."),
        "greater_than_equal": N_("Enter 1 to 365 days, or leave it empty."),
        "less_than_equal": N_("Enter 1 to 365 days, or leave it empty."),
        "string_too_short": N_("Not an e-mail address, e.g. sdm@pemkot.go.id:"),
        "string_too_long": N_("Not an e-mail address, e.g. sdm@pemkot.go.id:"),
    }
    found: dict[str, str] = {}
    for item in error.errors():
        loc = item.get("loc", ())
        field = str(loc[0]) if loc else "_"
        text = gettext(messages.get(item["type"], N_("This value is not valid.")))
        if field == "hr_contacts" and len(loc) > 1 and item["type"] in (
                "email", "string_too_short", "string_too_long"):
            text += " " + strip_refused(str(item.get("input", "")))[:254]
        found.setdefault(field, text)
    return found


async def _page(request: Request, agency: str, *, values: dict[str, str] | None = None,
                errors: dict[str, str] | None = None, saved: bool = False,
                status: int = 200) -> Response:
    session = _hr(request)
    try:
        stored = await _service(request).read(session.actor, agency)
        history = await _service(request).history(session.actor, agency)
    except NotFound:
        raise PageNotFound() from None
    s = stored.settings
    if values is None:
        values = {"hr_contacts": "\n".join(s.hr_contacts),
                  "utc_offset_hours": str(s.utc_offset_hours or ""),
                  "complaint_response_days": str(s.complaint_response_days or "")}
    return render(request, "hr/settings.html", {
        "agency": agency, "values": values, "errors": errors or {}, "saved": saved,
        "zones": [(str(offset), name) for offset, (name, _iana) in ZONES.items()],
        "policy_days": COMPLAINT_POLICY.response_days, "stored": stored,
        "history": list(reversed(history))}, status,
        offset=s.utc_offset_hours or 7)


@router.get("/sdm/pengaturan")
async def settings_page(request: Request, instansi: str | None = None,
                        tersimpan: str | None = None) -> Response:
    session = _hr(request)
    return await _page(request, agency_of(session, instansi), saved=tersimpan == "1")


@router.post("/sdm/pengaturan")
async def save_settings(request: Request, instansi: str | None = None) -> Response:
    session = _hr(request)
    agency = agency_of(session, instansi)
    form = await _form(request)
    values = {name: str(form.get(name) or "").strip() for name in FIELDS}
    data: dict[str, Any] = {
        "hr_contacts": [a for a in _SEPARATORS.split(values["hr_contacts"]) if a],
        "utc_offset_hours": (int(values["utc_offset_hours"])
                             if values["utc_offset_hours"] in ("7", "8", "9")
                             else values["utc_offset_hours"] or None),
        "complaint_response_days": values["complaint_response_days"] or None,
    }
    try:
        settings = AgencySettings.model_validate(data)
    except ValidationError as error:
        return await _page(request, agency, values=values, status=422,
                           errors=_errors(request, error))
    try:
        await _service(request).change(session.actor, agency, settings,
                                       _key(form, f"settings-{uuid.uuid4()}"))
    except NotFound:
        raise PageNotFound() from None
    except Conflict:
        gettext = _gettext(request)
        return await _page(request, agency, values=values, status=409, errors={
            "_": gettext("Someone changed the settings meanwhile; look at them and send "
                         "yours again.")})
    return RedirectResponse(f"/sdm/pengaturan?instansi={agency}&tersimpan=1", 303)
