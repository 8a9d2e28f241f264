"""Recording reads in the agency's access stream: ONE function for every route.

:func:`record_read` hands the read to ``services.access.record_read`` (the rule:
``domain.access``) with what the request says of it: the route's path template, its
query and the request id. Routes reach it through dependencies that find what is read
and record the read in one step (``appraisals.ReadAppraisal``, ``cycles.ReadCycle``), so
a new read route that takes them records too; routes whose agency is known only after
the query (lists) call it themselves. The inspectors' routes record through
``services.inspection``, with :func:`read_context`.
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import Request

from domain.authorization import Actor
from services import access
from services.access import EVENT_TYPES, ReadContext
from store.audit import Auditor

__all__ = ["EVENT_TYPES", "read_context", "record_read"]


def read_context(request: Request) -> ReadContext:
    """The route (its path template), the query and the request id of ``request``."""
    request_id = (structlog.contextvars.get_contextvars().get("request_id")
                  or request.headers.get("X-Request-Id"))
    route = request.scope.get("route")
    return ReadContext(route=getattr(route, "path", None) or request.url.path,
                       query=dict(request.query_params), request_id=request_id)


async def record_read(request: Request, actor: Actor, agency: str, what: str, /, *,
                      personal: bool = False, own: bool = False, **details: Any) -> bool:
    """Record ``actor``'s read of ``what`` in ``agency`` if it is to be recorded
    (``domain.access.recorded_as``); True when recorded. ``details``: the ids read
    (None values are left out); the route's path template and query are added."""
    auditor: Auditor = request.app.state.kinerja.auditor
    return await access.record_read(auditor, actor, agency, what, read_context(request),
                                    personal=personal, own=own, **details)
