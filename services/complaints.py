"""Use cases of complaints and suggestions (pengaduan) about a unit's service: the public
files one (no sign-in) and follows it with its tracking code; the unit (HR of the agency
or the unit's head) lists, answers, and erases a complainant's contact on request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.authorization import Actor, Role
from domain.complaint import (
    COMPLAINT_POLICY,
    ComplaintView,
    FileComplaint,
    PhotoRefused,
    photo_of,
    tracking_code,
)
from domain.complaint.rules import deadline_of
from domain.policy import DEFAULT_UTC_OFFSET_HOURS
from domain.survey.access import may_read_results
from services.errors import Broken, Conflict, Forbidden, Invalid, NotFound
from services.settings import AgencySettingsService
from store.complaints import ComplaintStore, DuplicateComplaint, Filed, StoredPhoto
from store.public import PublicStore
from workflows.complaint.client import ComplaintClient
from workflows.complaint.contract import ComplaintDeadline


@dataclass(frozen=True)
class ForTheUnit:
    view: ComplaintView
    contact: str | None
    contact_erased: bool
    photo: StoredPhoto | None = None
    """The photo's type, size and whether it was erased (not its bytes)."""


PHOTO_MESSAGES = {
    "file_too_large": "the photo is larger than the limit",
    "file_type": "a photo is a JPEG or PNG image (judged by its bytes)",
}


DUPLICATE = "the same complaint was sent to this unit within the last day"


def photo_refused(rule: str) -> Invalid:
    """The refusal of a complaint's photo, naming the field and the rule."""
    return Invalid("validation", "The request breaks a rule", PHOTO_MESSAGES[rule],
                   [Broken("photo", rule, PHOTO_MESSAGES[rule])])


