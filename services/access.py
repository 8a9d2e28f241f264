"""Recording a read in the agency's access stream (``access-<agency>``): ONE function for
every door (the API's routes through ``api.access``, the inspectors' pages through
``services.inspection``).

:func:`record_read` decides (``domain.access``) whether a read is recorded and appends it
(``store.audit.Auditor.record_access``) before the answer goes out: who (subject, roles,
own agency, scope), what (the kind of read, the ids, the route and its query), when (the
event's time) and the request id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from domain.access import recorded_as
from domain.authorization import Actor, Role
from store.audit import Auditor

EVENT_TYPES = {Role.INSPECTOR: "InspectorRead", Role.HR: "HrRead"}
"""The access stream's event type for each role a read is recorded as."""


@dataclass(frozen=True)
class ReadContext:
    """Where a read came from, as the access stream records it: the route (its path
    template), its query and the request id."""

    route: str | None = None
    query: Mapping[str, str] = field(default_factory=dict)
    request_id: str | None = None


async def record_read(auditor: Auditor, actor: Actor, agency: str, what: str,
                      context: ReadContext, /, *, personal: bool = False, own: bool = False,
                      **details: Any) -> bool:
    """Record ``actor``'s read of ``what`` in ``agency`` if it is to be recorded
    (``domain.access.recorded_as``); True when recorded. ``details``: the ids read
    (None values are left out); the route and its query are added."""
    role = recorded_as(actor, agency, personal=personal, own=own)
    if role is None:
        return False
    metadata = {"actor": actor.subject, "roles": sorted(r.value for r in actor.roles),
                "actor_agency": actor.agency, "scope": sorted(actor.agencies),
                "request_id": context.request_id}
    details = {"route": context.route,
               **({"query": dict(context.query)} if context.query else {}),
               **details}
    await auditor.record_access(
        agency, what, {k: v for k, v in metadata.items() if v is not None},
        event_type=EVENT_TYPES[role], **{k: v for k, v in details.items() if v is not None})
    return True
