"""The complaint workflow's activity: record a reminder or an escalation in the
complaint's stream, once, unless it has been answered."""

from __future__ import annotations

import asyncpg
from temporalio import activity

from store.complaints import ComplaintStore
from store.event_log import EventLog
from store.public import PublicStore
from workflows.complaint.contract import ComplaintStep


class ComplaintActivities:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._store = ComplaintStore(pool, EventLog(pool))
        self._units = PublicStore(pool)

    @activity.defn
    async def record_complaint_step(self, step: ComplaintStep) -> str:
        """``recorded``, or why not: ``answered``, ``done before``, ``unknown``."""
        view = await self._store.view(step.agency, step.code)
        if view is None:
            return "unknown"
        leader = await self._units.unit_leader(step.agency, view.unit) \
            if step.step == "escalated" else None
        return await self._store.record_step(step.agency, step.code, step.step, step.at,
                                             leader)
