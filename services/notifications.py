"""The notification use cases: a person's inbox (list, unread count, mark as read) and
their e-mail preference. The notifications themselves are derived from the event log by
the worker (``activities.notifications``); nothing here sends anything.

A person reads their own notifications (agency and key of their token) and, as HR,
the shared HR inbox of each agency in their scope.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.authorization import Actor, Role
from services.errors import Forbidden, NotFound
from store.notifications import Inbox, StoredNotification


@dataclass(frozen=True)
class InboxPage:
    unread: int
    items: list[StoredNotification]


@dataclass(frozen=True)
class Preference:
    email_information: bool
    """E-mail also for what only informs; what needs action is e-mailed regardless."""


def _hr(actor: Actor) -> frozenset[str]:
    return actor.agencies if Role.HR in actor.roles else frozenset()


class NotificationService:
    def __init__(self, inbox: Inbox) -> None:
        self._inbox = inbox

    async def inbox(self, actor: Actor, *, unread_only: bool = False, limit: int = 50,
                    before: int | None = None) -> InboxPage:
        items = await self._inbox.list(actor.agency, actor.subject, _hr(actor),
                                       unread_only=unread_only, limit=limit, before=before)
        return InboxPage(unread=await self.unread(actor), items=items)

    async def unread(self, actor: Actor) -> int:
        return await self._inbox.unread(actor.agency, actor.subject, _hr(actor))

    async def mark_read(self, actor: Actor, notification_id: int) -> StoredNotification:
        """Mark one of the caller's notifications read; marking it again changes nothing."""
        found = await self._inbox.mark_read(notification_id, actor.agency, actor.subject,
                                            _hr(actor))
        if found is None:
            raise NotFound("notification")
        return found

    async def preference(self, actor: Actor) -> Preference:
        agency = self._own_agency(actor)
        return Preference(await self._inbox.preference(agency, actor.subject))

    async def set_preference(self, actor: Actor, preference: Preference) -> Preference:
        agency = self._own_agency(actor)
        await self._inbox.set_preference(agency, actor.subject, preference.email_information)
        return preference

    @staticmethod
    def _own_agency(actor: Actor) -> str:
        if actor.agency is None:
            raise Forbidden("a preference belongs to an employee of an agency; "
                            "the token names no agency")
        return actor.agency
