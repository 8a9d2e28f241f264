"""Recording reads in the agency's access stream: ONE function for every route.

:func:`record_read` decides (``domain.access``) whether a read is recorded and
appends it to ``access-<agency>`` (``store.audit.Auditor.record_access``)
before the answer goes out: who (subject, roles, own agency, scope), what
(the kind of read, the ids, the route and its query), when (the event's time)
and the request id. Routes reach it through dependencies that find what is
read and record the read in one step (``appraisals.ReadAppraisal``,
``cycles.ReadCycle``), so a new read route that takes them records too; routes
whose agency is known only after the query (lists) call it themselves.
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import Request

from domain.access import recorded_as
from domain.authorization import Actor, Role
from store.audit import Auditor

EVENT_TYPES = {Role.INSPECTOR: "InspectorRead", Role.HR: "HrRead"}
"""The access stream's event type for each role a read is recorded as."""


async def record_read(request: Request, actor: Actor, agency: str, what: str, /, *,
                      personal: bool = False, own: bool = False, **details: Any) -> bool:
    """Record ``actor``'s read of ``what`` in ``agency`` if it is to be recorded
    (``domain.access.recorded_as``); True when recorded. ``details``: the ids read
    (None values are left out); the route's path template and query are added."""
    role = recorded_as(actor, agency, personal=personal, own=own)
    if role is None:
        return False
    request_id = (structlog.contextvars.get_contextvars().get("request_id")
                  or request.headers.get("X-Request-Id"))
    metadata = {"actor": actor.subject, "roles": sorted(r.value for r in actor.roles),
                "actor_agency": actor.agency, "scope": sorted(actor.agencies),
                "request_id": request_id}
    route = request.scope.get("route")
    details = {"route": getattr(route, "path", None) or request.url.path,
               **({"query": dict(request.query_params)} if request.query_params else {}),
               **details}
    auditor: Auditor = request.app.state.kinerja.auditor
    await auditor.record_access(
        agency, what, {k: v for k, v in metadata.items() if v is not None},
        event_type=EVENT_TYPES[role], **{k: v for k, v in details.items() if v is not None})
    return True
