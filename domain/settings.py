"""An agency's settings, which its HR sets: where HR is reached by e-mail, the agency's
time zone (WIB, WITA, WIT) and the days a complaint must be answered in.

Each is optional: unset, the policy's value holds (the complaint deadline:
``domain.complaint.COMPLAINT_POLICY.response_days``; the zone: the cycle's calendar, or
``DEFAULT_UTC_OFFSET_HOURS``). A change is an event of the stream ``settings-<agency>``
in the log (who changed what, chained and sealed like every stream). Pure.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from domain.complaint.rules import COMPLAINT_POLICY, ComplaintPolicy
from domain.policy import DEFAULT_UTC_OFFSET_HOURS

ZONES: dict[int, tuple[str, str]] = {
    7: ("WIB", "Asia/Jakarta"),
    8: ("WITA", "Asia/Makassar"),
    9: ("WIT", "Asia/Jayapura"),
}
"""Indonesia's three zones by UTC offset: (name, IANA zone). None has daylight saving."""

UtcOffset = Literal[7, 8, 9]

MAX_HR_CONTACTS = 10
"""At most this many HR addresses (each escalation to HR goes to every one)."""

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
    r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
"""An address as mail systems take it in a header: ASCII local part without quotes,
spaces, commas or angle brackets (nothing that could add a header or a recipient), a
domain with at least one dot."""

EMAIL_RULE = "email"


def check_email(value: str) -> str:
    if not _EMAIL.match(value):
        raise PydanticCustomError(
            EMAIL_RULE, "not an e-mail address such as sdm@pemkot.go.id")
    return value


Email = Annotated[str, Field(min_length=3, max_length=254), AfterValidator(check_email)]


def _distinct(values: tuple[str, ...]) -> tuple[str, ...]:
    if len(set(values)) != len(values):
        raise PydanticCustomError("duplicate", "each address once")
    return values


HrContacts = Annotated[tuple[Email, ...], Field(max_length=MAX_HR_CONTACTS),
                      AfterValidator(_distinct)]
"""Where the agency's HR is reached: each address once, at most ``MAX_HR_CONTACTS``."""


class AgencySettings(BaseModel):
    """What HR set; ``None`` (or no address) leaves the policy's value."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    hr_contacts: HrContacts = ()
    utc_offset_hours: UtcOffset | None = None
    complaint_response_days: Annotated[int, Field(ge=1, le=365)] | None = None

    def changes_from(self, before: AgencySettings) -> dict[str, Any]:
        """The fields this sets differently from ``before`` (what an event records)."""
        now, then = self.model_dump(mode="json"), before.model_dump(mode="json")
        return {name: value for name, value in now.items() if then.get(name) != value}


NO_SETTINGS = AgencySettings()


def utc_offset_of(settings: AgencySettings, calendar_offset: int | None = None) -> int:
    """The agency's zone: its setting, else the cycle calendar's, else WIB."""
    if settings.utc_offset_hours is not None:
        return settings.utc_offset_hours
    return calendar_offset if calendar_offset is not None else DEFAULT_UTC_OFFSET_HOURS


def zone_name(utc_offset_hours: int) -> str:
    """``WIB``, ``WITA`` or ``WIT`` (else ``UTC+n``)."""
    return ZONES[utc_offset_hours][0] if utc_offset_hours in ZONES \
        else f"UTC+{utc_offset_hours}"


def iana_zone(utc_offset_hours: int) -> str:
    """The IANA name of an Indonesian zone (``Asia/Makassar`` for WITA)."""
    return ZONES[utc_offset_hours][1]


def complaint_policy(settings: AgencySettings,
                     policy: ComplaintPolicy = COMPLAINT_POLICY) -> ComplaintPolicy:
    """The complaint policy of the agency: the policy's days unless the agency set its
    own (issue 15: "within the policy's days, a setting per agency")."""
    if settings.complaint_response_days is None:
        return policy
    return policy.model_copy(update={"response_days": settings.complaint_response_days})


def settings_stream(agency: str) -> str:
    return f"settings-{agency}"


SETTINGS_CHANGED = "agency_settings_changed"
"""The event type: ``data`` holds the fields changed, each with its new value."""


def fold(changes: list[dict[str, Any]]) -> AgencySettings:
    """The settings from their events' data, oldest first."""
    merged: dict[str, Any] = {}
    for data in changes:
        merged.update(data)
    known = {k: v for k, v in merged.items() if k in AgencySettings.model_fields}
    return AgencySettings.model_validate(known)
