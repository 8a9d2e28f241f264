"""The caller's notifications: the in-app inbox (unread count, list, mark as read) and
the e-mail preference. Derived by the worker from the event log; see
``domain.notifications`` for who is told what."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict

from api.auth import CurrentActor
from api.deps import Use
from api.edge import INT8_MAX
from services.notifications import Preference
from store.notifications import StoredNotification

router = APIRouter(prefix="/v1/me", tags=["notifications"])


class NotificationView(BaseModel):
    id: int
    kind: str
    """``targets_returned``, ``targets_approved``, ``feedback_received``, ``review_done``,
    ``result_released``, ``objection_filed``, ``explanations_requested``,
    ``objection_decided``, ``escalation``."""
    needs_action: bool
    appraisal_id: str
    to: str
    """``self`` (your own), or ``hr``: the shared HR inbox of ``agency``."""
    agency: str
    detail: dict[str, str]
    at: datetime
    read: bool

    @classmethod
    def of(cls, note: StoredNotification) -> NotificationView:
        return cls(id=note.id, kind=note.kind, needs_action=note.needs_action,
                   appraisal_id=note.appraisal_id, to="hr" if note.recipient is None else "self",
                   agency=note.agency, detail=note.detail, at=note.at,
                   read=note.read_at is not None)


class InboxView(BaseModel):
    unread: int
    items: list[NotificationView]
    next_before: int | None
    """Pass as ``before`` for the next (older) page; None at the end."""


class PreferenceBody(BaseModel):
    """``email_information: false``: no e-mail for what only informs. Whatever needs your
    action is e-mailed regardless; the inbox holds everything."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"email_information": False}]})

    email_information: bool


@router.get("/notifications", summary="Your notifications, newest first, and the unread count")
async def list_notifications(
        use: Use, actor: CurrentActor, unread: bool = False,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        before: Annotated[int | None, Query(ge=1, le=INT8_MAX)] = None) -> InboxView:
    page = await use.notifications.inbox(actor, unread_only=unread, limit=limit, before=before)
    items = [NotificationView.of(n) for n in page.items]
    return InboxView(unread=page.unread, items=items,
                     next_before=items[-1].id if len(items) == limit else None)


@router.post("/notifications/{notification_id}/read", summary="Mark a notification read")
async def mark_read(use: Use, actor: CurrentActor,
                    notification_id: Annotated[int, Path(ge=1, le=INT8_MAX)]
                    ) -> NotificationView:
    return NotificationView.of(await use.notifications.mark_read(actor, notification_id))


@router.get("/notification-preferences", summary="Your e-mail preference")
async def get_preference(use: Use, actor: CurrentActor) -> PreferenceBody:
    found = await use.notifications.preference(actor)
    return PreferenceBody(email_information=found.email_information)


@router.put("/notification-preferences", summary="Set your e-mail preference")
async def put_preference(use: Use, actor: CurrentActor, body: PreferenceBody) -> PreferenceBody:
    saved = await use.notifications.set_preference(
        actor, Preference(email_information=body.email_information))
    return PreferenceBody(email_information=saved.email_information)