class ComplaintService:
    def __init__(self, store: ComplaintStore, units: PublicStore,
                 workflows: ComplaintClient | None = None,
                 settings: AgencySettingsService | None = None) -> None:
        self._store = store
        self._units = units
        self._workflows = workflows
        self._settings = settings

    async def file(self, agency: str, unit: str, complaint: FileComplaint, nonce: uuid.UUID,
                   now: datetime | None = None, photo: bytes | None = None) -> Filed:
        """File a complaint (with its optional photo: JPEG or PNG by its bytes, within the
        policy's size; else ``Invalid`` naming ``photo`` and nothing is stored)."""
        try:
            judged = photo_of(photo, COMPLAINT_POLICY) if photo else None
        except PhotoRefused as refused:
            raise photo_refused(refused.rule) from None
        found = await self._units.unit(agency, unit)
        if found is None:
            raise NotFound("public unit")
        if complaint.service is not None and \
                complaint.service not in {s.key for s in found.services}:
            raise Invalid("validation", "The request breaks a rule",
                          "the unit offers no such service",
                          [Broken("service", "unknown_service",
                                  "choose one of the unit's services")])
        moment = now or datetime.now(UTC)
        # The policy's days, unless the agency set its own (domain.settings).
        policy = await self._settings.complaint_policy(agency) if self._settings \
            else COMPLAINT_POLICY
        zone = await self.zone(agency)
        window = policy.duplicate_window_seconds
        try:
            filed = await self._store.file(
                agency, unit, tracking_code(nonce), complaint, moment,
                deadline_of(moment, policy, zone), judged,
                duplicates_since=moment - timedelta(seconds=window) if window else None)
        except DuplicateComplaint:
            raise Invalid("validation", "The request breaks a rule", DUPLICATE, [
                Broken("text", "duplicate", DUPLICATE)]) from None
        if self._workflows is not None and await self._workflows.start(ComplaintDeadline(
                agency=agency, code=filed.view.code, deadline=filed.view.deadline)):
            # a repeated filing finds it started; a start that failed is left to the sweep
            await self._store.mark_started(filed.view.code, datetime.now(UTC))
        return filed

    async def zone(self, agency: str) -> int:
        """The agency's UTC offset (WIB 7, WITA 8, WIT 9): its complaints' deadlines are
        ends of days there, and are shown there."""
        return (await self._settings.utc_offset(agency) if self._settings
                else DEFAULT_UTC_OFFSET_HOURS)

    async def start_missed(self, *, older_than: timedelta = timedelta(minutes=1),
                           limit: int = 500, now: datetime | None = None) -> int:
        """Start the workflow of each unanswered complaint filed at least ``older_than``
        ago whose start is not recorded (Temporal was down, or the process died between
        the filing and the start). The workflow id is the complaint's, so a workflow that
        is running already is found, not started twice. The number started or found;
        those Temporal refused stay for the next sweep."""
        if self._workflows is None:
            return 0
        moment = now or datetime.now(UTC)
        started = 0
        for missed in await self._store.not_started(moment - older_than, limit):
            if await self._workflows.start(ComplaintDeadline(
                    agency=missed.agency, code=missed.code, deadline=missed.deadline)):
                await self._store.mark_started(missed.code, datetime.now(UTC))
                started += 1
        return started

    async def track(self, agency: str, code: str) -> ComplaintView:
        """What the complainant sees with the code: never the contact."""
        view = await self._store.view(agency, code)
        if view is None:
            raise NotFound("complaint")
        return view.model_copy(update={"contact_ref": None})

    async def _unit_actor(self, actor: Actor, agency: str, unit: str, *,
                          answering: bool) -> None:
        leader = await self._units.unit_leader(agency, unit)
        if not may_read_results(actor, agency, leader):
            raise NotFound("public unit")
        if answering and not (Role.HR in actor.roles and actor.in_scope(agency)) \
                and not actor.is_person(agency, leader):
            raise Forbidden("only the unit's head or HR of the agency answers complaints")

    async def list(self, actor: Actor, agency: str, unit: str) -> list[ForTheUnit]:
        await self._unit_actor(actor, agency, unit, answering=False)
        out = []
        codes = await self._store.codes(agency, unit)
        photos = await self._store.photos(codes)
        for code in codes:
            view = await self._store.view(agency, code)
            assert view is not None
            contact, erased = await self._store.contact(view.contact_ref)
            out.append(ForTheUnit(view, contact, erased, photos.get(code)))
        return out

    async def photo(self, actor: Actor, agency: str, code: str) -> StoredPhoto:
        """The complaint's photo with its bytes, for the unit only (its head, HR,
        inspectors: who reads the unit's complaints); NotFound to anyone else, and when
        there is none or it was erased."""
        await self._complaint(actor, agency, code, answering=False)
        found = await self._store.photo(code)
        if found is None or found.content is None:
            raise NotFound("photo")
        return found

    async def erase_photo(self, actor: Actor, agency: str, code: str,
                          now: datetime | None = None) -> None:
        """Erase the complaint's photo (on request); the events stay whole."""
        await self._complaint(actor, agency, code, answering=True)
        await self._store.erase_photo(code, now or datetime.now(UTC))

    async def _complaint(self, actor: Actor, agency: str, code: str, *, answering: bool
                         ) -> ComplaintView:
        view = await self._store.view(agency, code)
        if view is None:
            raise NotFound("complaint")
        await self._unit_actor(actor, agency, view.unit, answering=answering)
        return view

    async def answer(self, actor: Actor, agency: str, code: str, text: str,
                     now: datetime | None = None) -> ComplaintView:
        view = await self._complaint(actor, agency, code, answering=True)
        moment = now or datetime.now(UTC)
        seconds = int((moment - view.filed_at).total_seconds())
        if not await self._store.answer(agency, code, text, actor.subject, moment, seconds):
            raise Conflict("answered", "Already answered",
                           "this complaint has an answer already; it is not changed")
        if self._workflows is not None:
            await self._workflows.answered(agency, code)
        answered = await self._store.view(agency, code)
        assert answered is not None
        return answered

    async def hide(self, actor: Actor, agency: str, code: str, reason: str,
                   now: datetime | None = None) -> ComplaintView:
        """Moderation by HR: the text is hidden from public view (an event; the
        complaint stays in the log and verifies). Hiding a hidden complaint changes
        nothing."""
        view = await self._store.view(agency, code)
        if view is None or not (actor.roles & {Role.HR, Role.INSPECTOR}
                                and actor.in_scope(agency)):
            raise NotFound("complaint")
        if Role.HR not in actor.roles:
            raise Forbidden("only HR of the agency moderates complaints")
        if not view.hidden:
            await self._store.hide(agency, code, reason, actor.subject,
                                   now or datetime.now(UTC))
        hidden = await self._store.view(agency, code)
        assert hidden is not None
        return hidden

    async def erase_contact(self, actor: Actor, agency: str, code: str,
                            now: datetime | None = None) -> None:
        """Erase the complainant's contact (on their request); the events stay whole."""
        view = await self._complaint(actor, agency, code, answering=True)
        if view.contact_ref is not None:
            await self._store.erase_contact(view.contact_ref, now or datetime.now(UTC))
