"""The notifications page (Pemberitahuan): the person's inbox with its unread count, mark
as read, and the e-mail preference. Every action is a use case of
:class:`services.notifications.NotificationService`, the same the API calls; each form
carries the session's CSRF token. Marking read twice changes nothing."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.errors import Forbidden, NotFound
from services.notifications import NotificationService, Preference
from web.pages import PageNotFound, _form, _session, render

router = APIRouter(include_in_schema=False)

_ID = re.compile(r"^[1-9][0-9]{0,17}$")


def _service(request: Request) -> NotificationService:
    service: NotificationService = request.app.state.kinerja.notifications
    return service


@router.get("/pemberitahuan")
async def inbox(request: Request) -> Response:
    session = _session(request)
    service = _service(request)
    page = await service.inbox(session.actor, limit=100)
    try:
        preference = await service.preference(session.actor)
    except Forbidden:
        preference = None
    return render(request, "notifications.html", {
        "unread": page.unread, "items": page.items, "preference": preference,
        "saved": request.query_params.get("disimpan") == "1"})


@router.post("/pemberitahuan/{notification_id}/dibaca")
async def mark_read(request: Request, notification_id: str) -> Response:
    session = _session(request)
    await _form(request)
    if not _ID.fullmatch(notification_id):
        raise PageNotFound()
    try:
        await _service(request).mark_read(session.actor, int(notification_id))
    except NotFound:
        raise PageNotFound() from None
    return RedirectResponse("/pemberitahuan", 303)


@router.post("/pemberitahuan/pengaturan")
async def set_preference(request: Request) -> Response:
    session = _session(request)
    form = await _form(request)
    try:
        await _service(request).set_preference(
            session.actor, Preference(email_information=form.get("email_information") == "1"))
    except Forbidden:
        raise PageNotFound() from None
    return RedirectResponse("/pemberitahuan?disimpan=1", 303)
